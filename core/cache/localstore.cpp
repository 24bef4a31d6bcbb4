#include "localstore.h"

#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>
#include <QTemporaryFile>

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace s3cache {

namespace {

const QString kMetaDir = QStringLiteral(".s3cache-meta");
const QString kTmpDir = QStringLiteral(".s3cache-tmp");

Error ioError(const QString &code, const QString &message)
{
    return Error(ErrorKind::Io, code, message);
}

// Changes whenever the object is replaced (rename-into-place gives a new inode) or touched.
QByteArray etagFor(const struct stat &st)
{
    return QByteArray::number(qulonglong(st.st_ino), 16) + '-' + QByteArray::number(qlonglong(st.st_size), 16) + '-'
           + QByteArray::number(qlonglong(st.st_mtim.tv_sec), 16) + QByteArray::number(qlonglong(st.st_mtim.tv_nsec), 16);
}

// The sidecar's record of the object file it describes; see localstore.h for why inode and size.
QJsonObject identityOf(const struct stat &st)
{
    return QJsonObject{{QStringLiteral("inode"), QString::number(qulonglong(st.st_ino))},
                       {QStringLiteral("size"), qint64(st.st_size)}};
}

QByteArray sidecarFor(const struct stat &st, const QMap<QString, QString> &metadata)
{
    QJsonObject meta;
    for (auto it = metadata.cbegin(); it != metadata.cend(); ++it)
        meta.insert(it.key(), it.value());
    return QJsonDocument(QJsonObject{{QStringLiteral("object"), identityOf(st)}, {QStringLiteral("metadata"), meta}}).toJson();
}

// The metadata in `sidecar` if it describes the object file `st`, else none. A sidecar of an
// earlier s3cache (a flat object of metadata, no "object") is not trusted either: nothing tells
// it from the stale metadata of a commit that raced another, and the cost of dropping it is one
// re-upload per cache.
QMap<QString, QString> metadataIfItDescribes(const QByteArray &sidecar, const struct stat &st)
{
    const QJsonObject json = QJsonDocument::fromJson(sidecar).object();
    if (json.value(QStringLiteral("object")).toObject() != identityOf(st))
        return {};
    QMap<QString, QString> metadata;
    const QJsonObject meta = json.value(QStringLiteral("metadata")).toObject();
    for (auto it = meta.begin(); it != meta.end(); ++it)
        metadata.insert(it.key(), it.value().toString());
    return metadata;
}

// What stops a store call or a stream: the view's cancellation, which carries the job's
// deadline. A deadline gives the same error as S3Store's.
struct Interruption
{
    CancellationPtr cancel;

    bool stopped() const { return cancel && cancel->isCancelled(); }

    Error check(const QString &what) const
    {
        const bool cancelled = stopped();
        if (cancelled && cancel->reason() == Cancellation::Reason::Deadline)
            return Error(ErrorKind::Transient, QStringLiteral("Timeout"), what + QStringLiteral(": deadline exceeded"));
        if (cancelled)
            return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), what + QStringLiteral(": cancelled"));
        return {};
    }
};

// Writes into a temporary file beside the object; commit() renames it into place.
class LocalObjectWriter : public ObjectWriter
{
public:
    LocalObjectWriter(QString target, QString metaTarget, QMap<QString, QString> metadata, const QString &tmpDir,
                      Interruption interruption)
        : m_target(std::move(target)), m_metaTarget(std::move(metaTarget)), m_metadata(std::move(metadata)),
          m_file(tmpDir + QStringLiteral("/upload-XXXXXX")), m_interruption(std::move(interruption))
    {
    }
    ~LocalObjectWriter() override { abort(); }

    Error start()
    {
        if (!m_file.open())
            return ioError(QStringLiteral("WriteFailed"),
                           QStringLiteral("cannot create a temporary file in %1: %2")
                               .arg(QFileInfo(m_file.fileTemplate()).path(), m_file.errorString()));
        open(QIODevice::WriteOnly);
        return {};
    }

