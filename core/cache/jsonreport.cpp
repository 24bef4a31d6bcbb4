#include "jsonreport.h"

#include "archive/fsname.h"
#include "util/log.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace s3cache::JsonReport {

namespace {

using namespace Qt::StringLiterals;

// A string, or null when it is empty.
QJsonValue textOrNull(const QString &text)
{
    return text.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(text);
}

QJsonValue optionalBool(std::optional<bool> value)
{
    return value ? QJsonValue(*value) : QJsonValue(QJsonValue::Null);
}

// Seconds with millisecond precision.
double seconds(qint64 ms)
{
    return double(ms) / 1000.0;
}

QString entryType(TreeEntry::Type type)
{
    switch (type) {
    case TreeEntry::Directory: return u"directory"_s;
    case TreeEntry::Symlink: return u"symlink"_s;
    case TreeEntry::Hardlink: return u"hardlink"_s;
    case TreeEntry::File: break;
    }
    return u"file"_s;
}

QString rebuildOutcome(RebuildResult::Outcome outcome)
{
    switch (outcome) {
    case RebuildResult::Outcome::Uploaded: return u"uploaded"_s;
    case RebuildResult::Outcome::Unchanged: return u"unchanged"_s;
    case RebuildResult::Outcome::DryRun: return u"dry_run"_s;
    case RebuildResult::Outcome::NothingToCache: break;
    }
    return u"nothing_to_cache"_s;
}

QJsonValue masked(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::String: return Log::mask(value.toString());
    case QJsonValue::Array: {
        QJsonArray out;
        const QJsonArray array = value.toArray();
        for (const auto &item : array)
            out.append(masked(item));
        return out;
    }
    case QJsonValue::Object: {
        QJsonObject out;
        const QJsonObject object = value.toObject();
        for (auto it = object.constBegin(); it != object.constEnd(); ++it)
            out.insert(Log::mask(it.key()), masked(it.value()));
        return out;
    }
    default: return value;
    }
}

} // namespace

QString schemaId(const QString &command)
{
    return u"s3cache/%1/1"_s.arg(command);
}

QString errorKindId(ErrorKind kind)
{
    switch (kind) {
    case ErrorKind::None: return u"none"_s;
    case ErrorKind::InvalidInput: return u"invalid_input"_s;
    case ErrorKind::Auth: return u"auth"_s;
    case ErrorKind::AccessDenied: return u"access_denied"_s;
    case ErrorKind::NotFound: return u"not_found"_s;
    case ErrorKind::Transient: return u"transient"_s;
    case ErrorKind::Corrupt: return u"corrupt"_s;
    case ErrorKind::Unsafe: return u"unsafe"_s;
    case ErrorKind::Io: return u"io"_s;
    case ErrorKind::Cancelled: return u"cancelled"_s;
    case ErrorKind::Server: return u"server"_s;
    case ErrorKind::Internal: break;
    }
    return u"internal"_s;
}

QJsonObject errorJson(const Error &error, const QString &context)
{
    return {{u"kind"_s, errorKindId(error.kind())},
            {u"code"_s, textOrNull(error.code())},
            {u"message"_s, error.message()},
            {u"hint"_s, textOrNull(error.hint())},
            {u"http_status"_s, error.httpStatus() > 0 ? QJsonValue(error.httpStatus()) : QJsonValue(QJsonValue::Null)},
            {u"request_id"_s, textOrNull(error.requestId())},
            {u"context"_s, textOrNull(context)}};
}

QJsonObject document(const QString &command, int exitCode, const Error *error, const QString &context)
{
    return {{u"schema"_s, schemaId(command)},
            {u"command"_s, command},
            {u"exit_code"_s, exitCode},
            {u"error"_s, error && error->isError() ? QJsonValue(errorJson(*error, context)) : QJsonValue(QJsonValue::Null)}};
}

void insertTime(QJsonObject &object, const QString &name, const QDateTime &when)
{
    const bool valid = when.isValid();
    object.insert(name, valid ? QJsonValue(when.toUTC().toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null));
    object.insert(name + u"_epoch"_s, valid ? QJsonValue(when.toSecsSinceEpoch()) : QJsonValue(QJsonValue::Null));
}

