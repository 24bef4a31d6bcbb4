"""Fault injection: the CLI talks to a real moto or s3rver on 127.0.0.1 through tests/fault's
proxy, which drops, stalls, truncates, corrupts, delays, throttles and skews on cue. Every
scenario checks what matters afterwards with an independent client (boto3) and a clean restore:
the bucket holds the old or the new cache object, whole and valid; the workspace is either
restored exactly or untouched; no multipart upload is left behind (except after kill -9, which
no program can clean up after: the bucket lifecycle rule in the README does).

The figures (faults injected per kind, outcome, bytes lost) are written to fault-report.md next
to the test-server state file and printed at the end.

The stalled-download scenario (inactivity timeout, not the whole deadline) needs a short
inactivity timeout, which only the library exposes: tests/integration/cache/tst_faults.cpp.
"""
import collections
import json
import os
import signal
import subprocess
import sys
import unittest
from concurrent.futures import ThreadPoolExecutor

from common import (CLI, TempDirTestCase, boto, make_tree, new_bucket, run_cli, server, snapshot, vela_env, wait_until,
                    write)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fault"))
from faultproxy import FaultProxy  # noqa: E402

KEY = "acme/webapp/archive.tar.zst"
MiB = 1024 * 1024
BACKENDS = tuple(os.environ.get("FAULT_BACKENDS", "moto,s3rver").split(","))
REPORT = []  # rows: scenario, backend, faults (Counter), outcome, bytes lost


def part(n):
    return rf"(^|&)partNumber={n}(&|$)"


def big_tree(root, mib, marker):
    """A workspace whose archive needs several 16 MiB parts (random data does not compress)."""
    for i in range(mib):
        write(f"{root}/node_modules/blob{i:02d}.bin", os.urandom(MiB))
    # Distinct size and mtime: the fingerprint (paths, sizes, mtimes, modes) tells trees apart.
    write(f"{root}/node_modules/marker-{marker.replace(' ', '-')}.txt", marker.encode() * 10,
          mtime=1_500_000_000 + sum(marker.encode()))


def file_bytes(snap, rel_paths=None):
    return sum(v[2] for k, v in snap.items() if v[0] == "file" and (rel_paths is None or k in rel_paths))


def workspace_loss(expected, actual):
    """Bytes of files that are not as expected (missing, different or unexpected)."""
    lost = 0
    for path, entry in expected.items():
        if actual.get(path) != entry and entry[0] == "file":
            lost += entry[2]
    for path, entry in actual.items():
        if path not in expected and entry[0] == "file":
            lost += entry[2]
    return lost


