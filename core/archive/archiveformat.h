#pragma once
// Archive formats and what the archive layer reports about one run. The format of an archive
// being written follows the object's name (the configuration decides it once: Config::format);
// an archive being read is detected from its bytes. Names, extensions and compression-level
// ranges of the formats live here and nowhere else.

#include <QString>

#include <functional>
#include <optional>

namespace s3cache {

// Dedup: a plain tar stream cut into content-defined chunks, each zstd-compressed and stored once
// in packs shared by every cache under the prefix (cache/dedupformat.h); the archive layer writes
// and reads it as plain tar, the cache layer does the rest.
enum class ArchiveFormat { TarZstd, TarGzip, Tar, Zip, Dedup };

// .tar.zst/.tzst, .tgz/.tar.gz, .tar, .zip, .dedup (case-insensitive); anything else: nullopt.
std::optional<ArchiveFormat> archiveFormatForFilename(const QString &filename);
// The known extensions for messages and help: ".tar.zst/.tzst, .tar.gz/.tgz, .tar, .zip, .dedup".
QString archiveExtensions();
// "tar.zst", "tar.gz", "tar", "zip", "dedup"
QString archiveFormatName(ArchiveFormat format);
// Whether `level` is a valid compression_level for `format` (-1 always is: the codec default).
// *range (optional) says what applies: "1..19", "-1..9", or why nothing does (plain tar).
bool compressionLevelValid(ArchiveFormat format, int level, QString *range = nullptr);

struct ArchiveStats
{
    qint64 entries = 0;
    qint64 files = 0;     // regular files (hard links not counted)
    qint64 bytesIn = 0;   // file bytes read (writer) or written (extractor)
    qint64 bytesOut = 0;  // archive bytes written (writer) or read (extractor, lister)
    QString format;       // detected on read, e.g. "tar.zst"
    qint64 modesStripped = 0;  // extractor: entries restored without their setuid/setgid/sticky bits
    bool digestVerified = false;  // extractor: the archive matched the digest s3cache recorded in it
};

// Bytes of file data done so far; total is -1 when unknown.
using ProgressCallback = std::function<void(qint64 done, qint64 total)>;

} // namespace s3cache
