"""Every link of the AWS credential chain end to end (docs/behaviour.md §2, README "Credential
sources"): a rebuild and a restore with the credentials of each link, the link named by
`s3cache config`, and each link's failure (exit 1, a message naming the link and its cause, no
secret or token in any output).

  web identity        AWS_ROLE_ARN + AWS_WEB_IDENTITY_TOKEN_FILE -> moto's STS (no IAM mode: moto in
                      IAM mode wrongly demands a signature on AssumeRoleWithWebIdentity); S3 and
                      STS go through the fault proxy, which records every Authorization header, so
                      the test proves the call to STS was unsigned and that every key id S3 saw was
                      issued by moto's STS for this role and session (moto's GetCallerIdentity
                      names the assumed role of a key id; moto without IAM checks no secret)
  profile role_arn    source_profile with moto_iam's IAM user keys -> moto_iam's STS AssumeRole,
                      signed; moto_iam verifies every S3 signature with the role's temporary keys,
                      and the proxy shows that only ASIA keys reached S3
  container           credential_server.py on loopback (AWS_CONTAINER_CREDENTIALS_FULL_URI), checking
                      the Authorization token, handing out moto_iam's user keys
  credential_process  a Python script printing moto_iam's user keys
"""
import os
import re
import subprocess
import sys
import unittest
import uuid

import boto3

from common import TempDirTestCase, clean_env, make_tree, new_bucket, run_cli, server, snapshot, write

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "fault"))
from faultproxy import FaultProxy  # noqa: E402

CREDENTIAL_SERVER = os.path.join(HERE, "..", "unit", "config", "credential_server.py")
WEB_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOmFjbWUvd2ViYXBwIn0.OidcTokenMustNeverLeak42"
CONTAINER_TOKEN = "PodIdentityAuthTokenMustNeverLeak-0123456789"
WRONG_SECRET = "WrongSourceSecretMustNeverLeak/0123456789"


def key_ids(proxy):
    """The access key ids of the signed requests the proxy forwarded, and how many were unsigned."""
    ids, unsigned = [], []
    for method, path, query, auth in proxy.requests:
        m = re.search(r"Credential=([A-Z0-9]+)/", auth or "")
        if m:
            ids.append(m.group(1))
        else:
            unsigned.append((method, path))
    return ids, unsigned


