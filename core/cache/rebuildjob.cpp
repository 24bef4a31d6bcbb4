#include "rebuildjob.h"

#include "dedupreader.h"
#include "objectlookup.h"

#include "archive/safeextractor.h"
#include "util/log.h"
#include "util/platform.h"

#include <QUrl>

#include <future>

namespace s3cache {

RebuildJob::RebuildJob(ObjectStore &store, RebuildOptions options, QObject *parent)
    : Job(parent), m_store(store), m_options(std::move(options))
{
}

namespace {

// The HEAD of the object, on a thread of its own while the tree is scanned: an unchanged tree
// then costs the scan alone (the HEAD and the connection's first setup are 15-40 ms of ~110).
// Its own Cancellation (the job's deadline) lets a failed scan stop it; result() passes a cancel
// of the job on. Destroying it cancels and waits.
class BackgroundLookup
{
public:
    BackgroundLookup(const ObjectStore &store, const CallContext &job, const QString &key)
        : m_cancellation(std::make_shared<Cancellation>()), m_job(job.cancellation)
    {
        if (m_job)
            m_cancellation->setDeadline(m_job->deadline());
        m_future = std::async(std::launch::async, [store = store.withContext({m_cancellation, job.warnings}), key] {
            return findFirstObject(*store, {key});
        });
    }
    ~BackgroundLookup()
    {
        m_cancellation->cancel();
        if (m_future.valid())  // result() not taken
            m_future.wait();
    }
    BackgroundLookup(const BackgroundLookup &) = delete;
    BackgroundLookup &operator=(const BackgroundLookup &) = delete;

    Result<ObjectInfo> result()
    {
        while (m_future.wait_for(std::chrono::milliseconds(20)) != std::future_status::ready) {
            if (m_job && m_job->isCancelled())
                m_cancellation->cancel();
        }
        return m_future.get();
    }

private:
    CancellationPtr m_cancellation;
    CancellationPtr m_job;
    std::future<Result<ObjectInfo>> m_future;
};

// Whether the dedup cache `manifest` uses a pack with a damaged marker (chunkindex.h): one listing
// of the markers, and only when there are some, the manifest.
Result<bool> usesDamagedPack(ObjectStore &store, const ObjectInfo &manifest, const QString &area)
{
    const Result<QSet<QByteArray>> damaged = readDamaged(store, area);
    if (!damaged.ok())
        return damaged.error();
    if (damaged->isEmpty())
        return false;
    const Result<Manifest> read = readManifest(store, manifest);
    if (!read.ok())
        return read.error().kind() == ErrorKind::Corrupt ? Result<bool>(true) : read.error();
    for (const QByteArray &pack : read->table.packs) {
        if (damaged->contains(pack))
            return true;
    }
    return false;
}

} // namespace

Error RebuildJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    BackgroundLookup lookup(m_store, callContext(), m_options.key);
    reportProgress({JobPhase::Scan}, true);
    recoverInterruptedRestores(m_options.workspace, callContext().warnings.get());
    // The workspace's record of known file contents: files whose lstat matches theirs are not
    // read again (archive/contentstate.h). Saved again right away, so that it is not held in
    // memory during the upload, and even when the upload then fails (it describes the workspace,
    // not the object).
    Result<TreeSnapshot> snapshot = [&] {
        ContentState state = ContentState::load(m_options.workspace);
        Result<TreeSnapshot> scanned = scanMounts(m_options.workspace, m_options.mounts, m_options.preservePath,
                                                  cancellation().get(), &state);
        if (scanned.ok()) {
            Log::debug(QStringLiteral("contents of %1 files: %2 known from the content state, %3 read (%4 bytes)")
                           .arg(QString::number(scanned->fileCount), QString::number(scanned->filesFromState),
                                QString::number(scanned->filesHashed), QString::number(scanned->bytesHashed)));
            if (scanned->stateChanged && !m_options.dryRun)
                state.save(scanned->workspace);
        }
        return scanned;
    }();
    if (!snapshot.ok())
        return snapshot.error();
    m_result.missingMounts = snapshot->missingMounts;
    m_result.skipped = snapshot->skipped;
    m_result.unreadable = snapshot->unreadable;
    if (m_options.strict && !snapshot->unreadable.isEmpty())
        return Error(ErrorKind::Io, QStringLiteral("UnreadableFiles"),
                     QStringLiteral("%1 files or folders cannot be read (the first: %2); with strict: true nothing is "
                                    "uploaded without them (give the build's user read access, or leave them out of "
                                    "the mounts)")
                         .arg(QString::number(snapshot->unreadable.size()), snapshot->unreadable.first()));
    m_result.fileCount = snapshot->fileCount;
    m_result.totalFileBytes = snapshot->totalFileBytes;
    if (snapshot->isEmpty()) {
        m_result.outcome = RebuildResult::Outcome::NothingToCache;
        return {};
    }
    m_result.fingerprint = QString::fromLatin1(snapshot->fingerprint());
    const QString format = archiveFormatName(m_options.archive.format);

