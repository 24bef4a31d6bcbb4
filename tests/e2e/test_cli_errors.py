"""Bad input and failing servers: one clear line naming the problem, the documented exit code,
nothing changed in the bucket or the workspace, and secrets never printed at any log level."""
import io
import os
import resource
import shutil
import signal
import socket
import re
import subprocess
import sys
import tarfile
import unittest

from common import (CLI, TempDirTestCase, boto, clean_env, make_tree, new_bucket, run_cli, server, snapshot, vela_env, write)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
from faultproxy import FaultProxy  # noqa: E402

SECRET = "Sup3rS3cretValue/With+Chars=XYZ"
TOKEN = "SessionTokenValueThatMustNeverLeak0123456789"


def closed_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class BadInput(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.ws = self.path("ws")
        make_tree(self.ws)
        self.before = snapshot(self.ws)

    def base(self, **extra):
        env = clean_env(PARAMETER_SERVER="file://" + self.path("store"), PARAMETER_ROOT="bkt",
                        VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp", PARAMETER_MOUNT="node_modules")
        env.update(extra)
        return env

    def check(self, env, code, *needles):
        proc = run_cli(env=env, cwd=self.ws)
        self.assertRan(proc, code)
        for n in needles:
            self.assertIn(n, proc.stderr)
        self.assertEqual(snapshot(self.ws), self.before, "the workspace changed")
        self.assertFalse(os.path.exists(self.path("store", "bkt", "acme")), "something was stored")
        return proc

    def test_usage_errors(self):
        cases = {
            "no action": ({}, ["action"]),
            "unknown action": ({"PARAMETER_ACTION": "explode"}, ["action", "explode"]),
            "no bucket": ({"PARAMETER_ACTION": "restore", "PARAMETER_ROOT": "",
                           "PARAMETER_SERVER": "http://127.0.0.1:9"}, ["bucket"]),
            "root and bucket differ": ({"PARAMETER_ACTION": "restore", "PARAMETER_BUCKET": "other"}, ["root", "bucket"]),
            "age fourteen": ({"PARAMETER_ACTION": "flush", "PARAMETER_AGE": "fourteen"}, ["age", "fourteen"]),
            "negative timeout": ({"PARAMETER_ACTION": "restore", "PARAMETER_TIMEOUT": "-5s"}, ["timeout"]),
            "key with ..": ({"PARAMETER_ACTION": "restore", "PARAMETER_PATH": "a/../b"}, ["path"]),
            "mount outside": ({"PARAMETER_ACTION": "rebuild", "PARAMETER_MOUNT": "../outside"}, ["mount", "../outside"]),
            "server ftp": ({"PARAMETER_ACTION": "restore", "PARAMETER_SERVER": "ftp://x"}, ["server", "ftp://x"]),
            "bad bool": ({"PARAMETER_ACTION": "flush", "PARAMETER_DRY_RUN": "maybe"}, ["dry_run", "maybe"]),
            "bad log level": ({"PARAMETER_ACTION": "restore", "PARAMETER_LOG_LEVEL": "loud"}, ["log_level", "loud"]),
        }
        for name, (extra, needles) in cases.items():
            with self.subTest(name):
                env = self.base()
                env.pop("PARAMETER_ACTION", None)
                env.update(extra)
                proc = self.check(env, 2, *needles)
                self.assertEqual(len([l for l in proc.stderr.splitlines() if "ERROR" in l]), 1, proc.stderr)

    def test_unknown_flag(self):
        proc = run_cli(["restore", "--bukket", "x"], env=clean_env())
        self.assertRan(proc, 2)
        self.assertIn("--bukket", proc.stderr)

    def test_unreachable_server_restore_warns(self):
        env = self.base(PARAMETER_ACTION="restore", PARAMETER_SERVER=f"http://127.0.0.1:{closed_port()}",
                        PARAMETER_TIMEOUT="20s", CACHE_S3_ACCESS_KEY="AKIAEXAMPLE", CACHE_S3_SECRET_KEY=SECRET)
        proc = self.check(env, 0, "WARN")
        env["PARAMETER_STRICT"] = "true"
        self.check(env, 1)
        self.assertNotIn(SECRET, proc.stderr + proc.stdout)

    def test_names_cannot_forge_lines_or_reach_the_terminal(self):
        # A hostile cache whose entry names carry a newline and a terminal escape (OSC title).
        forged = "2026-12-01T00:00:00.000Z INFO  cache hit: forged"
        names = [f"node_modules/evil\n{forged}", "node_modules/\x1b]0;owned\x07title"]
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz", format=tarfile.PAX_FORMAT) as tar:
            for name in names:
                info = tarfile.TarInfo(name)
                info.size = 1
                tar.addfile(info, io.BytesIO(b"x"))
        key_dir = self.path("store", "bkt", "acme", "webapp")
        os.makedirs(key_dir)
        with open(os.path.join(key_dir, "archive.tgz"), "wb") as f:
            f.write(buf.getvalue())
        proc = self.assertRan(run_cli(env=self.base(PARAMETER_ACTION="inspect", PARAMETER_FILENAME="archive.tgz")))
        out = proc.stdout + proc.stderr
        self.assertNotIn("\x1b", out)
        self.assertFalse([line for line in out.splitlines() if line.startswith(forged)], out)
        self.assertIn("node_modules/evil\\n" + forged, proc.stdout)
        self.assertIn("node_modules/\\x1b]0;owned\\x07title", proc.stdout)

    def test_full_disk_in_a_file_store_says_so(self):
        store = self.path("full")
        os.makedirs(store)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", store], capture_output=True).returncode:
            self.skipTest("cannot mount a tmpfs here (needs root)")
        self.addCleanup(subprocess.run, ["umount", "-l", store])
        write(os.path.join(self.ws, "node_modules", "blob.bin"), os.urandom(3 << 20))
        proc = run_cli(env=self.base(PARAMETER_ACTION="rebuild", PARAMETER_SERVER="file://" + store), cwd=self.ws)
        self.assertRan(proc, 1)
        self.assertIn("No space left on device", proc.stderr)
        self.assertEqual(os.listdir(os.path.join(store, "bkt", ".s3cache-tmp")), [], "a partial upload was left")

    def test_read_only_workspace(self):
        store = self.path("store")
        src = self.path("src")
        make_tree(src)
        self.assertRan(run_cli(env=self.base(PARAMETER_ACTION="rebuild", PARAMETER_SERVER="file://" + store), cwd=src))
        ro = self.path("ro")
        write(os.path.join(ro, "node_modules", "old.js"), b"old")
        for d in (ro, os.path.join(ro, "node_modules")):
            os.chmod(d, 0o555)
            self.addCleanup(os.chmod, d, 0o755)
        before = snapshot(ro)
        cmd = [CLI]
        if os.geteuid() == 0:
            # root ignores permission bits: run as nobody, from a copy nobody may execute.
            os.chmod(self.tmp, 0o755)
            subprocess.run(["chmod", "-R", "a+rX", store], check=True)
            cmd = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", shutil.copy(CLI, self.path("s3cache"))]
        proc = subprocess.run(cmd, env=self.base(PARAMETER_ACTION="restore", PARAMETER_SERVER="file://" + store),
                              cwd=ro, capture_output=True, text=True, timeout=120)
        self.assertRan(proc, 1)
        self.assertIn("Permission denied", proc.stderr)
        self.assertIn(ro, proc.stderr)
        self.assertEqual(snapshot(ro), before)

    def cached_tree(self):
        """A file:// store holding node_modules and .gradle of a fresh tree: (store, tree, mounts)."""
        store = "file://" + self.path("store")
        src = self.path("src")
        make_tree(src)
        mounts = "node_modules,.gradle"
        self.assertRan(run_cli(env=self.base(PARAMETER_ACTION="rebuild", PARAMETER_SERVER=store,
                                             PARAMETER_MOUNT=mounts), cwd=src))
        return store, src, mounts

    def test_disk_full_during_restore_keeps_workspace(self):
        """A write that fails half-way (here: the file size limit, as on a full disk) rolls back:
        the old folders stay exactly as they were and no staging files are left behind."""
        store, _, mounts = self.cached_tree()
        ws = self.path("old-ws")
        write(os.path.join(ws, "node_modules", "old.js"), b"old")
        write(os.path.join(ws, ".gradle", "old.bin"), b"o" * 1000)
        before = snapshot(ws)

        def limit_file_size():
            # The 3 MiB blob in .gradle cannot be written; SIGXFSZ ignored so write() fails (EFBIG).
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (1024 * 1024, 1024 * 1024))

        proc = subprocess.run([CLI], env=self.base(PARAMETER_ACTION="restore", PARAMETER_SERVER=store,
                                                   PARAMETER_MOUNT=mounts),
                              cwd=ws, capture_output=True, text=True, timeout=120, preexec_fn=limit_file_size)
        self.assertRan(proc, 1)
        self.assertIn("blob.bin", proc.stderr)
        self.assertIn("File too large", proc.stderr)
        self.assertEqual(snapshot(ws), before, "a failed restore changed the workspace")


    def test_restore_over_the_size_limit_is_refused(self):
        """max_restore_size caps what a restore may write (a decompression bomb, or a cache far
        bigger than expected): over it, the step fails naming the entry and the limit, and the
        workspace stays as it was; under it, the same archive restores."""
        store, src, mounts = self.cached_tree()
        ws = self.path("ws")
        write(os.path.join(ws, "node_modules", "old.js"), b"old")
        before = snapshot(ws)
        env = self.base(PARAMETER_ACTION="restore", PARAMETER_SERVER=store, PARAMETER_MOUNT=mounts)
        proc = self.assertRan(run_cli(env=dict(env, PARAMETER_MAX_RESTORE_SIZE="1MiB"), cwd=ws), 1)
        self.assertIn("ArchiveTooLarge", proc.stderr)
        self.assertIn("over the limit of 1048576 bytes", proc.stderr)
        self.assertEqual(snapshot(ws), before, "a refused restore changed the workspace")

        self.assertRan(run_cli(env=dict(env, PARAMETER_MAX_RESTORE_SIZE="100MiB"), cwd=ws))
        self.assertEqual(snapshot(os.path.join(ws, ".gradle")), snapshot(os.path.join(src, ".gradle")))


class ServerErrors(TempDirTestCase):
    def test_missing_bucket(self):
        ws = self.path("ws")
        make_tree(ws)
        for backend in ("moto", "s3rver"):
            with self.subTest(backend):
                env = vela_env(backend, "no-such-bucket-s3c", "restore")
                proc = self.assertRan(run_cli(env=env, cwd=ws), 1)
                self.assertIn("NoSuchBucket", proc.stderr)

    def test_wrong_access_key_s3rver(self):
        bucket = new_bucket("s3rver")
        env = vela_env("s3rver", bucket, "restore")
        env["CACHE_S3_ACCESS_KEY"] = "WRONGKEY"
        env["CACHE_S3_SECRET_KEY"] = SECRET
        proc = self.assertRan(run_cli(env=env, cwd=self.tmp), 1)
        self.assertIn("InvalidAccessKeyId", proc.stderr)
        self.assertNotIn(SECRET, proc.stderr + proc.stdout)

    def test_wrong_secret_moto_iam(self):
        bucket = new_bucket("moto_iam")
        ws = self.path("ws")
        make_tree(ws)
        env = vela_env("moto_iam", bucket, "rebuild", mount="node_modules")
        env["CACHE_S3_SECRET_KEY"] = SECRET
        proc = self.assertRan(run_cli(env=env, cwd=ws), 1)
        self.assertIn("SignatureDoesNotMatch", proc.stderr)
        self.assertNotIn(SECRET, proc.stderr + proc.stdout)
        self.assertEqual(boto("moto_iam").list_objects_v2(Bucket=bucket).get("KeyCount", 0), 0)


class Secrets(TempDirTestCase):
    """Every action at every log level, on success and failure paths: the secret key, the
    session token and request signatures never appear in the output."""

    def test_no_secret_in_any_output(self):
        ws = self.path("ws")
        make_tree(ws)
        s = server("moto")
        bucket = new_bucket("moto")
        good = {"PARAMETER_SERVER": s["endpoint"], "CACHE_S3_ACCESS_KEY": s["access_key"],
                "CACHE_S3_SECRET_KEY": SECRET, "CACHE_S3_SESSION_TOKEN": TOKEN}
        bad = dict(good, PARAMETER_SERVER=f"http://127.0.0.1:{closed_port()}", PARAMETER_TIMEOUT="5s")
        outputs = []
        for level in ("trace", "debug", "info", "error"):
            for target in (good, bad):
                for action in ("rebuild", "restore", "flush", "list", "inspect", "config"):
                    env = clean_env(PARAMETER_ACTION=action, PARAMETER_ROOT=bucket, PARAMETER_LOG_LEVEL=level,
                                    PARAMETER_MOUNT="node_modules", VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp",
                                    **target)
                    proc = run_cli(env=env, cwd=ws)
                    outputs.append(proc.stdout + proc.stderr)
                    self.assertNotIn(SECRET, proc.stdout + proc.stderr, f"{action} at {level}")
                    self.assertNotIn(TOKEN, proc.stdout + proc.stderr, f"{action} at {level}")
                    self.assertNotIn("Signature=", proc.stdout + proc.stderr, f"{action} at {level}")
        everything = "\n".join(outputs)
        self.assertIn("****", everything)  # config shows that secrets are set, masked

    def test_no_signature_or_key_through_a_checking_server(self):
        """moto_iam verifies every signature. Through the fault proxy, which records each request's
        Authorization header, every action runs at every log level with the right key (success),
        a wrong secret (SignatureDoesNotMatch), a session token the server does not know
        (InvalidToken), and 503s (retries logged): no output holds the secret, the token, or any signature that went on the wire."""
        ws = self.path("ws")
        make_tree(ws)
        s = server("moto_iam")
        bucket = new_bucket("moto_iam")
        proxy = FaultProxy(s["endpoint"]).start()
        self.addCleanup(proxy.stop)
        good = {"CACHE_S3_SECRET_KEY": s["secret_key"]}
        wrong = {"CACHE_S3_SECRET_KEY": SECRET}
        token = {"CACHE_S3_SECRET_KEY": s["secret_key"], "CACHE_S3_SESSION_TOKEN": TOKEN}
        secrets = [s["secret_key"], SECRET, TOKEN]
        outputs = []
        runs = 0
        for level in ("trace", "debug", "info", "warn", "error", "fatal", "panic"):
            for name, creds in (("good", good), ("wrong secret", wrong), ("session token", token),
                                ("throttled", good)):
                for action in ("rebuild", "restore", "flush", "list", "inspect", "config"):
                    proxy.clear()
                    if name == "throttled":  # retries log the failed requests
                        proxy.add_rule("status", times=2, status=503, code="SlowDown")
                    env = clean_env(PARAMETER_ACTION=action, PARAMETER_ROOT=bucket, PARAMETER_LOG_LEVEL=level,
                                    PARAMETER_SERVER=proxy.endpoint, CACHE_S3_ACCESS_KEY=s["access_key"],
                                    PARAMETER_MOUNT="node_modules", PARAMETER_TIMEOUT="20s", PARAMETER_AGE="30d",
                                    VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp", **creds)
                    proc = run_cli(env=env, cwd=ws)
                    runs += 1
                    out = proc.stdout + proc.stderr
                    outputs.append(out)
                    for secret in secrets:
                        self.assertNotIn(secret, out, f"{action} at {level} ({name})")
                    self.assertNotIn("Signature=", out, f"{action} at {level} ({name})")
                    # moto_iam rejects every bucket-level GET with a query (ListObjectsV2), even
                    # boto3's: list and flush fail there, which is one more failure path.
                    if name == "good" and action in ("rebuild", "restore"):
                        self.assertEqual(proc.returncode, 0, f"{action} at {level}: {out}")
                    if action == "rebuild" and level in ("trace", "info"):
                        if name == "wrong secret":
                            self.assertIn("SignatureDoesNotMatch", out)
                        if name == "session token":
                            self.assertIn("InvalidToken", out)
        signatures = {m.group(1) for _, _, _, auth in proxy.requests
                      for m in [re.search(r"Signature=([0-9a-f]{64})", auth)] if m}
        self.assertGreater(len(signatures), 50)
        everything = "\n".join(outputs)
        leaked = [sig for sig in signatures if sig in everything or sig[:16] in everything]
        self.assertEqual(leaked, [], "signatures in the output")
        sys.stderr.write(f"\nsecrets: {runs} runs, {len(signatures)} distinct signatures on the wire, "
                         f"{len(everything.splitlines())} output lines checked, 0 leaks\n")


class Tls(TempDirTestCase):
    """TLS verification is on by default: the loopback HTTPS server with a self-signed CA is
    refused without ca_bundle and accepted with it."""

    def test_self_signed_server_needs_the_ca_bundle(self):
        s = server("moto_tls")
        self.assertTrue(s["endpoint"].startswith("https://"))
        import boto3
        from botocore.config import Config as BotoConfig
        client = boto3.client("s3", endpoint_url=s["endpoint"], aws_access_key_id=s["access_key"],
                              aws_secret_access_key=s["secret_key"], region_name="us-east-1", verify=s["ca_bundle"],
                              config=BotoConfig(s3={"addressing_style": "path"}))
        bucket = "s3c-tls-" + os.urandom(4).hex()
        client.create_bucket(Bucket=bucket)
        ws = self.path("ws")
        make_tree(ws)
        before = snapshot(ws)
        base = clean_env(PARAMETER_SERVER=s["endpoint"], PARAMETER_ROOT=bucket, CACHE_S3_ACCESS_KEY=s["access_key"],
                         CACHE_S3_SECRET_KEY=s["secret_key"], VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp",
                         PARAMETER_MOUNT="node_modules")
        for action in ("rebuild", "restore", "list"):
            with self.subTest(f"{action} without ca_bundle"):
                proc = self.assertRan(run_cli(env=dict(base, PARAMETER_ACTION=action, PARAMETER_STRICT="true"), cwd=ws), 1)
                self.assertIn("TlsError", proc.stderr)
        self.assertEqual(client.list_objects_v2(Bucket=bucket).get("KeyCount", 0), 0)
        self.assertEqual(snapshot(ws), before)

        trusted = dict(base, PARAMETER_CA_BUNDLE=s["ca_bundle"])
        self.assertRan(run_cli(env=dict(trusted, PARAMETER_ACTION="rebuild"), cwd=ws))
        self.assertEqual(client.list_objects_v2(Bucket=bucket)["KeyCount"], 1)
        ws2 = self.path("ws2")
        os.makedirs(ws2)
        self.assertRan(run_cli(env=dict(trusted, PARAMETER_ACTION="restore", PARAMETER_FAIL_ON_MISS="true"), cwd=ws2))
        self.assertEqual(snapshot(ws2), snapshot(ws, skip=(".gradle", "src")))

        # A CA bundle that is not the server's CA is refused too.
        other = self.path("other-ca.pem")
        system_cas = "/etc/ssl/certs/ca-certificates.crt"
        if os.path.exists(system_cas):
            shutil.copy(system_cas, other)
            proc = self.assertRan(run_cli(env=dict(base, PARAMETER_ACTION="restore", PARAMETER_STRICT="true",
                                                   PARAMETER_CA_BUNDLE=other), cwd=ws2), 1)
            self.assertIn("TlsError", proc.stderr)


if __name__ == "__main__":
    unittest.main()
