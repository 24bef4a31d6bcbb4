// SigV4: each step against the published AWS examples ("Signature Calculations for the
// Authorization Header: Transferring Payload in a Single Chunk", secret
// wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY, 2013-05-24), then whole Authorization headers
// against botocore for a generated table of awkward requests.

#include "s3/endpoint.h"
#include "s3/sigv4signer.h"
#include "testservers.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryFile>
#include <QTest>

using namespace s3cache;
using namespace Qt::StringLiterals;

namespace {

const QString exampleAccessKey = QStringLiteral("AKIAIOSFODNN7EXAMPLE");
const QString exampleSecret = QStringLiteral("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY");
const QByteArray emptyHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

QDateTime exampleTime()
{
    return QDateTime(QDate(2013, 5, 24), QTime(0, 0), Qt::UTC);
}

// The GET Object example: GET /test.txt with Range: bytes=0-9.
HeaderList getObjectExampleHeaders()
{
    return {{"Host", "examplebucket.s3.amazonaws.com"},
            {"Range", "bytes=0-9"},
            {"x-amz-content-sha256", emptyHash},
            {"x-amz-date", "20130524T000000Z"}};
}

const QByteArray getObjectCanonicalRequest = "GET\n"
                                             "/test.txt\n"
                                             "\n"
                                             "host:examplebucket.s3.amazonaws.com\n"
                                             "range:bytes=0-9\n"
                                             "x-amz-content-sha256:" + emptyHash + "\n"
                                             "x-amz-date:20130524T000000Z\n"
                                             "\n"
                                             "host;range;x-amz-content-sha256;x-amz-date\n"
                                             + emptyHash;

struct OracleRow
{
    QString name;
    QByteArray method;
    QString server;  // as a user would give it
    QString key;
    QueryItems query;
    HeaderList headers;
    QByteArray body;
    Credentials credentials;
    QString region;
    QDateTime time;
};

} // namespace

class TestSigV4Signer : public QObject
{
    Q_OBJECT

private slots:
    void uriEncode_data();
    void uriEncode();
    void canonicalQueryString_data();
    void canonicalQueryString();
    void urlQueryString();
    void canonicalHeadersTrimAndMerge();
    void canonicalRequestGetObjectExample();
    void stringToSignGetObjectExample();
    void signingKeyDocumentedExample();
    void signatureGetObjectExample();
    void signAwsExamples_data();
    void signAwsExamples();
    void signAddsSessionTokenAndReplacesOldSignature();
    void payloadHash();
    void matchesBotocore();
};

void TestSigV4Signer::uriEncode_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<bool>("keepSlash");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("unreserved-untouched") << QStringLiteral("AZaz09-_.~") << false << QByteArray("AZaz09-_.~");
    QTest::newRow("space-is-%20-not-plus") << QStringLiteral("a b") << false << QByteArray("a%20b");
    QTest::newRow("plus") << QStringLiteral("a+b") << false << QByteArray("a%2Bb");
    QTest::newRow("equals") << QStringLiteral("a=b") << false << QByteArray("a%3Db");
    QTest::newRow("percent") << QStringLiteral("100%") << false << QByteArray("100%25");
    QTest::newRow("slash-in-query-value") << QStringLiteral("a/b") << false << QByteArray("a%2Fb");
    QTest::newRow("slash-in-path") << QStringLiteral("a/b") << true << QByteArray("a/b");
    QTest::newRow("dollar") << QStringLiteral("test$file.text") << true << QByteArray("test%24file.text");
    QTest::newRow("utf8-upper-hex") << QStringLiteral("é") << false << QByteArray("%C3%A9");
    QTest::newRow("astral") << QStringLiteral("🎉") << false << QByteArray("%F0%9F%8E%89");
    QTest::newRow("reserved") << QStringLiteral("!*'();:@&$,?#[]") << true
                              << QByteArray("%21%2A%27%28%29%3B%3A%40%26%24%2C%3F%23%5B%5D");
}

