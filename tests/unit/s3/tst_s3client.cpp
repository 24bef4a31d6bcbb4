// S3Client behaviour that needs a misbehaving server: retry/backoff, no retry on client errors,
// timeouts, cancellation, clock-skew correction, resumed downloads, and what goes on the wire.
// The "server" is a tiny loopback QTcpServer that plays a script of raw HTTP answers: faults
// only (a 503, a silence, a cut connection), not S3 semantics, which the integration tests check
// against real servers.

#include "s3/s3client.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QLocale>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

using namespace s3cache;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(ErrorKind)

namespace {

struct Answer
{
    QByteArray raw;       // empty: stay silent (accept, read, never answer)
};

struct SeenRequest
{
    QByteArray requestLine;
    QMap<QByteArray, QByteArray> headers;  // lower-case names
    QByteArray body;
};

Answer answer(int status, const QByteArray &reason, const QList<QPair<QByteArray, QByteArray>> &headers = {},
              const QByteArray &body = {}, qint64 contentLength = -1)
{
    QByteArray raw = "HTTP/1.1 " + QByteArray::number(status) + ' ' + reason + "\r\n";
    for (const auto &[name, value] : headers)
        raw += name + ": " + value + "\r\n";
    raw += "Content-Length: " + QByteArray::number(contentLength >= 0 ? contentLength : body.size()) + "\r\n";
    raw += "Connection: close\r\n\r\n" + body;
    return {raw};
}

Answer s3ErrorAnswer(int status, const QByteArray &reason, const QByteArray &code,
                     const QList<QPair<QByteArray, QByteArray>> &headers = {})
{
    return answer(status, reason, headers,
                  "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>" + code + "</Code><Message>" + code
                      + " happened</Message><RequestId>RID</RequestId></Error>");
}

Answer silence()
{
    return {};
}

class FaultServer : public QTcpServer
{
public:
    using Responder = std::function<Answer(const SeenRequest &)>;
    explicit FaultServer(QList<Answer> script) : FaultServer(Responder{}) { m_script = std::move(script); }
    // Answers by what was asked rather than in order: for tests where Qt may resend a request
    // on its own after a connection drop (it does so when the drop races the answer).
    explicit FaultServer(Responder responder) : m_responder(std::move(responder))
    {
        QVERIFY(listen(QHostAddress::LocalHost));
        connect(this, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = nextPendingConnection())
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onData(socket); });
        });
    }

    QString endpoint() const { return u"http://127.0.0.1:%1"_s.arg(serverPort()); }
    QList<SeenRequest> seen;

private:
    void onData(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        SeenRequest request;
        const QList<QByteArray> lines = buffer.left(end).split('\n');
        request.requestLine = lines.first().trimmed();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const qsizetype colon = lines[i].indexOf(':');
            request.headers.insert(lines[i].left(colon).trimmed().toLower(), lines[i].mid(colon + 1).trimmed());
        }
        const qint64 length = request.headers.value("content-length").toLongLong();
        if (buffer.size() < end + 4 + length)
            return;  // wait for the whole body
        request.body = buffer.mid(end + 4, length);
        m_buffers.remove(socket);
        seen.append(request);
        const Answer next = m_responder         ? m_responder(request)
                            : m_script.isEmpty() ? s3ErrorAnswer(500, "Script Exhausted", "ScriptExhausted")
                                                 : m_script.takeFirst();
        if (next.raw.isEmpty())
            return;  // silent: keep the connection open and say nothing
        // One answer per connection: a request the client pipelines onto this socket before it
        // sees the close must not use up the next answer (the client resends it elsewhere).
        socket->disconnect(this);
        socket->write(next.raw);
        socket->disconnectFromHost();
    }

    Responder m_responder;
    QList<Answer> m_script;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};

S3ClientConfig configFor(const FaultServer &server)
{
    S3ClientConfig config;
    Result<Endpoint> endpoint = resolveEndpoint({server.endpoint(), u"bucket"_s, {}, {}, {}});
    config.endpoint = *endpoint;
    config.credentials = {u"AKID"_s, u"SECRET"_s, {}, {}};
    config.retry = {4, 1, 10};  // fast backoff for tests
    config.inactivityTimeoutMs = 10'000;
    return config;
}

