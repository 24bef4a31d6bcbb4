"""Proxies (docs/behaviour.md §4, README "Endpoints, TLS and proxies") through a real proxy on
loopback: Debian's tinyproxy, started per test on a free 127.0.0.1 port with its own config and
log. The log proves that requests went through it: absolute-URI requests for an http:// endpoint
(moto), CONNECT tunnels for https:// (moto_tls, with ca_bundle); basic proxy auth, whose user and
password never reach the output even at trace level; NO_PROXY bypassing it (nothing in its log);
a proxy that is down or refuses the credentials gives a clear error naming the masked proxy, the
exit code README gives, and leaves the bucket untouched.

tinyproxy is a test tool that scripts/setup.sh --tests installs (tinyproxy-bin); without it the
suite fails, as it does without moto or s3rver."""
import os
import shutil
import socket
import subprocess
import unittest
import urllib.parse

from common import CACHE_AND_MARKER, TempDirTestCase, boto, clean_env, keys_of, make_tree, new_bucket, run_cli, server, snapshot, wait_until

TINYPROXY = shutil.which("tinyproxy") or "/usr/bin/tinyproxy"
PROXY_USER = "s3cproxyuser"
PROXY_PASSWORD = "Pr0xy-Passw0rd-never-printed"


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_of(endpoint):
    return urllib.parse.urlsplit(endpoint).port


class Tinyproxy:
    """One tinyproxy in the foreground (-d), its config and log in `directory`. Its idle Timeout
    is short: tinyproxy 1.11 waits for the body of an answer to a HEAD (which has none, only a
    Content-Length) until that Timeout (120 s by default), and the next request on the same
    kept-alive proxy connection waits behind it. Only absolute-URI requests (http:// endpoints)
    are affected, not CONNECT tunnels; proxies such as squid answer HEADs properly."""

    def __init__(self, directory, connect_ports=(), basic_auth=None):
        if not os.path.exists(TINYPROXY):
            raise RuntimeError("tinyproxy is not installed: run scripts/setup.sh --tests (it installs tinyproxy-bin)")
        self.port = free_port()
        self.log_path = os.path.join(directory, "tinyproxy.log")
        config = [f"Port {self.port}", "Listen 127.0.0.1", "Timeout 15", f'LogFile "{self.log_path}"',
                  "LogLevel Info", "Allow 127.0.0.1", "MaxClients 100", "DisableViaHeader Yes"]
        config += [f"ConnectPort {p}" for p in connect_ports]
        if basic_auth:
            config.append(f"BasicAuth {basic_auth[0]} {basic_auth[1]}")
        config_path = os.path.join(directory, "tinyproxy.conf")
        with open(config_path, "w") as f:
            f.write("\n".join(config) + "\n")
        self.process = subprocess.Popen([TINYPROXY, "-d", "-c", config_path], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)

        def listening():
            if self.process.poll() is not None:
                raise RuntimeError(f"tinyproxy exited with {self.process.returncode}:\n{self.log()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return True
            except OSError:
                return False

        if not wait_until(listening, timeout=30):
            self.stop()
            raise RuntimeError(f"tinyproxy did not listen on 127.0.0.1:{self.port}:\n{self.log()}")

    def url(self, credentials=None):
        auth = f"{urllib.parse.quote(credentials[0])}:{urllib.parse.quote(credentials[1])}@" if credentials else ""
        return f"http://{auth}127.0.0.1:{self.port}"

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def requests(self):
        """The request lines tinyproxy logged: 'GET http://127.0.0.1:5000/b/k HTTP/1.1', 'CONNECT ...'."""
        return [line.split("): ", 1)[1] for line in self.log().splitlines() if "Request (file descriptor" in line]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class ProxyTestCase(TempDirTestCase):
    def start_proxy(self, **kwargs):
        directory = self.path(f"proxy{len(getattr(self, '_proxies', []))}")
        os.makedirs(directory)
        proxy = Tinyproxy(directory, **kwargs)
        self._proxies = getattr(self, "_proxies", []) + [proxy]
        self.addCleanup(proxy.stop)
        return proxy

    def step_env(self, backend, bucket, **extra):
        s = server(backend)
        env = clean_env(PARAMETER_SERVER=s["endpoint"], PARAMETER_ROOT=bucket, CACHE_S3_ACCESS_KEY=s["access_key"],
                        CACHE_S3_SECRET_KEY=s["secret_key"], VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp",
                        PARAMETER_MOUNT="node_modules,.gradle", PARAMETER_STRICT="true")
        if backend == "moto_tls":
            env["PARAMETER_CA_BUNDLE"] = s["ca_bundle"]
        env.update(extra)
        return env

    def rebuild_and_restore(self, env, log_level="info"):
        """A rebuild of a fresh tree, then a restore into an empty workspace: must be identical."""
        ws = self.path("ws")
        make_tree(ws)
        before = snapshot(ws, skip=("src",))
        outputs = []
        proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="rebuild", PARAMETER_LOG_LEVEL=log_level), cwd=ws))
        outputs.append(proc.stdout + proc.stderr)
        restored = self.path("restored")
        os.makedirs(restored)
        proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="restore", PARAMETER_FAIL_ON_MISS="true",
                                               PARAMETER_LOG_LEVEL=log_level), cwd=restored))
        outputs.append(proc.stdout + proc.stderr)
        self.assertEqual(snapshot(restored), before)
        return "\n".join(outputs)


