#pragma once
// LocalStore: the embedded `file://` store. Objects are plain files under <root>/<bucket>/<key>,
// so a cache can be looked at with ls and tar. Metadata lives in a parallel hidden tree
// <root>/<bucket>/.s3cache-meta/<key>.json; writes go to <root>/<bucket>/.s3cache-tmp/ and are
// renamed into place on commit (atomic on one filesystem). The bucket directory is created on
// first use: a local store has no separate "create bucket" step.
//
// Object and metadata are two files, so no rename replaces both. Instead the sidecar names the
// object file it describes, {"object": {"inode", "size"}, "metadata": {...}}, and a reader that
// finds a sidecar naming another file reports the object without metadata (the next rebuild
// uploads again: never a stale "cache unchanged"). A commit writes the sidecar (itself renamed
// into place) with the inode of its temporary file, which the rename keeps, and then renames the
// object. So whatever two commits of one key interleave, and wherever one is killed, head()
// gives the old object with its metadata, the new one with its own, or an object without any.
// Writing the sidecar first matters: an inode is only reused once its file is gone, and a commit
// whose file has the reused inode writes its own sidecar before its object can appear, so a
// sidecar left by an earlier file with that inode never matches the object at the key.
// Not in the identity: the device (rename never crosses file systems, and st_dev differs between
// NFS clients of one share and across remounts, which would drop every cache's metadata) and the
// mtime (it is the object's LastModified, which tests and people backdate with touch). The size
// catches an in-place rewrite (cp over the file keeps its inode) in nearly all cases.
// Sidecars of earlier s3cache versions (metadata only) are not trusted: see metadataIfItDescribes.

#include "objectstore.h"

namespace s3cache {

class LocalStore : public ObjectStore
{
public:
    LocalStore(const QString &root, QString bucket);

    QString describe() const override;
    QString uri(const QString &key) const override;
    // Like S3Store's: every call of the view, and every read or write of a stream it opened,
    // stops with ErrorKind::Cancelled once the cancellation is set and with a Timeout error once
    // the deadline it carries has passed.
    std::unique_ptr<ObjectStore> withContext(const CallContext &context) const override;

    Result<ObjectInfo> head(const QString &key) override;
    Result<std::unique_ptr<ObjectStream>> openRead(const ObjectInfo &info) override;
    Result<std::unique_ptr<ObjectStream>> openRanges(const QList<ObjectRange> &ranges) override;
    Result<std::unique_ptr<ObjectWriter>> openWrite(const QString &key, const QMap<QString, QString> &metadata,
                                                    qint64 sizeHint = -1) override;
    Error list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page) override;
    RemoveResult remove(const QStringList &keys) override;

    QString bucketPath() const { return m_bucketPath; }

private:
    Error checkKey(const QString &key) const;
    QString objectPath(const QString &key) const;
    QString metaPath(const QString &key) const;
    Result<ObjectInfo> statObject(const QString &key, bool withMetadata) const;
    // The error that stops `what` now (cancelled, or past the deadline), or none.
    Error interrupted(const QString &what) const;

    QString m_root;
    QString m_bucket;
    QString m_bucketPath;
    CancellationPtr m_cancel;
};

} // namespace s3cache
