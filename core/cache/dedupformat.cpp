#include "dedupformat.h"

#include "binarycodec.h"

#include "util/sha256.h"

#include <zstd.h>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

constexpr QByteArrayView kManifestMagic = "S3CACHE-DEDUP-MANIFEST 1\n";
constexpr QByteArrayView kIndexMagic = "S3CACHE-DEDUP-INDEX 1\n";
constexpr QByteArrayView kCondemnedMagic = "S3CACHE-DEDUP-CONDEMNED 1\n";
constexpr qsizetype kEntrySize = Dedup::hashSize + 4 + 8 + 4 + 4;

Error invalid(const QString &what, const QString &why)
{
    return Error(ErrorKind::Corrupt, u"InvalidDedupObject"_s,
                 u"%1 is not a valid dedup object (%2): it was not written by this s3cache, or was changed or cut "
                 "since; delete it and rebuild"_s.arg(what, why));
}

void writeTable(BinaryWriter &w, const ChunkTable &table)
{
    w.u32(quint32(table.packs.size()));
    for (const QByteArray &pack : table.packs)
        w.bytes(pack);
    w.u32(quint32(table.chunks.size()));
    for (const ChunkRef &c : table.chunks) {
        w.bytes(c.hash);
        w.u32(quint32(c.where.pack));
        w.u64(quint64(c.where.offset));
        w.u32(quint32(c.where.storedSize));
        w.u32(quint32(c.where.rawSize));
    }
}

Result<ChunkTable> readTable(BinaryReader &r, const QString &what)
{
    ChunkTable table;
    const quint32 packs = r.u32();
    if (!r.ok() || qint64(packs) * Dedup::hashSize > r.left())
        return invalid(what, u"the pack table is cut"_s);
    table.packs.reserve(packs);
    for (quint32 i = 0; i < packs; ++i)
        table.packs << r.bytes(Dedup::hashSize);
    const quint32 chunks = r.u32();
    if (!r.ok() || qint64(chunks) * kEntrySize != r.left())
        return invalid(what, u"the chunk table does not fill the object"_s);
    table.chunks.reserve(chunks);
    const qsizetype maxStored = Dedup::maxStoredSize();
    const qsizetype maxRaw = Dedup::chunkLimits().maxSize;
    for (quint32 i = 0; i < chunks; ++i) {
        ChunkRef c;
        c.hash = r.bytes(Dedup::hashSize);
        const quint32 pack = r.u32();
        const quint64 offset = r.u64();
        const quint32 stored = r.u32();
        const quint32 raw = r.u32();
        if (pack >= packs)
            return invalid(what, u"chunk %1 names pack %2 of %3"_s.arg(i).arg(pack).arg(packs));
        if (stored == 0 || stored > quint32(maxStored) || raw == 0 || raw > quint32(maxRaw))
            return invalid(what, u"chunk %1 has sizes %2/%3, outside the chunker's limits"_s.arg(i).arg(stored).arg(raw));
        if (offset > quint64(Dedup::maxPackSize) || offset + stored > quint64(Dedup::maxPackSize))
            return invalid(what, u"chunk %1 lies outside any pack (offset %2)"_s.arg(i).arg(offset));
        c.where = {qint32(pack), qint64(offset), qint32(stored), qint32(raw)};
        table.chunks << c;
    }
    return table;
}

} // namespace

namespace Dedup {

QString chunkArea(const QString &prefix)
{
    return prefix.isEmpty() ? areaFolder : prefix + u'/' + areaFolder;
}

bool isAreaKey(const QString &key)
{
    return key.startsWith(areaFolder) || key.contains(u'/' + areaFolder);
}

QByteArray hashFromKey(const QString &key)
{
    const QString name = key.section(u'/', -1);
    if (name.size() != 2 * hashSize)
        return {};
    const QByteArray hash = QByteArray::fromHex(name.toLatin1());
    return hash.size() == hashSize && QString::fromLatin1(hash.toHex()) == name ? hash : QByteArray();
}

const ChunkerLimits &chunkLimits()
{
    static const ChunkerLimits limits;
    return limits;
}

qsizetype maxStoredSize()
{
    return qsizetype(ZSTD_compressBound(size_t(chunkLimits().maxSize)));
}

} // namespace Dedup

qint32 ChunkTable::addPack(const QByteArray &hash)
{
    const qsizetype at = packs.indexOf(hash);
    if (at >= 0)
        return qint32(at);
    packs << hash;
    return qint32(packs.size() - 1);
}

qint64 Manifest::storedSize() const
{
    qint64 total = 0;
    for (const ChunkRef &c : table.chunks)
        total += c.where.storedSize;
    return total;
}

QByteArray encodeManifest(const Manifest &manifest)
{
    BinaryWriter w(kManifestMagic);
    const QByteArray area = manifest.area.toUtf8();
    w.u32(quint32(area.size()));
    w.bytes(area);
    w.u64(quint64(manifest.rawSize));
    writeTable(w, manifest.table);
    return w.take();
}

