#include "s3connection.h"

#include "s3client.h"

#include "util/log.h"

#include <QMutex>
#include <QMutexLocker>
#include <QThread>
#include <QWaitCondition>

#include <algorithm>

namespace s3cache {

namespace {

// What the network thread hands back to the waiting thread.
struct CallState
{
    QMutex mutex;
    QWaitCondition done;
    bool finished = false;
    S3CallResult result;
    CancellationPtr abortFlag = std::make_shared<Cancellation>();
};

class PendingCall final : public PendingS3Call
{
public:
    // `retry` (may be empty) sends the request again with refreshed credentials; it is used once,
    // when the answer says the credentials expired.
    PendingCall(std::shared_ptr<CallState> state, std::function<PendingS3CallPtr()> retry)
        : m_state(std::move(state)), m_retry(std::move(retry))
    {
    }

    bool isFinished() const override
    {
        {
            QMutexLocker lock(&m_state->mutex);
            if (!m_state->finished)
                return false;
        }
        if (PendingS3Call *retried = startRetryIfNeeded())
            return retried->isFinished();
        return true;
    }

    // The network thread polls the cancellation flags, so a cancelled call finishes on its own.
    const S3CallResult &wait() override
    {
        {
            QMutexLocker lock(&m_state->mutex);
            while (!m_state->finished)
                m_state->done.wait(&m_state->mutex);
        }
        if (PendingS3Call *retried = startRetryIfNeeded())
            return retried->wait();
        return m_state->result;
    }

    void abort() override
    {
        m_state->abortFlag->cancel();
        QMutexLocker lock(&m_retryMutex);
        m_retry = {};
        if (m_retried)
            m_retried->abort();
    }

private:
    // The retried call, started on first need; null when there is none.
    PendingS3Call *startRetryIfNeeded() const
    {
        QMutexLocker lock(&m_retryMutex);
        if (!m_retried && m_retry && isExpiredCredentialsCode(m_state->result.error.code())) {
            Log::info(QStringLiteral("%1; refreshing the credentials and sending the request again")
                          .arg(m_state->result.error.message()));
            m_retried = std::exchange(m_retry, {})();
        }
        return m_retried.get();
    }

    std::shared_ptr<CallState> m_state;
    mutable QMutex m_retryMutex;
    mutable std::function<PendingS3CallPtr()> m_retry;
    mutable PendingS3CallPtr m_retried;
};

} // namespace

struct S3Connection::Private
{
    explicit Private(S3ClientConfig clientConfig);
    ~Private();
    Private(const Private &) = delete;
    Private &operator=(const Private &) = delete;