    Error commit() override
    {
        if (m_done)
            return Error(ErrorKind::Internal, QStringLiteral("WriterClosed"), QStringLiteral("commit after commit/abort"));
        if (streamError())
            return streamError();
        // Never once cancelled or past the deadline: the previous object stays, the temporary goes.
        if (Error e = m_interruption.check(QStringLiteral("writing %1").arg(m_target))) {
            setStreamError(e);
            abort();
            return e;
        }
        if (!m_file.flush())
            return fail(QStringLiteral("cannot write %1: %2").arg(m_file.fileName(), m_file.errorString()));
        if (QFileInfo(m_target).isDir())
            return fail(QStringLiteral("cannot store %1: a directory of that name exists (another key uses it as a prefix)")
                            .arg(m_target));
        if (!QDir().mkpath(QFileInfo(m_target).path()) || !QDir().mkpath(QFileInfo(m_metaTarget).path()))
            return fail(QStringLiteral("cannot create the directory of %1").arg(m_target));
        struct stat st {};
        if (::fstat(m_file.handle(), &st) != 0) {
            const int err = errno;
            return fail(QStringLiteral("cannot stat %1: %2").arg(m_file.fileName(), QString::fromLocal8Bit(strerror(err))));
        }
        // The sidecar first, naming this file's inode (a rename keeps it), then the object. See
        // localstore.h: a kill or another commit between the two leaves a sidecar that does not
        // describe the object at the key, which readers then ignore.
        QSaveFile meta(m_metaTarget);
        const QByteArray sidecar = sidecarFor(st, m_metadata);
        if (!meta.open(QIODevice::WriteOnly) || meta.write(sidecar) != sidecar.size() || !meta.commit())
            return fail(QStringLiteral("cannot write the metadata of %1 to %2: %3").arg(m_target, m_metaTarget, meta.errorString()));
        m_file.setAutoRemove(false);
        m_file.close();
        if (::rename(QFile::encodeName(m_file.fileName()).constData(), QFile::encodeName(m_target).constData()) != 0) {
            const int err = errno;
            QFile::remove(m_file.fileName());
            // The previous object stays; the sidecar just written does not describe it, so it
            // now has no metadata (the next rebuild uploads again).
            return fail(QStringLiteral("cannot move the new object to %1: %2").arg(m_target, QString::fromLocal8Bit(strerror(err))));
        }
        m_done = true;
        close();
        return {};
    }

    void abort() override
    {
        if (m_done)
            return;
        m_done = true;
        m_file.close();
        if (!m_file.fileName().isEmpty())  // empty when start() could not create it
            m_file.remove();
        close();
    }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 len) override
    {
        if (m_interruption.stopped()) {  // checked first: no message built for every block
            setStreamError(m_interruption.check(QStringLiteral("writing %1").arg(m_target)));
            return -1;
        }
        // Straight to the descriptor: QFile reports a full disk as "Unknown error".
        for (qint64 done = 0; done < len;) {
            const ssize_t n = ::write(m_file.handle(), data + done, size_t(len - done));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                const int err = errno;
                setStreamError(ioError(QStringLiteral("WriteFailed"),
                                       QStringLiteral("cannot write %1: %2")
                                           .arg(m_file.fileName(), QString::fromLocal8Bit(strerror(err)))));
                return -1;
            }
            done += n;
        }
        m_transferred += len;
        return len;
    }

private:
    Error fail(const QString &message)
    {
        Error e = ioError(QStringLiteral("WriteFailed"), message);
        setStreamError(e);
        abort();
        return e;
    }

    QString m_target;
    QString m_metaTarget;
    QMap<QString, QString> m_metadata;
    QTemporaryFile m_file;
    Interruption m_interruption;
    bool m_done = false;
};

