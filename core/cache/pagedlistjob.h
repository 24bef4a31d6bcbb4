#pragma once
// PagedListJob: every object under a prefix, handed over page by page as the listing runs
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
    void page(const QList<s3cache::ObjectInfo> &objects);

protected:
    Error run() override;

private:
    ObjectStore &m_store;
    QString m_prefix;
    std::atomic<qint64> m_count{0};
};

} // namespace s3cache
