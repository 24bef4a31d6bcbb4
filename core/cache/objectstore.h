#pragma once
// ObjectStore: what the cache operations need from a place that keeps objects. Two stores sit
// behind it: S3Store (any S3-compatible server) and LocalStore (a directory, `file://`), so the
// jobs above run the same code paths with or without a server.
//
// All methods block and are meant for worker threads (and the CLI's main thread); each returns
// an Error carrying the server's code where there is one. Reads are streamed (openRead) and
// writes are streamed and atomic (openWrite ... commit): the previous object stays readable
// until commit() succeeds, and abort()/destruction without commit leaves nothing behind.

#include "s3/s3types.h"
#include "util/cancellation.h"
#include "util/result.h"
#include "util/warnings.h"

#include <QIODevice>

#include <atomic>
#include <functional>
#include <memory>

namespace s3cache {

// A sequential device that carries a typed error when a read or write fails, so that the
// archive layer's generic "read failed" can be replaced by the real cause (a server code).
class ObjectStream : public QIODevice
{
    Q_OBJECT
public:
    using QIODevice::QIODevice;
    bool isSequential() const override { return true; }
    const Error &streamError() const { return m_error; }
    // Bytes that went through the stream so far (pos() is always 0 on sequential devices); safe
    // to ask from another thread than the one reading (the archive layer reads ahead on its own).
    qint64 transferred() const { return m_transferred.load(std::memory_order_relaxed); }

protected:
    void setStreamError(const Error &error)
    {
        if (!m_error)
            m_error = error;
        setErrorString(error.toString());
    }
    std::atomic<qint64> m_transferred{0};

private:
    Error m_error;
};

class ObjectWriter : public ObjectStream
{
    Q_OBJECT
public:
    using ObjectStream::ObjectStream;
    // Makes the object visible under its key, replacing any previous one atomically.
    virtual Error commit() = 0;
    // Drops everything written (aborts a multipart upload). Safe to call more than once.
    virtual void abort() = 0;
};

// Bytes [offset, offset + length) of an object (key and, when known, etag).
struct ObjectRange
{
    ObjectInfo object;
    qint64 offset = 0;
    qint64 length = 0;
};

// What one remove() call did. Keys the server reported deleted are in `deleted` whatever else
// happened, so callers never forget what is already gone.
struct RemoveResult
{
    QStringList deleted;
    QList<QPair<QString, Error>> failed;  // keys the server refused, each with its own error
    Error error;                          // the request as a whole failed: the other keys' fate is unknown
};

class ObjectStore
{
public:
    // The most keys one remove() takes (S3's DeleteObjects limit). Batching over it is done once,
    // for every caller, by deleteObjects() (deletejob.h).
    static constexpr qsizetype maxRemoveBatch = 1000;

    virtual ~ObjectStore() = default;

    // "s3://bucket at https://host (virtual-host, us-west-2)" or "file:///dir/bucket"; no secrets.
    virtual QString describe() const = 0;
    // "s3://bucket/key" or "file:///dir/bucket/key", for logs.
    virtual QString uri(const QString &key) const = 0;

    // A view of this store whose calls, and the streams it opens, run under `context`: cancelled
    // -> ErrorKind::Cancelled, past the deadline the cancellation carries -> Timeout; warnings
    // (e.g. an upload that could not be aborted) go to its sink. Views share what the store holds
    // (S3Store: one network thread, client and TLS sessions), so they are cheap: each job takes
    // one for its run, and jobs on one store never cancel each other. Thread-safe.
    virtual std::unique_ptr<ObjectStore> withContext(const CallContext &context) const = 0;

    // Missing object -> ErrorKind::NotFound.
    virtual Result<ObjectInfo> head(const QString &key) = 0;
    // Reads exactly the version described by `info` (a replaced object fails, never mixes).
    virtual Result<std::unique_ptr<ObjectStream>> openRead(const ObjectInfo &info) = 0;
    // The ranges one after the other as one stream (S3Store: ranged GETs, several in flight).
    // Each must lie inside its object: a range the object does not hold fails the stream.
    virtual Result<std::unique_ptr<ObjectStream>> openRanges(const QList<ObjectRange> &ranges)
    {
        Q_UNUSED(ranges);
        return Error(ErrorKind::Internal, QStringLiteral("NotImplemented"), QStringLiteral("this store cannot read ranges"));
    }
    // `sizeHint` (bytes, -1 unknown) lets the store choose part sizes.
    virtual Result<std::unique_ptr<ObjectWriter>> openWrite(const QString &key,
                                                            const QMap<QString, QString> &metadata,
                                                            qint64 sizeHint = -1) = 0;
    // Calls `page` with each page of objects under `prefix` (no metadata); `page` returns false to stop.
    virtual Error list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page) = 0;
    // Deletes up to maxRemoveBatch keys (one DeleteObjects request). A key that does not exist
    // counts as deleted (S3 semantics). A refused key does not stop the others.
    virtual RemoveResult remove(const QStringList &keys) = 0;
    // Multipart uploads under `prefix` that were started and never completed nor aborted (a
    // rebuild killed with kill -9 leaves one). Stores without multipart uploads have none.
    virtual Result<QList<MultipartUploadInfo>> unfinishedUploads(const QString &prefix)
    {
        Q_UNUSED(prefix);
        return QList<MultipartUploadInfo>();
    }
    virtual Error abortUpload(const MultipartUploadInfo &upload)
    {
        Q_UNUSED(upload);
        return {};
    }
};

using ObjectStorePtr = std::unique_ptr<ObjectStore>;

} // namespace s3cache
