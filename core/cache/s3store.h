#pragma once
// S3Store: ObjectStore on an S3-compatible server through S3Connection.
//  - reads: parallel ranged GETs (If-Match on the ETag seen by head, so a concurrent rebuild can
//    never hand us a mix of two archives) delivered in order, as they arrive, through a bounded
//    window;
//  - writes: the stream is cut into parts uploaded in parallel (bounded window); a stream that
//    ends before the first part is full becomes a single PutObject; commit() completes the
//    multipart upload, abort() or any error aborts it so no orphaned parts are left.
// Memory is bounded whatever the object size: (window + 1) x 8 MiB parts up, window x
// (streamBuffer + Qt's 1 MiB read buffer) down (bench/README.md, Memory).

#include "objectstore.h"

#include "s3/s3connection.h"

namespace s3cache {

struct TransferTuning
{
    qint64 partSize = 8 * 1024 * 1024;       // first part size; grows to stay within 10,000 parts
    int uploadWindow = 3;                    // parts in flight: as fast as 4 on moto and s3rver, 8 MiB less
    qint64 chunkSize = 16 * 1024 * 1024;     // ranged GET size (fewer requests; some servers re-read per range)
    int downloadWindow = 2;                  // chunks in flight: 2 keep loopback servers busy, 3 are
                                             // no faster (8 MiB x 4 doubled moto's time)
    qint64 streamBuffer = 4 * 1024 * 1024;   // bytes a chunk in flight may queue ahead of the reader
};

class S3Store : public ObjectStore
{
public:
    explicit S3Store(S3ClientConfig config, TransferTuning tuning = {});
    ~S3Store() override;

    QString describe() const override;
    QString uri(const QString &key) const override;
    std::unique_ptr<ObjectStore> withContext(const CallContext &context) const override;

    Result<ObjectInfo> head(const QString &key) override;
    Result<std::unique_ptr<ObjectStream>> openRead(const ObjectInfo &info) override;
    Result<std::unique_ptr<ObjectStream>> openRanges(const QList<ObjectRange> &ranges) override;
    Result<std::unique_ptr<ObjectWriter>> openWrite(const QString &key, const QMap<QString, QString> &metadata,
                                                    qint64 sizeHint = -1) override;
    Error list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page) override;
    RemoveResult remove(const QStringList &keys) override;
    Result<QList<MultipartUploadInfo>> unfinishedUploads(const QString &prefix) override;
    Error abortUpload(const MultipartUploadInfo &upload) override;

    S3Connection &connection() { return m_connection; }

    // Part size for the n-th part (1-based) so that 10,000 parts reach 5 TiB (S3's limits:
    // 5 MiB minimum except the last part, 10,000 parts). Exposed for tests.
    static qint64 partSizeFor(int partNumber, qint64 firstPartSize);

private:
    S3Store(S3Connection connection, TransferTuning tuning);

    S3Connection m_connection;
    TransferTuning m_tuning;
};

} // namespace s3cache
