#include "chunkindex.h"

#include "deletejob.h"

#include "util/sha256.h"

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

Result<QByteArray> readSmall(ObjectStore &store, const ObjectInfo &info)
{
    Result<std::unique_ptr<ObjectStream>> stream = store.openRead(info);
    if (!stream.ok())
        return stream.error();
    QByteArray bytes = (*stream)->readAll();
    if ((*stream)->streamError())
        return (*stream)->streamError();
    return bytes;
}

// Adds the table's chunks, but those in a pack `unusable` says (so a chunk keeps a usable place
// whatever the order of the segments).
template<typename Unusable>
void addTable(QHash<QByteArray, std::pair<QByteArray, ChunkLocation>> &chunks, const ChunkTable &table, Unusable unusable)
{
    for (const ChunkRef &c : table.chunks) {
        const QByteArray &pack = table.packs.at(c.where.pack);
        if (!unusable(pack))
            chunks.insert(c.hash, {pack, c.where});
    }
}

void addTable(QHash<QByteArray, std::pair<QByteArray, ChunkLocation>> &chunks, const ChunkTable &table)
{
    addTable(chunks, table, [](const QByteArray &) { return false; });
}

} // namespace

Error writeWholeObject(ObjectStore &store, const QString &key, const QByteArray &bytes,
                       const QMap<QString, QString> &metadata)
{
    Result<std::unique_ptr<ObjectWriter>> writer = store.openWrite(key, metadata, bytes.size());
    if (!writer.ok())
        return writer.error();
    if ((*writer)->write(bytes) != bytes.size()) {
        Error error = (*writer)->streamError();
        (*writer)->abort();
        return error ? error : Error(ErrorKind::Io, u"WriteFailed"_s, u"writing %1 failed"_s.arg(store.uri(key)));
    }
    return (*writer)->commit();
}

Result<CondemnedPacks> readCondemned(ObjectStore &store, const QString &area)
{
    Result<ObjectInfo> info = store.head(Dedup::condemnedKey(area));
    if (!info.ok())
        return info.error().kind() == ErrorKind::NotFound ? Result<CondemnedPacks>(CondemnedPacks()) : info.error();
    Result<QByteArray> bytes = readSmall(store, *info);
    if (!bytes.ok())
        return bytes.error();
    return decodeCondemned(*bytes, store.uri(info->key));
}

Result<QSet<QByteArray>> readDamaged(ObjectStore &store, const QString &area)
{
    QSet<QByteArray> damaged;
    if (Error e = store.list(Dedup::damagedFolder(area), [&](const QList<ObjectInfo> &page) {
            for (const ObjectInfo &o : page) {
                if (const QByteArray hash = Dedup::hashFromKey(o.key); !hash.isEmpty())
                    damaged.insert(hash);
            }
            return true;
        }))
        return e;
    return damaged;
}

Error markDamaged(ObjectStore &store, const QString &area, const QByteArray &pack, const QString &why)
{
    return writeWholeObject(store, Dedup::damagedKey(area, pack),
                            (why + u"\nA rebuild does not reuse the chunks of this pack; a flush deletes this marker once "
                                   "no cache uses the pack and it is gone.\n"_s).toUtf8());
}

Result<KnownChunks> readChunkIndex(ObjectStore &store, const QString &area, WarningSink *warnings, bool usableOnly)
{
    KnownChunks known;
    known.readAt = QDateTime::currentDateTimeUtc();
    Result<CondemnedPacks> condemned = readCondemned(store, area);
    if (!condemned.ok())
        return condemned.error();
    known.condemned = std::move(*condemned);
    Result<QSet<QByteArray>> damaged = readDamaged(store, area);
    if (!damaged.ok())
        return damaged.error();
    known.damaged = std::move(*damaged);
    const auto unusable = [&](const QByteArray &pack) {
        return usableOnly && (known.condemned.contains(pack) || known.damaged.contains(pack));
    };
    QList<ObjectInfo> segments;
    if (Error e = store.list(Dedup::indexFolder(area), [&](const QList<ObjectInfo> &page) {
            segments += page;
            return true;
        }))
        return e;
    for (const ObjectInfo &segment : std::as_const(segments)) {
        Result<QByteArray> bytes = readSmall(store, segment);
        if (!bytes.ok()) {
            if (bytes.error().kind() == ErrorKind::NotFound)
                continue;  // merged away since the listing
            return bytes.error();
        }
        known.segments << segment.key;
        const Result<ChunkTable> table = decodeIndex(*bytes, store.uri(segment.key));
        if (!table.ok()) {
            reportWarning(warnings, table.error().message() + u" (its chunks will be uploaded again)"_s);
            continue;
        }
        addTable(known.chunks, *table, unusable);
    }
    return known;
}

Result<QString> writeIndexSegment(ObjectStore &store, const QString &area, const ChunkTable &table)
{
    const QByteArray bytes = encodeIndex(table);
    const QString key = Dedup::indexFolder(area) + QString::fromLatin1(Sha256::hex(bytes));
    if (Error e = writeWholeObject(store, key, bytes))
        return e;
    return key;
}

Result<QString> mergeSegments(ObjectStore &store, const QString &area, const KnownChunks &known, const ChunkTable &added,
                              const QSet<QByteArray> &droppedPacks, const QStringList &alsoDelete)
{
    QHash<QByteArray, std::pair<QByteArray, ChunkLocation>> chunks = known.chunks;
    addTable(chunks, added);
    ChunkTable merged;
    for (auto it = chunks.cbegin(); it != chunks.cend(); ++it) {
        if (droppedPacks.contains(it->first))
            continue;
        ChunkLocation where = it->second;
        where.pack = merged.addPack(it->first);
        merged.chunks << ChunkRef{it.key(), where};
    }
    Result<QString> key = writeIndexSegment(store, area, merged);
    if (!key.ok())
        return key;
    QList<ObjectInfo> obsolete;
    for (const QString &segment : known.segments + alsoDelete) {
        if (segment != *key) {
            ObjectInfo info;
            info.key = segment;
            obsolete << info;
        }
    }
    DeleteResult removed;
    if (Error e = deleteObjects(store, obsolete, nullptr, removed))
        return e;
    return key;
}

} // namespace s3cache
