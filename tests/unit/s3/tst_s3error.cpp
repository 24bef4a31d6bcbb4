// S3 error documents -> Error (kind, code, message, status, request id), and the XML answers of
// the operations we use, malformed ones included.

#include "s3/s3error.h"
#include "s3/s3xml.h"

#include <QTest>

using namespace s3cache;
using namespace Qt::StringLiterals;

Q_DECLARE_METATYPE(ErrorKind)

class TestS3Error : public QObject
{
    Q_OBJECT

private slots:
    void fromResponse_data();
    void fromResponse();
    void retryable_data();
    void retryable();
    void malformedErrorBodyKeepsStatus();
    void emptyMessageGivesTheHintNotTheCodeAgain();
    void wellKnownCodesComeWithAHint();
    void listObjectsV2();
    void listObjectsV2Truncated();
    void deleteResult();
    void initiateMultipartUpload();
    void completeMultipartUpload();
    void completeWithErrorDocument();
    void listMultipartUploads();
    void malformed_data();
    void malformed();
    void requestBodies();
    void dates();
};

void TestS3Error::fromResponse_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<ErrorKind>("kind");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("message");
    QTest::addColumn<QString>("requestId");

    const auto doc = [](const char *code, const char *message) {
        return QByteArray("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>") + code + "</Code><Message>" + message
            + "</Message><Resource>/b/k</Resource><RequestId>REQ123</RequestId><HostId>h</HostId></Error>";
    };
    QTest::newRow("no-such-key") << 404 << doc("NoSuchKey", "The specified key does not exist.") << ErrorKind::NotFound
                                 << u"NoSuchKey"_s << u"GetObject s3://b/k: The specified key does not exist."_s << u"REQ123"_s;
    QTest::newRow("no-such-bucket") << 404 << doc("NoSuchBucket", "The specified bucket does not exist") << ErrorKind::NotFound
                                    << u"NoSuchBucket"_s << u"GetObject s3://b/k: The specified bucket does not exist"_s << u"REQ123"_s;
    QTest::newRow("no-such-upload") << 404 << doc("NoSuchUpload", "gone") << ErrorKind::NotFound << u"NoSuchUpload"_s
                                    << u"GetObject s3://b/k: gone"_s << u"REQ123"_s;
    QTest::newRow("invalid-access-key") << 403 << doc("InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records.")
                                        << ErrorKind::Auth << u"InvalidAccessKeyId"_s
                                        << u"GetObject s3://b/k: The AWS Access Key Id you provided does not exist in our records."_s << u"REQ123"_s;
    QTest::newRow("signature-mismatch") << 403 << doc("SignatureDoesNotMatch", "no match") << ErrorKind::Auth
                                        << u"SignatureDoesNotMatch"_s << u"GetObject s3://b/k: no match"_s << u"REQ123"_s;
    QTest::newRow("expired-token") << 400 << doc("ExpiredToken", "expired") << ErrorKind::Auth << u"ExpiredToken"_s
                                   << u"GetObject s3://b/k: expired"_s << u"REQ123"_s;
    QTest::newRow("invalid-token") << 400 << doc("InvalidToken", "bad token") << ErrorKind::Auth << u"InvalidToken"_s
                                   << u"GetObject s3://b/k: bad token"_s << u"REQ123"_s;
    QTest::newRow("access-denied") << 403 << doc("AccessDenied", "Access Denied") << ErrorKind::AccessDenied
                                   << u"AccessDenied"_s << u"GetObject s3://b/k: Access Denied"_s << u"REQ123"_s;
    QTest::newRow("slow-down") << 503 << doc("SlowDown", "Please reduce your request rate.") << ErrorKind::Transient
                               << u"SlowDown"_s << u"GetObject s3://b/k: Please reduce your request rate."_s << u"REQ123"_s;
    QTest::newRow("request-timeout-400") << 400 << doc("RequestTimeout", "idle") << ErrorKind::Transient
                                         << u"RequestTimeout"_s << u"GetObject s3://b/k: idle"_s << u"REQ123"_s;
    QTest::newRow("internal-error") << 500 << doc("InternalError", "oops") << ErrorKind::Transient << u"InternalError"_s
                                    << u"GetObject s3://b/k: oops"_s << u"REQ123"_s;
    QTest::newRow("precondition") << 412 << doc("PreconditionFailed", "At least one of the pre-conditions you specified did not hold")
                                  << ErrorKind::Transient << u"PreconditionFailed"_s
                                  << u"GetObject s3://b/k: At least one of the pre-conditions you specified did not hold"_s << u"REQ123"_s;
    QTest::newRow("invalid-argument") << 400 << doc("InvalidArgument", "bad") << ErrorKind::Server << u"InvalidArgument"_s
                                      << u"GetObject s3://b/k: bad"_s << u"REQ123"_s;
    QTest::newRow("xml-entities") << 400 << doc("InvalidArgument", "a &lt;b&gt; &amp; &quot;c&quot;") << ErrorKind::Server
                                  << u"InvalidArgument"_s << u"GetObject s3://b/k: a <b> & \"c\""_s << u"REQ123"_s;
    // HEAD answers carry no body: the status decides.
    QTest::newRow("head-404") << 404 << QByteArray() << ErrorKind::NotFound << u"NotFound"_s
                              << u"GetObject s3://b/k: not found"_s << u"HDR-ID"_s;
    QTest::newRow("head-403") << 403 << QByteArray() << ErrorKind::AccessDenied << u"AccessDenied"_s
                              << u"GetObject s3://b/k: access denied"_s << u"HDR-ID"_s;
    QTest::newRow("head-401") << 401 << QByteArray() << ErrorKind::Auth << u"Unauthorized"_s
                              << u"GetObject s3://b/k: Reason"_s << u"HDR-ID"_s;
    QTest::newRow("head-400") << 400 << QByteArray() << ErrorKind::Server << u"BadRequest"_s
                              << u"GetObject s3://b/k: Reason"_s << u"HDR-ID"_s;
    QTest::newRow("head-503") << 503 << QByteArray() << ErrorKind::Transient << u"ServiceUnavailable"_s
                              << u"GetObject s3://b/k: Reason"_s << u"HDR-ID"_s;
    QTest::newRow("head-429") << 429 << QByteArray() << ErrorKind::Transient << u"SlowDown"_s
                              << u"GetObject s3://b/k: Reason"_s << u"HDR-ID"_s;
    QTest::newRow("head-412") << 412 << QByteArray() << ErrorKind::Transient << u"PreconditionFailed"_s
                              << u"GetObject s3://b/k: Reason"_s << u"HDR-ID"_s;
    QTest::newRow("proxy-413") << 413 << QByteArray("<html><center><h1>413 Request Entity Too Large</h1></center></html>")
                               << ErrorKind::Server << u"RequestEntityTooLarge"_s
                               << u"GetObject s3://b/k: Reason (unexpected answer: <html><center><h1>413 Request Entity Too Large</h1></center></html>)"_s
                               << u"HDR-ID"_s;
    QTest::newRow("proxy-html-page") << 502 << QByteArray("<html><body>Bad   Gateway</body></html>") << ErrorKind::Transient
                                     << u"Http502"_s
                                     << u"GetObject s3://b/k: Reason (unexpected answer: <html><body>Bad Gateway</body></html>)"_s
                                     << u"HDR-ID"_s;
}

