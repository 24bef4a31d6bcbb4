#pragma once
// TreeSnapshot: what a rebuild will archive, from one walk over the mounts (one lstat per entry).
// Its fingerprint decides whether the stored cache object already holds this tree.

#include "util/cancellation.h"
#include "util/result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace s3cache {

struct TreeEntry
{
    enum Type { File, Directory, Symlink, Hardlink };
    QString path;        // relative to the workspace, '/'-separated, as stored in the archive
    QString sourcePath;  // absolute path on disk
    Type type = File;
    qint64 size = 0;     // file bytes; 0 for directories and hard links, target length for symlinks
    qint64 mtime = 0;    // seconds since the epoch
    qint32 mtimeNsec = 0;
    quint32 mode = 0;    // permission bits (07777)
    QString linkTarget;  // symlink target, or for Hardlink the stored path of the first link
};

struct TreeSnapshot
{
    QString workspace;
    QList<TreeEntry> entries;  // deterministic order: mounts by stored path, then depth-first by name
    QStringList missingMounts; // mounts that do not exist (the caller warns and skips them)
    QStringList skipped;       // devices, fifos, sockets: workspace-relative paths
    qint64 totalFileBytes = 0;
    int fileCount = 0;

    // Hex SHA-256 over each entry's path, type, size, mtime (seconds), mode and link target;
    // never file contents.
    QByteArray fingerprint() const;
};

// Walks the mounts once. Refuses (ErrorKind::InvalidInput, naming the mount) absolute mounts and
// mounts that leave the workspace through ".." or pass through a symbolic link; nested and
// duplicate mounts are archived once. A directory mount keeps its workspace-relative path
// (a/b/dir -> a/b/dir/...); a file mount is stored by its base name unless preservePath is set
// (the Go plugin's behaviour). Symbolic links are recorded, never followed.
Result<TreeSnapshot> scanMounts(const QString &workspace, const QStringList &mounts, bool preservePath,
                                const Cancellation *cancel = nullptr);

} // namespace s3cache