class LocalObjectReader : public ObjectStream
{
public:
    LocalObjectReader(const QString &path, Interruption interruption) : m_file(path), m_interruption(std::move(interruption)) {}
    bool start(QString *error)
    {
        if (!m_file.open(QIODevice::ReadOnly)) {
            *error = m_file.errorString();
            return false;
        }
        return open(QIODevice::ReadOnly);
    }
    // The version of the file that was opened, whatever is at its path now.
    QByteArray etag() const
    {
        struct stat st {};
        return ::fstat(m_file.handle(), &st) == 0 ? etagFor(st) : QByteArray();
    }

protected:
    qint64 readData(char *data, qint64 maxlen) override
    {
        if (m_interruption.stopped()) {  // checked first: no message built for every block
            setStreamError(m_interruption.check(QStringLiteral("reading %1").arg(m_file.fileName())));
            return -1;
        }
        const qint64 n = m_file.read(data, maxlen);
        if (n > 0)
            m_transferred += n;
        if (n < 0)
            setStreamError(ioError(QStringLiteral("ReadFailed"),
                                   QStringLiteral("cannot read %1: %2").arg(m_file.fileName(), m_file.errorString())));
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }
    bool atEnd() const override { return m_file.atEnd(); }

private:
    QFile m_file;
    Interruption m_interruption;
};

// The ranges of files one after the other. Each range must lie inside its file.
class LocalRangeReader : public ObjectStream
{
public:
    LocalRangeReader(QList<std::pair<QString, ObjectRange>> ranges, Interruption interruption)
        : m_ranges(std::move(ranges)), m_interruption(std::move(interruption))
    {
        for (const auto &r : std::as_const(m_ranges))
            m_total += r.second.length;
        open(QIODevice::ReadOnly);
    }
    bool atEnd() const override { return transferred() >= m_total; }

protected:
    qint64 readData(char *data, qint64 maxlen) override
    {
        if (streamError())
            return -1;
        if (m_interruption.stopped()) {
            setStreamError(m_interruption.check(QStringLiteral("reading %1").arg(m_file.fileName())));
            return -1;
        }
        if (m_left == 0 && !next())
            return streamError() ? -1 : 0;
        const qint64 n = m_file.read(data, std::min(maxlen, m_left));
        if (n <= 0) {
            setStreamError(ioError(QStringLiteral("ReadFailed"),
                                   QStringLiteral("cannot read %1: %2").arg(m_file.fileName(), n < 0 ? m_file.errorString() : QStringLiteral("it ends before the range"))));
            return -1;
        }
        m_left -= n;
        m_transferred += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    bool next()
    {
        if (m_next >= m_ranges.size())
            return false;
        const auto &[path, range] = m_ranges.at(m_next++);
        if (m_file.fileName() != path || !m_file.isOpen()) {
            m_file.close();
            m_file.setFileName(path);
            if (!m_file.open(QIODevice::ReadOnly)) {
                setStreamError(Error(ErrorKind::NotFound, QStringLiteral("NoSuchKey"),
                                     QStringLiteral("cannot open %1: %2").arg(path, m_file.errorString())));
                return false;
            }
        }
        if (range.offset + range.length > m_file.size() || !m_file.seek(range.offset)) {
            setStreamError(Error(ErrorKind::Corrupt, QStringLiteral("InvalidRange"),
                                 QStringLiteral("%1 has %2 bytes: it holds no range of %3 at %4")
                                     .arg(path, QString::number(m_file.size()), QString::number(range.length), QString::number(range.offset))));
            return false;
        }
        m_left = range.length;
        return true;
    }

    QList<std::pair<QString, ObjectRange>> m_ranges;
    Interruption m_interruption;
    qint64 m_total = 0;
    qsizetype m_next = 0;
    QFile m_file;
    qint64 m_left = 0;
};

} // namespace

LocalStore::LocalStore(const QString &root, QString bucket)
    : m_root(QDir::cleanPath(root)), m_bucket(std::move(bucket)),
      m_bucketPath(m_root + QLatin1Char('/') + m_bucket)
{
}

QString LocalStore::describe() const
{
    return QStringLiteral("local store %1").arg(QUrl::fromLocalFile(m_bucketPath).toString());
}