void TestSigV4Signer::uriEncode()
{
    QFETCH(QString, text);
    QFETCH(bool, keepSlash);
    QFETCH(QByteArray, expected);
    QCOMPARE(SigV4Signer::uriEncode(text, keepSlash), expected);
}

void TestSigV4Signer::canonicalQueryString_data()
{
    QTest::addColumn<QueryItems>("query");
    QTest::addColumn<QByteArray>("expected");

    QTest::newRow("empty") << QueryItems{} << QByteArray();
    QTest::newRow("sorted-by-name") << QueryItems{{u"prefix"_s, u"J"_s}, {u"max-keys"_s, u"2"_s}}
                                    << QByteArray("max-keys=2&prefix=J");
    QTest::newRow("empty-value-keeps-equals") << QueryItems{{u"lifecycle"_s, QString()}} << QByteArray("lifecycle=");
    QTest::newRow("value-with-slash-and-space")
        << QueryItems{{u"prefix"_s, u"a b/c"_s}, {u"list-type"_s, u"2"_s}}
        << QByteArray("list-type=2&prefix=a%20b%2Fc");
    QTest::newRow("token-with-plus-equals")
        << QueryItems{{u"continuation-token"_s, u"1+a/b=="_s}} << QByteArray("continuation-token=1%2Ba%2Fb%3D%3D");
    QTest::newRow("repeated-name-sorted-by-value") << QueryItems{{u"a"_s, u"2"_s}, {u"a"_s, u"1"_s}}
                                                    << QByteArray("a=1&a=2");
    QTest::newRow("sorted-after-encoding") << QueryItems{{u"b"_s, u"1"_s}, {u"a b"_s, u"1"_s}, {u"a"_s, u"1"_s}}
                                           << QByteArray("a=1&a%20b=1&b=1");
}

void TestSigV4Signer::canonicalQueryString()
{
    QFETCH(QueryItems, query);
    QFETCH(QByteArray, expected);
    QCOMPARE(SigV4Signer::canonicalQueryString(query), expected);
}

void TestSigV4Signer::urlQueryString()
{
    QCOMPARE(SigV4Signer::urlQueryString({{u"uploadId"_s, u"x/y"_s}, {u"uploads"_s, QString()}}),
             QByteArray("uploadId=x%2Fy&uploads"));
}

void TestSigV4Signer::canonicalHeadersTrimAndMerge()
{
    QByteArray signedHeaders;
    const QByteArray canonical = SigV4Signer::canonicalHeaders(
        {{"X-Amz-Meta-B", "  two   words  "}, {"Host", "h"}, {"x-amz-meta-a", "1"}, {"X-AMZ-META-A", "2"}},
        &signedHeaders);
    QCOMPARE(canonical, QByteArray("host:h\nx-amz-meta-a:1,2\nx-amz-meta-b:two words\n"));
    QCOMPARE(signedHeaders, QByteArray("host;x-amz-meta-a;x-amz-meta-b"));
}

void TestSigV4Signer::canonicalRequestGetObjectExample()
{
    QCOMPARE(SigV4Signer::canonicalRequest("GET", SigV4Signer::canonicalUri(u"/test.txt"_s), {},
                                           getObjectExampleHeaders(), emptyHash),
             getObjectCanonicalRequest);
}

void TestSigV4Signer::stringToSignGetObjectExample()
{
    const QByteArray scope = SigV4Signer::credentialScope(exampleTime(), u"us-east-1"_s);
    QCOMPARE(scope, QByteArray("20130524/us-east-1/s3/aws4_request"));
    QCOMPARE(SigV4Signer::stringToSign(exampleTime(), scope, getObjectCanonicalRequest),
             QByteArray("AWS4-HMAC-SHA256\n"
                        "20130524T000000Z\n"
                        "20130524/us-east-1/s3/aws4_request\n"
                        "7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972"));
}

void TestSigV4Signer::signingKeyDocumentedExample()
{
    // The "derive a signing key" example of the general SigV4 documentation (IAM, 2015-08-30).
    const QDateTime time(QDate(2015, 8, 30), QTime(12, 36), Qt::UTC);
    QCOMPARE(SigV4Signer::signingKey(u"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"_s, time, u"us-east-1"_s, u"iam"_s).toHex(),
             QByteArray("c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9"));
}

