#include "safeextractor.h"

#include "archiveio.h"
#include "archivereader.h"
#include "fsname.h"
#include "mergejournal.h"

#include "util/contentdigest.h"

#include <QDir>
#include <QFile>
#include <QHash>
#include <QMap>
#include <QScopeGuard>
#include <QSet>

#include <algorithm>
#include <climits>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

namespace s3cache {

namespace {

QByteArray fsPath(const QString &path)
{
    return fsNameToBytes(path);
}

QString errnoText(int errnum)
{
    return QString::fromLocal8Bit(strerror(errnum));
}

Error ioError(const QString &what, const QString &path, int errnum)
{
    return Error(ErrorKind::Io, QStringLiteral("ExtractFailed"), QStringLiteral("cannot %1 %2: %3").arg(what, path, errnoText(errnum)));
}

Error cancelledError()
{
    return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("restoring the archive was cancelled"));
}

// Entry names in messages: a 10,000-level path is named by its beginning.
QString entryName(const QString &path)
{
    constexpr qsizetype Limit = 160;
    return fsNameForDisplay(path.size() > Limit ? path.left(Limit) + QStringLiteral("...") : path);
}

Error unsafe(const QString &entry, const QString &why)
{
    return Error(ErrorKind::Unsafe, QStringLiteral("UnsafeEntry"),
                 QStringLiteral("archive entry \"%1\" is unsafe: %2").arg(entryName(entry), why));
}

Error conflict(const QString &entry, const QString &why)
{
    return Error(ErrorKind::Corrupt, QStringLiteral("CorruptArchive"),
                 QStringLiteral("archive entry \"%1\" %2").arg(entryName(entry), why));
}

QString join(const QString &parent, const QString &name)
{
    return parent.isEmpty() ? name : parent + u'/' + name;
}

// The first mount point at `path` or below it, from /proc/self/mountinfo (bind mounts of the same
// file system included, which st_dev cannot tell); empty when there is none.
QString mountPointAtOrBelow(const QByteArray &path)
{
    char *resolved = realpath(path.constData(), nullptr);
    if (resolved == nullptr)
        return QString();
    const QByteArray canonical(resolved);
    free(resolved);  // NOLINT(cppcoreguidelines-no-malloc): realpath() allocates with malloc

    QFile mountinfo(QStringLiteral("/proc/self/mountinfo"));
    if (!mountinfo.open(QIODevice::ReadOnly))
        return QString();
    for (const QByteArray &line : mountinfo.readAll().split('\n')) {
        const QList<QByteArray> fields = line.split(' ');
        if (fields.size() < 5)
            continue;
        // The mount point is field 5, with space, tab, newline and backslash written as \ooo.
        const QByteArray &field = fields.at(4);
        QByteArray point;
        for (qsizetype i = 0; i < field.size(); ++i) {
            bool octal = false;
            const int code = field[i] == '\\' ? field.mid(i + 1, 3).toInt(&octal, 8) : 0;
            if (octal && field.mid(i + 1, 3).size() == 3) {
                point += char(code);
                i += 3;
            } else {
                point += field[i];
            }
        }
        if (point == canonical || point.startsWith(canonical + '/'))
            return fsNameFromBytes(point);
    }
    return QString();
}

// A cache may come from another repository's build, and CI restores as root: setuid and setgid
// bits would hand out its privileges, so they are never restored, nor the sticky bit on files
// (sticky directories, shared scratch folders, keep it).
quint32 safeMode(quint32 mode, TreeEntry::Type type)
{
    return mode & (type == TreeEntry::Directory ? 01777 : 0777);
}

bool setTimes(const QString &path, qint64 mtime, qint32 nsec)
{
    const struct timespec times[2] = {{0, UTIME_OMIT}, {time_t(mtime), long(nsec)}};
    return utimensat(AT_FDCWD, fsPath(path).constData(), times, AT_SYMLINK_NOFOLLOW) == 0;
}

class Extraction
{
public:
    Extraction(const ExtractOptions &options, ArchiveStats &stats, ContentState &restoredFiles,
               QList<TarLayoutEntry> &layout, const Cancellation *cancel, const ProgressCallback &progress,
               WarningSink *warnings)
        : m_options(options), m_stats(stats), m_restoredFiles(restoredFiles), m_layout(layout), m_cancel(cancel),
          m_progress(progress), m_warnings(warnings)
    {
    }

    ~Extraction()
    {
        if (m_keepStaging)
            return;
        for (const QString &dir : std::as_const(m_deviceStagings)) {
            if (!removeTree(fsPath(dir)))
                reportWarning(m_warnings, QStringLiteral("could not remove the staging directory %1").arg(dir));
        }
        if (!m_stagingRoot.isEmpty() && !removeTree(fsPath(m_stagingRoot)))
            reportWarning(m_warnings, QStringLiteral("could not remove the staging directory %1").arg(m_stagingRoot));
    }

