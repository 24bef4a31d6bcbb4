#!/usr/bin/env python3
"""A loopback look-alike of the container credentials endpoint (ECS task roles, EKS Pod
Identity) for tst_credentials and tests/e2e/test_credentials.py.

Binds a free port on 127.0.0.1, prints "PORT <n>" and serves until stdin closes.

GET /creds         needs "Authorization: <--token>" (when --token is given), else 401 with a
                   JSON error; answers {AccessKeyId, SecretAccessKey, Token, Expiration} with
                   Expiration --expires-in seconds from now
GET /count         how many credential answers were served (plain text)

--mode expired-token  instead: an S3-like endpoint for the ExpiredToken retry test. A request
                      signed with --expired-key (the Credential= of its Authorization header)
                      gets 400 with the S3 error document ExpiredToken; any other signed
                      request gets 200 "ok". It checks no signature: it tests the client's
                      reaction to the answer, not S3.
"""

import argparse
import datetime
import json
import re
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["container", "expired-token"], default="container")
    parser.add_argument("--token", default="")
    parser.add_argument("--access-key", default="")
    parser.add_argument("--secret-key", default="")
    parser.add_argument("--session-token", default="")
    parser.add_argument("--expires-in", type=int, default=3600)
    parser.add_argument("--expired-key", default="")
    args = parser.parse_args()
    served = {"creds": 0}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *fargs):
            sys.stderr.write("credential_server: " + (fmt % fargs) + "\n")

        def reply(self, status, body, content_type="application/json", head=False):
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if not head:
                self.wfile.write(data)

        def s3(self, head):
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            match = re.search(r"Credential=([^/]+)/", self.headers.get("Authorization", ""))
            key = match.group(1) if match else ""
            if key == args.expired_key:
                return self.reply(400, "<?xml version=\"1.0\"?><Error><Code>ExpiredToken</Code>"
                                  "<Message>The provided token has expired.</Message></Error>",
                                  "application/xml", head)
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.send_header("ETag", "\"abc\"")
            self.end_headers()
            if not head:
                self.wfile.write(b"ok")

        def do_HEAD(self):
            if args.mode == "expired-token":
                return self.s3(True)
            self.reply(405, "", head=True)

        def do_PUT(self):
            if args.mode == "expired-token":
                return self.s3(False)
            self.reply(405, "")

        def do_GET(self):
            if args.mode == "expired-token":
                return self.s3(False)
            if self.path == "/count":
                with lock:
                    return self.reply(200, str(served["creds"]), "text/plain")
            if self.path.split("?")[0] != "/creds":
                return self.reply(404, json.dumps({"code": "NotFound", "message": "no such path"}))
            if args.token and self.headers.get("Authorization") != args.token:
                return self.reply(401, json.dumps({"code": "AccessDenied", "message": "bad authorization token"}))
            expiration = (datetime.datetime.now(datetime.timezone.utc)
                          + datetime.timedelta(seconds=args.expires_in)).strftime("%Y-%m-%dT%H:%M:%SZ")
            with lock:
                served["creds"] += 1
            self.reply(200, json.dumps({
                "AccessKeyId": args.access_key,
                "SecretAccessKey": args.secret_key,
                "Token": args.session_token,
                "Expiration": expiration,
            }))

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
