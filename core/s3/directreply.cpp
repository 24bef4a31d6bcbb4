#include "directreply.h"

#include <QNetworkProxy>
#include <QTcpSocket>

#include <optional>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

namespace s3cache {

namespace {

constexpr qsizetype maxAnswerHead = 64 << 10;  // the answer's headers; also a chunk-size or trailer line
constexpr qsizetype maxUnread = 1 << 20;       // what takeUnread() rescues of an answer (an error document)

// Where the header block of `in` ends (after its empty line) and how long that empty line's
// ending is; -1 while incomplete. Lines end with CRLF, or a bare LF as Qt also accepts.
qsizetype headerBlockEnd(const QByteArray &in, qsizetype *endLength)
{
    for (qsizetype i = in.indexOf('\n'); i >= 0; i = in.indexOf('\n', i + 1)) {
        if (i + 1 < in.size() && in.at(i + 1) == '\n') {
            *endLength = 2;
            return i;
        }
        if (i + 2 < in.size() && in.at(i + 1) == '\r' && in.at(i + 2) == '\n') {
            *endLength = 3;
            return i;
        }
    }
    return -1;
}

// The first line of `in` without its CRLF or LF, removed from `in`; nullopt while incomplete.
std::optional<QByteArray> takeLine(QByteArray &in)
{
    const qsizetype end = in.indexOf('\n');
    if (end < 0)
        return std::nullopt;
    QByteArray line = in.first(end);
    in.remove(0, end + 1);
    if (line.endsWith('\r'))
        line.chop(1);
    return line;
}

// The error Qt's HTTP reply sets for an error answer; S3Call reads the status itself, so only
// "not NoError" matters to it.
QNetworkReply::NetworkError errorForStatus(int status)
{
    switch (status) {
    case 401: return QNetworkReply::AuthenticationRequiredError;
    case 403: return QNetworkReply::ContentAccessDenied;
    case 404: return QNetworkReply::ContentNotFoundError;
    case 405: return QNetworkReply::ContentOperationNotPermittedError;
    case 409: return QNetworkReply::ContentConflictError;
    case 500: return QNetworkReply::InternalServerError;
    case 501: return QNetworkReply::OperationNotImplementedError;
    case 503: return QNetworkReply::ServiceUnavailableError;
    default: return status >= 500 ? QNetworkReply::UnknownServerError : QNetworkReply::UnknownContentError;
    }
}

// A closed connection is not an error here: DirectReply::readSocket() decides what it means.
QNetworkReply::NetworkError errorForSocket(QAbstractSocket::SocketError error)
{
    switch (error) {
    case QAbstractSocket::ConnectionRefusedError: return QNetworkReply::ConnectionRefusedError;
    case QAbstractSocket::HostNotFoundError: return QNetworkReply::HostNotFoundError;
    case QAbstractSocket::SocketTimeoutError: return QNetworkReply::TimeoutError;
    default: return QNetworkReply::UnknownNetworkError;
    }
}

// Closes and deletes a socket that may be inside one of its own signals, and whose owner (a
// reply) may be deleted by a slot before the event loop runs again.
void discard(QTcpSocket *socket)
{
    socket->disconnect();
    socket->abort();
    socket->setParent(nullptr);
    socket->deleteLater();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// DirectConnectionPool

QTcpSocket *DirectConnectionPool::take(const QString &host, quint16 port)
{
    for (qsizetype i = m_idle.size() - 1; i >= 0; --i) {  // the most recently used first
        const Idle idle = m_idle[i];
        if (idle.host != host || idle.port != port)
            continue;
        m_idle.removeAt(i);
        idle.socket->disconnect(this);
        if (!idle.expiry.hasExpired() && idle.socket->state() == QAbstractSocket::ConnectedState
            && idle.socket->bytesAvailable() == 0)
            return idle.socket;
        discard(idle.socket);
    }
    return nullptr;
}

void DirectConnectionPool::dropAll(const QString &host, quint16 port)
{
    while (QTcpSocket *socket = take(host, port))
        discard(socket);
}

void DirectConnectionPool::giveBack(QTcpSocket *socket, const QString &host, quint16 port)
{
    socket->setParent(this);
    // An idle connection has nothing to say: anything it does (the server closing it, stray
    // bytes) makes it unusable.
    connect(socket, &QTcpSocket::disconnected, this, [this, socket] { drop(socket); });
    connect(socket, &QTcpSocket::readyRead, this, [this, socket] { drop(socket); });
    connect(socket, &QTcpSocket::errorOccurred, this, [this, socket] { drop(socket); });
    if (m_idle.size() >= maxIdle)
        drop(m_idle.first().socket);
    m_idle.append({host, port, socket, QDeadlineTimer(m_maxIdleMs)});
}

void DirectConnectionPool::drop(QTcpSocket *socket)
{
    const auto it = std::find_if(m_idle.begin(), m_idle.end(), [socket](const Idle &idle) { return idle.socket == socket; });
    if (it == m_idle.end())
        return;
    m_idle.erase(it);
    discard(socket);
}

// ---------------------------------------------------------------------------------------------
// DirectReply

DirectReply::DirectReply(DirectConnectionPool *pool, const QNetworkRequest &request, const QByteArray &method,
                         const QByteArray &hostHeader, const QByteArray &body, QObject *parent)
    : QNetworkReply(parent), m_pool(pool), m_body(body)
{
    setRequest(request);
    setUrl(request.url());
    setOperation(QNetworkAccessManager::CustomOperation);
    open(QIODevice::ReadOnly | QIODevice::Unbuffered);

    const QUrl url = request.url();
    m_host = url.host();
    m_port = quint16(url.port(80));
    // The request target exactly as Qt's HTTP stack writes it (QHttpNetworkRequest::uri), so
    // both paths send the same bytes for the same key.
    QUrl::FormattingOptions format = QUrl::RemoveFragment | QUrl::RemoveUserInfo | QUrl::FullyEncoded
        | QUrl::RemoveScheme | QUrl::RemoveAuthority;
    QUrl target = url;
    if (target.path().isEmpty())
        target.setPath(QStringLiteral("/"));
    else
        format |= QUrl::NormalizePathSegments;
    m_requestHead = method + ' ' + target.toEncoded(format) + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n";
    for (const QByteArray &name : request.rawHeaderList())
        m_requestHead += name + ": " + request.rawHeader(name) + "\r\n";
    if (method != "GET")
        m_requestHead += "Content-Length: " + QByteArray::number(m_body.size()) + "\r\n";
    m_requestHead += "\r\n";

    // Never from the constructor: the caller connects to the signals first.
    QMetaObject::invokeMethod(this, &DirectReply::openConnection, Qt::QueuedConnection);
}

DirectReply::~DirectReply()
{
    releaseSocket(false);
}

void DirectReply::openConnection()
{
    if (m_done)
        return;
    m_socket = m_pool && !m_resent ? m_pool->take(m_host, m_port) : nullptr;
    m_reused = m_socket != nullptr;
    if (!m_socket) {
        m_socket = new QTcpSocket(this);
        m_socket->setProxy(QNetworkProxy::NoProxy);  // S3Client chose this path because no proxy applies
    }
    m_socket->setParent(this);
    // Bytes past this stay in the kernel until the reader catches up (0: no bound, as for uploads).
    m_socket->setReadBufferSize(readBufferSize() > 0 ? socketBuffer : 0);
    connect(m_socket, &QTcpSocket::bytesWritten, this, &DirectReply::onBytesWritten);
    connect(m_socket, &QTcpSocket::readyRead, this, &DirectReply::readSocket);
    connect(m_socket, &QTcpSocket::disconnected, this, &DirectReply::onClosed);
    connect(m_socket, &QTcpSocket::errorOccurred, this, &DirectReply::onSocketError);
    if (m_reused) {
        sendRequest();
        return;
    }
    connect(m_socket, &QTcpSocket::connected, this, &DirectReply::sendRequest);
    m_socket->connectToHost(m_host, m_port);
}

void DirectReply::sendRequest()
{
    if (!m_reused)  // as Qt's stack: the body's last segment must not wait for an ACK (Nagle)
        m_socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket->write(m_requestHead);
    if (!m_body.isEmpty()) {
        // A second descriptor of the connection, for takeUnread(): on a write the server reset,
        // Qt closes its own before it reports the error.
        m_spareFd = ::fcntl(int(m_socket->socketDescriptor()), F_DUPFD_CLOEXEC, 0);
        m_socket->write(m_body);  // a QByteArray: the socket's buffer shares it
    }
}

void DirectReply::onBytesWritten(qint64 bytes)
{
    m_sent += bytes;
    emit uploadProgress(std::max<qint64>(0, m_sent - m_requestHead.size()), m_body.size());
}

void DirectReply::readSocket()
{
    const QPointer<DirectReply> alive(this);
    while (!m_done && m_socket) {
        qint64 room = m_socket->bytesAvailable() + m_unread.size();
        if (const qint64 limit = readBufferSize(); limit > 0) {
            const qint64 waiting = m_answer.size() - m_answerOffset;
            m_readerBehind = waiting >= limit;
            if (m_readerBehind)
                return;  // readData() calls again once the reader has taken some
            room = std::min(room, limit - waiting);
        }
        QByteArray data = takeArrived(room);
        if (data.isEmpty())
            break;
        m_answerStarted = true;
        if (m_in.isEmpty())
            m_in = std::move(data);
        else
            m_in += data;
        while (m_stage == Stage::Headers ? parseHead() : parseBody()) {
        }
        if (!alive)
            return;
    }
    if (m_done || !m_socket || !m_peerClosed)
        return;
    // The server closed the connection and the socket holds nothing more.
    if (m_stage == Stage::Body && m_remaining < 0)
        return complete();  // an answer that ends with the connection
    if (!m_answerStarted && m_reused && !m_resent) {
        // The server had closed the pooled connection: send again on a new one.
        releaseSocket(false);
        m_resent = true;
        m_peerClosed = false;
        m_sent = 0;
        m_in.clear();
        m_unread.clear();
        return openConnection();
    }
    fail(RemoteHostClosedError, m_answerStarted ? tr("the server closed the connection in the middle of its answer")
                                                : tr("the server closed the connection before it answered"));
}

void DirectReply::onClosed()
{
    m_peerClosed = true;
    readSocket();
}

void DirectReply::onSocketError()
{
    if (m_done || !m_socket)
        return;
    const QAbstractSocket::SocketError error = m_socket->error();
    if (error == QAbstractSocket::RemoteHostClosedError) {
        // Qt aborts the socket right after a write fails, and what the kernel still holds for it
        // is lost. A server that answers before it has taken the body (S3's 403 for an upload it
        // refuses, a proxy's 413) and closes resets the connection: its answer is there, and it
        // says why. Take it first.
        takeUnread();
        return onClosed();
    }
    fail(errorForSocket(error), m_socket->errorString());
}

void DirectReply::takeUnread()
{
    char buffer[16 << 10];
    while (m_spareFd >= 0 && m_unread.size() < maxUnread) {
        const ssize_t n = ::recv(m_spareFd, buffer, sizeof buffer, MSG_DONTWAIT);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;  // nothing more (EAGAIN), the end, or the reset itself
        m_unread.append(buffer, n);
    }
}

QByteArray DirectReply::takeArrived(qint64 maxSize)
{
    if (m_socket->bytesAvailable() > 0)
        return m_socket->read(maxSize);
    QByteArray data = m_unread.first(std::min<qsizetype>(maxSize, m_unread.size()));
    m_unread.remove(0, data.size());
    return data;
}

bool DirectReply::parseHead()
{
    qsizetype blank = 0;  // empty lines before the status line (after a previous answer's body)
    while (blank < m_in.size() && (m_in.at(blank) == '\r' || m_in.at(blank) == '\n'))
        ++blank;
    m_in.remove(0, blank);
    qsizetype endLength = 0;
    const qsizetype end = headerBlockEnd(m_in, &endLength);
    if (end < 0) {
        if (m_in.size() > maxAnswerHead)
            fail(ProtocolFailure, tr("the answer's headers are longer than %1 KiB").arg(maxAnswerHead >> 10));
        return false;
    }
    const QList<QByteArray> lines = m_in.first(end).split('\n');
    m_in.remove(0, end + endLength);

    // "HTTP/1.1 200 OK"
    const QByteArray statusLine = lines.first().trimmed();
    const qsizetype space = statusLine.indexOf(' ');
    bool ok = false;
    const int status = space > 0 ? statusLine.mid(space + 1, 3).toInt(&ok) : 0;
    if (!statusLine.startsWith("HTTP/1.") || !ok || status < 100) {
        fail(ProtocolFailure, tr("the server's answer is not HTTP: \"%1\"")
                                  .arg(QString::fromLatin1(statusLine.left(80))));
        return false;
    }
    if (status < 200)
        return true;  // 100 Continue and the like: the real answer follows
    m_status = status;
    const bool http10 = statusLine.startsWith("HTTP/1.0");

    QList<QPair<QByteArray, QByteArray>> headers;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = lines[i].first(colon).trimmed();
        const QByteArray value = lines[i].mid(colon + 1).trimmed();
        const auto same = std::find_if(headers.begin(), headers.end(),
                                       [&](const auto &h) { return h.first.compare(name, Qt::CaseInsensitive) == 0; });
        if (same != headers.end())
            same->second += ", " + value;
        else
            headers.append({name, value});
    }
    QByteArray connection;
    QByteArray transferEncoding;
    qint64 contentLength = -1;
    for (const auto &[name, value] : headers) {
        setRawHeader(name, value);
        const QByteArray lower = name.toLower();
        if (lower == "connection") {
            connection = value.toLower();
        } else if (lower == "transfer-encoding") {
            transferEncoding = value.toLower();
        } else if (lower == "content-length") {
            contentLength = value.toLongLong(&ok);
            if (!ok || contentLength < 0)
                contentLength = -1;
        }
    }
    m_keepAlive = http10 ? connection.contains("keep-alive") : !connection.contains("close");
    setAttribute(QNetworkRequest::HttpStatusCodeAttribute, m_status);
    setAttribute(QNetworkRequest::HttpReasonPhraseAttribute,
                 space > 0 ? QString::fromLatin1(statusLine.mid(space + 5)) : QString());

    if (transferEncoding.contains("chunked")) {
        m_stage = Stage::ChunkSize;
    } else if (m_status == 204 || m_status == 304 || contentLength == 0) {
        m_stage = Stage::Done;
    } else {
        m_stage = Stage::Body;
        m_remaining = contentLength;
        if (contentLength < 0)
            m_keepAlive = false;  // the body ends with the connection
    }
    const QPointer<DirectReply> alive(this);
    emit metaDataChanged();
    if (!alive || m_done)
        return false;
    if (m_stage == Stage::Done) {
        complete();
        return false;
    }
    return true;
}

bool DirectReply::parseBody()
{
    switch (m_stage) {
    case Stage::Body:
    case Stage::ChunkData: {
        if (m_in.isEmpty())
            return false;
        const qsizetype take = m_remaining < 0 ? m_in.size() : qsizetype(std::min<qint64>(m_remaining, m_in.size()));
        QByteArray data;
        if (take == m_in.size()) {
            data = std::exchange(m_in, {});  // the common case: no copy
        } else {
            data = m_in.first(take);
            m_in.remove(0, take);
        }
        if (m_remaining > 0)
            m_remaining -= take;
        const bool ended = m_remaining == 0;
        if (ended && m_stage == Stage::ChunkData)
            m_stage = Stage::ChunkEnd;  // before the reader runs
        if (!appendAnswer(std::move(data)))
            return false;
        if (ended && m_stage == Stage::Body) {
            complete();
            return false;
        }
        return ended || !m_in.isEmpty();
    }
    case Stage::ChunkEnd: {
        const std::optional<QByteArray> line = takeLine(m_in);
        if (!line)
            return tooLongLine();
        if (!line->isEmpty()) {
            fail(ProtocolFailure, tr("a chunk of the server's answer does not end with CRLF"));
            return false;
        }
        m_stage = Stage::ChunkSize;
        return true;
    }
    case Stage::ChunkSize: {
        std::optional<QByteArray> line = takeLine(m_in);
        if (!line)
            return tooLongLine();
        if (const qsizetype semicolon = line->indexOf(';'); semicolon >= 0)
            line->truncate(semicolon);
        bool ok = false;
        const qint64 size = line->trimmed().toLongLong(&ok, 16);
        if (!ok || size < 0) {
            fail(ProtocolFailure, tr("the server's answer has a bad chunk size \"%1\"")
                                      .arg(QString::fromLatin1(line->left(40))));
            return false;
        }
        m_stage = size == 0 ? Stage::Trailer : Stage::ChunkData;
        m_remaining = size;
        return true;
    }
    case Stage::Trailer: {
        const std::optional<QByteArray> line = takeLine(m_in);
        if (!line)
            return tooLongLine();
        if (!line->isEmpty())
            return true;
        complete();
        return false;
    }
    case Stage::Headers:
    case Stage::Done:
        break;
    }
    return false;
}

bool DirectReply::tooLongLine()
{
    if (m_in.size() > maxAnswerHead)
        fail(ProtocolFailure, tr("a line of the server's chunked answer is longer than %1 KiB").arg(maxAnswerHead >> 10));
    return false;
}

bool DirectReply::appendAnswer(QByteArray data)
{
    m_received += data.size();
    if (m_answer.isEmpty())
        m_answer = std::move(data);
    else
        m_answer.append(data);
    const QPointer<DirectReply> alive(this);
    emit downloadProgress(m_received, -1);
    if (alive && !m_done)
        emit readyRead();
    return alive && !m_done;
}

void DirectReply::complete()
{
    m_stage = Stage::Done;
    // Not after an answer that came before the whole request had left (an early error).
    const bool reusable = m_keepAlive && m_in.isEmpty() && m_socket->bytesToWrite() == 0;
    releaseSocket(reusable);
    if (m_status >= 400) {
        setError(errorForStatus(m_status),
                 tr("Error transferring %1 - server replied: %2")
                     .arg(url().toString(), attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString()));
    }
    finishReply();
}

void DirectReply::fail(NetworkError code, const QString &message)
{
    if (m_reused && !m_answerStarted && m_pool)
        m_pool->dropAll(m_host, m_port);  // a kept connection that never answered: the others are as old
    releaseSocket(false);
    setError(code, message);
    finishReply();
}

void DirectReply::finishReply()
{
    m_done = true;
    setFinished(true);
    if (error() != NoError)
        emit errorOccurred(error());
    emit finished();
}

void DirectReply::releaseSocket(bool keep)
{
    if (m_spareFd >= 0)
        ::close(std::exchange(m_spareFd, -1));
    if (!m_socket)
        return;
    QTcpSocket *socket = std::exchange(m_socket, nullptr);
    if (keep && m_pool) {
        socket->disconnect(this);
        m_pool->giveBack(socket, m_host, m_port);
        return;
    }
    discard(socket);
}

void DirectReply::abort()
{
    if (m_done)
        return;
    fail(OperationCanceledError, tr("Operation canceled"));
}

qint64 DirectReply::bytesAvailable() const
{
    return m_answer.size() - m_answerOffset + QNetworkReply::bytesAvailable();
}

qint64 DirectReply::readData(char *data, qint64 maxSize)
{
    const qint64 n = std::min<qint64>(maxSize, m_answer.size() - m_answerOffset);
    if (n <= 0)
        return m_done ? -1 : 0;
    std::copy_n(m_answer.constData() + m_answerOffset, n, data);
    m_answerOffset += n;
    if (m_answerOffset == m_answer.size()) {
        m_answer.clear();
        m_answerOffset = 0;
    }
    if (std::exchange(m_readerBehind, false))  // not from inside the reader's slot
        QMetaObject::invokeMethod(this, &DirectReply::readSocket, Qt::QueuedConnection);
    return n;
}

} // namespace s3cache
