#pragma once
// PagedListJob: every cache under a prefix with its last use (last-used markers are joined, not
// handed on: lastused.h), handed over page by page as the listing runs
// (ListObjectsV2 pages of up to 1000), so that a browser can show 100,000 objects without
// waiting for the last page or holding the whole listing twice. page() is emitted from the
// worker thread; receivers in other threads get it queued, in order, before finished().

#include "job.h"
#include "objectstore.h"

namespace s3cache {

class PagedListJob : public Job
{
    Q_OBJECT
public:
    PagedListJob(ObjectStore &store, QString prefix, QObject *parent = nullptr);
    // Objects listed so far (readable after finished()).
    qint64 count() const { return m_count.load(); }

signals:
    // New caches, and caches handed on before whose last use is known now (update them in place).
    void page(const QList<s3cache::ObjectInfo> &objects);

protected:
    Error run() override;

private:
    ObjectStore &m_store;
    QString m_prefix;
    std::atomic<qint64> m_count{0};
};

} // namespace s3cache
