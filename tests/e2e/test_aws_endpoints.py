"""The AWS conventions for the endpoint (docs/behaviour.md §4, README "Endpoints, TLS and
proxies"), end to end against moto: a rebuild + restore with no `server` parameter at all, the
endpoint coming only from AWS_ENDPOINT_URL_S3, only from AWS_ENDPOINT_URL, only from a profile's
[services] section, or only from a profile's endpoint_url; AWS_CA_BUNDLE (and a profile's
ca_bundle) against the https server with the throw-away CA; and `s3cache config` naming each
source."""
import os
import unittest

from common import CACHE_AND_MARKER, TempDirTestCase, boto, clean_env, keys_of, make_tree, new_bucket, run_cli, server, snapshot


class AwsEndpoints(TempDirTestCase):
    def home_with_config(self, text):
        home = self.path("home")
        os.makedirs(os.path.join(home, ".aws"), exist_ok=True)
        with open(os.path.join(home, ".aws", "config"), "w") as f:
            f.write(text)
        return home

    def env_without_server(self, backend, bucket, **extra):
        s = server(backend)
        return clean_env(PARAMETER_ROOT=bucket, CACHE_S3_ACCESS_KEY=s["access_key"], CACHE_S3_SECRET_KEY=s["secret_key"],
                         VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp", PARAMETER_MOUNT="node_modules,.gradle",
                         PARAMETER_STRICT="true", **extra)

    def rebuild_and_restore(self, env):
        ws = self.path("ws")
        make_tree(ws)
        before = snapshot(ws, skip=("src",))
        self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="rebuild"), cwd=ws))
        restored = self.path("restored")
        os.makedirs(restored)
        self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="restore", PARAMETER_FAIL_ON_MISS="true"), cwd=restored))
        self.assertEqual(snapshot(restored), before)

    def config_output(self, env):
        return self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="config"))).stdout

    def test_only_aws_endpoint_url_s3(self):
        bucket = new_bucket("moto", "ep")
        endpoint = server("moto")["endpoint"]
        # AWS_ENDPOINT_URL points nowhere: the S3-specific variable must win.
        env = self.env_without_server("moto", bucket, AWS_ENDPOINT_URL_S3=endpoint,
                                      AWS_ENDPOINT_URL="http://127.0.0.1:9")
        self.rebuild_and_restore(env)
        self.assertEqual(keys_of(boto("moto"), bucket), CACHE_AND_MARKER)
        self.assertIn(f"{endpoint} (AWS_ENDPOINT_URL_S3)", self.config_output(env))

    def test_only_aws_endpoint_url(self):
        bucket = new_bucket("moto", "ep")
        env = self.env_without_server("moto", bucket, AWS_ENDPOINT_URL=server("moto")["endpoint"])
        self.rebuild_and_restore(env)
        self.assertEqual(keys_of(boto("moto"), bucket), CACHE_AND_MARKER)

    def test_only_a_profiles_services_section(self):
        bucket = new_bucket("moto", "ep")
        endpoint = server("moto")["endpoint"]
        home = self.home_with_config(
            "[profile ci]\nregion = eu-west-1\nservices = local-moto\nendpoint_url = http://127.0.0.1:9\n"
            "s3 =\n  addressing_style = path\n"
            f"[services local-moto]\ns3 =\n  endpoint_url = {endpoint}\n")
        env = self.env_without_server("moto", bucket, HOME=home, AWS_PROFILE="ci")
        self.rebuild_and_restore(env)
        self.assertEqual(keys_of(boto("moto"), bucket), CACHE_AND_MARKER)
        out = self.config_output(env)
        self.assertIn(f"{endpoint} ([services local-moto] of profile ci in {home}/.aws/config)", out)
        self.assertIn(f"eu-west-1 (from profile ci in {home}/.aws/config)", out)

    def test_only_a_profiles_endpoint_url_and_ignoring_it(self):
        bucket = new_bucket("moto", "ep")
        endpoint = server("moto")["endpoint"]
        home = self.home_with_config(f"[default]\nendpoint_url = {endpoint}\n")
        env = self.env_without_server("moto", bucket, HOME=home)
        self.rebuild_and_restore(env)
        self.assertEqual(keys_of(boto("moto"), bucket), CACHE_AND_MARKER)
        # Ignored: the endpoint is AWS's own (only shown; no request leaves the machine).
        out = self.config_output(dict(env, AWS_IGNORE_CONFIGURED_ENDPOINT_URLS="true"))
        self.assertIn(f"https://{bucket}.s3.us-east-1.amazonaws.com (virtual-host", out)
        self.assertIn("configured endpoint URLs ignored (AWS_IGNORE_CONFIGURED_ENDPOINT_URLS)", out)

    def test_aws_ca_bundle_against_the_tls_server(self):
        s = server("moto_tls")
        client, bucket = boto("moto_tls"), new_bucket("moto_tls", "awsca")
        env = self.env_without_server("moto_tls", bucket, AWS_ENDPOINT_URL_S3=s["endpoint"])
        # Without a CA the throw-away certificate is refused...
        ws = self.path("ws0")
        make_tree(ws)
        proc = self.assertRan(run_cli(env=dict(env, PARAMETER_ACTION="rebuild"), cwd=ws), 1)
        self.assertIn("TlsError", proc.stderr)
        # ... with AWS_CA_BUNDLE it is trusted.
        self.rebuild_and_restore(dict(env, AWS_CA_BUNDLE=s["ca_bundle"]))
        self.assertEqual(keys_of(client, bucket), CACHE_AND_MARKER)
        self.assertIn(f"{s['ca_bundle']} (from AWS_CA_BUNDLE)", self.config_output(dict(env, AWS_CA_BUNDLE=s["ca_bundle"])))
        # A profile's ca_bundle does the same.
        home = self.home_with_config(f"[default]\nca_bundle = {s['ca_bundle']}\n")
        proc = self.assertRan(run_cli(env=dict(env, HOME=home, PARAMETER_ACTION="list")))
        self.assertIn("archive.tar.zst", proc.stdout)


if __name__ == "__main__":
    unittest.main()
