#include "s3store.h"

#include "archive/outputpressure.h"
#include "util/log.h"

#include <QElapsedTimer>
#include <QUrl>

#include <atomic>
#include <deque>
#include <malloc.h>
#include <utility>

namespace s3cache {

namespace {

constexpr qint64 kMiB = 1024 * 1024;
constexpr qint64 kMinPartSize = 5 * kMiB;
constexpr qint64 kMaxPartSize = 5 * 1024 * kMiB;
constexpr int kMaxParts = 10'000;

// Downloads a list of object ranges as ranged GETs of at most `chunkSize`, keeping up to `window`
// requests in flight, and hands the bytes out in order as they arrive. Each request queues at
// most `streamBuffer` bytes ahead of the reader (BodyQueue), so memory does not grow with the
// range size. Every answer must be exactly the range asked for: a range outside its object (a
// damaged dedup manifest) fails the stream.
class S3ObjectReader : public ObjectStream
{
public:
    S3ObjectReader(S3Connection connection, QList<ObjectRange> ranges, const TransferTuning &tuning)
        : m_connection(std::move(connection)), m_ranges(std::move(ranges)), m_chunkSize(tuning.chunkSize),
          m_streamBuffer(tuning.streamBuffer), m_window(std::max(1, tuning.downloadWindow))
    {
        for (const ObjectRange &r : std::as_const(m_ranges))
            m_total += r.length;
        open(QIODevice::ReadOnly);
        fill();
    }
    ~S3ObjectReader() override
    {
        for (const Pending &p : m_pending)
            p.call->abort();
    }

    bool atEnd() const override { return transferred() >= m_total; }

protected:
    qint64 readData(char *data, qint64 maxlen) override
    {
        if (streamError())
            return -1;
        if (maxlen <= 0)
            return 0;
        while (!m_pending.empty()) {
            Pending &front = m_pending.front();
            if (front.received < front.length) {
                const qint64 n = front.body->read(data, std::min(maxlen, front.length - front.received));
                if (n > 0) {
                    front.received += n;
                    m_transferred += n;
                    return n;
                }
                if (!front.call->isFinished())
                    continue;  // sent again with refreshed credentials
            }
            const Pending done = front;
            m_pending.pop_front();
            fill();
            const S3CallResult &result = done.call->wait();
            if (result.error) {
                setStreamError(result.error.withContext(QStringLiteral("download of %1").arg(done.key)));
                return -1;
            }
            if (done.received != done.length) {
                setStreamError(Error(ErrorKind::Transient, QStringLiteral("IncompleteBody"),
                                     QStringLiteral("download of %1: the server sent %2 bytes for a range of %3 at %4")
                                         .arg(done.key, QString::number(done.received),
                                              QString::number(done.length), QString::number(done.first))));
                return -1;
            }
        }
        return transferred() >= m_total ? 0 : -1;  // 0 = end of the ranges
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    struct Pending
    {
        PendingS3CallPtr call;
        BodyQueuePtr body;
        QString key;
        qint64 first;
        qint64 length;
        qint64 received = 0;
    };

    void fill()
    {
        while (int(m_pending.size()) < m_window && m_range < m_ranges.size()) {
            const ObjectRange &r = m_ranges.at(m_range);
            const qint64 first = r.offset + m_rangeDone;
            const qint64 length = std::min(m_chunkSize, r.length - m_rangeDone);
            auto body = std::make_shared<BodyQueue>(m_streamBuffer);
            m_pending.push_back({m_connection.startGetObject(r.object.key, ByteRange{first, first + length - 1},
                                                             r.object.etag, body),
                                 body, r.object.key, first, length});
            m_rangeDone += length;
            if (m_rangeDone >= r.length) {
                ++m_range;
                m_rangeDone = 0;
            }
        }
    }

    S3Connection m_connection;  // a handle sharing the store's connection, with its context
    QList<ObjectRange> m_ranges;
    qint64 m_chunkSize;
    qint64 m_streamBuffer;
    int m_window;
    qint64 m_total = 0;
    std::deque<Pending> m_pending;
    qsizetype m_range = 0;    // the next range to ask for ...
    qint64 m_rangeDone = 0;   // ... from this offset in it
};

// Cuts the stream into parts; parts go up in parallel once the first one is full. Tells the
// archive writer how full its upload window is (OutputPressure: the zstd level adapts to it).
class S3ObjectWriter : public ObjectWriter, public OutputPressure
{
public:
    S3ObjectWriter(S3Connection connection, QString key, QMap<QString, QString> metadata, qint64 firstPartSize,
                   int window)
        : m_connection(std::move(connection)), m_key(std::move(key)), m_metadata(std::move(metadata)),
          m_firstPartSize(firstPartSize), m_window(std::max(1, window))
    {
        open(QIODevice::WriteOnly);
        m_buffer.reserve(m_firstPartSize);
    }
    ~S3ObjectWriter() override { abort(); }

