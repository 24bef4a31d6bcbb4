"""Runs moto's S3 server: `python moto_main.py ARGS` is `moto_server ARGS`.

Debian 12's python3-awscrt (0.16, which its awscli depends on) predates `crc64nvme`, and moto 5.1
and later call it whenever awscrt can be imported: completing a multipart upload then fails with
HTTP 500. Without awscrt, moto computes its checksums itself, so an awscrt that old is hidden.
"""

import sys

try:
    from awscrt import checksums

    if not hasattr(checksums, "crc64nvme"):
        sys.modules["awscrt"] = None  # importlib.util.find_spec("awscrt") is now None
except ImportError:
    pass

from moto.server import main  # noqa: E402

main()
