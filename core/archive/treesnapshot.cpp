#include "treesnapshot.h"

#include "archiveio.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QHash>
#include <QSet>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

namespace s3cache {

namespace {

Error invalidMount(const QString &mount, const QString &why)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidMount"), QStringLiteral("mount %1 %2").arg(mount, why));
}

Error scanError(const QString &what, const QString &path, int errnum)
{
    return Error(ErrorKind::Io, QStringLiteral("ScanFailed"),
                 QStringLiteral("cannot %1 %2: %3").arg(what, path, QString::fromLocal8Bit(strerror(errnum))));
}

struct Mount
{
    QString given;
    QString rel;  // normalized, workspace-relative; empty for the workspace itself
    struct stat st;
};

bool covers(const QString &outer, const QString &inner)
{
    return outer.isEmpty() || inner == outer || inner.startsWith(outer + u'/');
}

class Walker
{
public:
    Walker(TreeSnapshot &snapshot, const Cancellation *cancel) : m_snapshot(snapshot), m_cancel(cancel) {}

    // Adds `abs` (already lstat'ed) as `stored`, and below it when it is a directory.
    Error visit(const QString &abs, const QString &stored, const QString &relative, const struct stat &st)
    {
        if (m_cancel && m_cancel->isCancelled())
            return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("scanning the mounts was cancelled"));
        TreeEntry entry;
        entry.path = stored;
        entry.sourcePath = abs;
        entry.mtime = st.st_mtim.tv_sec;
        entry.mtimeNsec = qint32(st.st_mtim.tv_nsec);
        entry.mode = st.st_mode & 07777;
        if (S_ISDIR(st.st_mode)) {
            entry.type = TreeEntry::Directory;
        } else if (S_ISLNK(st.st_mode)) {
            const Result<QString> target = readLink(abs);
            if (!target.ok())
                return target.error();
            entry.type = TreeEntry::Symlink;
            entry.linkTarget = *target;
            entry.size = st.st_size;
        } else if (S_ISREG(st.st_mode)) {
            const auto key = qMakePair(quint64(st.st_dev), quint64(st.st_ino));
            const auto first = st.st_nlink > 1 ? m_firstLinks.constFind(key) : m_firstLinks.constEnd();
            if (first != m_firstLinks.constEnd()) {
                entry.type = TreeEntry::Hardlink;
                entry.linkTarget = *first;
            } else {
                if (st.st_nlink > 1)
                    m_firstLinks.insert(key, stored);
                entry.type = TreeEntry::File;
                entry.size = st.st_size;
                m_snapshot.totalFileBytes += st.st_size;
                ++m_snapshot.fileCount;
            }
        } else {
            m_snapshot.skipped << relative;
            return {};
        }
        if (m_storedPaths.contains(stored))
            return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidMount"),
                         QStringLiteral("two mounts would both be stored as %1 (%2)").arg(stored, relative));
        m_storedPaths.insert(stored);
        const bool isDir = entry.type == TreeEntry::Directory;
        m_snapshot.entries << std::move(entry);
        return isDir ? visitChildren(abs, stored, relative, false) : Error();
    }

    // The children of directory `abs`, sorted by name; `stored`/`relative` are their prefixes.
    Error visitChildren(const QString &abs, const QString &stored, const QString &relative, bool workspaceRoot)
    {
        Result<QList<QByteArray>> names = listDirectory(abs);
        if (!names.ok())
            return names.error();
        for (const QByteArray &name : *names) {
            const QString child = QFile::decodeName(name);
            if (workspaceRoot && child.startsWith(stagingPrefix()))
                continue;
            const QString childAbs = abs + u'/' + child;
            struct stat st;
            if (lstat(QFile::encodeName(childAbs).constData(), &st) != 0) {
                if (errno == ENOENT)
                    continue;  // removed while we looked
                return scanError(QStringLiteral("inspect"), childAbs, errno);
            }
            const auto join = [&child](const QString &prefix) { return prefix.isEmpty() ? child : prefix + u'/' + child; };
            if (Error e = visit(childAbs, join(stored), join(relative), st))
                return e;
        }
        return {};
    }

