#pragma once
// Content-defined chunking for the dedup format (dedupformat.h): FastCDC's cut rule over a gear
// rolling hash. A cut depends only on the 64 bytes before it, so an insertion or deletion moves
// the cuts near it and no others: a tree that changed in a few places is cut into the same
// chunks everywhere else, and those chunks are not uploaded again.
//
// Sizes: no cut before minSize, a cut is forced at maxSize; between them "normalized chunking"
// makes a cut less likely before averageSize (a mask with 2 more bits) and more likely after it
// (2 fewer bits), which keeps chunk sizes close to the average.

#include <QByteArray>
#include <QByteArrayView>

namespace s3cache {

// The defaults are the dedup format's. Smaller chunks cost more index and more requests, larger
// ones more bytes per change: on random data, a 300 KB change costs ~0.8 MB of new chunks at a
// 512 KiB average and ~2.4 MB at 1 MiB (a change re-cuts its chunk and, through the minimum
// size, often the next).
struct ChunkerLimits
{
    qsizetype minSize = 128 * 1024;
    qsizetype averageSize = 512 * 1024;  // a power of two
    qsizetype maxSize = 2 * 1024 * 1024;
};

class Chunker
{
public:
    explicit Chunker(ChunkerLimits limits = {});

    // The length of the chunk that starts at data[0]: data holds at least maxSize bytes, or all
    // that is left of the stream (then the last chunk may be shorter than minSize).
    qsizetype cut(QByteArrayView data) const;

    // The same cut, found as the bytes arrive: `data` is the chunk so far (from its start), and
    // `state` (fresh for each chunk) keeps how far it was scanned. 0 when the bytes so far hold
    // no cut and more may follow; `last`: nothing follows. A cut depends on no byte after it, so
    // it is found as soon as its bytes are there.
    struct ScanState
    {
        qsizetype position = 0;
        quint64 hash = 0;
    };
    qsizetype scan(QByteArrayView data, ScanState &state, bool last) const;
    const ChunkerLimits &limits() const { return m_limits; }

private:
    ChunkerLimits m_limits;
    quint64 m_maskSmall;  // before averageSize: harder to match
    quint64 m_maskLarge;  // after it: easier
};

} // namespace s3cache
