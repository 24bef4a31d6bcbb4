#pragma once
// FlushJob: delete the objects under a prefix whose LastModified is older than a maximum age.
// Lists every page first (ListObjectsV2 pagination), then deletes in batches of at most 1000.
// Then aborts the multipart uploads under the prefix that a killed rebuild left behind: those
// started before the age cutoff and longer ago than `liveUploadSeconds` (a rebuild's deadline:
// no running s3cache can own them). Interrupted half-way, it can simply be run again.

#include "job.h"
#include "objectstore.h"

#include "config/parameters.h"

namespace s3cache {

struct FlushOptions
{
    QString prefix;           // with a trailing '/' so that org/repo-other is never touched
    qint64 maxAgeSeconds = defaultFlushAgeSeconds();
    bool dryRun = false;
    QDateTime now;            // the reference time; invalid -> current UTC time
    qint64 liveUploadSeconds = 600;  // uploads younger than this may belong to a running rebuild
};

struct FlushResult
{
    int scanned = 0;
    QList<ObjectInfo> expired;  // objects older than the age (deleted unless dry run)
    int deleted = 0;
    qint64 bytesFreed = 0;
    QList<MultipartUploadInfo> staleUploads;  // unfinished uploads to abort (aborted unless dry run)
    int abortedUploads = 0;
    Error uploadsError;  // listing or aborting them failed (a warning: the objects were flushed)
};

class FlushJob : public Job
{
    Q_OBJECT
public:
    FlushJob(ObjectStore &store, FlushOptions options, QObject *parent = nullptr);
    const FlushResult &result() const { return m_result; }

protected:
    Error run() override;

private:
    Error deleteExpired(ObjectStore &store);
    void findStaleUploads(ObjectStore &store, const QDateTime &cutoff);

    ObjectStore &m_store;
    FlushOptions m_options;
    FlushResult m_result;
};

} // namespace s3cache
