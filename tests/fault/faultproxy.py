#!/usr/bin/env python3
"""faultproxy: an HTTP/1.1 proxy that sits between s3cache and a real S3 server on 127.0.0.1 and
injects faults on demand. Loopback only: it listens on 127.0.0.1 and refuses other upstreams.

Every request is read whole from the client (but for early_status), matched against the rules
(first match wins), and either answered by the proxy (the fault) or forwarded to the upstream on a
fresh connection; the upstream's answer is read whole and sent back (keep-alive towards the
client, as S3 does).

Fault kinds (`action` of a rule):
  status          answer `status` with an S3 error document `code` (500 InternalError,
                  503 SlowDown, 400 RequestTimeout, ...) without forwarding
  early_status    the same answer as soon as the request's head is in, then close the connection
                  with the body unread, as a server that refuses an upload from its headers does
                  (S3's 403 for a request it will not take, a proxy's 413): the client's kernel
                  sees a reset while the answer waits in its socket; with `min_length`, only
                  requests whose body is at least that long (a body-size limit)
  drop_request    read half of the request body, then close the connection (upload cut mid-body)
  drop_response   forward, send the headers and `fraction` of the body, then close
  stall           read the request, answer nothing, keep the connection open until the client
                  gives up (or the proxy stops)
  stall_response  forward, send the headers and `fraction` of the body, then stall
  truncate        forward, send only `fraction` of the body with a Content-Length that matches
                  it: a well-formed answer that lacks bytes
  corrupt         forward, flip `flips` bytes in the middle of the body (length unchanged)
  delay           wait `ms` milliseconds, then forward
  hold            wait until release(name) is called (or `ms` passes), then forward: puts two
                  clients' requests in a chosen order without sleeping
  skew_date       answer 403 RequestTimeTooSkewed with a Date `skew_s` seconds off, as a server
                  whose clock is wrong does

Rule matching: `method` (exact), `path` and `query` (regular expressions searched in the path and
in the raw query string), `skip` (let that many matching requests through first), `times` (how
many faults to inject; -1 = every time).

Use it in-process (FaultProxy(upstream).start(); add_rule(...); injected; requests) or as a
program for the C++ tests:
    faultproxy.py --upstream http://127.0.0.1:PORT [--rule JSON]...
prints "PORT <n>" once listening, then "INJECTED <kind> <count>" after each fault, and runs
until stdin closes or SIGTERM.
"""

import argparse
import collections
import json
import re
import signal
import socket
import ssl
import sys
import threading
import time
import urllib.parse
from email.utils import formatdate

KINDS = ("status", "early_status", "drop_request", "drop_response", "stall", "stall_response", "truncate",
         "corrupt", "delay", "hold", "skew_date")

