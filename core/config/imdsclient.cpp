#include "imdsclient.h"

#include "util/log.h"

#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QUrl>

#include <algorithm>

namespace s3cache {

namespace {

constexpr qsizetype maxResponseBytes = 64 * 1024;
const QByteArray tokenHeader = QByteArrayLiteral("X-aws-ec2-metadata-token");
const QByteArray tokenTtlHeader = QByteArrayLiteral("X-aws-ec2-metadata-token-ttl-seconds");
const QString credentialsPath = QStringLiteral("/latest/meta-data/iam/security-credentials/");

struct HttpReply
{
    int status = 0;
    QByteArray body;
};

Error unreachable(const QString &message)
{
    return Error(ErrorKind::Transient, QStringLiteral("ImdsUnreachable"), message);
}

Error malformed(const QString &message)
{
    return Error(ErrorKind::Server, QStringLiteral("ImdsMalformedResponse"), message);
}

// Decodes a "Transfer-Encoding: chunked" body; false when it is truncated or malformed.
bool dechunk(const QByteArray &chunked, QByteArray *body)
{
    qsizetype pos = 0;
    for (;;) {
        const qsizetype lineEnd = chunked.indexOf("\r\n", pos);
        if (lineEnd < 0)
            return false;
        bool ok = false;
        const qsizetype size = chunked.mid(pos, lineEnd - pos).split(';').constFirst().trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0 || lineEnd + 2 + size > chunked.size())
            return false;
        if (size == 0)
            return true;
        body->append(chunked.mid(lineEnd + 2, size));
        pos = lineEnd + 2 + size + 2;
    }
}

class MetadataHttp
{
public:
    MetadataHttp(const QUrl &base, const ImdsOptions &options)
        : m_base(base), m_options(options), m_deadline(options.totalTimeoutMs)
    {
    }

    // One request on a fresh connection ("Connection: close"); the reply is complete when its
    // Content-Length is reached or the server closes the connection.
    // `answerTimeoutMs` > 0: no answer within it (once connected) fails with code ImdsNoAnswer.
    Result<HttpReply> request(const QByteArray &method, const QString &path,
                              const QList<std::pair<QByteArray, QByteArray>> &headers, int answerTimeoutMs = 0)
    {
        const QString url = m_base.toString(QUrl::RemovePath) + path;
        QTcpSocket socket;
        socket.connectToHost(m_base.host(), quint16(m_base.port(80)));
        if (!socket.waitForConnected(int(std::min<qint64>(m_options.connectTimeoutMs, m_deadline.remainingTime()))))
            return unreachable(QStringLiteral("cannot connect to %1: %2").arg(url, socket.errorString()));

        QByteArray host = m_base.host().contains(u':') ? '[' + m_base.host().toUtf8() + ']' : m_base.host().toUtf8();
        if (m_base.port() != -1)
            host += ':' + QByteArray::number(m_base.port());
        QByteArray text = method + ' ' + QUrl(path).toEncoded() + " HTTP/1.1\r\nHost: " + host
                        + "\r\nConnection: close\r\nContent-Length: 0\r\n";
        for (const auto &[name, value] : headers)
            text += name + ": " + value + "\r\n";
        text += "\r\n";
        socket.write(text);
        const QDeadlineTimer answerDeadline = answerTimeoutMs > 0 ? QDeadlineTimer(answerTimeoutMs) : m_deadline;
        const QDeadlineTimer &deadline = answerDeadline < m_deadline ? answerDeadline : m_deadline;

        QByteArray data;
        qsizetype headerEnd = -1;
        qint64 contentLength = -1;
        bool closed = false;
        for (;;) {
            data += socket.readAll();
            if (data.size() > maxResponseBytes)
                return malformed(QStringLiteral("%1: response larger than %2 bytes").arg(url, QString::number(maxResponseBytes)));
            if (headerEnd < 0 && (headerEnd = data.indexOf("\r\n\r\n")) >= 0) {
                for (const QByteArray &line : data.left(headerEnd).split('\n')) {
                    if (line.toLower().startsWith("content-length:"))
                        contentLength = line.mid(15).trimmed().toLongLong();
                }
            }
            if (headerEnd >= 0 && contentLength >= 0 && data.size() - headerEnd - 4 >= contentLength)
                break;
            if (closed || socket.state() != QAbstractSocket::ConnectedState)
                break;
            if (!socket.waitForReadyRead(int(deadline.remainingTime()))) {
                if (socket.error() == QAbstractSocket::RemoteHostClosedError) {
                    closed = true;  // take what arrived with the close, then stop
                    continue;
                }
                if (data.isEmpty() && answerTimeoutMs > 0 && deadline.hasExpired())
                    return Error(ErrorKind::Transient, QStringLiteral("ImdsNoAnswer"),
                                 QStringLiteral("%1: no answer within %2 ms").arg(url, QString::number(answerTimeoutMs)));
                return unreachable(QStringLiteral("%1: %2").arg(url, m_deadline.hasExpired()
                                       ? QStringLiteral("no answer within %1 ms").arg(m_options.totalTimeoutMs)
                                       : socket.errorString()));
            }
        }
        if (headerEnd < 0)
            return malformed(QStringLiteral("%1: incomplete HTTP response").arg(url));

        const QList<QByteArray> headerLines = data.left(headerEnd).split('\n');
        const QList<QByteArray> statusLine = headerLines.constFirst().trimmed().split(' ');
        HttpReply reply;
        bool ok = false;
        reply.status = statusLine.size() >= 2 && statusLine[0].startsWith("HTTP/") ? statusLine[1].toInt(&ok) : 0;
        if (!ok)
            return malformed(QStringLiteral("%1: not an HTTP response").arg(url));
        QByteArray body = data.mid(headerEnd + 4);
        const bool chunked = std::any_of(headerLines.begin(), headerLines.end(), [](const QByteArray &line) {
            return line.toLower().startsWith("transfer-encoding:") && line.toLower().contains("chunked");
        });
        if (chunked) {
            if (!dechunk(body, &reply.body))
                return malformed(QStringLiteral("%1: truncated chunked response").arg(url));
        } else if (contentLength >= 0) {
            if (body.size() < contentLength)
                return malformed(QStringLiteral("%1: response body truncated").arg(url));
            reply.body = body.left(contentLength);
        } else {
            reply.body = body;
        }
        return reply;
    }

private:
    QUrl m_base;
    ImdsOptions m_options;
    QDeadlineTimer m_deadline;
};

} // namespace