void TestS3Error::fromResponse()
{
    QFETCH(int, status);
    QFETCH(QByteArray, body);
    QFETCH(ErrorKind, kind);
    QFETCH(QString, code);
    QFETCH(QString, message);
    QFETCH(QString, requestId);

    const Error error = S3ErrorParser::fromResponse(status, body, u"GetObject s3://b/k"_s, u"HDR-ID"_s, u"Reason"_s);
    QCOMPARE(error.kind(), kind);
    QCOMPARE(error.code(), code);
    QCOMPARE(error.message(), message);
    QCOMPARE(error.httpStatus(), status);
    QCOMPARE(error.requestId(), requestId);
}

void TestS3Error::retryable_data()
{
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");
    QTest::addColumn<bool>("retry");

    QTest::newRow("500") << 500 << u"InternalError"_s << true;
    QTest::newRow("502-no-code") << 502 << QString() << true;
    QTest::newRow("503-slowdown") << 503 << u"SlowDown"_s << true;
    QTest::newRow("429") << 429 << QString() << true;
    QTest::newRow("400-request-timeout") << 400 << u"RequestTimeout"_s << true;
    QTest::newRow("200-internal-error-in-complete") << 200 << u"InternalError"_s << true;
    QTest::newRow("400") << 400 << u"InvalidArgument"_s << false;
    QTest::newRow("401") << 401 << QString() << false;
    QTest::newRow("403-access-denied") << 403 << u"AccessDenied"_s << false;
    QTest::newRow("403-signature") << 403 << u"SignatureDoesNotMatch"_s << false;
    QTest::newRow("404") << 404 << u"NoSuchKey"_s << false;
    QTest::newRow("412") << 412 << u"PreconditionFailed"_s << false;
    QTest::newRow("501-not-implemented") << 501 << u"NotImplemented"_s << false;  // s3rver's ListMultipartUploads
}

