#pragma once
// InspectJob: an object's metadata and its archive entries, read by streaming the object
// through the archive lister; nothing is written to disk.

#include "job.h"
#include "objectstore.h"

#include "archive/archivereader.h"

namespace s3cache {

struct InspectResult
{
    ObjectInfo object;
    QList<ArchiveEntryInfo> entries;
    ArchiveStats stats;
    bool truncated = false;  // stopped at maxEntries
};

class InspectJob : public Job
{
    Q_OBJECT
public:
    InspectJob(ObjectStore &store, QString key, int maxEntries = 100'000, QObject *parent = nullptr);
    const InspectResult &result() const { return m_result; }

protected:
    Error run() override;

private:
    ObjectStore &m_store;
    QString m_key;
    int m_maxEntries;
    InspectResult m_result;
};

} // namespace s3cache
