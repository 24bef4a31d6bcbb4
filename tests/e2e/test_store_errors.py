"""How store failures read: a missing bucket is named as such by every action that looks an
object up, and a well-known S3 code comes with a plain-language hint, once, whether the server
sends a <Message> (moto) or an empty one (Ceph RGW does; a loopback stub answers like it)."""
import http.server
import os
import threading
import unittest

from common import TempDirTestCase, make_tree, new_bucket, run_cli, vela_env

WRONG_SECRET_HINT = "check the secret key"


class EmptyMessageServer(http.server.ThreadingHTTPServer):
    """Answers every request 403 with an S3 error document whose <Message> is empty, as Ceph RGW
    does for SignatureDoesNotMatch. Only this protocol detail is stubbed: the client under test is
    the real s3cache."""

    class Handler(http.server.BaseHTTPRequestHandler):
        BODY = (b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SignatureDoesNotMatch</Code>'
                b"<Message></Message><RequestId>tx-empty-1</RequestId></Error>")

        def answer(self, body):
            self.send_response(403)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(self.BODY)))
            self.end_headers()
            if body:
                self.wfile.write(self.BODY)

        def do_GET(self):  # noqa: N802 (http.server's names)
            self.answer(True)

        def do_HEAD(self):  # noqa: N802
            self.answer(False)

        def do_PUT(self):  # noqa: N802
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.answer(True)

        do_POST = do_PUT  # noqa: N815

        def log_message(self, *args):
            pass

    def __init__(self):
        super().__init__(("127.0.0.1", 0), self.Handler)
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)

    @property
    def endpoint(self):
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.shutdown()
        self.server_close()


class MissingBucket(TempDirTestCase):
    def test_every_lookup_names_the_missing_bucket(self):
        ws = self.path("ws")
        make_tree(ws)
        for backend in ("moto", "s3rver"):
            for action in ("inspect", "restore", "rebuild"):
                with self.subTest(backend=backend, action=action):
                    env = vela_env(backend, "s3c-no-such-bucket", action, mount="node_modules")
                    proc = self.assertRan(run_cli(env=env, cwd=ws), 1)
                    self.assertIn("NoSuchBucket", proc.stderr)
                    self.assertIn("the bucket does not exist: s3://s3c-no-such-bucket", proc.stderr)
                    self.assertNotIn("not found (NotFound", proc.stderr)


class Hints(TempDirTestCase):
    def test_empty_message_gives_the_code_once_and_a_hint(self):
        with EmptyMessageServer() as stub:
            for action in ("list", "inspect", "rebuild"):
                with self.subTest(action):
                    ws = self.path("ws-" + action)
                    make_tree(ws)
                    env = vela_env("moto", "bucket", action, mount="node_modules", server=stub.endpoint)
                    proc = self.assertRan(run_cli(env=env, cwd=ws), 1)
                    errors = [line for line in proc.stderr.splitlines() if "SignatureDoesNotMatch" in line]
                    self.assertTrue(errors, proc.stderr)
                    for line in errors:
                        self.assertEqual(line.count("SignatureDoesNotMatch"), 1, line)
                        self.assertIn(WRONG_SECRET_HINT, line)

    def test_wrong_secret_on_a_checking_server_says_so(self):
        bucket = new_bucket("moto_iam")
        ws = self.path("ws")
        make_tree(ws)
        for action in ("list", "rebuild"):
            with self.subTest(action):
                env = vela_env("moto_iam", bucket, action, mount="node_modules")
                env["CACHE_S3_SECRET_KEY"] = "not-the-secret-key"
                proc = self.assertRan(run_cli(env=env, cwd=ws), 1)
                self.assertIn("SignatureDoesNotMatch", proc.stderr)
                self.assertIn(WRONG_SECRET_HINT, proc.stderr)


if __name__ == "__main__":
    unittest.main()
