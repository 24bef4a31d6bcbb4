#!/usr/bin/env python3
"""Start and stop the S3 servers the test suite runs against, all on free 127.0.0.1 ports.

    s3servers.py start --state FILE   start them, wait until each answers, write FILE
    s3servers.py stop  --state FILE   kill them and remove their temporary data

Servers (the JSON contract is documented in tests/common/testservers.h):
  moto      moto_server, no signature checks
  moto_iam  moto_server with IAM enforcement: INITIAL_NO_AUTH_ACTION_COUNT lets this script
            create an IAM user (allowed s3:* and sts:AssumeRole), a role it may assume (the
            same; its ARN is in "role_arn") and an access key first; from then on every request must
            carry a valid SigV4 signature of that key or of the role's STS-issued keys; a second
            user, allowed s3:* but denied s3:ListAllMyBuckets (CI keys scoped to their bucket), has
            its key in "nolist_access_key" / "nolist_secret_key"
  moto_tls  moto_server over https with a certificate from a throw-away CA (its PEM is in
            "ca_bundle"), to test TLS verification
  s3rver    the npm package s3rver (pinned in tests/package.json), key pair S3RVER/S3RVER

A server that cannot start fails the command with its log tail; nothing is skipped.
"""

import argparse
import datetime
import ipaddress
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

TESTS_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION = "us-east-1"
STARTUP_TIMEOUT = 60
# create_user, put_user_policy, create_role, put_role_policy, create_access_key, then the
# no-ListBuckets user's create_user, put_user_policy, create_access_key: the requests moto_iam
# serves unauthenticated.
IAM_SETUP_ACTIONS = 8
# The role the user may assume (tests/e2e/test_credentials.py: profile role_arn + source_profile).
IAM_ROLE_NAME = "s3cache-ci"
MARKER_ENV = "S3CACHE_TEST_SERVER"  # set in each server's environment, checked before killing


class StartError(Exception):
    pass


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def log_tail(path, lines=40):
    try:
        with open(path, "rb") as f:
            text = f.read().decode("utf-8", "replace")
    except OSError as e:
        return f"(no log: {e})"
    return "\n".join(text.splitlines()[-lines:])


def check_python_modules():
    missing = []
    for module in ("moto.server", "boto3", "cryptography"):
        try:
            __import__(module)
        except ImportError as e:
            missing.append(f"{module} ({e})")
    if missing:
        raise StartError(
            "missing Python modules: " + ", ".join(missing)
            + f"\nin {sys.executable}: run scripts/setup.sh --tests, which installs them (see its header)")


def ensure_s3rver():
    script = os.path.join(TESTS_DIR, "node_modules", "s3rver", "bin", "s3rver.js")
    if os.path.exists(script):
        return script
    npm = shutil.which("npm")
    if not npm or not shutil.which("node"):
        raise StartError("s3rver needs Node.js and npm (apt-get install nodejs npm)")
    # npm ci installs exactly what package-lock.json pins.
    command = [npm, "ci", "--prefix", TESTS_DIR, "--no-audit", "--no-fund"]
    print("installing s3rver: " + " ".join(command), flush=True)
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if result.returncode != 0 or not os.path.exists(script):
        raise StartError(f"{' '.join(command)} failed (exit {result.returncode}):\n{result.stdout}")
    return script


