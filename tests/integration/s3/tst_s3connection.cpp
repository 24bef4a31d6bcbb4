// S3Connection against real S3 servers on 127.0.0.1 (started by the ctest fixture): moto (no
// signature checks), moto_iam (every request's SigV4 signature verified), moto_tls (https with
// a private CA) and s3rver. Each test creates its own bucket.
//
// Server limitations that shape the rows: s3rver implements neither If-Match nor
// ListMultipartUploads/AbortMultipartUpload and gives multipart objects a plain MD5 ETag;
// moto_iam re-encodes the request it verifies lossily, so it refuses valid signatures (boto3's
// too) for keys with '+', '=', '%', non-ASCII or sub-delimiters and for query values with '/'.

#include "s3/s3connection.h"
#include "s3/sigv4signer.h"

#include "testservers.h"

#include <QBuffer>
#include <QProcess>
#include <QRandomGenerator>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(ErrorKind)

namespace {

constexpr qsizetype MiB = 1024 * 1024;

struct Fixture
{
    test::TestServer server;
    QString bucket;
    std::unique_ptr<S3Connection> s3;
    QString error;  // why s3 is null
};

S3ClientConfig configFor(const test::TestServer &server, const QString &bucket)
{
    S3ClientConfig config;
    Result<Endpoint> endpoint = resolveEndpoint({server.endpoint, bucket, server.region, {}, std::nullopt});
    if (endpoint)
        config.endpoint = *endpoint;
    config.credentials = {server.accessKey, server.secretKey, {}, u"test server"_s};
    config.caBundlePath = server.caBundle;
    config.retry.baseDelayMs = 20;
    return config;
}

// A connection to `name` with a fresh bucket (unless createBucket is false); `adjust` may change
// the configuration first.
Fixture open(const QString &name, const std::function<void(S3ClientConfig &)> &adjust = {}, bool createBucket = true)
{
    Fixture f;
    f.server = test::testServer(name, &f.error);
    if (!f.server.isValid())
        return f;
    f.bucket = test::uniqueBucketName(name.left(8).replace(u'_', u'-'));
    S3ClientConfig config = configFor(f.server, f.bucket);
    if (adjust)
        adjust(config);
    auto s3 = std::make_unique<S3Connection>(config);
    if (createBucket) {
        const S3CallResult created = s3->createBucket();
        if (created.error) {
            f.error = u"cannot create bucket %1 on %2: %3"_s.arg(f.bucket, name, created.error.toString());
            return f;
        }
    }
    f.s3 = std::move(s3);
    return f;
}

QByteArray randomBytes(qsizetype size, quint32 seed)
{
    QByteArray data(size, Qt::Uninitialized);
    QRandomGenerator generator(seed);
    for (qsizetype i = 0; i < size; i += 4) {
        const quint32 word = generator.generate();
        std::memcpy(data.data() + i, &word, size_t(std::min<qsizetype>(4, size - i)));
    }
    return data;
}

// First differing offset, for readable failures of large comparisons.
QString describeMismatch(const QByteArray &actual, const QByteArray &expected)
{
    if (actual == expected)
        return {};
    qsizetype i = 0;
    while (i < actual.size() && i < expected.size() && actual[i] == expected[i])
        ++i;
    return u"sizes %1 vs %2, first difference at byte %3"_s.arg(actual.size()).arg(expected.size()).arg(i);
}

#define COMPARE_BYTES(actual, expected) \
    QVERIFY2((actual) == (expected), qPrintable(describeMismatch((actual), (expected))))

#define VERIFY_OK(result) QVERIFY2(!(result).error, qPrintable((result).error.toString()))

void addServerColumn(const QStringList &servers)
{
    QTest::addColumn<QString>("server");
    for (const QString &name : servers)
        QTest::newRow(qPrintable(name)) << name;
}

// Sets a Cancellation on the first write it receives (as a user pressing Cancel mid-download).
class CancellingSink : public QBuffer
{
public:
    explicit CancellingSink(CancellationPtr cancellation) : m_cancellation(std::move(cancellation)) {}

protected:
    qint64 writeData(const char *data, qint64 size) override
    {
        m_cancellation->cancel();
        return QBuffer::writeData(data, size);
    }

private:
    CancellationPtr m_cancellation;
};

const QStringList allServers = {u"moto"_s, u"moto_iam"_s, u"s3rver"_s};
const QStringList motoServers = {u"moto"_s, u"moto_iam"_s};

} // namespace