    Error commit() override
    {
        if (m_done)
            return Error(ErrorKind::Internal, QStringLiteral("WriterClosed"), QStringLiteral("commit after commit/abort"));
        if (streamError()) {
            abort();
            return streamError();
        }
        if (m_uploadId.isEmpty()) {
            // Everything fitted in one part: one atomic PutObject.
            const S3CallResult result = m_connection.putObject(m_key, m_buffer, m_metadata, contentType());
            m_done = true;
            close();
            return result.error.withContext(QStringLiteral("upload of %1").arg(m_key));
        }
        if (!m_buffer.isEmpty() && !sendPart())
            return fail();
        while (!m_pending.empty()) {
            if (!collectOldest())
                return fail();
        }
        const S3CallResult result = m_connection.completeMultipartUpload(m_key, m_uploadId, m_parts);
        if (result.error) {
            setStreamError(result.error.withContext(QStringLiteral("completing the upload of %1").arg(m_key)));
            return fail();
        }
        m_done = true;
        close();
        Log::debug(QStringLiteral("upload of %1: %2 parts, %3 of them in a buffer reused from an earlier part")
                       .arg(m_key, QString::number(m_parts.size()), QString::number(m_reusedBuffers)));
        return {};
    }

    OutputPressureSample outputPressure() const override
    {
        OutputPressureSample sample;
        sample.capacity = m_window;
        sample.blockedNs = m_blockedNs;
        for (const PendingS3CallPtr &call : m_pending)
            sample.inFlight += call->isFinished() ? 0 : 1;
        return sample;
    }

    void abort() override
    {
        if (m_done)
            return;
        m_done = true;
        for (const PendingS3CallPtr &call : m_pending)
            call->abort();
        // Parts still on the wire could land after the abort and keep storage alive (S3 then
        // needs a second abort): let the aborted calls finish first; they do so at once.
        for (const PendingS3CallPtr &call : m_pending)
            call->wait();
        m_pending.clear();
        m_pendingNumbers.clear();
        if (!m_uploadId.isEmpty()) {
            // Runs even when the job was cancelled (SIGTERM): the connection detaches cleanup
            // requests from the job's cancellation and gives them their own short deadline.
            const S3CallResult result = m_connection.abortMultipartUpload(m_key, m_uploadId);
            if (result.error && result.error.kind() != ErrorKind::NotFound)
                reportWarning(m_connection.context().warnings,
                              QStringLiteral("could not abort multipart upload %1 of %2: %3 (a bucket lifecycle rule "
                                             "AbortIncompleteMultipartUpload cleans it up)")
                                  .arg(m_uploadId, m_key, result.error.toString()));
            else
                Log::debug(QStringLiteral("aborted multipart upload of %1").arg(m_key));
        }
        close();
    }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 len) override
    {
        if (streamError() || m_done)
            return -1;
        qint64 consumed = 0;
        while (consumed < len) {
            const qint64 room = currentPartSize() - m_buffer.size();
            const qint64 n = std::min(room, len - consumed);
            m_buffer.append(data + consumed, n);
            consumed += n;
            if (m_buffer.size() >= currentPartSize() && !sendPart())
                return -1;
        }
        m_transferred += len;
        return len;
    }

private:
    static QString contentType() { return QStringLiteral("application/octet-stream"); }
    qint64 currentPartSize() const { return S3Store::partSizeFor(int(m_parts.size() + m_pending.size()) + 1, m_firstPartSize); }

