#pragma once
// Reading a scanned file's contents for an archive, internal to the archive layer: exactly the
// scanned size in blocks of up to ArchiveBlockSize, whatever happened to the file since the scan
// (grown: cut; shrunk or gone: padded with zeros; both logged as warnings).

#include "util/cancellation.h"
#include "util/warnings.h"
#include "util/error.h"

#include <QByteArray>
#include <QList>

#include <functional>

namespace s3cache {

using BlockConsumer = std::function<Error(const char *data, qint64 size)>;

// Calls `consume` with consecutive blocks of the file at `path` (encoded for open()), exactly
// `size` bytes (its scanned size) from `offset` on, using `buffer` as the block buffer. Returns the
// first error: reading (ErrorKind::Io), cancellation, or the consumer's.
Error readFileBlocks(const QByteArray &path, qint64 size, QByteArray &buffer, const Cancellation *cancel,
                     WarningSink *warnings, const BlockConsumer &consume, qint64 offset = 0);

struct FileRegion
{
    qint64 offset = 0;
    qint64 length = 0;
};
// The data regions of a sparse file of (scanned) size `size`, from SEEK_DATA/SEEK_HOLE; empty
// when the file has no holes worth keeping (or cannot tell), so that it is archived whole.
QList<FileRegion> sparseRegions(const QByteArray &path, qint64 size);

} // namespace s3cache
