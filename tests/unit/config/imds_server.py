#!/usr/bin/env python3
"""A tiny IMDSv2 look-alike on 127.0.0.1 for tst_credentials.

Binds a free port, prints it on stdout ("PORT <n>") and serves until stdin closes (the test's
QProcess going away). Like the real service it only answers with a session token obtained from
PUT /latest/api/token (which needs X-aws-ec2-metadata-token-ttl-seconds); requests without the
token header get 401.

--mode ok         role listing and the role's credentials JSON
--mode norole     the role listing answers 404 (no instance profile)
--mode malformed  the role's credentials are not JSON
--mode chunked    like ok, the credentials sent with Transfer-Encoding: chunked
--mode hang-put   the token PUT never gets an answer (a hop limit of 1 seen from a container);
                  GETs without a token are served (IMDSv1)
--mode 403-put    the token PUT answers 403; GETs without a token are served (IMDSv1)
"""

import argparse
import json
import secrets
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

CREDENTIALS_PATH = "/latest/meta-data/iam/security-credentials/"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mode", choices=["ok", "norole", "malformed", "chunked", "hang-put", "403-put"], default="ok")
    parser.add_argument("--role", default="ci-runner-role")
    parser.add_argument("--access-key", required=True)
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--session-token", required=True)
    args = parser.parse_args()
    token = "imds-" + secrets.token_hex(16)
    v1 = args.mode in ("hang-put", "403-put")
    forever = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, fmt, *fargs):
            sys.stderr.write("imds_server: " + (fmt % fargs) + "\n")

        def reply(self, status, body, chunked=False):
            data = body.encode()
            if chunked:
                self.protocol_version = "HTTP/1.1"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            if chunked:
                self.send_header("Transfer-Encoding", "chunked")
                self.send_header("Connection", "close")
                self.end_headers()
                half = len(data) // 2
                for part in (data[:half], data[half:]):
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(part), part))
                self.wfile.write(b"0\r\n\r\n")
            else:
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            self.close_connection = True

        def do_PUT(self):
            if args.mode == "hang-put":
                forever.wait()  # no answer at all, as when the hop limit drops it
                return
            if args.mode == "403-put":
                return self.reply(403, "")
            if self.path != "/latest/api/token":
                return self.reply(404, "not found")
            if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return self.reply(400, "missing X-aws-ec2-metadata-token-ttl-seconds")
            self.reply(200, token)

        def do_GET(self):
            if not v1 and self.headers.get("X-aws-ec2-metadata-token") != token:
                return self.reply(401, "")
            if self.path == CREDENTIALS_PATH:
                if args.mode == "norole":
                    return self.reply(404, "not found")
                return self.reply(200, args.role + "\n")
            if self.path == CREDENTIALS_PATH + args.role and args.mode != "norole":
                if args.mode == "malformed":
                    return self.reply(200, "<html>this is not the metadata service</html>")
                body = json.dumps({
                    "Code": "Success",
                    "LastUpdated": "2024-01-01T00:00:00Z",
                    "Type": "AWS-HMAC",
                    "AccessKeyId": args.access_key,
                    "SecretAccessKey": args.secret_key,
                    "Token": args.session_token,
                    "Expiration": "2099-01-01T00:00:00Z",
                })
                return self.reply(200, body, chunked=args.mode == "chunked")
            self.reply(404, "not found")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    print("PORT %d" % server.server_address[1], flush=True)
    sys.stdin.read()  # until the test closes our stdin or ends; the daemon thread dies with us


if __name__ == "__main__":
    main()