    bool sendPart()
    {
        if (m_uploadId.isEmpty()) {
            const S3CallResult created = m_connection.createMultipartUpload(m_key, m_metadata, contentType());
            if (created.error) {
                setStreamError(created.error.withContext(QStringLiteral("starting the upload of %1").arg(m_key)));
                return false;
            }
            m_uploadId = created.uploadId;
        }
        const int partNumber = int(m_parts.size() + m_pending.size()) + 1;
        if (partNumber > kMaxParts) {
            setStreamError(Error(ErrorKind::InvalidInput, QStringLiteral("TooManyParts"),
                                 QStringLiteral("upload of %1 needs more than %2 parts").arg(m_key, QString::number(kMaxParts))));
            return false;
        }
        if (int(m_pending.size()) >= m_window) {
            QElapsedTimer blocked;
            blocked.start();
            while (int(m_pending.size()) >= m_window) {
                if (!collectOldest())
                    return false;
            }
            m_blockedNs += blocked.nsecsElapsed();
        }
        m_pendingNumbers.push_back(partNumber);
        m_pending.push_back(m_connection.startUploadPart(m_key, m_uploadId, partNumber, m_buffer));
        m_sentBuffers.push_back(std::exchange(m_buffer, QByteArray()));
        nextBuffer();
        return true;
    }

    // The next part's buffer: a sent one that nothing else holds any more (the upload of its part
    // is over), so its pages are reused; else a new one. Freeing and mapping a part's 8-16 MiB
    // again for every part cost a page fault per 4 KiB written (~7 % of a rebuild's CPU). Other
    // sent buffers nothing holds are freed: kept as spares, they held a part more than the window
    // (+8 MiB of peak RSS in a 2 GiB rebuild).
    void nextBuffer()
    {
        const qsizetype size = currentPartSize();
        bool reused = false;
        for (auto it = m_sentBuffers.begin(); it != m_sentBuffers.end();) {
            if (!it->isDetached()) {
                ++it;
                continue;
            }
            // The last other holder (the client's thread) let go with a release decrement;
            // isDetached() reads the count relaxed: order its writes before ours.
            std::atomic_thread_fence(std::memory_order_acquire);
            if (!reused && it->capacity() >= size) {
                m_buffer = std::move(*it);
                m_buffer.resize(0);
                reused = true;
                ++m_reusedBuffers;
            }
            it = m_sentBuffers.erase(it);
        }
        if (!reused)
            m_buffer.reserve(size);
        // Sent buffers still in use stay listed until the window moves past them.
        while (qsizetype(m_sentBuffers.size()) > m_window + 1)
            m_sentBuffers.pop_front();
    }

    bool collectOldest()
    {
        PendingS3CallPtr call = m_pending.front();
        const int number = m_pendingNumbers.front();
        m_pending.pop_front();
        m_pendingNumbers.pop_front();
        const S3CallResult &result = call->wait();
        if (result.error) {
            const QString context = QStringLiteral("upload of part %1 of %2").arg(QString::number(number), m_key);
            const bool lostAnswer = result.error.code() == u"NetworkError" && !m_connection.config().objectDataDirect();
            setStreamError((lostAnswer ? whyClosed(result.error, number) : result.error).withContext(context));
            return false;
        }
        m_parts.append({number, result.etag});
        return true;
    }

