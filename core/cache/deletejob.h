#pragma once
// DeleteJob: delete chosen objects. On failure the result still tells which keys are gone, so a
// view can stay consistent with the bucket.
//
// deleteObjects() is the one deletion path (DeleteJob and FlushJob): batches of
// ObjectStore::maxRemoveBatch, a cancellation check and a progress report between them, and the
// keys each batch deleted kept whatever fails later.

#include "job.h"
#include "objectstore.h"

#include <functional>

namespace s3cache {

struct DeleteResult
{
    QStringList deleted;
    qint64 bytesFreed = 0;
    QStringList failed;  // keys the store refused (the error names the first)
};

// Deletes `objects` (a key listed twice counts once), each with its last-used marker when it has
// one (ObjectInfo::lastUsed set by a cache listing; lastused.h). Keys refused by the store do not stop the
// other batches; a batch that fails as a whole, or the cancellation, stops the deletion. Returns
// the first error, with the number of keys that were not deleted; `result` holds what was.
// `onBatch` is called after every batch with the result so far and the keys and bytes in all.
using DeleteProgress = std::function<void(const DeleteResult &done, qsizetype keys, qint64 bytes)>;
Error deleteObjects(ObjectStore &store, const QList<ObjectInfo> &objects, const Cancellation *cancellation,
                    DeleteResult &result, const DeleteProgress &onBatch = {});

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
