"""End to end: `mount` with globs and '!' excludes on a generated monorepo (several packages, each
with node_modules holding a .cache to leave out, dist folders with source maps), through the
environment as a Vela step sets it, against the file:// store and moto. An independent reader
(zstd + Python's tarfile) checks the archive holds exactly the selected paths, `inspect` lists the
same, a restore into an empty workspace gives them back, a change in an excluded folder is not
uploaded while one in an included folder is, hashFiles leaves out exactly what the mounts select,
and a glob that matches nothing warns."""
import hashlib
import io
import os
import subprocess
import tarfile
import unittest

from common import BackendMixin, TempDirTestCase, run_cli, snapshot, stored_keys, write

KEY = "acme/webapp/archive.tar.zst"
MOUNTS = ["**/node_modules", "!**/node_modules/.cache", "packages/*/dist", "!**/*.map"]
PACKAGES = ["web", "api", "docs"]


def make_monorepo(ws):
    """The workspace after `npm ci` and a build; returns the paths MOUNTS selects in it."""
    write(f"{ws}/package.json", b'{"workspaces": ["packages/*"]}\n')
    write(f"{ws}/package-lock.json", b'{"lockfileVersion": 3}\n')
    write(f"{ws}/src/main.js", b"console.log(1)\n")
    write(f"{ws}/node_modules/left-pad/index.js", b"module.exports = 1;\n", mtime=499_162_500)  # npm's pinned mtime
    write(f"{ws}/node_modules/.cache/babel/x.json", b"{}")
    os.symlink("../left-pad/index.js", f"{ws}/node_modules/.bin-left-pad")
    selected = {"node_modules", "node_modules/left-pad", "node_modules/left-pad/index.js", "node_modules/.bin-left-pad"}
    for p in PACKAGES:
        pkg = f"packages/{p}"
        write(f"{ws}/{pkg}/package.json", f'{{"name": "{p}"}}\n'.encode())
        write(f"{ws}/{pkg}/package-lock.json", f'{{"name": "{p}", "lockfileVersion": 3}}\n'.encode())
        write(f"{ws}/{pkg}/src/index.js", p.encode())
        write(f"{ws}/{pkg}/node_modules/dep-{p}/index.js", p.encode() * 100)
        # A dependency's own lock file inside a mount: hashFiles must not see it.
        write(f"{ws}/{pkg}/node_modules/dep-{p}/package-lock.json", b"inner " + p.encode())
        write(f"{ws}/{pkg}/node_modules/dep-{p}/node_modules/inner/index.js", b"nested node_modules")
        write(f"{ws}/{pkg}/node_modules/.cache/cache.bin", os.urandom(2048))
        nm = f"{pkg}/node_modules"
        selected |= {nm, f"{nm}/dep-{p}", f"{nm}/dep-{p}/index.js", f"{nm}/dep-{p}/package-lock.json",
                     f"{nm}/dep-{p}/node_modules", f"{nm}/dep-{p}/node_modules/inner",
                     f"{nm}/dep-{p}/node_modules/inner/index.js"}
    write(f"{ws}/packages/web/dist/app.js", b"app")
    write(f"{ws}/packages/web/dist/app.js.map", b"map")
    write(f"{ws}/packages/api/dist/server.js", b"server")
    selected |= {"packages/web/dist", "packages/web/dist/app.js", "packages/api/dist", "packages/api/dist/server.js"}
    # A symlinked folder is never walked into: its node_modules is only reachable through it.
    write(f"{ws}/../elsewhere/node_modules/outside.js", b"outside")
    os.symlink("../../elsewhere", f"{ws}/packages/linked")
    return selected


def sha256(data):
    return hashlib.sha256(data).hexdigest()


def hash_files(ws, paths):
    """What `sha256sum PATHS | sha256sum` prints, the paths sorted."""
    listing = ""
    for p in sorted(paths):
        with open(os.path.join(ws, p), "rb") as f:
            listing += f"{sha256(f.read())}  {p}\n"
    return sha256(listing.encode())


