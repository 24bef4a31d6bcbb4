#pragma once
// S3Connection: the thread-safe, synchronous face of the S3 client, for job code running on
// worker threads (and the CLI's main thread). It owns a private network thread in which an
// S3Client (async, QNetworkAccessManager-based) lives; every method posts the request there
// and the calling thread waits for its result. start*() variants return at once with a
// PendingS3Call, so several requests (multipart parts, ranged chunks) can run in parallel.
//
// A connection is a cheap handle: copies, and the views withContext() makes, share one network
// thread, one client and its TLS sessions. Each handle's requests run under its own CallContext:
// when its Cancellation is set, in-flight requests are aborted and the result is
// ErrorKind::Cancelled; a deadline (the configuration's, or the one the cancellation carries)
// fails requests with ErrorKind::Transient, code "Timeout"; retries and clock corrections are
// reported to its warning sink. Two jobs on two views of one connection never cancel each other.
//
// Credentials: with a CredentialProvider in the configuration, the calling thread asks it for
// valid credentials before posting each request (a refresh may make its own network call, on
// that thread, never on the network thread), and the request carries them to the client, which
// signs with them. An answer that says the token expired (isExpiredCredentialsCode) invalidates
// them and the request is sent once more with fresh ones.
//
// Never call the blocking methods from the GUI thread.

#include "bodyqueue.h"
#include "credentialprovider.h"
#include "endpoint.h"
#include "proxy.h"
#include "s3types.h"

#include "util/cancellation.h"
#include "util/result.h"
#include "util/warnings.h"

#include <QDeadlineTimer>

#include <functional>
#include <memory>
#include <optional>

namespace s3cache {

struct S3Request;

struct RetryPolicy
{
    int maxAttempts = 5;      // total attempts including the first
    int baseDelayMs = 200;    // first backoff; doubles each attempt, full jitter
    int maxDelayMs = 10'000;  // cap of one backoff
};

struct S3ClientConfig
{
    Endpoint endpoint;
    Credentials credentials;            // empty -> requests are sent unsigned (anonymous)
    // When set, S3Connection signs every request with its credentials() instead (temporary
    // credentials, refreshed before they expire), and an ExpiredToken answer invalidates them and
    // retries the request once. `credentials` then holds the first ones, for descriptions.
    CredentialProviderPtr credentialProvider;
    QString caBundlePath;               // extra PEM CA certificates; TLS verification always on
    ProxySettings proxy;                // HTTPS_PROXY/HTTP_PROXY/NO_PROXY (proxy.h); empty: direct
    ObjectWriteOptions objectOptions;   // encryption, storage class, tags of every object written
    int inactivityTimeoutMs = 60'000;   // per request; restarted by every byte sent or received
    QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever);  // whole operation
    RetryPolicy retry;
    std::function<QDateTime()> clock;   // injectable for tests; default: current UTC time

    // Whether object data (GetObject, PutObject, UploadPart) goes through s3cache's own HTTP/1.1
    // exchange (directreply.h): plain http with no proxy. All else goes through Qt's HTTP stack.
    bool objectDataDirect() const
    {
        return endpoint.scheme == u"http" && !proxy.proxyFor(endpoint.scheme, endpoint.host, endpoint.port);
    }
};

// Everything a finished request can return; which fields are filled depends on the operation.
struct S3CallResult
{
    Error error;
    ObjectInfo info;          // head/get: size, etag, lastModified, metadata, contentType
    QByteArray body;          // get into memory
    QString uploadId;         // createMultipartUpload
    QByteArray etag;          // put/uploadPart/complete
    ListPage list;            // listObjectsV2
    QStringList deleted;      // deleteObjects: keys deleted
    QList<QPair<QString, Error>> deleteFailures;  // deleteObjects: per-key errors
    QList<MultipartUploadInfo> uploads;           // listMultipartUploads
    QList<BucketInfo> buckets;                    // listBuckets
    int attempts = 0;         // how many attempts the request took (retries + 1)
};

class PendingS3Call
{
public:
    virtual ~PendingS3Call() = default;
    // False while a retry with refreshed credentials is still to be sent or running (then this
    // call starts it, which may block on the credential refresh).
    virtual bool isFinished() const = 0;
    // Blocks until finished (or the cancellation fires: then the request is aborted first).
    virtual const S3CallResult &wait() = 0;
    virtual void abort() = 0;
};
using PendingS3CallPtr = std::shared_ptr<PendingS3Call>;

