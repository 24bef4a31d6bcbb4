#pragma once
// TreeSnapshot: what a rebuild will archive, from one walk over the mounts (one fstatat per
// entry, relative to its directory). Its fingerprint decides whether the stored cache object
// already holds this tree.
//
// Memory: a rebuild keeps the snapshot for the whole upload, so entries are fixed-size records
// with every path in one byte arena (~100 bytes an entry, against ~450 for QString members).

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
    QStringList missingMounts;  // mounts that do not exist (the caller warns and skips them)
    QStringList skipped;        // devices, fifos, sockets: workspace-relative paths
    qint64 totalFileBytes = 0;
    int fileCount = 0;

    // Deterministic order: mounts by stored path, then depth-first by name (byte order).
    qsizetype size() const { return m_records.size(); }
    bool isEmpty() const { return m_records.isEmpty(); }
    TreeEntry at(qsizetype index) const;
    // workspace + '/' + source, encoded for open().
    QByteArray sourcePath(const TreeEntry &entry) const;

    // Hex SHA-256 over each entry's path, type, size, mtime (seconds), mode and link target;
    // never file contents.
    QByteArray fingerprint() const;

    // For the scanner: adds an entry (`linkTarget`: a symlink's target); a hard link names the
    // index of its first link instead, whose stored path becomes its link target.
    void append(QByteArrayView path, TreeEntry::Type type, qint64 size, qint64 mtime, qint32 mtimeNsec,
                quint32 mode, QByteArrayView linkTarget = {});
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
    };
    qsizetype store(QByteArrayView bytes);

    QList<Record> m_records;
    QByteArray m_strings;                   // every path and link target, back to back
    QHash<qsizetype, QByteArray> m_sources; // the few entries whose source differs from path
};

// Walks the mounts once. Refuses (ErrorKind::InvalidInput, naming the mount) absolute mounts and
// mounts that leave the workspace through ".." or pass through a symbolic link; nested and
// duplicate mounts are archived once. A directory mount keeps its workspace-relative path
// (a/b/dir -> a/b/dir/...); a file mount is stored by its base name unless preservePath is set
// (the Go plugin's behaviour). Symbolic links are recorded, never followed.
Result<TreeSnapshot> scanMounts(const QString &workspace, const QStringList &mounts, bool preservePath,
                                const Cancellation *cancel = nullptr);

} // namespace s3cache
