"""End to end: the archive format is decided once, by the configuration (issue 14). A key without
a known extension (`--path k/latest`) takes its format from `filename`; the rebuild used to work it
out again from the key, dereference an empty optional and write a plain tar logged as `()`."""
import subprocess
import unittest

from common import TempDirTestCase, make_tree, run_cli, vela_env

BUCKET = "caches"
MAGIC = {"tar.zst": b"\x28\xb5\x2f\xfd", "tar.gz": b"\x1f\x8b", "zip": b"PK\x03\x04"}


class ArchiveFormatTest(TempDirTestCase):
    def rebuild(self, **params):
        ws = self.path("ws-" + params["path"].replace("/", "-"))
        make_tree(ws)
        env = vela_env("file", BUCKET, "rebuild", file_root="file://" + self.path("store"),
                       mount=["node_modules"], **params)
        return self.assertRan(run_cli(env=env, cwd=ws))

    def stored(self, key):
        with open(self.path("store", BUCKET, key), "rb") as f:
            return f.read()

    def test_key_without_extension_takes_the_filename_format(self):
        for filename, fmt in [(None, "tar.zst"), ("cache.tgz", "tar.gz"), ("cache.zip", "zip")]:
            with self.subTest(filename=filename):
                params = {"path": f"k/{fmt}/latest"}
                if filename:
                    params["filename"] = filename
                proc = self.rebuild(**params)
                data = self.stored(params["path"])
                self.assertTrue(data.startswith(MAGIC[fmt]), f"{fmt}: starts with {data[:8]!r}")
                self.assertIn(f"({fmt}) in ", proc.stderr)
                self.assertNotIn("()", proc.stderr)

    def test_key_extension_wins_over_filename(self):
        self.rebuild(path="k/x.tgz", filename="cache.zip")
        self.assertTrue(self.stored("k/x.tgz").startswith(MAGIC["tar.gz"]))
        # and `inspect` reads it back as what it is
        env = vela_env("file", BUCKET, "inspect", file_root="file://" + self.path("store"), path="k/x.tgz")
        proc = self.assertRan(run_cli(env=env, cwd=self.tmp))
        self.assertIn("format:        tar.gz\n", proc.stdout)


if __name__ == "__main__":
    unittest.main()
