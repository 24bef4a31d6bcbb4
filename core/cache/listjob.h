#pragma once
// ListJob: every cache under a prefix (all pages), with size, LastModified and last use; the
// last-used markers themselves are not in it (lastused.h).

#include "job.h"
#include "objectstore.h"

namespace s3cache {

class ListJob : public Job
{
    Q_OBJECT
public:
    ListJob(ObjectStore &store, QString prefix, QObject *parent = nullptr);
    const QList<ObjectInfo> &objects() const { return m_objects; }

protected:
    Error run() override;

private:
    ObjectStore &m_store;
    QString m_prefix;
    QList<ObjectInfo> m_objects;
};

} // namespace s3cache
