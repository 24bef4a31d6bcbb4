#pragma once
// DedupWriter: the sink a dedup rebuild writes its tar stream into (dedupformat.h). It cuts the
// stream into content-defined chunks (chunker.h) and hashes them on a pool of threads; a chunk
// the area already has (chunkindex.h) costs nothing more, a new one is compressed (on the pool
// too) and appended to the open pack, and a full pack goes up on one of kUploaders threads while
// the next one fills. Memory stays bounded: a few chunks in flight, one pack filling, at most
// kUploaders going up and none waiting (the pipeline waits for a free uploader instead).
//
// A chunk the index places in a pack that is gone (a flush swept it after the index was
// written) is stored again: each reused pack is checked with one HEAD the first time it is used.
// Nothing written is visible to a restore until the rebuild writes the manifest, after finish().

#include "chunkindex.h"
#include "objectstore.h"

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
};

class DedupWriter : public ObjectStream
{
    Q_OBJECT
public:
    static constexpr int kUploaders = 3;

    DedupWriter(ObjectStore &store, QString area, const KnownChunks &known, int level);
    ~DedupWriter() override;

    bool isSequential() const override { return true; }
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
    void submit(QByteArray raw);
    bool retireOldest();
    bool packExists(const QByteArray &pack);
    void closePack();
    void uploadLoop();
    bool fail(const Error &error);
    Error pendingError();

    ObjectStore &m_store;
    QString m_area;
    const KnownChunks &m_known;
    int m_level;
    Chunker m_chunker;

    QByteArray m_buffer;
    qsizetype m_start = 0;  // the next chunk begins here in m_buffer

    QThreadPool m_pool;
    std::deque<std::shared_ptr<Task>> m_inflight;
    int m_maxInflight;

    QHash<QByteArray, std::pair<qint64, ChunkLocation>> m_newByHash;  // chunk -> new pack number, where
    QHash<QByteArray, bool> m_packChecked;  // existing pack -> exists
    QSet<QByteArray> m_missingPacks;
    QList<PendingEntry> m_entries;
    QList<QByteArray> m_newPackHashes;  // by new pack number
    QByteArray m_pack;                  // the open pack

    // upload thread
    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::deque<std::pair<QString, QByteArray>> m_uploads;
    bool m_closing = false;
    qsizetype m_busyUploaders = 0;
    Error m_uploadError;
    std::vector<std::thread> m_uploaders;

    Manifest m_manifest;
    ChunkTable m_added;
    DedupStats m_stats;
};

} // namespace s3cache
