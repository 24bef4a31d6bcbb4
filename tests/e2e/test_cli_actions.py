"""End to end: the three plugin actions (and list/inspect) through the environment exactly as a
Vela step sets it, against moto, s3rver and the file:// store, checked with independent clients."""
import io
import json
import os
import shutil
import subprocess
import tarfile
import time
import unittest

from common import (BackendMixin, TempDirTestCase, boto, clean_env, make_tree, new_bucket, run_cli, server, snapshot,
                    wait_until, write)

KEY = "acme/webapp/archive.tar.zst"


class ActionsMixin(BackendMixin):

    def rebuild(self, ws, **params):
        params.setdefault("mount", [".gradle", "node_modules"])
        return self.assertRan(run_cli(env=self.env("rebuild", **params), cwd=ws))

    def test_rebuild_restore_round_trip(self):
        ws = self.path("ws1")
        make_tree(ws)
        outputs = self.path("outputs.env")
        proc = self.rebuild(ws)
        self.assertIn("uploaded", proc.stderr)

        # An independent reader sees a zstd tar with the workspace-relative layout.
        data = self.get_object(KEY)
        raw = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            names = set(tar.getnames())
        self.assertIn("node_modules/.bin/tsc", names)
        self.assertIn(".gradle/caches/blob.bin", names)
        self.assertNotIn("src/main.c", names)
        if self.BACKEND != "file":
            meta = self.s3.head_object(Bucket=self.bucket, Key=KEY)["Metadata"]
            self.assertEqual(len(meta["s3cache-fingerprint"]), 64)
            self.assertEqual(meta["s3cache-format"], "tar.zst")

        # Fresh checkout: only src/ exists; restore brings back everything else, identical.
        ws2 = self.path("ws2")
        os.makedirs(ws2 + "/src")
        shutil.copy2(ws + "/src/main.c", ws2 + "/src/main.c")  # mtime too: snapshots compare it
        env = self.env("restore")
        env["VELA_OUTPUTS"] = outputs
        proc = self.assertRan(run_cli(env=env, cwd=ws2))
        self.assertIn("cache hit", proc.stderr)
        self.assertEqual(snapshot(ws), snapshot(ws2))
        self.assertEqual(os.readlink(ws2 + "/node_modules/.bin/tsc"), "../typescript/bin/tsc")
        self.assertEqual(os.stat(ws2 + "/node_modules/pkg1/index.js").st_ino,
                         os.stat(ws2 + "/node_modules/pkg1/hardlink.js").st_ino)
        with open(outputs) as f:
            lines = f.read().splitlines()
        self.assertIn("S3_CACHE_HIT=true", lines)
        self.assertIn("S3_CACHE_KEY=" + KEY, lines)

        # Rebuilding the restored tree uploads nothing: the fingerprint survived the round trip.
        proc = self.rebuild(ws2)
        self.assertIn("cache unchanged", proc.stderr)
        self.assertEqual(self.get_object(KEY), data)

    def test_same_size_edit_with_the_same_mtime_is_uploaded(self):
        # echo AAAA > f; rebuild; echo BBBB > f; touch -d @<same mtime> f; rebuild: the second
        # rebuild must upload (the fingerprint covers contents), and a restore must give BBBB.
        ws = self.path("ws")
        f = ws + "/node_modules/f"
        write(f, b"AAAA\n")
        mtime = int(os.stat(f).st_mtime)
        self.assertIn("uploaded", self.rebuild(ws, mount=["node_modules"]).stderr)
        write(f, b"BBBB\n")
        subprocess.run(["touch", "-d", f"@{mtime}", f], check=True)
        self.assertEqual(int(os.stat(f).st_mtime), mtime)
        proc = self.rebuild(ws, mount=["node_modules"])
        self.assertIn("uploaded", proc.stderr)
        self.assertNotIn("cache unchanged", proc.stderr)

        fresh = self.path("fresh")
        os.makedirs(fresh)
        self.assertIn("cache hit", self.assertRan(run_cli(env=self.env("restore"), cwd=fresh)).stderr)
        with open(fresh + "/node_modules/f", "rb") as g:
            self.assertEqual(g.read(), b"BBBB\n")

    def test_unchanged_rebuild_after_a_restore_reads_nothing(self):
        ws = self.path("ws1")
        make_tree(ws)
        self.rebuild(ws)
        ws2 = self.path("ws2")
        os.makedirs(ws2)
        self.assertRan(run_cli(env=self.env("restore"), cwd=ws2))
        # The restore recorded what it wrote; the state file is never archived nor restored.
        self.assertTrue(os.path.isfile(ws2 + "/.s3cache-state"))
        proc = self.rebuild(ws2, log_level="debug")
        self.assertIn("cache unchanged", proc.stderr)
        self.assertRegex(proc.stderr, r"contents of \d+ files: \d+ known from the content state, 0 read \(0 bytes\)")
        # A deleted state only costs a full read; the answer is the same.
        os.remove(ws2 + "/.s3cache-state")
        proc = self.rebuild(ws2, log_level="debug")
        self.assertIn("cache unchanged", proc.stderr)
        self.assertRegex(proc.stderr, r"contents of (\d+) files: 0 known from the content state, \1 read")
        data = self.get_object(KEY)
        raw = subprocess.run(["zstd", "-dc"], input=data, capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            self.assertFalse([n for n in tar.getnames() if ".s3cache-" in n])

    def test_restore_miss(self):
        ws = self.path("empty")
        os.makedirs(ws)
        env = self.env("restore")
        env["VELA_OUTPUTS"] = self.path("out.env")
        proc = self.assertRan(run_cli(env=env, cwd=ws))
        self.assertIn("cache miss", proc.stderr)
        self.assertEqual(os.listdir(ws), [])
        with open(self.path("out.env")) as f:
            self.assertIn("S3_CACHE_HIT=false", f.read().splitlines())
        env["PARAMETER_FAIL_ON_MISS"] = "true"
        self.assertRan(run_cli(env=env, cwd=ws), 1)

    def test_gzip_filename_and_legacy_fallback(self):
        # A cache written by the Go plugin: archive.tgz with a directory mount stored as dir/...
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            for name, content in [("node_modules/a.js", b"a"), ("node_modules/sub/b.js", b"bb")]:
                info = tarfile.TarInfo(name)
                info.size = len(content)
                info.mode = 0o644
                tar.addfile(info, io.BytesIO(content))
        self.put_object("acme/webapp/archive.tgz", buf.getvalue())
        ws = self.path("ws")
        os.makedirs(ws)
        proc = self.assertRan(run_cli(env=self.env("restore"), cwd=ws))
        self.assertIn("archive.tgz", proc.stderr)
        with open(ws + "/node_modules/sub/b.js", "rb") as f:
            self.assertEqual(f.read(), b"bb")

        # filename: archive.tgz writes gzip that Python's tarfile reads.
        ws2 = self.path("ws2")
        make_tree(ws2)
        self.rebuild(ws2, filename="archive.tgz", mount="node_modules")
        with tarfile.open(fileobj=io.BytesIO(self.get_object("acme/webapp/archive.tgz")), mode="r:gz") as tar:
            self.assertIn("node_modules/pkg3/index.js", tar.getnames())

    def test_damaged_cache_is_refused_and_workspace_kept(self):
        # One byte flipped in storage: in a plain tar's file data (only the archive digest can
        # tell) and in a .tgz's CRC-32 (only reading the stream to its end can tell).
        src = self.path("src")
        write(f"{src}/node_modules/pkg/data.bin", b"MARKER" + bytes(range(256)) * 64)
        ws = self.path("ws")
        write(f"{ws}/node_modules/pkg/data.bin", b"the workspace's own")
        write(f"{ws}/node_modules/other.js", b"kept")
        before = snapshot(ws)
        for filename, where in [("archive.tar", lambda data: data.index(b"MARKER") + 3000), ("archive.tgz", lambda data: len(data) - 6)]:
            with self.subTest(filename=filename):
                self.rebuild(src, filename=filename, mount="node_modules")
                key = "acme/webapp/" + filename
                data = bytearray(self.get_object(key))
                data[where(data)] ^= 0x01
                self.put_object(key, bytes(data))
                proc = run_cli(env=self.env("restore", filename=filename, mount="node_modules", strict="true"), cwd=ws)
                self.assertEqual(proc.returncode, 1, proc.stderr)
                self.assertRegex(proc.stderr, r"does not match the digest|gzip data is damaged")
                self.assertEqual(snapshot(ws), before)

    def test_file_names_round_trip_byte_for_byte(self):
        # Names are bytes on Linux: "Café" in NFC and in NFD are two files, and names that are not
        # UTF-8 at all (Latin-1 leftovers, an encoded surrogate) come back as they were, in every
        # format, with no two of them made one.
        names = [b"Caf\xc3\xa9", b"Cafe\xcc\x81", b"bad\xff", b"bad\xfe", b"\xed\xa0\x80cesu", b"emoji\xf0\x9f\x98\x80"]
        src = self.path("src")
        for name in names:
            write(os.fsdecode(os.fsencode(src) + b"/node_modules/" + name), name)
        write(os.fsdecode(os.fsencode(src) + b"/node_modules/dir\xff/inner"), b"inner")
        os.symlink(b"Cafe\xcc\x81", os.fsencode(src) + b"/node_modules/link\xfe")
        for filename in ["archive.tar.zst", "archive.tgz", "archive.zip"]:
            with self.subTest(filename=filename):
                self.rebuild(src, filename=filename, mount="node_modules")
                ws = self.path("ws-" + filename)
                os.makedirs(ws)
                proc = self.assertRan(run_cli(env=self.env("restore", filename=filename, mount="node_modules"), cwd=ws))
                self.assertNotIn("more than once", proc.stderr)
                self.assertEqual(snapshot(ws), snapshot(src))

    def test_rebuild_missing_mounts(self):
        ws = self.path("ws")
        os.makedirs(ws)
        proc = self.assertRan(run_cli(env=self.env("rebuild", mount="nope,also-not"), cwd=ws))
        self.assertIn("nope", proc.stderr)
        self.assertIn("nothing uploaded", proc.stderr)
        self.assertEqual(self.keys(), [])

    def test_flush_only_old_objects_of_this_repo(self):
        old = ["acme/webapp/old-a.tar.zst", "acme/webapp/sub/old-b.tgz"]
        for k in old + ["acme/webapp-other/old.tar.zst", "other/webapp/old.tar.zst"]:
            self.put_object(k, b"x" * 100)
        t_old = time.time()
        # Let the old objects age past 6 s (no server lets us backdate LastModified); the new one
        # must stay younger than that through both runs, on a loaded machine too.
        wait_until(lambda: time.time() - t_old > 7, timeout=15)
        self.put_object("acme/webapp/new.tar.zst", b"y")
        proc = self.assertRan(run_cli(env=self.env("flush", age="6s", dry_run="true")))
        self.assertIn("would delete", proc.stderr)
        self.assertEqual(len(self.keys()), 5)
        proc = self.assertRan(run_cli(env=self.env("flush", age="6s")))
        self.assertIn("flushed 2 of 3 objects, freed 200 B", proc.stderr)
        self.assertEqual(self.keys(), ["acme/webapp-other/old.tar.zst", "acme/webapp/new.tar.zst",
                                       "other/webapp/old.tar.zst"])

    def test_list_and_inspect(self):
        ws = self.path("ws")
        make_tree(ws)
        self.rebuild(ws)
        env = self.env("list")
        proc = self.assertRan(run_cli(env=env))
        self.assertIn(KEY, proc.stdout)
        self.assertIn("1 objects", proc.stdout)
        proc = self.assertRan(run_cli(env=self.env("inspect")))
        self.assertIn("node_modules/.bin/tsc -> ../typescript/bin/tsc", proc.stdout)
        self.assertIn("s3cache-fingerprint", proc.stdout)
        self.assertNotEqual(os.listdir(ws), [])


class FileStoreActions(ActionsMixin, TempDirTestCase):
    BACKEND = "file"

    def test_output_into_a_pipe_closed_early_ends_quietly(self):
        # `s3cache inspect | head` as run-demo does: 3,000 entries (~250 KB, far past a pipe's
        # 64 KiB) so the reader certainly closes while s3cache is still writing.
        ws = self.path("ws")
        for i in range(3000):
            write(f"{ws}/node_modules/pkg/file{i:04}.js", b"x")
        self.rebuild(ws, mount=["node_modules"])
        for _ in range(3):
            proc = subprocess.Popen([os.environ["S3CACHE_CLI"]], env=self.env("inspect"), stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
            self.assertTrue(proc.stdout.readline().startswith(b"object:"))
            proc.stdout.close()
            stderr = proc.stderr.read().decode()
            self.assertEqual(proc.wait(timeout=60), 0, f"killed by SIGPIPE? stderr: {stderr}")
            self.assertNotRegex(stderr, r"ERROR|WARN|[Bb]roken pipe")

    def test_output_that_cannot_be_written_fails(self):
        with open("/dev/full", "w") as full:
            proc = subprocess.run([os.environ["S3CACHE_CLI"], "config"], env=self.env("config"), stdout=full,
                                  stderr=subprocess.PIPE, text=True, timeout=60)
        self.assertEqual(proc.returncode, 1)
        self.assertIn("cannot write the output: No space left on device", proc.stderr)


class MotoActions(ActionsMixin, TempDirTestCase):
    BACKEND = "moto"

    def test_flush_paginates_1100_objects(self):
        from concurrent.futures import ThreadPoolExecutor
        with ThreadPoolExecutor(16) as pool:
            list(pool.map(lambda i: self.s3.put_object(Bucket=self.bucket, Key=f"acme/webapp/o{i:04d}", Body=b"z"),
                          range(1100)))
        proc = self.assertRan(run_cli(env=self.env("flush", age="0s")))
        self.assertIn("flushed 1100 of 1100 objects", proc.stderr)
        self.assertEqual(self.keys(), [])

    def test_flush_aborts_unfinished_uploads_of_this_repo(self):
        """A rebuild killed with kill -9 leaves its multipart upload behind; flush aborts those of
        this repo that are older than both the age and the timeout (no running rebuild can own
        them), after a dry run that only reports them."""
        mine = self.s3.create_multipart_upload(Bucket=self.bucket, Key=KEY)["UploadId"]
        other = self.s3.create_multipart_upload(Bucket=self.bucket, Key="acme/webapp-other/archive.tar.zst")["UploadId"]
        t0 = time.time()
        wait_until(lambda: time.time() - t0 > 9, timeout=15)  # past the 8 s timeout given below

        def uploads():
            return sorted(u["UploadId"] for u in self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", []))

        proc = self.assertRan(run_cli(env=self.env("flush", age="1s", timeout="8s", dry_run="true")))
        self.assertIn(f"unfinished upload of s3://{self.bucket}/{KEY}", proc.stderr)
        self.assertIn("dry run: 1 unfinished uploads would be aborted", proc.stderr)
        self.assertEqual(uploads(), sorted([mine, other]))
        proc = self.assertRan(run_cli(env=self.env("flush", age="1s", timeout="8s")))
        self.assertIn("aborted 1 of 1 unfinished uploads", proc.stderr)
        self.assertEqual(uploads(), [other])

    def test_aws_cli_reads_what_we_upload(self):
        ws = self.path("ws")
        make_tree(ws)
        self.rebuild(ws)
        s = server("moto")
        env = dict(os.environ, AWS_ACCESS_KEY_ID=s["access_key"], AWS_SECRET_ACCESS_KEY=s["secret_key"],
                   AWS_DEFAULT_REGION="us-east-1")
        out = self.path("via-aws.tar.zst")
        subprocess.run(["aws", "--endpoint-url", s["endpoint"], "s3", "cp", f"s3://{self.bucket}/{KEY}", out],
                       env=env, check=True, capture_output=True)
        with open(out, "rb") as f:
            self.assertEqual(f.read(), self.get_object(KEY))


class S3rverActions(ActionsMixin, TempDirTestCase):
    BACKEND = "s3rver"

    def test_flush_without_list_multipart_uploads_warns(self):
        """s3rver has no ListMultipartUploads: flush still deletes what is old and exits 0, and
        says that unfinished uploads were left, with the server's code."""
        self.put_object("acme/webapp/old.tar.zst", b"x")
        proc = self.assertRan(run_cli(env=self.env("flush", age="0s")))
        self.assertIn("flushed 1 of 1 objects", proc.stderr)
        self.assertIn("unfinished uploads left as they are", proc.stderr)
        self.assertIn("NotImplemented", proc.stderr)
        self.assertNotIn("retrying", proc.stderr)  # a 501 is final
        self.assertEqual(self.keys(), [])


class VelaFiles(TempDirTestCase):
    def test_parameters_and_secrets_from_vela_files(self):
        """Only the repo variables in the environment: every parameter comes from
        /vela/parameters/s3-cache and the key pair from /vela/secrets/s3-cache (moto in IAM mode
        checks the signature, so the secret file is really what signs)."""
        s = server("moto_iam")
        bucket = new_bucket("moto_iam")
        vela = self.path("vela")
        params = {"action": "rebuild", "root": bucket, "server": s["endpoint"],
                  "mount": '[".gradle", "node_modules"]', "log_level": "trace"}
        for name, value in params.items():
            write(f"{vela}/parameters/s3-cache/{name}", value.encode() + b"\n")
        write(f"{vela}/secrets/s3-cache/access_key", s["access_key"].encode() + b"\n")
        write(f"{vela}/secrets/s3-cache/secret_key", s["secret_key"].encode())
        env = clean_env(S3CACHE_VELA_ROOT=vela, VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp")
        ws = self.path("ws")
        make_tree(ws)
        proc = self.assertRan(run_cli(env=env, cwd=ws))
        self.assertIn(f"{vela}/parameters/s3-cache/server", run_cli(["config"], env=env, cwd=ws).stdout)
        self.assertEqual(boto("moto_iam").head_object(Bucket=bucket, Key=KEY)["Metadata"]["s3cache-format"], "tar.zst")

        write(f"{vela}/parameters/s3-cache/action", b"restore")
        ws2 = self.path("ws2")
        os.makedirs(ws2)
        proc2 = self.assertRan(run_cli(env=env, cwd=ws2))
        self.assertIn("cache hit", proc2.stderr)
        self.assertEqual(snapshot(ws2), snapshot(ws, skip=("src",)))
        for p in (proc, proc2):
            self.assertNotIn(s["secret_key"], p.stdout + p.stderr)


class Help(unittest.TestCase):
    def test_help_per_action_lists_what_the_action_reads(self):
        general = run_cli(["--help"])
        self.assertEqual(general.returncode, 0)
        self.assertIn("Actions:", general.stdout)
        for action, present, absent in (("restore", ["--mount", "--restore-keys", "--fail-on-miss"], ["--age"]),
                                        ("flush", ["--age", "--dry-run", "--prefix"], ["--mount", "--restore-keys"]),
                                        ("upload", ["--mount", "--compression-level"], ["--age", "--lookup-only"])):
            with self.subTest(action):
                proc = run_cli([action, "--help"])
                self.assertEqual(proc.returncode, 0, proc.stderr)
                self.assertNotIn("Actions:", proc.stdout)
                for flag in present:
                    self.assertIn(flag, proc.stdout)
                for flag in absent:
                    self.assertNotIn(flag, proc.stdout)


if __name__ == "__main__":
    unittest.main()