// Runs one request to completion and returns its result.
S3CallResult run(S3Client &client, S3Request request)
{
    S3Call *call = client.start(std::move(request));
    QSignalSpy finished(call, &S3Call::finished);
    if (!finished.wait(20'000))
        qFatal("S3Call did not finish");
    S3CallResult result = call->result();
    delete call;
    return result;
}

} // namespace

Q_DECLARE_METATYPE(Answer)

class TestS3Client : public QObject
{
    Q_OBJECT

private slots:
    void retriesThrottlingThenSucceeds_data();
    void retriesThrottlingThenSucceeds();
    void neverRetriesClientErrors_data();
    void neverRetriesClientErrors();
    void givesUpAfterMaxAttempts();
    void retriesConnectionRefused();
    void inactivityTimeoutRetries();
    void deadlineFailsWithTimeout();
    void cancellationAbortsInFlightRequest();
    void correctsClockSkewFromDate();
    void resumesInterruptedDownload_data();
    void resumesInterruptedDownload();
    void invalidInputNeverReachesTheNetwork();
    void wireMatchesWhatWasSigned();
    void objectOptionsOnlyWhereAnObjectIsCreated();
    void deleteObjectsCarriesContentMd5();
};

void TestS3Client::retriesThrottlingThenSucceeds_data()
{
    QTest::addColumn<Answer>("fault");
    QTest::newRow("503-slowdown") << s3ErrorAnswer(503, "Slow Down", "SlowDown");
    QTest::newRow("429-no-body") << answer(429, "Too Many Requests");
    QTest::newRow("400-request-timeout") << s3ErrorAnswer(400, "Bad Request", "RequestTimeout");
    QTest::newRow("500-internal") << s3ErrorAnswer(500, "Internal Server Error", "InternalError");
    QTest::newRow("connection-cut") << Answer{"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"};
}

void TestS3Client::retriesThrottlingThenSucceeds()
{
    QFETCH(Answer, fault);
    FaultServer server({fault, fault, answer(200, "OK", {{"ETag", "\"abc\""}})});
    S3Client client(configFor(server));
    const S3CallResult result = run(client, S3Request::putObject(u"k"_s, "body", {}, {}));
    QVERIFY2(!result.error, qPrintable(result.error.toString()));
    QCOMPARE(result.attempts, 3);
    QCOMPARE(server.seen.size(), 3);
    QCOMPARE(result.etag, QByteArray("abc"));
    for (const SeenRequest &request : server.seen)
        QCOMPARE(request.body, QByteArray("body"));  // the body is sent again whole
}

void TestS3Client::neverRetriesClientErrors_data()
{
    QTest::addColumn<Answer>("fault");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("code");
    QTest::newRow("400") << s3ErrorAnswer(400, "Bad Request", "InvalidArgument") << ErrorKind::Server << u"InvalidArgument"_s;
    QTest::newRow("401") << answer(401, "Unauthorized") << ErrorKind::Auth << u"Unauthorized"_s;
    QTest::newRow("403-denied") << s3ErrorAnswer(403, "Forbidden", "AccessDenied") << ErrorKind::AccessDenied << u"AccessDenied"_s;
    QTest::newRow("403-signature") << s3ErrorAnswer(403, "Forbidden", "SignatureDoesNotMatch") << ErrorKind::Auth
                                   << u"SignatureDoesNotMatch"_s;
    QTest::newRow("404") << s3ErrorAnswer(404, "Not Found", "NoSuchKey") << ErrorKind::NotFound << u"NoSuchKey"_s;
    QTest::newRow("412") << s3ErrorAnswer(412, "Precondition Failed", "PreconditionFailed") << ErrorKind::Transient
                         << u"PreconditionFailed"_s;
    QTest::newRow("301-not-followed") << answer(301, "Moved Permanently", {{"Location", "http://127.0.0.1:1/x"}, {"x-amz-bucket-region", "eu-west-1"}})
                                      << ErrorKind::Server << u"PermanentRedirect"_s;
}

void TestS3Client::neverRetriesClientErrors()
{
    QFETCH(Answer, fault);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, code);
    FaultServer server({fault, answer(200, "OK")});
    S3Client client(configFor(server));
    const S3CallResult result = run(client, S3Request::getObject(u"k"_s, std::nullopt, {}));
    QCOMPARE(result.error.kind(), kind);
    QCOMPARE(result.error.code(), code);
    QCOMPARE(result.attempts, 1);
    QCOMPARE(server.seen.size(), 1);
    QVERIFY2(result.error.message().startsWith(u"GetObject s3://bucket/k: "_s), qPrintable(result.error.message()));
    QVERIFY(result.body.isEmpty());  // an error document is never returned as object data
}

