"""`timeout` is a deadline for the whole operation, on every store and in every phase, and
SIGTERM is honoured promptly: a rebuild or restore that takes longer stops with the timeout
error (or exit 130), and leaves the bucket (no object, no temporary file, no unfinished upload)
and the workspace as they were.

What makes the operations long is honest work, not a stub: a file of 8 GiB allocated with
fallocate (instant, and not sparse: a rebuild hashes and archives every byte, read as zeros
without disk I/O; a sparse file would be archived by its holes in no time), and an archive of
6 GiB of zeros (a few KiB of concatenated zstd frames) that a restore decompresses and writes
out. Without the deadline either takes several seconds even on a fast machine; with it, it
stops after about 1 s. The
tests assert the outcome (the error, what is left), not how long it took, except for a
generous bound on SIGTERM that a loaded 2-core machine stays far below."""
import os
import signal
import subprocess
import tarfile
import time

from common import CLI, MARKER, TempDirTestCase, boto, new_bucket, snapshot, stored_keys, vela_env, wait_until, write

BACKENDS = ("file", "moto")
KEY = "acme/webapp/archive.tar.zst"
ALLOCATED_SIZE = 8 << 30  # what a rebuild hashes and archives
RESTORE_SIZE = 6 << 30  # what a restore writes
ZERO_FRAME = 64 << 20


def zstd(data):
    return subprocess.run(["zstd", "-q", "-c", "-3"], input=data, capture_output=True, check=True).stdout


