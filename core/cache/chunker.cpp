#include "chunker.h"

#include <QtGlobal>

#include <array>
#include <bit>

namespace s3cache {

namespace {

// 256 fixed pseudo-random words (splitmix64 from a constant seed): the table is part of the
// format, since another table would cut the same data elsewhere (and dedup nothing against
// caches written before).
constexpr std::array<quint64, 256> gearTable()
{
    std::array<quint64, 256> table{};
    quint64 state = 0x5333636163686531ULL;  // "S3cache1"
    for (quint64 &word : table) {
        state += 0x9e3779b97f4a7c15ULL;
        quint64 z = state;
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
        word = z ^ (z >> 31);
    }
    return table;
}

constexpr std::array<quint64, 256> kGear = gearTable();

// A mask of `bits` ones in the high end of the word: the gear hash's high bits depend on all of
// the last 64 bytes, its low bits only on the last few.
constexpr quint64 highMask(int bits)
{
    if (bits <= 0)
        return 0;
    return bits >= 64 ? ~quint64(0) : ~quint64(0) << (64 - bits);
}

} // namespace

Chunker::Chunker(ChunkerLimits limits) : m_limits(limits)
{
    Q_ASSERT(std::has_single_bit(quint64(limits.averageSize)));
    Q_ASSERT(limits.minSize < limits.averageSize && limits.averageSize < limits.maxSize);
    const int bits = std::countr_zero(quint64(limits.averageSize));
    m_maskSmall = highMask(bits + 2);
    m_maskLarge = highMask(bits - 2);
}

qsizetype Chunker::cut(QByteArrayView data) const
{
    ScanState state;
    return scan(data, state, true);
}

qsizetype Chunker::scan(QByteArrayView data, ScanState &state, bool last) const
{
    const qsizetype size = data.size();
    if (size <= m_limits.minSize)
        return last ? size : 0;
    const auto *p = reinterpret_cast<const unsigned char *>(data.data());
    const qsizetype normal = std::min(size, m_limits.averageSize);
    const qsizetype end = std::min(size, m_limits.maxSize);
    quint64 hash = state.hash;
    qsizetype i = std::max(state.position, m_limits.minSize);
    for (; i < normal; ++i) {
        hash = (hash << 1) + kGear[p[i]];
        if ((hash & m_maskSmall) == 0)
            return i + 1;
    }
    for (; i < end; ++i) {
        hash = (hash << 1) + kGear[p[i]];
        if ((hash & m_maskLarge) == 0)
            return i + 1;
    }
    if (end == m_limits.maxSize || last)
        return end;
    state = {i, hash};
    return 0;
}

} // namespace s3cache