Result<Manifest> decodeManifest(const QByteArray &bytes, const QString &what)
{
    BinaryReader r(bytes, kManifestMagic);
    if (!r.ok())
        return invalid(what, u"no dedup manifest header"_s);
    Manifest manifest;
    const quint32 areaSize = r.u32();
    if (!r.ok() || areaSize > 1024 || areaSize > r.left())
        return invalid(what, u"the chunk area's name is cut"_s);
    manifest.area = QString::fromUtf8(r.bytes(areaSize));
    if (!Dedup::isAreaKey(manifest.area) || !manifest.area.endsWith(Dedup::areaFolder) || manifest.area.split(u'/').contains(u".."_s))
        return invalid(what, u"\"%1\" is not a chunk area"_s.arg(manifest.area));
    manifest.rawSize = qint64(r.u64());
    Result<ChunkTable> table = readTable(r, what);
    if (!table.ok())
        return table.error();
    manifest.table = std::move(*table);
    qint64 raw = 0;
    for (const ChunkRef &c : std::as_const(manifest.table.chunks))
        raw += c.where.rawSize;
    if (raw != manifest.rawSize)
        return invalid(what, u"its chunks add up to %1 bytes, not the %2 it says"_s.arg(raw).arg(manifest.rawSize));
    return manifest;
}

QByteArray encodeIndex(const ChunkTable &table)
{
    BinaryWriter w(kIndexMagic);
    writeTable(w, table);
    return w.take();
}

Result<ChunkTable> decodeIndex(const QByteArray &bytes, const QString &what)
{
    BinaryReader r(bytes, kIndexMagic);
    if (!r.ok())
        return invalid(what, u"no dedup index header"_s);
    return readTable(r, what);
}

QByteArray encodeCondemned(const CondemnedPacks &packs)
{
    BinaryWriter w(kCondemnedMagic);
    w.u32(quint32(packs.size()));
    for (auto it = packs.cbegin(); it != packs.cend(); ++it) {
        w.bytes(it.key());
        w.u64(quint64(it.value().toMSecsSinceEpoch()));
    }
    return w.take();
}

Result<CondemnedPacks> decodeCondemned(const QByteArray &bytes, const QString &what)
{
    BinaryReader r(bytes, kCondemnedMagic);
    const quint32 count = r.u32();
    if (!r.ok() || qint64(count) * (Dedup::hashSize + 8) != r.left())
        return invalid(what, u"not a condemned-pack list"_s);
    CondemnedPacks packs;
    for (quint32 i = 0; i < count; ++i) {
        const QByteArray hash = r.bytes(Dedup::hashSize);
        packs.insert(hash, QDateTime::fromMSecsSinceEpoch(qint64(r.u64()), Qt::UTC));
    }
    return packs;
}

QByteArray compressChunk(QByteArrayView raw, int level)
{
    QByteArray out(qsizetype(ZSTD_compressBound(size_t(raw.size()))), Qt::Uninitialized);
    const size_t n = ZSTD_compress(out.data(), size_t(out.size()), raw.data(), size_t(raw.size()), level == -1 ? 3 : level);
    Q_ASSERT(!ZSTD_isError(n));
    out.truncate(qsizetype(n));
    return out;
}

Result<QByteArray> openChunk(QByteArrayView stored, const ChunkRef &ref, const QString &what)
{
    const auto corrupt = [&](const QString &why) {
        return Error(ErrorKind::Corrupt, u"CorruptChunk"_s,
                     u"%1 %2: the cache is damaged or was written by someone else; nothing was restored from it"_s
                         .arg(what, why));
    };
    if (stored.size() != ref.where.storedSize)
        return corrupt(u"is %1 bytes, not %2"_s.arg(stored.size()).arg(ref.where.storedSize));
    // The frame must say its size, and that size must be the manifest's: a frame that inflates
    // beyond the chunk limit is never decoded.
    const unsigned long long frameSize = ZSTD_getFrameContentSize(stored.data(), size_t(stored.size()));
    if (frameSize != quint64(ref.where.rawSize))
        return corrupt(u"does not hold the %1 bytes the manifest says"_s.arg(ref.where.rawSize));
    QByteArray raw(ref.where.rawSize, Qt::Uninitialized);
    const size_t n = ZSTD_decompress(raw.data(), size_t(raw.size()), stored.data(), size_t(stored.size()));
    if (ZSTD_isError(n) || n != size_t(raw.size()))
        return corrupt(u"cannot be decompressed (%1)"_s.arg(ZSTD_isError(n) ? QString::fromLatin1(ZSTD_getErrorName(n)) : u"short"_s));
    if (Sha256::raw(raw) != ref.hash)
        return corrupt(u"fails its SHA-256 check"_s);
    return raw;
}

} // namespace s3cache
