#include "restorejob.h"

#include "dedupreader.h"
#include "lastused.h"
#include "objectlookup.h"
#include "rebuildjob.h"
#include "streammap.h"

#include "archive/contentstate.h"

#include "util/log.h"
#include "util/platform.h"

#include <QFile>
#include <QThread>
#include <QUrl>

#include <sys/stat.h>

namespace s3cache {

RestoreJob::RestoreJob(ObjectStore &store, RestoreOptions options, QObject *parent)
    : Job(parent), m_store(store), m_options(std::move(options))
{
}

namespace {

// Records what a successful restore wrote in the workspace's content state, so that the next
// rebuild there reads (almost) nothing: each restored file, lstat'ed at its final place, with the
// digest of exactly what the extractor wrote (the restore owns these paths while it runs: a
// process writing into them at the same time is not accounted for). A stamp is recorded only if
// it was taken after the file-system clock had passed its ctime (contentstate.h); for the files
// the restore wrote in the last clock tick that means waiting for the next tick (a few ms) and
// lstat'ing them again. Records of other files are kept while they exist. Never fails: the state
// is only a shortcut.
void recordRestoredContents(const QString &workspace, ContentState state)
{
    state.finish();
    if (state.isEmpty())
        return;
    const QByteArray root = QFile::encodeName(workspace) + '/';
    QByteArray full = root;  // root + a path, in one buffer for every lstat
    const auto isRegularFile = [&](QByteArrayView path, struct stat *st) {
        full.truncate(root.size());
        full.append(path);
        return lstat(full.constData(), st) == 0 && S_ISREG(st->st_mode);
    };
    qsizetype unsettled = 0;
    // A restored file's stamp, FileStamp{} while its ctime is not settled (or, `last`, none then).
    const auto stampAll = [&](qint64 floor, bool last) {
        unsettled = 0;
        state.stampPending([&](QByteArrayView path) -> std::optional<FileStamp> {
            struct stat st;
            if (!isRegularFile(path, &st))
                return std::nullopt;  // gone or replaced since: nothing to record
            const FileStamp stamp = FileStamp::of(st);
            if (ContentState::settled(stamp, floor))
                return stamp;
            ++unsettled;
            return last ? std::nullopt : std::optional<FileStamp>(FileStamp{});
        });
    };
    qint64 floor = ContentState::clockFloor();  // after every write, before every lstat
    stampAll(floor, false);
    if (unsettled > 0) {
        // Their ctimes are in the current tick (or in the future: a clock step); wait up to 50 ms.
        // (On a file system of whole seconds they stay unsettled: ContentState::settled().)
        for (int i = 0; i < 50 && ContentState::clockFloor() <= floor; ++i)
            QThread::msleep(1);
        floor = ContentState::clockFloor();
        stampAll(floor, true);
        if (unsettled > 0)
            Log::debug(QStringLiteral("%1 restored files have a ctime too recent to trust (whole seconds, or ahead of the clock): "
                                      "not recorded, hashed by the next rebuild").arg(unsettled));
    }
    // The previous records of files this restore did not write (the restored ones, even those
    // just removed, are still in `state` until finish()).
    state.adoptFrom(ContentState::load(workspace), [&](QByteArrayView path) {
        struct stat st;
        return isRegularFile(path, &st);
    });
    state.finish();
    state.save(workspace);
}

} // namespace

bool RestoreJob::acceptable(const ObjectInfo &found)
{
    const QString written = found.metadata.value(Metadata::platform);
    if (found.key.isEmpty() || written.isEmpty() || written == m_result.platform || m_options.crossPlatform)
        return true;
    m_result.otherPlatform << found;
    return false;
}

Result<ObjectInfo> RestoreJob::find(ObjectStore &store)
{
    m_result.platform = platformName();
    QStringList keys{m_options.key};
    keys += m_options.fallbackKeys;
    Result<ObjectInfo> found = findFirstObject(store, keys);
    if (!found.ok())
        return found;
    if (!found->key.isEmpty() && acceptable(*found)) {
        m_result.exact = true;
        return found;
    }
    for (const KeyLookup &lookup : std::as_const(m_options.nearKeys)) {
        if (isCancelled())
            return cancelledError();
        found = lookup.prefix ? findNewestObject(store, lookup.key) : findFirstObject(store, {lookup.key});
        if (!found.ok())
            return found;
        if (!found->key.isEmpty() && acceptable(*found)) {
            m_result.matchedBy = lookup;
            return found;
        }
    }
    return ObjectInfo{};
}

Error RestoreJob::run()
{
    const ObjectStorePtr store = m_store.withContext(callContext());
    const Result<ObjectInfo> found = find(*store);
    if (!found.ok())
        return found.error();
    if (found->key.isEmpty())
        return {};  // cache miss
    m_result.hit = true;
    m_result.matchedKey = found->key;
    m_result.object = *found;
    if (m_options.lookupOnly)
        return {};
    if (m_options.recordUse) {
        m_result.recordError = recordUse(*store, found->key);
        if (m_result.recordError)
            warn(QStringLiteral("could not record the use of %1: %2; the restore goes on (flush by age_from: used and "
                                "max_size see the cache as unused since its last recorded use; record_use: false stops "
                                "trying, e.g. with read-only credentials)")
                     .arg(store->uri(found->key), m_result.recordError.toString()));
    }

    Result<CacheArchive> source = openArchive(*store, *found);
    if (!source.ok())
        return source.error();
    ExtractOptions extract = m_options.extract;
    extract.requireDigest = found->metadata.value(Metadata::digest) == Metadata::digestV1;
    extract.recordLayout = source->manifest.has_value();
    SafeExtractor extractor(extract);
    const qint64 total = source->downloadSize;
    ObjectStream *stream = source->stream.get();
    Error error = extractor.extract(stream, m_options.workspace, cancellation().get(),
                                    [this, total, stream](qint64, qint64) {
                                        reportProgress({JobPhase::Restore, stream->transferred(), total});
                                    }, callContext().warnings.get());
    m_result.stats = extractor.stats();
    source->nameFormat(m_result.stats);
    m_result.bytesDownloaded = stream->transferred();
    if (error) {
        // A failed download surfaces in the extractor as a read error: report the real cause.
        if (stream->streamError())
            return stream->streamError();
        return error;
    }
    // A dedup stream's layout, for the next rebuild of the same mounts here (streammap.h).
    const QString mounts = QUrl::fromPercentEncoding(found->metadata.value(Metadata::mounts).toLatin1());
    if (QList<TarLayoutEntry> layout = extractor.takeLayout(); source->manifest && !mounts.isEmpty() && !layout.isEmpty())
        StreamMap::of(*source->manifest, std::move(layout)).save(m_options.workspace, {mounts});
    recordRestoredContents(m_options.workspace, extractor.takeRestoredFiles());
    reportProgress({JobPhase::Restore, total, total, m_result.stats.files, m_result.stats.files}, true);
    return {};
}

} // namespace s3cache
