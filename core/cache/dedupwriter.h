#pragma once
// DedupWriter: the sink a dedup rebuild writes its tar stream into (dedupformat.h). It cuts the
// stream into content-defined chunks (chunker.h) and hashes them on a pool of threads; a chunk
// the area already has (chunkindex.h) costs nothing more, a new one is compressed (on the pool
// too) and appended to the open pack, and a full pack goes up on one of kUploaders threads while
// the next one fills. Memory stays bounded: a few chunks in flight, one pack filling, at most
// kUploaders going up and none waiting (the pipeline waits for a free uploader instead).
//
// A chunk the index places in a pack that is gone (a flush swept it after the index was
// written) or too short to hold it is stored again: each reused pack is checked with one HEAD the
// first time it is used. Packs with a damaged marker are not in `known` at all (chunkindex.h).
// Nothing written is visible to a restore until the rebuild writes the manifest, after finish().
//
// With the previous stream's map (streammap.h, setReuse()), entries that did not change are not
// even read. A cut is a function of the bytes since the previous cut only, so once a cut of this
// stream falls where the previous stream had one, inside a run of entries with the same
// identities (the same bytes), every following chunk of that run is the previous stream's: those
// chunks are taken from the map, and the entries they cover are left out of the stream
// (TarEntryObserver). Bytes of a written entry that such chunks cover are dropped, and cutting
// goes on from the end of the last one. The chunks are exactly those a rebuild that read
// everything would make; only chunks the index has, in packs that exist, are taken.

#include "chunkindex.h"
#include "objectstore.h"
#include "streammap.h"

#include "archive/adaptivelevel.h"

#include <QSet>
#include <QThreadPool>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>

namespace s3cache {

struct DedupStats
{
    qint64 chunks = 0;
    qint64 newChunks = 0;        // stored by this rebuild
    qint64 newRawBytes = 0;
    qint64 packsUploaded = 0;
    qint64 bytesUploaded = 0;    // packs
    qint64 packsReused = 0;      // existing packs this cache uses
    qint64 chunksFromMap = 0;    // taken from the previous stream's map, never read
    qint64 bytesFromMap = 0;
    qint64 entriesLeftOut = 0;   // entries never read
};

class DedupWriter : public ObjectStream, public TarEntryObserver, public OutputPressure
{
    Q_OBJECT
public:
    static constexpr int kUploaders = 3;

    DedupWriter(ObjectStore &store, QString area, const KnownChunks &known, int level);
    ~DedupWriter() override;

    bool isSequential() const override { return true; }
    // The previous stream's layout and the identity of each entry of the snapshot being written
    // (by index); before the first write.
    void setReuse(StreamMap previous, QList<std::optional<TarEntryIdentity>> identities);
    // Cuts what is left, waits for every chunk and upload. The manifest and the new chunks are
    // valid after it returned no error.
    Error finish();
    // Stops the pipeline and drops what was not uploaded (the packs already up stay: a flush
    // collects them).
    void cancel();

    const Manifest &manifest() const { return m_manifest; }
    const ChunkTable &newChunks() const { return m_added; }
    QSet<QByteArray> missingPacks() const { return m_missingPacks; }
    const DedupStats &stats() const { return m_stats; }
    // The layout of the stream written, for the next rebuild (after finish()).
    StreamMap streamMap() const;

    bool beginEntry(qsizetype index) override;
    void endEntries() override;
    // The pack uploads, for the adaptive level: with the default level (-1), new chunks are
    // compressed at 1..6 as the uploads keep up or fall behind, like a .tar.zst to S3.
    OutputPressureSample outputPressure() const override;

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 size) override;

private:
    struct Task;
    struct PendingEntry
    {
        QByteArray hash;
        QByteArray pack;      // an existing pack's hash, or empty: new pack number newPack
        qint64 newPack = -1;
        ChunkLocation where;
    };

    void cutChunks(bool last);
    // After a cut at stream offset `at`: takes the previous stream's chunks from there when it
    // can (see the top of this file).
    void takeMappedChunks(qint64 at);
    void submit(QByteArray raw);
    void submitMapped(const StreamMap::Chunk &chunk);
    bool retireOldest();
    // Whether the chunk the index places in a pack (`known`: pack, where) is there: the pack
    // exists and is long enough (one HEAD per pack).
    bool packHolds(const std::pair<QByteArray, ChunkLocation> &known);
    void closePack();
    void uploadLoop();
    bool fail(const Error &error);
    Error pendingError();

    ObjectStore &m_store;
    QString m_area;
    const KnownChunks &m_known;
    std::atomic<int> m_level;
    std::optional<AdaptiveLevel> m_adaptive;
    Chunker m_chunker;

    QByteArray m_buffer;
    qsizetype m_start = 0;  // the next chunk begins here in m_buffer
    Chunker::ScanState m_scan;  // how far the chunk at m_start was scanned for its cut
    qint64 m_bufferAt = 0;  // the stream offset of m_buffer[0]
    qint64 m_at = 0;        // the stream offset of the next byte (entries left out count)
    qint64 m_dropUntil = 0; // bytes before this offset are in chunks taken from the map

    // reuse (setReuse())
    StreamMap m_previous;
    QList<std::optional<TarEntryIdentity>> m_identities;
    QList<qsizetype> m_match;     // entry -> the previous stream's entry with its identity, or -1
    QList<qint64> m_runEnd;       // entry -> where its run of matching entries ends, previous offsets
    QList<qint64> m_entryStarts;  // where each entry of this stream began
    qint64 m_entriesEnd = -1;

    QThreadPool m_pool;
    std::deque<std::shared_ptr<Task>> m_inflight;
    int m_maxInflight;

    QHash<QByteArray, std::pair<qint64, ChunkLocation>> m_newByHash;  // chunk -> new pack number, where
    QHash<QByteArray, qint64> m_packSizes;  // existing pack -> its size, -1 when it is gone
    QSet<QByteArray> m_missingPacks;
    QList<PendingEntry> m_entries;
    QList<QByteArray> m_newPackHashes;  // by new pack number
    QByteArray m_pack;                  // the open pack

    // upload thread
    mutable std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::pair<QString, QByteArray>> m_uploads;
    bool m_closing = false;
    qsizetype m_busyUploaders = 0;
    qint64 m_blockedNs = 0;  // closePack() waiting for a free uploader
    Error m_uploadError;
    std::vector<std::thread> m_uploaders;

    Manifest m_manifest;
    ChunkTable m_added;
    DedupStats m_stats;
};

} // namespace s3cache
