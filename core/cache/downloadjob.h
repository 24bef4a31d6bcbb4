#pragma once
// DownloadJob: the raw archive of a cache object, streamed into a local file. The file appears
// only when the whole object arrived (QSaveFile: written beside the target, renamed on
// success); a failed or cancelled download leaves any previous file of that name untouched.

#include "job.h"
#include "objectstore.h"

namespace s3cache {

struct DownloadResult
{
    ObjectInfo object;
    qint64 bytes = 0;  // bytes written
};

class DownloadJob : public Job
{
    Q_OBJECT
public:
    DownloadJob(ObjectStore &store, QString key, QString targetFile, QObject *parent = nullptr);
    const DownloadResult &result() const { return m_result; }

protected:
    Error run() override;

private:
    ObjectStore &m_store;
    QString m_key;
    QString m_target;
    DownloadResult m_result;
};

} // namespace s3cache
