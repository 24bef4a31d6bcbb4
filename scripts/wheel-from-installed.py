#!/usr/bin/env python3
"""Packs an installed Python distribution back into a wheel, for a machine that cannot reach the
Python package index (scripts/check-fresh-install hands the host's moto to its Debian chroot
this way; pip then installs it from PIP_FIND_LINKS as it would from the index).

    wheel-from-installed.py DISTRIBUTION OUT_DIR     prints the wheel's path

Only pure-Python distributions are packed (their files all live in site-packages); console
scripts are not copied but recreated by pip from entry_points.txt.
"""

import base64
import hashlib
import importlib.metadata
import os
import sys
import zipfile


def record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    name, out_dir = sys.argv[1], sys.argv[2]
    dist = importlib.metadata.distribution(name)
    site = str(dist.locate_file(""))
    dist_info = next(f.parts[0] for f in dist.files if f.parts[0].endswith(".dist-info"))
    wheel_tag = "py3-none-any"
    wheel_meta = dist.read_text("WHEEL") or ""
    if "Root-Is-Purelib: true" not in wheel_meta:
        sys.exit(f"{name} is not a pure-Python wheel (WHEEL says: {wheel_meta.strip()!r})")

    os.makedirs(out_dir, exist_ok=True)
    normalized = dist.metadata["Name"].replace("-", "_")
    path = os.path.join(out_dir, f"{normalized}-{dist.version}-{wheel_tag}.whl")
    records = []
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as whl:
        for f in sorted(dist.files, key=str):
            rel = str(f)
            # Scripts (../../bin/...), byte code and the installer's own bookkeeping stay behind.
            if rel.startswith("..") or "__pycache__" in f.parts or rel.endswith(".pyc"):
                continue
            if rel in (f"{dist_info}/RECORD", f"{dist_info}/INSTALLER", f"{dist_info}/REQUESTED",
                       f"{dist_info}/direct_url.json"):
                continue
            with open(os.path.join(site, rel), "rb") as fh:
                data = fh.read()
            whl.writestr(rel, data)
            records.append(record_line(rel, data))
        records.append(f"{dist_info}/RECORD,,")
        whl.writestr(f"{dist_info}/RECORD", "\n".join(records) + "\n")
    print(path)


if __name__ == "__main__":
    main()