class TestS3Connection : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void roundTrip_data();
    void roundTrip();
    void rangedGet_data() { addServerColumn(allServers); }
    void rangedGet();
    void ifMatch_data() { addServerColumn(motoServers); }
    void ifMatch();
    void metadataRoundTrip_data() { addServerColumn(allServers); }
    void metadataRoundTrip();
    void oddKeys_data() { addServerColumn({u"moto"_s, u"s3rver"_s}); }
    void oddKeys();
    void multipartParallel_data() { addServerColumn(allServers); }
    void multipartParallel();
    void abortMultipartUpload_data() { addServerColumn(motoServers); }
    void abortMultipartUpload();
    void listingPagesAndBatchDelete_data() { addServerColumn(allServers); }
    void listingPagesAndBatchDelete();
    void listBuckets_data() { addServerColumn(allServers); }
    void listBuckets();
    void listBucketsDenied();
    void missingBucketAndKey_data() { addServerColumn(allServers); }
    void missingBucketAndKey();
    void authFailures_data();
    void authFailures();
    void clockSkewCorrected();
    void tlsVerification();
    void cancellationAbortsLargeDownload_data() { addServerColumn({u"moto"_s, u"s3rver"_s}); }
    void cancellationAbortsLargeDownload();
    void streamedGetWaitsForItsReader_data() { addServerColumn({u"moto"_s, u"s3rver"_s}); }
    void streamedGetWaitsForItsReader();
    void deadlineExceeded();
    void destructorFinishesPendingCalls();
    void awsCliInterop_data() { addServerColumn({u"moto_iam"_s, u"s3rver"_s}); }
    void awsCliInterop();
};

void TestS3Connection::initTestCase()
{
    QString error;
    const QList<test::TestServer> servers = test::testServers(&error);
    QVERIFY2(!servers.isEmpty(), qPrintable(error));
}

void TestS3Connection::roundTrip_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<qsizetype>("size");
    for (const QString &server : {u"moto"_s, u"moto_iam"_s, u"s3rver"_s, u"moto_tls"_s}) {
        QList<qsizetype> sizes = {0, 1, 5 * MiB + 1};
        if (server != u"moto_tls")
            sizes.append(64 * MiB);
        for (const qsizetype size : sizes)
            QTest::addRow("%s/%lld", qPrintable(server), qlonglong(size)) << server << size;
    }
}

void TestS3Connection::roundTrip()
{
    QFETCH(QString, server);
    QFETCH(qsizetype, size);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const QByteArray data = randomBytes(size, quint32(size));
    const QString key = u"round/trip-%1.bin"_s.arg(size);

    const S3CallResult put = f.s3->putObject(key, data);
    VERIFY_OK(put);
    QVERIFY(!put.etag.isEmpty());

    const S3CallResult head = f.s3->headObject(key);
    VERIFY_OK(head);
    QCOMPARE(head.info.size, size);
    QCOMPARE(head.info.etag, put.etag);
    QCOMPARE(head.info.key, key);
    QVERIFY(head.info.lastModified.isValid());

    const S3CallResult get = f.s3->getObject(key);
    VERIFY_OK(get);
    COMPARE_BYTES(get.body, data);
    QCOMPARE(get.info.size, size);
    QCOMPARE(get.info.etag, put.etag);

    QBuffer sink;
    QVERIFY(sink.open(QIODevice::WriteOnly));
    const S3CallResult streamed = f.s3->getObjectTo(key, &sink);
    VERIFY_OK(streamed);
    QVERIFY(streamed.body.isEmpty());
    COMPARE_BYTES(sink.data(), data);
}

void TestS3Connection::rangedGet()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const QByteArray data = randomBytes(1000, 7);
    VERIFY_OK(f.s3->putObject(u"ranged"_s, data));

    const QList<ByteRange> ranges = {{0, 0}, {10, 19}, {990, -1}, {999, 999}, {0, 999}, {500, 2000}};
    for (const ByteRange &range : ranges) {
        const S3CallResult get = f.s3->getObject(u"ranged"_s, range);
        VERIFY_OK(get);
        const qint64 last = range.last < 0 ? 999 : std::min<qint64>(range.last, 999);
        COMPARE_BYTES(get.body, data.mid(range.first, last - range.first + 1));
        QCOMPARE(get.info.size, 1000);  // the object's size, not the range's
    }

    // Parallel ranged GETs reassemble the object.
    QList<PendingS3CallPtr> chunks;
    for (qint64 first = 0; first < 1000; first += 300)
        chunks.append(f.s3->startGetObject(u"ranged"_s, ByteRange{first, std::min<qint64>(first + 299, 999)}));
    QByteArray joined;
    for (const PendingS3CallPtr &chunk : chunks) {
        VERIFY_OK(chunk->wait());
        joined += chunk->wait().body;
    }
    COMPARE_BYTES(joined, data);
}

