"""End to end: keys and prefixes that contain QString::arg placeholders (`%1 %2 %L1`) pass through
every action unchanged (issue 14). The stored key and the outputs were always right; the log lines
were not, because a message chained `.arg(key).arg(count)` and the second call rewrote the `%1`/`%2`
that the key had brought into the text. Every assertion compares the whole key as logged with the
key as stored, on the file:// store and on moto. The file:// store's URIs show a '%' as '%25' (as
QUrl writes it), which no `.arg()` takes for a placeholder, so the old defect shows on moto, whose
`s3://bucket/key` URIs carry the key as it is."""
import os
import re
import unittest

from common import TempDirTestCase, cache_keys, make_tree, new_bucket, run_cli, stored_keys, vela_env

PLACEHOLDERS = "%1 %2 %L1"


class PercentKeysMixin:
    BACKEND = None

    def setUp(self):
        super().setUp()
        self.store = self.path("store")
        self.bucket = "caches" if self.BACKEND == "file" else new_bucket(self.BACKEND, "pct")
        self.ws = self.path("ws")
        make_tree(self.ws)
        self.outputs = self.path("outputs.env")

    def env(self, action, **params):
        if self.BACKEND == "file":
            params["file_root"] = "file://" + self.store
        env = vela_env(self.BACKEND, self.bucket, action, **params)
        env["VELA_OUTPUTS"] = self.outputs
        return env

    def run_action(self, action, code=0, **params):
        return self.assertRan(run_cli(env=self.env(action, **params), cwd=self.ws), code)

    def keys(self):
        return cache_keys(stored_keys(self.BACKEND, self.bucket, self.store))

    def uri(self, key):
        """What the CLI prints for a key: QUrl::fromLocalFile(...).toString() for the file:// store."""
        if self.BACKEND == "file":
            return "file://" + os.path.join(self.store, self.bucket, key).replace("%", "%25")
        return f"s3://{self.bucket}/{key}"

    def assertLogLine(self, proc, line):
        """`line` is one whole message of the log (after the time and level columns)."""
        messages = [re.sub(r"^\S+\s+[A-Z]+\s+", "", m) for m in proc.stderr.splitlines()]
        self.assertIn(line, messages, proc.stderr)

    def assertLogged(self, proc, text):
        self.assertIn(text, proc.stderr)

    def output_lines(self):
        with open(self.outputs) as f:
            lines = f.read().splitlines()
        os.remove(self.outputs)
        return lines

    def round_trip(self, key, miss, **params):
        """restore (miss), rebuild, rebuild again (unchanged), restore (hit), lookup-only, inspect."""
        uri = self.uri(key)
        proc = self.run_action("restore", **params)
        self.assertLogLine(proc, miss)
        self.assertIn(f"S3_CACHE_KEY={key}", self.output_lines())

        proc = self.run_action("rebuild", mount=["node_modules", ".gradle"], **params)
        self.assertEqual(self.keys(), [key])
        self.assertLogLine(proc, f"rebuilding {uri} from node_modules, .gradle in {self.ws}")
        self.assertRegex(proc.stderr, re.escape(f"uploaded {uri}: ") + r"\d+ files, ")
        self.assertIn(f"S3_CACHE_KEY={key}", self.output_lines())

        proc = self.run_action("rebuild", mount=["node_modules", ".gradle"], **params)
        self.assertRegex(proc.stderr, re.escape(f"cache unchanged: {uri} already holds this tree (") + r"\d+ files, fingerprint ")

        proc = self.run_action("restore", **params)
        self.assertLogLine(proc, f"restoring {uri} into {self.ws}")
        self.assertLogged(proc, f"cache hit: restored {uri} (")
        self.assertIn(f"S3_CACHE_MATCHED_KEY={key}", self.output_lines())

        proc = self.run_action("restore", lookup_only="true", **params)
        self.assertLogged(proc, f"cache hit: {uri} exists (")
        self.output_lines()

        proc = self.run_action("inspect", **params)
        self.assertIn(f"object:        {uri}\n", proc.stdout)

    def test_path_with_placeholders(self):
        key = f"pct/{PLACEHOLDERS}.tar.zst"
        self.round_trip(key, f"cache miss: no object at {self.uri(key)}", path=key)

        proc = self.run_action("list", path="pct/")
        self.assertRegex(proc.stdout, r"(?m)  " + re.escape(key) + "$")
        self.assertRegex(proc.stdout, r"(?m)^1 objects, ")

    def test_prefix_with_placeholders(self):
        prefix = f"pct {PLACEHOLDERS}"
        key = f"{prefix}/acme/webapp/archive.tar.zst"
        legacy = f"{prefix}/acme/webapp/archive.tgz"  # the Go plugin's name, tried when filename is not set
        self.round_trip(key, f"cache miss: no object at {self.uri(key)} nor {self.uri(legacy)}", prefix=prefix)

        proc = self.run_action("list", prefix=prefix)
        self.assertRegex(proc.stdout, r"(?m)  " + re.escape(key) + "$")

        scope = self.uri(f"{prefix}/acme/webapp/")
        proc = self.run_action("flush", prefix=prefix, age="0s", dry_run="true")
        self.assertLogged(proc, f"flushing objects under {scope} older than ")
        self.assertLogged(proc, f"would delete {self.uri(key)} (")
        self.assertEqual(self.keys(), [key])

        proc = self.run_action("flush", prefix=prefix, age="0s")
        self.assertLogged(proc, f"flushing objects under {scope} older than ")
        self.assertLogged(proc, "flushed 1 of 1 objects, freed ")
        self.assertEqual(self.keys(), [])

    def test_config_shows_the_key(self):
        key = f"pct/{PLACEHOLDERS}.tar.zst"
        proc = self.run_action("config", path=key)
        self.assertRegex(proc.stdout, r"(?m)^key:\s+" + re.escape(key) + "$")
        self.assertRegex(proc.stdout, r"(?m)^  path\s+" + re.escape(key) + r" \(PARAMETER_PATH\)$")


class FileStore(PercentKeysMixin, TempDirTestCase):
    BACKEND = "file"


class Moto(PercentKeysMixin, TempDirTestCase):
    BACKEND = "moto"


if __name__ == "__main__":
    unittest.main()