class S3Connection
{
public:
    // Starts the network thread; requests run without cancellation, warnings go to the log.
    explicit S3Connection(S3ClientConfig config);
    ~S3Connection();
    S3Connection(const S3Connection &) = default;
    S3Connection &operator=(const S3Connection &) = default;
    S3Connection(S3Connection &&) noexcept = default;
    S3Connection &operator=(S3Connection &&) noexcept = default;

    const S3ClientConfig &config() const;
    // A handle on the same connection whose requests run under `context`.
    S3Connection withContext(CallContext context) const;
    const CallContext &context() const { return m_context; }
    // Both handles share one network thread and client.
    bool sharesConnectionWith(const S3Connection &other) const { return d == other.d; }

    // Blocking operations.
    // Creates the bucket (in the endpoint's region); used by tests and tools.
    S3CallResult createBucket();
    S3CallResult headObject(const QString &key);
    // Into memory; `ifMatch` (an ETag) makes the server refuse a replaced object (412).
    S3CallResult getObject(const QString &key, std::optional<ByteRange> range = std::nullopt,
                           const QByteArray &ifMatch = {});
    // Streamed into `sink` from the network thread; the caller must not touch `sink` meanwhile,
    // and the sink must not call back into this connection (it would wait on its own thread).
    S3CallResult getObjectTo(const QString &key, QIODevice *sink,
                             std::optional<ByteRange> range = std::nullopt,
                             const QByteArray &ifMatch = {});
    S3CallResult putObject(const QString &key, const QByteArray &body,
                           const QMap<QString, QString> &metadata = {},
                           const QString &contentType = {});
    S3CallResult createMultipartUpload(const QString &key, const QMap<QString, QString> &metadata = {},
                                       const QString &contentType = {});
    S3CallResult uploadPart(const QString &key, const QString &uploadId, int partNumber,
                            const QByteArray &body);
    // Parts are sorted by number before sending.
    S3CallResult completeMultipartUpload(const QString &key, const QString &uploadId,
                                         const QList<CompletedPart> &parts);
    // Cleanup after a failure or a cancel, so it runs whatever the connection's cancellation and
    // deadline say (a SIGTERM must still abort the upload): bounded by its own `timeoutMs`.
    static constexpr int cleanupTimeoutMs = 15'000;
    S3CallResult abortMultipartUpload(const QString &key, const QString &uploadId,
                                      int timeoutMs = cleanupTimeoutMs);
    // Every page: the result holds all unfinished uploads under the prefix.
    S3CallResult listMultipartUploads(const QString &prefix = {});
    S3CallResult listObjectsV2(const QString &prefix, const QString &continuationToken = {},
                               int maxKeys = 1000, const QString &delimiter = {});
    // At most 1000 keys per call (more is an Internal error: the caller batches).
    S3CallResult deleteObjects(const QStringList &keys);
    S3CallResult deleteObject(const QString &key);
    // The buckets the credentials own (GET / on the service endpoint, not the bucket's: the
    // configured bucket plays no part). Many CI credentials may not: AccessDenied then.
    S3CallResult listBuckets();

    // A request to another service on the same HTTP stack (S3Operation::ServiceCall: STS, the
    // container credentials endpoint), under this handle's context.
    S3CallResult serviceCall(S3Request request);

    // Non-blocking variants for parallel transfers.
    PendingS3CallPtr startPutObject(const QString &key, const QByteArray &body,
                                    const QMap<QString, QString> &metadata = {},
                                    const QString &contentType = {});
    PendingS3CallPtr startUploadPart(const QString &key, const QString &uploadId, int partNumber,
                                     const QByteArray &body);
    PendingS3CallPtr startGetObject(const QString &key, std::optional<ByteRange> range,
                                    const QByteArray &ifMatch = {});
    // The body arrives in `stream` as it is downloaded (bodyqueue.h); read it from the calling
    // thread until BodyQueue::read() returns 0, then isFinished() (which may send the request
    // again with refreshed credentials: read on then) and the result. Until its bytes are
    // read, the call keeps one of the client's request slots (S3Client::maxConcurrentRequests).
    PendingS3CallPtr startGetObject(const QString &key, std::optional<ByteRange> range, const QByteArray &ifMatch,
                                    const BodyQueuePtr &stream);

private:
    struct Private;
    // `retryExpired`: an expired-credentials answer is retried once with refreshed ones (false
    // for that retry itself).
    PendingS3CallPtr start(S3Request request, int cleanupTimeoutMs = -1, bool retryExpired = true) const;
    S3CallResult run(S3Request request) const;

    std::shared_ptr<Private> d;
    CallContext m_context;
};

} // namespace s3cache