void TestS3Connection::ifMatch()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const S3CallResult put = f.s3->putObject(u"versioned"_s, "first");
    VERIFY_OK(put);

    const S3CallResult same = f.s3->getObject(u"versioned"_s, std::nullopt, put.etag);
    VERIFY_OK(same);
    QCOMPARE(same.body, QByteArray("first"));

    VERIFY_OK(f.s3->putObject(u"versioned"_s, "second, replaced"));
    const S3CallResult replaced = f.s3->getObject(u"versioned"_s, std::nullopt, put.etag);
    QCOMPARE(replaced.error.httpStatus(), 412);
    QCOMPARE(replaced.error.code(), u"PreconditionFailed"_s);
    QCOMPARE(replaced.error.kind(), ErrorKind::Transient);
    QCOMPARE(replaced.attempts, 1);
    QVERIFY(replaced.body.isEmpty());
}

void TestS3Connection::metadataRoundTrip()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const QMap<QString, QString> metadata = {{u"fingerprint"_s, u"sha256:0123abcd"_s},
                                             {u"Mixed-Case"_s, u"a value with spaces"_s}};
    const QMap<QString, QString> expected = {{u"fingerprint"_s, u"sha256:0123abcd"_s},
                                             {u"mixed-case"_s, u"a value with spaces"_s}};
    VERIFY_OK(f.s3->putObject(u"meta/object"_s, "content", metadata, u"application/zstd"_s));

    const S3CallResult head = f.s3->headObject(u"meta/object"_s);
    VERIFY_OK(head);
    QCOMPARE(head.info.metadata, expected);
    QCOMPARE(head.info.contentType, u"application/zstd"_s);

    const S3CallResult get = f.s3->getObject(u"meta/object"_s);
    VERIFY_OK(get);
    QCOMPARE(get.info.metadata, expected);
    QCOMPARE(get.body, QByteArray("content"));
}

void TestS3Connection::oddKeys()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const QStringList keys = {
        u"odd/with space.tgz"_s,
        u"odd/unicode é 日本/ü.bin"_s,
        u"odd/plus+equals=tilde~dash-underscore_.tar.zst"_s,
        u"odd/percent%20literal%2F"_s,
        u"odd/deep/a/b/c/d/e/f/g/h/i/j/archive.tgz"_s,
        u"odd/special !$&'()*,;:@"_s,
        u"odd/question?hash#"_s,
    };
    for (const QString &key : keys) {
        const S3CallResult put = f.s3->putObject(key, key.toUtf8());
        QVERIFY2(!put.error, qPrintable(key + u": "_s + put.error.toString()));
        const S3CallResult get = f.s3->getObject(key);
        QVERIFY2(!get.error, qPrintable(key + u": "_s + get.error.toString()));
        QCOMPARE(get.body, key.toUtf8());
    }
    const S3CallResult list = f.s3->listObjectsV2(u"odd/"_s);
    VERIFY_OK(list);
    QStringList listed;
    for (const ObjectInfo &object : list.list.objects)
        listed << object.key;
    QStringList sorted = keys;
    std::sort(sorted.begin(), sorted.end(), [](const QString &a, const QString &b) { return a.toUtf8() < b.toUtf8(); });
    QCOMPARE(listed, sorted);  // S3 lists in UTF-8 byte order

    const S3CallResult deleted = f.s3->deleteObjects(keys);
    VERIFY_OK(deleted);
    QCOMPARE(QSet<QString>(deleted.deleted.begin(), deleted.deleted.end()), QSet<QString>(keys.begin(), keys.end()));
    QVERIFY(deleted.deleteFailures.isEmpty());
}

void TestS3Connection::multipartParallel()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const QString key = u"multi/part object.bin"_s;
    const QList<qsizetype> partSizes = {5 * MiB, 5 * MiB, 5 * MiB, MiB + 7};
    const QByteArray data = randomBytes(std::accumulate(partSizes.begin(), partSizes.end(), qsizetype(0)), 42);

    const S3CallResult created = f.s3->createMultipartUpload(key, {{u"fingerprint"_s, u"abc"_s}}, u"application/x-tar"_s);
    VERIFY_OK(created);
    QVERIFY(!created.uploadId.isEmpty());

    QList<PendingS3CallPtr> pending;
    qsizetype offset = 0;
    for (int i = 0; i < partSizes.size(); ++i) {
        pending.append(f.s3->startUploadPart(key, created.uploadId, i + 1, data.mid(offset, partSizes[i])));
        offset += partSizes[i];
    }
    QList<CompletedPart> parts;
    for (int i = int(pending.size()) - 1; i >= 0; --i) {  // unsorted on purpose: complete sorts them
        const S3CallResult &part = pending[i]->wait();
        VERIFY_OK(part);
        QVERIFY(!part.etag.isEmpty());
        parts.append({i + 1, part.etag});
    }
    const S3CallResult completed = f.s3->completeMultipartUpload(key, created.uploadId, parts);
    VERIFY_OK(completed);
    QVERIFY(!completed.etag.isEmpty());

    const S3CallResult head = f.s3->headObject(key);
    VERIFY_OK(head);
    QCOMPARE(head.info.size, data.size());
    QCOMPARE(head.info.etag, completed.etag);
    if (server != u"s3rver")
        QVERIFY2(head.info.etag.endsWith("-4"), head.info.etag.constData());  // S3's multipart ETag

    const S3CallResult get = f.s3->getObject(key);
    VERIFY_OK(get);
    COMPARE_BYTES(get.body, data);
}

