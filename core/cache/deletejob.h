#pragma once
// DeleteJob: delete chosen objects (DeleteObjects batches of at most 1000). On failure the
// result still tells which keys are gone, so a view can stay consistent with the bucket.

#include "job.h"
#include "objectstore.h"

namespace s3cache {

struct DeleteResult
{
    QStringList deleted;
    qint64 bytesFreed = 0;
};

class DeleteJob : public Job
{
    Q_OBJECT
public:
    DeleteJob(ObjectStore &store, QList<ObjectInfo> objects, QObject *parent = nullptr);
    const DeleteResult &result() const { return m_result; }

protected:
    Error run() override;

private:
    ObjectStore &m_store;
    QList<ObjectInfo> m_objects;
    DeleteResult m_result;
};

} // namespace s3cache