class FaultCase(TempDirTestCase):
    def proxy(self, backend):
        p = FaultProxy(server(backend)["endpoint"]).start()
        self.addCleanup(p.stop)
        return p

    def env(self, backend, bucket, action, proxy=None, **params):
        env = vela_env(backend, bucket, action, **params)
        if proxy is not None:
            env["PARAMETER_SERVER"] = proxy.endpoint
        return env

    def rebuild(self, backend, bucket, ws, proxy=None, code=0, **params):
        return self.assertRan(run_cli(env=self.env(backend, bucket, "rebuild", proxy, mount="node_modules", **params),
                                      cwd=ws), code)

    def restore_snapshot(self, backend, bucket):
        """What a clean, fault-free restore of the current object gives."""
        ws = self.path(f"check-{len(os.listdir(self.tmp))}")
        os.makedirs(ws)
        self.assertRan(run_cli(env=self.env(backend, bucket, "restore", strict="true", fail_on_miss="true"), cwd=ws))
        return snapshot(ws)

    def object_bytes(self, backend, bucket):
        return boto(backend).get_object(Bucket=bucket, Key=KEY)["Body"].read()

    def open_uploads(self, backend, bucket):
        if backend != "moto":
            return None  # s3rver implements neither ListMultipartUploads nor AbortMultipartUpload
        return boto(backend).list_multipart_uploads(Bucket=bucket).get("Uploads", [])

    def record(self, scenario, backend, proxy, outcome, lost):
        REPORT.append((scenario, backend, collections.Counter(proxy.injected) if proxy else collections.Counter(),
                       outcome, lost))

    def start_cli(self, env, cwd):
        return subprocess.Popen([CLI], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def finish(self, proc, timeout=120):
        out, err = proc.communicate(timeout=timeout)
        return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


class RebuildFaults(FaultCase):
    def test_transient_failures_on_parts_are_retried(self):
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket = new_bucket(backend, "fault")
                ws = self.path(backend, "ws")
                big_tree(ws, 36, "new")  # 3 parts: 16 + 16 + 4 MiB
                p = self.proxy(backend)
                p.add_rule("skew_date", times=1, skew_s=600)  # the first request: HEAD
                p.add_rule("status", method="POST", query=r"(^|&)uploads", status=503, code="SlowDown")
                p.add_rule("status", method="PUT", query=part(1), times=2, status=503, code="SlowDown")
                p.add_rule("status", method="PUT", query=part(2), status=500, code="InternalError")
                p.add_rule("drop_request", method="PUT", query=part(2))
                p.add_rule("status", method="PUT", query=part(3), status=400, code="RequestTimeout")
                p.add_rule("delay", method="PUT", query=part(3), ms=300)
                p.add_rule("status", method="POST", query=r"(^|&)uploadId=", status=500, code="InternalError")
                proc = self.rebuild(backend, bucket, ws, p)
                self.assertIn("retrying", proc.stderr)
                self.assertEqual(sum(p.injected.values()), 9, dict(p.injected))
                restored = self.restore_snapshot(backend, bucket)
                expected = snapshot(ws)
                self.assertEqual(restored, expected)
                self.assertFalse(self.open_uploads(backend, bucket))
                self.record("rebuild, transient faults on HEAD/create/parts/complete", backend, p,
                            "exit 0, retried, object restores exactly", workspace_loss(expected, restored))

    def test_upload_refused_before_its_body_says_why(self):
        # A server that refuses a part from its headers (S3's 403 under a bucket policy, a
        # proxy's 413) answers before it has taken the body and closes: the client's writes then
        # fail on a reset connection. What it answered must reach the user, not "connection
        # closed". Plain http goes through s3cache's own exchange, which reads that answer; over
        # https Qt's stack loses it, and the same part sent again without its body gets it.
        ca = server("moto_tls")["ca_bundle"]
        tls = tuple(os.path.join(os.path.dirname(ca), name) for name in ("server.pem", "server.key"))
        for backend, https in [(b, False) for b in BACKENDS] + [("moto", True)]:
            with self.subTest(backend=backend, https=https):
                bucket, old_object, ws = self._cached_then_changed(backend, backend + ("-https" if https else ""))
                p = FaultProxy(server(backend)["endpoint"], tls=tls if https else None).start()
                self.addCleanup(p.stop)
                p.add_rule("early_status", method="PUT", query=part(1), times=-1, status=403, code="AccessDenied",
                           message="Access Denied by the bucket policy")
                proc = self.rebuild(backend, bucket, ws, p, code=1, **({"ca_bundle": ca} if https else {}))
                self.assertIn("Access Denied by the bucket policy", proc.stderr)
                self.assertIn("(AccessDenied, HTTP 403", proc.stderr)
                self.assertIn("check the bucket policy", proc.stderr)  # the code's hint
                if https:
                    self.assertIn("without its body got this answer", proc.stderr)
                else:
                    self.assertNotIn("closed the connection", proc.stderr)
                    self.assertEqual(p.injected["early_status"], 1, "a refusal is not retried")
                self.assertEqual(self.object_bytes(backend, bucket), old_object)
                self.assertFalse(self.open_uploads(backend, bucket))
                self.record("rebuild: part refused before its body (403, then reset)" + (", https" if https else ""),
                            backend, p, "exit 1 naming AccessDenied, old object intact", 0)

        # A limit on the body's size (a proxy's 413): the part without its body goes through,
        # and the error says what that means.
        bucket, old_object, ws = self._cached_then_changed("moto", "moto-https-413")
        p = FaultProxy(server("moto")["endpoint"], tls=tls).start()
        self.addCleanup(p.stop)
        p.add_rule("early_status", method="PUT", query=part(1), times=-1, min_length=1024 * 1024, status=413,
                   code="RequestEntityTooLarge", message="Request Entity Too Large")
        proc = self.rebuild("moto", bucket, ws, p, ca_bundle=ca)  # a network error: a warning, exit 0
        self.assertIn("Connection closed", proc.stderr)
        self.assertIn("the same part without its body went through", proc.stderr)
        self.assertIn("client_max_body_size", proc.stderr)
        self.assertEqual(self.object_bytes("moto", bucket), old_object)
        self.assertFalse(self.open_uploads("moto", bucket))
        self.record("rebuild: parts over a body-size limit refused (413, then reset), https", "moto", p,
                    "warning naming a body-size limit, old object intact", 0)

    def test_stalled_head_neither_delays_a_failed_scan_nor_outlives_sigterm(self):
        # The rebuild sends its HEAD while it scans the tree. A scan that fails must not wait for
        # a HEAD that never gets an answer (the inactivity timeout is 60 s, the communicate()
        # bound 30 s), and a SIGTERM while it waits for it must end the run.
        backend = "moto"
        bucket = new_bucket(backend, "fault")
        ws = self.path("ws")
        make_tree(ws)
        p = self.proxy(backend)
        p.add_rule("stall", method="HEAD", times=-1)
        os.symlink("node_modules", os.path.join(ws, "link"))  # a mount through it fails the scan
        proc = self.start_cli(self.env(backend, bucket, "rebuild", p, mount="link/pkg1"), ws)
        result = self.finish(proc, timeout=30)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("passes through the symbolic link link", result.stderr)

        p = self.proxy(backend)  # a fresh count
        p.add_rule("stall", method="HEAD", times=-1)
        proc = self.start_cli(self.env(backend, bucket, "rebuild", p, mount="node_modules"), ws)
        self.assertTrue(p.wait_injected("stall", 1), "the rebuild never sent its HEAD")
        proc.send_signal(signal.SIGTERM)
        result = self.finish(proc, timeout=30)
        self.assertEqual(result.returncode, 130, result.stderr)
        self.assertFalse(boto(backend).list_objects_v2(Bucket=bucket).get("Contents"))
        self.record("rebuild: HEAD stalled (failed scan, then SIGTERM)", backend, p,
                    "scan error at once; exit 130, nothing written", 0)

    def _cached_then_changed(self, backend, folder=None):
        """A bucket with a cache object, and a changed workspace whose archive needs 3 parts
        (under `folder`, by default the backend's name)."""
        bucket = new_bucket(backend, "fault")
        old_ws = self.path(folder or backend, "old")
        make_tree(old_ws)
        self.rebuild(backend, bucket, old_ws)
        ws = self.path(folder or backend, "new")
        big_tree(ws, 36, "new")
        return bucket, self.object_bytes(backend, bucket), ws

    def _interrupted_rebuild(self, backend, sig):
        bucket, old_object, ws = self._cached_then_changed(backend)
        p = self.proxy(backend)
        p.add_rule("stall", method="PUT", query=part(2))
        proc = self.start_cli(self.env(backend, bucket, "rebuild", p, mount="node_modules"), ws)
        self.assertTrue(p.wait_injected("stall"), "the upload never reached part 2")
        proc.send_signal(sig)
        result = self.finish(proc)
        after = self.object_bytes(backend, bucket)
        self.assertEqual(after, old_object, "the previous cache object changed")
        lost = 0 if after == old_object else len(old_object)
        return bucket, ws, p, result, lost

    def test_sigterm_mid_upload_aborts_and_keeps_the_old_object(self):
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket, ws, p, result, lost = self._interrupted_rebuild(backend, signal.SIGTERM)
                self.assertEqual(result.returncode, 130, result.stderr)
                # One abort, sent again only when the server failed it: parts that were on the wire
                # when the client gave up still reach the server, and moto can answer an abort
                # that races with them with a 500 (the S3 docs also say to repeat an abort then).
                statuses = [a[3] for a in p.matching_answers("DELETE", r"(^|&)uploadId=")]
                self.assertTrue(statuses, "SIGTERM must abort the multipart upload")
                self.assertTrue(all(s >= 500 for s in statuses[:-1]), f"abort sent again after a success: {statuses}")
                self.assertLess(statuses[-1], 500, f"the abort never succeeded: {statuses}")
                self.assertEqual(self.open_uploads(backend, bucket) or [], [], "orphaned multipart upload")
                # The next run simply works.
                self.rebuild(backend, bucket, ws)
                self.assertEqual(self.restore_snapshot(backend, bucket), snapshot(ws))
                self.assertFalse(self.open_uploads(backend, bucket))
                outcome = ("exit 130, upload aborted, old object intact" if backend == "moto" else
                           "exit 130, abort sent (s3rver: 405, no multipart API), old object intact")
                self.record("rebuild killed by SIGTERM mid-upload", backend, p, outcome, lost)

    def test_kill_9_mid_upload_keeps_the_old_object(self):
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket, ws, p, result, lost = self._interrupted_rebuild(backend, signal.SIGKILL)
                self.assertEqual(result.returncode, -signal.SIGKILL)
                orphans = self.open_uploads(backend, bucket)
                if backend == "moto":
                    self.assertEqual(len(orphans), 1)  # nobody is left to abort it
                    # The README's lifecycle rule is what cleans it up; the store accepts it.
                    boto(backend).put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={
                        "Rules": [{"ID": "abort-incomplete-multipart-uploads", "Status": "Enabled",
                                   "Filter": {"Prefix": ""},
                                   "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1}}]})
                self.rebuild(backend, bucket, ws)
                self.assertEqual(self.restore_snapshot(backend, bucket), snapshot(ws))
                outcome = "killed, old object intact, next run OK"
                if backend == "moto":
                    outcome += f"; {len(orphans)} orphaned upload left for the lifecycle rule"
                self.record("rebuild killed by kill -9 mid-upload", backend, p, outcome, lost)


class RestoreFaults(FaultCase):
    def prepare(self, backend):
        bucket = new_bucket(backend, "fault")
        src = self.path(backend, "src")
        big_tree(src, 20, "cached")  # 20 MiB: three 8 MiB ranged GETs
        self.rebuild(backend, bucket, src)
        return bucket, snapshot(src)

    def target(self, backend, name):
        ws = self.path(backend, name)
        write(f"{ws}/node_modules/blob00.bin", b"the user's own file, older than the cache\n")
        write(f"{ws}/src/main.c", b"int main(){}\n")
        return ws

    def test_restore_faults(self):
        # (name, rules, strict, expect restored)
        cases = [
            ("one truncated range, resumed", [("truncate", {"times": 1})], False, True),
            ("connection dropped mid-body, resumed", [("drop_response", {"times": 1, "fraction": 0.3})], False, True),
            ("503 SlowDown twice", [("status", {"times": 2, "status": 503, "code": "SlowDown"})], False, True),
            ("every range truncated", [("truncate", {"times": -1})], False, False),
            ("every range truncated, strict", [("truncate", {"times": -1})], True, False),
            ("corrupted bytes", [("corrupt", {"times": 1})], False, False),
            ("corrupted bytes, strict", [("corrupt", {"times": 1})], True, False),
        ]
        for backend in BACKENDS:
            bucket, cached = self.prepare(backend)
            for name, rules, strict, restored in cases:
                with self.subTest(f"{backend}: {name}"):
                    ws = self.target(backend, name.replace(" ", "_").replace(",", ""))
                    before = snapshot(ws)
                    p = self.proxy(backend)
                    for action, params in rules:
                        p.add_rule(action, method="GET", path=r"archive\.tar\.zst$", **params)
                    params = {"strict": "true"} if strict else {}
                    proc = run_cli(env=self.env(backend, bucket, "restore", p, **params), cwd=ws)
                    after = snapshot(ws)
                    if restored:
                        self.assertRan(proc, 0)
                        expected = dict(before)
                        expected.update(cached)
                        self.assertEqual({k: v for k, v in after.items() if k.startswith("node_modules")}, cached)
                        self.assertEqual(after["src/main.c"], before["src/main.c"])
                        outcome = "exit 0, restored exactly"
                        lost = workspace_loss(expected, after)
                    else:
                        self.assertRan(proc, 1 if strict else 0)
                        self.assertIn("ERROR" if strict else "WARN", proc.stderr)
                        self.assertEqual(after, before, "a failed restore changed the workspace")
                        self.assertFalse([n for n in os.listdir(ws) if n.startswith(".s3cache")], "staging left")
                        outcome = f"exit {proc.returncode}, refused cleanly, workspace unchanged"
                        lost = workspace_loss(before, after)
                    self.assertGreater(sum(p.injected.values()), 0)
                    self.record(f"restore: {name}", backend, p, outcome, lost)


class FlushFaults(FaultCase):
    def test_interrupted_flush_can_be_run_again(self):
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket = new_bucket(backend, "fault")
                s3 = boto(backend)
                with ThreadPoolExecutor(16) as pool:
                    list(pool.map(lambda i: s3.put_object(Bucket=bucket, Key=f"acme/webapp/o{i:04d}", Body=b"z" * 100),
                                  range(1100)))
                s3.put_object(Bucket=bucket, Key="acme/webapp-other/keep", Body=b"keep")
                p = self.proxy(backend)
                p.add_rule("stall", method="POST", query=r"(^|&)delete", skip=1)  # the second batch
                proc = self.start_cli(self.env(backend, bucket, "flush", p, age="0s"), self.tmp)
                self.assertTrue(p.wait_injected("stall"), "flush never reached its second batch")
                proc.send_signal(signal.SIGTERM)
                first = self.finish(proc)
                self.assertEqual(first.returncode, 130, first.stderr)
                left = s3.list_objects_v2(Bucket=bucket, Prefix="acme/webapp/").get("KeyCount", 0)
                self.assertEqual(left, 100, "the first batch of 1000 was deleted, the second not")
                second = self.assertRan(run_cli(env=self.env(backend, bucket, "flush", age="0s")))
                self.assertIn("flushed 100 of 100 objects", second.stderr)
                self.assertEqual(s3.list_objects_v2(Bucket=bucket, Prefix="acme/webapp/").get("KeyCount", 0), 0)
                self.assertEqual(s3.get_object(Bucket=bucket, Key="acme/webapp-other/keep")["Body"].read(), b"keep")
                self.record("flush interrupted (SIGTERM) between batches, run again", backend, p,
                            "exit 130, then exit 0: 1100 of 1100 flushed, other repo untouched", 0)


class Concurrency(FaultCase):
    def test_two_rebuilds_of_one_key(self):
        for backend in BACKENDS:
            for simultaneous in (True, False):
                with self.subTest(f"{backend}, completes {'at once' if simultaneous else 'one after the other'}"):
                    self._two_rebuilds(backend, simultaneous)

    def _two_rebuilds(self, backend, simultaneous):
        bucket = new_bucket(backend, "fault")
        tag = "same" if simultaneous else "staggered"
        a, b = self.path(backend, tag, "a"), self.path(backend, tag, "b")
        big_tree(a, 20, "job A")
        big_tree(b, 20, "job B")
        p = self.proxy(backend)
        # Both jobs' uploads overlap: each holds at CompleteMultipartUpload until both got there.
        p.add_rule("hold", method="POST", query=r"(^|&)uploadId=", name="complete-1")
        p.add_rule("hold", method="POST", query=r"(^|&)uploadId=", name="complete-2")
        procs = [self.start_cli(self.env(backend, bucket, "rebuild", p, mount="node_modules"), ws) for ws in (a, b)]
        self.assertTrue(p.wait_injected("hold", 2), "the two uploads did not overlap")
        p.release("complete-1")
        if not simultaneous:
            self.assertTrue(wait_until(lambda: any(proc.poll() is not None for proc in procs), timeout=60))
        p.release("complete-2")
        for proc in procs:
            result = self.finish(proc)
            self.assertEqual(result.returncode, 0, result.stderr)
        self.assertFalse(self.open_uploads(backend, bucket))
        ws = self.path(backend, tag, "check")
        os.makedirs(ws)
        proc = run_cli(env=self.env(backend, bucket, "restore", strict="true"), cwd=ws)
        restored = snapshot(ws)
        if proc.returncode == 0:
            self.assertIn(restored, (snapshot(a), snapshot(b)), "the object is neither job's archive")
            winner = "A" if restored == snapshot(a) else "B"
            outcome = f"both exit 0; object = job {winner}'s archive, whole"
        else:
            # s3rver writes a completed object in place (not atomically): two completes at the
            # same instant interleave their bytes. AWS, MinIO and moto swap objects atomically.
            self.assertEqual(backend, "s3rver", proc.stderr)
            self.assertTrue(simultaneous)
            self.assertIn("CorruptArchive", proc.stderr)
            self.assertEqual(restored, {}, "a corrupt object reached the workspace")
            outcome = ("both exit 0; s3rver interleaved the two completes (non-atomic server write): "
                       "restore refuses the object, workspace unchanged")
        self.record(f"two rebuilds of one key at once, completes {'simultaneous' if simultaneous else 'staggered'}",
                    backend, p, outcome, 0)

    def test_restore_during_rebuild_gets_old_or_new(self):
        for backend in BACKENDS:
            with self.subTest(backend):
                bucket = new_bucket(backend, "fault")
                old, new = self.path(backend, "old"), self.path(backend, "new")
                big_tree(old, 20, "old")
                big_tree(new, 20, "new")
                self.rebuild(backend, bucket, old)
                outcomes = []
                p = self.proxy(backend)
                # 1) The rebuild completes while the restore is between two ranges of the old object.
                p.add_rule("hold", method="GET", path=r"archive\.tar\.zst$", skip=1, name="range2")
                ws = self.path(backend, "ws1")
                os.makedirs(ws)
                restore = self.start_cli(self.env(backend, bucket, "restore", p), ws)
                self.assertTrue(p.wait_injected("hold"))
                self.rebuild(backend, bucket, new)
                p.release("range2")
                result = self.finish(restore)
                got = snapshot(ws)
                self.assertEqual(result.returncode, 0, result.stderr)
                self.assertIn(got, ({}, snapshot(old), snapshot(new)), "a mix of two archives")
                if got == {}:
                    self.assertIn("PreconditionFailed", result.stderr)
                outcomes.append("object replaced mid-read: " + ("refused (ETag), workspace unchanged" if got == {}
                                                                 else "restored one whole archive"))
                # 2) Restore while a rebuild holds at its Complete: the old archive, whole.
                p.clear()
                p.add_rule("hold", method="POST", query=r"(^|&)uploadId=", name="complete")
                rebuild = self.start_cli(self.env(backend, bucket, "rebuild", p, mount="node_modules"), old)
                if not p.wait_injected("hold", 2):
                    rebuild.kill()
                    self.fail(self.finish(rebuild).stderr)
                ws = self.path(backend, "ws2")
                os.makedirs(ws)
                self.assertRan(run_cli(env=self.env(backend, bucket, "restore", p), cwd=ws))
                self.assertEqual(snapshot(ws), snapshot(new))
                p.release("complete")
                self.assertEqual(self.finish(rebuild).returncode, 0)
                ws = self.path(backend, "ws3")
                os.makedirs(ws)
                self.assertRan(run_cli(env=self.env(backend, bucket, "restore", p), cwd=ws))
                self.assertEqual(snapshot(ws), snapshot(old))
                outcomes.append("during an upload: previous archive; after: the new one")
                self.record("restore concurrent with rebuild", backend, p, "; ".join(outcomes), 0)


def tearDownModule():
    if not REPORT:
        return
    totals = collections.Counter()
    lines = ["| scenario | server | faults injected | outcome | bytes lost |", "|---|---|---|---|---|"]
    for scenario, backend, faults, outcome, lost in REPORT:
        totals.update(faults)
        text = ", ".join(f"{k} x{v}" for k, v in sorted(faults.items())) or "-"
        lines.append(f"| {scenario} | {backend} | {text} | {outcome} | {lost} |")
    lines.append("")
    lines.append(f"Total: {sum(totals.values())} faults injected in {len(REPORT)} scenario runs; by kind: "
                 + ", ".join(f"{k} {v}" for k, v in sorted(totals.items()))
                 + f"; bytes lost: {sum(r[4] for r in REPORT)}.")
    text = "\n".join(lines) + "\n"
    state = os.environ.get("S3CACHE_TEST_SERVERS")
    if state:
        with open(os.path.join(os.path.dirname(state), "fault-report.md"), "w") as f:
            f.write(text)
    sys.stderr.write("\n" + text)


if __name__ == "__main__":
    unittest.main()