private:
    static Result<QString> readLink(const QString &abs)
    {
        QByteArray buffer(4096, Qt::Uninitialized);
        const ssize_t n = ::readlink(QFile::encodeName(abs).constData(), buffer.data(), size_t(buffer.size()));
        if (n < 0)
            return scanError(QStringLiteral("read the symbolic link"), abs, errno);
        return QFile::decodeName(buffer.left(n));
    }

    static Result<QList<QByteArray>> listDirectory(const QString &abs)
    {
        DIR *dir = opendir(QFile::encodeName(abs).constData());
        if (!dir)
            return scanError(QStringLiteral("read the directory"), abs, errno);
        QList<QByteArray> names;
        errno = 0;
        while (const dirent *d = readdir(dir)) {
            if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
                names << QByteArray(d->d_name);
        }
        const int readErrno = errno;
        closedir(dir);
        if (readErrno != 0)
            return scanError(QStringLiteral("read the directory"), abs, readErrno);
        std::sort(names.begin(), names.end());
        return names;
    }

    TreeSnapshot &m_snapshot;
    const Cancellation *m_cancel;
    QHash<QPair<quint64, quint64>, QString> m_firstLinks;
    QSet<QString> m_storedPaths;
};

} // namespace

QByteArray TreeSnapshot::fingerprint() const
{
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData("s3cache-tree-v1\n");
    for (const TreeEntry &e : entries) {
        const QByteArray line = e.path.toUtf8() + '\0' + QByteArray::number(int(e.type)) + '\0'
            + QByteArray::number(e.size) + '\0' + QByteArray::number(e.mtime) + '\0'
            + QByteArray::number(e.mode, 8) + '\0' + e.linkTarget.toUtf8() + '\n';
        hash.addData(line);
    }
    return hash.result().toHex();
}

Result<TreeSnapshot> scanMounts(const QString &workspace, const QStringList &mounts, bool preservePath,
                                const Cancellation *cancel)
{
    TreeSnapshot snapshot;
    snapshot.workspace = QDir::cleanPath(QDir(workspace).absolutePath());
    struct stat wsStat;
    if (stat(QFile::encodeName(snapshot.workspace).constData(), &wsStat) != 0 || !S_ISDIR(wsStat.st_mode))
        return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidWorkspace"),
                     QStringLiteral("workspace %1 is not a directory").arg(snapshot.workspace));

    QList<Mount> found;
    for (const QString &given : mounts) {
        if (given.isEmpty())
            return invalidMount(QStringLiteral("\"\""), QStringLiteral("is empty"));
        if (given.startsWith(u'/'))
            return invalidMount(given, QStringLiteral("is an absolute path; mounts are relative to the workspace"));
        const std::optional<QString> rel = normalizeRelativePath(given);
        if (!rel)
            return invalidMount(given, QStringLiteral("leaves the workspace (..)"));
        Mount mount{given, *rel, {}};
        bool missing = false;
        const QStringList parts = rel->split(u'/', Qt::SkipEmptyParts);
        QString prefix;
        for (qsizetype i = 0; i < parts.size() && !missing; ++i) {
            prefix += (prefix.isEmpty() ? QString() : QStringLiteral("/")) + parts.at(i);
            const QString abs = snapshot.workspace + u'/' + prefix;
            if (lstat(QFile::encodeName(abs).constData(), &mount.st) != 0) {
                if (errno != ENOENT && errno != ENOTDIR)
                    return scanError(QStringLiteral("inspect"), abs, errno);
                missing = true;
            } else if (i + 1 < parts.size() && S_ISLNK(mount.st.st_mode)) {
                return invalidMount(given, QStringLiteral("passes through the symbolic link %1").arg(prefix));
            } else if (i + 1 < parts.size() && !S_ISDIR(mount.st.st_mode)) {
                missing = true;
            }
        }
        if (parts.isEmpty())
            mount.st = wsStat;
        if (missing)
            snapshot.missingMounts << given;
        else
            found << mount;
    }

    // Nested and duplicate mounts are archived once, under the outermost mount.
    std::sort(found.begin(), found.end(), [](const Mount &a, const Mount &b) { return a.rel < b.rel; });
    QList<Mount> kept;
    for (const Mount &m : found) {
        if (kept.isEmpty() || !covers(kept.last().rel, m.rel))
            kept << m;
    }
    const auto storedRoot = [preservePath](const Mount &m) {
        if (S_ISDIR(m.st.st_mode) || preservePath)
            return m.rel;
        return m.rel.mid(m.rel.lastIndexOf(u'/') + 1);
    };
    std::sort(kept.begin(), kept.end(), [&](const Mount &a, const Mount &b) { return storedRoot(a) < storedRoot(b); });

    Walker walker(snapshot, cancel);
    for (const Mount &m : kept) {
        const QString abs = m.rel.isEmpty() ? snapshot.workspace : snapshot.workspace + u'/' + m.rel;
        const Error error = m.rel.isEmpty() ? walker.visitChildren(abs, QString(), QString(), true)
                                            : walker.visit(abs, storedRoot(m), m.rel, m.st);
        if (error)
            return error;
    }
    return snapshot;
}

} // namespace s3cache
