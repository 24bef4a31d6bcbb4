"""End to end: cache keys that follow the code (issue 9) - templated filename/prefix, restore_keys
(newest object under the first prefix that has any), the default-branch fallback, lookup_only and
the VELA_OUTPUTS lines - with the real CLI against the file:// store, moto and s3rver."""
import hashlib
import os
import time
import unittest

from common import TempDirTestCase, boto, cache_keys, stored_keys, new_bucket, run_cli, snapshot, vela_env, wait_until, write

NPM = 'npm-{{ hashFiles "**/package-lock.json" }}.tar.zst'


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def hash_files(files):
    """What `sha256sum FILES | sha256sum` prints for {relative path: content}, sorted by path."""
    listing = "".join(f"{sha256(files[p])}  {p}\n" for p in sorted(files))
    return sha256(listing.encode())


class CacheKeysMixin:
    BACKEND = None

    def setUp(self):
        super().setUp()
        if self.BACKEND == "file":
            self.bucket = "caches"
            self.file_root = "file://" + self.path("store")
        else:
            self.bucket = new_bucket(self.BACKEND, "keys")
            self.s3 = boto(self.BACKEND)

    def env(self, action, **params):
        extra = {k: params.pop(k) for k in list(params) if k.startswith("VELA_")}
        if self.BACKEND == "file":
            params["file_root"] = self.file_root
        env = vela_env(self.BACKEND, self.bucket, action, **params)
        env.update(extra)
        return env

    def keys(self):
        return cache_keys(stored_keys(self.BACKEND, self.bucket, self.path("store")))

    def project(self, name, lock, deps=None):
        """A checkout with a lock file; `deps` fills node_modules (the mount) as an install would."""
        ws = self.path(name)
        write(f"{ws}/package-lock.json", lock)
        write(f"{ws}/src/index.js", b"console.log(1)\n")
        os.makedirs(f"{ws}/.git", exist_ok=True)
        write(f"{ws}/.git/package-lock.json", b"never hashed")
        if deps is not None:
            write(f"{ws}/node_modules/dep/index.js", deps)
            # A dependency's own lock file inside the mount must not change the key.
            write(f"{ws}/node_modules/dep/package-lock.json", b"inner " + deps)
        return ws

    def run_step(self, ws, action, code=0, **params):
        env = self.env(action, **params)
        env["VELA_OUTPUTS"] = os.path.join(ws + ".outputs")
        if os.path.exists(env["VELA_OUTPUTS"]):
            os.remove(env["VELA_OUTPUTS"])
        proc = self.assertRan(run_cli(env=env, cwd=ws), code)
        outputs = {}
        if os.path.exists(env["VELA_OUTPUTS"]):
            with open(env["VELA_OUTPUTS"]) as f:
                for line in f.read().splitlines():
                    name, _, value = line.partition("=")
                    outputs[name] = value
        return proc, outputs

    def npm_key(self, lock):
        return f"acme/webapp/npm-{hash_files({'package-lock.json': lock})}.tar.zst"

    # -----------------------------------------------------------------------------------------

    def test_exact_hit_outputs_and_skip_when_unchanged(self):
        lock = b'{"lockfileVersion": 3, "a": 1}\n'
        key = self.npm_key(lock)
        built = self.project("built", lock, deps=b"dep v1")
        proc, out = self.run_step(built, "rebuild", filename=NPM, mount=["node_modules"])
        self.assertIn("uploaded", proc.stderr)
        self.assertEqual(out, {"S3_CACHE_KEY": key})
        self.assertEqual(self.keys(), [key])

        # A fresh checkout of the same commit: exact hit, the mount comes back as it was.
        fresh = self.project("fresh", lock)
        proc, out = self.run_step(fresh, "restore", filename=NPM, mount=["node_modules"], restore_keys=["npm-"])
        self.assertIn("cache hit: restored", proc.stderr)
        self.assertEqual(out, {"S3_CACHE_HIT": "true", "S3_CACHE_MATCHED_KEY": key, "S3_CACHE_KEY": key})
        # Only the mount: the checkouts' own files were written at different times.
        self.assertEqual(snapshot(f"{fresh}/node_modules"), snapshot(f"{built}/node_modules"))
        self.assertEqual(len(snapshot(f"{fresh}/node_modules")), 3)

        # Rebuilding the restored tree: same key, same fingerprint, nothing uploaded.
        proc, out = self.run_step(fresh, "rebuild", filename=NPM, mount=["node_modules"])
        self.assertIn("cache unchanged", proc.stderr)
        self.assertEqual(out, {"S3_CACHE_KEY": key})
        self.assertEqual(self.keys(), [key])

        # `s3cache config` shows the evaluated key and the template.
        proc = self.assertRan(run_cli(env=self.env("config", filename=NPM, mount=["node_modules"]), cwd=fresh))
        self.assertIn("key:         " + key + "\n", proc.stdout)
        self.assertIn("template '" + NPM + "'", proc.stdout)

    def test_restore_keys_newest_wins_and_rebuild_writes_the_new_key(self):
        old_lock, new_lock, next_lock = b"lock 1\n", b"lock 2\n", b"lock 3\n"
        for name, lock, deps in [("old", old_lock, b"old deps"), ("new", new_lock, b"new deps")]:
            ws = self.project(name, lock, deps=deps)
            self.run_step(ws, "rebuild", filename=NPM, mount=["node_modules"])
            t = time.time()
            wait_until(lambda: time.time() - t > 1.5, timeout=5)  # LastModified has 1 s resolution
        # Something under another restore key that is not tried because an earlier one has objects.
        other = self.project("other", b"other\n", deps=b"other deps")
        self.run_step(other, "rebuild", filename="other-x.tar.zst", mount=["node_modules"])

        ws = self.project("next", next_lock)
        proc, out = self.run_step(ws, "restore", filename=NPM, restore_keys=["nomatch-", "npm-", "other-"])
        self.assertIn("partial cache hit", proc.stderr)
        self.assertEqual(out, {"S3_CACHE_HIT": "false", "S3_CACHE_MATCHED_KEY": self.npm_key(new_lock),
                               "S3_CACHE_KEY": self.npm_key(next_lock)})
        with open(f"{ws}/node_modules/dep/index.js", "rb") as f:
            self.assertEqual(f.read(), b"new deps")

        # lookup_only reports the same without touching the workspace.
        empty = self.project("lookup", next_lock)
        before = snapshot(empty)
        proc, out = self.run_step(empty, "restore", filename=NPM, restore_keys="npm-", lookup_only="true")
        self.assertIn("lookup only", proc.stderr)
        self.assertEqual(out["S3_CACHE_HIT"], "false")
        self.assertEqual(out["S3_CACHE_MATCHED_KEY"], self.npm_key(new_lock))
        self.assertEqual(snapshot(empty), before)

        # The build changed the lock file: rebuild writes the new key, the old ones stay.
        write(f"{ws}/node_modules/dep/index.js", b"next deps")
        proc, out = self.run_step(ws, "rebuild", filename=NPM, mount=["node_modules"])
        self.assertIn("uploaded", proc.stderr)
        self.assertEqual(out, {"S3_CACHE_KEY": self.npm_key(next_lock)})
        self.assertEqual(self.keys(), sorted([self.npm_key(old_lock), self.npm_key(new_lock),
                                              self.npm_key(next_lock), "acme/webapp/other-x.tar.zst"]))

    def test_default_branch_fallback(self):
        template = "{{ .Build.Branch }}/deps-{{ checksum \"package-lock.json\" }}.tar.zst"
        lock = b"same lock\n"
        digest = sha256(lock)
        main = self.project("main", lock, deps=b"main deps")
        self.run_step(main, "rebuild", filename=template, mount=["node_modules"],
                      VELA_BUILD_BRANCH="main", VELA_REPO_BRANCH="main")
        main_key = f"acme/webapp/main/deps-{digest}.tar.zst"
        self.assertEqual(self.keys(), [main_key])

        # A new branch has no cache: it starts from the default branch's.
        feature = self.project("feature", lock)
        branch_env = dict(VELA_BUILD_BRANCH="feature/login", VELA_REPO_BRANCH="main")
        proc, out = self.run_step(feature, "restore", filename=template, **branch_env)
        self.assertIn("default branch main", proc.stderr)
        feature_key = f"acme/webapp/feature/login/deps-{digest}.tar.zst"
        self.assertEqual(out, {"S3_CACHE_HIT": "false", "S3_CACHE_MATCHED_KEY": main_key, "S3_CACHE_KEY": feature_key})
        with open(f"{feature}/node_modules/dep/index.js", "rb") as f:
            self.assertEqual(f.read(), b"main deps")

        # Once the branch has its own cache (here under a restore key), it wins over the default branch.
        write(f"{feature}/node_modules/dep/index.js", b"feature deps")
        self.run_step(feature, "rebuild", filename=template, mount=["node_modules"], **branch_env)
        self.assertEqual(self.keys(), sorted([main_key, feature_key]))
        changed = self.project("changed", b"changed lock\n")
        proc, out = self.run_step(changed, "restore", filename=template,
                                  restore_keys=["{{ .Build.Branch }}/deps-"], **branch_env)
        self.assertEqual(out["S3_CACHE_MATCHED_KEY"], feature_key)
        self.assertEqual(out["S3_CACHE_HIT"], "false")
        with open(f"{changed}/node_modules/dep/index.js", "rb") as f:
            self.assertEqual(f.read(), b"feature deps")

        # On the default branch itself there is nothing to fall back to.
        other = self.project("other", b"changed lock\n")
        proc, out = self.run_step(other, "restore", filename=template, VELA_BUILD_BRANCH="main", VELA_REPO_BRANCH="main")
        self.assertIn("cache miss", proc.stderr)
        self.assertEqual(out["S3_CACHE_MATCHED_KEY"], "")

    def test_miss_outputs_and_fail_on_miss(self):
        ws = self.project("ws", b"lock\n")
        before = snapshot(ws)
        proc, out = self.run_step(ws, "restore", filename=NPM, restore_keys=["npm-", "{{ os }}-"])
        self.assertIn("cache miss", proc.stderr)
        self.assertEqual(out, {"S3_CACHE_HIT": "false", "S3_CACHE_MATCHED_KEY": "", "S3_CACHE_KEY": self.npm_key(b"lock\n")})
        self.assertEqual(snapshot(ws), before)
        self.run_step(ws, "restore", 1, filename=NPM, restore_keys=["npm-"], fail_on_miss="true")
        self.run_step(ws, "restore", 1, filename=NPM, lookup_only="true", fail_on_miss="true")

    def test_bad_template_stops_before_any_request(self):
        ws = self.project("ws", b"lock\n")
        proc, out = self.run_step(ws, "restore", 2, filename='deps-{{ checksum "go.sum" }}.tar.zst')
        self.assertIn("filename: cannot evaluate template 'deps-{{ checksum \"go.sum\" }}.tar.zst' "
                      "(from PARAMETER_FILENAME): position 6: checksum: 'go.sum' does not exist", proc.stderr)
        self.assertEqual(out, {})
        proc, _ = self.run_step(ws, "rebuild", 2, mount=["node_modules"], prefix="{{ .Build.Branch | lower }}")
        self.assertIn("prefix: cannot evaluate template '{{ .Build.Branch | lower }}' (from PARAMETER_PREFIX): "
                      "position 18: unexpected '|'", proc.stderr)
        self.assertEqual(self.keys(), [])

    def test_pipelines_without_templates_are_unchanged(self):
        ws = self.project("ws", b"lock\n", deps=b"deps")
        _, out = self.run_step(ws, "rebuild", mount=["node_modules"])
        self.assertEqual(out, {"S3_CACHE_KEY": "acme/webapp/archive.tar.zst"})
        fresh = self.project("fresh", b"lock\n")
        proc, out = self.run_step(fresh, "restore", VELA_BUILD_BRANCH="dev", VELA_REPO_BRANCH="main")
        self.assertIn("cache hit: restored", proc.stderr)
        self.assertNotIn("if it is missing", proc.stderr)
        self.assertEqual(out, {"S3_CACHE_HIT": "true", "S3_CACHE_MATCHED_KEY": "acme/webapp/archive.tar.zst",
                               "S3_CACHE_KEY": "acme/webapp/archive.tar.zst"})


class FileStoreCacheKeys(CacheKeysMixin, TempDirTestCase):
    BACKEND = "file"


class MotoCacheKeys(CacheKeysMixin, TempDirTestCase):
    BACKEND = "moto"


class S3rverCacheKeys(CacheKeysMixin, TempDirTestCase):
    BACKEND = "s3rver"


if __name__ == "__main__":
    unittest.main()