QJsonObject objectJson(const ObjectInfo &object)
{
    QJsonObject out{{u"key"_s, object.key},
                    {u"size"_s, object.size >= 0 ? QJsonValue(object.size) : QJsonValue(QJsonValue::Null)},
                    {u"etag"_s, textOrNull(QString::fromLatin1(object.etag))}};
    insertTime(out, u"last_modified"_s, object.lastModified);
    insertTime(out, u"last_used"_s, object.lastUsed);
    return out;
}

QJsonObject decisionJson(const FlushDecision &decision, const FlushPolicy &policy, std::optional<bool> deleted)
{
    QString reason = u"kept"_s;
    switch (decision.reason) {
    case FlushDecision::Reason::Old: reason = u"old"_s; break;
    case FlushDecision::Reason::OverBudget: reason = u"over_budget"_s; break;
    case FlushDecision::Reason::Changed: reason = u"changed"_s; break;
    case FlushDecision::Reason::Kept: break;
    }
    QJsonObject out = objectJson(decision.cache);
    out.insert(u"decision"_s, decision.deleted() ? u"delete"_s : u"keep"_s);
    out.insert(u"reason"_s, reason);
    out.insert(u"reason_text"_s, describeDecision(decision, policy));
    out.insert(u"deleted"_s, decision.deleted() ? optionalBool(deleted) : QJsonValue(false));
    return out;
}

QJsonObject staleUploadJson(const MultipartUploadInfo &upload, std::optional<bool> aborted)
{
    QJsonObject out{{u"key"_s, upload.key}, {u"upload_id"_s, upload.uploadId}, {u"aborted"_s, optionalBool(aborted)}};
    insertTime(out, u"initiated"_s, upload.initiated);
    return out;
}

QJsonObject entryJson(const ArchiveEntryInfo &entry)
{
    QJsonObject out{{u"path"_s, fsNameForDisplay(entry.path)},
                    {u"type"_s, entryType(entry.type)},
                    {u"size"_s, entry.size},
                    {u"mode"_s, qint64(entry.mode & 07777)},
                    {u"link_target"_s, textOrNull(fsNameForDisplay(entry.linkTarget))}};
    insertTime(out, u"mtime"_s, QDateTime::fromSecsSinceEpoch(entry.mtime, Qt::UTC));
    return out;
}

QJsonObject listJson(const QString &prefix, const QList<ObjectInfo> &objects)
{
    QJsonArray list;
    qint64 total = 0;
    for (const ObjectInfo &o : objects) {
        list.append(objectJson(o));
        total += std::max<qint64>(0, o.size);
    }
    return {{u"prefix"_s, prefix}, {u"objects"_s, list}, {u"count"_s, qint64(objects.size())}, {u"total_bytes"_s, total}};
}

QJsonObject inspectJson(const InspectResult &result)
{
    QJsonObject object = objectJson(result.object);
    QJsonObject metadata;
    for (auto it = result.object.metadata.cbegin(); it != result.object.metadata.cend(); ++it)
        metadata.insert(it.key(), it.value());
    object.insert(u"metadata"_s, metadata);
    object.insert(u"content_type"_s, textOrNull(result.object.contentType));
    QJsonArray entries;
    for (const ArchiveEntryInfo &e : result.entries)
        entries.append(entryJson(e));
    return {{u"object"_s, object},
            {u"format"_s, textOrNull(result.stats.format)},
            {u"entries"_s, entries},
            {u"entry_count"_s, qint64(result.entries.size())},
            {u"truncated"_s, result.truncated}};
}

