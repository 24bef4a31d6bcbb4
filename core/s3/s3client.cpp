#include "s3client.h"

#include "directreply.h"
#include "s3error.h"
#include "s3xml.h"

#include "util/log.h"

#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSslCertificate>

#include <algorithm>
#include <climits>

namespace s3cache {

namespace {

constexpr int pollIntervalMs = 50;
constexpr qint64 readBufferSize = 1 << 20;         // GET: bytes the reply buffers before we drain them
constexpr qsizetype maxResponseBody = 16 << 20;    // listings and error documents
constexpr qint64 headSkewThresholdMs = 5 * 60 * 1000;

int timerInterval(qint64 ms)
{
    return int(std::clamp<qint64>(ms, 0, INT_MAX));
}

// "bytes 0-9/1000" -> 1000; -1 when absent or "*".
qint64 totalFromContentRange(const QByteArray &header)
{
    const qsizetype slash = header.lastIndexOf('/');
    if (slash < 0)
        return -1;
    bool ok = false;
    const qint64 total = header.mid(slash + 1).trimmed().toLongLong(&ok);
    return ok ? total : -1;
}

} // namespace

// ---------------------------------------------------------------------------------------------
// S3Call

S3Call::S3Call(S3Client *client, S3Request request)
    : QObject(client)
    , m_client(client)
    , m_request(std::move(request))
    , m_inactivityTimer(this)
    , m_retryTimer(this)
    , m_deadlineTimer(this)
{
    m_inactivityTimer.setSingleShot(true);
    m_retryTimer.setSingleShot(true);
    m_deadlineTimer.setSingleShot(true);
    m_deadlineTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_inactivityTimer, &QTimer::timeout, this, [this] { abortReply(AbortReason::Inactivity); });
    connect(&m_retryTimer, &QTimer::timeout, this, &S3Call::startAttempt);
    connect(&m_deadlineTimer, &QTimer::timeout, this, [this] { abortReply(AbortReason::Deadline); });
    if (!m_request.deadline.isForever())
        m_deadlineTimer.start(timerInterval(m_request.deadline.remainingTime()));
}

S3Call::~S3Call()
{
    if (m_request.stream)
        m_request.stream->clearResume(this);
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        delete m_reply;
    }
}

QString S3Call::target() const
{
    if (m_request.operation == S3Operation::ServiceCall) {
        const Endpoint &endpoint = m_client->config().endpoint;
        return endpoint.scheme + QStringLiteral("://") + QString::fromLatin1(endpoint.hostHeader()) + m_request.path;
    }
    if (m_request.operation == S3Operation::ListBuckets) {
        const Endpoint service = m_client->config().endpoint.serviceEndpoint();
        return service.scheme + QStringLiteral("://") + QString::fromLatin1(service.hostHeader()) + u'/';
    }
    const QString bucket = QStringLiteral("s3://") + m_client->config().endpoint.bucket;
    return m_request.key.isEmpty() ? bucket : bucket + u'/' + m_request.key;
}

QString S3Call::context() const
{
    return m_request.operationName() + u' ' + target();
}

Error S3Call::timeoutError() const
{
    QString message = context() + QStringLiteral(": deadline exceeded");
    if (m_lastError)
        message += QStringLiteral(" (last error: %1)").arg(m_lastError.toString());
    return Error(ErrorKind::Transient, QStringLiteral("Timeout"), message);
}

void S3Call::abort()
{
    abortReply(AbortReason::Cancelled);
}

void S3Call::begin()
{
    if (m_client->m_config.endpoint.scheme == u"https") {
        if (Error e = m_client->prepareTls())
            return finish(e.withContext(context()));
    }
    if (m_request.invalid)
        return finish(m_request.invalid.withContext(m_request.operationName()));
    checkCancellation();
    if (m_finished)
        return;
    if (m_request.deadline.hasExpired())
        return finish(timeoutError());

    // The payload is signed over plain http only; TLS protects it otherwise (S3; other services
    // always want the body's hash).
    const S3ClientConfig &config = m_client->config();
    if (!m_request.credentials || m_request.credentials->isEmpty())
        m_payloadHash.clear();
    else if (config.endpoint.scheme == u"https" && m_request.service == u"s3")  // UNSIGNED-PAYLOAD is S3's only
        m_payloadHash = SigV4Signer::unsignedPayload;
    else if (!m_request.payloadHash.isEmpty())
        m_payloadHash = m_request.payloadHash;
    else
        m_payloadHash = SigV4Signer::payloadHash(m_request.body);
    if (m_request.stream) {
        // Called on the reader's thread: post the wake-up to this one (dropped if the call is gone).
        m_request.stream->setResume(this, [this] {
            QMetaObject::invokeMethod(this, &S3Call::resumeReading, Qt::QueuedConnection);
        });
    }
    startAttempt();
}

