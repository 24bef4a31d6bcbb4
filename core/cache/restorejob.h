#pragma once
// RestoreJob: find the cache object (the key, then each fallback key, then each near key in
// order; a cache of another platform is passed over), record its use (one small write, before
// the download, so that a flush running meanwhile sees it used), stream it from the store into
// the safe extractor, all-or-nothing into the workspace. A missing object is a cache miss, not
// an error. With lookupOnly the object is only found.

#include "job.h"
#include "objectstore.h"

#include "archive/archivewriter.h"
#include "archive/safeextractor.h"

namespace s3cache {

// A key tried when the exact key misses: one object, or the newest object under a prefix.
struct KeyLookup
{
    QString key;
    bool prefix = false;  // the newest object whose key starts with `key` (ties: the greatest key)
    QString origin;       // for logs: "restore key", "default branch main", ...

    bool operator==(const KeyLookup &other) const = default;
};

struct RestoreOptions
{
    QString key;
    QStringList fallbackKeys;    // tried in order when `key` is missing (legacy archive.tgz); a match is exact
    QList<KeyLookup> nearKeys;   // then these, in order: restore keys, the default branch's keys
    QString workspace;
    ExtractOptions extract;
    bool lookupOnly = false;     // find the object, download nothing
    bool recordUse = true;       // on a hit (not lookupOnly), record the use before downloading (lastused.h)
    // A cache that records another platform (Metadata::platform) is passed over like a miss (the
    // next key is tried) unless crossPlatform; one without a record restores anywhere.
    bool crossPlatform = false;
};

struct RestoreResult
{
    bool hit = false;            // an object was found (and restored unless lookupOnly)
    bool exact = false;          // ... and it was `key` or one of `fallbackKeys`
    KeyLookup matchedBy;         // the near key that found it, when not exact
    QString matchedKey;
    ObjectInfo object;
    ArchiveStats stats;
    qint64 bytesDownloaded = 0;  // from the store (dedup: the manifest and the chunks' ranges)
    QList<ObjectInfo> otherPlatform;  // caches found but passed over: written on another platform
    QString platform;                 // this one, what they were compared with (platformName())
    Error recordError;                // recording the use failed (a warning: the restore went on)
};

class RestoreJob : public Job
{
    Q_OBJECT
public:
    RestoreJob(ObjectStore &store, RestoreOptions options, QObject *parent = nullptr);
    const RestoreResult &result() const { return m_result; }

protected:
    Error run() override;

private:
    Result<ObjectInfo> find(ObjectStore &store);
    // Whether a found candidate may be restored here (else it is noted in otherPlatform).
    bool acceptable(const ObjectInfo &found);

    ObjectStore &m_store;
    RestoreOptions m_options;
    RestoreResult m_result;
};

} // namespace s3cache