Result<Credentials> fetchImdsCredentials(const ImdsOptions &options)
{
    const QUrl base(options.endpoint, QUrl::StrictMode);
    if (!base.isValid() || base.scheme() != u"http" || base.host().isEmpty())
        return Error(ErrorKind::InvalidInput, QStringLiteral("ImdsEndpoint"),
                     QStringLiteral("instance metadata endpoint '%1' is not an http://host[:port] URL").arg(options.endpoint));
    MetadataHttp http(base, options);

    const Result<HttpReply> token = http.request("PUT", QStringLiteral("/latest/api/token"), {{tokenTtlHeader, "21600"}},
                                                 options.tokenTimeoutMs);
    QString v1Reason;  // not empty: IMDSv1, and why
    if (!token.ok() && token.error().code() == u"ImdsNoAnswer") {
        v1Reason = QStringLiteral("IMDSv2 token request got no answer within %1 ms").arg(options.tokenTimeoutMs);
    } else if (!token.ok() && token.error().kind() == ErrorKind::Transient) {
        Log::debug(QStringLiteral("no instance metadata service: %1").arg(token.error().message()));
        return Credentials();
    } else if (!token.ok()) {
        return token.error();
    } else if (token->status == 403 || token->status == 404 || token->status == 405) {
        v1Reason = QStringLiteral("IMDSv2 token request answered HTTP %1").arg(token->status);
    } else if (token->status != 200 || token->body.trimmed().isEmpty()) {
        Log::debug(QStringLiteral("instance metadata service at %1 issued no IMDSv2 token (HTTP %2)")
                       .arg(options.endpoint, QString::number(token->status)));
        return Credentials();
    }
    if (!v1Reason.isEmpty() && options.v1Disabled) {
        Log::debug(QStringLiteral("instance metadata at %1: %2, and AWS_EC2_METADATA_V1_DISABLED forbids IMDSv1")
                       .arg(options.endpoint, v1Reason));
        return Credentials();
    }
    const QByteArray sessionToken = v1Reason.isEmpty() ? token->body.trimmed() : QByteArray();
    Log::registerSecret(QString::fromLatin1(sessionToken));
    QList<std::pair<QByteArray, QByteArray>> tokenHeaders;
    if (!sessionToken.isEmpty())
        tokenHeaders.append({tokenHeader, sessionToken});

    const Result<HttpReply> roles = http.request("GET", credentialsPath, tokenHeaders);
    if (!roles.ok() && !v1Reason.isEmpty() && roles.error().kind() == ErrorKind::Transient) {
        Log::debug(QStringLiteral("instance metadata: %1, and IMDSv1 got nothing either: %2")
                       .arg(v1Reason, roles.error().message()));
        return Credentials();
    }
    if (!roles.ok())
        return roles.error().withContext(QStringLiteral("instance metadata: listing the IAM role"));
    if (roles->status == 404) {
        Log::debug(QStringLiteral("instance metadata: no IAM role attached to this instance"));
        return Credentials();
    }
    if (roles->status != 200)
        return Error(ErrorKind::Server, QStringLiteral("ImdsError"),
                     QStringLiteral("instance metadata: listing the IAM role answered HTTP %1").arg(roles->status))
            .setHttpStatus(roles->status);
    const QString role = QString::fromUtf8(roles->body).split(u'\n', Qt::SkipEmptyParts).value(0).trimmed();
    if (role.isEmpty())
        return Credentials();
    if (role.contains(u'/'))
        return malformed(QStringLiteral("instance metadata: role name '%1' contains '/'").arg(role));

    const Result<HttpReply> reply = http.request("GET", credentialsPath + role, tokenHeaders);
    if (!reply.ok())
        return reply.error().withContext(QStringLiteral("instance metadata: credentials of role %1").arg(role));
    if (reply->status != 200)
        return Error(ErrorKind::Server, QStringLiteral("ImdsError"),
                     QStringLiteral("instance metadata: credentials of role %1 answered HTTP %2").arg(role, QString::number(reply->status)))
            .setHttpStatus(reply->status);
    const QJsonDocument doc = QJsonDocument::fromJson(reply->body);
    const QJsonObject json = doc.object();
    if (!doc.isObject())
        return malformed(QStringLiteral("instance metadata: credentials of role %1 are not a JSON object").arg(role));
    const QString code = json.value(QLatin1String("Code")).toString();
    if (!code.isEmpty() && code != u"Success")
        return Error(ErrorKind::Auth, QStringLiteral("ImdsError"),
                     QStringLiteral("instance metadata: credentials of role %1 not available (Code %2)").arg(role, code));
    Credentials credentials;
    credentials.accessKey = json.value(QLatin1String("AccessKeyId")).toString();
    credentials.secretKey = json.value(QLatin1String("SecretAccessKey")).toString();
    credentials.sessionToken = json.value(QLatin1String("Token")).toString();
    Log::registerSecret(credentials.secretKey);
    Log::registerSecret(credentials.sessionToken);
    if (credentials.accessKey.isEmpty() || credentials.secretKey.isEmpty())
        return malformed(QStringLiteral("instance metadata: credentials of role %1 lack AccessKeyId or "
                                        "SecretAccessKey").arg(role));
    const QString expiration = json.value(QLatin1String("Expiration")).toString();
    credentials.expiration = QDateTime::fromString(expiration, Qt::ISODateWithMs).toUTC();
    if (!expiration.isEmpty() && !credentials.expiration.isValid())
        return malformed(QStringLiteral("instance metadata: credentials of role %1 have an Expiration that is not an "
                                        "ISO 8601 time").arg(role));
    if (v1Reason.isEmpty()) {
        credentials.source = QStringLiteral("IMDSv2 role %1").arg(role);
    } else {
        credentials.source = QStringLiteral("IMDSv1 role %1 (%2)").arg(role, v1Reason);
        Log::warn(QStringLiteral("instance metadata: %1; used IMDSv1 (set AWS_EC2_METADATA_V1_DISABLED=true to forbid it, "
                                 "or raise the instance's metadata hop limit to 2 for containers)").arg(v1Reason));
    }
    return credentials;
}

} // namespace s3cache