def zeros_archive(size):
    """A tar.zst holding big/zeros.bin, `size` zero bytes, as concatenated zstd frames."""
    assert size % ZERO_FRAME == 0
    directory = tarfile.TarInfo("big")
    directory.type, directory.mode, directory.mtime = tarfile.DIRTYPE, 0o755, 1_000_000_000
    member = tarfile.TarInfo("big/zeros.bin")
    member.size, member.mode, member.mtime = size, 0o644, 1_000_000_000
    headers = directory.tobuf(tarfile.PAX_FORMAT) + member.tobuf(tarfile.PAX_FORMAT)
    frame = zstd(bytes(ZERO_FRAME))
    # the data (a multiple of 512: no padding), then the end of the archive: two zero blocks
    return zstd(headers) + frame * (size // ZERO_FRAME) + zstd(bytes(1024))


class Deadline(TempDirTestCase):
    def env(self, backend, bucket, action, **params):
        if backend == "file":
            params["file_root"] = "file://" + self.path("store")
        return vela_env(backend, bucket, action, mount="big", **params)

    def bucket(self, backend):
        if backend == "file":
            return "bkt"
        return new_bucket(backend, "deadline")

    def allocated_workspace(self, name):
        ws = self.path(name)
        os.makedirs(os.path.join(ws, "big"))
        with open(os.path.join(ws, "big", "zeros.bin"), "wb") as f:
            # Reserved, never written: reads as zeros. Needs 8 GiB free in the temporary folder.
            os.posix_fallocate(f.fileno(), 0, ALLOCATED_SIZE)
        return ws

    def put_zeros_archive(self, backend, bucket):
        data = zeros_archive(RESTORE_SIZE)
        if backend == "file":
            write(self.path("store", bucket, KEY), data)
        else:
            boto(backend).put_object(Bucket=bucket, Key=KEY, Body=data)

    def old_workspace(self, name):
        ws = self.path(name)
        write(os.path.join(ws, "big", "old.txt"), b"old")
        write(os.path.join(ws, "src", "main.c"), b"int main;")
        return ws

    def assert_nothing_stored(self, backend, bucket):
        self.assertEqual(stored_keys(backend, bucket, self.path("store")), [])
        if backend == "file":
            for hidden in (".s3cache-tmp", ".s3cache-meta"):
                left = []
                for d, _, files in os.walk(self.path("store", bucket, hidden)):
                    left += files
                self.assertEqual(left, [], f"{hidden} keeps {left}")
        else:
            self.assertEqual(boto(backend).list_multipart_uploads(Bucket=bucket).get("Uploads", []), [])

    def run_cli(self, env, cwd):
        return subprocess.run([CLI], env=env, cwd=cwd, capture_output=True, text=True, timeout=600)

    def assert_timed_out(self, proc, code):
        self.assertRan(proc, code)
        self.assertIn("took longer than timeout: 1s", proc.stderr)
        self.assertIn("raise `timeout`", proc.stderr)
        self.assertNotIn("cancelled", proc.stderr)

    def test_rebuild_stops_at_the_timeout(self):
        ws = self.allocated_workspace("ws")
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket = self.bucket(backend)
                # A timeout is transient (the build goes on with a warning), as with S3 before.
                proc = self.run_cli(self.env(backend, bucket, "rebuild", timeout="1s"), ws)
                self.assert_timed_out(proc, 0)
                self.assertIn("WARN", proc.stderr)
                self.assertNotIn("uploaded", proc.stderr)
                self.assert_nothing_stored(backend, bucket)
                proc = self.run_cli(self.env(backend, bucket, "rebuild", timeout="1s", strict="true"), ws)
                self.assert_timed_out(proc, 1)
                self.assert_nothing_stored(backend, bucket)

    def test_restore_stops_at_the_timeout(self):
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket = self.bucket(backend)
                self.put_zeros_archive(backend, bucket)
                ws = self.old_workspace(f"ws-{backend}")
                before = snapshot(ws)
                proc = self.run_cli(self.env(backend, bucket, "restore", timeout="1s", strict="true"), ws)
                self.assert_timed_out(proc, 1)
                self.assertNotIn("cache hit", proc.stderr)
                self.assertEqual(snapshot(ws), before, "a restore stopped by its deadline changed the workspace")
                # The cache is untouched; the restore found it and recorded its use before the
                # download (so that a flush meanwhile keeps it): its only trace in the bucket.
                self.assertEqual(stored_keys(backend, bucket, self.path("store")), [KEY, KEY + MARKER])

    def interrupt(self, env, cwd, started):
        """Runs the CLI, sends SIGTERM once stderr shows `started`: (process, seconds from signal to exit)."""
        log = self.path(f"stderr-{time.monotonic_ns()}")
        with open(log, "w") as err:
            proc = subprocess.Popen([CLI], env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=err, text=True)
        def read():
            with open(log) as f:
                return f.read()
        self.assertTrue(wait_until(lambda: started in read() or proc.poll() is not None, timeout=120),
                        "the operation never started")
        self.assertIsNone(proc.poll(), f"finished before the signal:\n{read()}")
        proc.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        proc.wait(timeout=600)
        took = time.monotonic() - signalled
        return subprocess.CompletedProcess(proc.args, proc.returncode, "", read()), took

    def test_sigterm_stops_a_rebuild_soon(self):
        ws = self.allocated_workspace("ws")
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket = self.bucket(backend)
                proc, took = self.interrupt(self.env(backend, bucket, "rebuild"), ws, "upload:")
                self.assertRan(proc, 130)
                self.assertIn("cancelled; nothing was changed", proc.stderr)
                self.assertLess(took, 60, "SIGTERM took that long to stop the rebuild")
                self.assert_nothing_stored(backend, bucket)

    def test_sigterm_stops_a_restore_soon(self):
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket = self.bucket(backend)
                self.put_zeros_archive(backend, bucket)
                ws = self.old_workspace(f"ws-{backend}")
                before = snapshot(ws)
                proc, took = self.interrupt(self.env(backend, bucket, "restore"), ws, "restore:")
                self.assertRan(proc, 130)
                self.assertIn("cancelled; nothing was changed", proc.stderr)
                self.assertLess(took, 60, "SIGTERM took that long to stop the restore")
                self.assertEqual(snapshot(ws), before, "a cancelled restore changed the workspace")
