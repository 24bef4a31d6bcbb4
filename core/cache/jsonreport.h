#pragma once
// The documents of `--output json` (README "Machine-readable output"): the results of the jobs
// and of `s3cache config` as JSON objects, built here so that the CLI only chooses text or JSON
// and prints. Schema, for every document:
//  - "schema": "s3cache/<command>/1" ("s3cache/error/1" when the command line or the parameters
//    could not be resolved); the number changes only when a field is removed or changes its
//    meaning, never when one is added;
//  - "command", "exit_code" (the process's exit code) and "error" (null, or errorJson());
//  - snake_case names; sizes in bytes and counts as integers; times as ISO-8601 UTC strings
//    ("last_modified") beside epoch seconds ("last_modified_epoch"); durations as seconds;
//    absent values as null, never as "" or "-".
// Every string goes through Log::mask when the document is written (toJsonLine), as every log
// line does: no secret can reach stdout by way of a key, a message or a server's answer.
// One function per object kind (an object listed, one flush looked at, an archive entry, ...), so
// that a field added to a kind is added once.

#include "flushjob.h"
#include "inspectjob.h"
#include "rebuildjob.h"
#include "restorejob.h"

#include "config/config.h"
#include "util/error.h"

#include <QByteArray>
#include <QJsonObject>

#include <optional>

namespace s3cache::JsonReport {

// "s3cache/<command>/1".
QString schemaId(const QString &command);
// A document of `command` ("restore", ..., "error"): schema, command, exit_code and error
// (null, or errorJson(*error, context)); the caller adds the command's own fields.
QJsonObject document(const QString &command, int exitCode, const Error *error = nullptr,
                     const QString &context = {});
// kind (errorKindId), code, message, hint, http_status, request_id, context ("restore of
// s3://b/k": what failed); unknown parts null.
QJsonObject errorJson(const Error &error, const QString &context = {});
// "invalid_input", "auth", "access_denied", "not_found", "transient", "corrupt", "unsafe", "io",
// "cancelled", "server", "internal" ("none" for no error).
QString errorKindId(ErrorKind kind);

// Sets `name` to the ISO-8601 UTC time and `name`_epoch to its epoch seconds (both null when
// `when` is invalid).
void insertTime(QJsonObject &object, const QString &name, const QDateTime &when);

// One cache as listings show it: key, size, last_modified(_epoch), last_used(_epoch) (null: no
// restore recorded), etag. list's "objects" and the base of flush's.
QJsonObject objectJson(const ObjectInfo &object);
// One row of flush's decision table: objectJson(), "decision" ("delete" or "keep"), "reason"
// ("old", "over_budget", "kept", "changed": see flushplan.h), "reason_text" (the CLI's words),
// and "deleted": true (deleted), false (kept, or a dry run), null (to delete, but the flush
// failed before the server confirmed it).
QJsonObject decisionJson(const FlushDecision &decision, const FlushPolicy &policy, std::optional<bool> deleted);
// One unfinished multipart upload flush aborts: key, upload_id, initiated(_epoch), "aborted"
// (true, false on a dry run, null when not all of them could be aborted).
QJsonObject staleUploadJson(const MultipartUploadInfo &upload, std::optional<bool> aborted);
// One archive entry of inspect: path (bytes that are not UTF-8 as \xNN), type, size,
// mtime(_epoch), mode (permission bits as an integer), link_target (null unless a link).
QJsonObject entryJson(const ArchiveEntryInfo &entry);

// list: "prefix", "objects" (objectJson each), "count", "total_bytes".
QJsonObject listJson(const QString &prefix, const QList<ObjectInfo> &objects);
// inspect: "object" (objectJson with "metadata"), "format", "entries", "entry_count", "truncated".
QJsonObject inspectJson(const InspectResult &result);
// config: the ConfigReport, field by field; "parameters" maps each parameter's name to
// {value, source, template}.
QJsonObject configJson(const ConfigReport &report);

struct RestoreSummary
{
    QString key;          // the exact key
    bool lookupOnly = false;
    bool ok = true;       // false: the job failed (the result holds what it did before)
    qint64 elapsedMs = 0;
};
// restore: "key", "outcome" (restored, found, miss, failed), "hit", "exact", "matched_key",
// "matched_by", "lookup_only", "object", "archive_size", "bytes_transferred", "bytes_restored",
// "files", "entries", "format", "seconds".
QJsonObject restoreJson(const RestoreResult &result, const RestoreSummary &summary);

struct RebuildSummary
{
    QString key;
    QString format;       // the format written (the configuration's)
    bool ok = true;
    qint64 elapsedMs = 0;
};
// rebuild: "key", "outcome" (uploaded, unchanged, dry_run, nothing_to_cache, failed), "files",
// "content_bytes", "archive_size", "bytes_transferred", "format", "fingerprint",
// "missing_mounts", "unreadable", "skipped", "seconds".
QJsonObject rebuildJson(const RebuildResult &result, const RebuildSummary &summary);

struct FlushSummary
{
    QString prefix;
    bool dryRun = false;
    bool ok = true;
    qint64 elapsedMs = 0;
};
// flush: "prefix", "age_seconds", "age_from", "max_bytes", "dry_run", "scanned", "expired" (caches
// the plan deletes), "expired_bytes", "kept_bytes", "deleted", "bytes_freed", "orphan_markers",
// "objects" (decisionJson for every cache), "uploads" {stale, aborted, error}, "seconds".
QJsonObject flushJson(const FlushResult &result, const FlushSummary &summary);

// Copies `fields` into `document` (a command's fields beside schema, command, exit_code, error).
void merge(QJsonObject &document, const QJsonObject &fields);
// The document as one line of compact JSON and a newline, every string masked (Log::mask).
QByteArray toJsonLine(const QJsonObject &document);

} // namespace s3cache::JsonReport