QJsonObject configJson(const ConfigReport &report)
{
    QJsonObject store{{u"type"_s, report.fileStore ? u"file"_s : u"s3"_s}};
    if (report.fileStore) {
        store.insert(u"directory"_s, report.storeDirectory);
    } else {
        store.insert(u"endpoint"_s, report.endpoint);
        store.insert(u"addressing"_s, report.addressing);
        store.insert(u"region"_s, report.region);
        store.insert(u"region_source"_s, report.regionSource);
        store.insert(u"endpoint_urls_ignored_by"_s, textOrNull(report.endpointsIgnoredBy));
        store.insert(u"proxy"_s, report.proxy);
        store.insert(u"ca_bundle"_s, textOrNull(report.caBundle));
        store.insert(u"ca_bundle_source"_s, textOrNull(report.caBundleSource));
    }

    QJsonValue defaultBranch = QJsonValue::Null;
    if (!report.defaultBranch.isEmpty())
        defaultBranch = QJsonObject{{u"branch"_s, report.defaultBranch},
                                    {u"source"_s, report.defaultBranchSource},
                                    {u"keys"_s, QJsonArray::fromStringList(report.defaultBranchKeys)}};

    const CredentialsReport &c = report.credentials;
    QJsonObject credentials{{u"description"_s, c.text},
                            {u"source"_s, textOrNull(c.source)},
                            {u"access_key_id"_s, textOrNull(c.accessKeyId)},
                            {u"session_token"_s, c.sessionToken},
                            {u"error"_s, textOrNull(c.error)}};
    insertTime(credentials, u"expires"_s, c.expiration);

    QJsonObject parameters;
    for (const ConfigReport::ParameterRow &p : report.parameters)
        parameters.insert(p.name, QJsonObject{{u"value"_s, textOrNull(p.value)},
                                              {u"source"_s, p.source},
                                              {u"template"_s, textOrNull(p.templateText)}});

    QJsonObject out{{u"action"_s, report.action},
                    {u"store"_s, store},
                    {u"bucket"_s, report.bucket},
                    {u"key"_s, textOrNull(report.key)},
                    {u"restore_keys"_s, QJsonArray::fromStringList(report.restoreKeys)},
                    {u"default_branch"_s, defaultBranch},
                    {u"format"_s, report.format},
                    {u"credentials"_s, credentials},
                    {u"workspace"_s, report.workspace},
                    {u"parameters"_s, parameters}};
    if (report.hasScope)
        out.insert(u"scope"_s, report.scope);
    return out;
}

QJsonObject restoreJson(const RestoreResult &result, const RestoreSummary &summary)
{
    const bool hit = summary.ok && result.hit;
    const bool found = !result.matchedKey.isEmpty();
    QString outcome = u"failed"_s;
    if (summary.ok)
        outcome = !result.hit ? u"miss"_s : summary.lookupOnly ? u"found"_s : u"restored"_s;
    QJsonValue matchedBy = QJsonValue::Null;
    if (found && !result.exact)
        matchedBy = QJsonObject{{u"key"_s, result.matchedBy.key},
                                {u"prefix"_s, result.matchedBy.prefix},
                                {u"origin"_s, result.matchedBy.origin}};
    const bool restored = hit && !summary.lookupOnly;
    return {{u"key"_s, summary.key},
            {u"outcome"_s, outcome},
            {u"hit"_s, hit},
            {u"exact"_s, hit && result.exact},
            {u"matched_key"_s, found ? QJsonValue(result.matchedKey) : QJsonValue(QJsonValue::Null)},
            {u"matched_by"_s, matchedBy},
            {u"lookup_only"_s, summary.lookupOnly},
            {u"object"_s, found ? QJsonValue(objectJson(result.object)) : QJsonValue(QJsonValue::Null)},
            {u"archive_size"_s, found && result.object.size >= 0 ? QJsonValue(result.object.size) : QJsonValue(QJsonValue::Null)},
            {u"bytes_transferred"_s, result.bytesDownloaded},
            {u"bytes_restored"_s, restored ? QJsonValue(result.stats.bytesIn) : QJsonValue(0)},
            {u"files"_s, restored ? QJsonValue(result.stats.files) : QJsonValue(0)},
            {u"entries"_s, restored ? QJsonValue(result.stats.entries) : QJsonValue(0)},
            {u"format"_s, textOrNull(result.stats.format)},
            {u"seconds"_s, seconds(summary.elapsedMs)}};
}

// The chunk area's collection (dedupgc.h).
static QJsonObject chunksJson(const FlushResult &result)
{
    const ChunkGcResult &gc = result.chunks;
    return {{u"manifests"_s, gc.manifests},
            {u"unreadable_manifests"_s, gc.unreadable},
            {u"packs"_s, gc.packs},
            {u"pack_bytes"_s, gc.packBytes},
            {u"live_packs"_s, gc.live},
            {u"condemned_packs"_s, gc.condemned},
            {u"condemned_bytes"_s, gc.condemnedBytes},
            {u"swept_packs"_s, gc.swept},
            {u"swept_bytes"_s, gc.sweptBytes},
            {u"damaged_packs"_s, gc.damaged},
            {u"error"_s, result.chunksError ? QJsonValue(errorJson(result.chunksError)) : QJsonValue(QJsonValue::Null)}};
}