void TestS3Error::retryable()
{
    QFETCH(int, status);
    QFETCH(QString, code);
    QFETCH(bool, retry);
    QCOMPARE(S3ErrorParser::isRetryable(status, code), retry);
}

// Ceph RGW sends <Message></Message>: the code must not stand in for the message too.
void TestS3Error::emptyMessageGivesTheHintNotTheCodeAgain()
{
    const Error error = S3ErrorParser::fromResponse(
        403, "<Error><Code>SignatureDoesNotMatch</Code><Message></Message><RequestId>R1</RequestId></Error>",
        u"GetObject s3://b/k"_s);
    QCOMPARE(error.code(), u"SignatureDoesNotMatch"_s);
    QCOMPARE(error.message(), u"GetObject s3://b/k: "_s + S3ErrorParser::hintFor(u"SignatureDoesNotMatch"_s));
    QVERIFY(error.hint().isEmpty());  // already the message: said once
    QCOMPARE(error.toString().count(u"SignatureDoesNotMatch"_s), 1);
    QVERIFY2(error.toString().contains(u"check the secret key"_s), qPrintable(error.toString()));

    // No hint for the code: the HTTP reason, still not the code twice.
    const Error other = S3ErrorParser::fromResponse(400, "<Error><Code>InvalidArgument</Code><Message/></Error>",
                                                    u"PutObject s3://b/k"_s, {}, u"Bad Request"_s);
    QCOMPARE(other.message(), u"PutObject s3://b/k: Bad Request"_s);
    QCOMPARE(other.toString().count(u"InvalidArgument"_s), 1);
}