    Error run(QIODevice *source, const QString &workspace)
    {
        if (Error e = prepare(workspace))
            return e;
        if (Error e = extractAll(source))
            return e.kind() == ErrorKind::Cancelled ? cancelledError() : e;
        if (cancelled())
            return cancelledError();
        Error e = merge(QString(), m_stagingDevice);
        if (!e)
            e = applyDirectoryAttributes();
        if (!e && !m_journal.write({MergeStep::Committed}))
            e = ioError(QStringLiteral("write the journal in"), m_stagingRoot, errno);
        if (e) {
            if (!rollBackSteps(m_journal.steps(), m_warnings).isEmpty()) {
                m_keepStaging = true;
                reportWarning(m_warnings, QStringLiteral("the replaced originals are kept in %1").arg(m_stagingRoot));
            }
            m_restoredFiles = {};
            m_layout.clear();
            return e;
        }
        if (m_duplicates > DuplicatesShown)
            reportWarning(m_warnings, QStringLiteral("in all, %1 entries of the cache repeated a name restored before").arg(m_duplicates));
        if (m_ownerFailures > 0)
            reportWarning(m_warnings, QStringLiteral("%1 restored entries could not be given to the workspace's owner %2:%3 "
                                                     "(%4): they belong to root")
                                          .arg(QString::number(m_ownerFailures), QString::number(m_owner->first),
                                               QString::number(m_owner->second),
                                               QString::fromLocal8Bit(strerror(m_ownerErrno))));
        if (m_stats.modesStripped > 0) {
            reportWarning(m_warnings, QStringLiteral("%1 entries of the cache had setuid, setgid or sticky bits: restored without "
                                     "them (a cache never grants privileges)")
                          .arg(m_stats.modesStripped));
        }
        return {};
    }

private:
    struct DirectoryAttributes
    {
        quint32 mode;
        qint64 mtime;
        qint32 nsec;
    };
    // Where entries are staged on one file system: the extraction's own staging directory, or one
    // made inside a mount point of another file system (rename() cannot cross them).
    struct Staging
    {
        QString tree;
        QString aside;
    };

    bool cancelled() const { return m_cancel && m_cancel->isCancelled(); }
    // Gives a created entry to the workspace's owner (ExtractOptions::ownerFromWorkspace); a
    // failure (NFS with root squashing) is counted and reported once, never fatal.
    void own(const QByteArray &path)
    {
        if (m_owner && lchown(path.constData(), m_owner->first, m_owner->second) != 0)
            ownerFailed(errno);
    }
    void ownerFailed(int errnum)
    {
        ++m_ownerFailures;
        m_ownerErrno = errnum;
    }
    QString staged(const QString &rel) const { return rel.isEmpty() ? m_tree : m_tree + u'/' + rel; }
    QString target(const QString &rel) const { return m_workspace + u'/' + rel; }

    Error prepare(const QString &workspace)
    {
        const QByteArray canonical = fsPath(QDir(workspace).canonicalPath());
        struct stat st;
        if (canonical.isEmpty() || stat(canonical.constData(), &st) != 0 || !S_ISDIR(st.st_mode))
            return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidWorkspace"),
                         QStringLiteral("workspace %1 is not a directory").arg(workspace));
        m_workspace = fsNameFromBytes(canonical);
        if (m_options.ownerFromWorkspace && geteuid() == 0 && (st.st_uid != 0 || st.st_gid != 0))
            m_owner = {st.st_uid, st.st_gid};
        QByteArray pattern = fsPath(m_workspace + u'/' + stagingPrefix() + QStringLiteral("XXXXXX"));
        if (!mkdtemp(pattern.data()))
            return ioError(QStringLiteral("create a staging directory in"), m_workspace, errno);
        m_stagingRoot = fsNameFromBytes(pattern);
        m_tree = m_stagingRoot + QStringLiteral("/tree");
        for (const QString &dir : {m_tree, m_stagingRoot + QStringLiteral("/replaced")}) {
            if (mkdir(fsPath(dir).constData(), 0700) != 0)
                return ioError(QStringLiteral("create"), dir, errno);
        }
        if (!m_journal.open(m_stagingRoot + QStringLiteral("/journal")))
            return ioError(QStringLiteral("create the journal in"), m_stagingRoot, errno);
        struct stat staging;
        if (lstat(pattern.constData(), &staging) != 0)
            return ioError(QStringLiteral("inspect"), m_stagingRoot, errno);
        m_stagingDevice = staging.st_dev;
        m_stagings.insert(m_stagingDevice, {m_tree, m_stagingRoot + QStringLiteral("/replaced")});
        return {};
    }

