#pragma once
// ListJob: every object under a prefix (all pages), with size and LastModified.

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
