#pragma once
// LocalStore: the embedded `file://` store. Objects are plain files under <root>/<bucket>/<key>,
// so a cache can be looked at with ls and tar. Metadata lives in a parallel hidden tree
// <root>/<bucket>/.s3cache-meta/<key>.json; writes go to <root>/<bucket>/.s3cache-tmp/ and are
// renamed into place on commit (atomic on one filesystem). The bucket directory is created on
// first use: a local store has no separate "create bucket" step.

#include "objectstore.h"

namespace s3cache {

class LocalStore : public ObjectStore
{
public:
    LocalStore(const QString &root, QString bucket);

    QString describe() const override;
    QString uri(const QString &key) const override;
    void setCancellation(CancellationPtr cancellation) override { m_cancel = std::move(cancellation); }
    void setDeadline(QDeadlineTimer) override {}

    Result<ObjectInfo> head(const QString &key) override;
    Result<std::unique_ptr<ObjectStream>> openRead(const ObjectInfo &info) override;
    Result<std::unique_ptr<ObjectWriter>> openWrite(const QString &key, const QMap<QString, QString> &metadata,
                                                    qint64 sizeHint = -1) override;
    Error list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page) override;
    Result<QStringList> remove(const QStringList &keys) override;

    QString bucketPath() const { return m_bucketPath; }

private:
    Error checkKey(const QString &key) const;
    QString objectPath(const QString &key) const;
    QString metaPath(const QString &key) const;
    Result<ObjectInfo> statObject(const QString &key, bool withMetadata) const;

    QString m_root;
    QString m_bucket;
    QString m_bucketPath;
    CancellationPtr m_cancel;
};

} // namespace s3cache