void TestS3Error::wellKnownCodesComeWithAHint()
{
    const auto doc = [](const QString &code) {
        return QStringLiteral("<Error><Code>%1</Code><Message>the server's words</Message></Error>").arg(code).toUtf8();
    };
    const QList<std::pair<QString, QString>> cases{
        {u"SignatureDoesNotMatch"_s, u"secret key"_s},      {u"InvalidAccessKeyId"_s, u"access key id"_s},
        {u"RequestTimeTooSkewed"_s, u"clock"_s},            {u"AuthorizationHeaderMalformed"_s, u"region"_s},
        {u"PermanentRedirect"_s, u"region"_s},              {u"AccessDenied"_s, u"permissions"_s},
        {u"ExpiredToken"_s, u"session token"_s},            {u"InvalidObjectState"_s, u"lifecycle rule"_s},
        {u"KMS.NotFoundException"_s, u"sse_kms_key_id"_s},  {u"InvalidStorageClass"_s, u"storage_class"_s},
    };
    for (const auto &[code, words] : cases) {
        const Error error = S3ErrorParser::fromResponse(403, doc(code), u"HeadObject s3://b/k"_s);
        QVERIFY2(error.hint().contains(words), qPrintable(code + u": "_s + error.hint()));
        QVERIFY2(error.toString().endsWith(u"; "_s + error.hint()), qPrintable(error.toString()));
        QVERIFY(error.message().endsWith(u"the server's words"_s));
        QCOMPARE(error.withContext(u"restore"_s).hint(), error.hint());  // context keeps it
    }
    // A bare 301 (a HEAD to the wrong region) is PermanentRedirect, with the region hint.
    QVERIFY(S3ErrorParser::fromResponse(301, {}, u"HeadObject s3://b/k"_s).hint().contains(u"region"_s));
    // A proxy's 413 (an HTML page) names the limit to raise.
    QVERIFY(S3ErrorParser::fromResponse(413, "<html>413</html>", u"UploadPart s3://b/k"_s).hint().contains(u"client_max_body_size"_s));
    QVERIFY(S3ErrorParser::hintFor(u"TlsError"_s).contains(u"http://"_s));
    QVERIFY(S3ErrorParser::hintFor(u"TlsError"_s).contains(u"ca_bundle"_s));
    QVERIFY(S3ErrorParser::hintFor(u"NoSuchKey"_s).isEmpty());
}

void TestS3Error::malformedErrorBodyKeepsStatus()
{
    const Error error = S3ErrorParser::fromResponse(404, "<Error><Code>NoSuchKey</Code><Message>trunc", u"HeadObject s3://b/k"_s);
    QCOMPARE(error.kind(), ErrorKind::NotFound);
    QCOMPARE(error.code(), u"NotFound"_s);
    QVERIFY(error.message().startsWith(u"HeadObject s3://b/k: not found (unexpected answer: "_s));
    QVERIFY(!S3ErrorParser::parseBody("<NotAnError/>").has_value());
    QVERIFY(!S3ErrorParser::parseBody("").has_value());
    const auto skew = S3ErrorParser::parseBody(
        "<Error><Code>RequestTimeTooSkewed</Code><Message>m</Message><RequestTime>x</RequestTime>"
        "<ServerTime>2024-01-02T03:04:05Z</ServerTime><MaxAllowedSkewMilliseconds>900000</MaxAllowedSkewMilliseconds></Error>");
    QVERIFY(skew.has_value());
    QCOMPARE(skew->serverTime, u"2024-01-02T03:04:05Z"_s);
}