    Error extractAll(QIODevice *source)
    {
        ArchiveReader reader(source, m_cancel, m_options.requireDigest);
        reader.setRecordLayout(m_options.recordLayout);
        ArchiveReader::Entry entry;
        qint64 entries = 0;
        for (;;) {
            if (cancelled())
                return cancelledError();
            const Result<bool> more = reader.next(&entry);
            if (!more.ok())
                return more.error();
            recordLayoutEntry(reader);
            if (!*more) {
                if (reader.digestVerified())
                    --m_stats.entries;  // the copy of a directory that follows the digest
                m_stats.digestVerified = reader.digestVerified();
                m_stats.bytesOut = reader.bytesRead();
                if (!m_layoutComplete)
                    m_layout.clear();
                return applyZipCentralDirectory(reader.zipCentralDirectory());
            }
            if (m_options.recordLayout)
                m_pendingContent = EntryContent{entry.info.type == TreeEntry::File ? EntryContent::Unknown : EntryContent::None};
            m_stats.format = reader.formatName();
            if (++entries > m_options.maxEntries)
                return Error(ErrorKind::Unsafe, QStringLiteral("TooManyEntries"),
                             QStringLiteral("archive has more than %1 entries").arg(m_options.maxEntries));
            if (entry.special) {
                if (m_options.recordLayout)
                    m_pendingContent = EntryContent{EntryContent::Unknown};  // never the same bytes as a rebuild's
                reportWarning(m_warnings, QStringLiteral("archive entry \"%1\" is a device, fifo or socket: not restored").arg(entryName(entry.info.path)));
                continue;
            }
            if (Error e = extractEntry(reader, entry))
                return e;
            m_stats.bytesOut = reader.bytesRead();
        }
    }

    // recordLayout: the entry the reader has just finished (the one before the entry next() gave),
    // with the identity of a plain one whose content was written whole, so that only one entry's
    // details are held at a time.
    void recordLayoutEntry(ArchiveReader &reader)
    {
        if (!m_options.recordLayout)
            return;
        const std::optional<ArchiveReader::LayoutEntry> l = reader.takeFinishedLayoutEntry();
        if (!m_pendingContent && !l)
            return;  // after the first entry: nothing is finished yet
        if (!m_pendingContent || !l) {
            m_layoutComplete = false;  // an entry without a layout (a zip's, say): no layout at all
            return;
        }
        TarLayoutEntry e{std::nullopt, l->offset, l->length};
        if (l->header && m_pendingContent->kind != EntryContent::Unknown)
            e.identity = tarEntryIdentity(*l->header, m_pendingContent->kind == EntryContent::Known
                                                          ? digestHex(m_pendingContent->digest) : QByteArray());
        m_layout << e;
        m_pendingContent.reset();
    }

    // Zips written without libarchive's "xl" field (Info-ZIP, Python) give types and modes only
    // in their central directory, at the end: a symbolic link was staged as a file holding its
    // target, a script without its x bit. Only files this extraction staged are changed, and only
    // into links or to safe modes, so no check made on the way is undone (nothing was staged
    // below a path that was a file).
    Error applyZipCentralDirectory(const std::optional<QList<ZipCentralEntry>> &directory)
    {
        if (!directory) {
            reportWarning(m_warnings, QStringLiteral("the zip's central directory is larger than %1 MiB: types and modes come from its "
                                     "local headers only (without an \"xl\" field, symbolic links restore as files)")
                          .arg(ArchiveReader::ZipCentralDirectoryLimit >> 20));
            return {};
        }
        for (const ZipCentralEntry &e : *directory) {
            const quint32 type = e.mode & S_IFMT;
            const Result<QString> checked = checkedPath(fsNameFromBytes(e.name), fsNameFromBytes(e.name));
            if (type == 0 || !checked.ok() || checked->isEmpty())
                continue;
            const QString &path = *checked;
            if (type == S_IFDIR) {
                const auto it = m_directories.find(path);
                if (it != m_directories.end())
                    it->mode = safeMode(e.mode & 07777, TreeEntry::Directory);
                continue;
            }
            if (!isStagedFile(path))
                continue;
            const QByteArray out = fsPath(staged(path));
            if (type == S_IFREG) {
                if (chmod(out.constData(), safeMode(e.mode & 07777, TreeEntry::File)) != 0)
                    return ioError(QStringLiteral("set the mode of"), staged(path), errno);
            } else if (type == S_IFLNK) {
                if (Error error = turnIntoSymlink(path, out))
                    return error;
            }
        }
        return {};
    }

    Error turnIntoSymlink(const QString &path, const QByteArray &out)
    {
        struct stat st;
        const int fd = open(out.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0 || fstat(fd, &st) != 0) {
            const int errnum = errno;
            if (fd >= 0)
                close(fd);
            return ioError(QStringLiteral("read"), staged(path), errnum);
        }
        QByteArray target(qsizetype(std::min<off_t>(st.st_size, PATH_MAX)), '\0');
        const ssize_t n = read(fd, target.data(), size_t(target.size()));
        close(fd);
        if (n != st.st_size || target.isEmpty() || target.contains('\0'))
            return conflict(path, QStringLiteral("is a symbolic link in the zip's central directory, but its data is no link target"));
        if (unlink(out.constData()) != 0 || symlink(target.constData(), out.constData()) != 0)
            return ioError(QStringLiteral("create the symbolic link"), staged(path), errno);
        own(out);
        if (!setTimes(staged(path), st.st_mtim.tv_sec, qint32(st.st_mtim.tv_nsec)))
            return ioError(QStringLiteral("set the time of"), staged(path), errno);
        m_staged.insert(path, TreeEntry::Symlink);
        m_restoredFiles.remove(fsPath(path));
        --m_stats.files;
        return {};
    }

