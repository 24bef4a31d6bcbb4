#!/usr/bin/env python3
"""Python's tarfile and zipfile on the other side of tst_archiveinterop.

  interop.py list ARCHIVE            one JSON object per entry (tar: any codec tarfile reads; zip)
  interop.py make OUT FORMAT MODE SRC NAME...
                                     tarfile archive of SRC/NAME... (FORMAT pax|gnu|ustar, MODE w|w:gz)
  interop.py go-layout OUT SRC MOUNT...
                                     archive.tgz as the Go plugin wrote it: each mount stored under
                                     its base name (a/b/dir -> dir/...), gzip, GNU tar headers
"""
import json
import os
import stat
import sys
import tarfile
import zipfile


def list_archive(path):
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as zf:
            bad = zf.testzip()
            if bad is not None:
                sys.exit("bad CRC in " + bad)
            for zi in zf.infolist():
                mode = zi.external_attr >> 16
                entry = {"name": zi.filename.rstrip("/"), "mode": stat.S_IMODE(mode)}
                if stat.S_ISLNK(mode):
                    entry.update(type="symlink", link=zf.read(zi).decode())
                elif zi.is_dir():
                    entry.update(type="dir")
                else:
                    entry.update(type="file", size=zi.file_size)
                print(json.dumps(entry, ensure_ascii=False))
        return
    with tarfile.open(path, "r:*") as tf:
        for ti in tf:
            kind = {tarfile.DIRTYPE: "dir", tarfile.SYMTYPE: "symlink", tarfile.LNKTYPE: "hardlink"}.get(ti.type, "file")
            entry = {"name": ti.name.rstrip("/"), "type": kind, "mode": ti.mode, "mtime": int(ti.mtime)}
            if kind in ("symlink", "hardlink"):
                entry["link"] = ti.linkname
            if kind == "file":
                entry["size"] = ti.size
            print(json.dumps(entry, ensure_ascii=False))


def make(out, fmt, mode, src, names):
    formats = {"pax": tarfile.PAX_FORMAT, "gnu": tarfile.GNU_FORMAT, "ustar": tarfile.USTAR_FORMAT}
    with tarfile.open(out, mode, format=formats[fmt]) as tf:
        for name in names:
            tf.add(os.path.join(src, name), arcname=name)


def go_layout(out, src, mounts):
    with tarfile.open(out, "w:gz", format=tarfile.GNU_FORMAT) as tf:
        for mount in mounts:
            tf.add(os.path.join(src, mount), arcname=os.path.basename(mount))


def main():
    command = sys.argv[1]
    if command == "list":
        list_archive(sys.argv[2])
    elif command == "make":
        make(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6:])
    elif command == "go-layout":
        go_layout(sys.argv[2], sys.argv[3], sys.argv[4:])
    else:
        sys.exit("unknown command " + command)


if __name__ == "__main__":
    main()