void TestS3Error::listObjectsV2()
{
    const QByteArray xml = R"(<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Name>bucket</Name><Prefix>org/</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys>
  <Delimiter>/</Delimiter><IsTruncated>false</IsTruncated>
  <Contents>
    <Key>org/a &amp; b &lt;c&gt;.tgz</Key>
    <LastModified>2024-01-02T03:04:05.000Z</LastModified>
    <ETag>&quot;9b2cf535f27731c974343645a3985328&quot;</ETag>
    <Size>1234567890123</Size>
    <StorageClass>STANDARD</StorageClass>
  </Contents>
  <Contents><Key>org/é 日本.tar.zst</Key><LastModified>2024-01-02T03:04:06Z</LastModified>
    <ETag>"abc-2"</ETag><Size>0</Size></Contents>
  <CommonPrefixes><Prefix>org/repo/</Prefix></CommonPrefixes>
  <CommonPrefixes><Prefix>org/other/</Prefix></CommonPrefixes>
</ListBucketResult>)";
    const Result<ListPage> page = S3Xml::parseListObjectsV2(xml);
    QVERIFY2(page.ok(), qPrintable(page.error().message()));
    QCOMPARE(page->objects.size(), 2);
    QCOMPARE(page->objects[0].key, u"org/a & b <c>.tgz"_s);
    QCOMPARE(page->objects[0].size, 1234567890123LL);
    QCOMPARE(page->objects[0].etag, QByteArray("9b2cf535f27731c974343645a3985328"));
    QCOMPARE(page->objects[0].lastModified, QDateTime(QDate(2024, 1, 2), QTime(3, 4, 5), Qt::UTC));
    QCOMPARE(page->objects[1].key, u"org/é 日本.tar.zst"_s);
    QCOMPARE(page->objects[1].etag, QByteArray("abc-2"));
    QCOMPARE(page->objects[1].size, 0);
    QCOMPARE(page->objects[1].lastModified, QDateTime(QDate(2024, 1, 2), QTime(3, 4, 6), Qt::UTC));
    QCOMPARE(page->commonPrefixes, QStringList({u"org/repo/"_s, u"org/other/"_s}));
    QVERIFY(!page->truncated);
    QVERIFY(page->nextContinuationToken.isEmpty());
}

void TestS3Error::listObjectsV2Truncated()
{
    const Result<ListPage> page = S3Xml::parseListObjectsV2(
        "<ListBucketResult><IsTruncated>true</IsTruncated>"
        "<NextContinuationToken>1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM=</NextContinuationToken>"
        "<Contents><Key>k</Key><Size>1</Size></Contents></ListBucketResult>");
    QVERIFY(page.ok());
    QVERIFY(page->truncated);
    QCOMPARE(page->nextContinuationToken, u"1ueGcxLPRx1Tr/XYExHnhbYLgveDs2J/wm36Hy4vbOwM="_s);

    const Result<ListPage> noToken = S3Xml::parseListObjectsV2("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>");
    QVERIFY(!noToken.ok());
    QCOMPARE(noToken.error().code(), u"MalformedResponse"_s);
    QVERIFY(noToken.error().message().contains(u"NextContinuationToken"_s));
}

void TestS3Error::deleteResult()
{
    const Result<DeleteObjectsReply> result = S3Xml::parseDeleteResult(R"(<?xml version="1.0" encoding="UTF-8"?>
<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Deleted><Key>a/1</Key></Deleted>
  <Deleted><Key>a &amp; 2</Key><VersionId>v</VersionId></Deleted>
  <Error><Key>a/3</Key><Code>AccessDenied</Code><Message>Access Denied</Message></Error>
</DeleteResult>)");
    QVERIFY2(result.ok(), qPrintable(result.error().message()));
    QCOMPARE(result->deleted, QStringList({u"a/1"_s, u"a & 2"_s}));
    QCOMPARE(result->failures.size(), 1);
    QCOMPARE(result->failures[0].first, u"a/3"_s);
    QCOMPARE(result->failures[0].second.kind(), ErrorKind::AccessDenied);
    QCOMPARE(result->failures[0].second.code(), u"AccessDenied"_s);
    QCOMPARE(result->failures[0].second.message(), u"Access Denied"_s);  // the key is the store's context
}

void TestS3Error::initiateMultipartUpload()
{
    const Result<QString> id = S3Xml::parseInitiateMultipartUpload(
        "<InitiateMultipartUploadResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Bucket>b</Bucket>"
        "<Key>k</Key><UploadId>VXBsb2FkIElE+/=</UploadId></InitiateMultipartUploadResult>");
    QVERIFY(id.ok());
    QCOMPARE(*id, u"VXBsb2FkIElE+/="_s);
    const Result<QString> none = S3Xml::parseInitiateMultipartUpload("<InitiateMultipartUploadResult/>");
    QVERIFY(!none.ok());
    QVERIFY(none.error().message().contains(u"no <UploadId>"_s));
}