void S3Call::startAttempt()
{
    if (m_finished)
        return;
    ++m_result.attempts;
    m_status = 0;
    m_responseBody.clear();
    m_deliverBody = false;
    m_expected = -1;
    m_deliveredThisAttempt = 0;
    m_abortReason = AbortReason::None;
    m_waitingForReader = false;

    HeaderList headers;
    if (m_request.operation == S3Operation::GetObject) {
        // A resumed attempt asks only for what is still missing.
        const std::optional<ByteRange> &range = m_request.range;
        m_wantFirst = (range ? range->first : 0) + m_delivered;
        m_wantLast = range ? range->last : -1;
        if (range || m_delivered > 0) {
            QByteArray value = "bytes=" + QByteArray::number(m_wantFirst) + '-';
            if (m_wantLast >= 0)
                value += QByteArray::number(m_wantLast);
            headers.append({QByteArrayLiteral("range"), value});
        }
        const QByteArray ifMatch = m_delivered > 0 ? m_resumeEtag : m_request.ifMatch;
        if (!ifMatch.isEmpty())
            headers.append({QByteArrayLiteral("if-match"), '"' + S3Xml::stripEtag(ifMatch) + '"'});
    }

    QNetworkReply *reply = m_client->send(this, m_payloadHash, headers);
    m_reply = reply;
    connect(reply, &QNetworkReply::metaDataChanged, this, &S3Call::onMetaDataChanged);
    connect(reply, &QNetworkReply::readyRead, this, &S3Call::onReadyRead);
    connect(reply, &QNetworkReply::uploadProgress, this, &S3Call::onProgress);
    connect(reply, &QNetworkReply::downloadProgress, this, &S3Call::onProgress);
    connect(reply, &QNetworkReply::finished, this, &S3Call::onReplyFinished);
    m_attemptClock.start();
    restartInactivityTimer();
}

void S3Call::restartInactivityTimer()
{
    const int timeout = m_client->config().inactivityTimeoutMs;
    if (timeout > 0 && !m_waitingForReader)
        m_inactivityTimer.start(timeout);
}

void S3Call::checkCancellation()
{
    if (m_finished)
        return;
    const auto isSet = [](const CancellationPtr &c) { return c && c->isCancelled(); };
    if (isSet(m_request.cancellation) && m_request.cancellation->reason() == Cancellation::Reason::Deadline)
        abortReply(AbortReason::Deadline);  // the job's deadline, which its cancellation carries
    else if (isSet(m_request.cancellation) || isSet(m_request.abortFlag))
        abortReply(AbortReason::Cancelled);
}

void S3Call::onProgress()
{
    restartInactivityTimer();
    checkCancellation();
}

