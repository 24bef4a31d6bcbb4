"""End to end: `output: json` (README "Machine-readable output"). Every command's stdout is
parsed with Python's json module and checked against what boto3 or the file system says; stdout
holds exactly one JSON document (the logs stay on stderr, the exit codes and VELA_OUTPUTS are
as with text), failures carry an error object, and no secret reaches it. Against the file://
store, moto and s3rver."""
import io
import json
import os
import subprocess
import tarfile
import unittest
from datetime import datetime, timezone

from common import BackendMixin, TempDirTestCase, clean_env, make_tree, run_cli, server

KEY = "acme/webapp/archive.tar.zst"
SECRET = "JsonSecretKeyThatMustNeverBePrinted0123"
TOKEN = "JsonSessionTokenThatMustNeverBePrinted4567"
PROXY_PASSWORD = "JsonProxyPassw0rdNeverPrinted"


def iso_epoch(text):
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp())


class JsonMixin(BackendMixin):
    BUCKET_TAG = "json"

    def env(self, action, **params):
        params.setdefault("output", "json")
        return super().env(action, **params)

    def document(self, proc, command, code=0):
        """The one JSON document on stdout, with its common fields checked."""
        self.assertEqual(proc.returncode, code, f"exit {proc.returncode}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
        self.assertTrue(proc.stdout.endswith("\n"), proc.stdout)
        self.assertEqual(proc.stdout.count("\n"), 1, "more than one line on stdout: " + proc.stdout)
        doc = json.loads(proc.stdout)  # refuses anything before or after the one document
        self.assertEqual(doc["schema"], f"s3cache/{command}/1")
        self.assertEqual(doc["command"], command)
        self.assertEqual(doc["exit_code"], code)
        return doc

    def run_json(self, action, cwd=None, code=0, **params):
        proc = run_cli(env=self.env(action, **params), cwd=cwd or self.tmp)
        return self.document(proc, action, code), proc

    def rebuild(self, ws, **params):
        params.setdefault("mount", [".gradle", "node_modules"])
        return self.run_json("rebuild", cwd=ws, **params)

    def stored(self, key):
        """Size and LastModified (epoch seconds) as the store itself says."""
        if self.BACKEND == "file":
            st = os.stat(os.path.join(self.path("store"), self.bucket, key))
            return st.st_size, int(st.st_mtime)
        head = self.s3.head_object(Bucket=self.bucket, Key=key)
        return head["ContentLength"], int(head["LastModified"].timestamp())

    def tar_members(self, key):
        raw = subprocess.run(["zstd", "-dc"], input=self.get_object(key), capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            return tar.getmembers()

    def regular_files(self, key):
        return len({m.name for m in self.tar_members(key) if m.isreg()})

    def test_rebuild_uploaded_then_unchanged(self):
        ws = self.path("ws")
        make_tree(ws)
        doc, proc = self.rebuild(ws)
        self.assertIn("uploaded", proc.stderr)  # the human log is still there, on stderr
        self.assertIsNone(doc["error"])
        self.assertEqual(doc["outcome"], "uploaded")
        self.assertEqual(doc["key"], KEY)
        size, _ = self.stored(KEY)
        self.assertEqual(doc["archive_size"], size)
        self.assertEqual(doc["bytes_transferred"], size)
        self.assertEqual(doc["format"], "tar.zst")
        self.assertEqual(doc["files"], self.regular_files(KEY))
        self.assertGreater(doc["content_bytes"], 3 * 1024 * 1024)
        self.assertIsInstance(doc["seconds"], (int, float))
        self.assertEqual(doc["missing_mounts"], [])
        if self.BACKEND != "file":
            meta = self.s3.head_object(Bucket=self.bucket, Key=KEY)["Metadata"]
            self.assertEqual(doc["fingerprint"], meta["s3cache-fingerprint"])
            self.assertEqual(str(doc["files"]), meta["s3cache-files"])

        doc, proc = self.rebuild(ws)
        self.assertIn("cache unchanged", proc.stderr)
        self.assertEqual(doc["outcome"], "unchanged")
        self.assertEqual(doc["bytes_transferred"], 0)
        self.assertIsNone(doc["archive_size"])

        doc, _ = self.rebuild(ws, dry_run="true", path="acme/webapp/dry.tar.zst")
        self.assertEqual(doc["outcome"], "dry_run")
        doc, _ = self.rebuild(ws, mount=["nope"], path="acme/webapp/none.tar.zst")
        self.assertEqual(doc["outcome"], "nothing_to_cache")
        self.assertEqual(doc["missing_mounts"], ["nope"])
        self.assertEqual(self.keys(), [KEY])

    def test_restore_exact_partial_and_miss(self):
        ws = self.path("ws")
        make_tree(ws)
        self.rebuild(ws)
        size, modified = self.stored(KEY)

        fresh = self.path("fresh")
        os.makedirs(fresh)
        outputs = self.path("outputs.env")
        env = self.env("restore")
        env["VELA_OUTPUTS"] = outputs
        proc = run_cli(env=env, cwd=fresh)
        doc = self.document(proc, "restore")
        self.assertIn("cache hit", proc.stderr)
        self.assertEqual((doc["outcome"], doc["hit"], doc["exact"]), ("restored", True, True))
        self.assertEqual(doc["key"], KEY)
        self.assertEqual(doc["matched_key"], KEY)
        self.assertIsNone(doc["matched_by"])
        self.assertEqual(doc["archive_size"], size)
        self.assertEqual(doc["bytes_transferred"], size)
        self.assertEqual(doc["object"]["size"], size)
        self.assertEqual(doc["object"]["last_modified_epoch"], modified)
        self.assertEqual(iso_epoch(doc["object"]["last_modified"]), modified)
        self.assertEqual(doc["files"], self.regular_files(KEY))
        self.assertEqual(doc["format"], "tar.zst")
        self.assertTrue(os.path.exists(fresh + "/node_modules/pkg1/index.js"))
        with open(outputs) as f:  # VELA_OUTPUTS as with text output
            self.assertEqual(f.read().splitlines(),
                             ["S3_CACHE_HIT=true", "S3_CACHE_MATCHED_KEY=" + KEY, "S3_CACHE_KEY=" + KEY])

        doc, _ = self.run_json("restore", cwd=self.path("fresh"), filename="other.tar.zst", restore_keys=["arch"])
        self.assertEqual((doc["outcome"], doc["hit"], doc["exact"]), ("restored", True, False))
        self.assertEqual(doc["key"], "acme/webapp/other.tar.zst")
        self.assertEqual(doc["matched_key"], KEY)
        self.assertEqual(doc["matched_by"], {"key": "acme/webapp/arch", "prefix": True, "origin": "restore key"})

        doc, _ = self.run_json("restore", cwd=self.path("fresh"), filename="other.tar.zst", lookup_only="true")
        self.assertEqual((doc["outcome"], doc["hit"]), ("miss", False))
        self.assertIsNone(doc["matched_key"])
        self.assertIsNone(doc["object"])
        self.assertIsNone(doc["error"])
        doc, _ = self.run_json("restore", cwd=self.path("fresh"), filename="other.tar.zst", fail_on_miss="true", code=1)
        self.assertEqual(doc["outcome"], "miss")
        self.assertIsNone(doc["error"])  # a miss is no error; fail_on_miss only sets the exit code

        doc, _ = self.run_json("restore", cwd=self.path("fresh"), lookup_only="true")
        self.assertEqual((doc["outcome"], doc["hit"], doc["exact"]), ("found", True, True))
        self.assertEqual(doc["bytes_restored"], 0)

    def test_list_and_inspect_match_the_store(self):
        ws = self.path("ws")
        make_tree(ws)
        self.rebuild(ws)
        self.rebuild(ws, path="acme/webapp/second.tgz", mount=["node_modules"])
        doc, _ = self.run_json("list")
        self.assertIsNone(doc["error"])
        self.assertEqual(doc["prefix"], "acme/webapp/")
        self.assertEqual(sorted(o["key"] for o in doc["objects"]), self.keys())
        total = 0
        for o in doc["objects"]:
            size, modified = self.stored(o["key"])
            self.assertEqual(o["size"], size, o["key"])
            self.assertEqual(o["last_modified_epoch"], modified, o["key"])
            self.assertEqual(iso_epoch(o["last_modified"]), modified, o["key"])
            total += size
        self.assertEqual((doc["count"], doc["total_bytes"]), (2, total))

        # The flag works as the variable does (manual use: s3cache list --output json | jq).
        env = self.env("list")
        del env["PARAMETER_OUTPUT"]
        text = run_cli(env=env)
        self.assertFalse(text.stdout.startswith("{"), text.stdout)  # text stays the default
        self.assertIn("2 objects", text.stdout)
        flag = run_cli(["--output", "json"], env=env)
        self.assertEqual(self.document(flag, "list")["objects"], doc["objects"])

        doc, _ = self.run_json("inspect")
        size, modified = self.stored(KEY)
        self.assertEqual(doc["object"]["key"], KEY)
        self.assertEqual(doc["object"]["size"], size)
        self.assertEqual(doc["object"]["last_modified_epoch"], modified)
        self.assertEqual(doc["format"], "tar.zst")
        self.assertIn("s3cache-fingerprint", doc["object"]["metadata"])
        self.assertFalse(doc["truncated"])
        members = {m.name.rstrip("/"): m for m in self.tar_members(KEY) if m.name != "."}
        entries = {e["path"]: e for e in doc["entries"]}
        self.assertEqual(doc["entry_count"], len(doc["entries"]))
        self.assertEqual(set(entries), set(members))
        for path, m in members.items():
            e = entries[path]
            kind = {tarfile.DIRTYPE: "directory", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}.get(m.type, "file")
            self.assertEqual(e["type"], kind, path)
            self.assertEqual(e["mode"], m.mode & 0o7777, path)
            self.assertEqual(e["mtime_epoch"], int(m.mtime), path)
            if kind == "file":
                self.assertEqual(e["size"], m.size, path)
            if kind == "symlink":
                self.assertEqual(e["link_target"], m.linkname, path)
        self.assertEqual(entries["node_modules/.bin/tsc"]["link_target"], "../typescript/bin/tsc")

    def test_flush_dry_run_then_real(self):
        for key, data in (("acme/webapp/a.tar.zst", b"x" * 100), ("acme/webapp/sub/b.tgz", b"y" * 250),
                          ("acme/webapp-other/c.tar.zst", b"z")):
            self.put_object(key, data)
        doc, proc = self.run_json("flush", age="0s", dry_run="true")
        self.assertIn("would delete", proc.stderr)
        self.assertTrue(doc["dry_run"])
        self.assertEqual(doc["prefix"], "acme/webapp/")
        self.assertEqual(doc["age_seconds"], 0)
        self.assertEqual((doc["scanned"], doc["expired"], doc["deleted"]), (2, 2, 0))
        self.assertEqual((doc["expired_bytes"], doc["bytes_freed"]), (350, 0))
        self.assertEqual((doc["age_from"], doc["max_bytes"], doc["kept_bytes"]), ("written", None, 0))
        self.assertEqual(sorted(o["key"] for o in doc["objects"]), ["acme/webapp/a.tar.zst", "acme/webapp/sub/b.tgz"])
        self.assertEqual({o["deleted"] for o in doc["objects"]}, {False})
        self.assertEqual({(o["decision"], o["reason"]) for o in doc["objects"]}, {("delete", "old")})
        self.assertEqual({o["last_used"] for o in doc["objects"]}, {None})
        for o in doc["objects"]:
            self.assertEqual((o["size"], o["last_modified_epoch"]), self.stored(o["key"]))
        self.assertEqual(len(self.keys()), 3)

        doc, _ = self.run_json("flush", age="0s")
        self.assertFalse(doc["dry_run"])
        self.assertEqual((doc["scanned"], doc["expired"], doc["deleted"], doc["bytes_freed"]), (2, 2, 2, 350))
        self.assertEqual({o["deleted"] for o in doc["objects"]}, {True})
        self.assertEqual(self.keys(), ["acme/webapp-other/c.tar.zst"])
        if self.BACKEND != "s3rver":  # s3rver has no ListMultipartUploads: uploads.error says so
            self.assertEqual(doc["uploads"], {"stale": [], "aborted": 0, "error": None})

    def test_failures_are_an_error_object(self):
        doc, proc = self.run_json("inspect", path="acme/webapp/missing.tar.zst", code=1)
        self.assertIn("ERROR", proc.stderr)
        self.assertEqual((doc["error"]["kind"], doc["error"]["code"]), ("not_found", "NoSuchKey"))
        self.assertIn("missing.tar.zst", doc["error"]["context"])
        if self.BACKEND == "file":
            return  # a file:// store's missing bucket is an empty one
        self.bucket = "no-such-bucket-json"
        for action in ("restore", "list", "flush"):
            with self.subTest(action):
                doc, proc = self.run_json(action, code=1)
                self.assertIn("ERROR", proc.stderr)
                self.assertEqual(doc["error"]["kind"], "not_found")
                self.assertEqual(doc["error"]["code"], "NoSuchBucket")
                self.assertTrue(doc["error"]["message"])
                self.assertIn("hint", doc["error"])
                if action == "restore":
                    self.assertEqual(doc["outcome"], "failed")
                    self.assertFalse(doc["hit"])

    def test_bad_parameters_are_an_error_object(self):
        # Bad parameters: exit 2 and the error document (no command's fields: nothing ran).
        proc = run_cli(env=self.env("flush", age="0"))
        doc = self.document(proc, "error", 2)
        self.assertEqual(doc["error"]["kind"], "invalid_input")
        self.assertEqual(doc["error"]["code"], "InvalidParameter")
        self.assertIn("age", doc["error"]["message"])
        self.assertIn("age", proc.stderr)
        proc = run_cli(["--bogus"], env=self.env("list"))  # the output parameter from the environment
        self.assertEqual(self.document(proc, "error", 2)["error"]["code"], "Usage")
        # A flag cannot ask for JSON on a command line that does not parse: it was not read.
        env = self.env("list")
        del env["PARAMETER_OUTPUT"]
        proc = run_cli(["--output", "json", "--bogus"], env=env)
        self.assertEqual((proc.returncode, proc.stdout), (2, ""))
        self.assertIn("--bogus", proc.stderr)
        proc = run_cli(env=self.env("list", output="yaml"))
        self.assertEqual((proc.returncode, proc.stdout), (2, ""))
        self.assertIn("output: unknown format 'yaml'", proc.stderr)

    def test_config(self):
        doc, _ = self.run_json("config")
        self.assertEqual(doc["bucket"], self.bucket)
        self.assertEqual(doc["key"], KEY)
        self.assertEqual(doc["format"], "tar.zst")
        self.assertEqual(doc["parameters"]["output"], {"value": "json", "source": "PARAMETER_OUTPUT", "template": None})
        self.assertEqual(doc["parameters"]["root"]["value"], self.bucket)
        self.assertEqual(doc["store"]["type"], "file" if self.BACKEND == "file" else "s3")
        # The text shows the same rows (but output's, which is text there).
        env = self.env("config")
        env["PARAMETER_OUTPUT"] = "text"
        text = run_cli(env=env, cwd=self.tmp).stdout
        self.assertIn("  output             text (PARAMETER_OUTPUT)", text)
        del doc["parameters"]["output"]
        for name, row in doc["parameters"].items():
            self.assertIn(f"  {name:<18} {row['value'] or '-'} ({row['source']}", text)


class FileStoreJson(JsonMixin, TempDirTestCase):
    BACKEND = "file"


class MotoJson(JsonMixin, TempDirTestCase):
    BACKEND = "moto"

    def test_no_secret_in_any_document(self):
        """Every command, on success and on failure, with a secret key, a session token and a
        proxy password that must never be printed: none is in stdout or stderr, and config's JSON
        masks the access key id as its text does."""
        ws = self.path("ws")
        make_tree(ws)
        s = server("moto")
        secrets = {"CACHE_S3_ACCESS_KEY": "AKIAIOSFODNN7EXAMPLE", "CACHE_S3_SECRET_KEY": SECRET,
                   "CACHE_S3_SESSION_TOKEN": TOKEN}
        seen = []
        for bucket in (self.bucket, "no-such-bucket-json"):
            for action in ("rebuild", "restore", "flush", "list", "inspect", "config"):
                env = clean_env(PARAMETER_ACTION=action, PARAMETER_ROOT=bucket, PARAMETER_SERVER=s["endpoint"],
                                PARAMETER_MOUNT="node_modules", PARAMETER_OUTPUT="json", PARAMETER_AGE="0s",
                                VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp", **secrets)
                if action == "config":
                    env["HTTP_PROXY"] = f"http://ci-user:{PROXY_PASSWORD}@proxy.corp:3128"
                proc = run_cli(env=env, cwd=ws)
                doc = self.document(proc, action, proc.returncode)
                everything = proc.stdout + proc.stderr
                for secret in (SECRET, TOKEN, PROXY_PASSWORD, "IOSFODNN7EXAMPLE", "Signature="):
                    self.assertNotIn(secret, everything, f"{action} on {bucket}")
                seen.append(doc)
        config = next(d for d in seen if d["command"] == "config")
        self.assertEqual(config["credentials"]["access_key_id"], "AKIA****")
        self.assertEqual(config["credentials"]["source"], "CACHE_S3_ACCESS_KEY")
        self.assertTrue(config["credentials"]["session_token"])
        self.assertEqual(config["parameters"]["secret_key"]["value"], "****")
        self.assertEqual(config["parameters"]["session_token"]["value"], "****")
        self.assertIn("****@proxy.corp:3128", config["store"]["proxy"])
        self.assertEqual([d["exit_code"] for d in seen if d["command"] == "list"], [0, 1])


class S3rverJson(JsonMixin, TempDirTestCase):
    BACKEND = "s3rver"


if __name__ == "__main__":
    unittest.main()