void TestS3Connection::abortMultipartUpload()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const S3CallResult first = f.s3->createMultipartUpload(u"uploads-a"_s);
    const S3CallResult second = f.s3->createMultipartUpload(u"uploads-b"_s);
    VERIFY_OK(first);
    VERIFY_OK(second);
    VERIFY_OK(f.s3->uploadPart(u"uploads-a"_s, first.uploadId, 1, randomBytes(MiB, 1)));
    VERIFY_OK(f.s3->createMultipartUpload(u"elsewhere"_s));  // not under the prefix

    const auto listedIds = [&] {
        const S3CallResult list = f.s3->listMultipartUploads(u"uploads-"_s);
        if (list.error)
            return QStringList{list.error.toString()};
        QStringList ids;
        for (const MultipartUploadInfo &upload : list.uploads)
            ids << upload.key + u'=' + upload.uploadId;
        ids.sort();
        return ids;
    };
    QCOMPARE(listedIds(), QStringList({u"uploads-a="_s + first.uploadId, u"uploads-b="_s + second.uploadId}));

    VERIFY_OK(f.s3->abortMultipartUpload(u"uploads-a"_s, first.uploadId));
    QCOMPARE(listedIds(), QStringList({u"uploads-b="_s + second.uploadId}));
    VERIFY_OK(f.s3->abortMultipartUpload(u"uploads-b"_s, second.uploadId));
    QCOMPARE(listedIds(), QStringList());
    QCOMPARE(f.s3->headObject(u"uploads-a"_s).error.kind(), ErrorKind::NotFound);  // nothing was created
}

void TestS3Connection::listingPagesAndBatchDelete()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    QStringList keys;
    QList<PendingS3CallPtr> puts;
    for (int i = 0; i < 1100; ++i) {
        keys << u"many-%1"_s.arg(i, 4, 10, QLatin1Char('0'));
        puts.append(f.s3->startPutObject(keys.last(), QByteArray::number(i)));
    }
    for (const QString &other : {u"other/x"_s, u"other/y"_s, u"other-top"_s})
        puts.append(f.s3->startPutObject(other, "o"));
    for (const PendingS3CallPtr &put : puts)
        VERIFY_OK(put->wait());

    for (const int maxKeys : {1000, 300}) {
        QStringList listed;
        QString token;
        int pages = 0;
        do {
            const S3CallResult page = f.s3->listObjectsV2(u"many-"_s, token, maxKeys);
            VERIFY_OK(page);
            ++pages;
            QVERIFY(page.list.objects.size() <= maxKeys);
            for (const ObjectInfo &object : page.list.objects) {
                listed << object.key;
                QCOMPARE(object.size, QByteArray::number(object.key.mid(5).toInt()).size());
                QVERIFY(object.lastModified.isValid());
            }
            QCOMPARE(page.list.truncated, !page.list.nextContinuationToken.isEmpty());
            token = page.list.nextContinuationToken;
        } while (!token.isEmpty());
        QCOMPARE(pages, (1100 + maxKeys - 1) / maxKeys);
        QCOMPARE(listed, keys);
    }

    if (server != u"moto_iam") {  // "delimiter=%2F": see the note at the top
        const S3CallResult folders = f.s3->listObjectsV2(u"other"_s, {}, 1000, u"/"_s);
        VERIFY_OK(folders);
        QCOMPARE(folders.list.commonPrefixes, QStringList({u"other/"_s}));
        QCOMPARE(folders.list.objects.size(), 1);
        QCOMPARE(folders.list.objects.first().key, u"other-top"_s);
    }

    for (qsizetype first = 0; first < keys.size(); first += 1000) {
        const QStringList batch = keys.mid(first, 1000);
        const S3CallResult deleted = f.s3->deleteObjects(batch);
        VERIFY_OK(deleted);
        QCOMPARE(deleted.deleted.size(), batch.size());
        QVERIFY(deleted.deleteFailures.isEmpty());
    }
    const S3CallResult after = f.s3->listObjectsV2(u"many-"_s);
    VERIFY_OK(after);
    QVERIFY(after.list.objects.isEmpty());
    QVERIFY(!after.list.truncated);
    QCOMPARE(f.s3->listObjectsV2(u"other"_s).list.objects.size(), 3);
}