static QJsonObject dedupJson(const DedupStats &stats)
{
    return {{u"chunks"_s, stats.chunks},
            {u"new_chunks"_s, stats.newChunks},
            {u"new_chunk_bytes"_s, stats.newRawBytes},
            {u"packs_uploaded"_s, stats.packsUploaded},
            {u"pack_bytes_uploaded"_s, stats.bytesUploaded},
            {u"packs_reused"_s, stats.packsReused},
            {u"entries_not_read"_s, stats.entriesLeftOut},
            {u"chunks_from_map"_s, stats.chunksFromMap},
            {u"bytes_from_map"_s, stats.bytesFromMap}};
}

QJsonObject rebuildJson(const RebuildResult &result, const RebuildSummary &summary)
{
    const bool uploaded = summary.ok && result.outcome == RebuildResult::Outcome::Uploaded;
    return {{u"key"_s, summary.key},
            {u"outcome"_s, summary.ok ? rebuildOutcome(result.outcome) : u"failed"_s},
            {u"files"_s, result.fileCount},
            {u"content_bytes"_s, result.totalFileBytes},
            {u"archive_size"_s, uploaded ? QJsonValue(result.objectSize) : QJsonValue(QJsonValue::Null)},
            {u"bytes_transferred"_s, uploaded ? result.bytesUploaded : 0},
            {u"format"_s, summary.format},
            {u"dedup"_s, uploaded && result.dedup ? QJsonValue(dedupJson(*result.dedup)) : QJsonValue(QJsonValue::Null)},
            {u"fingerprint"_s, textOrNull(result.fingerprint)},
            {u"missing_mounts"_s, QJsonArray::fromStringList(result.missingMounts)},
            {u"unreadable"_s, QJsonArray::fromStringList(result.unreadable)},
            {u"skipped"_s, QJsonArray::fromStringList(result.skipped)},
            {u"seconds"_s, seconds(summary.elapsedMs)}};
}

QJsonObject flushJson(const FlushResult &result, const FlushSummary &summary)
{
    // What is known of each object to delete: deleted (a flush that succeeded deleted them all;
    // one that failed, those the server confirmed), not deleted (a dry run), or not known.
    QJsonArray objects;
    for (const FlushDecision &d : result.plan.decisions) {
        std::optional<bool> deleted;
        if (summary.dryRun)
            deleted = false;
        else if (summary.ok || result.deletedKeys.contains(d.cache.key))
            deleted = true;
        objects.append(decisionJson(d, result.policy, deleted));
    }

    std::optional<bool> aborted;
    if (summary.dryRun)
        aborted = false;
    else if (result.abortedUploads == result.staleUploads.size())
        aborted = true;
    QJsonArray stale;
    for (const MultipartUploadInfo &u : result.staleUploads)
        stale.append(staleUploadJson(u, aborted));
    const QJsonObject uploads{
        {u"stale"_s, stale},
        {u"aborted"_s, result.abortedUploads},
        {u"error"_s, result.uploadsError ? QJsonValue(errorJson(result.uploadsError)) : QJsonValue(QJsonValue::Null)}};

    return {{u"prefix"_s, summary.prefix},
            {u"age_seconds"_s, result.policy.maxAgeSeconds},
            {u"age_from"_s, result.policy.ageFrom == AgeFrom::Used ? u"used"_s : u"written"_s},
            {u"max_bytes"_s, result.policy.maxBytes >= 0 ? QJsonValue(result.policy.maxBytes) : QJsonValue(QJsonValue::Null)},
            {u"dry_run"_s, summary.dryRun},
            {u"scanned"_s, result.scanned},
            {u"expired"_s, result.plan.deletedCount()},
            {u"expired_bytes"_s, result.plan.deletedBytes},
            {u"kept_bytes"_s, result.plan.keptBytes},
            {u"deleted"_s, result.deleted},
            {u"bytes_freed"_s, result.bytesFreed},
            {u"orphan_markers"_s, qint64(result.orphanMarkers.size())},
            {u"objects"_s, objects},
            {u"uploads"_s, uploads},
            {u"chunks"_s, result.chunks.ran ? QJsonValue(chunksJson(result)) : QJsonValue(QJsonValue::Null)},
            {u"seconds"_s, seconds(summary.elapsedMs)}};
}

void merge(QJsonObject &document, const QJsonObject &fields)
{
    for (auto it = fields.constBegin(); it != fields.constEnd(); ++it)
        document.insert(it.key(), it.value());
}

QByteArray toJsonLine(const QJsonObject &document)
{
    return QJsonDocument(masked(document).toObject()).toJson(QJsonDocument::Compact) + '\n';
}

} // namespace s3cache::JsonReport