def make_tls_files(directory):
    """A throw-away CA and a server certificate for 127.0.0.1/localhost signed by it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)
    validity = (now - datetime.timedelta(days=1), now + datetime.timedelta(days=7))

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "s3cache test CA")])
    ca_cert = (x509.CertificateBuilder()
               .subject_name(ca_name).issuer_name(ca_name)
               .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(validity[0]).not_valid_after(validity[1])
               .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
               .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                            content_commitment=False, key_encipherment=False,
                                            data_encipherment=False, key_agreement=False,
                                            encipher_only=False, decipher_only=False), critical=True)
               .sign(ca_key, hashes.SHA256()))

    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")]))
            .issuer_name(ca_name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(validity[0]).not_valid_after(validity[1])
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .sign(ca_key, hashes.SHA256()))

    paths = {name: os.path.join(directory, name) for name in ("ca.pem", "server.pem", "server.key")}
    with open(paths["ca.pem"], "wb") as f:
        f.write(ca_cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.pem"], "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(paths["server.key"], "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL,
                                  serialization.NoEncryption()))
    return paths


class Server:
    def __init__(self, name, workdir):
        self.name = name
        self.log_path = os.path.join(workdir, f"{name}.log")
        self.process = None
        self.port = None
        self.scheme = "http"
        self.access_key = "test"
        self.secret_key = "test"
        self.extra = {}

    @property
    def endpoint(self):
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def launch(self, command, env=None):
        environment = dict(os.environ if env is None else env)
        environment[MARKER_ENV] = self.name
        log = open(self.log_path, "ab")
        try:
            # Own session: stop kills the whole process group, whatever the server spawned.
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, env=environment,
                                            start_new_session=True, cwd=TESTS_DIR)
        finally:
            log.close()

    def wait_ready(self, probe_path, ssl_context=None):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        last_error = None
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StartError(f"{self.name} exited with status {self.process.returncode} while "
                                 f"starting:\n{log_tail(self.log_path)}")
            try:
                with urllib.request.urlopen(self.endpoint + probe_path, timeout=2, context=ssl_context) as r:
                    r.read()
                return
            except urllib.error.HTTPError:
                return  # any HTTP answer means it serves
            except (urllib.error.URLError, OSError) as e:
                last_error = e
                time.sleep(0.1)
        raise StartError(f"{self.name} did not answer on {self.endpoint} within {STARTUP_TIMEOUT} s "
                         f"({last_error}):\n{log_tail(self.log_path)}")

    def describe(self):
        entry = {"endpoint": self.endpoint, "access_key": self.access_key, "secret_key": self.secret_key,
                 "region": REGION, "pid": self.process.pid}
        entry.update(self.extra)
        return entry


def start_moto(name, workdir, env_extra=None, tls=None):
    server = Server(name, workdir)
    server.port = free_port()
    env = dict(os.environ)
    env.update(env_extra or {})
    command = [sys.executable, os.path.join(TESTS_DIR, "servers", "moto_main.py"), "-H", "127.0.0.1",
               "-p", str(server.port)]
    ssl_context = None
    if tls:
        import ssl
        command += ["-c", tls["server.pem"], "-k", tls["server.key"]]
        server.scheme = "https"
        server.extra["ca_bundle"] = tls["ca.pem"]
        ssl_context = ssl.create_default_context(cafile=tls["ca.pem"])
    server.launch(command, env)
    # /moto-api/ is not an AWS action: it does not count against INITIAL_NO_AUTH_ACTION_COUNT.
    server.wait_ready("/moto-api/", ssl_context)
    return server


def setup_iam(server):
    import boto3
    import botocore.exceptions

    def client(service, key, secret):
        return boto3.client(service, endpoint_url=server.endpoint, region_name=REGION,
                            aws_access_key_id=key, aws_secret_access_key=secret)

    iam = client("iam", "bootstrap", "bootstrap")
    iam.create_user(UserName="s3cache-test")
    iam.put_user_policy(UserName="s3cache-test", PolicyName="s3-all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRole"],
                                                 "Resource": "*"}]}))
    role = iam.create_role(RoleName=IAM_ROLE_NAME, AssumeRolePolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                 "Principal": {"AWS": "*"}}]}))
    # sts:AssumeRole too, so that a profile chain can assume the role again with its own keys.
    iam.put_role_policy(RoleName=IAM_ROLE_NAME, PolicyName="s3-all", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["s3:*", "sts:AssumeRole"],
                                                 "Resource": "*"}]}))
    server.extra["role_arn"] = role["Role"]["Arn"]
    key = iam.create_access_key(UserName="s3cache-test")["AccessKey"]
    server.access_key = key["AccessKeyId"]
    server.secret_key = key["SecretAccessKey"]
    # Keys that may use buckets but not list them (the GUI's bucket picker must say so).
    iam.create_user(UserName="s3cache-nolist")
    iam.put_user_policy(UserName="s3cache-nolist", PolicyName="s3-no-list", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:ListAllMyBuckets", "Resource": "*"}]}))
    nolist = iam.create_access_key(UserName="s3cache-nolist")["AccessKey"]
    server.extra["nolist_access_key"] = nolist["AccessKeyId"]
    server.extra["nolist_secret_key"] = nolist["SecretAccessKey"]

    # Enforcement must now be on: the new key works, a wrong secret does not.
    client("s3", server.access_key, server.secret_key).list_buckets()
    try:
        client("s3", server.access_key, "wrong-secret").list_buckets()
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "SignatureDoesNotMatch":
            raise StartError(f"moto_iam refused a wrong secret with {e.response['Error']['Code']}, "
                             "expected SignatureDoesNotMatch")
    else:
        raise StartError("moto_iam accepted a wrong secret: IAM enforcement is not on")
    try:
        client("s3", nolist["AccessKeyId"], nolist["SecretAccessKey"]).list_buckets()
    except botocore.exceptions.ClientError as e:
        if e.response["Error"]["Code"] != "AccessDenied":
            raise StartError(f"moto_iam refused ListBuckets to s3cache-nolist with {e.response['Error']['Code']}, "
                             "expected AccessDenied")
    else:
        raise StartError("moto_iam let s3cache-nolist list buckets: its Deny is not enforced")


def start_s3rver(workdir):
    script = ensure_s3rver()
    server = Server("s3rver", workdir)
    server.port = free_port()
    data = os.path.join(workdir, "s3rver-data")
    os.makedirs(data)
    server.access_key = server.secret_key = "S3RVER"
    # s3rver makes its continuation tokens with DES, which OpenSSL 3 keeps in its legacy provider.
    server.launch(["node", "--openssl-legacy-provider", script, "-d", data, "-a", "127.0.0.1", "-p", str(server.port),
                   "--no-vhost-buckets"])
    server.wait_ready("/")
    return server


def process_is_ours(pid, name):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            return f"{MARKER_ENV}={name}".encode() in f.read().split(b"\0")
    except OSError:
        return False


def kill_group(pid, name):
    if not process_is_ours(pid, name):
        return
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and process_is_ours(pid, name):
        try:
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                break
        except ChildProcessError:
            pass
        time.sleep(0.05)
    try:
        os.killpg(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def stop(state_path):
    try:
        with open(state_path) as f:
            state = json.load(f)
    except FileNotFoundError:
        return 0
    except (OSError, ValueError) as e:
        print(f"cannot read {state_path}: {e}", file=sys.stderr)
        return 1
    for name, entry in state.get("servers", {}).items():
        if "pid" in entry:
            kill_group(entry["pid"], name)
    workdir = state.get("workdir")
    if workdir and os.path.isdir(workdir):
        shutil.rmtree(workdir, ignore_errors=True)
    os.remove(state_path)
    return 0


def write_state(state_path, state):
    os.makedirs(os.path.dirname(os.path.abspath(state_path)), exist_ok=True)
    temporary = state_path + ".tmp"
    with open(temporary, "w") as f:
        json.dump(state, f, indent=2)
    os.replace(temporary, state_path)


def start(state_path):
    stop(state_path)  # servers left behind by an earlier run that never reached stop
    workdir = tempfile.mkdtemp(prefix="s3cache-servers-")
    servers = []
    # The state is written as servers come up, so that stop cleans up after a partial start too.
    state = {"workdir": workdir, "servers": {}}
    try:
        check_python_modules()
        tls = make_tls_files(workdir)
        for name, launcher in (
                ("moto", lambda: start_moto("moto", workdir)),
                ("moto_iam", lambda: start_moto("moto_iam", workdir,
                                                {"INITIAL_NO_AUTH_ACTION_COUNT": str(IAM_SETUP_ACTIONS)})),
                ("moto_tls", lambda: start_moto("moto_tls", workdir, tls=tls)),
                ("s3rver", lambda: start_s3rver(workdir))):
            server = launcher()
            servers.append(server)
            state["servers"][name] = server.describe()
            write_state(state_path, state)
            if name == "moto_iam":
                setup_iam(server)
                state["servers"][name] = server.describe()
                write_state(state_path, state)
            print(f"{name}: {server.endpoint} (pid {server.process.pid}, log {server.log_path})", flush=True)
    except Exception as e:  # noqa: BLE001 - every failure must stop what was started and be reported
        for server in servers:
            if server.process and server.process.poll() is None:
                print(f"--- {server.name} log tail ---\n{log_tail(server.log_path)}", file=sys.stderr)
        write_state(state_path, state)
        stop(state_path)
        print(f"cannot start the S3 test servers: {e}", file=sys.stderr)
        return 1
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop"])
    parser.add_argument("--state", required=True, help="JSON file describing the running servers")
    args = parser.parse_args()
    return start(args.state) if args.command == "start" else stop(args.state)


if __name__ == "__main__":
    sys.exit(main())