    // A part whose connection kept closing under it, every attempt, on Qt's HTTP stack (https,
    // a proxy): a server that refuses a part from its headers answers and closes before it has
    // taken the body, and Qt loses that answer (README "Reliability"; s3cache's own exchange
    // reads it). The same part without its body gets the server's answer whole: its error says
    // why; if it goes through, what closed the connection minded the body's size. The upload is
    // aborted after this either way.
    Error whyClosed(const Error &closed, int number)
    {
        const S3CallResult probe = m_connection.uploadPart(m_key, m_uploadId, number, QByteArray());
        if (probe.error && probe.error.httpStatus() >= 400)
            return probe.error.withMessage(probe.error.message()
                                           + QStringLiteral(" (the connection closed under the part every time; the same "
                                                            "part without its body got this answer)"));
        if (probe.error)
            return closed;
        return Error(closed).setHint(QStringLiteral("the same part without its body went through: the server, or a proxy in "
                                                    "between, closes the connection on large request bodies (a body-size "
                                                    "limit such as nginx's client_max_body_size? this part had %1 MiB)")
                                         .arg(S3Store::partSizeFor(number, m_firstPartSize) >> 20));
    }

    Error fail()
    {
        Error error = streamError();
        abort();
        return error;
    }

    S3Connection m_connection;  // a handle sharing the store's connection, with its context
    QString m_key;
    QMap<QString, QString> m_metadata;
    qint64 m_firstPartSize;
    int m_window;
    QString m_uploadId;
    QByteArray m_buffer;
    std::deque<QByteArray> m_sentBuffers;  // bodies of sent parts, oldest first (nextBuffer())
    int m_reusedBuffers = 0;
    std::deque<PendingS3CallPtr> m_pending;
    std::deque<int> m_pendingNumbers;
    QList<CompletedPart> m_parts;
    qint64 m_blockedNs = 0;  // time sendPart() waited for room in the window
    bool m_done = false;
};

} // namespace

S3Store::S3Store(S3Connection connection, TransferTuning tuning) : m_connection(std::move(connection)), m_tuning(tuning) {}

S3Store::S3Store(S3ClientConfig config, TransferTuning tuning) : m_connection(std::move(config)), m_tuning(tuning)
{
    // Part and chunk buffers are 8-16 MiB, allocated and freed all through a transfer. glibc
    // raises its mmap threshold (up to 32 MiB) each time it frees such a mapped block, so later
    // ones come from the heap, which fragments and keeps growing with the object: the RSS of a
    // 2 GiB restore was 30 MiB above that of a 500 MiB one (bench/README.md, memory). A fixed
    // threshold keeps them mapped, returned to the system when freed.
    static const bool mappedBuffers = mallopt(M_MMAP_THRESHOLD, int(4 * kMiB)) == 1;
    Q_UNUSED(mappedBuffers);
}

S3Store::~S3Store() = default;

qint64 S3Store::partSizeFor(int partNumber, qint64 firstPartSize)
{
    // Double the part size every 1,000 parts: 10,000 parts of an 8 MiB start reach ~8 TiB (S3 objects end at 5 TiB).
    const int doublings = std::min(10, (partNumber - 1) / 1000);
    return std::clamp(firstPartSize << doublings, kMinPartSize, kMaxPartSize);
}

QString S3Store::describe() const
{
    return QStringLiteral("s3://%1 at %2").arg(m_connection.config().endpoint.bucket, m_connection.config().endpoint.describe());
}

QString S3Store::uri(const QString &key) const
{
    return QStringLiteral("s3://%1/%2").arg(m_connection.config().endpoint.bucket, key);
}

std::unique_ptr<ObjectStore> S3Store::withContext(const CallContext &context) const
{
    return std::unique_ptr<ObjectStore>(new S3Store(m_connection.withContext(context), m_tuning));
}

Result<ObjectInfo> S3Store::head(const QString &key)
{
    const S3CallResult result = m_connection.headObject(key);
    if (result.error)
        return result.error.withContext(uri(key));
    ObjectInfo info = result.info;
    info.key = key;
    return info;
}

Result<std::unique_ptr<ObjectStream>> S3Store::openRead(const ObjectInfo &info)
{
    if (info.size < 0)
        return Error(ErrorKind::Internal, QStringLiteral("UnknownSize"), QStringLiteral("openRead needs the size from head()"));
    QList<ObjectRange> whole;
    if (info.size > 0)
        whole << ObjectRange{info, 0, info.size};
    return std::unique_ptr<ObjectStream>(std::make_unique<S3ObjectReader>(m_connection, whole, m_tuning));
}

Result<std::unique_ptr<ObjectStream>> S3Store::openRanges(const QList<ObjectRange> &ranges)
{
    for (const ObjectRange &r : ranges) {
        if (r.offset < 0 || r.length <= 0)
            return Error(ErrorKind::Internal, QStringLiteral("InvalidRange"), QStringLiteral("openRanges: empty range"));
    }
    return std::unique_ptr<ObjectStream>(std::make_unique<S3ObjectReader>(m_connection, ranges, m_tuning));
}

Result<std::unique_ptr<ObjectWriter>> S3Store::openWrite(const QString &key, const QMap<QString, QString> &metadata,
                                                         qint64 sizeHint)
{
    qint64 first = m_tuning.partSize;
    if (sizeHint > 0)
        first = std::max(first, sizeHint / (kMaxParts - 1000) + 1);
    return std::unique_ptr<ObjectWriter>(
        std::make_unique<S3ObjectWriter>(m_connection, key, metadata, first, m_tuning.uploadWindow));
}

Error S3Store::list(const QString &prefix, const std::function<bool(const QList<ObjectInfo> &)> &page)
{
    QString token;
    do {
        const S3CallResult result = m_connection.listObjectsV2(prefix, token);
        if (result.error)
            return result.error.withContext(QStringLiteral("listing %1").arg(uri(prefix)));
        if (!page(result.list.objects))
            return {};
        if (result.list.truncated && result.list.nextContinuationToken.isEmpty())
            return Error(ErrorKind::Server, QStringLiteral("InvalidListing"),
                         QStringLiteral("listing %1: truncated page without a continuation token").arg(uri(prefix)));
        token = result.list.truncated ? result.list.nextContinuationToken : QString();
    } while (!token.isEmpty());
    return {};
}

Result<QList<MultipartUploadInfo>> S3Store::unfinishedUploads(const QString &prefix)
{
    const S3CallResult result = m_connection.listMultipartUploads(prefix);
    if (result.error)
        return result.error.withContext(QStringLiteral("listing unfinished uploads under %1").arg(uri(prefix)));
    return result.uploads;
}

Error S3Store::abortUpload(const MultipartUploadInfo &upload)
{
    const S3CallResult result = m_connection.abortMultipartUpload(upload.key, upload.uploadId);
    if (result.error && result.error.kind() != ErrorKind::NotFound)  // gone meanwhile: fine
        return result.error.withContext(QStringLiteral("aborting the upload of %1").arg(uri(upload.key)));
    return {};
}

RemoveResult S3Store::remove(const QStringList &keys)
{
    RemoveResult removed;
    if (keys.isEmpty())
        return removed;
    const S3CallResult result = m_connection.deleteObjects(keys);
    if (result.error) {
        removed.error = result.error.withContext(QStringLiteral("deleting %1 objects").arg(keys.size()));
        return removed;
    }
    removed.deleted = result.deleted;
    for (const auto &[key, error] : result.deleteFailures)
        removed.failed.append({key, error.withContext(QStringLiteral("deleting %1").arg(uri(key)))});
    return removed;
}

} // namespace s3cache
