#pragma once
// Access to the S3 servers that the ctest fixture "s3servers" started (tests/servers/s3servers.py).
// The state file named by $S3CACHE_TEST_SERVERS is JSON:
//   { "servers": { "<name>": { "endpoint": "http://127.0.0.1:PORT", "access_key": "...",
//                              "secret_key": "...", "region": "us-east-1", "pid": 123 }, ... } }
// Names: "moto" (no signature checks), "moto_iam" (moto with SigV4 enforced), "s3rver",
// "moto_tls" (moto over https; its entry adds "ca_bundle": the PEM of the CA that signed it),
// "moto_iam" adds "role_arn" (a role its user may assume) and "nolist_access_key" /
// "nolist_secret_key" (a user that may not list buckets).
// A test that needs a server and cannot find it fails (never skips).

#include <QString>
#include <QStringList>

namespace s3cache::test {

struct TestServer
{
    QString name;
    QString endpoint;
    QString accessKey;
    QString secretKey;
    QString region;
    QString caBundle;  // PEM file to trust, for https servers
    // moto_iam: a key allowed s3:* but denied s3:ListAllMyBuckets ("nolist_access_key/_secret_key")
    QString noListAccessKey = {};
    QString noListSecretKey = {};
    bool isValid() const { return !endpoint.isEmpty(); }
};

// All servers from the state file; an empty list and a message in *error when unavailable.
QList<TestServer> testServers(QString *error = nullptr);
// One server by name; invalid (and *error set) when missing.
TestServer testServer(const QString &name, QString *error = nullptr);

// The Python the test suite runs its helpers with ($S3CACHE_TEST_PYTHON, set by ctest from the
// Python3_EXECUTABLE that scripts/setup.sh chose; else `python3` on PATH).
QString testPython();

// A fresh, unique bucket name ("s3c-<tag>-<random>"), lower-case and DNS-safe.
QString uniqueBucketName(const QString &tag);

} // namespace s3cache::test
