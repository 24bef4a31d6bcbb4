"""End to end: the dedup format (`filename: cache.dedup`) through the environment as a Vela step
sets it, on the file:// store, moto and s3rver. A rebuild leaves a manifest and packs under
.chunks/; an independent reader written from the format's description (Python: the manifest's
bytes, ranged reads of the packs, the zstd CLI, hashlib and tarfile) rebuilds the same tar
stream; a restore gives the tree back; a small change uploads a small part; two rebuilds of
different keys at once both end complete; a chunk changed in its pack makes the restore fail and
leaves the workspace as it was, marks the pack damaged, and the next rebuild of the same workspace
stores its chunks again (a pack cut short too); flush collects the packs no cache uses, in two phases; and in CI's
restore -> build -> rebuild, the rebuild does not read what the build left unchanged, and its
chunks are those of a rebuild that reads everything."""
import glob
import hashlib
import io
import json
import os
import struct
import subprocess
import tarfile
import unittest

from common import CLI, BackendMixin, TempDirTestCase, make_tree, run_cli, snapshot, write

KEY = "acme/webapp/cache.dedup"
MOUNTS = ["node_modules", ".gradle"]
MAGIC = b"S3CACHE-DEDUP-MANIFEST 1\n"


def parse_manifest(data):
    """(area, raw size, packs, chunks) from a manifest's bytes, as README's "Deduplicated caches"
    describes them: little-endian; chunk = (sha256, pack index, offset, stored size, raw size)."""
    assert data.startswith(MAGIC), data[:40]
    pos = len(MAGIC)
    (area_len,) = struct.unpack_from("<I", data, pos)
    pos += 4
    area = data[pos:pos + area_len].decode()
    pos += area_len
    raw_size, packs_n = struct.unpack_from("<QI", data, pos)
    pos += 12
    packs = [data[pos + 32 * i:pos + 32 * (i + 1)].hex() for i in range(packs_n)]
    pos += 32 * packs_n
    (chunks_n,) = struct.unpack_from("<I", data, pos)
    pos += 4
    chunks = []
    for _ in range(chunks_n):
        digest = data[pos:pos + 32]
        pack, offset, stored, raw = struct.unpack_from("<IQII", data, pos + 32)
        chunks.append((digest, pack, offset, stored, raw))
        pos += 52
    assert pos == len(data)
    return area, raw_size, packs, chunks


