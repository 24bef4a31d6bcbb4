"""Shared helpers for the end-to-end tests: the S3 servers started by the ctest fixture, the
s3cache binary, independent clients (boto3, the aws CLI, tarfile) and tree comparison."""
import hashlib
import json
import os
import shutil
import stat
import subprocess
import tempfile
import time
import unittest
import uuid

import boto3
from botocore.config import Config as BotoConfig

CLI = os.environ.get("S3CACHE_CLI", "")


def servers():
    path = os.environ.get("S3CACHE_TEST_SERVERS")
    if not path or not os.path.exists(path):
        raise RuntimeError(f"S3CACHE_TEST_SERVERS={path!r} is missing: run through ctest (fixture servers.start)")
    with open(path) as f:
        return json.load(f)["servers"]


def server(name):
    all_servers = servers()
    if name not in all_servers:
        raise RuntimeError(f"server {name} was not started (have: {sorted(all_servers)})")
    return all_servers[name]


def boto(name):
    s = server(name)
    return boto3.client("s3", endpoint_url=s["endpoint"], aws_access_key_id=s["access_key"],
                        aws_secret_access_key=s["secret_key"], region_name=s.get("region") or "us-east-1",
                        verify=s.get("ca_bundle", True),  # moto_tls: its throw-away CA
                        config=BotoConfig(s3={"addressing_style": "path"}, retries={"max_attempts": 2}))


def new_bucket(name, tag="e2e"):
    bucket = f"s3c-{tag}-{uuid.uuid4().hex[:10]}"
    boto(name).create_bucket(Bucket=bucket)
    return bucket


