#include "dedupreader.h"

#include "chunkindex.h"
#include "rebuildjob.h"

#include "archive/archiveformat.h"

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

constexpr qint64 kMaxManifestSize = 64 * 1024 * 1024;

// Hands out the raw bytes of the manifest's chunks in order. Reads each chunk's stored bytes from
// `packs` (the manifest's ranges, in the same order) and opens it (dedupformat.h: sizes and
// hash checked) before the first of its bytes is handed on. A chunk that fails its check gets
// its pack a damaged marker in `store` (dedupformat.h), so that the next rebuild stores the
// chunk again instead of pointing the new manifest at the same bad bytes.
class DedupStream : public ObjectStream
{
public:
    DedupStream(ObjectStore &store, Manifest manifest, QString uri, std::unique_ptr<ObjectStream> packs, qint64 manifestSize)
        : m_store(store), m_manifest(std::move(manifest)), m_uri(std::move(uri)), m_packs(std::move(packs)),
          m_manifestSize(manifestSize)
    {
        m_transferred = manifestSize;
        open(QIODevice::ReadOnly);
    }
    bool atEnd() const override { return m_next >= m_manifest.table.chunks.size() && m_pos == m_raw.size(); }

protected:
    qint64 readData(char *data, qint64 maxlen) override
    {
        if (streamError())
            return -1;
        if (m_pos == m_raw.size()) {
            if (m_next >= m_manifest.table.chunks.size())
                return 0;
            if (!load(m_manifest.table.chunks.at(m_next)))
                return -1;
            ++m_next;
        }
        const qint64 n = std::min<qint64>(maxlen, m_raw.size() - m_pos);
        memcpy(data, m_raw.constData() + m_pos, size_t(n));
        m_pos += n;
        m_transferred = m_manifestSize + m_packs->transferred();  // what came from the store
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    bool load(const ChunkRef &ref)
    {
        m_stored.resize(ref.where.storedSize);
        qint64 have = 0;
        while (have < m_stored.size()) {
            const qint64 n = m_packs->read(m_stored.data() + have, m_stored.size() - have);
            if (n <= 0) {
                const Error cause = m_packs->streamError()
                    ? m_packs->streamError()
                    : Error(ErrorKind::Transient, u"IncompleteBody"_s, u"the chunks ended early"_s);
                Error error = cause.withContext(u"reading the chunks of %1"_s.arg(m_uri));
                error.setHint(u"a pack this cache uses is missing or cut: rebuild the cache to replace it"_s);
                setStreamError(mayBeCut(cause) ? markCutPacks(error) : error);
                return false;
            }
            have += n;
        }
        const QByteArray &pack = m_manifest.table.packs.at(ref.where.pack);
        Result<QByteArray> raw = openChunk(m_stored, ref, u"chunk %1 of %2 (pack %3…, offset %4)"_s
                                                              .arg(m_next).arg(m_uri, QString::fromLatin1(pack.toHex().left(12)))
                                                              .arg(ref.where.offset));
        if (!raw.ok()) {
            setStreamError(markDamagedPack(raw.error(), pack));
            return false;
        }
        m_raw = std::move(*raw);
        m_pos = 0;
        return true;
    }

    // Marks `pack` damaged after `error` (a chunk of it failed its check) and says so in the hint.
    Error markDamagedPack(Error error, const QByteArray &pack)
    {
        const QString packUri = m_store.uri(Dedup::packKey(m_manifest.area, pack));
        const Error marked = markDamaged(m_store, m_manifest.area, pack,
                                         u"%1: found by a reader of %2 at %3"_s.arg(error.message(), m_uri,
                                                                                   QDateTime::currentDateTimeUtc().toString(Qt::ISODate)));
        if (marked)
            return error.setHint(u"could not mark %1 as damaged (%2): delete that pack, then rebuild the cache, so that "
                                 "the rebuild stores these chunks again instead of reusing them"_s.arg(packUri, marked.toString()));
        return error.setHint(u"%1 is now marked damaged (%2): the next rebuild of this or any cache under the prefix "
                             "stores its chunks again"_s.arg(packUri, m_store.uri(Dedup::damagedKey(m_manifest.area, pack))));
    }

    // Whether the pack stream's `error` may be a pack shorter than the manifest says (not a
    // network failure, a refusal or a cancel).
    static bool mayBeCut(const Error &error)
    {
        return error.code() == u"IncompleteBody" || error.code() == u"InvalidRange";
    }

    // After a range failed: each pack the manifest uses is looked at (one HEAD each), and one
    // shorter than its chunks need is marked damaged, so that rebuilds do not reuse it (a missing
    // pack needs no marker: a rebuild's HEAD finds it gone).
    Error markCutPacks(Error error)
    {
        QHash<QByteArray, qint64> needed;  // pack -> the end of its last chunk
        for (const ChunkRef &c : std::as_const(m_manifest.table.chunks)) {
            qint64 &end = needed[m_manifest.table.packs.at(c.where.pack)];
            end = std::max(end, c.where.offset + c.where.storedSize);
        }
        for (auto it = needed.cbegin(); it != needed.cend(); ++it) {
            const Result<ObjectInfo> info = m_store.head(Dedup::packKey(m_manifest.area, it.key()));
            if (info.ok() && info->size < *it)
                return markDamagedPack(error.withMessage(u"%1 (pack %2 is %3 bytes, its chunks need %4)"_s.arg(
                                           error.message(), m_store.uri(info->key), QString::number(info->size),
                                           QString::number(*it))),
                                       it.key());
        }
        return error;
    }

    ObjectStore &m_store;
    Manifest m_manifest;
    QString m_uri;
    std::unique_ptr<ObjectStream> m_packs;
    qint64 m_manifestSize;
    qsizetype m_next = 0;  // the next chunk to load
    QByteArray m_stored;
    QByteArray m_raw;
    qint64 m_pos = 0;
};

// The chunks' ranges, a run of adjacent chunks of one pack as one range.
QList<ObjectRange> rangesOf(const Manifest &manifest)
{
    QList<ObjectRange> ranges;
    for (const ChunkRef &c : manifest.table.chunks) {
        const QString key = Dedup::packKey(manifest.area, manifest.table.packs.at(c.where.pack));
        if (!ranges.isEmpty()) {
            ObjectRange &last = ranges.last();
            if (last.object.key == key && last.offset + last.length == c.where.offset) {
                last.length += c.where.storedSize;
                continue;
            }
        }
        ObjectInfo pack;
        pack.key = key;
        ranges << ObjectRange{pack, c.where.offset, c.where.storedSize};
    }
    return ranges;
}

} // namespace