class ContainerEndpoint:
    """credential_server.py as the container credentials endpoint."""

    def __init__(self, access_key, secret_key, token=CONTAINER_TOKEN):
        self.process = subprocess.Popen(
            [sys.executable, CREDENTIAL_SERVER, "--token", token, "--access-key", access_key,
             "--secret-key", secret_key, "--session-token", ""],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        line = self.process.stdout.readline()
        if not line.startswith("PORT "):
            raise RuntimeError(f"credential_server.py did not start: {line!r}")
        self.url = f"http://127.0.0.1:{int(line.split()[1])}/creds"

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


class ChainTestCase(TempDirTestCase):
    def setUp(self):
        super().setUp()
        self.home = self.path("home")
        os.makedirs(os.path.join(self.home, ".aws"))
        self.src = self.path("src")
        make_tree(self.src)
        self.secrets = [WEB_TOKEN, CONTAINER_TOKEN, WRONG_SECRET]
        for name in ("moto", "moto_iam"):
            self.secrets.append(server(name)["secret_key"])

    def proxied(self, name):
        """The server `name` and a fault proxy in front of it that records every request."""
        proxy = FaultProxy(server(name)["endpoint"]).start()
        self.addCleanup(proxy.stop)
        return server(name), proxy

    def env(self, endpoint, bucket, action, **extra):
        return clean_env(HOME=self.home, PARAMETER_ACTION=action, PARAMETER_SERVER=endpoint, PARAMETER_ROOT=bucket,
                         PARAMETER_MOUNT="node_modules", VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp", **extra)

    def check_output(self, proc, extra_secrets=()):
        out = proc.stdout + proc.stderr
        for secret in [*self.secrets, *extra_secrets]:
            if secret and len(secret) >= 8:  # moto's "test" is no secret: it is in every path
                self.assertNotIn(secret, out, "a secret in the output")
        self.assertNotIn("Signature=", out)
        # Every session token moto's STS issues begins so (its secrets are random): none leaked.
        self.assertNotIn("FQoGZXIvYXdzE", out)
        return out

    def round_trip(self, endpoint, bucket, extra_secrets=(), **extra):
        """config, rebuild and restore with the chain's credentials; returns config's credentials row."""
        config = self.assertRan(run_cli(env=self.env(endpoint, bucket, "config", PARAMETER_LOG_LEVEL="trace", **extra),
                                        cwd=self.src))
        self.check_output(config, extra_secrets)
        row = next(line for line in config.stdout.splitlines() if line.startswith("credentials:"))
        rebuild = self.assertRan(run_cli(env=self.env(endpoint, bucket, "rebuild", PARAMETER_LOG_LEVEL="trace", **extra),
                                         cwd=self.src))
        self.check_output(rebuild, extra_secrets)
        ws = self.path("ws-" + uuid.uuid4().hex[:6])
        os.makedirs(ws)
        restore = self.assertRan(run_cli(env=self.env(endpoint, bucket, "restore", PARAMETER_LOG_LEVEL="debug", **extra),
                                         cwd=ws))
        self.check_output(restore, extra_secrets)
        self.assertEqual(snapshot(os.path.join(ws, "node_modules")), snapshot(os.path.join(self.src, "node_modules")))
        return row

    def fails(self, endpoint, bucket, needles, extra_secrets=(), **extra):
        for action in ("rebuild", "restore"):
            proc = self.assertRan(run_cli(env=self.env(endpoint, bucket, action, PARAMETER_LOG_LEVEL="trace", **extra),
                                          cwd=self.src), 1, f"{action} must fail")
            out = self.check_output(proc, extra_secrets)
            for needle in needles:
                self.assertIn(needle, out)
        # `config` does not fail on it: it shows the error as the row's value.
        config = self.assertRan(run_cli(env=self.env(endpoint, bucket, "config", **extra), cwd=self.src))
        self.check_output(config, extra_secrets)
        self.assertIn("credentials: none: the AWS credential chain failed: ", config.stdout)
        return proc


class WebIdentity(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.moto, self.proxy = self.proxied("moto")
        self.token_file = self.path("token")
        write(self.token_file, WEB_TOKEN.encode() + b"\n")
        self.role = "arn:aws:iam::123456789012:role/ci-" + uuid.uuid4().hex[:6]
        self.session = "s3cache-e2e-" + uuid.uuid4().hex[:8]
        self.vars = dict(AWS_ROLE_ARN=self.role, AWS_WEB_IDENTITY_TOKEN_FILE=self.token_file,
                         AWS_ROLE_SESSION_NAME=self.session, AWS_ENDPOINT_URL_STS=self.proxy.endpoint)

    def identity(self, key_id):
        """The ARN moto's STS has for an access key id: assumed-role/<role>/<session> for the keys
        AssumeRoleWithWebIdentity issued, user/moto for any other."""
        sts = boto3.client("sts", endpoint_url=self.moto["endpoint"], region_name="us-east-1",
                           aws_access_key_id=key_id, aws_secret_access_key="not-checked-by-moto")
        return sts.get_caller_identity()["Arn"]

    def test_rebuild_and_restore(self):
        bucket = new_bucket("moto", "webid")
        row = self.round_trip(self.proxy.endpoint, bucket, **self.vars)
        self.assertIn(f"from web identity: role {self.role} via AWS_WEB_IDENTITY_TOKEN_FILE, with session token", row)
        assumed = f"arn:aws:sts::123456789012:assumed-role/{self.role.split('/')[-1]}/{self.session}"
        self.assertRegex(row, r"access key ASIA\*\*\*\* from")  # temporary, and shown masked
        ids, unsigned = key_ids(self.proxy)
        # One unsigned AssumeRoleWithWebIdentity per run (config, rebuild, restore) ...
        self.assertEqual(unsigned, [("POST", "/")] * 3)
        # ... and every S3 request signed with a key STS issued for this role and session: one
        # key for the rebuild's requests, another for the restore's.
        self.assertGreater(len(ids), 3)
        self.assertEqual(len(set(ids)), 2, set(ids))
        for key_id in set(ids):
            self.assertEqual(self.identity(key_id), assumed)

    def test_profile_web_identity_token_file(self):
        """role_arn + web_identity_token_file in a profile: the same unsigned call."""
        bucket = new_bucket("moto", "webid")
        write(os.path.join(self.home, ".aws", "config"),
              f"[profile oidc]\nrole_arn = {self.role}\nweb_identity_token_file = {self.token_file}\n"
              f"role_session_name = {self.session}\n".encode())
        row = self.round_trip(self.proxy.endpoint, bucket, AWS_PROFILE="oidc", AWS_ENDPOINT_URL_STS=self.proxy.endpoint)
        self.assertIn(f"from web identity: role {self.role} via profile 'oidc' web_identity_token_file", row)
        ids, unsigned = key_ids(self.proxy)
        self.assertEqual(unsigned, [("POST", "/")] * 3)
        assumed = f"arn:aws:sts::123456789012:assumed-role/{self.role.split('/')[-1]}/{self.session}"
        self.assertGreater(len(ids), 3)
        for key_id in set(ids):
            self.assertEqual(self.identity(key_id), assumed)

    def test_failures(self):
        bucket = new_bucket("moto", "webid")
        link = f"web identity (AWS_ROLE_ARN {self.role}, AWS_WEB_IDENTITY_TOKEN_FILE "
        self.fails(self.proxy.endpoint, bucket, [link, "cannot read the token file"],
                   **dict(self.vars, AWS_WEB_IDENTITY_TOKEN_FILE=self.path("no-such-token")))
        # STS refuses the token.
        self.proxy.add_rule("status", method="POST", times=100, status=400, code="InvalidIdentityToken")
        self.fails(self.proxy.endpoint, bucket, [link, "STS AssumeRoleWithWebIdentity", "InvalidIdentityToken",
                                                 "is its issuer registered as an identity provider in IAM"], **self.vars)
        self.proxy.clear()
        self.assertEqual(key_ids(self.proxy)[0], [], "nothing was signed: no request reached S3")


class AssumeRoleProfile(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.iam, self.proxy = self.proxied("moto_iam")
        self.session = "s3cache-role-" + uuid.uuid4().hex[:8]
        write(os.path.join(self.home, ".aws", "credentials"),
              f"[base]\naws_access_key_id = {self.iam['access_key']}\n"
              f"aws_secret_access_key = {self.iam['secret_key']}\n".encode())
        write(os.path.join(self.home, ".aws", "config"),
              f"[profile ci]\nrole_arn = {self.iam['role_arn']}\nsource_profile = middle\n"
              f"role_session_name = {self.session}\nduration_seconds = 900\n"
              f"[profile middle]\nsource_profile = base\nrole_arn = {self.iam['role_arn']}\n".encode())
        self.vars = dict(AWS_PROFILE="ci", AWS_ENDPOINT_URL_STS=self.proxy.endpoint)

    def test_rebuild_and_restore(self):
        bucket = new_bucket("moto_iam", "role")
        row = self.round_trip(self.proxy.endpoint, bucket, **self.vars)
        self.assertIn(f"from profile 'ci' role {self.iam['role_arn']} assumed with profile 'middle' role", row)
        self.assertIn("assumed with profile base", row)
        ids, unsigned = key_ids(self.proxy)
        self.assertEqual(unsigned, [])  # AssumeRole is signed (moto_iam checks it)
        self.assertIn(self.iam["access_key"], ids)  # middle's AssumeRole, signed with the user's key
        s3_ids = [i for i in ids if i != self.iam["access_key"]]
        self.assertGreater(len(s3_ids), 3)
        self.assertTrue(all(i.startswith("ASIA") for i in s3_ids), s3_ids)

    def test_failures(self):
        bucket = new_bucket("moto_iam", "role")
        write(os.path.join(self.home, ".aws", "credentials"),
              f"[base]\naws_access_key_id = {self.iam['access_key']}\naws_secret_access_key = {WRONG_SECRET}\n".encode())
        self.fails(self.proxy.endpoint, bucket,
                   [f"profile 'middle' role_arn {self.iam['role_arn']}", "STS AssumeRole", "SignatureDoesNotMatch"],
                   **self.vars)
        write(os.path.join(self.home, ".aws", "config"),
              b"[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = ci2\n"
              b"[profile ci2]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = ci\n")
        self.fails(self.proxy.endpoint, bucket, ["source_profile loops: ci -> ci2 -> ci"], **self.vars)
        write(os.path.join(self.home, ".aws", "config"),
              b"[profile ci]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = ci\n")
        self.fails(self.proxy.endpoint, bucket, ["AWS profile 'ci'", "IAM Identity Center (SSO)",
                                                 "aws configure export-credentials"], **self.vars)


class ContainerCredentials(ChainTestCase):
    def setUp(self):
        super().setUp()
        self.iam = server("moto_iam")
        self.endpoint = ContainerEndpoint(self.iam["access_key"], self.iam["secret_key"])
        self.addCleanup(self.endpoint.stop)

    def test_rebuild_and_restore(self):
        bucket = new_bucket("moto_iam", "ecs")
        row = self.round_trip(self.iam["endpoint"], bucket, AWS_CONTAINER_CREDENTIALS_FULL_URI=self.endpoint.url,
                              AWS_CONTAINER_AUTHORIZATION_TOKEN=CONTAINER_TOKEN)
        self.assertIn(f"access key {self.iam['access_key'][:4]}**** from container credentials "
                      "(AWS_CONTAINER_CREDENTIALS_FULL_URI)", row)
        token_file = self.path("eks-pod-identity-token")
        write(token_file, CONTAINER_TOKEN.encode())
        self.round_trip(self.iam["endpoint"], bucket, AWS_CONTAINER_CREDENTIALS_FULL_URI=self.endpoint.url,
                        AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE=token_file)

    def test_failures(self):
        bucket = new_bucket("moto_iam", "ecs")
        link = "container credentials (AWS_CONTAINER_CREDENTIALS_FULL_URI)"
        wrong = "WrongPodTokenMustNeverLeak-9876543210"
        self.fails(self.iam["endpoint"], bucket, [link, "HTTP 401", "refused the authorization token"], [wrong],
                   AWS_CONTAINER_CREDENTIALS_FULL_URI=self.endpoint.url, AWS_CONTAINER_AUTHORIZATION_TOKEN=wrong)
        self.fails(self.iam["endpoint"], bucket, [link, "http is allowed only to loopback"],
                   AWS_CONTAINER_CREDENTIALS_FULL_URI="http://192.0.2.10/creds")


class CredentialProcess(ChainTestCase):
    def script(self, body):
        path = self.path("helper dir", "creds.py")
        write(path, body.encode())
        write(os.path.join(self.home, ".aws", "config"),
              f"[profile ci]\ncredential_process = {sys.executable} '{path}' --account ci\n".encode())

    def test_rebuild_and_restore(self):
        iam = server("moto_iam")
        bucket = new_bucket("moto_iam", "proc")
        self.script("import json, sys\nassert sys.argv[1:] == ['--account', 'ci'], sys.argv\n"
                    f"print(json.dumps({{'Version': 1, 'AccessKeyId': {iam['access_key']!r}, "
                    f"'SecretAccessKey': {iam['secret_key']!r}}}))\n")
        row = self.round_trip(iam["endpoint"], bucket, AWS_PROFILE="ci")
        self.assertIn(f"access key {iam['access_key'][:4]}**** from profile 'ci' credential_process", row)

    def test_failures(self):
        iam = server("moto_iam")
        bucket = new_bucket("moto_iam", "proc")
        self.script("import json, sys\n"
                    f"print(json.dumps({{'Version': 1, 'AccessKeyId': 'AKIAX', 'SecretAccessKey': {WRONG_SECRET!r}}}))\n"
                    f"sys.stderr.write('vault: lease expired for {WRONG_SECRET}\\n')\nsys.exit(3)\n")
        self.fails(iam["endpoint"], bucket, ["profile 'ci' credential_process", "exited with code 3",
                                             "vault: lease expired for ****"], AWS_PROFILE="ci")
        self.script("print('not json')\n")
        self.fails(iam["endpoint"], bucket, ["profile 'ci' credential_process", "not a JSON object"], AWS_PROFILE="ci")


if __name__ == "__main__":
    unittest.main()