def clean_env(**extra):
    """The environment of a CI step: nothing inherited that could change the outcome."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PARAMETER_", "CACHE_S3_", "S3_CACHE_", "VELA_", "REPOSITORY_"))}
    env["HOME"] = extra.pop("HOME", env.get("HOME", "/nonexistent"))
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_cli(args=(), env=None, cwd=None, timeout=300):
    if not CLI or not os.path.exists(CLI):
        raise RuntimeError(f"S3CACHE_CLI={CLI!r} does not exist")
    return subprocess.run([CLI, *args], env=env if env is not None else clean_env(), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def vela_env(backend, bucket, action, **params):
    """Environment as Vela sets it: parameters as PARAMETER_*, secrets as CACHE_S3_*."""
    if backend == "file":
        server_url = params.pop("file_root")
        env = clean_env(PARAMETER_SERVER=server_url)
    else:
        s = server(backend)
        env = clean_env(PARAMETER_SERVER=s["endpoint"], CACHE_S3_ACCESS_KEY=s["access_key"],
                        CACHE_S3_SECRET_KEY=s["secret_key"])
    env.update(PARAMETER_ACTION=action, PARAMETER_ROOT=bucket, VELA_REPO_ORG="acme", VELA_REPO_NAME="webapp")
    for k, v in params.items():
        env["PARAMETER_" + k.upper()] = v if isinstance(v, str) else json.dumps(v)
    return env


def write(path, data=b"", mode=None, mtime=None):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)
    if mtime is not None:
        os.utime(path, (mtime, mtime))


MARKER = ".s3cache-used"  # a cache's last-use marker (core/cache/lastused.h): KEY + MARKER


def cache_keys(keys):
    """The keys that are caches, without the last-use markers that restores write next to them."""
    return [k for k in keys if not k.endswith(MARKER)]


# What a rebuild and a restore of the default key leave in a bucket.
CACHE_AND_MARKER = ["acme/webapp/archive.tar.zst", "acme/webapp/archive.tar.zst" + MARKER]


def keys_of(client, bucket):
    """Every key in a bucket (one page), sorted, by a boto3 client."""
    return sorted(o["Key"] for o in client.list_objects_v2(Bucket=bucket).get("Contents", []))


def stored_keys(backend, bucket, store_dir):
    """Every object key in the bucket (last-use markers too), sorted: from the file store's folder
    or by listing."""
    if backend == "file":
        root = os.path.join(store_dir, bucket)
        out = []
        for d, dirs, files in os.walk(root):
            dirs[:] = [x for x in dirs if not x.startswith(".s3cache-")]
            out += [os.path.relpath(os.path.join(d, f), root) for f in files]
        return sorted(out)
    pages = boto(backend).get_paginator("list_objects_v2").paginate(Bucket=bucket)
    return sorted(o["Key"] for p in pages for o in p.get("Contents", []))


def make_tree(root):
    """A small cache-like workspace: node_modules with .bin symlinks, .gradle, odd names."""
    nm = os.path.join(root, "node_modules")
    for i in range(50):
        write(f"{nm}/pkg{i}/index.js", f"module.exports = {i};\n".encode() * (i + 1), mtime=1_000_000_000 + i)
    write(f"{nm}/typescript/bin/tsc", b"#!/usr/bin/env node\n", mode=0o755)
    os.makedirs(f"{nm}/.bin")
    os.symlink("../typescript/bin/tsc", f"{nm}/.bin/tsc")
    os.symlink("/usr/bin/env", f"{nm}/.bin/abs-link")
    os.symlink("missing-target", f"{nm}/.bin/dangling")
    write(f"{nm}/ünïcødé dir/spaced name.txt", "ü".encode() * 100)
    write(f"{nm}/secret.pem", b"k" * 10, mode=0o600)
    write(f"{nm}/empty.txt", b"")
    os.makedirs(f"{nm}/empty-dir")
    os.link(f"{nm}/pkg1/index.js", f"{nm}/pkg1/hardlink.js")
    write(f"{root}/.gradle/caches/blob.bin", os.urandom(3 * 1024 * 1024 + 17))
    write(f"{root}/src/main.c", b"int main(){return 0;}\n")  # not a mount: must never be touched


def snapshot(root, skip=()):
    """Path -> (type, mode, size, mtime, content hash or link target) for every entry below root,
    but for what s3cache keeps in each workspace and never caches: its content state
    (.s3cache-state) and dedup stream maps (.s3cache-dedup-*)."""
    skip = tuple(skip) + (".s3cache-state",)

    def skipped(top):
        return top in skip or top.startswith(".s3cache-dedup-")
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if skipped(rel_dir.split(os.sep)[0]):
            continue
        for name in dirnames + filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if skipped(rel.split(os.sep)[0]):
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(path))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir", stat.S_IMODE(st.st_mode))
            else:
                with open(path, "rb") as f:
                    digest = hashlib.sha256(f.read()).hexdigest()
                out[rel] = ("file", stat.S_IMODE(st.st_mode), st.st_size, int(st.st_mtime), digest)
    return out


class TempDirTestCase(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="s3c-e2e-")
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def assertRan(self, proc, code=0, msg=""):
        self.assertEqual(proc.returncode, code,
                         f"{msg}\nexit {proc.returncode}, expected {code}\n--- stdout\n{proc.stdout}\n--- stderr\n{proc.stderr}")
        return proc


class BackendMixin:
    """A fresh bucket for each test on BACKEND ("file", "moto", "s3rver"; the file:// store lives
    in the test's folder, self.store), the step's environment for it, and direct access that does
    not go through s3cache. Mixed in before TempDirTestCase."""
    BACKEND = None
    BUCKET_TAG = "e2e"

    def setUp(self):
        super().setUp()
        self.store = self.path("store")
        if self.BACKEND == "file":
            self.bucket = "caches"
        else:
            self.bucket = new_bucket(self.BACKEND, self.BUCKET_TAG)
            self.s3 = boto(self.BACKEND)

    def env(self, action, **params):
        if self.BACKEND == "file":
            params["file_root"] = "file://" + self.store
        return vela_env(self.BACKEND, self.bucket, action, **params)

    def get_object(self, key):
        if self.BACKEND == "file":
            with open(os.path.join(self.store, self.bucket, key), "rb") as f:
                return f.read()
        return self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()

    def put_object(self, key, data):
        if self.BACKEND == "file":
            write(os.path.join(self.store, self.bucket, key), data)
        else:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)

    def keys(self):
        return stored_keys(self.BACKEND, self.bucket, self.store)


def wait_until(predicate, timeout=30, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()
