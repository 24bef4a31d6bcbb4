#pragma once
// TreeSnapshot: what a rebuild will archive, from one walk over the mounts (one fstatat per
// entry, relative to its directory), with the content digest of every regular file. Its
// fingerprint decides whether the stored cache object already holds this tree, so it covers
// contents, not only metadata: a file's digest comes from the workspace's ContentState when the
// file's lstat matches its record exactly (contentstate.h), else from reading the file.
//
// Memory: a rebuild keeps the snapshot for the whole upload, so entries are fixed-size records
// with every path in one byte arena (~110 bytes an entry with its path, against ~450 for QString
// members).

#include "contentstate.h"

#include "util/cancellation.h"
#include "util/result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QString>
#include <QStringList>

namespace s3cache {

// One entry of a snapshot. The views point into the snapshot: valid while it lives, unchanged.
struct TreeEntry
{
    enum Type : quint8 { File, Directory, Symlink, Hardlink };
    QByteArrayView path;        // relative to the workspace, '/'-separated, as stored in the archive
                                // (the file system's bytes: UTF-8 for the names archives carry)
    QByteArrayView source;      // relative to the workspace, where to read it (differs from path
                                // only for a file mount stored by its base name)
    QByteArrayView linkTarget;  // symlink target, or for Hardlink the stored path of the first link
    Type type = File;
    qint64 size = 0;            // file bytes; 0 for directories and hard links, target length for symlinks
    qint64 mtime = 0;           // seconds since the epoch
    qint32 mtimeNsec = 0;
    quint32 mode = 0;           // permission bits (07777)

    QString pathString() const { return QString::fromUtf8(path); }
};

class TreeSnapshot
{
public:
    QString workspace;
    QStringList missingMounts;  // mounts that do not exist, globs that match nothing (the caller warns)
    QStringList skipped;        // devices, fifos, sockets: workspace-relative paths
    QStringList unreadable;     // files and folders this user may not read: left out, like tar does
    qint64 totalFileBytes = 0;
    int fileCount = 0;
    // How the file digests were found: read and hashed now, or taken from the ContentState.
    int filesHashed = 0;
    qint64 bytesHashed = 0;
    int filesFromState = 0;
    bool stateChanged = false;  // the ContentState passed to scanMounts() was updated

    // Deterministic order: mounts by stored path, then depth-first by name (byte order).
    qsizetype size() const { return m_records.size(); }
    bool isEmpty() const { return m_records.isEmpty(); }
    TreeEntry at(qsizetype index) const;
    // workspace + '/' + source, encoded for open().
    QByteArray sourcePath(const TreeEntry &entry) const;

    // Hex SHA-256 over each entry's path, type, size, mtime (whole seconds: what every archive
    // format keeps, so a restored tree fingerprints like the archived one), mode, link target
    // and, for regular files, the content digest. A hard link's content is its first link's. A
    // file that could not be hashed consistently (it changed while being read, vanished, could
    // not be opened) gets a marker unique to this snapshot: its fingerprint matches nothing.
    QByteArray fingerprint() const;
    // The ContentDigest (hex) of a File entry, empty when it has none (see fingerprint()).
    QByteArray contentDigest(qsizetype index) const;

    // For the scanner: adds an entry (`linkTarget`: a symlink's target); a hard link names the
    // index of its first link instead, whose stored path becomes its link target.
    void append(QByteArrayView path, TreeEntry::Type type, qint64 size, qint64 mtime, qint32 mtimeNsec,
                quint32 mode, QByteArrayView linkTarget = {});
    // For the scanner: the lstat stamp of the File entry just appended, and its digest once known.
    // The stamps are only kept while the scan runs (scanMounts() drops them: 40 bytes an entry).
    void setStamp(qsizetype index, const FileStamp &stamp) { m_stamps[index] = stamp; }
    void setDigest(qsizetype index, const Digest &digest)
    {
        m_records[index].digest = digest;
        m_records[index].hasDigest = true;
    }
    const FileStamp &stamp(qsizetype index) const { return m_stamps.at(index); }
    void dropStamps() { m_stamps = {}; }
    void appendHardlink(QByteArrayView path, qsizetype firstLink, qint64 mtime, qint32 mtimeNsec, quint32 mode);
    void setSource(qsizetype index, const QByteArray &source) { m_sources.insert(index, source); }

private:
    struct Record
    {
        qsizetype pathOffset = 0;
        qsizetype linkOffset = 0;
        quint32 pathLength = 0;
        quint32 linkLength = 0;
        qint64 size = 0;
        qint64 mtime = 0;
        qint32 mtimeNsec = 0;
        quint16 mode = 0;
        TreeEntry::Type type = TreeEntry::File;
        bool hasDigest = false;
        Digest digest{};
    };
    qsizetype store(QByteArrayView bytes);

    QList<Record> m_records;
    QList<FileStamp> m_stamps;              // while scanning: File entries' lstat, by index
    QByteArray m_strings;                   // every path and link target, back to back
    QHash<qsizetype, QByteArray> m_sources; // the few entries whose source differs from path
    mutable QByteArray m_unhashedMarker;    // random, made once: see fingerprint()
};

// Walks the mounts once. `mounts` are paths, globs and '!' excludes, evaluated in order as
// util/pathglob.h's PathSelection says (later patterns win; an exclude also takes things out of
// an included folder). Refuses (ErrorKind::InvalidInput, naming the mount) absolute mounts and
// mounts that leave the workspace through ".." or pass through a symbolic link (for a glob: its
// literal folder, base()); nested and duplicate mounts are archived once. A glob is walked from
// its literal folder only, never into a symbolic link, and only into folders where something may
// be selected. A directory mount keeps its workspace-relative path (a/b/dir -> a/b/dir/...), as
// does everything a glob selects; a literal file mount is stored by its base name unless
// preservePath is set (the Go plugin's behaviour). Symbolic links are recorded, never followed.
//
// Then every regular file gets its content digest: from `state` when the file's lstat stamp
// matches its record exactly (nothing is read), else by reading it (in 1 MiB blocks, cancellable
// between blocks, on up to two threads). A file is read only through a descriptor whose fstat,
// before and after reading, equals the scan's lstat; otherwise it has no digest (see
// fingerprint()) and is not recorded. With `state`, on return it holds this scan's files (those
// hashed now only when settled, see contentstate.h) plus its earlier records of other paths that
// still exist; snapshot.stateChanged says whether that differs from what it held. Without
// `state`, every file is read.
Result<TreeSnapshot> scanMounts(const QString &workspace, const QStringList &mounts, bool preservePath,
                                const Cancellation *cancel = nullptr, ContentState *state = nullptr);

} // namespace s3cache