class ThroughTheProxy(ProxyTestCase):
    def test_http_endpoint_goes_through_the_proxy_with_absolute_uris(self):
        proxy = self.start_proxy()
        bucket = new_bucket("moto", "proxy")
        moto_port = port_of(server("moto")["endpoint"])
        self.rebuild_and_restore(self.step_env("moto", bucket, HTTP_PROXY=proxy.url()))
        requests = proxy.requests()
        prefix = f"http://127.0.0.1:{moto_port}/{bucket}/acme/webapp/archive.tar.zst"
        self.assertTrue(any(r.startswith("PUT " + prefix) for r in requests), requests)
        self.assertTrue(any(r.startswith("GET " + prefix) for r in requests), requests)
        self.assertEqual([r for r in requests if not r.split(" ")[1].startswith("http://127.0.0.1:")], [])
        self.assertEqual(keys_of(boto("moto"), bucket), CACHE_AND_MARKER)

    def test_sts_goes_through_the_proxy_too(self):
        """Web identity credentials behind a proxy: the STS call is an ordinary AWS request and
        takes the same proxy as S3 (a runner that can reach AWS only through it needs that)."""
        proxy = self.start_proxy()
        bucket = new_bucket("moto", "proxy")
        moto = server("moto")["endpoint"]
        token_file = self.path("oidc-token")
        with open(token_file, "w") as f:
            f.write("eyJhbGciOiJSUzI1NiJ9.e30.proxied-oidc-token-signature")
        env = self.step_env("moto", bucket, HTTP_PROXY=proxy.url(), AWS_ENDPOINT_URL_STS=moto,
                            AWS_ROLE_ARN="arn:aws:iam::123456789012:role/ci-proxied", AWS_WEB_IDENTITY_TOKEN_FILE=token_file)
        del env["CACHE_S3_ACCESS_KEY"], env["CACHE_S3_SECRET_KEY"]
        output = self.rebuild_and_restore(env, log_level="debug")
        self.assertIn("web identity", output)
        requests = proxy.requests()
        self.assertEqual(len([r for r in requests if r.startswith(f"POST {moto}/ ")]), 2, requests)  # rebuild, restore
        self.assertTrue(any(r.startswith(f"PUT {moto}/{bucket}/") for r in requests), requests)
        self.assertNotIn("proxied-oidc-token-signature", output)

    def test_https_endpoint_is_tunnelled_with_connect(self):
        tls_port = port_of(server("moto_tls")["endpoint"])
        proxy = self.start_proxy(connect_ports=[tls_port])
        s = server("moto_tls")
        client, bucket = self.tls_bucket()
        host = urllib.parse.urlsplit(s["endpoint"]).hostname
        # Lower-case https_proxy wins over HTTPS_PROXY (curl's rule): the upper one points nowhere.
        env = self.step_env("moto_tls", bucket, https_proxy=proxy.url(), HTTPS_PROXY=f"http://127.0.0.1:{free_port()}")
        self.rebuild_and_restore(env)
        connects = [r for r in proxy.requests() if r.startswith("CONNECT ")]
        self.assertTrue(connects, proxy.log())
        self.assertTrue(all(r.startswith(f"CONNECT {host}:{tls_port} ") for r in connects), connects)
        self.assertEqual([r for r in proxy.requests() if not r.startswith("CONNECT ")], [])  # nothing in clear
        self.assertEqual(keys_of(client, bucket), CACHE_AND_MARKER)

    def test_proxy_basic_auth_and_the_credentials_are_never_printed(self):
        proxy = self.start_proxy(basic_auth=(PROXY_USER, PROXY_PASSWORD))
        bucket = new_bucket("moto", "proxyauth")
        env = self.step_env("moto", bucket, HTTP_PROXY=proxy.url((PROXY_USER, PROXY_PASSWORD)))
        output = self.rebuild_and_restore(env, log_level="trace")
        self.assertTrue(any(r.startswith("PUT http://") for r in proxy.requests()), proxy.log())
        proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="config", PARAMETER_LOG_LEVEL="trace")))
        output += proc.stdout + proc.stderr
        self.assertIn(f"http://****@127.0.0.1:{proxy.port} (from HTTP_PROXY)", proc.stdout)
        for secret in (PROXY_PASSWORD, PROXY_USER, PROXY_PASSWORD[:8], urllib.parse.quote(PROXY_PASSWORD)):
            self.assertNotIn(secret, output)

    def tls_bucket(self):
        return boto("moto_tls"), new_bucket("moto_tls", "proxytls")

    def test_proxy_that_refuses_the_credentials(self):
        """A real 407 (no credentials for a proxy that wants them) is ProxyAuthenticationRequired,
        exit 1 even without strict, for http (absolute URI) and https (CONNECT) alike. Wrong
        credentials: tinyproxy answers them with a 401 and a Basic challenge (other proxies send
        407 again); for http that is recognised as the proxy's (S3 never sends a Basic challenge),
        for a CONNECT Qt only reports "Error communicating with HTTP proxy": a ProxyError, which
        still names the masked proxy."""
        tls_port = port_of(server("moto_tls")["endpoint"])
        proxy = self.start_proxy(basic_auth=(PROXY_USER, PROXY_PASSWORD), connect_ports=[tls_port])
        wrong = "Wr0ng-proxy-password"
        tls_client, tls_bucket = self.tls_bucket()
        cases = (("moto", "HTTP_PROXY", None, "ProxyAuthenticationRequired", 1),
                 ("moto_tls", "HTTPS_PROXY", None, "ProxyAuthenticationRequired", 1),
                 ("moto", "HTTP_PROXY", (PROXY_USER, wrong), "ProxyAuthenticationRequired", 1),
                 ("moto_tls", "HTTPS_PROXY", (PROXY_USER, wrong), "ProxyError", 0))
        for backend, variable, credentials, code, exit_code in cases:
            with self.subTest(backend=backend, credentials=bool(credentials)):
                client, bucket = (boto("moto"), new_bucket("moto", "proxyauth")) if backend == "moto" \
                    else (tls_client, tls_bucket)
                ws = self.path(f"ws-{backend}-{bool(credentials)}")
                make_tree(ws)
                env = self.step_env(backend, bucket, PARAMETER_STRICT="false", **{variable: proxy.url(credentials)})
                proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="rebuild", PARAMETER_LOG_LEVEL="debug"),
                                              cwd=ws), exit_code)
                self.assertIn(f"({code})", proc.stderr)
                shown = f"http://****@127.0.0.1:{proxy.port}" if credentials else f"http://127.0.0.1:{proxy.port}"
                verb = "refused" if code == "ProxyAuthenticationRequired" else "failed"
                self.assertIn(f"the proxy {shown} (from {variable}) {verb}", proc.stderr)
                self.assertIn("HTTPS_PROXY/HTTP_PROXY", proc.stderr)  # the hint
                self.assertNotIn(wrong, proc.stdout + proc.stderr)
                self.assertNotIn(PROXY_USER, proc.stdout + proc.stderr)
                self.assertNotIn("Contents", client.list_objects_v2(Bucket=bucket))

    def test_no_proxy_bypasses_the_proxy(self):
        proxy = self.start_proxy()
        bucket = new_bucket("moto", "noproxy")
        moto_port = port_of(server("moto")["endpoint"])
        for no_proxy in ("127.0.0.1", f"127.0.0.1:{moto_port}", "127.0.0.0/8", "*"):
            with self.subTest(no_proxy=no_proxy):
                shutil.rmtree(self.path("ws"), ignore_errors=True)
                shutil.rmtree(self.path("restored"), ignore_errors=True)
                env = self.step_env("moto", bucket, HTTP_PROXY=proxy.url(), NO_PROXY=no_proxy)
                self.rebuild_and_restore(env)
                self.assertEqual(proxy.requests(), [])
                proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="config")))
                self.assertIn("none (NO_PROXY names 127.0.0.1)", proc.stdout)
        # Another port is not bypassed by a host:port entry: that request goes through the proxy.
        env = self.step_env("moto", bucket, HTTP_PROXY=proxy.url(), NO_PROXY=f"127.0.0.1:{moto_port + 1}")
        self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="list")))
        self.assertTrue(proxy.requests(), proxy.log())

    def test_proxy_that_is_down(self):
        tls_client, tls_bucket = self.tls_bucket()
        down = free_port()  # nothing listens there
        for backend, variable in (("moto", "HTTP_PROXY"), ("moto_tls", "HTTPS_PROXY")):
            client, bucket = (boto("moto"), new_bucket("moto", "proxydown")) if backend == "moto" \
                else (tls_client, tls_bucket)
            ws = self.path("ws-" + backend)
            make_tree(ws)
            env = self.step_env(backend, bucket, **{variable: f"http://{PROXY_USER}:{PROXY_PASSWORD}@127.0.0.1:{down}"})
            # A network error: exit 1 with strict, a warning and exit 0 without (README, exit codes).
            for strict, code in (("true", 1), ("false", 0)):
                with self.subTest(backend=backend, strict=strict):
                    proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="rebuild", PARAMETER_STRICT=strict),
                                                  cwd=ws), code)
                    self.assertIn(f"the proxy http://****@127.0.0.1:{down} (from {variable}) failed", proc.stderr)
                    self.assertIn("ProxyError", proc.stderr)
                    self.assertIn("NO_PROXY", proc.stderr)  # the hint
                    self.assertNotIn(PROXY_PASSWORD, proc.stdout + proc.stderr)
                    self.assertNotIn(PROXY_USER, proc.stdout + proc.stderr)
            self.assertNotIn("Contents", client.list_objects_v2(Bucket=bucket))

    def test_bad_proxy_url_stops_before_any_request(self):
        bucket = new_bucket("moto", "proxybad")
        env = self.step_env("moto", bucket, HTTPS_PROXY=f"https://{PROXY_USER}:{PROXY_PASSWORD}@proxy.invalid:3128")
        # The https proxy is read even for an http endpoint: a bad value is a usage error (exit 2).
        proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="rebuild"), cwd=self.tmp), 2)
        self.assertIn("HTTPS_PROXY", proc.stderr)
        self.assertIn("https:// proxy", proc.stderr)
        self.assertNotIn(PROXY_PASSWORD, proc.stdout + proc.stderr)
        self.assertNotIn(PROXY_USER, proc.stdout + proc.stderr)


if __name__ == "__main__":
    unittest.main()
