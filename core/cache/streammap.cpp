#include "streammap.h"

#include "binarycodec.h"

#include "archive/archiveio.h"
#include "util/contentdigest.h"
#include "util/log.h"
#include "util/sha256.h"

#include <QFile>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

constexpr QByteArrayView kMagic = "S3CACHE-DEDUP-MAP 1\n";
constexpr qsizetype kChecksumSize = 16;
constexpr qint64 kMaxMapBytes = qint64(1) << 31;
constexpr qint64 kMaxEntryLength = qint64(1) << 50;  // far beyond any file; keeps sums in range

QByteArray mapPath(const QString &workspace, const QStringList &mounts)
{
    return QFile::encodeName(workspace + u'/' + StreamMap::fileName(mounts));
}

} // namespace

QString StreamMap::fileName(const QStringList &mounts)
{
    const QByteArray hash = Sha256::hex(mounts.join(u',').toUtf8());
    return reservedPrefix() + u"dedup-"_s + QString::fromLatin1(hash.left(16));
}

StreamMap StreamMap::of(const Manifest &manifest, QList<Entry> entries)
{
    StreamMap map;
    map.area = manifest.area;
    map.entries = std::move(entries);
    qint64 offset = 0;
    map.chunks.reserve(manifest.table.chunks.size());
    for (const ChunkRef &c : manifest.table.chunks) {
        map.chunks << Chunk{c.hash, offset, c.where.rawSize};
        offset += c.where.rawSize;
    }
    return map;
}

QByteArray StreamMap::encode() const
{
    BinaryWriter w(kMagic);
    const QByteArray areaBytes = area.toUtf8();
    w.u32(quint32(areaBytes.size()));
    w.bytes(areaBytes);
    w.u32(quint32(entries.size()));
    for (const Entry &e : entries) {
        w.u8(e.identity ? 1 : 0);
        if (e.identity)
            w.bytes(QByteArrayView(e.identity->data(), qsizetype(e.identity->size())));
        w.u64(quint64(e.length));
    }
    w.u32(quint32(chunks.size()));
    for (const Chunk &c : chunks) {
        w.bytes(c.hash);
        w.u32(quint32(c.size));
    }
    QByteArray out = w.take();
    out += QByteArray::fromHex(ContentDigest::hex(out));
    return out;
}

std::optional<StreamMap> StreamMap::decode(const QByteArray &bytes, QString *why)
{
    const auto invalid = [why](const QString &reason) -> std::optional<StreamMap> {
        *why = reason;
        return std::nullopt;
    };
    if (bytes.size() < kMagic.size() + kChecksumSize || !bytes.startsWith(kMagic))
        return invalid(u"not a stream map of this version"_s);
    const QByteArray body = bytes.first(bytes.size() - kChecksumSize);
    if (QByteArray::fromHex(ContentDigest::hex(body)) != bytes.last(kChecksumSize))
        return invalid(u"checksum mismatch (a torn or corrupt file)"_s);
    BinaryReader r(body, kMagic);
    StreamMap map;
    const quint32 areaLength = r.u32();
    map.area = QString::fromUtf8(r.bytes(qsizetype(std::min<quint32>(areaLength, quint32(body.size())))));
    const quint32 entryCount = r.u32();
    if (!r.ok() || qint64(entryCount) * 9 > r.left())
        return invalid(u"the entry list is cut"_s);
    map.entries.reserve(entryCount);
    qint64 offset = 0;
    for (quint32 i = 0; i < entryCount; ++i) {
        Entry e;
        const quint8 known = r.u8();
        if (known > 1)
            return invalid(u"entry %1 is malformed"_s.arg(i));
        if (known == 1) {
            const QByteArray id = r.bytes(qsizetype(TarEntryIdentity().size()));
            if (r.ok()) {
                e.identity.emplace();
                std::copy_n(id.constData(), e.identity->size(), e.identity->begin());
            }
        }
        const quint64 length = r.u64();
        if (!r.ok() || length > quint64(kMaxEntryLength))
            return invalid(u"entry %1 is cut or too long"_s.arg(i));
        e.offset = offset;
        e.length = qint64(length);
        offset += e.length;
        map.entries << e;
    }
    const quint32 chunkCount = r.u32();
    if (!r.ok() || qint64(chunkCount) * (Dedup::hashSize + 4) != r.left())
        return invalid(u"the chunk list does not fill the file"_s);
    map.chunks.reserve(chunkCount);
    qint64 chunkOffset = 0;
    for (quint32 i = 0; i < chunkCount; ++i) {
        Chunk c;
        c.hash = r.bytes(Dedup::hashSize);
        c.size = r.u32();
        if (c.size <= 0 || c.size > Dedup::chunkLimits().maxSize)
            return invalid(u"chunk %1 has length %2, outside the chunker's limits"_s.arg(i).arg(c.size));
        c.offset = chunkOffset;
        chunkOffset += c.size;
        map.chunks << c;
    }
    if (chunkOffset < offset)
        return invalid(u"its chunks end at %1, before its entries (%2)"_s.arg(chunkOffset).arg(offset));
    return map;
}

StreamMap StreamMap::load(const QString &workspace, const QStringList &mounts, const QString &area)
{
    const QByteArray path = mapPath(workspace, mounts);
    QString why;
    const std::optional<QByteArray> bytes = readWorkspaceFile(path, kMaxMapBytes, &why);
    std::optional<StreamMap> map = bytes ? decode(*bytes, &why) : std::nullopt;
    if (map && map->area != area) {
        why = u"it is for chunk area %1"_s.arg(map->area);
        map.reset();
    }
    if (!map) {
        Log::debug(u"dedup stream map %1 not used (%2): every entry is read"_s.arg(QFile::decodeName(path), why));
        return {};
    }
    Log::debug(u"dedup stream map %1: %2 entries in %3 chunks"_s.arg(QFile::decodeName(path))
                   .arg(map->entries.size()).arg(map->chunks.size()));
    return std::move(*map);
}

bool StreamMap::save(const QString &workspace, const QStringList &mounts) const
{
    const QByteArray path = mapPath(workspace, mounts);
    if (const QString failure = writeWorkspaceFile(path, encode()); !failure.isEmpty()) {
        Log::debug(u"dedup stream map %1 not saved (%2): the next rebuild reads every entry"_s.arg(QFile::decodeName(path), failure));
        return false;
    }
    return true;
}

} // namespace s3cache
