#!/usr/bin/env python3
"""Writes hostile archives for tst_safeextractor into OUTDIR.

usage: make_malicious.py OUTDIR OUTSIDE

OUTSIDE is an absolute directory outside the workspace that an attack tries to reach. Every
archive first carries a harmless "victim.txt" (so the extractor has already staged a replacement
for the workspace's own victim.txt when it meets the attack) and then the attack itself.
"""
import gzip
import io
import os
import subprocess
import sys
import tarfile
import zipfile


def info(name, kind=tarfile.REGTYPE, data=b"", linkname=""):
    ti = tarfile.TarInfo(name)
    ti.type = kind
    ti.size = len(data) if kind == tarfile.REGTYPE else 0
    ti.linkname = linkname
    ti.mode = 0o777 if kind == tarfile.SYMTYPE else 0o644
    ti.mtime = 1000000000
    return ti, (io.BytesIO(data) if kind == tarfile.REGTYPE else None)


def tar_bytes(members, mode="w"):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode=mode, format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(*info("victim.txt", data=b"from the archive\n"))
        for member in members:
            tf.addfile(*member)
    return buf.getvalue()


def write(outdir, name, data):
    with open(os.path.join(outdir, name), "wb") as f:
        f.write(data)


def main():
    outdir, outside = sys.argv[1], sys.argv[2]
    write(outdir, "absolute.tar", tar_bytes([info(outside + "/abs.txt", data=b"pwned\n")]))
    write(outdir, "dotdot.tar", tar_bytes([info("../x", data=b"pwned\n")]))
    write(outdir, "symlink_write_through.tar", tar_bytes([
        info("evil", tarfile.SYMTYPE, linkname=outside),
        info("evil/file", data=b"pwned\n")]))
    write(outdir, "symlink_then_hardlink.tar", tar_bytes([
        info("evil", tarfile.SYMTYPE, linkname=outside + "/target"),
        info("h", tarfile.LNKTYPE, linkname="evil")]))
    write(outdir, "hardlink_passwd.tar", tar_bytes([info("h", tarfile.LNKTYPE, linkname="/etc/passwd")]))
    write(outdir, "hardlink_dotdot.tar", tar_bytes([info("h", tarfile.LNKTYPE, linkname="../../etc/passwd")]))
    write(outdir, "workspace_symlink.tar", tar_bytes([info("link/file", data=b"pwned\n")]))
    write(outdir, "deep.tar", tar_bytes([info("a/" * 10000 + "f", data=b"deep\n")]))

    good = tar_bytes([info("ok.txt", data=os.urandom(200000))], mode="w:gz")
    write(outdir, "truncated.tgz", good[: len(good) // 2])

    plain = tar_bytes([info("ok.txt", data=os.urandom(200000))])
    zst = subprocess.run(["zstd", "-q", "-c", "--check"], input=plain, stdout=subprocess.PIPE, check=True).stdout
    damaged = bytearray(zst)
    for i in range(len(damaged) // 2, len(damaged) // 2 + 64):
        damaged[i] ^= 0x5A
    write(outdir, "corrupt.tar.zst", bytes(damaged))
    write(outdir, "truncated.tar.zst", zst[: len(zst) // 2])

    bad = bytearray(tar_bytes([info("ok.txt", data=b"fine\n")]))
    header = bad.index(b"ok.txt\0")  # the second header starts with the name
    bad[header + 148: header + 156] = b"0000000\0"  # wrong checksum
    write(outdir, "badchecksum.tar", bytes(bad))
    write(outdir, "garbage.bin", b"this is not an archive at all\n" * 100)

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("victim.txt", b"from the archive\n")
        zf.writestr("../../x", b"pwned\n")
    write(outdir, "zipslip.zip", buf.getvalue())

    # Symlink races: a directory entry, then a symlink of the same name leading out, then a
    # file through it; and a symlink replaced by a directory of the same name.
    write(outdir, "symlink_replaces_dir.tar", tar_bytes([
        info("d", tarfile.DIRTYPE),
        info("d", tarfile.SYMTYPE, linkname=outside),
        info("d/file", data=b"pwned\n")]))
    write(outdir, "symlink_dotdot_chain.tar", tar_bytes([
        info("a", tarfile.SYMTYPE, linkname="."),
        info("b", tarfile.SYMTYPE, linkname="a/.."),
        info("b/x", data=b"pwned\n")]))
    # Hard links: to a directory, to itself, and to a file reached through a symlink.
    write(outdir, "hardlink_to_dir.tar", tar_bytes([info("dir", tarfile.DIRTYPE), info("h", tarfile.LNKTYPE, linkname="dir")]))
    write(outdir, "hardlink_to_self.tar", tar_bytes([info("h", tarfile.LNKTYPE, linkname="h")]))
    write(outdir, "hardlink_via_symlink.tar", tar_bytes([
        info("s", tarfile.SYMTYPE, linkname=outside),
        info("h", tarfile.LNKTYPE, linkname="s/target")]))

    # Huge sizes: a header declaring 64 GiB (base-256) over a short body.
    huge = bytearray(tar_bytes([info("huge")], mode="w"))
    header = huge.index(b"huge\0")
    huge[header + 124: header + 136] = b"\x80" + bytes(6) + b"\x10" + bytes(4)
    huge[header + 148: header + 156] = b" " * 8
    huge[header + 148: header + 156] = ("%06o\0 " % sum(huge[header: header + 512])).encode()
    write(outdir, "huge_size.tar", bytes(huge))

    # Zip variants: an absolute name, a symlink out then a file through it, a deflate bomb.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("victim.txt", b"from the archive\n")
        zf.writestr(outside + "/abs.txt", b"pwned\n")
    write(outdir, "zip_absolute.zip", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("victim.txt", b"from the archive\n")
        link = zipfile.ZipInfo("evil")
        link.create_system = 3
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, outside)
        zf.writestr("evil/file", b"pwned\n")
    write(outdir, "zip_symlink_write_through.zip", buf.getvalue())
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("victim.txt", b"from the archive\n")
        zf.writestr("zeros", bytes(64 * 1024 * 1024))
    write(outdir, "bomb.zip", buf.getvalue())

    zeros = io.BytesIO()
    with tarfile.open(fileobj=zeros, mode="w:gz", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(*info("victim.txt", data=b"from the archive\n"))
        ti = tarfile.TarInfo("zeros")
        ti.size = 64 * 1024 * 1024
        ti.mtime = 1000000000

        class Zeros(io.RawIOBase):
            def __init__(self, n):
                self.left = n

            def readable(self):
                return True

            def readinto(self, b):
                n = min(len(b), self.left)
                b[:n] = bytes(n)
                self.left -= n
                return n

        tf.addfile(ti, io.BufferedReader(Zeros(ti.size)))
    write(outdir, "bomb.tar.gz", zeros.getvalue())

    # Names from other archivers (not attacks, but they must not lose files). Python's pax writer
    # stores valid UTF-8 names as UTF-8 and others with hdrcharset=BINARY.
    nfc, nfd = "Caf\u00e9", "Cafe\u0301"
    write(outdir, "foreign_names.tar", tar_bytes([
        info(nfc, data=b"nfc"), info(nfd, data=b"nfd"),
        info(os.fsdecode(b"bad\xff"), data=b"ff"), info(os.fsdecode(b"bad\xfe"), data=b"fe")]))
    # zip flags both names UTF-8; libarchive hands flagged names over in NFC, so they become one.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(nfc, b"nfc")
        zf.writestr(nfd, b"nfd")
    write(outdir, "foreign_nfc_nfd.zip", buf.getvalue())
    # A name flagged UTF-8 that is not: "bad\u00ff" (C3 BF) with its bytes made FF FE.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ok.txt", b"ok")
        zf.writestr("bad\u00ff", b"x")
    write(outdir, "zip_invalid_utf8_name.zip", buf.getvalue().replace(b"bad\xc3\xbf", b"bad\xff\xfe"))

    # Python's zipfile (like Info-ZIP) writes types and modes only into the central directory:
    # no "xl" field in the local headers that a streaming reader sees first.
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        def add(name, mode, data=b""):
            zi = zipfile.ZipInfo(name, date_time=(2001, 9, 9, 1, 46, 40))
            zi.create_system = 3
            zi.external_attr = mode << 16
            zf.writestr(zi, data)
        add("bin/", 0o040750)
        add("bin/tool", 0o100755, b"#!/bin/sh\n")
        add("bin/link", 0o120777, b"tool")
        add("bin/helper", 0o104755, b"#!/bin/sh\n")  # setuid: stripped like any other
        add("plain.txt", 0o100600, b"plain")
    write(outdir, "foreign_modes.zip", buf.getvalue())


if __name__ == "__main__":
    main()
