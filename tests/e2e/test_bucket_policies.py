"""What bucket policies on CI buckets demand of every object written: server-side encryption,
storage class and tags, on single PUTs and on multipart uploads, as moto records them (read back
with boto3); a cache written that way restores."""
import os
import shutil
import unittest

from common import TempDirTestCase, boto, new_bucket, run_cli, snapshot, vela_env, write


class BucketPolicyTest(TempDirTestCase):
    backend = "moto"

    def rebuild_and_restore(self, bucket, size, **params):
        ws = self.path("ws")
        write(f"{ws}/.gradle/blob.bin", os.urandom(size))
        write(f"{ws}/.gradle/small.txt", b"x" * 100)
        before = snapshot(ws)
        self.assertRan(run_cli(["rebuild"], env=vela_env(self.backend, bucket, "rebuild", workspace=ws,
                                                          mount=[".gradle"], **params)))
        restored = self.path("restored")
        os.makedirs(restored)
        self.assertRan(run_cli(["restore"], env=vela_env(self.backend, bucket, "restore", workspace=restored,
                                                          mount=[".gradle"])))
        self.assertEqual(snapshot(restored), before)
        return "acme/webapp/archive.tar.zst"

    def test_kms_storage_class_and_tags_single_put_and_multipart(self):
        client = boto(self.backend)
        for label, size in (("single PUT", 1024), ("multipart", 12 * 1024 * 1024)):
            with self.subTest(label):
                bucket = new_bucket(self.backend, "sse")
                key = self.rebuild_and_restore(bucket, size, sse="aws:kms", sse_kms_key_id="alias/ci-cache",
                                               sse_bucket_key="true", storage_class="standard_ia",
                                               tags="team=web,purpose=ci cache")
                head = client.head_object(Bucket=bucket, Key=key)
                self.assertEqual(head["ServerSideEncryption"], "aws:kms")
                self.assertIn("ci-cache", head["SSEKMSKeyId"])
                self.assertEqual(head["StorageClass"], "STANDARD_IA")
                tags = client.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
                self.assertEqual({t["Key"]: t["Value"] for t in tags}, {"team": "web", "purpose": "ci cache"})
                if size > 8 * 1024 * 1024:
                    self.assertIn("-", head["ETag"], "expected a multipart upload")
                self.rmtree_workspaces()

    def test_aes256(self):
        bucket = new_bucket(self.backend, "sse")
        key = self.rebuild_and_restore(bucket, 1024, sse="AES256")
        head = boto(self.backend).head_object(Bucket=bucket, Key=key)
        self.assertEqual(head["ServerSideEncryption"], "AES256")
        self.assertNotIn("StorageClass", head)  # STANDARD: the server's default, not sent

    def test_refused_options_touch_nothing(self):
        bucket = new_bucket(self.backend, "sse")
        ws = self.path("ws")
        write(f"{ws}/.gradle/a.txt", b"a")
        for params, fragment in (({"sse": "SSE-C"}, "SSE-C"),
                                 ({"storage_class": "GLACIER"}, "keeps objects offline"),
                                 ({"tags": "team"}, "is not key=value")):
            with self.subTest(params):
                proc = run_cli(["rebuild"], env=vela_env(self.backend, bucket, "rebuild", workspace=ws,
                                                          mount=[".gradle"], **params))
                self.assertRan(proc, 2)
                self.assertIn(fragment, proc.stderr)
        self.assertNotIn("Contents", boto(self.backend).list_objects_v2(Bucket=bucket))

    def rmtree_workspaces(self):
        for name in ("ws", "restored"):
            shutil.rmtree(self.path(name), ignore_errors=True)


if __name__ == "__main__":
    unittest.main()
