#pragma once
// RestoreJob: find the cache object (the key, then each fallback key in order), stream it from
// the store into the safe extractor, all-or-nothing into the workspace. A missing object is a
// cache miss, not an error.

#include "job.h"
#include "objectstore.h"

#include "archive/archivewriter.h"
#include "archive/safeextractor.h"

namespace s3cache {

struct RestoreOptions
{
    QString key;
    QStringList fallbackKeys;  // tried in order when `key` is missing (legacy archive.tgz)
    QString workspace;
    ExtractOptions extract;
};

struct RestoreResult
{
    bool hit = false;
    QString matchedKey;
    ObjectInfo object;
    ArchiveStats stats;
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
    ObjectStore &m_store;
    RestoreOptions m_options;
    RestoreResult m_result;
};

// Finds the first of `keys` that exists. None existing is a miss (an ObjectInfo with an empty
// key, no error); a missing bucket or any other failure is an error.
Result<ObjectInfo> findFirstObject(ObjectStore &store, const QStringList &keys);

} // namespace s3cache
