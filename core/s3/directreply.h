#pragma once
// DirectReply: the QNetworkReply of an object transfer over plain http without a proxy (GetObject,
// PutObject, UploadPart), exchanged by s3cache itself as one HTTP/1.1 request on a QTcpSocket of
// the client's thread. Qt 6.4's HTTP stack runs requests in a thread of its own: it hands an
// upload's body to its socket in 16 KiB pieces with a cross-thread round trip each (~10,000 writes
// and ~15,000 wake-ups per 156 MiB uploaded: ~9 % of a rebuild's CPU, bench/README.md "Where the
// time goes" §7), and queues a download's pieces for the reply's thread without bound (17-25 MiB
// of a 2 GiB restore from s3rver, whatever the reply's read buffer size). Here an upload's body
// goes to the socket as one shared buffer (no copy) and the kernel takes it in large writes; a
// download is read from the socket only while the reader leaves room: at most
// readBufferSize() bytes wait for it, plus socketBuffer in the socket, and the rest stays in the
// kernel (TCP flow control slows the server). TLS, proxies and every other request stay on Qt's
// stack.
//
// Towards S3Call it behaves as Qt's reply: metaDataChanged() once the answer's headers are in
// (HttpStatusCodeAttribute, HttpReasonPhraseAttribute, raw headers), readyRead() for its body,
// uploadProgress() as the request leaves, downloadProgress() as the answer arrives, finished()
// exactly once (synchronously from abort(), with OperationCanceledError), and a NetworkError
// (ConnectionRefused, HostNotFound, RemoteHostClosed, ...) with status 0 when the connection fails
// or the answer ends early; a 4xx or 5xx answer sets an error as Qt does, its body readable, also
// when the server sent it before it took the body and then reset the connection (takeUnread()).
// Connections are kept alive in a DirectConnectionPool; a request whose reused connection turns
// out closed before any answer byte arrived is sent once more on a new connection, as Qt does
// (GET and PUT are idempotent).

#include <QByteArray>
#include <QDeadlineTimer>
#include <QList>
#include <QNetworkReply>
#include <QPointer>

class QTcpSocket;

namespace s3cache {

// Idle keep-alive connections, per host and port; lives in the thread of its replies. A
// connection idle for longer than `maxIdleMs` is not used again: a NAT or firewall may have
// forgotten it without telling either end (Qt's own pool keeps them 120 s).
class DirectConnectionPool : public QObject
{
    Q_OBJECT
public:
    static constexpr int maxIdle = 8;
    static constexpr int defaultMaxIdleMs = 30'000;

    explicit DirectConnectionPool(QObject *parent = nullptr, int maxIdleMs = defaultMaxIdleMs)
        : QObject(parent), m_maxIdleMs(maxIdleMs)
    {
    }

    // An idle connected socket to host:port, now owned by the caller; null when there is none.
    QTcpSocket *take(const QString &host, quint16 port);
    // Keeps a socket whose last exchange ended cleanly; one the server closes meanwhile is dropped.
    void giveBack(QTcpSocket *socket, const QString &host, quint16 port);
    // Forgets every idle connection to host:port (one of them turned out dead: so may the others).
    void dropAll(const QString &host, quint16 port);
    int idleCount() const { return int(m_idle.size()); }

private:
    struct Idle
    {
        QString host;
        quint16 port;
        QTcpSocket *socket;
        QDeadlineTimer expiry;
    };
    void drop(QTcpSocket *socket);

    int m_maxIdleMs;
    QList<Idle> m_idle;  // oldest first
};

class DirectReply final : public QNetworkReply
{
    Q_OBJECT
public:
    // What the socket itself may hold of an answer while the reader is behind (with a read buffer size).
    static constexpr qint64 socketBuffer = 256 << 10;

    // `method` is GET (`body` empty) or PUT; `hostHeader` is the Host the request was signed
    // with; `request` carries the URL and the other headers (all sent as they are). Starts at
    // once, on a pooled or a new connection. A read buffer size set before the event loop runs
    // again bounds what waits for the reader (QNetworkReply::setReadBufferSize).
    DirectReply(DirectConnectionPool *pool, const QNetworkRequest &request, const QByteArray &method,
                const QByteArray &hostHeader, const QByteArray &body, QObject *parent = nullptr);
    ~DirectReply() override;

    void abort() override;
    qint64 bytesAvailable() const override;

protected:
    qint64 readData(char *data, qint64 maxSize) override;

private:
    enum class Stage { Headers, Body, ChunkSize, ChunkData, ChunkEnd, Trailer, Done };

    void openConnection();
    void sendRequest();
    void onBytesWritten(qint64 bytes);
    // Reads and parses what the socket holds, as far as the reader leaves room; once the socket
    // is drained after the server closed the connection, decides what that means (onClosed).
    void readSocket();
    void onClosed();
    void onSocketError();
    // After a failed write: moves what the kernel still holds of the answer into m_unread, read
    // through m_spareFd (Qt has closed its descriptor by then).
    void takeUnread();
    // Up to `maxSize` answer bytes: from the socket, then from m_unread.
    QByteArray takeArrived(qint64 maxSize);
    // Consume what m_in holds. True: go on parsing (the reply is alive and not finished); false:
    // wait for more bytes, or the reply has finished, or a slot deleted it: touch nothing then.
    bool parseHead();
    bool parseBody();
    // Hands answer bytes to the reader; false when the reply finished or was deleted meanwhile.
    bool appendAnswer(QByteArray data);
    // A chunked answer's line is incomplete: fails the reply once it is too long; false.
    bool tooLongLine();
    void complete();
    void fail(NetworkError code, const QString &message);
    void finishReply();
    void releaseSocket(bool keep);

    QPointer<DirectConnectionPool> m_pool;
    QString m_host;
    quint16 m_port = 80;
    QByteArray m_requestHead;
    QByteArray m_body;
    QTcpSocket *m_socket = nullptr;
    int m_spareFd = -1;            // while a body is sent: a dup() of the socket's descriptor (takeUnread())
    bool m_reused = false;         // the socket came from the pool
    bool m_resent = false;         // already sent again once after a stale pooled connection
    qint64 m_sent = 0;             // bytes of head + body the socket has written
    bool m_answerStarted = false;  // some byte of the answer arrived
    bool m_peerClosed = false;     // the server closed the connection; the socket may still hold bytes
    bool m_readerBehind = false;   // readSocket() stopped: readBufferSize() bytes wait for the reader
    qint64 m_received = 0;         // body bytes of the answer so far
    QByteArray m_in;               // answer bytes not parsed yet
    QByteArray m_unread;           // answer bytes taken from the kernel behind Qt's back (takeUnread())
    Stage m_stage = Stage::Headers;
    qint64 m_remaining = -1;       // Body/ChunkData: bytes still to come (-1: until the server closes)
    bool m_keepAlive = true;
    int m_status = 0;
    QByteArray m_answer;           // body bytes not read yet
    qint64 m_answerOffset = 0;
    bool m_done = false;
};

} // namespace s3cache
