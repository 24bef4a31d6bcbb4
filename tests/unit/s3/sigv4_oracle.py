#!/usr/bin/env python3
"""botocore as an independent SigV4 oracle for tst_sigv4signer.

Reads a JSON array of requests from the file named by argv[1] (or stdin) and prints a JSON object
mapping each request's "name" to the Authorization header botocore's S3SigV4Auth computes.

Each request: {"name", "method", "base_url" ("scheme://host[:port]"), "path" (decoded, "/..."),
"query" ([[name, value], ...] decoded), "headers" ([[name, value], ...], without host),
"body_base64", "access_key", "secret_key", "session_token", "region", "time" ("YYYYmmddTHHMMSSZ")}.

botocore gets the inputs the way its S3 client hands them to the signer: the path percent-encoded
by its serializer (botocore.utils.percent_encode, safe '/~'), the query as decoded pairs that the
signer encodes itself, and the host derived from the URL. Over https payload signing is off
(UNSIGNED-PAYLOAD); over http the body is hashed.
"""

import base64
import datetime
import json
import sys
import types
from unittest import mock

import botocore.auth
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode


def fixed_clock(when):
    """Makes botocore sign at `when`. newer botocore reads the time through
    botocore.auth.get_current_datetime(); older ones (Debian 12 ships 1.29) call
    datetime.datetime.utcnow() in botocore.auth."""
    if hasattr(botocore.auth, "get_current_datetime"):
        return mock.patch("botocore.auth.get_current_datetime", return_value=when)

    class FixedDatetime(datetime.datetime):
        @classmethod
        def utcnow(cls):
            return when

    clock = types.SimpleNamespace(datetime=FixedDatetime, timedelta=datetime.timedelta, timezone=datetime.timezone)
    return mock.patch.object(botocore.auth, "datetime", clock)


def authorization(row):
    url = row["base_url"] + percent_encode(row["path"], safe="/~")
    request = AWSRequest(method=row["method"], url=url, headers=dict(row["headers"]),
                         data=base64.b64decode(row["body_base64"]),
                         params=[tuple(pair) for pair in row["query"]])
    if url.startswith("https"):
        request.context["client_config"] = Config(s3={"payload_signing_enabled": False})
    credentials = Credentials(row["access_key"], row["secret_key"], row["session_token"] or None)
    when = datetime.datetime.strptime(row["time"], "%Y%m%dT%H%M%SZ")
    with fixed_clock(when):
        S3SigV4Auth(credentials, "s3", row["region"]).add_auth(request)
    return request.headers["Authorization"]


def main():
    source = open(sys.argv[1], encoding="utf-8") if len(sys.argv) > 1 else sys.stdin
    with source:
        rows = json.load(source)
    json.dump({row["name"]: authorization(row) for row in rows}, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