void TestS3Client::givesUpAfterMaxAttempts()
{
    const Answer fault = s3ErrorAnswer(503, "Service Unavailable", "SlowDown");
    FaultServer server({fault, fault, fault, fault, answer(200, "OK")});
    S3Client client(configFor(server));
    const S3CallResult result = run(client, S3Request::headObject(u"k"_s));
    QCOMPARE(result.error.kind(), ErrorKind::Transient);
    QCOMPARE(result.error.code(), u"ServiceUnavailable"_s);  // HEAD answers have no error document
    QCOMPARE(result.error.httpStatus(), 503);
    QCOMPARE(result.attempts, 4);
    QCOMPARE(server.seen.size(), 4);
    QVERIFY2(result.error.message().endsWith(u"(after 4 attempts)"_s), qPrintable(result.error.message()));
}

void TestS3Client::retriesConnectionRefused()
{
    quint16 port;
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost));
        port = probe.serverPort();
    }
    S3ClientConfig config;
    config.endpoint = *resolveEndpoint({u"http://127.0.0.1:%1"_s.arg(port), u"bucket"_s, {}, {}, {}});
    config.retry = {3, 1, 5};
    S3Client client(config);
    const S3CallResult result = run(client, S3Request::headObject(u"k"_s));
    QCOMPARE(result.error.kind(), ErrorKind::Transient);
    QCOMPARE(result.error.code(), u"NetworkError"_s);
    QCOMPARE(result.attempts, 3);
}

void TestS3Client::inactivityTimeoutRetries()
{
    FaultServer server({silence(), answer(200, "OK", {{"ETag", "\"e\""}})});
    S3ClientConfig config = configFor(server);
    config.inactivityTimeoutMs = 300;
    S3Client client(config);
    const S3CallResult result = run(client, S3Request::putObject(u"k"_s, "x", {}, {}));
    QVERIFY2(!result.error, qPrintable(result.error.toString()));
    QCOMPARE(result.attempts, 2);
}

void TestS3Client::deadlineFailsWithTimeout()
{
    FaultServer server({silence(), silence()});
    S3Client client(configFor(server));
    S3Request request = S3Request::getObject(u"k"_s, std::nullopt, {});
    request.deadline = QDeadlineTimer(300);
    const S3CallResult result = run(client, request);
    QCOMPARE(result.error.kind(), ErrorKind::Transient);
    QCOMPARE(result.error.code(), u"Timeout"_s);
    QVERIFY2(result.error.message().contains(u"deadline exceeded"_s), qPrintable(result.error.message()));
    QCOMPARE(result.attempts, 1);

    // An expired deadline fails before anything is sent.
    request.deadline = QDeadlineTimer(0);
    QCOMPARE(run(client, request).error.code(), u"Timeout"_s);
    QCOMPARE(server.seen.size(), 1);
}

void TestS3Client::cancellationAbortsInFlightRequest()
{
    FaultServer server({silence()});
    S3Client client(configFor(server));
    auto cancellation = std::make_shared<Cancellation>();
    S3Request request = S3Request::getObject(u"k"_s, std::nullopt, {});
    request.cancellation = cancellation;
    S3Call *call = client.start(request);
    QSignalSpy finished(call, &S3Call::finished);
    QTRY_COMPARE(server.seen.size(), 1);  // the request is on the wire
    QVERIFY(!call->isFinished());
    cancellation->cancel();
    QVERIFY(finished.wait(5000));
    QCOMPARE(call->result().error.kind(), ErrorKind::Cancelled);
    QCOMPARE(call->result().error.code(), u"Cancelled"_s);
    QCOMPARE(finished.size(), 1);
}