void TestS3Error::completeMultipartUpload()
{
    const Result<QByteArray> etag = S3Xml::parseCompleteMultipartUpload(
        "<CompleteMultipartUploadResult><Location>http://x</Location><Bucket>b</Bucket><Key>k</Key>"
        "<ETag>\"3858f62230ac3c915f300c664312c11f-9\"</ETag></CompleteMultipartUploadResult>");
    QVERIFY(etag.ok());
    QCOMPARE(*etag, QByteArray("3858f62230ac3c915f300c664312c11f-9"));
}

void TestS3Error::completeWithErrorDocument()
{
    // S3 can answer 200 and still fail the completion in the body.
    const Result<QByteArray> etag = S3Xml::parseCompleteMultipartUpload(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\n<Error><Code>InternalError</Code>"
        "<Message>We encountered an internal error. Please try again.</Message><RequestId>R1</RequestId></Error>");
    QVERIFY(!etag.ok());
    QCOMPARE(etag.error().code(), u"InternalError"_s);
    QCOMPARE(etag.error().kind(), ErrorKind::Transient);
    QCOMPARE(etag.error().requestId(), u"R1"_s);
    QVERIFY(S3ErrorParser::isRetryable(200, etag.error().code()));

    const Result<QByteArray> invalidPart = S3Xml::parseCompleteMultipartUpload(
        "<Error><Code>InvalidPart</Code><Message>One or more of the specified parts could not be found.</Message></Error>");
    QVERIFY(!invalidPart.ok());
    QCOMPARE(invalidPart.error().kind(), ErrorKind::Server);
    QVERIFY(!S3ErrorParser::isRetryable(200, invalidPart.error().code()));
}

void TestS3Error::listMultipartUploads()
{
    const Result<MultipartUploadsPage> page = S3Xml::parseListMultipartUploads(R"(<?xml version="1.0" encoding="UTF-8"?>
<ListMultipartUploadsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <Bucket>b</Bucket><KeyMarker></KeyMarker><UploadIdMarker></UploadIdMarker>
  <NextKeyMarker>my-movie.m2ts</NextKeyMarker><NextUploadIdMarker>YW55IGlkZWEgd2h5</NextUploadIdMarker>
  <MaxUploads>2</MaxUploads><IsTruncated>true</IsTruncated>
  <Upload><Key>my-divisor</Key><UploadId>XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw</UploadId>
    <Initiator><ID>x</ID></Initiator><StorageClass>STANDARD</StorageClass><Initiated>2010-11-10T20:48:33.000Z</Initiated></Upload>
  <Upload><Key>my-movie.m2ts</Key><UploadId>YW55IGlkZWEgd2h5</UploadId><Initiated>2010-11-10T20:48:34.000Z</Initiated></Upload>
</ListMultipartUploadsResult>)");
    QVERIFY2(page.ok(), qPrintable(page.error().message()));
    QCOMPARE(page->uploads.size(), 2);
    QCOMPARE(page->uploads[0].key, u"my-divisor"_s);
    QCOMPARE(page->uploads[0].uploadId, u"XMgbGlrZSBlbHZpbmcncyBub3QgaGF2aW5nIG11Y2ggbHVjaw"_s);
    QCOMPARE(page->uploads[0].initiated, QDateTime(QDate(2010, 11, 10), QTime(20, 48, 33), Qt::UTC));
    QVERIFY(page->truncated);
    QCOMPARE(page->nextKeyMarker, u"my-movie.m2ts"_s);
    QCOMPARE(page->nextUploadIdMarker, u"YW55IGlkZWEgd2h5"_s);
}