    // The entry's path relative to the workspace, or an error naming it.
    Result<QString> checkedPath(const QString &stored, const QString &entry) const
    {
        if (stored.startsWith(u'/'))
            return unsafe(entry, QStringLiteral("absolute path"));
        QStringList parts;
        for (const QString &part : stored.split(u'/', Qt::SkipEmptyParts)) {
            if (part == u"..")
                return unsafe(entry, QStringLiteral("path contains \"..\""));
            if (part != u".")
                parts << part;
        }
        if (parts.size() > m_options.maxPathDepth)
            return unsafe(entry, QStringLiteral("path is %1 levels deep (limit %2)").arg(parts.size()).arg(m_options.maxPathDepth));
        const QString path = parts.join(u'/');
        const qsizetype length = fsPath(path).size();
        if (length > m_options.maxPathLength)
            return unsafe(entry, QStringLiteral("path is %1 bytes long (limit %2)").arg(length).arg(m_options.maxPathLength));
        if (!parts.isEmpty() && parts.first().startsWith(reservedPrefix()))
            return unsafe(entry, QStringLiteral("names starting with %1 are reserved for s3cache's own files").arg(reservedPrefix()));
        return path;
    }

    // No parent of `path` may be a symbolic link, neither from this archive nor in the workspace.
    Error checkParents(const QString &path, const QString &entry)
    {
        const QStringList parts = path.split(u'/');
        QString prefix;
        for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
            prefix = join(prefix, parts.at(i));
            if (m_staged.value(prefix, TreeEntry::Directory) == TreeEntry::Symlink)
                return unsafe(entry, QStringLiteral("\"%1\" is a symbolic link in this archive").arg(prefix));
            if (!m_diskChecked.contains(prefix)) {
                struct stat st;
                if (lstat(fsPath(target(prefix)).constData(), &st) == 0 && S_ISLNK(st.st_mode))
                    return unsafe(entry, QStringLiteral("\"%1\" is a symbolic link in the workspace").arg(prefix));
                m_diskChecked.insert(prefix);
            }
        }
        return {};
    }

    // Creates the missing parents of `path` in the staging tree and frees `path` itself for an
    // entry of type `incoming` when the archive made it a directory or a symbolic link earlier (a
    // file in the way is replaced by createReplacing(), as tar does).
    Error prepareSlot(const QString &path, TreeEntry::Type incoming, const QString &entry, bool *exists)
    {
        const QStringList parts = path.split(u'/');
        QString prefix;
        for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
            prefix = join(prefix, parts.at(i));
            if (m_staged.contains(prefix))
                continue;  // a directory: checkParents() refused symbolic links
            if (mkdir(fsPath(staged(prefix)).constData(), 0777) != 0) {
                if (errno == EEXIST)
                    return conflict(entry, QStringLiteral("needs \"%1\" to be a directory, but the archive made it a file").arg(prefix));
                return ioError(QStringLiteral("create"), staged(prefix), errno);
            }
            own(fsPath(staged(prefix)));
            m_staged.insert(prefix, TreeEntry::Directory);
        }
        *exists = false;
        const auto it = m_staged.constFind(path);
        if (it == m_staged.constEnd())
            return {};
        if (*it == TreeEntry::Directory) {
            if (incoming != TreeEntry::Directory)
                return conflict(entry, QStringLiteral("replaces a directory that the archive created earlier"));
            *exists = true;
            return {};
        }
        if (unlink(fsPath(staged(path)).constData()) != 0)
            return ioError(QStringLiteral("replace"), staged(path), errno);
        m_staged.remove(path);
        noteDuplicate(entry);
        return {};
    }

    // Runs `create` (true on success, else errno set); when a file extracted earlier holds the
    // name, replaces it, as tar does, and runs `create` again.
    template<typename Create>
    bool createReplacing(const QByteArray &out, const QString &entry, const Create &create)
    {
        if (create())
            return true;
        if (errno != EEXIST || unlink(out.constData()) != 0)
            return false;
        noteDuplicate(entry);
        return create();
    }

    // A second entry for a path this archive already wrote replaces the first, as tar does, but
    // not silently: an archiver that normalised names (NFC, or invalid UTF-8 to U+FFFD) may have
    // made two files one name.
    void noteDuplicate(const QString &entry)
    {
        if (++m_duplicates <= DuplicatesShown) {
            reportWarning(m_warnings, QStringLiteral("archive entry \"%1\" appears more than once: the last one is restored (did the "
                                     "archiver rewrite names that differ only in their bytes?)")
                          .arg(entryName(entry)));
        }
    }

    // Whether `rel` is a regular file that this extraction wrote: its parents are directories it
    // created (so the lookup follows no symbolic link) and it is not a directory or link.
    bool isStagedFile(const QString &rel) const
    {
        const QStringList parts = rel.split(u'/');
        QString prefix;
        for (qsizetype i = 0; i + 1 < parts.size(); ++i) {
            prefix = join(prefix, parts.at(i));
            if (m_staged.value(prefix, TreeEntry::Symlink) != TreeEntry::Directory)
                return false;
        }
        struct stat st;
        return !m_staged.contains(rel) && lstat(fsPath(staged(rel)).constData(), &st) == 0 && S_ISREG(st.st_mode);
    }

    Error extractEntry(ArchiveReader &reader, const ArchiveReader::Entry &entry)
    {
        const ArchiveEntryInfo &info = entry.info;
        if (info.mode != safeMode(info.mode, info.type) && info.type != TreeEntry::Symlink)
            ++m_stats.modesStripped;
        const Result<QString> checked = checkedPath(info.path, info.path);
        if (!checked.ok())
            return checked.error();
        const QString &path = *checked;
        if (path.isEmpty()) {
            if (info.type == TreeEntry::Directory)
                return reader.skipData();  // "./": the workspace itself
            return unsafe(info.path, QStringLiteral("empty name"));
        }
        if (Error e = checkParents(path, info.path))
            return e;

        QString linkSource;
        if (info.type == TreeEntry::Hardlink) {
            const Result<QString> linkTarget = checkedPath(info.linkTarget, info.path);
            if (!linkTarget.ok() || linkTarget->isEmpty() || *linkTarget == path || !isStagedFile(*linkTarget))
                return unsafe(info.path, QStringLiteral("hard link to \"%1\", which is not a file extracted earlier from this archive")
                                             .arg(entryName(info.linkTarget)));
            linkSource = staged(*linkTarget);
        }
        // The budget counts what the restore puts on disk: every entry's inode and the apparent size
        // of files (a sparse file's holes too), so neither empty files nor holes get past it.
        m_totalBytes += EntryOverhead + (info.type == TreeEntry::File ? info.size : 0);
        if (m_options.maxTotalBytes > 0 && m_totalBytes > m_options.maxTotalBytes)
            return tooLarge(info.path, m_totalBytes);
        bool exists = false;
        if (Error e = prepareSlot(path, info.type, info.path, &exists))
            return e;
        const QString out = staged(path);
        const QByteArray outPath = fsPath(out);

        if (info.type != TreeEntry::File)
            m_restoredFiles.remove(fsPath(path));  // whatever an earlier entry of that name was
        switch (info.type) {
        case TreeEntry::Directory:
            if (!exists && !createReplacing(outPath, info.path, [&] { return mkdir(outPath.constData(), 0700) == 0; }))
                return ioError(QStringLiteral("create"), out, errno);
            if (!exists)
                own(outPath);
            m_staged.insert(path, TreeEntry::Directory);
            m_directories.insert(path, {safeMode(info.mode, info.type), info.mtime, entry.mtimeNsec});
            break;
        case TreeEntry::Symlink:
            if (info.linkTarget.isEmpty())
                return conflict(info.path, QStringLiteral("is a symbolic link without a target"));
            if (!createReplacing(outPath, info.path, [&] { return symlink(fsPath(info.linkTarget).constData(), outPath.constData()) == 0; }))
                return ioError(QStringLiteral("create the symbolic link"), out, errno);
            own(outPath);
            m_staged.insert(path, TreeEntry::Symlink);
            if (!setTimes(out, info.mtime, entry.mtimeNsec))
                return ioError(QStringLiteral("set the time of"), out, errno);
            break;
        case TreeEntry::Hardlink:
            if (!createReplacing(outPath, info.path, [&] { return link(fsPath(linkSource).constData(), outPath.constData()) == 0; }))
                return ioError(QStringLiteral("create the hard link"), out, errno);
            break;
        case TreeEntry::File:
            if (Error e = writeFile(reader, entry, out, fsPath(path)))
                return e;
            ++m_stats.files;
            break;
        }
        ++m_stats.entries;
        return {};
    }

    static constexpr qint64 EntryOverhead = 512;  // what a tar header takes, about an inode's cost

    Error tooLarge(const QString &entry, qint64 bytes) const
    {
        return Error(ErrorKind::Unsafe, QStringLiteral("ArchiveTooLarge"),
                     QStringLiteral("archive is too large: entry \"%1\" brings it to %2 bytes (file sizes, holes "
                                    "included, and 512 bytes an entry), over the limit of %3 bytes")
                         .arg(entryName(entry), QString::number(bytes), QString::number(m_options.maxTotalBytes)));
    }

    Error writeFile(ArchiveReader &reader, const ArchiveReader::Entry &entry, const QString &out, const QByteArray &rel)
    {
        ContentDigest digest;
        bool contiguous = true;  // no holes: the digest covers every byte
        const QByteArray outPath = fsPath(out);
        int fd = -1;
        if (!createReplacing(outPath, entry.info.path, [&] { return (fd = open(outPath.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0; }))
            return ioError(QStringLiteral("create"), out, errno);
        qint64 end = 0;
        qint64 counted = entry.info.size;  // zip entries may not declare their size up front
        Error error = reader.readData([&](const char *data, size_t size, qint64 offset) -> Error {
            if (cancelled())
                return cancelledError();
            if (offset + qint64(size) > counted) {
                m_totalBytes += offset + qint64(size) - counted;
                counted = offset + qint64(size);
                if (m_options.maxTotalBytes > 0 && m_totalBytes > m_options.maxTotalBytes)
                    return tooLarge(entry.info.path, m_totalBytes);
            }
            for (size_t done = 0; done < size;) {
                const ssize_t n = pwrite(fd, data + done, size - done, off_t(offset + qint64(done)));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0)
                    return ioError(QStringLiteral("write"), out, errno);
                done += size_t(n);
            }
            contiguous = contiguous && offset == end;
            digest.addData(data, qint64(size));
            end = std::max(end, offset + qint64(size));
            m_stats.bytesIn += qint64(size);
            if (m_progress)
                m_progress(m_stats.bytesIn, -1);
            return {};
        });
        if (!error && entry.info.size > end && ftruncate(fd, off_t(entry.info.size)) != 0)
            error = ioError(QStringLiteral("extend"), out, errno);
        if (!error && m_owner && fchown(fd, m_owner->first, m_owner->second) != 0)
            ownerFailed(errno);
        if (!error && fchmod(fd, safeMode(entry.info.mode, entry.info.type)) != 0)
            error = ioError(QStringLiteral("set the mode of"), out, errno);
        const struct timespec times[2] = {{0, UTIME_OMIT}, {time_t(entry.info.mtime), long(entry.mtimeNsec)}};
        if (!error && futimens(fd, times) != 0)
            error = ioError(QStringLiteral("set the time of"), out, errno);
        if (close(fd) != 0 && !error)
            error = ioError(QStringLiteral("write"), out, errno);
        if (contiguous && end == entry.info.size) {
            m_restoredFiles.insert(rel, FileStamp{}, digest.digest());  // stamped by the caller
            if (m_options.recordLayout)
                m_pendingContent = EntryContent{EntryContent::Known, digest.digest()};
        } else
            m_restoredFiles.remove(rel);
        return error;
    }

    // The staging area on the file system `device`, made in `directory` (which is on it) when
    // there is none yet.
    Result<Staging> stagingOn(dev_t device, const QString &directory)
    {
        if (const auto it = m_stagings.constFind(device); it != m_stagings.constEnd())
            return *it;
        QByteArray pattern = fsPath(directory + u'/' + stagingPrefix() + QStringLiteral("XXXXXX"));
        if (!mkdtemp(pattern.data()))
            return ioError(QStringLiteral("create a staging directory in"), directory, errno);
        const QString dir = fsNameFromBytes(pattern);
        m_deviceStagings << dir;
        if (!m_journal.write({MergeStep::Staging, dir}))
            return ioError(QStringLiteral("write the journal in"), m_stagingRoot, errno);
        const Staging staging{dir + QStringLiteral("/tree"), dir + QStringLiteral("/replaced")};
        for (const QString &sub : {staging.tree, staging.aside}) {
            if (mkdir(fsPath(sub).constData(), 0700) != 0)
                return ioError(QStringLiteral("create"), sub, errno);
        }
        m_stagings.insert(device, staging);
        return staging;
    }

    // Moves the staged children of `rel` (a directory on the file system `device`) into the
    // workspace (see the header for the rules). Each step is written to the journal first.
    Error merge(const QString &rel, dev_t device)
    {
        int errnum = 0;
        const QList<QByteArray> names = directoryNames(fsPath(staged(rel)), &errnum);
        if (errnum != 0)
            return ioError(QStringLiteral("read"), staged(rel), errnum);
        for (const QByteArray &name : names) {
            if (cancelled())
                return cancelledError();
            const QString child = join(rel, fsNameFromBytes(name));
            QString from = staged(child);
            const QByteArray to = fsPath(target(child));
            struct stat source, existing;
            if (lstat(fsPath(from).constData(), &source) != 0)
                return ioError(QStringLiteral("inspect"), from, errno);
            Result<Staging> staging = stagingOn(device, rel.isEmpty() ? m_workspace : target(rel));
            if (!staging.ok())
                return staging.error();
            if (lstat(to.constData(), &existing) != 0) {
                if (errno != ENOENT)
                    return ioError(QStringLiteral("inspect"), target(child), errno);
            } else if (S_ISDIR(source.st_mode) && S_ISDIR(existing.st_mode)) {
                if (!m_journal.write({MergeStep::Merged, target(child), QString(), existing.st_mode & 07777, existing.st_atim, existing.st_mtim}))
                    return ioError(QStringLiteral("write the journal in"), m_stagingRoot, errno);
                // A read-only directory (Go's module cache is 0555, some caches hold 0000 ones)
                // is opened up while merging; applyDirectoryAttributes() or the journal close it.
                if ((existing.st_mode & S_IRWXU) != S_IRWXU) {
                    if (chmod(to.constData(), (existing.st_mode & 07777) | S_IRWXU) != 0)
                        return ioError(QStringLiteral("merge into"), target(child), errno);
                    m_openedUp.insert(child, existing.st_mode & 07777);
                }
                if (Error e = merge(child, existing.st_dev))
                    return e;
                continue;
            } else {
                if (S_ISDIR(existing.st_mode)) {
                    if (const QString mount = mountPointAtOrBelow(to); !mount.isEmpty())
                        return Error(ErrorKind::Io, QStringLiteral("MountPointInTheWay"),
                                     QStringLiteral("the cache has a %1 where the workspace has the directory %2, "
                                                    "which holds the mount point %3: a restore never replaces a "
                                                    "directory with a file system mounted in it (unmount it, or "
                                                    "leave it out of the cache)")
                                         .arg(S_ISLNK(source.st_mode) ? QStringLiteral("symbolic link") : QStringLiteral("file"),
                                              target(child), mount));
                }
                const QString aside = staging->aside + u'/' + QString::number(++m_moves);
                if (!m_journal.write({MergeStep::Aside, target(child), aside, existing.st_mode & 07777}))
                    return ioError(QStringLiteral("write the journal in"), m_stagingRoot, errno);
                // Moving a directory to another parent rewrites its "..": it must be writable.
                if (S_ISDIR(existing.st_mode) && (existing.st_mode & S_IWUSR) == 0)
                    chmod(to.constData(), (existing.st_mode & 07777) | S_IWUSR);
                if (rename(to.constData(), fsPath(aside).constData()) != 0)
                    return ioError(QStringLiteral("move aside"), target(child), errno);
            }
            if (device != m_stagingDevice) {
                // Another file system (a volume mounted inside the workspace): copied next to the
                // target first, so that moving it into place stays one rename.
                const QString copy = staging->tree + u'/' + QString::number(++m_moves);
                if (Error e = copyTree(from, copy, target(child)))
                    return e;
                from = copy;
            }
            if (!m_journal.write({MergeStep::In, target(child), from}))
                return ioError(QStringLiteral("write the journal in"), m_stagingRoot, errno);
            if (rename(fsPath(from).constData(), to.constData()) != 0)
                return ioError(QStringLiteral("move into place"), target(child), errno);
            if (m_progress)
                m_progress(m_stats.bytesIn, -1);
        }
        return {};
    }

    // Copies a staged tree to another file system, keeping modes, times, symbolic links and the
    // hard links inside it.
    Error copyTree(const QString &from, const QString &to, const QString &final)
    {
        struct stat st;
        const QByteArray src = fsPath(from), dst = fsPath(to);
        if (lstat(src.constData(), &st) != 0)
            return ioError(QStringLiteral("inspect"), from, errno);
        const struct timespec times[2] = {st.st_atim, st.st_mtim};
        if (S_ISDIR(st.st_mode)) {
            if (mkdir(dst.constData(), 0700) != 0)
                return ioError(QStringLiteral("create"), to, errno);
            int errnum = 0;
            for (const QByteArray &name : directoryNames(src, &errnum)) {
                if (cancelled())
                    return cancelledError();
                const QString child = u'/' + fsNameFromBytes(name);
                if (Error e = copyTree(from + child, to + child, final + child))
                    return e;
            }
            if (errnum != 0)
                return ioError(QStringLiteral("read"), from, errnum);
            if (chmod(dst.constData(), st.st_mode & 07777) != 0)
                return ioError(QStringLiteral("set the mode of"), to, errno);
        } else if (S_ISLNK(st.st_mode)) {
            QByteArray link(qsizetype(st.st_size) + 1, Qt::Uninitialized);
            const ssize_t n = readlink(src.constData(), link.data(), size_t(link.size()));
            if (n < 0)
                return ioError(QStringLiteral("read the symbolic link"), from, errno);
            link.truncate(n);
            if (symlink(link.constData(), dst.constData()) != 0)
                return ioError(QStringLiteral("create the symbolic link"), to, errno);
        } else if (const auto first = m_copied.constFind({quint64(st.st_dev), quint64(st.st_ino)}); first != m_copied.constEnd()) {
            // The first link is still where it was copied, or already moved into place.
            if (link(fsPath(first->first).constData(), dst.constData()) != 0
                && (errno != ENOENT || link(fsPath(first->second).constData(), dst.constData()) != 0))
                return ioError(QStringLiteral("create the hard link"), to, errno);
            return {};
        } else {
            const int in = open(src.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            const int out = in < 0 ? -1 : open(dst.constData(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
            const int openErrno = errno;
            const auto closeBoth = qScopeGuard([&] {
                if (in >= 0)
                    close(in);
                if (out >= 0)
                    close(out);
            });
            if (out < 0)
                return ioError(QStringLiteral("copy"), in < 0 ? from : to, openErrno);
            QByteArray buffer;  // for file systems that copy_file_range() cannot join (EXDEV)
            for (;;) {
                if (cancelled())
                    return cancelledError();
                ssize_t n = buffer.isEmpty() ? copy_file_range(in, nullptr, out, nullptr, ArchiveBlockSize, 0) : 0;
                if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) {
                    buffer.resize(ArchiveBlockSize);
                } else if (n < 0 && errno != EINTR) {
                    return ioError(QStringLiteral("copy"), to, errno);
                } else if (n == 0 && buffer.isEmpty()) {
                    break;
                }
                if (buffer.isEmpty())
                    continue;
                n = read(in, buffer.data(), size_t(buffer.size()));
                if (n < 0 && errno == EINTR)
                    continue;
                if (n < 0)
                    return ioError(QStringLiteral("copy"), from, errno);
                if (n == 0)
                    break;
                for (ssize_t done = 0; done < n;) {
                    const ssize_t w = write(out, buffer.constData() + done, size_t(n - done));
                    if (w < 0 && errno != EINTR)
                        return ioError(QStringLiteral("copy"), to, errno);
                    done += std::max<ssize_t>(w, 0);
                }
            }
            if (fchmod(out, st.st_mode & 07777) != 0)
                return ioError(QStringLiteral("set the mode of"), to, errno);
            if (st.st_nlink > 1)
                m_copied.insert({quint64(st.st_dev), quint64(st.st_ino)}, {to, final});
        }
        own(dst);
        if (utimensat(AT_FDCWD, dst.constData(), times, AT_SYMLINK_NOFOLLOW) != 0)
            return ioError(QStringLiteral("set the time of"), to, errno);
        return {};
    }

    // Directory modes and mtimes from the archive, deepest first: moving children into a
    // directory changed its mtime, and a read-only parent must not block its children.
    Error applyDirectoryAttributes()
    {
        QStringList paths = m_directories.keys();
        std::sort(paths.begin(), paths.end(), [](const QString &a, const QString &b) { return a.count(u'/') > b.count(u'/'); });
        for (const QString &rel : paths) {
            if (cancelled())
                return cancelledError();
            const DirectoryAttributes &a = m_directories.value(rel);
            const QString path = target(rel);
            struct stat st;
            if (lstat(fsPath(path).constData(), &st) != 0)
                return ioError(QStringLiteral("set the attributes of"), path, errno);
            if (!S_ISDIR(st.st_mode))
                return ioError(QStringLiteral("set the attributes of"), path, ENOTDIR);
            if (chmod(fsPath(path).constData(), a.mode) != 0)
                return ioError(QStringLiteral("set the mode of"), path, errno);
            if (!setTimes(path, a.mtime, a.nsec))
                return ioError(QStringLiteral("set the time of"), path, errno);
        }
        for (auto it = m_openedUp.cbegin(); it != m_openedUp.cend(); ++it) {
            if (!m_directories.contains(it.key()) && chmod(fsPath(target(it.key())).constData(), it.value()) != 0)
                return ioError(QStringLiteral("set the mode of"), target(it.key()), errno);
        }
        return {};
    }

    const ExtractOptions &m_options;
    ArchiveStats &m_stats;
    ContentState &m_restoredFiles;  // each file written whole, with a null stamp (contentstate.h)
    QList<TarLayoutEntry> &m_layout;
    // recordLayout: what the data of the entry being extracted is, until the reader finishes its layout
    struct EntryContent
    {
        enum Kind : quint8 { None, Unknown, Known } kind;  // not a file / a file not written whole / the digest of the data written
        Digest digest{};
    };
    std::optional<EntryContent> m_pendingContent;
    bool m_layoutComplete = true;  // every entry got its layout
    const Cancellation *m_cancel;
    const ProgressCallback &m_progress;
    WarningSink *m_warnings;
    QString m_workspace;
    QString m_stagingRoot;
    QString m_tree;
    dev_t m_stagingDevice = 0;
    QHash<dev_t, Staging> m_stagings;
    QStringList m_deviceStagings;  // staging directories on other file systems
    MergeJournal m_journal;
    int m_moves = 0;
    QMap<QString, quint32> m_openedUp;  // workspace directories made writable to merge into, and their modes
    // copyTree(): files with several links, by inode: where copied, and where they end up
    QHash<QPair<quint64, quint64>, QPair<QString, QString>> m_copied;
    bool m_keepStaging = false;
    qint64 m_totalBytes = 0;
    // The directories and symbolic links of the staging tree (memory grows with directories, not
    // files: a file in the way is found when creating its replacement).
    QHash<QString, TreeEntry::Type> m_staged;
    static constexpr int DuplicatesShown = 5;
    int m_duplicates = 0;
    std::optional<std::pair<uid_t, gid_t>> m_owner;  // running as root: the workspace's owner
    qint64 m_ownerFailures = 0;
    int m_ownerErrno = 0;
    QSet<QString> m_diskChecked;               // workspace paths known not to be symbolic links
    QMap<QString, DirectoryAttributes> m_directories;
};

} // namespace

SafeExtractor::SafeExtractor(ExtractOptions options) : m_options(options)
{
}

Error SafeExtractor::extract(QIODevice *source, const QString &workspace, const Cancellation *cancel,
                             const ProgressCallback &progress, WarningSink *warnings)
{
    m_stats = ArchiveStats{};
    m_restoredFiles = {};
    m_layout.clear();
    if (!source || !source->isReadable())
        return Error(ErrorKind::Internal, QStringLiteral("SourceNotReadable"), QStringLiteral("the archive input is not open for reading"));
    recoverInterruptedRestores(workspace, warnings);
    Extraction extraction(m_options, m_stats, m_restoredFiles, m_layout, cancel, progress, warnings);
    return extraction.run(source, workspace);
}

} // namespace s3cache