void S3Call::onMetaDataChanged()
{
    if (!m_reply)
        return;
    m_status = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (m_request.operation != S3Operation::GetObject || (m_status != 200 && m_status != 206)) {
        m_deliverBody = false;
        return;
    }
    m_deliverBody = true;

    // Which bytes of the object this answer carries: a 206 says so in Content-Range, a 200 is the
    // whole object (a server may ignore Range). We keep [m_wantFirst, m_wantLast] of it.
    bool ok = false;
    const qint64 length = m_reply->rawHeader("Content-Length").toLongLong(&ok);
    qint64 answerFirst = 0;
    qint64 answerLast = ok ? length - 1 : -1;
    if (m_status == 206) {
        static const QRegularExpression contentRange(QStringLiteral("^bytes (\\d+)-(\\d+)/(\\d+|\\*)$"));
        const QRegularExpressionMatch match =
            contentRange.match(QString::fromLatin1(m_reply->rawHeader("Content-Range")).trimmed());
        answerFirst = match.hasMatch() ? match.captured(1).toLongLong() : -1;
        answerLast = match.hasMatch() ? match.captured(2).toLongLong() : -1;
    }
    if (answerFirst < 0 || answerFirst > m_wantFirst) {
        m_fatalError = Error(ErrorKind::Server, QStringLiteral("InvalidRange"),
                             context() + QStringLiteral(": asked for bytes from %1, the server answered "
                                                        "Content-Range \"%2\"")
                                             .arg(QString::number(m_wantFirst),
                                                  QString::fromLatin1(m_reply->rawHeader("Content-Range"))));
        return abortReply(AbortReason::Fatal);
    }
    // Some servers (s3rver) ignore If-Match: compare the answer's ETag ourselves so a replaced
    // object is never stitched together from two versions.
    const QByteArray pinned = S3Xml::stripEtag(m_delivered > 0 ? m_resumeEtag : m_request.ifMatch);
    const QByteArray answered = S3Xml::stripEtag(m_reply->rawHeader("ETag"));
    if (!pinned.isEmpty() && !answered.isEmpty() && answered != pinned) {
        m_fatalError = Error(ErrorKind::Transient, QStringLiteral("PreconditionFailed"),
                             context() + QStringLiteral(": the object changed while it was read (ETag %1, expected %2)")
                                             .arg(QString::fromLatin1(answered), QString::fromLatin1(pinned)));
        return abortReply(AbortReason::Fatal);
    }
    m_skip = m_wantFirst - answerFirst;
    m_take = m_wantLast >= 0 ? m_wantLast - m_wantFirst + 1 : -1;
    m_expected = -1;
    if (answerLast >= 0) {
        const qint64 available = std::max<qint64>(0, answerLast - m_wantFirst + 1);
        m_expected = m_take >= 0 ? std::min(m_take, available) : available;
    }
    if (m_delivered == 0) {
        readObjectInfo(m_reply);
        m_resumeEtag = m_result.info.etag;
        if (!m_request.sink && !m_request.stream && m_expected > 0)
            m_result.body.reserve(m_expected);
    }
}

void S3Call::onReadyRead()
{
    restartInactivityTimer();
    checkCancellation();
    consumeAvailable(false);
}

void S3Call::resumeReading()
{
    m_waitingForReader = false;
    if (!m_reply)
        return;
    restartInactivityTimer();
    consumeAvailable(false);
}

void S3Call::consumeAvailable(bool replyFinished)
{
    if (!m_reply || m_abortReason != AbortReason::None || m_reply->bytesAvailable() == 0)
        return;
    // A full queue: leave the bytes to Qt, which then stops reading the socket, until the
    // reader makes room (resumeReading). The reader, not the server, is slow: no inactivity.
    // Once the reply has finished, what Qt still holds goes in whatever the queue holds.
    if (m_deliverBody && m_request.stream && !replyFinished && !m_request.stream->hasRoom()) {
        m_waitingForReader = true;
        m_inactivityTimer.stop();
        return;
    }
    QByteArray chunk = m_reply->readAll();
    if (!m_deliverBody) {
        if (m_responseBody.size() < maxResponseBody)
            m_responseBody.append(chunk);
        return;
    }
    QByteArrayView data(chunk);
    if (m_skip > 0) {
        const qint64 skipped = std::min<qint64>(m_skip, data.size());
        data = data.sliced(skipped);
        m_skip -= skipped;
    }
    if (m_take >= 0)
        data = data.first(std::min<qint64>(data.size(), m_take - m_deliveredThisAttempt));
    if (data.isEmpty())
        return;
    if (m_request.stream) {
        m_request.stream->push(data.size() == chunk.size() ? std::move(chunk) : data.toByteArray());
    } else if (QIODevice *sink = m_request.sink) {
        if (sink->write(data.data(), data.size()) != data.size()) {
            m_fatalError = Error(ErrorKind::Io, QStringLiteral("WriteFailed"),
                                 context() + QStringLiteral(": cannot write the downloaded data: %1")
                                                 .arg(sink->errorString()));
            abortReply(AbortReason::Fatal);
            return;
        }
    } else {
        m_result.body.append(data);
    }
    m_delivered += data.size();
    m_deliveredThisAttempt += data.size();
}