void TestS3Error::malformed_data()
{
    QTest::addColumn<QByteArray>("xml");
    QTest::addColumn<QString>("messagePart");

    QTest::newRow("empty") << QByteArray() << u"empty body"_s;
    QTest::newRow("truncated") << QByteArray("<ListBucketResult><Contents><Key>a</Key>") << u"line 1"_s;
    QTest::newRow("not-xml") << QByteArray("Internal Server Error") << u"line 1"_s;
    QTest::newRow("wrong-root") << QByteArray("<ListAllMyBucketsResult/>") << u"root element <ListAllMyBucketsResult>, expected <ListBucketResult>"_s;
    QTest::newRow("mismatched-tags") << QByteArray("<ListBucketResult><Contents></Key></ListBucketResult>") << u"line 1"_s;
    QTest::newRow("contents-without-key") << QByteArray("<ListBucketResult><Contents><Size>1</Size></Contents></ListBucketResult>")
                                          << u"<Contents> without <Key>"_s;
}

void TestS3Error::malformed()
{
    QFETCH(QByteArray, xml);
    QFETCH(QString, messagePart);
    const Result<ListPage> page = S3Xml::parseListObjectsV2(xml);
    QVERIFY(!page.ok());
    QCOMPARE(page.error().kind(), ErrorKind::Server);
    QCOMPARE(page.error().code(), u"MalformedResponse"_s);
    QVERIFY2(page.error().message().startsWith(u"cannot parse the ListObjectsV2 answer: "_s), qPrintable(page.error().message()));
    QVERIFY2(page.error().message().contains(messagePart), qPrintable(page.error().message()));
    // The other parsers refuse the same input just as cleanly.
    QVERIFY(!S3Xml::parseDeleteResult(xml).ok());
    QVERIFY(!S3Xml::parseInitiateMultipartUpload(xml).ok());
    QVERIFY(!S3Xml::parseCompleteMultipartUpload(xml).ok());
    QVERIFY(!S3Xml::parseListMultipartUploads(xml).ok());
}

void TestS3Error::requestBodies()
{
    const QByteArray complete = S3Xml::completeMultipartUploadBody({{3, "c"}, {1, "\"a\""}, {2, "b"}});
    QCOMPARE(complete, QByteArray("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                                  "<CompleteMultipartUpload xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
                                  "<Part><PartNumber>1</PartNumber><ETag>&quot;a&quot;</ETag></Part>"
                                  "<Part><PartNumber>2</PartNumber><ETag>&quot;b&quot;</ETag></Part>"
                                  "<Part><PartNumber>3</PartNumber><ETag>&quot;c&quot;</ETag></Part>"
                                  "</CompleteMultipartUpload>\n"));
    const QByteArray del = S3Xml::deleteObjectsBody({u"a & <b>"_s, u"é"_s});
    QCOMPARE(del, QByteArray("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                             "<Delete xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Quiet>false</Quiet>"
                             "<Object><Key>a &amp; &lt;b&gt;</Key></Object><Object><Key>\xc3\xa9</Key></Object></Delete>\n"));
}

void TestS3Error::dates()
{
    QCOMPARE(S3Xml::parseHttpDate("Mon, 12 Oct 2009 17:50:00 GMT"), QDateTime(QDate(2009, 10, 12), QTime(17, 50), Qt::UTC));
    QCOMPARE(S3Xml::parseHttpDate("Sunday, 06-Nov-94 08:49:37 GMT"), QDateTime(QDate(1994, 11, 6), QTime(8, 49, 37), Qt::UTC));
    QCOMPARE(S3Xml::parseHttpDate("Sun Nov  6 08:49:37 1994"), QDateTime(QDate(1994, 11, 6), QTime(8, 49, 37), Qt::UTC));
    QVERIFY(!S3Xml::parseHttpDate("yesterday").isValid());
    QCOMPARE(S3Xml::stripEtag("W/\"abc\""), QByteArray("abc"));
    QCOMPARE(S3Xml::stripEtag("abc"), QByteArray("abc"));
}

QTEST_GUILESS_MAIN(TestS3Error)
#include "tst_s3error.moc"