// ListBuckets goes to the service endpoint, whatever bucket the connection is for (even one
// that does not exist), and names the buckets the credentials own.
void TestS3Connection::listBuckets()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const QString other = test::uniqueBucketName(u"other"_s);
    S3Connection elsewhere(configFor(f.server, other));  // never created
    const S3CallResult result = elsewhere.listBuckets();
    VERIFY_OK(result);
    const auto it = std::find_if(result.buckets.begin(), result.buckets.end(),
                                 [&](const BucketInfo &b) { return b.name == f.bucket; });
    QVERIFY2(it != result.buckets.end(), qPrintable(f.bucket));
    QVERIFY(it->creationDate.isValid());
    QVERIFY(std::none_of(result.buckets.begin(), result.buckets.end(), [&](const BucketInfo &b) { return b.name == other; }));
}

// Keys scoped to buckets (s3:ListAllMyBuckets denied): the server's AccessDenied, not an empty list.
void TestS3Connection::listBucketsDenied()
{
    QString error;
    const test::TestServer server = test::testServer(u"moto_iam"_s, &error);
    QVERIFY2(server.isValid(), qPrintable(error));
    QVERIFY2(!server.noListAccessKey.isEmpty(), "moto_iam has no nolist_access_key (tests/servers/s3servers.py)");
    S3ClientConfig config = configFor(server, test::uniqueBucketName(u"nolist"_s));
    config.credentials = {server.noListAccessKey, server.noListSecretKey, {}, u"test server"_s};
    const S3CallResult result = S3Connection(config).listBuckets();
    QCOMPARE(result.error.code(), u"AccessDenied"_s);
    QCOMPARE(result.error.kind(), ErrorKind::AccessDenied);
    QCOMPARE(result.error.httpStatus(), 403);
    QVERIFY2(result.error.message().startsWith(u"ListBuckets http://"_s), qPrintable(result.error.message()));
    QVERIFY(result.buckets.isEmpty());
}

void TestS3Connection::missingBucketAndKey()
{
    QFETCH(QString, server);
    {
        Fixture f = open(server, {}, false);  // the bucket is never created
        QVERIFY2(f.s3, qPrintable(f.error));
        const S3CallResult get = f.s3->getObject(u"k"_s);
        QCOMPARE(get.error.kind(), ErrorKind::NotFound);
        QCOMPARE(get.error.code(), u"NoSuchBucket"_s);
        QCOMPARE(get.error.httpStatus(), 404);
        QCOMPARE(get.attempts, 1);
        QVERIFY2(get.error.message().startsWith(u"GetObject s3://%1/k: "_s.arg(f.bucket)), qPrintable(get.error.message()));
        const S3CallResult list = f.s3->listObjectsV2(QString());
        QCOMPARE(list.error.code(), u"NoSuchBucket"_s);
        QCOMPARE(f.s3->headObject(u"k"_s).error.kind(), ErrorKind::NotFound);
        QCOMPARE(f.s3->putObject(u"k"_s, "x").error.code(), u"NoSuchBucket"_s);
    }
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const S3CallResult get = f.s3->getObject(u"absent/key"_s);
    QCOMPARE(get.error.kind(), ErrorKind::NotFound);
    QCOMPARE(get.error.code(), u"NoSuchKey"_s);
    QVERIFY(!get.error.requestId().isEmpty() || server == u"s3rver");  // s3rver sends no request id
    const S3CallResult head = f.s3->headObject(u"absent/key"_s);
    QCOMPARE(head.error.kind(), ErrorKind::NotFound);
    QCOMPARE(head.error.code(), u"NotFound"_s);
    QCOMPARE(head.error.httpStatus(), 404);
    QBuffer sink;
    QVERIFY(sink.open(QIODevice::WriteOnly));
    QCOMPARE(f.s3->getObjectTo(u"absent/key"_s, &sink).error.code(), u"NoSuchKey"_s);
    QVERIFY(sink.data().isEmpty());  // the error document never reaches the sink
    VERIFY_OK(f.s3->deleteObject(u"absent/key"_s));  // S3 deletes are idempotent
}