void S3Call::onReplyFinished()
{
    QNetworkReply *reply = m_reply;
    if (!reply)
        return;
    consumeAvailable(true);
    m_inactivityTimer.stop();
    reply->disconnect(this);
    reply->deleteLater();
    m_reply = nullptr;

    switch (m_abortReason) {
    case AbortReason::Cancelled:
        return finish(Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), context() + QStringLiteral(": cancelled")));
    case AbortReason::Deadline:
        return finish(timeoutError());
    case AbortReason::Fatal:
        return finish(m_fatalError);
    case AbortReason::Inactivity:
        return failAttempt(Error(ErrorKind::Transient, QStringLiteral("Timeout"),
                                 context() + QStringLiteral(": no data sent or received for %1 s")
                                                 .arg(m_client->config().inactivityTimeoutMs / 1000.0)),
                           true);
    case AbortReason::None:
        break;
    }

    const QNetworkReply::NetworkError networkError = reply->error();
    m_status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    // One arg() call: a key is user data and may hold "%2" (chained calls would rewrite it).
    Log::debug(QStringLiteral("%1: HTTP %2 in %3 ms (attempt %4)")
                   .arg(context(), QString::number(m_status), QString::number(m_attemptClock.elapsed()),
                        QString::number(m_result.attempts)));

    // The proxy, not the server, failed: say which proxy (masked) and how to change it. Besides
    // Qt's proxy errors: an http:// endpoint's connection goes to the proxy, so a refused or
    // unresolvable connection is the proxy's; and S3 never sends a Basic challenge, so a 401
    // with one is the proxy's answer to wrong credentials (tinyproxy's, where others send 407).
    const Endpoint &endpoint = m_client->config().endpoint;
    if (const std::optional<ProxyServer> proxy = m_client->config().proxy.proxyFor(endpoint.scheme, endpoint.host, endpoint.port)) {
        const bool auth = networkError == QNetworkReply::ProxyAuthenticationRequiredError || m_status == 407
            || (m_status == 401 && reply->rawHeader("WWW-Authenticate").trimmed().toLower().startsWith("basic")
                && reply->rawHeader("x-amz-request-id").isEmpty());
        // Qt reports a failed CONNECT tunnel as UnknownNetworkError ("Proxy connection refused",
        // "Error communicating with HTTP proxy"): before the tunnel, only the proxy can fail so.
        const bool connection = (networkError >= QNetworkReply::ProxyConnectionRefusedError
                                 && networkError <= QNetworkReply::UnknownProxyError)
            || (endpoint.scheme == u"http"
                && (networkError == QNetworkReply::ConnectionRefusedError || networkError == QNetworkReply::HostNotFoundError))
            || (endpoint.scheme == u"https" && m_status == 0 && networkError == QNetworkReply::UnknownNetworkError);
        if (auth || connection) {
            const QString code = auth ? QStringLiteral("ProxyAuthenticationRequired") : QStringLiteral("ProxyError");
            const QString what = auth ? QStringLiteral("refused the request: proxy authentication failed (HTTP %1)")
                                            .arg(m_status == 0 ? 407 : m_status)
                                      : QStringLiteral("failed: %1").arg(reply->errorString());
            Error error(auth ? ErrorKind::Auth : ErrorKind::Transient, code,
                        QStringLiteral("%1: the proxy %2 (from %3) %4").arg(context(), proxy->masked(), proxy->source, what));
            return failAttempt(error.setHint(S3ErrorParser::hintFor(code)), !auth);
        }
    }

    if (m_status == 0 || (networkError != QNetworkReply::NoError && m_status < 300)) {
        // No complete HTTP answer: connection refused/reset, TLS failure, truncated body.
        const bool tls = networkError == QNetworkReply::SslHandshakeFailedError;
        const QString code = tls ? QStringLiteral("TlsError") : QStringLiteral("NetworkError");
        Error error(tls ? ErrorKind::Auth : ErrorKind::Transient, code, context() + QStringLiteral(": ") + reply->errorString());
        return failAttempt(error.setHint(S3ErrorParser::hintFor(code)), !tls);
    }

    if (m_status >= 300) {  // redirects are not followed: they would need another signature
        Error error = S3ErrorParser::fromResponse(
            m_status, m_responseBody, context(), QString::fromLatin1(reply->rawHeader("x-amz-request-id")),
            reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString());
        const QByteArray bucketRegion = reply->rawHeader("x-amz-bucket-region");
        if (!bucketRegion.isEmpty() && bucketRegion != m_client->config().endpoint.region.toLatin1())
            error = error.withMessage(error.message() + QStringLiteral(" (the bucket is in region %1)")
                                                            .arg(QString::fromLatin1(bucketRegion)));
        if (correctClockSkew(error, reply->rawHeader("Date")))
            return startAttempt();
        if (m_request.operation == S3Operation::ServiceCall)
            m_result.body = m_responseBody;  // the service's own error document, for the caller
        return failAttempt(error, S3ErrorParser::isRetryable(m_status, error.code()));
    }

    if (m_deliverBody && m_expected >= 0 && m_deliveredThisAttempt != m_expected) {
        return failAttempt(Error(ErrorKind::Transient, QStringLiteral("IncompleteBody"),
                                 context() + QStringLiteral(": the answer ended after %1 of %2 bytes")
                                                 .arg(QString::number(m_deliveredThisAttempt), QString::number(m_expected))),
                           true);
    }

    if (Error error = takeSuccess(reply)) {
        error.setHttpStatus(m_status);
        // A 2xx answer we cannot read was most likely garbled on the way (a flaky proxy or
        // middlebox): ask again, within the usual attempt limit.
        const bool garbled = error.code() == u"MalformedResponse";
        return failAttempt(error, garbled || S3ErrorParser::isRetryable(0, error.code()));
    }
    if (m_morePages) {
        m_morePages = false;
        m_result.attempts = 0;
        return startAttempt();
    }
    finish({});
}