    const Result<ObjectInfo> existing = lookup.result();
    if (!existing.ok())
        return existing.error();
    // A cache of another platform is replaced even with the same files: this platform's restores
    // refuse it. So is a dedup cache a reader found damaged: its chunks are stored again.
    if (existing->metadata.value(Metadata::fingerprint) == m_result.fingerprint
        && existing->metadata.value(Metadata::format) == format
        && existing->metadata.value(Metadata::platform, platformName()) == platformName() && !existing->key.isEmpty()) {
        const Result<bool> damaged = m_options.archive.format == ArchiveFormat::Dedup
            ? usesDamagedPack(*store, *existing, m_options.chunkArea)
            : Result<bool>(false);
        if (!damaged.ok())
            return damaged.error();
        if (!*damaged) {
            m_result.outcome = RebuildResult::Outcome::Unchanged;
            m_result.objectSize = existing->size;
            return {};
        }
        Log::info(QStringLiteral("%1 holds these files, but a pack it uses is marked damaged: writing it again")
                      .arg(store->uri(existing->key)));
    }
    if (m_options.dryRun) {
        m_result.outcome = RebuildResult::Outcome::DryRun;
        return {};
    }

    QMap<QString, QString> metadata = m_options.extraMetadata;
    metadata.insert(Metadata::fingerprint, m_result.fingerprint);
    metadata.insert(Metadata::format, format);
    metadata.insert(Metadata::files, QString::number(snapshot->fileCount));
    metadata.insert(Metadata::bytes, QString::number(snapshot->totalFileBytes));
    metadata.insert(Metadata::version, QStringLiteral(S3CACHE_VERSION));
    metadata.insert(Metadata::platform, platformName());
    if (const QByteArray mounts = QUrl::toPercentEncoding(m_options.mounts.join(u','), "/,*?!._-~[]{}"); mounts.size() <= 1024)
        metadata.insert(Metadata::mounts, QString::fromLatin1(mounts));
    if (writesArchiveDigest(*snapshot, m_options.archive.format))
        metadata.insert(Metadata::digest, Metadata::digestV1);

    if (m_options.archive.format == ArchiveFormat::Dedup) {
        if (Error e = writeDedup(*store, *snapshot, metadata))
            return e;
        m_result.outcome = RebuildResult::Outcome::Uploaded;
        reportProgress({JobPhase::Upload, snapshot->totalFileBytes, snapshot->totalFileBytes, snapshot->fileCount,
                        snapshot->fileCount}, true);
        return {};
    }
    Result<std::unique_ptr<ObjectWriter>> writer = store->openWrite(m_options.key, metadata, snapshot->totalFileBytes);
    if (!writer.ok())
        return writer.error();
    ArchiveWriter archiver(m_options.archive);
    const qint64 total = snapshot->totalFileBytes;
    Error error = archiver.write(*snapshot, writer->get(), cancellation().get(), [this, total](qint64 done, qint64) {
        reportProgress({JobPhase::Upload, done, total});
    }, callContext().warnings.get());
    m_result.stats = archiver.stats();
    if (error) {
        Error cause = (*writer)->streamError() ? (*writer)->streamError() : error;
        (*writer)->abort();
        return cause;
    }
    if (isCancelled()) {
        (*writer)->abort();
        return cancelledError();
    }
    if (Error e = (*writer)->commit())
        return e;
    m_result.objectSize = (*writer)->transferred();
    m_result.bytesUploaded = m_result.objectSize;
    m_result.outcome = RebuildResult::Outcome::Uploaded;
    reportProgress({JobPhase::Upload, total, total, snapshot->fileCount, snapshot->fileCount}, true);
    return {};
}