void TestS3Connection::authFailures_data()
{
    QTest::addColumn<QString>("server");
    QTest::addColumn<QString>("accessKey");  // empty: the server's own
    QTest::addColumn<QString>("secretKey");
    QTest::addColumn<QString>("code");

    QTest::newRow("s3rver-wrong-access-key") << u"s3rver"_s << u"NOT-A-KEY"_s << QString() << u"InvalidAccessKeyId"_s;
    QTest::newRow("moto_iam-wrong-secret") << u"moto_iam"_s << QString() << u"wrong-secret"_s << u"SignatureDoesNotMatch"_s;
    QTest::newRow("moto_iam-wrong-access-key") << u"moto_iam"_s << u"AKIANOTAKNOWNKEY0000"_s << QString()
                                               << u"InvalidAccessKeyId"_s;
}

void TestS3Connection::authFailures()
{
    QFETCH(QString, server);
    QFETCH(QString, accessKey);
    QFETCH(QString, secretKey);
    QFETCH(QString, code);

    // The bucket exists (made with the right key); then a wrong key pair tries to use it.
    Fixture good = open(server);
    QVERIFY2(good.s3, qPrintable(good.error));
    VERIFY_OK(good.s3->putObject(u"k"_s, "x"));  // moto_iam: a correct signature is accepted

    S3ClientConfig config = configFor(good.server, good.bucket);
    if (!accessKey.isEmpty())
        config.credentials.accessKey = accessKey;
    if (!secretKey.isEmpty())
        config.credentials.secretKey = secretKey;
    S3Connection bad(config);
    const S3CallResult get = bad.getObject(u"k"_s);
    QCOMPARE(get.error.code(), code);
    QCOMPARE(get.error.kind(), ErrorKind::Auth);
    QCOMPARE(get.error.httpStatus(), 403);
    QCOMPARE(get.attempts, 1);  // never retried
    const S3CallResult put = bad.putObject(u"k2"_s, "y");
    QCOMPARE(put.error.code(), code);
}

void TestS3Connection::clockSkewCorrected()
{
    // s3rver refuses requests signed more than 15 minutes off its clock.
    Fixture f = open(u"s3rver"_s);
    QVERIFY2(f.s3, qPrintable(f.error));
    S3ClientConfig config = configFor(f.server, f.bucket);
    config.clock = [] { return QDateTime::currentDateTimeUtc().addSecs(-3600); };
    S3Connection skewed(config);
    const S3CallResult put = skewed.putObject(u"skewed"_s, "on time");
    VERIFY_OK(put);
    QCOMPARE(put.attempts, 2);
    const S3CallResult get = skewed.getObject(u"skewed"_s);  // the correction is kept
    VERIFY_OK(get);
    QCOMPARE(get.attempts, 1);
    QCOMPARE(get.body, QByteArray("on time"));
}

void TestS3Connection::tlsVerification()
{
    QString error;
    const test::TestServer server = test::testServer(u"moto_tls"_s, &error);
    QVERIFY2(server.isValid(), qPrintable(error));
    QVERIFY(server.endpoint.startsWith(u"https://"_s));

    S3ClientConfig untrusted = configFor(server, u"tls-bucket"_s);
    untrusted.caBundlePath.clear();
    const S3CallResult refused = S3Connection(untrusted).createBucket();
    QCOMPARE(refused.error.code(), u"TlsError"_s);
    QCOMPARE(refused.error.kind(), ErrorKind::Auth);
    QCOMPARE(refused.attempts, 1);

    S3ClientConfig missingBundle = configFor(server, u"tls-bucket"_s);
    missingBundle.caBundlePath = u"/nonexistent/ca.pem"_s;
    const S3CallResult badBundle = S3Connection(missingBundle).createBucket();
    QCOMPARE(badBundle.error.kind(), ErrorKind::InvalidInput);
    QCOMPARE(badBundle.error.code(), u"InvalidCaBundle"_s);
    QVERIFY(badBundle.error.message().contains(u"/nonexistent/ca.pem"_s));

    // The bundle is read only for https (parsing the system's costs ~50 ms a command): a plain
    // http endpoint never touches it.
    Fixture plain = open(u"moto"_s);
    QVERIFY2(plain.s3, qPrintable(plain.error));
    S3ClientConfig plainWithBadBundle = configFor(plain.server, plain.bucket);
    plainWithBadBundle.caBundlePath = u"/nonexistent/ca.pem"_s;
    VERIFY_OK(S3Connection(plainWithBadBundle).putObject(u"plain"_s, "over http"));

    // With the CA: works, and over https the payload is not hashed (UNSIGNED-PAYLOAD).
    Fixture f = open(u"moto_tls"_s);
    QVERIFY2(f.s3, qPrintable(f.error));
    VERIFY_OK(f.s3->putObject(u"secure"_s, "over tls"));
    QCOMPARE(f.s3->getObject(u"secure"_s).body, QByteArray("over tls"));
}

