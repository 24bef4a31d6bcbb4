#pragma once
// S3Request: every input of one S3 operation in one struct (minio-go style). The builders check
// their input (a bad key or metadata makes `invalid` an InvalidInput error, and the call fails
// with it without touching the network); S3Client turns a request into signed HTTP. Besides S3's
// operations, ServiceCall carries a form POST or GET to another endpoint (STS, the container
// credentials endpoint) over the same stack.

#include "bodyqueue.h"
#include "s3types.h"
#include "sigv4signer.h"

#include "util/cancellation.h"
#include "util/error.h"
#include "util/warnings.h"

#include <QDeadlineTimer>
#include <QIODevice>

#include <optional>

namespace s3cache {

enum class S3Operation {
    CreateBucket,
    HeadObject,
    GetObject,
    PutObject,
    CreateMultipartUpload,
    UploadPart,
    CompleteMultipartUpload,
    AbortMultipartUpload,
    ListMultipartUploads,
    ListObjectsV2,
    DeleteObjects,
    DeleteObject,
    // GET / on the service endpoint (Endpoint::serviceEndpoint()), not the bucket's.
    ListBuckets,
    // Not S3: one request to another AWS-style service on the same HTTP stack (STS, the
    // container credentials endpoint). `path` is the request path, `service` the SigV4 service;
    // the answer's body lands in S3CallResult::body, also on an error.
    ServiceCall,
};

struct S3Request
{
    S3Operation operation = S3Operation::HeadObject;
    QByteArray method;
    QString key;                 // empty: the bucket itself
    QueryItems query;
    HeaderList headers;          // operation headers (content-type, x-amz-meta-*, ...), all signed
    QByteArray body;
    QByteArray payloadHash;      // hex SHA-256 of body when already known (computed otherwise)
    QIODevice *sink = nullptr;   // GetObject: stream the body into it instead of memory
    BodyQueuePtr stream;         // GetObject: or hand it to another thread through this queue
    std::optional<ByteRange> range;
    QByteArray ifMatch;
    Error invalid;               // set by the builders on bad input
    CancellationPtr cancellation;  // job-wide: aborts with ErrorKind::Cancelled
    CancellationPtr abortFlag;     // this request only (PendingS3Call::abort)
    WarningSinkPtr warnings;       // retries and clock corrections are reported here (null: the log)
    QDeadlineTimer deadline = QDeadlineTimer(QDeadlineTimer::Forever);
    // Signing credentials for this request (S3Connection takes them from the configuration's
    // CredentialProvider); unset: the client configuration's. Empty: unsigned.
    std::optional<Credentials> credentials;
    QString service = QStringLiteral("s3");   // SigV4 service
    QString path;                // ServiceCall: the decoded request path ("/", "/v2/credentials/x")
    QString actionName;          // ServiceCall: what operationName() says ("STS AssumeRole")

    // "GetObject"
    QString operationName() const;

    static S3Request createBucket(const QString &region);
    static S3Request headObject(const QString &key);
    static S3Request getObject(const QString &key, std::optional<ByteRange> range, const QByteArray &ifMatch,
                               QIODevice *sink = nullptr);
    static S3Request putObject(const QString &key, const QByteArray &body,
                               const QMap<QString, QString> &metadata, const QString &contentType);
    static S3Request createMultipartUpload(const QString &key, const QMap<QString, QString> &metadata,
                                           const QString &contentType);
    static S3Request uploadPart(const QString &key, const QString &uploadId, int partNumber,
                                const QByteArray &body);
    static S3Request completeMultipartUpload(const QString &key, const QString &uploadId,
                                             const QList<CompletedPart> &parts);
    static S3Request abortMultipartUpload(const QString &key, const QString &uploadId);
    static S3Request listMultipartUploads(const QString &prefix, const QString &keyMarker,
                                          const QString &uploadIdMarker);
    static S3Request listObjectsV2(const QString &prefix, const QString &continuationToken, int maxKeys,
                                   const QString &delimiter);
    static S3Request deleteObjects(const QStringList &keys);
    static S3Request deleteObject(const QString &key);
    static S3Request listBuckets();
    // A form POST (application/x-www-form-urlencoded) to "/" of a query-protocol service (STS).
    static S3Request formPost(const QString &actionName, const QString &service, const QueryItems &form);
    // A GET of `path` (with `query`) on a non-S3 endpoint, with extra headers (Authorization).
    static S3Request serviceGet(const QString &actionName, const QString &path, const QueryItems &query,
                                const HeaderList &headers);

    // The headers of `options` (x-amz-server-side-encryption..., x-amz-storage-class,
    // x-amz-tagging), for the operations that create an object.
    static HeaderList objectWriteHeaders(const ObjectWriteOptions &options);
    bool createsObject() const
    {
        return operation == S3Operation::PutObject || operation == S3Operation::CreateMultipartUpload;
    }

    // The InvalidInput error for a key we cannot send, or no error.
    static Error checkKey(const QString &key);
    // The InvalidInput error for user metadata S3 cannot carry in headers, or no error.
    static Error checkMetadata(const QMap<QString, QString> &metadata);
};

} // namespace s3cache
