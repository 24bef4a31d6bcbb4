#pragma once
// RebuildJob: scan the mounts, skip the upload when the tree's fingerprint matches the stored
// object's, else stream tar -> codec -> store writer and commit atomically. Any failure aborts
// the upload and leaves the previous object in place.

#include "dedupwriter.h"
#include "job.h"
#include "objectstore.h"

#include "archive/archivewriter.h"
#include "archive/treesnapshot.h"

namespace s3cache {

struct RebuildOptions
{
    QString key;
    QString workspace;
    QStringList mounts;
    bool preservePath = false;
    ArchiveWriteOptions archive;
    bool dryRun = false;
    bool strict = false;  // files that cannot be read fail the rebuild instead of being left out
    QMap<QString, QString> extraMetadata;  // e.g. who wrote it ("s3cache-build")
    // Dedup format: the chunk area (dedupformat.h) and the flush's grace period, which bounds how
    // long a rebuild may rely on what it read of the index (dedupgc.h).
    QString chunkArea;
    qint64 chunkGraceSeconds = 0;
};

struct RebuildResult
{
    enum class Outcome { Uploaded, Unchanged, NothingToCache, DryRun };
    Outcome outcome = Outcome::NothingToCache;
    QStringList missingMounts;
    QStringList skipped;           // devices, fifos, sockets
    QStringList unreadable;        // left out: this user may not read them
    int fileCount = 0;
    qint64 totalFileBytes = 0;
    QString fingerprint;
    ArchiveStats stats;
    qint64 objectSize = 0;         // the object's size (dedup: the manifest's)
    qint64 bytesUploaded = 0;      // everything sent: the object, and for dedup the new packs and index
    std::optional<DedupStats> dedup;
};

// Metadata names stored with each object (x-amz-meta-*).
namespace Metadata {
inline const QString fingerprint = QStringLiteral("s3cache-fingerprint");
inline const QString format = QStringLiteral("s3cache-format");
inline const QString files = QStringLiteral("s3cache-files");
inline const QString bytes = QStringLiteral("s3cache-bytes");
inline const QString version = QStringLiteral("s3cache-version");
// "v1" when the archive ends with its digest (archivedigest.h): a restore then refuses one without.
inline const QString digest = QStringLiteral("s3cache-digest");
inline const QString digestV1 = QStringLiteral("v1");
// Where the cache was written: "linux/amd64" (util/platform.h), and the mount set it was written
// from (the mounts joined by ',', percent-encoded beyond ASCII; left out when longer than 1 KiB).
// A restore refuses a cache of another platform (restorejob.h); caches without (the Go plugin's,
// earlier s3cache's) restore anywhere.
inline const QString platform = QStringLiteral("s3cache-platform");
inline const QString mounts = QStringLiteral("s3cache-mounts");
// Dedup manifests: the bytes of the chunks the cache uses, shared or not (what a restore downloads).
inline const QString storedBytes = QStringLiteral("s3cache-stored");
}

class RebuildJob : public Job
{
    Q_OBJECT
public:
    RebuildJob(ObjectStore &store, RebuildOptions options, QObject *parent = nullptr);
    const RebuildResult &result() const { return m_result; }

protected:
    Error run() override;

private:
    Error writeDedup(ObjectStore &store, const TreeSnapshot &snapshot, const QMap<QString, QString> &metadata);

    ObjectStore &m_store;
    RebuildOptions m_options;
    RebuildResult m_result;
};

} // namespace s3cache
