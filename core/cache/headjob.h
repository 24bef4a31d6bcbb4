#pragma once
// HeadJob: one object's size, date and metadata (the s3cache-* fields a rebuild wrote), with
// a single HEAD request; cheap enough to run on every selection in a browser.

#include "job.h"
#include "objectstore.h"

namespace s3cache {

class HeadJob : public Job
{
    Q_OBJECT
public:
    HeadJob(ObjectStore &store, QString key, QObject *parent = nullptr);
    const ObjectInfo &result() const { return m_result; }
    const QString &key() const { return m_key; }

protected:
    Error run() override;

private:
    ObjectStore &m_store;
    QString m_key;
    ObjectInfo m_result;
};

} // namespace s3cache
