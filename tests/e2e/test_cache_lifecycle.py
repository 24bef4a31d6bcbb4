"""End to end: managing caches at scale. Restore hits record a cache's last use (a hidden
KEY.s3cache-used marker) that list, inspect and flush see; flush by a size budget (least recently
used first) and by age counted from the last use, checked against a brute-force model over 60
caches; concurrent restores and a flush; markers deleted with their caches; the platform record
that makes restore pass over a cache of another os/arch. On moto, s3rver and the file:// store."""
import datetime
import io
import json
import os
import random
import re
import subprocess
import tarfile
import time
import unittest

from common import BackendMixin, TempDirTestCase, run_cli, wait_until, write

PREFIX = "acme/webapp/"
MARKER = ".s3cache-used"


class LifecycleMixin(BackendMixin):
    BUCKET_TAG = "life"

    def run_action(self, action, code=0, cwd=None, **params):
        return self.assertRan(run_cli(env=self.env(action, **params), cwd=cwd or self.tmp), code)

    def uri(self, key):
        return f"file://{self.store}/{self.bucket}/{key}" if self.BACKEND == "file" else f"s3://{self.bucket}/{key}"

    def put(self, key, data, age_days=None):
        """An object written directly (flush never reads caches); on file:// optionally backdated."""
        self.put_object(key, data)
        if self.BACKEND == "file" and age_days is not None:
            when = datetime.datetime.now().timestamp() - age_days * 86400
            os.utime(os.path.join(self.store, self.bucket, key), (when, when))

    def listing(self):
        """key -> (size, LastModified as a datetime), markers included."""
        if self.BACKEND == "file":
            root = os.path.join(self.store, self.bucket)
            out = {}
            for d, dirs, files in os.walk(root):
                dirs[:] = [x for x in dirs if not x.startswith(".s3cache-")]
                for f in files:
                    st = os.stat(os.path.join(d, f))
                    out[os.path.relpath(os.path.join(d, f), root)] = (
                        st.st_size, datetime.datetime.fromtimestamp(st.st_mtime_ns // 1_000_000 / 1000))
            return out
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return {o["Key"]: (o["Size"], o["LastModified"]) for p in pages for o in p.get("Contents", [])}

    def rebuild_key(self, key, files):
        ws = self.path("ws-" + key.replace("/", "_"))
        for name, data in files.items():
            write(os.path.join(ws, "node_modules", name), data)
        self.run_action("rebuild", cwd=ws, path=key, mount="node_modules")
        return ws

    def set_platform(self, key, platform):
        """Rewrites the cache's platform record, as a runner of another arch would have written it."""
        if self.BACKEND == "file":
            sidecar = os.path.join(self.store, self.bucket, ".s3cache-meta", key + ".json")
            with open(sidecar) as f:
                doc = json.load(f)
            doc["metadata"]["s3cache-platform"] = platform
            with open(sidecar, "w") as f:
                json.dump(doc, f)
            return
        head = self.s3.head_object(Bucket=self.bucket, Key=key)
        metadata = dict(head["Metadata"], **{"s3cache-platform": platform})
        self.s3.copy_object(Bucket=self.bucket, Key=key, CopySource={"Bucket": self.bucket, "Key": key},
                            Metadata=metadata, MetadataDirective="REPLACE")

    # --- last use ---------------------------------------------------------------------------

    def test_restore_records_the_last_use_for_list_and_inspect(self):
        key = PREFIX + "main-1/archive.tar.zst"
        self.rebuild_key(key, {"a.js": b"a" * 100})
        self.assertNotIn(key + MARKER, self.listing())
        proc = self.run_action("list")
        self.assertRegex(proc.stdout, r"never used\s+" + re.escape(key))

        # Found by a restore key: the marker, written by the first restore, is then the newest
        # object under the prefix, and the second restore must still pick the cache.
        for _ in range(2):
            ws = self.path("restored")
            os.makedirs(ws, exist_ok=True)
            proc = self.run_action("restore", cwd=ws, path=PREFIX + "main-2/archive.tar.zst",
                                   restore_keys=PREFIX + "main-", mount="node_modules")
            self.assertIn(f"partial cache hit", proc.stderr)
            self.assertIn(f"restored {self.uri(key)} (", proc.stderr)
            self.assertNotIn("could not record", proc.stderr)
        objects = self.listing()
        self.assertEqual(objects[key + MARKER][0], 0)  # one empty object
        self.assertEqual(sorted(objects), [key, key + MARKER])

        proc = self.run_action("list")
        self.assertRegex(proc.stdout, r"used [0-9.]+ s ago\s+" + re.escape(key))
        self.assertNotIn(MARKER, proc.stdout)
        self.assertIn("\n1 objects, ", "\n" + proc.stdout)
        proc = self.run_action("inspect", path=key)
        self.assertRegex(proc.stdout, r"last used:\s+\d{4}-\d\d-\d\dT")
        self.assertIn("meta s3cache-platform: linux/", proc.stdout)
        self.assertIn("meta s3cache-mounts: node_modules", proc.stdout)

        # record_use: false writes nothing (read-only credentials).
        self.run_action("flush", age="0s", dry_run="true")  # a dry run deletes nothing either
        self.assertIn(key + MARKER, self.listing())
        if self.BACKEND == "file":
            os.remove(os.path.join(self.store, self.bucket, key + MARKER))
        else:
            self.s3.delete_object(Bucket=self.bucket, Key=key + MARKER)
        self.run_action("restore", cwd=ws, path=key, record_use="false")
        self.assertNotIn(key + MARKER, self.listing())

    # --- flush by budget and by use -----------------------------------------------------------

    def expected_deleted(self, objects, max_bytes, max_age_days=None, age_from_used=False):
        """The flush rule, the slow way, from a listing: age first, then keep the most recently
        used caches that fit in the budget (a tie goes to the newer write, then the greater key)."""
        now = datetime.datetime.now(datetime.timezone.utc)
        caches = {}
        for key, (size, modified) in objects.items():
            if not key.endswith(MARKER):
                caches[key] = (size, modified.replace(tzinfo=modified.tzinfo or datetime.timezone.utc))
        deleted, young = set(), []
        for key, (size, written) in caches.items():
            used = objects.get(key + MARKER)
            used = used[1].replace(tzinfo=used[1].tzinfo or datetime.timezone.utc) if used else None
            last_use = max(written, used) if used else written
            since = last_use if age_from_used else written
            if max_age_days is not None and (now - since).total_seconds() > max_age_days * 86400:
                deleted.add(key)
            else:
                young.append(((last_use, written, key), size))
        kept_bytes = 0
        full = False
        for (_, _, key), size in sorted(young, reverse=True):
            if not full and kept_bytes + size <= max_bytes:
                kept_bytes += size
            else:
                full = True
                deleted.add(key)
        return deleted

    def deletions_in(self, stderr, verb):
        return {m.group(1) for m in re.finditer(rf"(?m) INFO  {verb} (\S+) \(", stderr)}

    def test_budget_flush_keeps_exactly_what_a_model_keeps(self):
        rng = random.Random(20261201)
        keys = [f"{PREFIX}{'feature' if i % 3 else 'main'}-{i:02}/archive.tar.zst" for i in range(60)]
        backdate = self.BACKEND == "file"  # S3 servers set LastModified themselves
        for key in keys:
            self.put(key, os.urandom(rng.randint(1, 40_000)), age_days=rng.uniform(0, 40) if backdate else None)
        for key in rng.sample(keys, 35):  # uses recorded in a random order (and times, on file://)
            self.put(key + MARKER, b"", age_days=rng.uniform(0, 40) if backdate else None)
        self.put(PREFIX + "gone/archive.tar.zst" + MARKER, b"")  # a use recorded while its cache was deleted
        self.put("acme/webapp-other/archive.tar.zst", b"x" * 50_000)  # another repository: out of scope
        objects = {k: v for k, v in self.listing().items() if k.startswith(PREFIX)}
        total = sum(size for k, (size, _) in objects.items() if not k.endswith(MARKER))
        budget = total // 3
        params = {"max_size": str(budget), "age": "3650"}
        if backdate:
            params.update(age="30", age_from="used")
        expected = self.expected_deleted(objects, budget, 30 if backdate else None, backdate)
        self.assertGreater(len(expected), 10)
        self.assertLess(len(expected), 60)

        dry = self.run_action("flush", dry_run="true", **params)
        self.assertEqual(self.deletions_in(dry.stderr, "would delete"), {self.uri(k) for k in expected})
        self.assertEqual(len(self.deletions_in(dry.stderr, "would keep")), 60 - len(expected))
        self.assertEqual(self.listing().keys() & objects.keys(), objects.keys())  # nothing deleted

        real = self.run_action("flush", **params)
        self.assertIn(f"flushed {len(expected)} of 60 objects", real.stderr)
        # The same decision table, row for row.
        table = lambda text, verb: sorted(re.sub(r" \(.*?\): ", " ", l.split(verb, 1)[1])
                                          for l in text.splitlines() if f" INFO  {verb} " in l)
        self.assertEqual(table(dry.stderr, "would delete "), table(real.stderr, "delete "))
        left = self.listing()
        kept = set(keys) - expected
        self.assertEqual({k for k in left if k.startswith(PREFIX)},
                         kept | {k + MARKER for k in kept if k + MARKER in objects})
        self.assertIn("acme/webapp-other/archive.tar.zst", left)
        self.assertLessEqual(sum(left[k][0] for k in kept), budget)

    def test_concurrent_restores_keep_their_caches_from_a_budget_flush(self):
        # Three caches written first (the least recently written), five small ones after. A flush
        # whose budget holds only the three big ones keeps them because restores are using them.
        big = [PREFIX + f"big-{i}/archive.tar.zst" for i in range(3)]
        workspaces = {k: self.rebuild_key(k, {"blob.bin": os.urandom(6 * 1024 * 1024)}) for k in big}
        small = [PREFIX + f"small-{i}/archive.tar.zst" for i in range(5)]
        for k in small:
            self.rebuild_key(k, {"s.js": os.urandom(2000)})
        sizes = self.listing()
        budget = sum(sizes[k][0] for k in big) + 1
        # s3rver's LastModified has whole seconds: the uses must fall in a later second than the
        # small caches' writes, or a tie would go to the newer write.
        written = max(modified for _, modified in sizes.values()).timestamp()
        self.assertTrue(wait_until(lambda: time.time() >= int(written) + 1, timeout=5))
        restores = []
        for k in big:
            target = self.path("target-" + k.split("/")[2])
            os.makedirs(target)
            restores.append((k, target, subprocess.Popen(
                [os.environ["S3CACHE_CLI"]], env=self.env("restore", path=k), cwd=target,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)))
        # The flush starts once every restore has recorded its use (most are still downloading).
        self.assertTrue(wait_until(lambda: all(k + MARKER in self.listing() for k in big), timeout=60))
        flush = self.run_action("flush", max_size=str(budget))
        for k, target, proc in restores:
            out, err = proc.communicate(timeout=120)
            self.assertEqual(proc.returncode, 0, err)
            self.assertIn("cache hit: restored", err)
            with open(os.path.join(workspaces[k], "node_modules/blob.bin"), "rb") as a, \
                    open(os.path.join(target, "node_modules/blob.bin"), "rb") as b:
                self.assertEqual(a.read(), b.read())
        left = self.listing()
        self.assertEqual(sorted(k for k in left if not k.endswith(MARKER)), sorted(big), flush.stderr)
        self.assertEqual(sorted(k for k in left if k.endswith(MARKER)), sorted(k + MARKER for k in big))

    def test_scope_all_and_bad_parameters(self):
        self.put("ci/acme/webapp/archive.tar.zst", b"a" * 10)
        self.put("ci/beta/tool/archive.tar.zst", b"b" * 10)
        self.put("other/x/y/archive.tar.zst", b"c" * 10)
        proc = self.run_action("flush", prefix="ci", scope="all", age="0s", dry_run="true")
        self.assertEqual(self.deletions_in(proc.stderr, "would delete"),
                         {self.uri("ci/acme/webapp/archive.tar.zst"), self.uri("ci/beta/tool/archive.tar.zst")})
        proc = self.run_action("list", prefix="ci", scope="all")
        self.assertIn("\n2 objects, ", "\n" + proc.stdout)
        for params, message in (({"age_from": "read"}, "age_from: 'read' (from PARAMETER_AGE_FROM) is neither written nor used"),
                                ({"max_size": "0"}, "max_size: '0' (from PARAMETER_MAX_SIZE) would delete every cache"),
                                ({"max_size": "lots"}, "max_size"),
                                ({"scope": "org"}, "scope: 'org' (from PARAMETER_SCOPE) is neither repo nor all")):
            proc = self.run_action("flush", code=2, **params)
            self.assertIn(message, proc.stderr)
        self.assertEqual(len(self.listing()), 3)

    # --- platforms ----------------------------------------------------------------------------

    def test_a_cache_of_another_platform_is_passed_over_unless_cross_platform(self):
        key = PREFIX + "archive.tar.zst"
        self.rebuild_key(key, {"native.node": b"\x7fELF" + b"\0" * 100})
        self.set_platform(key, "linux/arm64" if os.uname().machine == "x86_64" else "linux/amd64")
        ws = self.path("ws")
        os.makedirs(ws)
        outputs = self.path("outputs.env")
        env = dict(self.env("restore"), VELA_OUTPUTS=outputs)
        proc = self.assertRan(run_cli(env=env, cwd=ws))
        self.assertRegex(proc.stderr, rf"passed over {re.escape(self.uri(key))}: it was written on linux/\w+ and "
                                      rf"this is linux/\w+ .*cross_platform: true")
        self.assertIn("cache miss", proc.stderr)
        self.assertEqual(os.listdir(ws), [])
        with open(outputs) as f:
            self.assertIn("S3_CACHE_HIT=false", f.read())
        self.assertNotIn(key + MARKER, self.listing())  # not a use

        proc = self.run_action("restore", cwd=ws, cross_platform="true")
        self.assertIn("cache hit: restored", proc.stderr)
        self.assertTrue(os.path.exists(os.path.join(ws, "node_modules/native.node")))

        # This platform's rebuild replaces the foreign cache although the files are the same.
        proc = self.run_action("rebuild", cwd=ws, mount="node_modules")
        self.assertIn("uploaded", proc.stderr)

    def test_a_go_plugin_archive_without_a_record_restores(self):
        data = io.BytesIO()
        with tarfile.open(fileobj=data, mode="w:gz") as tar:
            body = b"console.log(1)\n"
            info = tarfile.TarInfo("node_modules/x/index.js")
            info.size = len(body)
            tar.addfile(info, io.BytesIO(body))
        self.put(PREFIX + "archive.tgz", data.getvalue())
        ws = self.path("ws")
        os.makedirs(ws)
        proc = self.run_action("restore", cwd=ws)
        self.assertIn("cache hit: restored", proc.stderr)
        with open(os.path.join(ws, "node_modules/x/index.js"), "rb") as f:
            self.assertEqual(f.read(), b"console.log(1)\n")


class FileStoreLifecycle(LifecycleMixin, TempDirTestCase):
    BACKEND = "file"

    def test_a_store_that_refuses_the_record_warns_once_and_restores(self):
        key = PREFIX + "archive.tar.zst"
        self.rebuild_key(key, {"a.js": b"a"})
        subprocess.run(["chmod", "-R", "a-w,a+rX", self.store], check=True)
        self.addCleanup(subprocess.run, ["chmod", "-R", "u+w", self.store])
        ws = self.path("ws")
        os.makedirs(ws)
        command = [os.environ["S3CACHE_CLI"]]
        if os.geteuid() == 0:  # root writes anyway: restore as nobody, as a read-only mount would
            os.chmod(self.tmp, 0o755)
            os.chown(ws, 65534, 65534)
            command = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] + command
        proc = subprocess.run(command, env=self.env("restore"), cwd=ws, capture_output=True, text=True, timeout=120)
        self.assertRan(proc)
        self.assertIn("cache hit: restored", proc.stderr)
        self.assertEqual(proc.stderr.count("WARN"), 1, proc.stderr)
        self.assertRegex(proc.stderr, r"WARN  could not record the use of \S+: .*Permission denied.*record_use: false")
        self.assertNotIn("QFile", proc.stderr)
        self.assertTrue(os.path.exists(os.path.join(ws, "node_modules/a.js")))


class MotoLifecycle(LifecycleMixin, TempDirTestCase):
    BACKEND = "moto"


class S3rverLifecycle(LifecycleMixin, TempDirTestCase):
    BACKEND = "s3rver"


if __name__ == "__main__":
    unittest.main()