void TestS3Connection::cancellationAbortsLargeDownload()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    const QByteArray data = randomBytes(64 * MiB, 64);
    VERIFY_OK(f.s3->putObject(u"large"_s, data));

    // Cancelled by the "user" as soon as the first bytes arrive.
    auto cancellation = std::make_shared<Cancellation>();
    S3Connection job = f.s3->withContext({cancellation, nullptr});
    CancellingSink sink(cancellation);
    QVERIFY(sink.open(QIODevice::WriteOnly));
    const S3CallResult download = job.getObjectTo(u"large"_s, &sink);
    QCOMPARE(download.error.kind(), ErrorKind::Cancelled);
    QCOMPARE(download.error.code(), u"Cancelled"_s);
    QVERIFY(sink.data().size() > 0);
    QVERIFY2(sink.data().size() < data.size(), "the download ran to its end despite the cancellation");

    // A cancelled job's later requests fail at once; the connection and its other views work on.
    QCOMPARE(job.headObject(u"large"_s).error.kind(), ErrorKind::Cancelled);
    QVERIFY(job.sharesConnectionWith(*f.s3));
    VERIFY_OK(f.s3->withContext({std::make_shared<Cancellation>(), nullptr}).headObject(u"large"_s));

    // PendingS3Call::abort() stops one transfer; the connection goes on working.
    PendingS3CallPtr pending = f.s3->startGetObject(u"large"_s, std::nullopt);
    pending->abort();
    QCOMPARE(pending->wait().error.kind(), ErrorKind::Cancelled);
    QVERIFY(pending->isFinished());
    VERIFY_OK(f.s3->headObject(u"large"_s));
}

// A streamed GET whose reader pauses holds the server back instead of buffering the object,
// and the pause is not the server's inactivity: the download goes on when reading does.
void TestS3Connection::streamedGetWaitsForItsReader()
{
    QFETCH(QString, server);
    // Short enough for pauses well past it, long enough for moto's first byte (it reads the
    // whole object first: > 0.3 s under the sanitizers on a loaded machine).
    constexpr int inactivityMs = 1000;
    Fixture f = open(server, [](S3ClientConfig &config) { config.inactivityTimeoutMs = inactivityMs; });
    QVERIFY2(f.s3, qPrintable(f.error));
    const QByteArray data = randomBytes(32 * MiB, 32);
    // Uploaded with the default timeouts: a slow server (moto under the sanitizers) can be quiet
    // for longer than the test's short one while it stores 32 MiB.
    VERIFY_OK(S3Connection(configFor(f.server, f.bucket)).putObject(u"streamed"_s, data));

    auto stream = std::make_shared<BodyQueue>(MiB);
    PendingS3CallPtr pending = f.s3->startGetObject(u"streamed"_s, ByteRange{0, data.size() - 1}, {}, stream);
    // The queue fills; then nobody reads for two inactivity timeouts. The call must not finish
    // meanwhile (the whole object buffered: the wait ends at once then) nor time out and start
    // again (`attempts` below).
    QTRY_VERIFY_WITH_TIMEOUT(stream->queued() >= MiB, 30000);
    QVERIFY2(!QTest::qWaitFor([&] { return pending->isFinished(); }, 2 * inactivityMs),
             "the whole object was buffered while nobody read it");
    // At most the limit plus one piece Qt handed over (its read buffer: 1 MiB); the rest waits
    // in Qt, the kernel and the server (a few MiB on loopback), not in this process's queue.
    QVERIFY2(stream->queued() > 0 && stream->queued() <= 2 * MiB + 64 * 1024, qPrintable(QString::number(stream->queued())));

    QByteArray received;
    char buffer[256 * 1024];
    bool pausedAgain = false;
    for (qint64 n; (n = stream->read(buffer, sizeof buffer)) > 0;) {
        received.append(buffer, n);
        if (!pausedAgain && received.size() >= 4 * MiB) {  // and once more, mid-way
            pausedAgain = true;
            QVERIFY(!QTest::qWaitFor([&] { return pending->isFinished(); }, 3 * inactivityMs / 2));
        }
    }
    QVERIFY(pending->isFinished());
    VERIFY_OK(pending->wait());
    QCOMPARE(pending->wait().attempts, 1);
    QVERIFY(pending->wait().body.isEmpty());
    COMPARE_BYTES(received, data);
}