QString LocalStore::uri(const QString &key) const
{
    return QUrl::fromLocalFile(objectPath(key)).toString();
}

Error LocalStore::checkKey(const QString &key) const
{
    const QStringList segments = key.split(QLatin1Char('/'));
    for (const QString &s : segments) {
        if (s.isEmpty() || s == u"." || s == u".." || s == kMetaDir || s == kTmpDir)
            return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidKey"),
                         QStringLiteral("key '%1' is not usable in a local store (empty, '.', '..' or reserved segment)").arg(key));
    }
    return {};
}

QString LocalStore::objectPath(const QString &key) const { return m_bucketPath + QLatin1Char('/') + key; }
QString LocalStore::metaPath(const QString &key) const
{
    return m_bucketPath + QLatin1Char('/') + kMetaDir + QLatin1Char('/') + key + QStringLiteral(".json");
}

Result<ObjectInfo> LocalStore::statObject(const QString &key, bool withMetadata) const
{
    // One stat gives the version (etag) and what the sidecar must name, so the metadata returned
    // belongs to exactly that version: if the object is replaced between the stat and reading
    // the sidecar, the sidecar names the new file and is ignored.
    struct stat st {};
    if (::stat(QFile::encodeName(objectPath(key)).constData(), &st) != 0 || !S_ISREG(st.st_mode))
        return Error(ErrorKind::NotFound, QStringLiteral("NoSuchKey"), QStringLiteral("%1 does not exist").arg(uri(key)));
    ObjectInfo info;
    info.key = key;
    info.size = qint64(st.st_size);
    info.lastModified = QDateTime::fromMSecsSinceEpoch(qint64(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000, Qt::UTC);
    info.etag = etagFor(st);
    if (withMetadata) {
        QFile meta(metaPath(key));
        if (meta.open(QIODevice::ReadOnly))
            info.metadata = metadataIfItDescribes(meta.readAll(), st);
    }
    return info;
}

std::unique_ptr<ObjectStore> LocalStore::withContext(const CallContext &context) const
{
    auto view = std::make_unique<LocalStore>(*this);
    view->m_cancel = context.cancellation;
    return view;
}

Error LocalStore::interrupted(const QString &what) const
{
    return Interruption{m_cancel}.check(what);
}

Result<ObjectInfo> LocalStore::head(const QString &key)
{
    if (Error e = checkKey(key))
        return e;
    if (Error e = interrupted(QStringLiteral("HEAD %1").arg(uri(key))))
        return e;
    return statObject(key, true);
}

Result<std::unique_ptr<ObjectStream>> LocalStore::openRead(const ObjectInfo &info)
{
    if (Error e = checkKey(info.key))
        return e;
    if (Error e = interrupted(QStringLiteral("reading %1").arg(uri(info.key))))
        return e;
    auto reader = std::make_unique<LocalObjectReader>(objectPath(info.key), Interruption{m_cancel});
    QString message;
    if (!reader->start(&message))
        return Error(ErrorKind::NotFound, QStringLiteral("NoSuchKey"), QStringLiteral("cannot open %1: %2").arg(uri(info.key), message));
    // The file was opened after `info` was taken: make sure it is still that version.
    if (!info.etag.isEmpty() && reader->etag() != info.etag)
        return Error(ErrorKind::Transient, QStringLiteral("PreconditionFailed"),
                     QStringLiteral("%1 was replaced while it was being read; try again").arg(uri(info.key)));
    return std::unique_ptr<ObjectStream>(std::move(reader));
}

Result<std::unique_ptr<ObjectStream>> LocalStore::openRanges(const QList<ObjectRange> &ranges)
{
    QList<std::pair<QString, ObjectRange>> files;
    for (const ObjectRange &r : ranges) {
        if (Error e = checkKey(r.object.key))
            return e;
        files.append({objectPath(r.object.key), r});
    }
    if (Error e = interrupted(QStringLiteral("reading %1").arg(describe())))
        return e;
    return std::unique_ptr<ObjectStream>(std::make_unique<LocalRangeReader>(std::move(files), Interruption{m_cancel}));
}

Result<std::unique_ptr<ObjectWriter>> LocalStore::openWrite(const QString &key, const QMap<QString, QString> &metadata, qint64)
{
    if (Error e = checkKey(key))
        return e;
    if (Error e = interrupted(QStringLiteral("writing %1").arg(uri(key))))
        return e;
    const QString tmpDir = m_bucketPath + QLatin1Char('/') + kTmpDir;
    if (!QDir().mkpath(tmpDir))
        return ioError(QStringLiteral("WriteFailed"), QStringLiteral("cannot create %1").arg(tmpDir));
    auto writer = std::make_unique<LocalObjectWriter>(objectPath(key), metaPath(key), metadata, tmpDir,
                                                      Interruption{m_cancel});
    if (Error e = writer->start())
        return e;
    return std::unique_ptr<ObjectWriter>(std::move(writer));
}

Error LocalStore::list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page)
{
    const QString what = QStringLiteral("listing %1").arg(uri(prefix));
    if (Error e = interrupted(what))
        return e;
    if (!QFileInfo(m_bucketPath).isDir())
        return {};  // nothing stored yet
    // Walk only the directory that can hold keys with this prefix.
    const int slash = prefix.lastIndexOf(QLatin1Char('/'));
    const QString startDir = slash < 0 ? m_bucketPath : m_bucketPath + QLatin1Char('/') + prefix.left(slash);
    if (!QFileInfo(startDir).isDir())
        return {};
    QList<ObjectInfo> batch;
    QDirIterator it(startDir, QDir::Files | QDir::Hidden | QDir::NoDotAndDotDot, QDirIterator::Subdirectories);
    QStringList keys;
    for (int seen = 0; it.hasNext(); ++seen) {
        if (seen % 1000 == 0) {  // a huge bucket takes a while to walk
            if (Error e = interrupted(what))
                return e;
        }
        const QString path = it.next();
        const QString key = path.mid(m_bucketPath.size() + 1);
        if (key.startsWith(kMetaDir + QLatin1Char('/')) || key.startsWith(kTmpDir + QLatin1Char('/')))
            continue;
        if (key.startsWith(prefix))
            keys << key;
    }
    keys.sort();  // S3 lists in key order
    for (const QString &key : std::as_const(keys)) {
        if (Error e = interrupted(what))
            return e;
        const Result<ObjectInfo> info = statObject(key, false);
        if (!info.ok())
            continue;  // removed while listing
        batch << *info;
        if (batch.size() == 1000) {
            if (!page(batch))
                return {};
            batch.clear();
        }
    }
    if (!batch.isEmpty())
        page(batch);
    return {};
}

RemoveResult LocalStore::remove(const QStringList &keys)
{
    RemoveResult removed;
    // One check per call, like one DeleteObjects request of S3Store's: unlinking is quick.
    if (Error e = interrupted(QStringLiteral("deleting %1 objects").arg(keys.size()))) {
        removed.error = e;
        return removed;
    }
    for (const QString &key : keys) {
        if (Error e = checkKey(key)) {
            removed.failed.append({key, e});
            continue;
        }
        QFile file(objectPath(key));
        if (file.exists() && !file.remove()) {
            removed.failed.append({key, ioError(QStringLiteral("DeleteFailed"),
                                                QStringLiteral("cannot delete %1: %2").arg(uri(key), file.errorString()))});
            continue;
        }
        QFile::remove(metaPath(key));
        // Drop directories the key left empty, like S3 has no empty "folders".
        QDir dir = QFileInfo(objectPath(key)).dir();
        while (dir.absolutePath() != m_bucketPath && dir.isEmpty() && dir.rmdir(dir.absolutePath()))
            dir.cdUp();
        removed.deleted << key;
    }
    return removed;
}

} // namespace s3cache
