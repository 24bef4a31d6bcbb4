#pragma once
// SafeExtractor: restores an archive stream into a workspace, all or nothing.
//
// Every entry is checked before anything is written for it: no absolute names, no "..", no path
// through a symbolic link (one from this archive or one already in the workspace), hard links
// only to regular files extracted earlier from this archive, caps on path depth and length, entry
// count and total size (a decompression bomb is refused). Symbolic links are restored as links,
// whatever their target, and never followed. Setuid and setgid bits are never restored, nor the
// sticky bit on files (a cache may come from another repository's build and CI restores as root),
// nor the owners stored in the archive (see ExtractOptions::ownerFromWorkspace).
//
// Entries are extracted into a staging directory inside the workspace (.s3cache-staging-XXXXXX),
// then moved into place: a new path is renamed whole; a directory that exists on both sides is
// merged (restoring app/node_modules never touches app/src); anything else that is in the way is
// replaced (cache wins), except a directory that holds a mount point: that restore is refused,
// and nothing is ever removed across a file-system boundary. Replaced originals stay in the
// staging directory until the end, so any failure or cancellation rolls the workspace back
// exactly, and every step is written to a journal first, so that a restore killed at any instant
// is rolled back by the next run (mergejournal.h). Read-only directories of the workspace are
// opened up while merging into them and closed again; a folder on another file system (a volume
// mounted in the workspace) gets its own staging directory there. Directory modes and mtimes are applied
// last, so that scanning the restored tree gives the fingerprint of the tree that was archived.

#include "archiveformat.h"
#include "archivewriter.h"
#include "contentstate.h"

#include "util/cancellation.h"
#include "util/error.h"
#include "util/warnings.h"

#include <QByteArray>

class QIODevice;

namespace s3cache {

struct ExtractOptions
{
    // Apparent file sizes (holes included) + 512 bytes an entry; 0 = unlimited; beyond ->
    // ErrorKind::Unsafe "ArchiveTooLarge"
    qint64 maxTotalBytes = 0;
    qint64 maxEntries = 10'000'000;
    int maxPathDepth = 256;
    int maxPathLength = 4096;  // bytes (UTF-8)
    bool requireDigest = false;  // the writer recorded a digest (metadata says so): refuse an archive without it
    // Running as root: every entry the restore creates takes the owner and group of the workspace
    // directory (a container restoring as root into a uid-1000 workspace must leave files that
    // user's build can change). Directories that existed are left as they are. Off, or not root:
    // entries belong to the restoring user. Owners stored in the archive are never used.
    bool ownerFromWorkspace = false;
    // Record where each entry of a tar lies in the stream and its identity (layout()).
    bool recordLayout = false;
};

// Rolls back every restore into `workspace` that was killed half-way (kill -9, power loss: its
// journal says what it moved) and removes its staging directories; those of a restore running
// right now are left alone. Each recovery is logged as a warning. extract() calls it first; a
// rebuild calls it before scanning, so that it never archives a half-restored tree.
void recoverInterruptedRestores(const QString &workspace, WarningSink *warnings = nullptr);

class SafeExtractor
{
public:
    explicit SafeExtractor(ExtractOptions options = {});

    // Reads an archive from `source` (sequential, may block; read() returning 0 ends it), detects
    // codec and format from the bytes, and restores it into `workspace` (an existing directory).
    // Errors: Unsafe (a refused entry, named), Corrupt (libarchive's message), Io, Cancelled; the
    // workspace is then as it was before. `progress` gets the file bytes written so far, and is
    // called again after each entry moved into place. Warnings (entries not restored, bits
    // stripped, originals kept) go to `warnings`, or to the log.
    Error extract(QIODevice *source, const QString &workspace, const Cancellation *cancel = nullptr,
                  const ProgressCallback &progress = {}, WarningSink *warnings = nullptr);
    ArchiveStats stats() const { return m_stats; }
    // After a successful extract(): each regular file it restored (workspace-relative path) with
    // the ContentDigest of the content written, so a later rebuild need not read it again, as a
    // ContentState to finish() whose records have no stamp yet (stampPending()). Files with holes
    // (sparse) are left out. Empty after a failure.
    ContentState takeRestoredFiles() { return std::move(m_restoredFiles); }
    // After a successful extract() with recordLayout: the tar's entries in stream order, with the
    // identity (archivewriter.h) of each plain one whose bytes are exactly what s3cache's writer
    // makes of them: its header as read, and for a file the digest of the data written. A cache
    // written by anything else gets entries without identities, so a rebuild never carries its
    // bytes over (streammap.h).
    QList<TarLayoutEntry> takeLayout() { return std::move(m_layout); }

private:
    ExtractOptions m_options;
    ArchiveStats m_stats;
    ContentState m_restoredFiles;
    QList<TarLayoutEntry> m_layout;
};

} // namespace s3cache