// The tar stream goes into a DedupWriter (new chunks into packs), then the index segment of the
// new chunks, then the manifest: a restore sees the cache only once everything it needs is up.
// A rebuild that took longer than the grace period may rely on packs a flush condemned meanwhile
// (and may delete soon): it checks again and gives up rather than write a manifest that could
// lose its chunks.
Error RebuildJob::writeDedup(ObjectStore &store, const TreeSnapshot &snapshot, const QMap<QString, QString> &metadata)
{
    const QString &area = m_options.chunkArea;
    Result<KnownChunks> known = readChunkIndex(store, area, callContext().warnings.get());
    if (!known.ok())
        return known.error();
    Log::debug(QStringLiteral("chunk area %1: %2 chunks known from %3 index segments, %4 packs condemned")
                   .arg(store.uri(area), QString::number(known->chunks.size()), QString::number(known->segments.size()),
                        QString::number(known->condemned.size())));
    DedupWriter sink(store, area, *known, m_options.archive.compressionLevel);
    // What the last rebuild of these mounts wrote (streammap.h): unchanged entries are not read;
    // and this stream's layout, for the next one.
    QList<std::optional<TarEntryIdentity>> identities;
    identities.reserve(snapshot.size());
    {
        TarHeaderEncoder encoder;
        for (qsizetype i = 0; i < snapshot.size(); ++i)
            identities << tarEntryIdentity(snapshot, i, encoder);
    }
    sink.setReuse(StreamMap::load(m_options.workspace, m_options.mounts, area), std::move(identities));
    ArchiveWriter archiver(m_options.archive);
    archiver.setEntryObserver(&sink);
    const qint64 total = snapshot.totalFileBytes;
    Error error = archiver.write(snapshot, &sink, cancellation().get(), [this, total](qint64 done, qint64) {
        reportProgress({JobPhase::Upload, done, total});
    }, callContext().warnings.get());
    m_result.stats = archiver.stats();
    if (error)
        return sink.streamError() ? sink.streamError() : error;
    if (Error e = sink.finish())
        return e;
    if (isCancelled())
        return cancelledError();
    m_result.dedup = sink.stats();
    m_result.bytesUploaded = sink.stats().bytesUploaded;
    // A pack is named by the hash of its bytes: one uploaded again under a damaged marker's name
    // holds the right bytes now, and its marker goes.
    QStringList healed;
    for (const QByteArray &pack : sink.newChunks().packs) {
        if (known->damaged.contains(pack))
            healed << Dedup::damagedKey(area, pack);
    }
    if (const RemoveResult removed = store.remove(healed); removed.error || !removed.failed.isEmpty())
        warn(QStringLiteral("could not delete the damaged markers of %1 packs written again (until they are deleted, "
                            "rebuilds keep storing those packs' chunks again): %2")
                 .arg(QString::number(healed.size()),
                      (removed.error ? removed.error : removed.failed.first().second).toString()));

    if (known->readAt.secsTo(QDateTime::currentDateTimeUtc()) * 2 > m_options.chunkGraceSeconds) {
        Result<CondemnedPacks> condemned = readCondemned(store, area);
        if (!condemned.ok())
            return condemned.error();
        for (const QByteArray &pack : sink.manifest().table.packs) {
            if (condemned->contains(pack) && !known->condemned.contains(pack))
                return Error(ErrorKind::Transient, QStringLiteral("ChunksCondemned"),
                             QStringLiteral("a flush condemned a pack this cache uses while the rebuild ran (longer than "
                                            "half of chunk_grace, %1 s): nothing was written over the previous cache; "
                                            "run the rebuild again, and raise chunk_grace if rebuilds take this long")
                                 .arg(m_options.chunkGraceSeconds));
        }
    }
    if (!sink.newChunks().chunks.isEmpty()) {
        const Result<QString> segment = writeIndexSegment(store, area, sink.newChunks());
        if (!segment.ok())
            return segment.error();
        m_result.bytesUploaded += encodeIndex(sink.newChunks()).size();
    }
    const QByteArray manifest = encodeManifest(sink.manifest());
    QMap<QString, QString> withStored = metadata;
    withStored.insert(Metadata::storedBytes, QString::number(sink.manifest().storedSize()));
    if (Error e = writeWholeObject(store, m_options.key, manifest, withStored))
        return e;
    m_result.objectSize = manifest.size();
    m_result.bytesUploaded += manifest.size();
    sink.streamMap().save(m_options.workspace, m_options.mounts);

    if (known->segments.size() > kMergeSegmentsAbove) {
        const Result<QString> merged = mergeSegments(store, area, *known, sink.newChunks(), sink.missingPacks());
        if (!merged.ok())
            warn(QStringLiteral("could not merge the %1 index segments of %2 (the cache was written; the next "
                                "rebuild tries again): %3")
                     .arg(QString::number(known->segments.size()), store.uri(area), merged.error().toString()));
    }
    return {};
}

} // namespace s3cache
