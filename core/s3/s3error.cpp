#include "s3error.h"

#include <QHash>
#include <QXmlStreamReader>

namespace s3cache {

namespace {

bool isAuthCode(const QString &code)
{
    return code == u"InvalidAccessKeyId" || code == u"SignatureDoesNotMatch" || code == u"ExpiredToken"
        || code == u"InvalidToken" || code == u"TokenRefreshRequired"
        || code == u"AuthorizationHeaderMalformed" || code == u"InvalidSecurity";
}

bool isNotFoundCode(const QString &code)
{
    return code == u"NoSuchBucket" || code == u"NoSuchKey" || code == u"NoSuchUpload"
        || code == u"NotFound";
}

bool isRetryableCode(const QString &code)
{
    return code == u"SlowDown" || code == u"RequestTimeout" || code == u"InternalError"
        || code == u"ServiceUnavailable" || code == u"Throttling" || code == u"ThrottlingException"
        || code == u"RequestThrottled" || code == u"TooManyRequests" || code == u"RequestLimitExceeded";
}

QString snippet(const QByteArray &body)
{
    constexpr int maxLength = 200;
    QString text = QString::fromUtf8(body.left(maxLength * 4)).simplified();
    if (text.size() > maxLength)
        text = text.left(maxLength) + QStringLiteral("...");
    return text;
}

} // namespace

std::optional<S3ErrorBody> S3ErrorParser::parseBody(const QByteArray &xml)
{
    if (xml.trimmed().isEmpty())
        return std::nullopt;
    QXmlStreamReader reader(xml);
    if (!reader.readNextStartElement())
        return std::nullopt;
    // The query protocol (STS) wraps it: <ErrorResponse><Error>...</Error><RequestId>, and
    // moto (like the EC2 query protocol) adds <Errors> around it.
    if (reader.name() == u"ErrorResponse" && !reader.readNextStartElement())
        return std::nullopt;
    if (reader.name() == u"Errors" && !reader.readNextStartElement())
        return std::nullopt;
    if (reader.name() != u"Error")
        return std::nullopt;
    S3ErrorBody body;
    while (reader.readNextStartElement()) {
        const auto name = reader.name();
        if (name == u"Code")
            body.code = reader.readElementText().trimmed();
        else if (name == u"Message")
            body.message = reader.readElementText().trimmed();
        else if (name == u"RequestId")
            body.requestId = reader.readElementText().trimmed();
        else if (name == u"Resource")
            body.resource = reader.readElementText().trimmed();
        else if (name == u"ServerTime")
            body.serverTime = reader.readElementText().trimmed();
        else
            reader.skipCurrentElement();
    }
    if (reader.hasError() || body.code.isEmpty())
        return std::nullopt;
    return body;
}

ErrorKind S3ErrorParser::kindFor(int httpStatus, const QString &code)
{
    if (isAuthCode(code))
        return ErrorKind::Auth;
    if (code == u"AccessDenied" || code == u"AllAccessDisabled" || code == u"AccountProblem")
        return ErrorKind::AccessDenied;
    if (isNotFoundCode(code))
        return ErrorKind::NotFound;
    // A replaced object (If-Match failed) is a race with another writer, not a broken server.
    if (isRetryable(httpStatus, code) || code == u"RequestTimeTooSkewed" || code == u"PreconditionFailed")
        return ErrorKind::Transient;
    if (!code.isEmpty() && code != codeForStatus(httpStatus))
        return ErrorKind::Server;
    switch (httpStatus) {
    case 401: return ErrorKind::Auth;
    case 403: return ErrorKind::AccessDenied;
    case 404: return ErrorKind::NotFound;
    default: return ErrorKind::Server;
    }
}

bool S3ErrorParser::isRetryable(int httpStatus, const QString &code)
{
    // 501 NotImplemented is the server's final word (s3rver has no ListMultipartUploads): asking
    // again only delays the answer.
    if (httpStatus == 501 || code == u"NotImplemented")
        return false;
    return httpStatus >= 500 || httpStatus == 429 || isRetryableCode(code);
}

QString S3ErrorParser::hintFor(const QString &code)
{
    static const QHash<QString, QString> hints = [] {
        const QString region = QStringLiteral("the bucket is in another region: set region to the bucket's");
        return QHash<QString, QString>{
            {QStringLiteral("SignatureDoesNotMatch"),
             QStringLiteral("the secret key does not belong to the access key id: check the secret key")},
            {QStringLiteral("InvalidAccessKeyId"), QStringLiteral("the server does not know this access key id")},
            {QStringLiteral("RequestTimeTooSkewed"),
             QStringLiteral("this machine's clock is too far from the server's: set the clock (NTP)")},
            {QStringLiteral("AuthorizationHeaderMalformed"), region},
            {QStringLiteral("PermanentRedirect"), region},
            {QStringLiteral("IllegalLocationConstraintException"), region},
            {QStringLiteral("AccessDenied"),
             QStringLiteral("the credentials are valid but not allowed to do this here: check the bucket policy and "
                            "the user's permissions")},
            {QStringLiteral("ExpiredToken"), QStringLiteral("the session token has expired: get fresh credentials")},
            {QStringLiteral("InvalidToken"), QStringLiteral("the server does not accept this session token")},
            {QStringLiteral("NoSuchBucket"), QStringLiteral("check bucket and server")},
            {QStringLiteral("ProxyError"),
             QStringLiteral("check HTTPS_PROXY/HTTP_PROXY (is the proxy running, is its port right?) or name the "
                            "server in NO_PROXY to connect directly")},
            {QStringLiteral("ProxyAuthenticationRequired"),
             QStringLiteral("the proxy wants other credentials: check the user:password@ in HTTPS_PROXY/HTTP_PROXY, "
                            "or name the server in NO_PROXY")},
            {QStringLiteral("InvalidObjectState"),
             QStringLiteral("the object is in an archive storage class (GLACIER or DEEP_ARCHIVE, perhaps moved there "
                            "by a lifecycle rule): exclude cache keys from that rule, or restore it with "
                            "RestoreObject first")},
            {QStringLiteral("InvalidStorageClass"), QStringLiteral("this server does not offer that storage_class")},
            {QStringLiteral("InvalidEncryptionAlgorithmError"), QStringLiteral("this server does not offer that sse mode")},
            {QStringLiteral("KMS.NotFoundException"),
             QStringLiteral("the KMS key of sse_kms_key_id does not exist in the bucket's region")},
            {QStringLiteral("KMS.DisabledException"), QStringLiteral("the KMS key of sse_kms_key_id is disabled")},
            {QStringLiteral("RequestEntityTooLarge"),
             QStringLiteral("a proxy or load balancer in front of the server refuses request bodies this large "
                            "(nginx: client_max_body_size, 1 MiB by default): s3cache sends 8 MiB upload parts (more "
                            "for caches over 8 GiB), so allow at least 16 MiB, or reach the server directly")},
            {QStringLiteral("TlsError"),
             QStringLiteral("is this an http:// endpoint? Then write the server as http://...; if its certificate "
                            "comes from a private CA, give ca_bundle")},
        };
    }();
    return hints.value(code);
}

QString S3ErrorParser::codeForStatus(int httpStatus)
{
    switch (httpStatus) {
    case 301: return QStringLiteral("PermanentRedirect");
    case 307: return QStringLiteral("TemporaryRedirect");
    case 400: return QStringLiteral("BadRequest");
    case 401: return QStringLiteral("Unauthorized");
    case 403: return QStringLiteral("AccessDenied");
    case 404: return QStringLiteral("NotFound");
    case 405: return QStringLiteral("MethodNotAllowed");
    case 409: return QStringLiteral("Conflict");
    case 411: return QStringLiteral("MissingContentLength");
    case 412: return QStringLiteral("PreconditionFailed");
    case 413: return QStringLiteral("RequestEntityTooLarge");
    case 416: return QStringLiteral("InvalidRange");
    case 429: return QStringLiteral("SlowDown");
    case 500: return QStringLiteral("InternalError");
    case 501: return QStringLiteral("NotImplemented");
    case 503: return QStringLiteral("ServiceUnavailable");
    default: return QStringLiteral("Http%1").arg(httpStatus);
    }
}

Error S3ErrorParser::fromResponse(int httpStatus, const QByteArray &body, const QString &context,
                                  const QString &requestIdHeader, const QString &reasonPhrase)
{
    const std::optional<S3ErrorBody> parsed = parseBody(body);
    QString code;
    QString message;
    QString requestId = requestIdHeader;
    const auto fallbackMessage = [&] {
        return reasonPhrase.isEmpty() ? QStringLiteral("HTTP %1").arg(httpStatus) : reasonPhrase;
    };
    if (parsed) {
        code = parsed->code;
        message = parsed->message;
        if (!parsed->requestId.isEmpty())
            requestId = parsed->requestId;
    } else {
        code = codeForStatus(httpStatus);
        if (httpStatus == 404)
            message = QStringLiteral("not found");
        else if (httpStatus == 403)
            message = QStringLiteral("access denied");
        else
            message = fallbackMessage();
        if (!body.trimmed().isEmpty())
            message += QStringLiteral(" (unexpected answer: %1)").arg(snippet(body));
    }
    QString hint = hintFor(code);
    if (message.isEmpty()) {
        // Shown once: as the message when there is no other.
        message = hint.isEmpty() ? fallbackMessage() : hint;
        if (message == hint)
            hint.clear();
    }
    Error error(kindFor(httpStatus, code), code, context.isEmpty() ? message : context + QStringLiteral(": ") + message);
    error.setHttpStatus(httpStatus).setRequestId(requestId).setHint(hint);
    return error;
}

} // namespace s3cache