void S3Call::failAttempt(Error error, bool retryable)
{
    m_lastError = error;
    const S3ClientConfig &config = m_client->config();
    const int maxAttempts = std::max(1, config.retry.maxAttempts);
    // A GET that already delivered bytes can only go on from where it stopped, pinned to the
    // same object version; without an ETag that is impossible.
    if (m_request.operation == S3Operation::GetObject && m_delivered > 0 && m_resumeEtag.isEmpty())
        retryable = false;
    if (!retryable || m_result.attempts >= maxAttempts) {
        if (m_result.attempts > 1)
            error = error.withMessage(error.message() + QStringLiteral(" (after %1 attempts)").arg(m_result.attempts));
        return finish(error);
    }
    const int delay = m_client->backoffDelayMs(m_result.attempts);
    reportWarning(m_request.warnings, QStringLiteral("%1; retrying in %2 ms (attempt %3 of %4)")
                  .arg(error.toString(), QString::number(delay), QString::number(m_result.attempts + 1),
                       QString::number(maxAttempts)));
    m_retryTimer.start(delay);
}

bool S3Call::correctClockSkew(const Error &error, const QByteArray &dateHeader)
{
    if (m_skewCorrected)
        return false;
    QDateTime serverTime = S3Xml::parseHttpDate(dateHeader);
    const bool skewCode = error.code() == u"RequestTimeTooSkewed";
    // HEAD answers have no body to say why they were refused: a 403 with a far-off Date is skew.
    const bool headSkew = m_request.method == "HEAD" && m_status == 403 && serverTime.isValid()
        && std::abs(serverTime.msecsTo(m_client->now())) > headSkewThresholdMs;
    if (!skewCode && !headSkew)
        return false;
    if (!serverTime.isValid()) {
        if (const auto body = S3ErrorParser::parseBody(m_responseBody))
            serverTime = S3Xml::parseIsoDate(body->serverTime);
    }
    if (!serverTime.isValid())
        return false;
    const qint64 offset = m_client->localNow().msecsTo(serverTime);
    reportWarning(m_request.warnings, QStringLiteral("%1: the local clock is %2 s %3 the server's; signing with the server's "
                             "time and retrying")
                  .arg(context(), QString::number(std::abs(offset) / 1000.0),
                       offset > 0 ? QStringLiteral("behind") : QStringLiteral("ahead of")));
    m_client->setClockOffsetMs(offset);
    m_skewCorrected = true;
    return true;
}