class DedupMixin(BackendMixin):
    BUCKET_TAG = "dedup"

    def setUp(self):
        super().setUp()
        self.ws = self.path("ws")
        make_tree(self.ws)

    def env(self, action, **params):
        params.setdefault("filename", "cache.dedup")
        params.setdefault("mount", MOUNTS)
        return super().env(action, **params)

    def step(self, action, ws=None, code=0, **params):
        return self.assertRan(run_cli(env=self.env(action, **params), cwd=ws or self.ws), code)

    def json_step(self, action, ws=None, code=0, **params):
        return json.loads(self.step(action, ws, code, output="json", **params).stdout)

    def read_range(self, key, offset, length):
        if self.BACKEND == "file":
            with open(os.path.join(self.store, self.bucket, key), "rb") as f:
                f.seek(offset)
                return f.read(length)
        r = self.s3.get_object(Bucket=self.bucket, Key=key, Range=f"bytes={offset}-{offset + length - 1}")
        return r["Body"].read()

    def area_keys(self, folder):
        return [k for k in self.keys() if k.startswith(".chunks/" + folder + "/")]

    def test_rebuild_restore_and_an_independent_reader(self):
        doc = self.json_step("rebuild")
        self.assertEqual(doc["outcome"], "uploaded")
        self.assertEqual(doc["format"], "dedup")
        self.assertEqual(doc["dedup"]["new_chunks"], doc["dedup"]["chunks"])
        packs = self.area_keys("packs")
        self.assertGreaterEqual(len(packs), 1)
        self.assertEqual(len(self.area_keys("index")), 1)
        self.assertEqual(doc["bytes_transferred"],
                         sum(len(self.get_object(k)) for k in packs + self.area_keys("index") + [KEY]))

        # The format as documented: every chunk's stored bytes decompress to bytes with its hash,
        # and together they are a tar holding the mounts.
        area, raw_size, pack_names, chunks = parse_manifest(self.get_object(KEY))
        self.assertEqual(area, ".chunks/")
        stream = b""
        for digest, pack, offset, stored, raw in chunks:
            frame = self.read_range(f"{area}packs/{pack_names[pack]}", offset, stored)
            data = subprocess.run(["zstd", "-dc"], input=frame, capture_output=True, check=True).stdout
            self.assertEqual(len(data), raw)
            self.assertEqual(hashlib.sha256(data).digest(), digest)
            stream += data
        self.assertEqual(len(stream), raw_size)
        with tarfile.open(fileobj=io.BytesIO(stream)) as tar:
            names = set(tar.getnames())
        self.assertIn("node_modules/pkg1/hardlink.js", names)
        self.assertIn(".gradle/caches/blob.bin", names)

        # s3cache's restore and inspect read it like any cache.
        target = self.path("restored")
        os.makedirs(target)
        restored = self.json_step("restore", ws=target)
        self.assertEqual(restored["outcome"], "restored")
        self.assertEqual(restored["format"], "dedup")
        self.assertEqual(snapshot(target), snapshot(self.ws, skip=("src",)))
        self.assertIn("format:        dedup", self.step("inspect").stdout)
        # The chunk area is no cache: list shows the cache (its manifest) only.
        listed = self.json_step("list")
        self.assertEqual([o["key"] for o in listed["objects"]], [KEY])

    def test_small_change_uploads_a_small_part(self):
        full = self.json_step("rebuild")
        write(f"{self.ws}/node_modules/pkg7/index.js", b"module.exports = 'bumped';\n")
        bump = self.json_step("rebuild")
        self.assertEqual(bump["outcome"], "uploaded")
        self.assertLess(bump["dedup"]["new_chunks"], bump["dedup"]["chunks"])
        self.assertGreaterEqual(bump["dedup"]["packs_reused"], 1)
        self.assertLess(bump["bytes_transferred"] * 2, full["bytes_transferred"])
        target = self.path("restored")
        os.makedirs(target)
        self.step("restore", ws=target)
        self.assertEqual(snapshot(target), snapshot(self.ws, skip=("src",)))

    def test_rebuild_after_restore_reads_only_what_changed(self):
        for i in range(24):  # ~12 MiB more: some 25 chunks
            write(f"{self.ws}/.gradle/caches/jars/lib{i}.jar", os.urandom(512 * 1024 + 100 * i))
        self.step("rebuild")
        ci = self.path("ci")
        os.makedirs(ci)
        self.step("restore", ws=ci)
        self.assertEqual(len(glob.glob(f"{ci}/.s3cache-dedup-*")), 1)  # the stream's layout
        write(f"{ci}/node_modules/pkg7/index.js", b"module.exports = 'bumped';\n")
        write(f"{ci}/.gradle/caches/jars/lib20.jar", os.urandom(300 * 1024))
        doc = self.json_step("rebuild", ws=ci)
        self.assertEqual(doc["outcome"], "uploaded")
        # Most of the bytes are the jars: those away from lib20 are not read (the small files after
        # them share chunks with pkg7, and are read). Where the cuts fall moves with the files'
        # nanosecond mtimes: 18-24 of the 24 jars and their folders, 13-14 MB, in 7 runs.
        self.assertGreaterEqual(doc["dedup"]["entries_not_read"], 12)
        self.assertGreater(doc["dedup"]["bytes_from_map"], 8 * 1024 * 1024)
        # New chunks: those around pkg7 and lib20, 2-7 of 23-29 in 10 runs and 9 of 27 once (the
        # random jars move the cuts); a rebuild that stored everything again would have them all.
        self.assertLess(doc["dedup"]["new_chunks"] * 2, doc["dedup"]["chunks"])

        check = self.path("check")
        os.makedirs(check)
        self.step("restore", ws=check)
        self.assertEqual(snapshot(check), snapshot(ci))
        # Byte for byte the chunks of a rebuild without the map (under another name).
        for f in glob.glob(f"{ci}/.s3cache-dedup-*"):
            os.remove(f)
        plain = self.json_step("rebuild", ws=ci, filename="plain.dedup")
        self.assertEqual(plain["dedup"]["entries_not_read"], 0)
        chunks = [c[0] for c in parse_manifest(self.get_object(KEY))[3]]
        self.assertEqual(chunks, [c[0] for c in parse_manifest(self.get_object(KEY.replace("cache.dedup", "plain.dedup")))[3]])

    def test_two_rebuilds_at_once_both_complete(self):
        procs = [subprocess.Popen([CLI], env=self.env("rebuild", filename=name), cwd=self.ws,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name in ("one.dedup", "two.dedup")]
        for p in procs:
            out, err = p.communicate(timeout=120)
            self.assertEqual(p.returncode, 0, err)
        for name in ("one.dedup", "two.dedup"):
            target = self.path(name)
            os.makedirs(target)
            self.step("restore", ws=target, filename=name)
            self.assertEqual(snapshot(target), snapshot(self.ws, skip=("src",)))

    def test_changed_chunk_fails_the_restore_and_leaves_the_workspace(self):
        self.step("rebuild")
        area, _, pack_names, chunks = parse_manifest(self.get_object(KEY))
        # Another repository's build rewrites a pack, same length, one chunk's bytes changed.
        digest, pack, offset, stored, raw = chunks[len(chunks) // 2]
        key = f"{area}packs/{pack_names[pack]}"
        data = bytearray(self.get_object(key))
        other = subprocess.run(["zstd", "-c", "-3"], input=os.urandom(raw), capture_output=True, check=True).stdout
        data[offset:offset + stored] = (other + b"\0" * stored)[:stored]
        self.put_object(key, bytes(data))

        target = self.path("target")
        write(f"{target}/node_modules/pkg1/index.js", b"mine\n")
        write(f"{target}/notes.txt", b"untouched\n")
        before = snapshot(target)
        out = self.step("restore", ws=target, code=1, strict=True)
        self.assertRegex(out.stderr, r"CorruptChunk")
        self.assertRegex(out.stderr, r"chunk \d+ of .*cache\.dedup")
        self.assertEqual(snapshot(target), before)
        self.assert_heals(area, pack_names[pack], out)

    def test_cut_pack_fails_the_restore_and_the_next_rebuild_replaces_it(self):
        self.step("rebuild")
        area, _, pack_names, chunks = parse_manifest(self.get_object(KEY))
        digest, pack, offset, stored, raw = chunks[len(chunks) // 2]
        key = f"{area}packs/{pack_names[pack]}"
        self.put_object(key, self.get_object(key)[:offset + stored // 2])
        target = self.path("target")
        os.makedirs(target)
        out = self.step("restore", ws=target, code=1, strict=True)
        self.assertRegex(out.stderr, r"InvalidRange|IncompleteBody")
        self.assertEqual(snapshot(target), {})
        self.assert_heals(area, pack_names[pack], out)

    def assert_heals(self, area, pack, failed):
        """After a restore failed on `pack`: it is marked damaged, the rebuild of the same unchanged
        workspace stores its chunks again, the cache restores, and the marker leaves (with the
        pack rewritten under its own name, or with the pack by two flushes)."""
        self.assertIn("marked damaged", failed.stderr)
        self.assertEqual(self.area_keys("damaged"), [f"{area}damaged/{pack}"])
        again = self.json_step("rebuild")
        self.assertEqual(again["outcome"], "uploaded")
        self.assertGreater(again["dedup"]["new_chunks"], 0)
        target = self.path("healed")
        os.makedirs(target)
        self.step("restore", ws=target, strict=True)
        self.assertEqual(snapshot(target), snapshot(self.ws, skip=("src",)))
        self.assertEqual(self.json_step("rebuild")["outcome"], "unchanged")
        self.json_step("flush", chunk_grace="0s")
        self.assertEqual(self.json_step("flush", chunk_grace="0s")["chunks"]["damaged_packs"], 0)
        self.assertEqual(self.area_keys("damaged"), [])

    def test_flush_collects_the_packs_no_cache_uses(self):
        self.step("rebuild")
        kept = set(self.area_keys("packs"))
        other = self.path("other")
        write(f"{other}/node_modules/big.bin", os.urandom(2 * 1024 * 1024))
        write(f"{other}/.gradle/x", b"x")
        self.step("rebuild", ws=other, filename="gone.dedup")
        theirs = set(self.area_keys("packs")) - kept
        self.assertTrue(theirs)
        # An operator deletes that cache by hand (or the GUI does); flushes collect its chunks.
        self.put_object("acme/webapp/gone.dedup", b"")  # overwritten, then deleted: its manifest is gone
        if self.BACKEND == "file":
            os.remove(os.path.join(self.store, self.bucket, "acme/webapp/gone.dedup"))
        else:
            self.s3.delete_object(Bucket=self.bucket, Key="acme/webapp/gone.dedup")

        first = self.json_step("flush", chunk_grace="0s")
        self.assertEqual(first["chunks"]["manifests"], 1)
        self.assertEqual(first["chunks"]["condemned_packs"], len(theirs))
        self.assertEqual(first["chunks"]["swept_packs"], 0)
        self.assertEqual(set(self.area_keys("packs")), kept | theirs)  # phase 1 deletes nothing
        dry = self.json_step("flush", chunk_grace="0s", dry_run=True)
        self.assertEqual(dry["chunks"]["swept_packs"], len(theirs))
        self.assertEqual(set(self.area_keys("packs")), kept | theirs)
        second = self.json_step("flush", chunk_grace="0s")
        self.assertEqual(second["chunks"]["swept_packs"], len(theirs))
        self.assertEqual(set(self.area_keys("packs")), kept)
        target = self.path("restored")
        os.makedirs(target)
        self.step("restore", ws=target)
        self.assertEqual(snapshot(target), snapshot(self.ws, skip=("src",)))
        # With the default grace (6 h) nothing young is ever condemned.
        self.assertEqual(self.json_step("flush")["chunks"]["condemned_packs"], 0)


class FileStoreDedup(DedupMixin, TempDirTestCase):
    BACKEND = "file"


class MotoDedup(DedupMixin, TempDirTestCase):
    BACKEND = "moto"


class S3rverDedup(DedupMixin, TempDirTestCase):
    BACKEND = "s3rver"


if __name__ == "__main__":
    unittest.main()