void TestS3Client::correctsClockSkewFromDate()
{
    const QDateTime serverNow = QDateTime::currentDateTimeUtc();
    const QByteArray date = QLocale::c().toString(serverNow, u"ddd, dd MMM yyyy HH:mm:ss 'GMT'"_s).toLatin1();
    FaultServer server({s3ErrorAnswer(403, "Forbidden", "RequestTimeTooSkewed", {{"Date", date}}), answer(200, "OK")});
    S3ClientConfig config = configFor(server);
    config.clock = [] { return QDateTime::currentDateTimeUtc().addSecs(-2 * 3600); };  // two hours behind
    S3Client client(config);
    const S3CallResult result = run(client, S3Request::deleteObject(u"k"_s));
    QVERIFY2(!result.error, qPrintable(result.error.toString()));
    QCOMPARE(result.attempts, 2);
    QCOMPARE(server.seen.size(), 2);
    const auto signedAt = [&](int i) {
        return QDateTime::fromString(QString::fromLatin1(server.seen[i].headers.value("x-amz-date")), u"yyyyMMdd'T'HHmmss'Z'"_s)
            .toUTC();
    };
    QVERIFY(std::abs(signedAt(0).secsTo(serverNow) - 2 * 3600) < 120);
    QVERIFY(std::abs(signedAt(1).secsTo(serverNow)) < 120);  // re-signed with the server's clock
    QVERIFY(std::abs(client.clockOffsetMs() - 2 * 3600 * 1000) < 120'000);
}

void TestS3Client::resumesInterruptedDownload_data()
{
    QTest::addColumn<bool>("toSink");
    QTest::addColumn<bool>("ranged");
    QTest::newRow("memory") << false << false;
    QTest::newRow("sink") << true << false;
    QTest::newRow("sink-ranged") << true << true;
}

void TestS3Client::resumesInterruptedDownload()
{
    QFETCH(bool, toSink);
    QFETCH(bool, ranged);
    QByteArray object(100, Qt::Uninitialized);
    for (int i = 0; i < object.size(); ++i)
        object[i] = char('a' + i % 26);
    // Ranged: bytes 10-89 of the object; the connection dies after 30 of the 80 bytes.
    const qint64 first = ranged ? 10 : 0;
    const qint64 last = ranged ? 89 : 99;
    const QByteArray wanted = object.mid(first, last - first + 1);
    const qint64 cut = 30;
    const QByteArray status = ranged ? "206 Partial Content" : "200 OK";
    Answer interrupted{"HTTP/1.1 " + status + "\r\nETag: \"v1\"\r\nContent-Length: " + QByteArray::number(wanted.size())
                       + (ranged ? "\r\nContent-Range: bytes 10-89/100" : "") + "\r\n\r\n" + wanted.left(cut)};
    Answer rest = answer(206, "Partial Content",
                         {{"ETag", "\"v1\""}, {"Content-Range", "bytes " + QByteArray::number(first + cut) + '-'
                                                                     + QByteArray::number(last) + "/100"}},
                         wanted.mid(cut));
    FaultServer server([&](const SeenRequest &request) { return request.headers.contains("if-match") ? rest : interrupted; });
    S3Client client(configFor(server));
    QBuffer sink;
    sink.open(QIODevice::WriteOnly);
    const std::optional<ByteRange> range = ranged ? std::optional<ByteRange>(ByteRange{first, last}) : std::nullopt;
    const S3CallResult result = run(client, S3Request::getObject(u"k"_s, range, {}, toSink ? &sink : nullptr));
    QVERIFY2(!result.error, qPrintable(result.error.toString()));
    QCOMPARE(result.attempts, 2);
    QCOMPARE(toSink ? sink.data() : result.body, wanted);
    QVERIFY(toSink ? result.body.isEmpty() : sink.data().isEmpty());
    QCOMPARE(result.info.size, 100);
    QCOMPARE(result.info.etag, QByteArray("v1"));
    // The second request goes on where the first stopped, pinned to the same object version.
    QCOMPARE(server.seen.last().headers.value("range"), "bytes=" + QByteArray::number(first + cut) + '-' + (ranged ? "89" : ""));
    QCOMPARE(server.seen.last().headers.value("if-match"), QByteArray("\"v1\""));
}

void TestS3Client::invalidInputNeverReachesTheNetwork()
{
    FaultServer server(QList<Answer>{});
    S3Client client(configFor(server));
    const S3CallResult dotted = run(client, S3Request::getObject(u"a/../b"_s, std::nullopt, {}));
    QCOMPARE(dotted.error.kind(), ErrorKind::InvalidInput);
    QVERIFY(dotted.error.message().contains(u"\"..\" segment"_s));
    const S3CallResult metadata = run(client, S3Request::putObject(u"k"_s, "x", {{u"name"_s, u"é"_s}}, {}));
    QCOMPARE(metadata.error.kind(), ErrorKind::InvalidInput);
    const S3CallResult tooMany = run(client, S3Request::deleteObjects(QStringList(1001, u"k"_s)));
    QCOMPARE(tooMany.error.kind(), ErrorKind::Internal);
    QVERIFY(server.seen.isEmpty());
}

void TestS3Client::wireMatchesWhatWasSigned()
{
    FaultServer server({answer(200, "OK", {{"ETag", "\"e\""}})});
    S3Client client(configFor(server));
    const QString key = u"dir with space/c+d=e~f%g/é 日本.tgz"_s;
    const S3CallResult result = run(client, S3Request::uploadPart(key, u"id/with+chars="_s, 3, "part"));
    QVERIFY2(!result.error, qPrintable(result.error.toString()));
    const SeenRequest &seen = server.seen.first();
    QCOMPARE(seen.requestLine, QByteArray("PUT /bucket/dir%20with%20space/c%2Bd%3De~f%25g/%C3%A9%20%E6%97%A5%E6%9C%AC.tgz"
                                          "?partNumber=3&uploadId=id%2Fwith%2Bchars%3D HTTP/1.1"));
    QCOMPARE(seen.headers.value("host"), QByteArray("127.0.0.1:") + QByteArray::number(server.serverPort()));
    QCOMPARE(seen.headers.value("x-amz-content-sha256"), SigV4Signer::payloadHash("part"));  // plain http: signed payload
    QVERIFY(seen.headers.value("authorization").startsWith("AWS4-HMAC-SHA256 Credential=AKID/"));
    QCOMPARE(seen.headers.value("accept-encoding"), QByteArray("identity"));
}

// Encryption, storage class and tags go on PutObject and CreateMultipartUpload, signed; never on
// UploadPart (S3 refuses them there). No upload is aws-chunked or carries a trailing checksum,
// which R2, Ceph and others reject.
void TestS3Client::objectOptionsOnlyWhereAnObjectIsCreated()
{
    const QByteArray created = "<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>";
    FaultServer server({answer(200, "OK", {{"ETag", "\"e\""}}), answer(200, "OK", {}, created),
                        answer(200, "OK", {{"ETag", "\"p\""}})});
    S3ClientConfig config = configFor(server);
    config.objectOptions.serverSideEncryption = u"aws:kms"_s;
    config.objectOptions.kmsKeyId = u"alias/ci"_s;
    config.objectOptions.bucketKeyEnabled = true;
    config.objectOptions.storageClass = u"STANDARD_IA"_s;
    config.objectOptions.tags = {{u"team"_s, u"web"_s}, {u"note"_s, u"a b&c=d"_s}};
    S3Client client(config);
    for (S3Request request : {S3Request::putObject(u"k"_s, "body", {}, {}),
                              S3Request::createMultipartUpload(u"k"_s, {}, {}),
                              S3Request::uploadPart(u"k"_s, u"u1"_s, 1, "part")}) {
        const S3CallResult result = run(client, request);
        QVERIFY2(!result.error, qPrintable(result.error.toString()));
    }
    QCOMPARE(server.seen.size(), 3);
    for (int i = 0; i < 2; ++i) {
        const QMap<QByteArray, QByteArray> &headers = server.seen[i].headers;
        QCOMPARE(headers.value("x-amz-server-side-encryption"), QByteArray("aws:kms"));
        QCOMPARE(headers.value("x-amz-server-side-encryption-aws-kms-key-id"), QByteArray("alias/ci"));
        QCOMPARE(headers.value("x-amz-server-side-encryption-bucket-key-enabled"), QByteArray("true"));
        QCOMPARE(headers.value("x-amz-storage-class"), QByteArray("STANDARD_IA"));
        QCOMPARE(headers.value("x-amz-tagging"), QByteArray("team=web&note=a%20b%26c%3Dd"));
        const QByteArray signedHeaders = headers.value("authorization");
        for (const char *name : {"x-amz-server-side-encryption", "x-amz-storage-class", "x-amz-tagging"})
            QVERIFY2(signedHeaders.contains(name), signedHeaders.constData());
    }
    for (const SeenRequest &seen : server.seen) {
        for (auto it = seen.headers.cbegin(); it != seen.headers.cend(); ++it) {
            if (seen.requestLine.contains("partNumber="))
                QVERIFY2(!it.key().startsWith("x-amz-server-side") && it.key() != "x-amz-storage-class"
                             && it.key() != "x-amz-tagging", it.key().constData());
            QVERIFY2(!it.key().startsWith("x-amz-checksum") && it.key() != "x-amz-trailer"
                         && it.key() != "x-amz-decoded-content-length" && it.key() != "content-encoding",
                     it.key().constData());
            QVERIFY2(!it.value().contains("STREAMING-"), it.value().constData());
        }
    }
}

// AWS (and servers that follow it strictly) refuse a DeleteObjects without Content-MD5.
void TestS3Client::deleteObjectsCarriesContentMd5()
{
    FaultServer server({answer(200, "OK", {}, "<DeleteResult><Deleted><Key>a</Key></Deleted></DeleteResult>")});
    S3Client client(configFor(server));
    const S3CallResult result = run(client, S3Request::deleteObjects({u"a"_s}));
    QVERIFY2(!result.error, qPrintable(result.error.toString()));
    const SeenRequest &seen = server.seen.first();
    QVERIFY(!seen.body.isEmpty());
    QCOMPARE(seen.headers.value("content-md5"), QCryptographicHash::hash(seen.body, QCryptographicHash::Md5).toBase64());
}

QTEST_GUILESS_MAIN(TestS3Client)
#include "tst_s3client.moc"