void S3Call::readObjectInfo(const QNetworkReply *reply)
{
    ObjectInfo &info = m_result.info;
    info.key = m_request.key;
    bool ok = false;
    const qint64 length = reply->rawHeader("Content-Length").toLongLong(&ok);
    const qint64 total = totalFromContentRange(reply->rawHeader("Content-Range"));
    info.size = total >= 0 ? total : (ok ? length : -1);
    info.etag = S3Xml::stripEtag(reply->rawHeader("ETag"));
    info.lastModified = S3Xml::parseHttpDate(reply->rawHeader("Last-Modified"));
    info.contentType = QString::fromLatin1(reply->rawHeader("Content-Type"));
    info.metadata.clear();
    for (const auto &[name, value] : reply->rawHeaderPairs()) {
        const QByteArray lower = name.toLower();
        if (lower.startsWith("x-amz-meta-"))
            info.metadata.insert(QString::fromLatin1(lower.mid(11)), QString::fromLatin1(value));
    }
}

Error S3Call::takeSuccess(QNetworkReply *reply)
{
    const QByteArray &body = m_responseBody;
    switch (m_request.operation) {
    case S3Operation::CreateBucket:
    case S3Operation::AbortMultipartUpload:
    case S3Operation::DeleteObject:
    case S3Operation::GetObject:
        return {};
    case S3Operation::ServiceCall:
        m_result.body = body;
        return {};
    case S3Operation::HeadObject:
        readObjectInfo(reply);
        return {};
    case S3Operation::PutObject:
    case S3Operation::UploadPart:
        m_result.etag = S3Xml::stripEtag(reply->rawHeader("ETag"));
        if (m_result.etag.isEmpty())
            return Error(ErrorKind::Server, QStringLiteral("MalformedResponse"),
                         context() + QStringLiteral(": the answer has no ETag"));
        return {};
    case S3Operation::CreateMultipartUpload: {
        Result<QString> id = S3Xml::parseInitiateMultipartUpload(body);
        if (!id)
            return id.error().withContext(context());
        m_result.uploadId = *id;
        return {};
    }
    case S3Operation::CompleteMultipartUpload: {
        Result<QByteArray> etag = S3Xml::parseCompleteMultipartUpload(body);
        if (!etag)
            return etag.error().withContext(context());
        m_result.etag = *etag;
        return {};
    }
    case S3Operation::ListObjectsV2: {
        Result<ListPage> page = S3Xml::parseListObjectsV2(body);
        if (!page)
            return page.error().withContext(context());
        m_result.list = *page;
        return {};
    }
    case S3Operation::DeleteObjects: {
        Result<DeleteObjectsReply> result = S3Xml::parseDeleteResult(body);
        if (!result)
            return result.error().withContext(context());
        m_result.deleted = result->deleted;
        m_result.deleteFailures = result->failures;
        return {};
    }
    case S3Operation::ListBuckets: {
        Result<QList<BucketInfo>> buckets = S3Xml::parseListBuckets(body);
        if (!buckets)
            return buckets.error().withContext(context());
        m_result.buckets = *buckets;
        return {};
    }
    case S3Operation::ListMultipartUploads: {
        Result<MultipartUploadsPage> page = S3Xml::parseListMultipartUploads(body);
        if (!page)
            return page.error().withContext(context());
        m_result.uploads += page->uploads;
        if (page->truncated) {
            QueryItems &query = m_request.query;
            query.removeIf([](const auto &item) { return item.first == u"key-marker" || item.first == u"upload-id-marker"; });
            query.append({QStringLiteral("key-marker"), page->nextKeyMarker});
            if (!page->nextUploadIdMarker.isEmpty())
                query.append({QStringLiteral("upload-id-marker"), page->nextUploadIdMarker});
            m_morePages = true;
        }
        return {};
    }
    }
    return {};
}

void S3Call::abortReply(AbortReason reason)
{
    if (m_finished)
        return;
    if (m_reply && m_reply->isRunning()) {
        m_abortReason = reason;
        m_reply->abort();  // emits finished(): onReplyFinished() reports the reason
        return;
    }
    // Not on the wire (queued, or waiting to retry).
    switch (reason) {
    case AbortReason::Cancelled:
        return finish(Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), context() + QStringLiteral(": cancelled")));
    case AbortReason::Deadline:
        return finish(timeoutError());
    case AbortReason::Fatal:
        return finish(m_fatalError);
    case AbortReason::Inactivity:
    case AbortReason::None:
        return;
    }
}