    S3ClientConfig config;
    QThread thread;
    S3Client *client = nullptr;  // lives in `thread`
};

S3Connection::Private::Private(S3ClientConfig clientConfig) : config(std::move(clientConfig))
{
    thread.setObjectName(QStringLiteral("s3-network"));
    client = new S3Client(config);
    client->moveToThread(&thread);
    thread.start();
}

S3Connection::Private::~Private()
{
    // Deleting the client aborts every unfinished call, which wakes their waiters.
    QMetaObject::invokeMethod(client, [c = client] { delete c; }, Qt::BlockingQueuedConnection);
    thread.quit();
    thread.wait();
}

// `cleanupTimeoutMs` >= 0: a cleanup request, detached from the context's cancellation and
// the deadline and bounded by this timeout instead.
PendingS3CallPtr S3Connection::start(S3Request request, int cleanupTimeoutMs, bool retryExpired) const
{
    if (cleanupTimeoutMs >= 0) {
        request.deadline = QDeadlineTimer(cleanupTimeoutMs);
        request.cancellation.reset();
    } else {
        request.deadline = d->config.deadline;
        request.cancellation = m_context.cancellation;
        if (request.cancellation && request.cancellation->deadline() < request.deadline)
            request.deadline = request.cancellation->deadline();
    }
    request.warnings = m_context.warnings;
    if (request.stream)
        request.stream->reopen();
    auto state = std::make_shared<CallState>();
    request.abortFlag = state->abortFlag;

    // Signing credentials: the provider's, asked here in the caller's thread (a refresh may
    // block on its own network call).
    const CredentialProviderPtr &provider = d->config.credentialProvider;
    std::function<PendingS3CallPtr()> retry;
    if (provider && !request.credentials) {
        Result<Credentials> credentials = provider->credentials();
        if (!credentials.ok()) {
            state->finished = true;
            state->result.error = credentials.error().withContext(request.operationName());
            if (request.stream)
                request.stream->finish();
            return std::make_shared<PendingCall>(std::move(state), nullptr);
        }
        if (retryExpired && provider->refreshable()) {
            retry = [connection = *this, request, used = *credentials, cleanupTimeoutMs]() mutable {
                connection.d->config.credentialProvider->invalidate(used);
                request.credentials.reset();
                return connection.start(std::move(request), cleanupTimeoutMs, false);
            };
        }
        request.credentials = *credentials;
    } else if (!request.credentials) {
        request.credentials = d->config.credentials;
    }
    // Hash plain-http payloads here, in the caller's thread, so parallel parts hash in parallel.
    if (d->config.endpoint.scheme != u"https" && !request.credentials->isEmpty() && !request.invalid
        && request.payloadHash.isEmpty())
        request.payloadHash = SigV4Signer::payloadHash(request.body);

    QMetaObject::invokeMethod(
        d->client,
        [client = d->client, request = std::move(request), state]() mutable {
            BodyQueuePtr stream = request.stream;
            S3Call *call = client->start(std::move(request));
            QObject::connect(call, &S3Call::finished, call, [call, state, stream] {
                {
                    QMutexLocker lock(&state->mutex);
                    state->result = call->result();
                    state->finished = true;
                }
                state->done.wakeAll();
                if (stream)  // after the result: a reader that sees the end finds the call finished
                    stream->finish();
                call->deleteLater();
            });
        },
        Qt::QueuedConnection);
    return std::make_shared<PendingCall>(std::move(state), std::move(retry));
}

S3CallResult S3Connection::run(S3Request request) const
{
    return start(std::move(request))->wait();
}

S3Connection::S3Connection(S3ClientConfig config) : d(std::make_shared<Private>(std::move(config))) {}

S3Connection::~S3Connection() = default;

const S3ClientConfig &S3Connection::config() const
{
    return d->config;
}

S3Connection S3Connection::withContext(CallContext context) const
{
    S3Connection view = *this;
    view.m_context = std::move(context);
    return view;
}

S3CallResult S3Connection::createBucket()
{
    return run(S3Request::createBucket(d->config.endpoint.region));
}

S3CallResult S3Connection::headObject(const QString &key)
{
    S3CallResult result = run(S3Request::headObject(key));
    // A HEAD answer has no body, so a 400/403 says nothing of why (wrong key id? wrong secret?
    // policy?). One ranged GET of the same key carries the server's error document.
    const int status = result.error.httpStatus();
    if (status == 400 || status == 403) {
        const S3CallResult probe = run(S3Request::getObject(key, ByteRange{0, 0}, {}));
        if (probe.error.httpStatus() == status)
            result.error = probe.error;
        else if (!probe.error && d->config.credentialProvider && d->config.credentialProvider->refreshable())
            result = run(S3Request::headObject(key));  // the probe refreshed expired credentials: ask again
    }
    return result;
}

S3CallResult S3Connection::getObject(const QString &key, std::optional<ByteRange> range, const QByteArray &ifMatch)
{
    return run(S3Request::getObject(key, range, ifMatch));
}

S3CallResult S3Connection::getObjectTo(const QString &key, QIODevice *sink, std::optional<ByteRange> range,
                                       const QByteArray &ifMatch)
{
    return run(S3Request::getObject(key, range, ifMatch, sink));
}

S3CallResult S3Connection::putObject(const QString &key, const QByteArray &body,
                                     const QMap<QString, QString> &metadata, const QString &contentType)
{
    return run(S3Request::putObject(key, body, metadata, contentType));
}

S3CallResult S3Connection::createMultipartUpload(const QString &key, const QMap<QString, QString> &metadata,
                                                 const QString &contentType)
{
    return run(S3Request::createMultipartUpload(key, metadata, contentType));
}

S3CallResult S3Connection::uploadPart(const QString &key, const QString &uploadId, int partNumber,
                                      const QByteArray &body)
{
    return run(S3Request::uploadPart(key, uploadId, partNumber, body));
}

S3CallResult S3Connection::completeMultipartUpload(const QString &key, const QString &uploadId,
                                                   const QList<CompletedPart> &parts)
{
    return run(S3Request::completeMultipartUpload(key, uploadId, parts));
}

S3CallResult S3Connection::abortMultipartUpload(const QString &key, const QString &uploadId, int timeoutMs)
{
    return start(S3Request::abortMultipartUpload(key, uploadId), std::max(0, timeoutMs))->wait();
}

S3CallResult S3Connection::listMultipartUploads(const QString &prefix)
{
    return run(S3Request::listMultipartUploads(prefix, {}, {}));
}

S3CallResult S3Connection::listObjectsV2(const QString &prefix, const QString &continuationToken, int maxKeys,
                                         const QString &delimiter)
{
    return run(S3Request::listObjectsV2(prefix, continuationToken, maxKeys, delimiter));
}

S3CallResult S3Connection::deleteObjects(const QStringList &keys)
{
    return run(S3Request::deleteObjects(keys));
}

S3CallResult S3Connection::serviceCall(S3Request request)
{
    return run(std::move(request));
}

S3CallResult S3Connection::deleteObject(const QString &key)
{
    return run(S3Request::deleteObject(key));
}

S3CallResult S3Connection::listBuckets()
{
    return run(S3Request::listBuckets());
}

PendingS3CallPtr S3Connection::startPutObject(const QString &key, const QByteArray &body,
                                              const QMap<QString, QString> &metadata, const QString &contentType)
{
    return start(S3Request::putObject(key, body, metadata, contentType));
}

PendingS3CallPtr S3Connection::startUploadPart(const QString &key, const QString &uploadId, int partNumber,
                                               const QByteArray &body)
{
    return start(S3Request::uploadPart(key, uploadId, partNumber, body));
}

PendingS3CallPtr S3Connection::startGetObject(const QString &key, std::optional<ByteRange> range,
                                              const QByteArray &ifMatch)
{
    return start(S3Request::getObject(key, range, ifMatch));
}

PendingS3CallPtr S3Connection::startGetObject(const QString &key, std::optional<ByteRange> range,
                                              const QByteArray &ifMatch, const BodyQueuePtr &stream)
{
    S3Request request = S3Request::getObject(key, range, ifMatch);
    request.stream = stream;
    return start(std::move(request));
}

} // namespace s3cache