void TestSigV4Signer::signatureGetObjectExample()
{
    const QByteArray key = SigV4Signer::signingKey(exampleSecret, exampleTime(), u"us-east-1"_s);
    const QByteArray scope = SigV4Signer::credentialScope(exampleTime(), u"us-east-1"_s);
    const QByteArray signature =
        SigV4Signer::signature(key, SigV4Signer::stringToSign(exampleTime(), scope, getObjectCanonicalRequest));
    QCOMPARE(signature, QByteArray("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
    QCOMPARE(SigV4Signer::authorizationHeader(exampleAccessKey, scope, "host;range;x-amz-content-sha256;x-amz-date", signature),
             QByteArray("AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
                        "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
                        "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41"));
}

void TestSigV4Signer::signAwsExamples_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QueryItems>("query");
    QTest::addColumn<HeaderList>("headers");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("signedHeaders");
    QTest::addColumn<QByteArray>("signature");

    const QByteArray host = "examplebucket.s3.amazonaws.com";
    QTest::newRow("get-object-range")
        << QByteArray("GET") << u"/test.txt"_s << QueryItems{} << HeaderList{{"host", host}, {"range", "bytes=0-9"}}
        << QByteArray() << QByteArray("host;range;x-amz-content-sha256;x-amz-date")
        << QByteArray("f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
    QTest::newRow("put-object")
        << QByteArray("PUT") << u"/test$file.text"_s << QueryItems{}
        << HeaderList{{"host", host}, {"date", "Fri, 24 May 2013 00:00:00 GMT"}, {"x-amz-storage-class", "REDUCED_REDUNDANCY"}}
        << QByteArray("Welcome to Amazon S3.")
        << QByteArray("date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class")
        << QByteArray("98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd");
    QTest::newRow("get-bucket-lifecycle")
        << QByteArray("GET") << u"/"_s << QueryItems{{u"lifecycle"_s, QString()}} << HeaderList{{"host", host}}
        << QByteArray() << QByteArray("host;x-amz-content-sha256;x-amz-date")
        << QByteArray("fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543");
    QTest::newRow("list-objects")
        << QByteArray("GET") << u"/"_s << QueryItems{{u"max-keys"_s, u"2"_s}, {u"prefix"_s, u"J"_s}}
        << HeaderList{{"host", host}} << QByteArray() << QByteArray("host;x-amz-content-sha256;x-amz-date")
        << QByteArray("34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7");
}

void TestSigV4Signer::signAwsExamples()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QueryItems, query);
    QFETCH(HeaderList, headers);
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, signedHeaders);
    QFETCH(QByteArray, signature);

    SigV4Signer::Request request{method, path, query, headers, SigV4Signer::payloadHash(body)};
    SigV4Signer::sign(&request, {exampleAccessKey, exampleSecret, {}, {}}, u"us-east-1"_s, exampleTime());
    QCOMPARE(request.headers.last().first, QByteArray("authorization"));
    QCOMPARE(request.headers.last().second,
             "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, SignedHeaders="
                 + signedHeaders + ", Signature=" + signature);
}

void TestSigV4Signer::signAddsSessionTokenAndReplacesOldSignature()
{
    SigV4Signer::Request request{"GET", u"/k"_s, {}, {{"host", "h"}}, QByteArray(SigV4Signer::unsignedPayload)};
    const Credentials credentials{u"AK"_s, u"SK"_s, u"TOKEN"_s, {}};
    SigV4Signer::sign(&request, credentials, u"eu-west-1"_s, exampleTime());
    const HeaderList first = request.headers;
    // A retry signs the same request again at another time: one set of auth headers only.
    SigV4Signer::sign(&request, credentials, u"eu-west-1"_s, exampleTime().addSecs(3600));
    QCOMPARE(request.headers.size(), first.size());
    QCOMPARE(request.headers.size(), 5);
    QStringList names;
    for (const auto &[name, value] : request.headers)
        names << QString::fromLatin1(name);
    QCOMPARE(names, QStringList({u"host"_s, u"x-amz-date"_s, u"x-amz-content-sha256"_s,
                                 u"x-amz-security-token"_s, u"authorization"_s}));
    QCOMPARE(request.headers[1].second, QByteArray("20130524T010000Z"));
    QCOMPARE(request.headers[2].second, QByteArray("UNSIGNED-PAYLOAD"));
    QCOMPARE(request.headers[3].second, QByteArray("TOKEN"));
    QVERIFY(request.headers[4].second.contains("SignedHeaders=host;x-amz-content-sha256;x-amz-date;x-amz-security-token,"));
    QVERIFY(first.last().second != request.headers.last().second);
}