void S3Call::finish(Error error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_inactivityTimer.stop();
    m_retryTimer.stop();
    m_deadlineTimer.stop();
    if (m_reply) {
        m_reply->disconnect(this);
        m_reply->abort();
        m_reply->deleteLater();
        m_reply = nullptr;
    }
    m_result.error = std::move(error);
    m_client->callFinished(this);
    emit finished();
}

// ---------------------------------------------------------------------------------------------
// S3Client

S3Client::S3Client(S3ClientConfig config, QObject *parent)
    : QObject(parent)
    , m_config(std::move(config))
    , m_pollTimer(this)
{
    if (!m_config.clock)
        m_config.clock = [] { return QDateTime::currentDateTimeUtc(); };
    m_objectHeaders = S3Request::objectWriteHeaders(m_config.objectOptions);
    Log::registerSecret(m_config.credentials.secretKey);
    Log::registerSecret(m_config.credentials.sessionToken);

    m_pollTimer.setInterval(pollIntervalMs);
    connect(&m_pollTimer, &QTimer::timeout, this, &S3Client::pollCancellation);
}

S3Client::~S3Client()
{
    abortAll();
}

QDateTime S3Client::localNow() const
{
    return m_config.clock().toUTC();
}

QDateTime S3Client::now() const
{
    return localNow().addMSecs(m_clockOffsetMs.load());
}

S3Call *S3Client::start(S3Request request)
{
    if (!request.credentials)
        request.credentials = m_config.credentials;
    auto *call = new S3Call(this, std::move(request));
    m_calls.append(call);
    m_queue.enqueue(call);
    if (!m_pollTimer.isActive())
        m_pollTimer.start();
    QMetaObject::invokeMethod(this, &S3Client::pump, Qt::QueuedConnection);
    return call;
}

void S3Client::abortAll()
{
    const QList<S3Call *> calls = m_calls;
    for (S3Call *call : calls)
        call->abort();
}

void S3Client::pump()
{
    while (m_running < maxConcurrentRequests && !m_queue.isEmpty()) {
        S3Call *call = m_queue.dequeue();
        ++m_running;
        call->begin();
    }
}

void S3Client::callFinished(S3Call *call)
{
    m_calls.removeOne(call);
    if (!m_queue.removeOne(call))  // it had been started
        --m_running;
    if (m_calls.isEmpty())
        m_pollTimer.stop();
    QMetaObject::invokeMethod(this, &S3Client::pump, Qt::QueuedConnection);
}

void S3Client::pollCancellation()
{
    const QList<S3Call *> calls = m_calls;
    for (S3Call *call : calls)
        call->checkCancellation();
}

int S3Client::backoffDelayMs(int attempt) const
{
    const RetryPolicy &policy = m_config.retry;
    const qint64 base = std::max(1, policy.baseDelayMs);
    const qint64 cap = std::min<qint64>(std::max(1, policy.maxDelayMs), base << std::clamp(attempt - 1, 0, 30));
    return int(QRandomGenerator::global()->bounded(cap + 1));  // full jitter: uniform in [0, cap]
}

QNetworkRequest S3Client::buildRequest(const S3Request &request, const QByteArray &payloadHash,
                                       const HeaderList &extraHeaders) const
{
    const Endpoint endpoint = request.operation == S3Operation::ListBuckets ? m_config.endpoint.serviceEndpoint()
                                                                            : m_config.endpoint;
    const QString path = request.operation == S3Operation::ServiceCall ? request.path : endpoint.requestPath(request.key);
    QByteArray url = endpoint.scheme.toLatin1() + "://" + endpoint.hostHeader() + SigV4Signer::canonicalUri(path);
    const QByteArray query = SigV4Signer::urlQueryString(request.query);
    if (!query.isEmpty())
        url += '?' + query;

    HeaderList headers;
    headers.append({QByteArrayLiteral("host"), endpoint.hostHeader()});
    headers += request.headers;
    if (request.createsObject())
        headers += m_objectHeaders;
    headers += extraHeaders;
    const Credentials &credentials = request.credentials ? *request.credentials : m_config.credentials;
    if (!credentials.isEmpty()) {
        SigV4Signer::Request signing{request.method, path, request.query, headers, payloadHash};
        SigV4Signer::sign(&signing, credentials, endpoint.region, now(), request.service);
        headers = signing.headers;
    }

    QNetworkRequest networkRequest(QUrl::fromEncoded(url, QUrl::StrictMode));
    for (const auto &[name, value] : headers) {
        if (name != "host")  // Qt sends the same value itself (checked by the tests)
            networkRequest.setRawHeader(name, value);
    }
    // Never let Qt decompress: object bytes must arrive exactly as stored.
    networkRequest.setRawHeader("Accept-Encoding", "identity");
    networkRequest.setHeader(QNetworkRequest::UserAgentHeader, QByteArray("s3cache/" S3CACHE_VERSION));
    networkRequest.setAttribute(QNetworkRequest::RedirectPolicyAttribute, QNetworkRequest::ManualRedirectPolicy);
    networkRequest.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    networkRequest.setAttribute(QNetworkRequest::CacheLoadControlAttribute, QNetworkRequest::AlwaysNetwork);
    networkRequest.setAttribute(QNetworkRequest::CacheSaveControlAttribute, false);
    if (endpoint.scheme == u"https") {
        Q_ASSERT(m_sslConfiguration);  // S3Call::begin() prepared it
        if (m_sslConfiguration)
            networkRequest.setSslConfiguration(*m_sslConfiguration);
    }
    return networkRequest;
}