class MountGlobsMixin(BackendMixin):
    BUCKET_TAG = "globs"

    def setUp(self):
        super().setUp()
        self.ws = self.path("checkout", "ws")
        self.selected = make_monorepo(self.ws)

    def env(self, action, **params):
        params.setdefault("mount", MOUNTS)
        return super().env(action, **params)

    def run_step(self, action, ws=None, code=0, **params):
        return self.assertRan(run_cli(env=self.env(action, **params), cwd=ws or self.ws), code)

    def archived_paths(self, key=KEY):
        raw = subprocess.run(["zstd", "-dc"], input=self.get_object(key), capture_output=True, check=True).stdout
        with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
            return {m.name.rstrip("/") for m in tar.getmembers()}

    def inspected_paths(self):
        out = self.run_step("inspect").stdout
        listing = out.split("entries:\n", 1)[1].splitlines()[:-1]  # the last line counts them
        # "d0755        0 2026-12-01 22:00 path[ -> target]"
        return {line.split(None, 4)[4].split(" -> ")[0].rstrip("/") for line in listing}

    # -----------------------------------------------------------------------------------------

    def test_archive_and_inspect_hold_exactly_the_selection(self):
        proc = self.run_step("rebuild")
        self.assertIn("uploaded", proc.stderr)
        self.assertNotIn("matches nothing", proc.stderr)
        self.assertEqual(self.archived_paths(), self.selected)
        self.assertEqual(self.inspected_paths(), self.selected)

    def test_restore_into_an_empty_workspace(self):
        self.run_step("rebuild")
        empty = self.path("empty")
        os.makedirs(empty)
        proc = self.run_step("restore", ws=empty)
        self.assertIn("cache hit", proc.stderr)
        restored = snapshot(empty)
        original = snapshot(self.ws)
        # What was selected comes back as it was, with the folders above it; nothing else.
        folders = {"packages"} | {f"packages/{p}" for p in PACKAGES}
        self.assertEqual(set(restored), self.selected | folders)
        for p in self.selected:
            self.assertEqual(restored[p], original[p], p)

    def test_excluded_change_is_not_uploaded_included_change_is(self):
        self.assertIn("uploaded", self.run_step("rebuild").stderr)
        # Changes inside the excluded folders and files only: the fingerprint is the same.
        write(f"{self.ws}/packages/web/node_modules/.cache/cache.bin", os.urandom(2048))
        write(f"{self.ws}/packages/api/node_modules/.cache/new.bin", b"new")
        write(f"{self.ws}/node_modules/.cache/babel/x.json", b"[]")
        write(f"{self.ws}/packages/web/dist/app.js.map", b"another map")
        write(f"{self.ws}/src/main.js", b"console.log(2)\n")
        proc = self.run_step("rebuild")
        self.assertIn("cache unchanged", proc.stderr)
        self.assertNotIn("uploaded", proc.stderr)
        # A same-size edit of an included file (mtime pinned as npm does) is uploaded.
        write(f"{self.ws}/node_modules/left-pad/index.js", b"module.exports = 2;\n", mtime=499_162_500)
        proc = self.run_step("rebuild")
        self.assertIn("uploaded", proc.stderr)
        self.assertEqual(self.archived_paths(), self.selected)

    def test_hashfiles_leaves_out_what_the_mounts_select(self):
        template = 'npm-{{ hashFiles "**/package-lock.json" }}.tar.zst'
        locks = ["package-lock.json"] + [f"packages/{p}/package-lock.json" for p in PACKAGES]
        key = f"acme/webapp/npm-{hash_files(self.ws, locks)}.tar.zst"
        self.run_step("rebuild", filename=template)
        self.assertEqual(stored_keys(self.BACKEND, self.bucket, self.path("store")), [key])
        self.assertEqual(self.archived_paths(key), self.selected)
        # A fresh checkout (no node_modules, no dist) computes the same key and restores it.
        fresh = self.path("fresh")
        for p in locks:
            with open(os.path.join(self.ws, p), "rb") as f:
                write(f"{fresh}/{p}", f.read())
        proc = self.run_step("restore", ws=fresh, filename=template)
        self.assertIn("cache hit: restored", proc.stderr)
        self.assertIn(key, proc.stderr)
        self.assertTrue(os.path.exists(f"{fresh}/packages/api/node_modules/dep-api/index.js"))
        # What the mounts leave out is hashed: a lock file in an excluded .cache counts.
        write(f"{self.ws}/packages/web/node_modules/.cache/package-lock.json", b"cache lock")
        proc = self.run_step("config", filename=template)
        more = locks + ["packages/web/node_modules/.cache/package-lock.json"]
        self.assertIn(f"npm-{hash_files(self.ws, more)}.tar.zst", proc.stdout + proc.stderr)

    def test_glob_matching_nothing_warns(self):
        proc = self.run_step("rebuild", mount=MOUNTS + ["vendor/*/lib", "**/bower_components", "!**/nothing-here"])
        self.assertIn("mount vendor/*/lib matches nothing in", proc.stderr)
        self.assertIn("mount **/bower_components matches nothing in", proc.stderr)
        self.assertNotIn("mount !**/nothing-here", proc.stderr)  # an exclude that matches nothing is fine
        self.assertIn("uploaded", proc.stderr)
        self.assertEqual(self.archived_paths(), self.selected)
        # Nothing matched at all: a warning, exit 0, no object.
        proc = self.run_step("rebuild", path="acme/webapp/none.tar.zst", mount=["vendor/*/lib"])
        self.assertIn("mount vendor/*/lib matches nothing in", proc.stderr)
        self.assertIn("nothing to cache", proc.stderr)
        self.assertNotIn("acme/webapp/none.tar.zst", stored_keys(self.BACKEND, self.bucket, self.path("store")))


class FileStoreMountGlobs(MountGlobsMixin, TempDirTestCase):
    BACKEND = "file"


class MotoMountGlobs(MountGlobsMixin, TempDirTestCase):
    BACKEND = "moto"


class S3rverMountGlobs(MountGlobsMixin, TempDirTestCase):
    BACKEND = "s3rver"


if __name__ == "__main__":
    unittest.main()
