#include "dedupwriter.h"

#include "util/log.h"
#include "util/sha256.h"

#include <QElapsedTimer>

#include <future>

namespace s3cache {

struct DedupWriter::Task
{
    QByteArray raw;
    QByteArray hash;
    QByteArray stored;  // compressed, unless the index has the chunk
    bool mapped = false;  // taken from the previous stream's map: no raw bytes
    std::promise<void> done;
    std::future<void> ready = done.get_future();
};

DedupWriter::DedupWriter(ObjectStore &store, QString area, const KnownChunks &known, int level)
    : m_store(store), m_area(std::move(area)), m_known(known), m_level(level == -1 ? 3 : level), m_chunker(Dedup::chunkLimits()),
      m_maxInflight(std::max(1, QThread::idealThreadCount()) + 2)
{
    m_pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
    if (level == -1)
        m_adaptive.emplace(this);
    for (int i = 0; i < kUploaders; ++i)
        m_uploaders.emplace_back([this] { uploadLoop(); });
    open(QIODevice::WriteOnly);
}

DedupWriter::~DedupWriter()
{
    cancel();
}

void DedupWriter::setReuse(StreamMap previous, QList<std::optional<TarEntryIdentity>> identities)
{
    m_previous = std::move(previous);
    m_identities = std::move(identities);
    QHash<QByteArray, qsizetype> byIdentity;
    byIdentity.reserve(m_previous.entries.size());
    for (qsizetype j = 0; j < m_previous.entries.size(); ++j) {
        if (const auto &id = m_previous.entries.at(j).identity)
            byIdentity.insert(QByteArray(id->data(), qsizetype(id->size())), j);
    }
    const qsizetype n = m_identities.size();
    m_match = QList<qsizetype>(n, -1);
    m_runEnd = QList<qint64>(n, -1);
    for (qsizetype i = 0; i < n; ++i) {
        if (const auto &id = m_identities.at(i))
            m_match[i] = byIdentity.value(QByteArray(id->data(), qsizetype(id->size())), -1);
    }
    for (qsizetype i = n - 1; i >= 0; --i) {
        const qsizetype j = m_match.at(i);
        if (j < 0)
            continue;
        const StreamMap::Entry &old = m_previous.entries.at(j);
        m_runEnd[i] = i + 1 < n && m_match.at(i + 1) == j + 1 ? m_runEnd.at(i + 1) : old.offset + old.length;
    }
}

bool DedupWriter::beginEntry(qsizetype index)
{
    Q_ASSERT(index == m_entryStarts.size());
    m_entryStarts << m_at;
    if (m_match.isEmpty() || streamError())
        return false;
    // Nothing waits to be cut: the next chunk begins here, which may be a cut of the previous stream.
    if (m_bufferAt + m_start == m_at && m_buffer.size() == m_start)
        takeMappedChunks(m_at);
    const qsizetype j = index < m_match.size() ? m_match.at(index) : -1;
    if (j < 0)
        return false;
    const qint64 length = m_previous.entries.at(j).length;
    if (m_at + length > m_dropUntil)
        return false;
    m_at += length;
    ++m_stats.entriesLeftOut;
    return true;
}

void DedupWriter::endEntries()
{
    m_entriesEnd = m_at;
}

void DedupWriter::takeMappedChunks(qint64 at)
{
    // The entry of this stream that `at` lies in, and the same place in the previous stream.
    const auto next = std::upper_bound(m_entryStarts.cbegin(), m_entryStarts.cend(), at);
    if (next == m_entryStarts.cbegin() || (m_entriesEnd >= 0 && at >= m_entriesEnd))
        return;
    const qsizetype i = qsizetype(next - m_entryStarts.cbegin()) - 1;
    const qsizetype j = i < m_match.size() ? m_match.at(i) : -1;
    if (j < 0)
        return;
    const StreamMap::Entry &old = m_previous.entries.at(j);
    const qint64 within = at - m_entryStarts.at(i);
    if (within >= old.length)
        return;
    const qint64 previousAt = old.offset + within;
    const auto chunk = std::lower_bound(m_previous.chunks.cbegin(), m_previous.chunks.cend(), previousAt,
                                        [](const StreamMap::Chunk &c, qint64 offset) { return c.offset < offset; });
    qint64 end = previousAt;
    for (auto c = chunk; c != m_previous.chunks.cend() && c->offset == end && c->offset + c->size <= m_runEnd.at(i); ++c) {
        const auto known = m_known.chunks.constFind(c->hash);
        if (known == m_known.chunks.cend() || !packHolds(*known))
            break;
        submitMapped(*c);
        end += c->size;
    }
    if (end == previousAt || streamError())
        return;
    // Cutting goes on from the end of the last chunk taken; bytes before it are not needed.
    m_dropUntil = at + (end - previousAt);
    m_stats.bytesFromMap += end - previousAt;
    m_scan = {};
    if (m_dropUntil < m_bufferAt + m_buffer.size()) {
        m_start = qsizetype(m_dropUntil - m_bufferAt);
    } else {
        m_buffer.clear();
        m_bufferAt = m_dropUntil;
        m_start = 0;
    }
}

qint64 DedupWriter::writeData(const char *data, qint64 size)
{
    if (streamError())
        return -1;
    const qint64 written = size;
    if (m_at + size <= m_dropUntil) {
        m_at += size;
        m_transferred += written;
        return written;
    }
    if (m_at < m_dropUntil) {
        data += m_dropUntil - m_at;
        size -= m_dropUntil - m_at;
        m_at = m_dropUntil;
    }
    Q_ASSERT(m_bufferAt + m_buffer.size() == m_at);
    m_buffer.append(data, size);
    m_at += size;
    cutChunks(false);
    if (streamError())
        return -1;
    m_transferred += written;
    return written;
}

void DedupWriter::cutChunks(bool last)
{
    while (!streamError() && m_start < m_buffer.size()) {
        const qsizetype length = m_chunker.scan(QByteArrayView(m_buffer).sliced(m_start), m_scan, last);
        if (length == 0)
            break;
        submit(m_buffer.mid(m_start, length));
        m_start += length;
        m_scan = {};
        if (!m_match.isEmpty())
            takeMappedChunks(m_bufferAt + m_start);
    }
    if (m_start >= m_chunker.limits().maxSize || m_start == m_buffer.size()) {
        m_buffer.remove(0, m_start);
        m_bufferAt += m_start;
        m_start = 0;
    }
}

void DedupWriter::submit(QByteArray raw)
{
    while (qsizetype(m_inflight.size()) >= m_maxInflight) {
        if (!retireOldest())
            return;
    }
    if (m_adaptive) {
        if (const std::optional<int> level = m_adaptive->consumed(raw.size()))
            m_level = *level;
    }
    auto task = std::make_shared<Task>();
    task->raw = std::move(raw);
    m_inflight.push_back(task);
    m_pool.start([task, this] {
        task->hash = Sha256::raw(task->raw);
        if (!m_known.chunks.contains(task->hash))
            task->stored = compressChunk(task->raw, m_level);
        task->done.set_value();
    });
}

void DedupWriter::submitMapped(const StreamMap::Chunk &chunk)
{
    while (qsizetype(m_inflight.size()) >= m_maxInflight) {
        if (!retireOldest())
            return;
    }
    auto task = std::make_shared<Task>();
    task->hash = chunk.hash;
    task->mapped = true;
    task->done.set_value();
    m_inflight.push_back(task);
    ++m_stats.chunksFromMap;
}

bool DedupWriter::retireOldest()
{
    const std::shared_ptr<Task> task = m_inflight.front();
    m_inflight.pop_front();
    task->ready.wait();
    if (streamError())
        return false;
    ++m_stats.chunks;
    PendingEntry entry{task->hash, {}, -1, {}};
    if (const auto added = m_newByHash.constFind(task->hash); added != m_newByHash.cend()) {
        entry.newPack = added->first;
        entry.where = added->second;
    } else if (const auto known = m_known.chunks.constFind(task->hash);
               known != m_known.chunks.cend() && packHolds(*known)) {
        entry.pack = known->first;
        entry.where = known->second;
    } else {
        if (streamError())
            return false;
        if (task->mapped)  // takeMappedChunks() checked its pack: only a failed HEAD gets here
            return fail(Error(ErrorKind::Internal, QStringLiteral("MappedChunkLost"),
                              QStringLiteral("a chunk taken from the stream map is in no pack")));
        const QByteArray stored = task->stored.isEmpty() ? compressChunk(task->raw, m_level) : task->stored;
        if (!m_pack.isEmpty() && m_pack.size() + stored.size() > Dedup::packLimit)
            closePack();
        entry.newPack = m_newPackHashes.size();
        entry.where = {-1, m_pack.size(), qint32(stored.size()), qint32(task->raw.size())};
        m_pack += stored;
        m_newByHash.insert(task->hash, {entry.newPack, entry.where});
        ++m_stats.newChunks;
        m_stats.newRawBytes += task->raw.size();
    }
    m_entries << entry;
    return !streamError();
}

bool DedupWriter::packHolds(const std::pair<QByteArray, ChunkLocation> &known)
{
    const QByteArray &pack = known.first;
    auto it = m_packSizes.constFind(pack);
    if (it == m_packSizes.cend()) {
        const Result<ObjectInfo> info = m_store.head(Dedup::packKey(m_area, pack));
        if (!info.ok() && info.error().kind() != ErrorKind::NotFound) {
            fail(info.error());
            return false;
        }
        it = m_packSizes.insert(pack, info.ok() ? info->size : -1);
        if (info.ok())
            ++m_stats.packsReused;
        else
            m_missingPacks.insert(pack);
    }
    // A pack cut short (by hand, or by someone else with write access) does not hold the chunk.
    return *it >= known.second.offset + known.second.storedSize;
}

void DedupWriter::closePack()
{
    const QByteArray hash = Sha256::raw(m_pack);
    m_newPackHashes << hash;
    std::unique_lock lock(m_mutex);
    // Handed to a free uploader: the next pack fills while up to kUploaders go up.
    QElapsedTimer waited;
    waited.start();
    m_cv.wait(lock, [this] { return m_busyUploaders + qsizetype(m_uploads.size()) < kUploaders || m_uploadError; });
    m_blockedNs += waited.nsecsElapsed();
    m_uploads.emplace_back(Dedup::packKey(m_area, hash), std::move(m_pack));
    m_pack = QByteArray();
    lock.unlock();
    m_cv.notify_all();
}

void DedupWriter::uploadLoop()
{
    for (;;) {
        std::unique_lock lock(m_mutex);
        m_cv.wait(lock, [this] { return !m_uploads.empty() || m_closing; });
        if (m_uploads.empty())
            return;
        auto [key, bytes] = std::move(m_uploads.front());
        m_uploads.pop_front();
        const bool skip = bool(m_uploadError);
        ++m_busyUploaders;
        lock.unlock();
        m_cv.notify_all();
        const Error error = skip ? Error() : writeWholeObject(m_store, key, bytes);
        lock.lock();
        --m_busyUploaders;
        if (error && !m_uploadError)
            m_uploadError = error;
        if (!error && !skip) {
            ++m_stats.packsUploaded;
            m_stats.bytesUploaded += bytes.size();
        }
        lock.unlock();
        m_cv.notify_all();
    }
}

OutputPressureSample DedupWriter::outputPressure() const
{
    const std::lock_guard lock(m_mutex);
    return {int(m_busyUploaders + qsizetype(m_uploads.size())), kUploaders, m_blockedNs};
}

bool DedupWriter::fail(const Error &error)
{
    setStreamError(error);
    return false;
}

Error DedupWriter::pendingError()
{
    std::lock_guard lock(m_mutex);
    return m_uploadError;
}

Error DedupWriter::finish()
{
    cutChunks(true);
    while (!m_inflight.empty() && retireOldest()) {
    }
    if (!streamError() && !m_pack.isEmpty())
        closePack();
    {
        std::lock_guard lock(m_mutex);
        m_closing = true;
    }
    m_cv.notify_all();
    for (std::thread &uploader : m_uploaders) {
        if (uploader.joinable())
            uploader.join();
    }
    m_pool.waitForDone();
    if (streamError())
        return streamError();
    if (Error e = pendingError())
        return e;

    if (m_adaptive)
        Log::info(QStringLiteral("zstd level of new chunks adapted to the pack uploads %1 times; MiB per level: %2")
                      .arg(m_adaptive->changes()).arg(m_adaptive->summary()));
    m_manifest.area = m_area;
    for (const PendingEntry &entry : std::as_const(m_entries)) {
        ChunkLocation where = entry.where;
        where.pack = m_manifest.table.addPack(entry.pack.isEmpty() ? m_newPackHashes.at(entry.newPack) : entry.pack);
        m_manifest.table.chunks << ChunkRef{entry.hash, where};
        m_manifest.rawSize += where.rawSize;
    }
    for (auto it = m_newByHash.cbegin(); it != m_newByHash.cend(); ++it) {
        ChunkLocation where = it->second;
        where.pack = m_added.addPack(m_newPackHashes.at(it->first));
        m_added.chunks << ChunkRef{it.key(), where};
    }
    return {};
}

StreamMap DedupWriter::streamMap() const
{
    const qint64 end = m_entriesEnd >= 0 ? m_entriesEnd : m_at;
    QList<StreamMap::Entry> entries;
    entries.reserve(m_entryStarts.size());
    for (qsizetype i = 0; i < m_entryStarts.size(); ++i) {
        const qint64 at = m_entryStarts.at(i);
        const qint64 next = i + 1 < m_entryStarts.size() ? m_entryStarts.at(i + 1) : end;
        entries << StreamMap::Entry{i < m_identities.size() ? m_identities.at(i) : std::nullopt, at, next - at};
    }
    return StreamMap::of(m_manifest, std::move(entries));
}

void DedupWriter::cancel()
{
    {
        std::lock_guard lock(m_mutex);
        m_closing = true;
        m_uploads.clear();
    }
    m_cv.notify_all();
    for (std::thread &uploader : m_uploaders) {
        if (uploader.joinable())
            uploader.join();
    }
    m_pool.waitForDone();
    m_inflight.clear();
}

} // namespace s3cache
