#pragma once
// S3Client: the asynchronous S3 client. A QObject living in one thread (S3Connection gives it a
// private one) with its own QNetworkAccessManager, whose proxies are the configuration's
// (EnvironmentProxyFactory, proxy.h; never Qt's system lookup). start() turns an S3Request into
// an S3Call, one QObject per exchange that emits finished() exactly once. A failure of the proxy
// itself is ProxyError (transient) or ProxyAuthenticationRequired, naming the masked proxy.
// Object data (GetObject, PutObject, UploadPart) over plain http with no proxy goes through
// s3cache's own HTTP/1.1 exchange instead (DirectReply, directreply.h: no hand-off to Qt's HTTP
// thread, a bounded read buffer), a QNetworkReply like Qt's, so everything below treats both alike.
//
// One place builds and signs requests (S3Client::buildRequest: with the credentials the request
// carries, else the configuration's; SigV4 service from the request, so STS calls of the
// credential chain go through the same stack as S3Operation::ServiceCall), one place retries
// (S3Call::failAttempt): capped exponential backoff with full jitter on network errors, 5xx,
// 429/SlowDown and RequestTimeout; never on other 4xx. RequestTimeTooSkewed corrects the clock
// from the server's Date and retries at once, once. A GET whose bytes already reached the body
// sink or stream resumes with a Range pinned to the first answer's ETag instead of starting over.
// A streamed GET (S3Request::stream) reads its reply only while its BodyQueue has room.
//
// Timeouts: an inactivity timer per attempt, restarted by every byte sent or received (a slow
// but moving transfer is not a timeout), and the request's whole-operation deadline.
// Cancellation: the request's Cancellation flags are polled and checked on every progress
// signal; the reply is aborted and the call finishes with ErrorKind::Cancelled.

#include "s3connection.h"
#include "s3request.h"

#include <QElapsedTimer>
#include <QList>
#include <QNetworkRequest>
#include <QObject>
#include <QPointer>
#include <QQueue>
#include <QSslConfiguration>
#include <QTimer>

#include <atomic>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace s3cache {

class DirectConnectionPool;
class S3Client;

class S3Call : public QObject
{
    Q_OBJECT
public:
    ~S3Call() override;

    const S3Request &request() const { return m_request; }
    const S3CallResult &result() const { return m_result; }
    bool isFinished() const { return m_finished; }
    // "s3://bucket/key"
    QString target() const;
    // Aborts the exchange; the call finishes with ErrorKind::Cancelled (no-op once finished).
    void abort();

signals:
    void finished();

private:
    friend class S3Client;
    enum class AbortReason { None, Cancelled, Deadline, Inactivity, Fatal };

    S3Call(S3Client *client, S3Request request);

    void begin();
    void startAttempt();
    void checkCancellation();
    void restartInactivityTimer();
    void onProgress();
    void onMetaDataChanged();
    void onReadyRead();
    void resumeReading();
    // `replyFinished`: take the reply's last bytes even into a full BodyQueue.
    void consumeAvailable(bool replyFinished);
    void onReplyFinished();
    void failAttempt(Error error, bool retryable);
    bool correctClockSkew(const Error &error, const QByteArray &dateHeader);
    Error takeSuccess(QNetworkReply *reply);
    void readObjectInfo(const QNetworkReply *reply);
    void abortReply(AbortReason reason);
    void finish(Error error);
    QString context() const;
    Error timeoutError() const;

    S3Client *m_client;
    S3Request m_request;
    S3CallResult m_result;
    QPointer<QNetworkReply> m_reply;
    QTimer m_inactivityTimer;
    QTimer m_retryTimer;
    QTimer m_deadlineTimer;
    QElapsedTimer m_attemptClock;
    QByteArray m_payloadHash;
    QByteArray m_responseBody;     // non-object answers and error bodies
    int m_status = 0;              // HTTP status of the current attempt
    bool m_deliverBody = false;    // the current answer's body is object data
    qint64 m_delivered = 0;        // object bytes delivered (memory or sink) over all attempts
    qint64 m_deliveredThisAttempt = 0;
    qint64 m_wantFirst = 0;        // object bytes the current attempt asks for (last -1: to the end)
    qint64 m_wantLast = -1;
    qint64 m_skip = 0;             // answer bytes before m_wantFirst still to drop
    qint64 m_take = -1;            // bytes to keep from this answer (-1: all)
    qint64 m_expected = -1;        // bytes this answer should deliver, -1 when unknown
    QByteArray m_resumeEtag;       // ETag of the first answer, pins resumed ranges
    AbortReason m_abortReason = AbortReason::None;
    Error m_fatalError;            // why AbortReason::Fatal aborted
    Error m_lastError;             // of the last failed attempt, for the deadline message
    bool m_morePages = false;      // ListMultipartUploads: another page to fetch
    bool m_waitingForReader = false;  // the BodyQueue is full: the reply is not read meanwhile
    bool m_skewCorrected = false;
    bool m_finished = false;
};

class S3Client : public QObject
{
    Q_OBJECT
public:
    // Requests sent at once; more wait in a queue without their inactivity timer running
    // (HTTP/1.1 has at most 6 connections per host in Qt).
    static constexpr int maxConcurrentRequests = 6;

    explicit S3Client(S3ClientConfig config, QObject *parent = nullptr);
    ~S3Client() override;

    const S3ClientConfig &config() const { return m_config; }

    // Starts (or queues) a request. The call is a child of the client and emits finished() once,
    // always from the event loop (never from inside start()); delete it with deleteLater().
    S3Call *start(S3Request request);
    // Aborts every unfinished call (they finish with ErrorKind::Cancelled).
    void abortAll();

    // Clock used for signing: config().clock plus the correction learnt from RequestTimeTooSkewed.
    QDateTime now() const;
    QDateTime localNow() const;
    qint64 clockOffsetMs() const { return m_clockOffsetMs.load(); }

private:
    friend class S3Call;

    QNetworkReply *send(S3Call *call, const QByteArray &payloadHash, const HeaderList &extraHeaders);
    QNetworkRequest buildRequest(const S3Request &request, const QByteArray &payloadHash,
                                 const HeaderList &extraHeaders) const;
    Error prepareTls();
    bool sendsDirectly(const S3Request &request) const;
    int backoffDelayMs(int attempt) const;
    void setClockOffsetMs(qint64 offset) { m_clockOffsetMs.store(offset); }
    void callFinished(S3Call *call);
    void pump();
    void pollCancellation();

    S3ClientConfig m_config;
    QNetworkAccessManager *m_network = nullptr;  // created in the client's thread on first use
    DirectConnectionPool *m_directConnections = nullptr;  // with m_network: for DirectReply
    std::optional<QSslConfiguration> m_sslConfiguration;  // see prepareTls()
    Error m_tlsError;  // e.g. an unreadable CA bundle: every https call fails with it
    HeaderList m_objectHeaders;  // S3Request::objectWriteHeaders(config.objectOptions)
    QList<S3Call *> m_calls;    // unfinished, started or queued
    QQueue<S3Call *> m_queue;   // not yet started
    int m_running = 0;
    QTimer m_pollTimer;
    std::atomic<qint64> m_clockOffsetMs{0};
};

} // namespace s3cache
