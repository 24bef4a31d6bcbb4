"""Real workspaces that a restore must not trip over, and a restore killed at any instant of its
merge: read-only folders (Go's module cache), mode-000 folders, a folder that is a volume of
another file system, and kill -9 between any two steps (the next run puts everything back)."""
import glob
import io
import os
import shutil
import subprocess
import tarfile
import time
import unittest

from common import CLI, TempDirTestCase, clean_env, run_cli, snapshot, wait_until, write

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


class Workspaces(TempDirTestCase):
    def env(self, action, mounts, **extra):
        return clean_env(PARAMETER_ACTION=action, PARAMETER_SERVER="file://" + self.path("store"), PARAMETER_ROOT="bkt",
                         VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp", PARAMETER_MOUNT=mounts, **extra)

    def rebuild_from(self, src, mounts):
        self.assertRan(run_cli(env=self.env("rebuild", mounts), cwd=src))

    def staging_dirs(self, root):
        return glob.glob(os.path.join(root, "**", ".s3cache-staging-*"), recursive=True)

    def test_read_only_and_mode_000_folders_restore_twice_as_their_owner(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to switch to the owner (uid 65534) of the workspace")
        src = self.path("src")
        mod = f"{src}/go/pkg/mod/example.com/lib@v1.2.3"
        write(f"{mod}/lib.go", b"package lib\n", mode=0o444)
        write(f"{src}/go/pkg/mod/cache/download/sum", b"h1:abc\n", mode=0o444)
        write(f"{src}/go/locked/inner/file", b"x")
        for d in [mod, os.path.dirname(mod), f"{src}/go/pkg/mod/cache/download"]:
            os.chmod(d, 0o555)
        os.chmod(f"{src}/go/locked/inner", 0o000)
        self.rebuild_from(src, "go")
        os.chmod(self.tmp, 0o755)
        subprocess.run(["chmod", "-R", "a+rX", self.path("store")], check=True)
        cli = shutil.copy(CLI, self.path("s3cache"))
        ws = self.path("ws")
        os.makedirs(ws)
        os.chown(ws, 65534, 65534)
        for attempt in ("into an empty workspace", "again, over the read-only tree of the first"):
            with self.subTest(attempt):
                # The store is root's and read-only to nobody: the use cannot be recorded there.
                env = dict(self.env("restore", "go"), PARAMETER_RECORD_USE="false")
                proc = subprocess.run(NOBODY + [cli], env=env, cwd=ws, capture_output=True, text=True, timeout=120)
                self.assertRan(proc)
                self.assertNotIn("WARN", proc.stderr)
                self.assertEqual(os.stat(f"{ws}/go/pkg/mod/example.com/lib@v1.2.3").st_mode & 0o777, 0o555)
                self.assertEqual(os.stat(f"{ws}/go/locked/inner").st_mode & 0o777, 0o000)
                self.assertEqual(self.staging_dirs(ws), [])
        for dirpath, dirnames, _ in os.walk(ws):  # so that the temporary folder can be removed
            for d in dirnames:
                os.chmod(os.path.join(dirpath, d), 0o755)

    def test_unreadable_files_are_left_out_with_a_warning_or_fail_with_strict(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to switch to the owner (uid 65534) of the workspace")
        ws = self.path("ws")
        write(f"{ws}/node_modules/ok.js", b"ok")
        write(f"{ws}/node_modules/locked.pem", b"secret", mode=0o000)
        write(f"{ws}/node_modules/closed/inner.js", b"inner")
        os.chmod(f"{ws}/node_modules/closed", 0o000)
        os.makedirs(self.path("store"))
        subprocess.run(["chown", "-R", "65534:65534", ws, self.path("store")], check=True)
        os.chmod(self.tmp, 0o755)
        cli = shutil.copy(CLI, self.path("s3cache"))
        strict = subprocess.run(NOBODY + [cli], env=self.env("rebuild", "node_modules", PARAMETER_STRICT="true"), cwd=ws,
                                capture_output=True, text=True, timeout=120)
        self.assertRan(strict, 1)
        self.assertIn("UnreadableFiles", strict.stderr)
        self.assertEqual(glob.glob(self.path("store", "bkt", "acme", "**", "archive.*"), recursive=True), [])
        proc = subprocess.run(NOBODY + [cli], env=self.env("rebuild", "node_modules"), cwd=ws, capture_output=True,
                              text=True, timeout=120)
        self.assertRan(proc)
        self.assertIn("node_modules/locked.pem cannot be read by this user: left out of the cache", proc.stderr)
        self.assertIn("node_modules/closed cannot be read by this user: left out of the cache", proc.stderr)
        restored = self.path("restored")
        os.makedirs(restored)
        self.assertRan(run_cli(env=self.env("restore", "node_modules"), cwd=restored))
        self.assertEqual(sorted(os.listdir(f"{restored}/node_modules")), ["ok.js"])
        os.chmod(f"{ws}/node_modules/closed", 0o755)

    def test_a_folder_on_another_file_system(self):
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a tmpfs")
        src = self.path("src")
        write(f"{src}/.gradle/caches/a.bin", b"a" * 1000)
        write(f"{src}/.gradle/caches/sub/b.txt", b"b")
        os.link(f"{src}/.gradle/caches/a.bin", f"{src}/.gradle/caches/a-link.bin")
        os.symlink("sub/b.txt", f"{src}/.gradle/caches/b-link")
        write(f"{src}/node_modules/x.js", b"x")
        self.rebuild_from(src, ".gradle,node_modules")
        ws = self.path("ws")
        os.makedirs(f"{ws}/.gradle")
        write(f"{ws}/.gradle/caches/sub/b.txt", b"old")
        write(f"{ws}/.gradle/mine.txt", b"not in the cache")
        if subprocess.run(["mount", "-t", "tmpfs", "tmpfs", f"{ws}/.gradle"], capture_output=True).returncode != 0:
            self.skipTest("the kernel refuses to mount a tmpfs here")
        self.addCleanup(subprocess.run, ["umount", f"{ws}/.gradle"])
        write(f"{ws}/.gradle/caches/sub/b.txt", b"old")
        write(f"{ws}/.gradle/mine.txt", b"not in the cache")
        os.chown(ws, 1000, 1000)  # entries copied onto the other file system take the workspace's owner too
        self.assertRan(run_cli(env=self.env("restore", ".gradle,node_modules"), cwd=ws))
        self.assertEqual(snapshot(f"{ws}/.gradle", skip=("mine.txt",)), snapshot(f"{src}/.gradle"))
        for copied in ("caches/a.bin", "caches/b-link", "caches/sub/b.txt"):
            self.assertEqual(os.lstat(f"{ws}/.gradle/{copied}").st_uid, 1000, copied)
        with open(f"{ws}/.gradle/mine.txt", "rb") as f:
            self.assertEqual(f.read(), b"not in the cache")
        a = os.stat(f"{ws}/.gradle/caches/a.bin")
        self.assertEqual(a.st_nlink, 2)
        self.assertNotEqual(a.st_dev, os.stat(ws).st_dev)
        self.assertEqual(self.staging_dirs(ws), [])

    def test_a_same_size_rewrite_in_the_same_second_on_a_whole_second_file_system(self):
        """ext4 with 128-byte inodes (as ext3, FAT, some NFS mounts) keeps whole-second times: a
        file rewritten with as many bytes in the second it was recorded keeps its whole stamp, so
        the content state must not have trusted it (the rebuild then skipped as "unchanged")."""
        if os.geteuid() != 0:
            self.skipTest("needs root to mount a file system image")
        image, src = self.path("ws.img"), self.path("src")
        os.makedirs(src)
        with open(image, "wb") as f:
            f.truncate(32 << 20)
        if subprocess.run(["mkfs.ext4", "-q", "-F", "-I", "128", image], capture_output=True).returncode != 0 or \
                subprocess.run(["mount", "-o", "loop", image, src], capture_output=True).returncode != 0:
            self.skipTest("cannot make and loop-mount an ext4 image here")
        self.addCleanup(subprocess.run, ["umount", src])
        target = f"{src}/gen/version.txt"
        for _ in range(10):  # the two writes must fall in one second; a loaded machine may miss
            self.assertTrue(wait_until(lambda: 0.2 < time.time() % 1 < 0.3, timeout=2, interval=0.002))
            write(target, b"build 1")
            before = os.lstat(target)
            self.rebuild_from(src, "gen")
            write(target, b"build 2")
            after = os.lstat(target)
            if (before.st_ctime_ns, before.st_mtime_ns, before.st_ino) == (after.st_ctime_ns, after.st_mtime_ns, after.st_ino):
                break
        else:
            self.skipTest("the rewrite never fell in the same second as the rebuild")
        self.assertEqual(after.st_ctime_ns % 10**9, 0, "the image keeps sub-second times")
        proc = self.assertRan(run_cli(env=self.env("rebuild", "gen"), cwd=src))
        self.assertNotIn("upload skipped", proc.stderr)
        ws = self.path("ws")
        os.makedirs(ws)
        self.assertRan(run_cli(env=self.env("restore", "gen"), cwd=ws))
        with open(f"{ws}/gen/version.txt", "rb") as f:
            self.assertEqual(f.read(), b"build 2")

    def test_restored_as_root_belongs_to_the_workspace_owner(self):
        if os.geteuid() != 0:
            self.skipTest("needs root: the workspace's owner is only given to entries when restoring as root")
        src = self.path("src")
        write(f"{src}/node_modules/pkg/index.js", b"module.exports = 1;\n")
        write(f"{src}/node_modules/pkg/lib/deep/x.js", b"x")
        os.makedirs(f"{src}/node_modules/.bin")
        os.symlink("../pkg/index.js", f"{src}/node_modules/.bin/pkg")
        write(f"{src}/keep/new.txt", b"n")
        self.rebuild_from(src, "node_modules,keep")

        def restore_into(name, **extra):
            ws = self.path(name)
            os.makedirs(f"{ws}/keep")
            os.chown(f"{ws}/keep", 1001, 1001)  # a folder that exists keeps its owner
            os.chown(ws, 1000, 1000)
            self.assertRan(run_cli(env=self.env("restore", "node_modules,keep", **extra), cwd=ws))
            return ws

        ws = restore_into("ws")
        owners = {}
        for d, dirs, files in os.walk(f"{ws}/node_modules"):
            for name in [d] + [os.path.join(d, n) for n in dirs + files]:
                st = os.lstat(name)
                owners[os.path.relpath(name, ws)] = (st.st_uid, st.st_gid)
        self.assertIn("node_modules/.bin/pkg", owners)
        self.assertEqual({o for o in owners.values()}, {(1000, 1000)}, owners)
        self.assertEqual(os.stat(f"{ws}/keep").st_uid, 1001)
        self.assertEqual(os.stat(f"{ws}/keep/new.txt").st_uid, 1000)
        # What `npm ci` as the workspace's user then does: change and remove what was restored.
        os.chmod(self.tmp, 0o755)
        as_user = ["setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"]
        subprocess.run(as_user + ["sh", "-c", f"echo y >> {ws}/node_modules/pkg/index.js && rm -r {ws}/node_modules/pkg"],
                       check=True)

        ws = restore_into("ws-root", PARAMETER_WORKSPACE_OWNER="false")
        self.assertEqual(os.stat(f"{ws}/node_modules/pkg/index.js").st_uid, 0)
        self.assertEqual(os.lstat(f"{ws}/node_modules/.bin/pkg").st_uid, 0)

    def test_sub_second_mtimes_round_trip(self):
        src = self.path("src")
        write(f"{src}/target/debug/app", b"\x7fELF")
        write(f"{src}/target/debug/whole", b"w")
        os.symlink("app", f"{src}/target/debug/current")
        stamps = {"target/debug/app": 1_700_000_000_123_456_789, "target/debug/whole": 1_700_000_000_000_000_000,
                  "target/debug": 1_700_000_001_987_654_321}
        os.utime(f"{src}/target/debug/current", ns=(1, 1_700_000_002_000_000_001), follow_symlinks=False)
        for rel, ns in stamps.items():
            os.utime(f"{src}/{rel}", ns=(ns, ns))
        stamps["target/debug/current"] = 1_700_000_002_000_000_001
        self.rebuild_from(src, "target")
        ws = self.path("ws")
        os.makedirs(ws)
        self.assertRan(run_cli(env=self.env("restore", "target"), cwd=ws))
        for rel, ns in stamps.items():
            self.assertEqual(os.lstat(f"{ws}/{rel}").st_mtime_ns, ns, rel)
        # An independent reader sees the same times in the archive (pax records).
        [archive] = glob.glob(self.path("store", "bkt", "acme", "webapp", "archive.tar.zst"))
        tar_bytes = subprocess.run(["zstd", "-dc", archive], check=True, capture_output=True).stdout
        with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as tar:
            app = tar.getmember("target/debug/app")
            self.assertEqual(app.pax_headers.get("mtime"), "1700000000.123456789")
            self.assertNotIn("mtime", tar.getmember("target/debug/whole").pax_headers)  # whole seconds: no record

    def test_killed_at_any_step_of_the_merge_is_rolled_back_by_the_next_run(self):
        src = self.path("src")
        write(f"{src}/node_modules/pkg/index.js", b"cached")
        write(f"{src}/node_modules/was-dir", b"a file in the cache")
        write(f"{src}/node_modules/new/x.js", b"new")
        write(f"{src}/.gradle/caches/c.bin", b"c")
        mounts = "node_modules,.gradle"
        self.rebuild_from(src, mounts)

        def workspace(name):
            ws = self.path(name)
            write(f"{ws}/node_modules/pkg/index.js", b"the workspace's", mtime=1_500_000_000)
            write(f"{ws}/node_modules/was-dir/inner.js", b"a directory in the workspace", mtime=1_500_000_000)
            write(f"{ws}/node_modules/only-here.js", b"kept", mtime=1_500_000_000)
            write(f"{ws}/.gradle/caches/c.bin", b"old c", mtime=1_500_000_000)
            write(f"{ws}/src/main.c", b"int main;", mtime=1_500_000_000)
            os.chmod(f"{ws}/node_modules/pkg", 0o555)
            return ws

        reference = workspace("reference")
        self.assertRan(run_cli(env=self.env("restore", mounts), cwd=reference))
        restored = snapshot(reference)

        line = 1
        while True:
            ws = workspace(f"ws{line}")
            before = snapshot(ws)
            proc = run_cli(env=self.env("restore", mounts, S3CACHE_TEST_KILL_AFTER_JOURNAL_LINE=str(line)), cwd=ws)
            if proc.returncode == 0:
                break  # the merge has fewer steps: every one was tried
            self.assertEqual(proc.returncode, -9, proc.stderr)
            with self.subTest(killed_after_line=line):
                stagings = self.staging_dirs(ws)
                self.assertEqual(len(stagings), 1)
                with open(os.path.join(stagings[0], "journal"), "rb") as f:
                    committed = f.read().endswith(b"committed\n")
                # The next run in that workspace, here a rebuild (which must not archive a half-restored
                # tree), rolls the merge back before it does anything; after the last step it only cleans up.
                rebuild = self.assertRan(run_cli(env=self.env("rebuild", mounts, PARAMETER_DRY_RUN="true"), cwd=ws))
                if committed:
                    self.assertNotIn("rolled back", rebuild.stderr)
                    self.assertEqual(snapshot(ws), restored)
                else:
                    self.assertIn("rolled back a restore", rebuild.stderr)
                    self.assertEqual(snapshot(ws), before)
                self.assertEqual(self.staging_dirs(ws), [])
                # ... and a restore then works.
                self.assertRan(run_cli(env=self.env("restore", mounts), cwd=ws))
                with open(f"{ws}/node_modules/pkg/index.js", "rb") as f:
                    self.assertEqual(f.read(), b"cached")
            line += 1
        self.assertGreater(line, 5)


if __name__ == "__main__":
    unittest.main()