void TestS3Connection::deadlineExceeded()
{
    Fixture f = open(u"moto"_s);
    QVERIFY2(f.s3, qPrintable(f.error));
    // 64 MiB cannot reach the server within 20 ms: the deadline fires before or during the upload.
    // The deadline comes with the view's cancellation, as a job's does.
    auto cancellation = std::make_shared<Cancellation>();
    cancellation->setDeadline(QDeadlineTimer(20));
    const S3CallResult put = f.s3->withContext({cancellation, nullptr}).putObject(u"late"_s, randomBytes(64 * MiB, 5));
    QCOMPARE(put.error.kind(), ErrorKind::Transient);
    QCOMPARE(put.error.code(), u"Timeout"_s);
    QVERIFY2(put.error.message().contains(u"deadline exceeded"_s), qPrintable(put.error.message()));
    QCOMPARE(f.s3->headObject(u"late"_s).error.kind(), ErrorKind::NotFound);
}

void TestS3Connection::destructorFinishesPendingCalls()
{
    Fixture f = open(u"moto"_s);
    QVERIFY2(f.s3, qPrintable(f.error));
    QList<PendingS3CallPtr> pending;
    for (int i = 0; i < 50; ++i)
        pending.append(f.s3->startPutObject(u"p/%1"_s.arg(i), randomBytes(64 * 1024, quint32(i))));
    f.s3.reset();  // aborts what is still running and joins the network thread
    for (const PendingS3CallPtr &call : pending) {
        QVERIFY(call->isFinished());
        const Error &error = call->wait().error;
        QVERIFY2(!error || error.kind() == ErrorKind::Cancelled, qPrintable(error.toString()));
    }
}

void TestS3Connection::awsCliInterop()
{
    QFETCH(QString, server);
    Fixture f = open(server);
    QVERIFY2(f.s3, qPrintable(f.error));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());

    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(u"AWS_ACCESS_KEY_ID"_s, f.server.accessKey);
    env.insert(u"AWS_SECRET_ACCESS_KEY"_s, f.server.secretKey);
    env.insert(u"AWS_DEFAULT_REGION"_s, f.server.region);
    env.insert(u"AWS_CONFIG_FILE"_s, dir.filePath(u"no-config"_s));
    env.insert(u"AWS_SHARED_CREDENTIALS_FILE"_s, dir.filePath(u"no-credentials"_s));
    env.insert(u"AWS_EC2_METADATA_DISABLED"_s, u"true"_s);
    // Plain bodies: s3rver does not understand aws-chunked uploads with trailing checksums.
    env.insert(u"AWS_REQUEST_CHECKSUM_CALCULATION"_s, u"when_required"_s);
    env.insert(u"AWS_RESPONSE_CHECKSUM_VALIDATION"_s, u"when_required"_s);
    env.remove(u"AWS_SESSION_TOKEN"_s);
    env.remove(u"AWS_PROFILE"_s);
    const auto aws = [&](const QStringList &arguments) -> QString {
        QProcess process;
        process.setProcessEnvironment(env);
        process.start(u"aws"_s, QStringList{u"--endpoint-url"_s, f.server.endpoint} + arguments);
        if (!process.waitForFinished(120'000))
            return u"aws did not finish: "_s + process.errorString();
        if (process.exitStatus() != QProcess::NormalExit || process.exitCode() != 0)
            return u"aws %1 failed (%2): %3"_s.arg(arguments.join(u' ')).arg(process.exitCode())
                .arg(QString::fromUtf8(process.readAllStandardError()));
        return {};
    };

    // Ours -> aws.
    const QByteArray ours = randomBytes(5 * MiB + 1, 11);
    VERIFY_OK(f.s3->putObject(u"interop/from s3cache.bin"_s, ours));
    const QString downloaded = dir.filePath(u"downloaded.bin"_s);
    QString failure = aws({u"s3"_s, u"cp"_s, u"s3://%1/interop/from s3cache.bin"_s.arg(f.bucket), downloaded});
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    QFile file(downloaded);
    QVERIFY(file.open(QIODevice::ReadOnly));
    COMPARE_BYTES(file.readAll(), ours);

    // aws -> ours; 9 MiB is above the CLI's 8 MiB multipart threshold.
    const QByteArray theirs = randomBytes(9 * MiB, 12);
    const QString upload = dir.filePath(u"upload.bin"_s);
    QFile out(upload);
    QVERIFY(out.open(QIODevice::WriteOnly));
    out.write(theirs);
    out.close();
    failure = aws({u"s3"_s, u"cp"_s, upload, u"s3://%1/interop/from aws.bin"_s.arg(f.bucket)});
    QVERIFY2(failure.isEmpty(), qPrintable(failure));
    const S3CallResult get = f.s3->getObject(u"interop/from aws.bin"_s);
    VERIFY_OK(get);
    COMPARE_BYTES(get.body, theirs);
    if (server != u"s3rver")
        QVERIFY2(get.info.etag.endsWith("-2"), get.info.etag.constData());  // the CLI uploaded in parts
}

QTEST_GUILESS_MAIN(TestS3Connection)
#include "tst_s3connection.moc"
