#pragma once
// ZipStreamWriter: a TreeSnapshot as a zip archive written with QuaZip into a sequential device,
// readable both by ordinary unzip tools (central directory) and by a streaming reader such as
// our extractor (local headers): each local header carries the Unix mode (libarchive's "xl"
// extra field) and the mtime ("UT"). Internal to the archive layer; ArchiveWriter is the API.
//
// QuaZip alone writes sequential devices with data descriptors only (sizes after the data),
// which a streaming reader cannot use for symbolic links. So QuaZip writes into a device that
// keeps each small entry (<= 4 MiB) in memory until it is complete, letting QuaZip put the real
// sizes into its local header; larger entries are passed through as they come, with a data
// descriptor. Zip cannot express hard links: a hard link is stored as a copy of its file.

#include "treesnapshot.h"

#include "archiveformat.h"
#include "util/cancellation.h"
#include "util/error.h"
#include "util/warnings.h"

class QIODevice;

namespace s3cache {

class ZipStreamWriter
{
public:
    // level: deflate 0..9, -1 = zlib's default (6); 0 stores.
    ZipStreamWriter(QIODevice *sink, int level);
    Error write(const TreeSnapshot &snapshot, const Cancellation *cancel, const ProgressCallback &progress,
                WarningSink *warnings);

    qint64 entriesWritten() const { return m_entries; }
    qint64 filesWritten() const { return m_files; }
    qint64 fileBytesWritten() const { return m_fileBytes; }
    qint64 bytesWritten() const { return m_bytesWritten; }

private:
    QIODevice *m_sink;
    int m_level;
    qint64 m_entries = 0;
    qint64 m_files = 0;
    qint64 m_fileBytes = 0;
    qint64 m_bytesWritten = 0;
};

} // namespace s3cache