REASONS = {200: "OK", 206: "Partial Content", 400: "Bad Request", 403: "Forbidden", 404: "Not Found",
           413: "Request Entity Too Large", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


class Rule:
    def __init__(self, action, method=None, path=None, query=None, times=1, skip=0, **params):
        if action not in KINDS:
            raise ValueError(f"unknown fault {action!r} (known: {', '.join(KINDS)})")
        self.action = action
        self.method = method
        self.path = re.compile(path) if path else None
        self.query = re.compile(query) if query else None
        self.times = times
        self.skip = skip
        self.params = params
        self.injected = 0

    def matches(self, method, path, query):
        if self.method and self.method != method:
            return False
        if self.path and not self.path.search(path):
            return False
        if self.query and not self.query.search(query):
            return False
        return True

    def take(self):
        """Called under the proxy lock for a matching request: True when this one gets the fault."""
        if self.skip > 0:
            self.skip -= 1
            return False
        if self.times == 0:
            return False
        if self.times > 0:
            self.times -= 1
        self.injected += 1
        return True


class Request:
    def __init__(self, method, target, version, headers, body):
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers  # list of (name, value) as received
        self.body = body
        split = urllib.parse.urlsplit(target)
        self.path = split.path
        self.query = split.query

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers
        self.body = body

    def head_bytes(self, content_length):
        lines = [f"HTTP/1.1 {self.status} {self.reason}"]
        for k, v in self.headers:
            if k.lower() in ("content-length", "transfer-encoding", "connection", "keep-alive"):
                continue
            lines.append(f"{k}: {v}")
        if content_length is not None:
            lines.append(f"Content-Length: {content_length}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


class ClientGone(Exception):
    pass


def read_until(sock, buf, marker, limit=1 << 20):
    while marker not in buf:
        if len(buf) > limit:
            raise ClientGone("header too long")
        chunk = sock.recv(65536)
        if not chunk:
            raise ClientGone("closed")
        buf += chunk
    return buf


def read_exact(sock, buf, n):
    while len(buf) < n:
        chunk = sock.recv(max(65536, n - len(buf)))
        if not chunk:
            raise ClientGone("closed")
        buf += chunk
    return buf


def parse_head(raw):
    lines = raw.decode("latin-1").split("\r\n")
    first = lines[0]
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        k, _, v = line.partition(":")
        headers.append((k.strip(), v.strip()))
    return first, headers


def header_of(headers, name):
    for k, v in headers:
        if k.lower() == name:
            return v
    return None


def decode_chunked(data):
    out = bytearray()
    pos = 0
    while True:
        end = data.index(b"\r\n", pos)
        size = int(data[pos:end].split(b";")[0], 16)
        pos = end + 2
        if size == 0:
            return bytes(out)
        out += data[pos:pos + size]
        pos += size + 2


def error_document(code, message):
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message>'
            f'<RequestId>faultproxy</RequestId></Error>').encode()


class FaultProxy:
    def __init__(self, upstream, tls=None):
        """`tls`: (certificate file, key file) to serve https; the upstream stays plain http."""
        split = urllib.parse.urlsplit(upstream)
        if split.scheme != "http" or split.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(f"faultproxy only forwards to plain http on loopback, not {upstream}")
        self.upstream = ("127.0.0.1", split.port or 80)
        self.lock = threading.Lock()
        self.rules = []
        self.injected = collections.Counter()   # fault kind -> how many injected
        self.requests = []                      # (method, path, query, authorization) of every request
        self.answers = []                       # (method, path, query, status) of every answer sent, whole or cut
        self.events = collections.defaultdict(threading.Event)  # "hold" releases and "<kind>:<n>" markers
        self.stopping = threading.Event()
        self.server = None
        self.port = None
        self.connections = set()
        self.on_inject = None  # called with (kind, count) after each injected fault
        self.tls = None
        if tls:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(*tls)

    # -- control ---------------------------------------------------------------------------
    def start(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(64)
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True, name="faultproxy-accept").start()
        return self

    @property
    def endpoint(self):
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def stop(self):
        self.stopping.set()
        for event in list(self.events.values()):
            event.set()
        try:
            self.server.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.connections)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def add_rule(self, action, **kwargs):
        rule = Rule(action, **kwargs)
        with self.lock:
            self.rules.append(rule)
        return rule

    def clear(self):
        with self.lock:
            self.rules.clear()

    def release(self, name):
        self.events[name].set()

    def wait_injected(self, kind, count=1, timeout=60):
        """Blocks until `count` faults of `kind` have been injected (no fixed sleeps in tests)."""
        return self.events[f"{kind}:{count}"].wait(timeout)

    def matching_requests(self, method=None, query=None):
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r[0] == method) and (query is None or re.search(query, r[2]))]

    def matching_answers(self, method=None, query=None):
        """(method, path, query, status) of the answers to the matching requests, in order."""
        with self.lock:
            return [a for a in self.answers
                    if (method is None or a[0] == method) and (query is None or re.search(query, a[2]))]

    # -- serving ---------------------------------------------------------------------------
    def _accept(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with self.lock:
                self.connections.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True, name="faultproxy-conn").start()

    def _serve(self, conn):
        buf = b""
        try:
            if self.tls:
                plain, conn = conn, self.tls.wrap_socket(conn, server_side=True)
                with self.lock:
                    self.connections.discard(plain)
                    self.connections.add(conn)
            while not self.stopping.is_set():
                buf = read_until(conn, buf, b"\r\n\r\n")
                head, _, buf = buf.partition(b"\r\n\r\n")
                first, headers = parse_head(head)
                method, target, version = first.split(" ", 2)
                length = int(header_of(headers, "content-length") or 0)
                rule = self._match(method, target)
                if rule and rule.action == "drop_request":
                    buf = read_exact(conn, buf, length // 2)
                    self._injected(rule)
                    return
                if rule and rule.action == "early_status":
                    if length >= int(rule.params.get("min_length", 0)):
                        self._answer(conn, Request(method, target, version, headers, b""), rule)
                        return  # closes with the body unread
                    rule = None  # a body shorter than the limit: forwarded
                chunked = (header_of(headers, "transfer-encoding") or "").lower() == "chunked"
                if chunked:
                    buf = read_until(conn, buf, b"0\r\n\r\n", limit=1 << 31)
                    end = buf.index(b"0\r\n\r\n") + 5
                    body, buf = decode_chunked(buf[:end]), buf[end:]
                    headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
                    headers.append(("Content-Length", str(len(body))))
                else:
                    buf = read_exact(conn, buf, length)
                    body, buf = buf[:length], buf[length:]
                request = Request(method, target, version, headers, body)
                with self.lock:
                    self.requests.append((method, request.path, request.query, request.header("authorization") or ""))
                keep = self._answer(conn, request, rule)
                if not keep or (request.header("connection") or "").lower() == "close":
                    return
        except (ClientGone, ConnectionError, OSError, ValueError):
            return
        finally:
            with self.lock:
                self.connections.discard(conn)
            try:
                conn.close()
            except OSError:
                pass

    def _match(self, method, target):
        split = urllib.parse.urlsplit(target)
        with self.lock:
            for rule in self.rules:
                if rule.matches(method, split.path, split.query) and rule.take():
                    return rule
        return None

    def _injected(self, rule):
        with self.lock:
            self.injected[rule.action] += 1
            n = self.injected[rule.action]
        self.events[f"{rule.action}:{n}"].set()
        if self.on_inject:
            self.on_inject(rule.action, n)

    def _answer(self, conn, request, rule):
        """Sends the answer; False when the connection must be closed afterwards."""
        action = rule.action if rule else None
        p = rule.params if rule else {}
        if action in ("status", "early_status"):
            self._injected(rule)
            status = int(p.get("status", 503))
            code = p.get("code", "SlowDown")
            body = error_document(code, p.get("message", f"injected {code}"))
            resp = Response(status, REASONS.get(status, "Error"),
                            [("Content-Type", "application/xml"), ("Date", formatdate(usegmt=True)),
                             ("x-amz-request-id", "faultproxy")], body)
            self._answered(request, resp)
            conn.sendall(resp.head_bytes(len(body)) + (b"" if request.method == "HEAD" else body))
            return True
        if action == "skew_date":
            self._injected(rule)
            body = error_document("RequestTimeTooSkewed",
                                  "The difference between the request time and the current time is too large.")
            date = formatdate(time.time() + float(p.get("skew_s", 300)), usegmt=True)
            resp = Response(403, "Forbidden", [("Content-Type", "application/xml"), ("Date", date)], body)
            self._answered(request, resp)
            conn.sendall(resp.head_bytes(len(body)) + (b"" if request.method == "HEAD" else body))
            return True
        if action == "stall":
            self._injected(rule)
            self._stall(conn, p)
            return False
        if action == "delay":
            self._injected(rule)
            self.stopping.wait(float(p.get("ms", 500)) / 1000)
        if action == "hold":
            self._injected(rule)
            self.events[p["name"]].wait(float(p.get("ms", 60000)) / 1000)

        resp = self._forward(request)
        self._answered(request, resp)
        body = resp.body
        fraction = float(p.get("fraction", 0.5))
        if request.method == "HEAD":
            conn.sendall(resp.head_bytes(header_of(resp.headers, "content-length")))
            return True
        if action in ("drop_response", "stall_response") and len(body) > 1:
            self._injected(rule)
            cut = max(1, int(len(body) * fraction))
            conn.sendall(resp.head_bytes(len(body)) + body[:cut])
            if action == "stall_response":
                self._stall(conn, p)
            return False
        if action == "truncate" and len(body) > 1:
            self._injected(rule)
            body = body[:max(1, int(len(body) * fraction))]
        elif action == "corrupt" and body:
            self._injected(rule)
            flipped = bytearray(body)
            flips = int(p.get("flips", 16))
            middle = len(flipped) // 2
            for i in range(middle, min(len(flipped), middle + flips)):
                flipped[i] ^= 0x5A
            body = bytes(flipped)
        conn.sendall(resp.head_bytes(len(body)) + body)
        return True

    def _answered(self, request, resp):
        with self.lock:
            self.answers.append((request.method, request.path, request.query, resp.status))

    def _stall(self, conn, params):
        """Keeps the connection open, silent, until the client closes it or the proxy stops."""
        conn.settimeout(0.2)
        deadline = time.monotonic() + float(params.get("max_s", 600))
        while not self.stopping.is_set() and time.monotonic() < deadline:
            try:
                if not conn.recv(65536):
                    return
            except socket.timeout:
                continue
            except OSError:
                return

    def _forward(self, request):
        with socket.create_connection(self.upstream, timeout=120) as up:
            lines = [f"{request.method} {request.target} HTTP/1.1"]
            for k, v in request.headers:
                if k.lower() in ("connection", "keep-alive", "proxy-connection"):
                    continue
                lines.append(f"{k}: {v}")
            lines.append("Connection: close")
            up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + request.body)
            data = bytearray()
            while True:
                chunk = up.recv(1 << 20)
                if not chunk:
                    break
                data += chunk
        head, _, body = bytes(data).partition(b"\r\n\r\n")
        first, headers = parse_head(head)
        parts = first.split(" ", 2)
        status = int(parts[1])
        reason = parts[2] if len(parts) > 2 else REASONS.get(status, "")
        if (header_of(headers, "transfer-encoding") or "").lower() == "chunked":
            body = decode_chunked(body)
        elif request.method != "HEAD" and header_of(headers, "content-length") is not None:
            body = body[:int(header_of(headers, "content-length"))]
        return Response(status, reason, headers, body)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--upstream", required=True)
    parser.add_argument("--rule", action="append", default=[], help="JSON object: {\"action\": ..., ...}")
    args = parser.parse_args()
    proxy = FaultProxy(args.upstream).start()
    for text in args.rule:
        proxy.add_rule(**json.loads(text))
    out_lock = threading.Lock()

    def announce(kind, n):
        with out_lock:
            print(f"INJECTED {kind} {n}", flush=True)

    proxy.on_inject = announce
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def watch_stdin():
        sys.stdin.read()
        done.set()

    threading.Thread(target=watch_stdin, daemon=True).start()
    print(f"PORT {proxy.port}", flush=True)
    done.wait()
    print(json.dumps({"injected": dict(proxy.injected), "requests": len(proxy.requests)}), flush=True)
    proxy.stop()


if __name__ == "__main__":
    main()