// The TLS settings, built for the first call to an https endpoint: parsing a CA bundle (the
// system's, often named by AWS_CA_BUNDLE, holds ~140 certificates: ~50 ms) is wasted on plain http.
Error S3Client::prepareTls()
{
    if (m_sslConfiguration || m_tlsError)
        return m_tlsError;
    QSslConfiguration ssl = QSslConfiguration::defaultConfiguration();
    ssl.setPeerVerifyMode(QSslSocket::VerifyPeer);
    if (!m_config.caBundlePath.isEmpty()) {
        QFile file(m_config.caBundlePath);
        QList<QSslCertificate> certificates;
        if (file.open(QIODevice::ReadOnly))
            certificates = QSslCertificate::fromData(file.readAll(), QSsl::Pem);
        if (certificates.isEmpty()) {
            m_tlsError = Error(ErrorKind::InvalidInput, QStringLiteral("InvalidCaBundle"),
                               QStringLiteral("CA bundle %1: %2")
                                   .arg(m_config.caBundlePath, file.error() != QFile::NoError
                                                                   ? file.errorString()
                                                                   : QStringLiteral("no PEM certificate in it")));
            return m_tlsError;
        }
        ssl.addCaCertificates(certificates);
    }
    m_sslConfiguration = ssl;
    return {};
}

// Object data over plain http with no proxy skips Qt's HTTP thread (directreply.h).
bool S3Client::sendsDirectly(const S3Request &request) const
{
    const bool objectData = request.method == "GET" ? request.operation == S3Operation::GetObject
                                                    : request.operation == S3Operation::PutObject
                                                          || request.operation == S3Operation::UploadPart;
    return objectData && m_config.objectDataDirect();
}

QNetworkReply *S3Client::send(S3Call *call, const QByteArray &payloadHash, const HeaderList &extraHeaders)
{
    if (!m_network) {
        m_network = new QNetworkAccessManager(this);
        m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
        // Our own proxy rules (proxy.h), never Qt's system lookup: Debian's Qt asks libproxy,
        // which never proxies loopback and reads other settings than curl and the AWS CLI.
        m_network->setProxyFactory(new EnvironmentProxyFactory(m_config.proxy));
        m_directConnections = new DirectConnectionPool(this);
    }
    const S3Request &request = call->request();
    const QNetworkRequest networkRequest = buildRequest(request, payloadHash, extraHeaders);
    QNetworkReply *reply;
    if (sendsDirectly(request))
        reply = new DirectReply(m_directConnections, networkRequest, request.method, m_config.endpoint.hostHeader(),
                                request.body, this);
    else if (request.method == "HEAD")
        reply = m_network->head(networkRequest);
    else if (request.method == "GET")
        reply = m_network->get(networkRequest);
    else if (request.method == "DELETE" && request.body.isEmpty())
        reply = m_network->deleteResource(networkRequest);
    else
        reply = m_network->sendCustomRequest(networkRequest, request.method, request.body);
    if (request.operation == S3Operation::GetObject)
        reply->setReadBufferSize(readBufferSize);
    return reply;
}

} // namespace s3cache