void CacheArchive::nameFormat(ArchiveStats &stats) const
{
    if (manifest)
        stats.format = Dedup::formatName;
}

bool isDedupManifest(const ObjectInfo &info)
{
    const QString format = info.metadata.value(Metadata::format);
    return format == Dedup::formatName || (format.isEmpty() && archiveFormatForFilename(info.key) == ArchiveFormat::Dedup);
}

Result<Manifest> readManifest(ObjectStore &store, const ObjectInfo &info)
{
    const QString uri = store.uri(info.key);
    if (info.size > kMaxManifestSize)
        return Error(ErrorKind::Corrupt, u"InvalidDedupObject"_s,
                     u"%1 is %2 bytes: too large for a dedup manifest"_s.arg(uri).arg(info.size));
    Result<std::unique_ptr<ObjectStream>> stream = store.openRead(info);
    if (!stream.ok())
        return stream.error();
    QByteArray bytes;
    while (bytes.size() <= kMaxManifestSize) {
        QByteArray block = (*stream)->read(1024 * 1024);
        if (block.isEmpty())
            break;
        bytes += block;
    }
    if ((*stream)->streamError())
        return (*stream)->streamError();
    return decodeManifest(bytes, uri);
}

Result<CacheArchive> openArchive(ObjectStore &store, const ObjectInfo &info)
{
    CacheArchive source;
    if (!isDedupManifest(info)) {
        Result<std::unique_ptr<ObjectStream>> stream = store.openRead(info);
        if (!stream.ok())
            return stream.error();
        source.stream = std::move(*stream);
        source.downloadSize = info.size;
        return source;
    }
    Result<Manifest> manifest = readManifest(store, info);
    if (!manifest.ok())
        return manifest.error();
    Result<std::unique_ptr<ObjectStream>> packs = store.openRanges(rangesOf(*manifest));
    if (!packs.ok())
        return packs.error();
    source.downloadSize = info.size + manifest->storedSize();
    source.stream = std::make_unique<DedupStream>(store, *manifest, store.uri(info.key), std::move(*packs), info.size);
    source.manifest = std::move(*manifest);
    return source;
}

} // namespace s3cache
