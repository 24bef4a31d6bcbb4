#include "dedupwriter.h"

#include "util/sha256.h"

#include <future>

namespace s3cache {

struct DedupWriter::Task
{
    QByteArray raw;
    QByteArray hash;
    QByteArray stored;  // compressed, unless the index has the chunk
    std::promise<void> done;
    std::future<void> ready = done.get_future();
};

DedupWriter::DedupWriter(ObjectStore &store, QString area, const KnownChunks &known, int level)
    : m_store(store), m_area(std::move(area)), m_known(known), m_level(level), m_chunker(Dedup::chunkLimits()),
      m_maxInflight(std::max(1, QThread::idealThreadCount()) + 2)
{
    m_pool.setMaxThreadCount(std::max(1, QThread::idealThreadCount()));
    for (int i = 0; i < kUploaders; ++i)
        m_uploaders.emplace_back([this] { uploadLoop(); });
    open(QIODevice::WriteOnly);
}

DedupWriter::~DedupWriter()
{
    cancel();
}

qint64 DedupWriter::writeData(const char *data, qint64 size)
{
    if (streamError())
        return -1;
    m_buffer.append(data, size);
    cutChunks(false);
    if (streamError())
        return -1;
    m_transferred += size;
    return size;
}

void DedupWriter::cutChunks(bool last)
{
    const qsizetype maxSize = m_chunker.limits().maxSize;
    while (!streamError() && (m_buffer.size() - m_start >= maxSize || (last && m_start < m_buffer.size()))) {
        const qsizetype length = m_chunker.cut(QByteArrayView(m_buffer).sliced(m_start));
        submit(m_buffer.mid(m_start, length));
        m_start += length;
    }
    if (m_start >= maxSize || m_start == m_buffer.size()) {
        m_buffer.remove(0, m_start);
        m_start = 0;
    }
}

void DedupWriter::submit(QByteArray raw)
{
    while (qsizetype(m_inflight.size()) >= m_maxInflight) {
        if (!retireOldest())
            return;
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
               known != m_known.chunks.cend() && packExists(known->first)) {
        entry.pack = known->first;
        entry.where = known->second;
    } else {
        if (streamError())
            return false;
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

bool DedupWriter::packExists(const QByteArray &pack)
{
    if (const auto it = m_packChecked.constFind(pack); it != m_packChecked.cend())
        return *it;
    const Result<ObjectInfo> info = m_store.head(Dedup::packKey(m_area, pack));
    if (!info.ok() && info.error().kind() != ErrorKind::NotFound) {
        fail(info.error());
        return false;
    }
    m_packChecked.insert(pack, info.ok());
    if (info.ok())
        ++m_stats.packsReused;
    else
        m_missingPacks.insert(pack);
    return info.ok();
}

void DedupWriter::closePack()
{
    const QByteArray hash = Sha256::raw(m_pack);
    m_newPackHashes << hash;
    std::unique_lock lock(m_mutex);
    // Handed to a free uploader: the next pack fills while up to kUploaders go up.
    m_cv.wait(lock, [this] { return m_busyUploaders + qsizetype(m_uploads.size()) < kUploaders || m_uploadError; });
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