void TestSigV4Signer::payloadHash()
{
    QCOMPARE(SigV4Signer::payloadHash({}), emptyHash);
    QCOMPARE(SigV4Signer::payloadHash("Welcome to Amazon S3."),
             QByteArray("44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072"));
}

void TestSigV4Signer::matchesBotocore()
{
    const QStringList keys = {
        u"archive.tar.zst"_s,
        u"with space/cache file.tgz"_s,
        u"unicode/é/日本語/ü.bin"_s,
        u"plus+sign+key"_s,
        u"equals=sign==key"_s,
        u"tilde~and-dash_underscore.dot"_s,
        u"percent%20literal%2F"_s,
        u"deep/a/b/c/d/e/f/g/h/i/j/k/archive.tar.zst"_s,
        u"special !$&'()*,;:@ chars"_s,
        u"double//slash"_s,
        u"trailing/"_s,
        u"emoji 🎉 key"_s,
        u"quote\"hash#question?mark"_s,
    };
    const QList<QueryItems> queries = {
        {},
        {{u"list-type"_s, u"2"_s}, {u"prefix"_s, u"org/repo/"_s}, {u"max-keys"_s, u"1000"_s}},
        {{u"list-type"_s, u"2"_s}, {u"continuation-token"_s, u"1/a+b=c d=="_s}, {u"delimiter"_s, u"/"_s}},
        {{u"uploads"_s, QString()}},
        {{u"partNumber"_s, u"7"_s}, {u"uploadId"_s, u"2~abc/DEF+ghi=="_s}},
        {{u"delete"_s, QString()}},
        {{u"prefix"_s, u"é/ü 日本"_s}, {u"list-type"_s, u"2"_s}},
    };
    const QList<QByteArray> methods = {"GET", "PUT", "POST", "DELETE", "HEAD"};
    const QStringList servers = {u"http://127.0.0.1:9000"_s, u"https://s3.amazonaws.com:443"_s,
                                 u"minio.internal:9443"_s, u"http://localhost"_s};
    const QList<HeaderList> headerSets = {
        {},
        {{"range", "bytes=0-1023"}, {"if-match", "\"0123abcd\""}},
        {{"content-type", "application/zstd"}, {"x-amz-meta-fingerprint", "  sha256:abc   def  "},
         {"content-md5", "1B2M2Y8AsgTpgAmY7PhCfg=="}},
    };
    const QList<Credentials> credentials = {
        {u"AKIAIOSFODNN7EXAMPLE"_s, exampleSecret, {}, {}},
        {u"ASIAEXAMPLESESSION"_s, u"secret/with+chars="_s, u"FQoGZXIvYXdzE//session+token=="_s, {}},
    };
    const QStringList regions = {u"us-east-1"_s, u"eu-central-1"_s};
    const QList<QDateTime> times = {exampleTime(), QDateTime(QDate(2024, 2, 29), QTime(23, 59, 59), Qt::UTC)};

    QList<OracleRow> rows;
    int n = 0;
    const auto addRow = [&](const QString &key, const QueryItems &query) {
        OracleRow row;
        row.name = QStringLiteral("row%1").arg(n);
        row.method = methods[n % methods.size()];
        row.server = servers[n % servers.size()];
        row.key = key;
        row.query = query;
        row.headers = headerSets[n % headerSets.size()];
        if (row.method == "PUT" || row.method == "POST")
            row.body = QByteArray("payload ") + QByteArray::number(n) + QByteArray(n * 37, 'x');
        row.credentials = credentials[n % credentials.size()];
        row.region = regions[(n / 2) % regions.size()];
        row.time = times[(n / 3) % times.size()];
        rows.append(row);
        ++n;
    };
    for (const QString &key : keys) {
        for (const QueryItems &query : queries)
            addRow(key, query);
    }
    // Bucket-level requests (no key), path-style and virtual-host.
    for (const QueryItems &query : queries)
        addRow(QString(), query);

    QJsonArray table;
    QHash<QString, QByteArray> ours;
    for (const OracleRow &row : rows) {
        const Result<Endpoint> endpoint =
            resolveEndpoint({row.server, u"my-bucket"_s, row.region, {}, std::nullopt});
        QVERIFY2(endpoint.ok(), qPrintable(endpoint.error().message()));
        const QString path = endpoint->requestPath(row.key);
        const bool https = endpoint->scheme == u"https";

        HeaderList headers = row.headers;
        headers.prepend({"host", endpoint->hostHeader()});
        SigV4Signer::Request request{row.method, path, row.query, headers,
                                     https ? QByteArray(SigV4Signer::unsignedPayload) : SigV4Signer::payloadHash(row.body)};
        SigV4Signer::sign(&request, row.credentials, row.region, row.time);
        ours.insert(row.name, request.headers.last().second);

        QJsonArray query;
        for (const auto &[name, value] : row.query)
            query.append(QJsonArray{name, value});
        QJsonArray jsonHeaders;
        for (const auto &[name, value] : row.headers)
            jsonHeaders.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
        const QString base = endpoint->scheme + u"://"_s + QString::fromLatin1(endpoint->hostHeader());
        // botocore strips default ports itself: give it the server as the user wrote it.
        const QString userBase = row.server.contains(u"://") ? row.server : u"https://"_s + row.server;
        table.append(QJsonObject{
            {u"name"_s, row.name},
            {u"method"_s, QString::fromLatin1(row.method)},
            {u"base_url"_s, endpoint->pathStyle ? userBase : base},
            {u"path"_s, path},
            {u"query"_s, query},
            {u"headers"_s, jsonHeaders},
            {u"body_base64"_s, QString::fromLatin1(row.body.toBase64())},
            {u"access_key"_s, row.credentials.accessKey},
            {u"secret_key"_s, row.credentials.secretKey},
            {u"session_token"_s, row.credentials.sessionToken},
            {u"region"_s, row.region},
            {u"time"_s, QString::fromLatin1(SigV4Signer::amzDate(row.time))},
        });
    }

    QTemporaryFile input;
    QVERIFY(input.open());
    input.write(QJsonDocument(table).toJson());
    input.flush();

    QProcess python;
    python.start(test::testPython(), {QStringLiteral(S3CACHE_TEST_SOURCE_DIR "/unit/s3/sigv4_oracle.py"), input.fileName()});
    QVERIFY2(python.waitForFinished(60'000), "the botocore oracle did not finish");
    QVERIFY2(python.exitStatus() == QProcess::NormalExit && python.exitCode() == 0,
             qPrintable(u"botocore oracle failed: "_s + QString::fromUtf8(python.readAllStandardError())));
    const QJsonObject expected = QJsonDocument::fromJson(python.readAllStandardOutput()).object();
    QCOMPARE(expected.size(), int(rows.size()));

    for (const OracleRow &row : rows) {
        const QByteArray theirs = expected.value(row.name).toString().toLatin1();
        QVERIFY2(ours.value(row.name) == theirs,
                 qPrintable(QStringLiteral("%1 %2 %3 key \"%4\": ours %5, botocore %6")
                                .arg(row.name, QString::fromLatin1(row.method), row.server, row.key,
                                     QString::fromLatin1(ours.value(row.name)), QString::fromLatin1(theirs))));
    }
}

QTEST_GUILESS_MAIN(TestSigV4Signer)
#include "tst_sigv4signer.moc"
