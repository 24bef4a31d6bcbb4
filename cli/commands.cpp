#include "commands.h"

#include "progressprinter.h"

#include "archive/fsname.h"
#include "cache/flushjob.h"
#include "cache/listjob.h"
#include "cache/inspectjob.h"
#include "cache/jsonreport.h"
#include "cache/rebuildjob.h"
#include "cache/restorejob.h"
#include "cache/storefactory.h"
#include "config/config.h"
#include "config/usage.h"
#include "util/log.h"
#include "util/pathglob.h"

#include <QDateTime>
#include <QFile>
#include <QSysInfo>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace s3cache {

namespace {

std::atomic<Cancellation *> g_running{nullptr};
std::atomic<bool> g_signalled{false};

bool isTerminal() { return ::isatty(STDERR_FILENO) == 1; }

// Writes the command's output. A reader that stops early (`s3cache inspect | head`) ends it
// quietly with exit 0, as in ls or git log (main() ignores SIGPIPE, so the write fails with
// EPIPE instead of killing us); any other failure (a full disk behind `>`) fails the command.
int printOut(const QByteArray &bytes)
{
    const bool written = std::fwrite(bytes.constData(), 1, size_t(bytes.size()), stdout) == size_t(bytes.size());
    if (std::fflush(stdout) == 0 && written)
        return ExitOk;
    if (errno == EPIPE)
        return ExitOk;
    Log::error(QStringLiteral("cannot write the output: %1").arg(QString::fromLocal8Bit(std::strerror(errno))));
    return ExitFailed;
}

int printOut(const QString &text)
{
    return printOut(text.toUtf8());
}

// With `output: json`: prints the document of `command` (schema, exit code, the error if any,
// then `fields`) and returns `exitCode`, or the failure to write it. Callers build `fields`
// with jsonreport.h; the text output and the logs stay as they are.
int printJson(const QString &command, const QJsonObject &fields, int exitCode, const Error &error = {},
              const QString &context = {})
{
    QJsonObject document = JsonReport::document(command, exitCode, &error, context);
    JsonReport::merge(document, fields);
    const int written = printOut(JsonReport::toJsonLine(document));
    return exitCode != ExitOk ? exitCode : written;
}

bool jsonOutput(const Config &config) { return config.output == OutputFormat::Json; }

QString age(const QDateTime &when)
{
    if (!when.isValid())
        return QStringLiteral("?");
    return formatDuration(std::max<qint64>(0, when.msecsTo(QDateTime::currentDateTimeUtc())));
}

// Writes KEY=value lines to the file named by VELA_OUTPUTS (if any).
void writeOutputs(const Config &config, const QList<QPair<QString, QString>> &values)
{
    if (config.velaOutputs.isEmpty())
        return;
    QFile file(config.velaOutputs);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Append)) {
        Log::warn(QStringLiteral("cannot write outputs to %1: %2").arg(config.velaOutputs, file.errorString()));
        return;
    }
    for (const auto &[name, value] : values)
        file.write((name + QLatin1Char('=') + value + QLatin1Char('\n')).toUtf8());
}

// Runs a job synchronously with progress output, signal cancellation and the `timeout` deadline,
// which covers the whole job (scan, hashing, archiving, transfer, extraction, on any store):
// the job's cancellation carries it.
Error runJob(Job &job, const Config &config)
{
    job.setTimeout(config.timeoutMs);
    ProgressPrinter printer(isTerminal());
    QObject::connect(&job, &Job::progress, &job, [&printer](const JobProgress &p) { printer.update(p); },
                     Qt::DirectConnection);
    QObject::connect(&job, &Job::warning, &job, [](const QString &warning) { Log::warn(warning); }, Qt::DirectConnection);
    g_running.store(job.cancellation().get());
    if (g_signalled.load())
        job.cancel();
    Error error = job.exec();
    g_running.store(nullptr);
    printer.finish();
    return error;
}

// Failures that heal by themselves (network, throttling, a damaged archive) must not fail a
// build whose cache is only an optimisation; everything else (credentials, permissions, a
// missing bucket, bad parameters) does, because it never heals.
int reportFailure(const Config &config, const QString &what, const Error &error)
{
    switch (error.kind()) {
    case ErrorKind::Cancelled:
        Log::error(QStringLiteral("%1 cancelled; nothing was changed").arg(what));
        return ExitCancelled;
    case ErrorKind::InvalidInput:
        Log::error(QStringLiteral("%1 failed: %2").arg(what, error.toString()));
        return ExitUsage;
    case ErrorKind::Transient:
    case ErrorKind::Corrupt:
        if (!config.strict) {
            Log::warn(QStringLiteral("%1 failed: %2; continuing without it (set strict: true to fail the step)")
                          .arg(what, error.toString()));
            return ExitOk;
        }
        [[fallthrough]];
    default:
        Log::error(QStringLiteral("%1 failed: %2").arg(what, error.toString()));
        return ExitFailed;
    }
}

// reportFailure() for the commands that print nothing but their document when they fail: with
// `output: json`, the document of `command` with only the error.
int reportFailureOf(const Config &config, const QString &command, const QString &what, const Error &error)
{
    const int code = reportFailure(config, what, error);
    return jsonOutput(config) ? printJson(command, {}, code, error, what) : code;
}

QString describeLookup(const ObjectStore &store, const KeyLookup &lookup)
{
    return lookup.prefix ? QStringLiteral("the newest under %1 (%2)").arg(store.uri(lookup.key), lookup.origin)
                         : QStringLiteral("%1 (%2)").arg(store.uri(lookup.key), lookup.origin);
}

int runRestore(const Config &config, ObjectStore &store)
{
    RestoreOptions options;
    options.key = config.objectKey();
    options.fallbackKeys = legacyFallbackKeys(config);
    options.nearKeys = nearKeyLookups(config);
    options.workspace = config.workspace;
    options.lookupOnly = config.lookupOnly;
    options.extract.maxTotalBytes = config.maxRestoreBytes;
    options.extract.ownerFromWorkspace = config.workspaceOwner;
    options.recordUse = config.recordUse;
    options.crossPlatform = config.crossPlatform;
    if (config.mounts.isEmpty()) {
        for (auto it = config.templates.cbegin(); it != config.templates.cend(); ++it) {
            if (it.value().contains(QStringLiteral("hashFiles"))) {
                Log::warn(QStringLiteral("%1 uses hashFiles but restore has no mount: give restore the same mount as "
                                         "rebuild, so that hashFiles leaves the cached folders out on both sides and "
                                         "both compute the same key").arg(it.key()));
                break;
            }
        }
    }
    RestoreJob job(store, options);
    if (config.lookupOnly)
        Log::info(QStringLiteral("looking up %1 (lookup only: nothing is downloaded)").arg(store.uri(options.key)));
    else
        Log::info(QStringLiteral("restoring %1 into %2").arg(store.uri(options.key), config.workspace));
    if (!options.nearKeys.isEmpty()) {
        QStringList near;
        for (const KeyLookup &lookup : std::as_const(options.nearKeys))
            near << describeLookup(store, lookup);
        Log::info(QStringLiteral("if it is missing: %1").arg(near.join(QStringLiteral(", then "))));
    }
    const Error error = runJob(job, config);
    const RestoreResult &r = job.result();
    for (const ObjectInfo &o : r.otherPlatform)
        Log::info(QStringLiteral("passed over %1: it was written on %2 and this is %3 (native binaries in it would "
                                 "not run here; put {{ os }}/{{ arch }} in the key, or set cross_platform: true)")
                      .arg(store.uri(o.key), Log::printable(o.metadata.value(Metadata::platform)), r.platform));
    const QString what = QStringLiteral("restore of %1").arg(store.uri(r.matchedKey.isEmpty() ? options.key : r.matchedKey));
    const auto done = [&](int code) {
        if (!jsonOutput(config))
            return code;
        const JsonReport::RestoreSummary summary{.key = options.key, .lookupOnly = config.lookupOnly,
                                                 .ok = !error, .elapsedMs = job.elapsedMs()};
        return printJson(QStringLiteral("restore"), JsonReport::restoreJson(r, summary), code, error, what);
    };
    // S3_CACHE_HIT is true only for the exact key (or its legacy archive.tgz name); a near match
    // is restored and reported in S3_CACHE_MATCHED_KEY, so the rebuild step still runs.
    const auto outputs = [&](bool ok) {
        const bool exact = ok && r.hit && r.exact;
        writeOutputs(config, {{QStringLiteral("S3_CACHE_HIT"), exact ? QStringLiteral("true") : QStringLiteral("false")},
                              {QStringLiteral("S3_CACHE_MATCHED_KEY"), ok && r.hit ? r.matchedKey : QString()},
                              {QStringLiteral("S3_CACHE_KEY"), options.key}});
    };
    if (error) {
        outputs(false);
        return done(reportFailure(config, what, error));
    }
    outputs(true);
    if (!r.hit) {
        QStringList tried;
        for (const QString &key : options.fallbackKeys)
            tried << store.uri(key);
        for (const KeyLookup &lookup : std::as_const(options.nearKeys))
            tried << (lookup.prefix ? QStringLiteral("under ") : QString()) + store.uri(lookup.key);
        Log::info(QStringLiteral("cache miss: no object at %1%2").arg(store.uri(options.key),
            tried.isEmpty() ? QString() : QStringLiteral(" nor %1").arg(tried.join(QStringLiteral(", ")))));
        return done(config.failOnMiss ? ExitFailed : ExitOk);
    }
    const QString kind = r.exact ? QStringLiteral("cache hit")
                                 : QStringLiteral("partial cache hit (no object at %1; matched by %2 %3)")
                                       .arg(store.uri(options.key), r.matchedBy.origin, r.matchedBy.key);
    if (config.lookupOnly) {
        Log::info(QStringLiteral("%1: %2 exists (%3, %4 old); lookup only, nothing downloaded")
                      .arg(kind, store.uri(r.matchedKey), formatBytes(r.object.size), age(r.object.lastModified)));
        return done(ExitOk);
    }
    const qint64 ms = std::max<qint64>(1, job.elapsedMs());
    Log::info(QStringLiteral("%1: restored %2 (%3 downloaded, %4 old, format %5): %6 files, %7 in %8 (%9/s)")
                  .arg(kind, store.uri(r.matchedKey), formatBytes(r.bytesDownloaded), age(r.object.lastModified),
                       r.stats.format, QString::number(r.stats.files), formatBytes(r.stats.bytesIn), formatDuration(ms),
                       formatBytes(r.bytesDownloaded * 1000 / ms)));
    return done(ExitOk);
}

int runRebuild(const Config &config, ObjectStore &store, const QProcessEnvironment &env)
{
    RebuildOptions options;
    options.key = config.objectKey();
    options.workspace = config.workspace;
    options.mounts = config.mounts;
    options.preservePath = config.preservePath;
    options.archive.format = config.format;
    options.archive.compressionLevel = config.compressionLevel;
    options.chunkArea = Dedup::chunkArea(config.prefix);
    options.chunkGraceSeconds = config.chunkGraceSeconds;
    options.dryRun = config.dryRun;
    options.strict = config.strict;
    QString writer = QSysInfo::machineHostName();
    if (env.contains(QStringLiteral("VELA_BUILD_NUMBER")))
        writer = QStringLiteral("%1 build %2").arg(env.value(QStringLiteral("VELA_REPO_FULL_NAME")),
                                                   env.value(QStringLiteral("VELA_BUILD_NUMBER")));
    options.extraMetadata.insert(QStringLiteral("s3cache-writer"), writer);

    RebuildJob job(store, options);
    Log::info(QStringLiteral("rebuilding %1 from %2 in %3").arg(store.uri(options.key), config.mounts.join(QStringLiteral(", ")), config.workspace));
    const Error error = runJob(job, config);
    const RebuildResult &r = job.result();
    for (const QString &m : r.missingMounts)
        Log::warn((isGlobPattern(m) ? QStringLiteral("mount %1 matches nothing in %2: skipped")
                                    : QStringLiteral("mount %1 does not exist in %2: skipped")).arg(m, config.workspace));
    for (const QString &s : r.skipped)
        Log::info(QStringLiteral("%1 is a device, fifo or socket: not cached").arg(s));
    for (const QString &s : r.unreadable)
        Log::warn(QStringLiteral("%1 cannot be read by this user: left out of the cache").arg(s));
    writeOutputs(config, {{QStringLiteral("S3_CACHE_KEY"), options.key}});
    const QString what = QStringLiteral("rebuild of %1").arg(store.uri(options.key));
    const auto done = [&](int code) {
        if (!jsonOutput(config))
            return code;
        const JsonReport::RebuildSummary summary{.key = options.key, .format = archiveFormatName(options.archive.format),
                                                 .ok = !error, .elapsedMs = job.elapsedMs()};
        return printJson(QStringLiteral("rebuild"), JsonReport::rebuildJson(r, summary), code, error, what);
    };
    if (error)
        return done(reportFailure(config, what, error));
    switch (r.outcome) {
    case RebuildResult::Outcome::NothingToCache:
        Log::warn(QStringLiteral("nothing to cache: none of the mounts exist; nothing uploaded"));
        break;
    case RebuildResult::Outcome::Unchanged:
        Log::info(QStringLiteral("cache unchanged: %1 already holds this tree (%2 files, fingerprint %3); upload skipped")
                      .arg(store.uri(options.key), QString::number(r.fileCount), r.fingerprint.left(12)));
        break;
    case RebuildResult::Outcome::DryRun:
        Log::info(QStringLiteral("dry run: would upload %1 files (%2) to %3")
                      .arg(QString::number(r.fileCount), formatBytes(r.totalFileBytes), store.uri(options.key)));
        break;
    case RebuildResult::Outcome::Uploaded: {
        const qint64 ms = std::max<qint64>(1, job.elapsedMs());
        if (r.dedup) {
            Log::info(QStringLiteral("uploaded %1: %2 files, %3 in %4 chunks, %5 new (%6 in %7 packs; %8 packs reused; "
                                     "%9 unchanged entries not read) in %10")
                          .arg(store.uri(options.key), QString::number(r.fileCount), formatBytes(r.totalFileBytes),
                               QString::number(r.dedup->chunks), QString::number(r.dedup->newChunks),
                               formatBytes(r.bytesUploaded), QString::number(r.dedup->packsUploaded),
                               QString::number(r.dedup->packsReused), QString::number(r.dedup->entriesLeftOut))
                          .arg(formatDuration(ms)));
            break;
        }
        Log::info(QStringLiteral("uploaded %1: %2 files, %3 -> %4 (%5) in %6 (%7/s)")
                      .arg(store.uri(options.key), QString::number(r.fileCount), formatBytes(r.totalFileBytes),
                           formatBytes(r.objectSize), archiveFormatName(options.archive.format), formatDuration(ms),
                           formatBytes(r.totalFileBytes * 1000 / ms)));
        break;
    }
    }
    return done(ExitOk);
}

// One row of flush's decision table, the same in a dry run and a real run:
// "would delete s3://b/k (1.2 GiB, written 20 days ago, last used 3 days ago): older than 14 days".
QString decisionRow(const ObjectStore &store, const FlushDecision &d, const FlushPolicy &policy, bool dryRun)
{
    const QString verb = d.deleted() ? (dryRun ? QStringLiteral("would delete") : QStringLiteral("delete"))
                                     : (dryRun ? QStringLiteral("would keep") : QStringLiteral("keep"));
    return QStringLiteral("%1 %2 (%3, written %4 ago, %5): %6")
        .arg(verb, store.uri(d.cache.key), formatBytes(d.cache.size), age(d.cache.lastModified),
             d.cache.lastUsed.isValid() ? QStringLiteral("last used %1 ago").arg(age(d.cache.lastUsed))
                                        : QStringLiteral("never restored"),
             describeDecision(d, policy));
}

int runFlush(const Config &config, ObjectStore &store)
{
    FlushOptions options;
    options.prefix = config.scopePrefix();
    options.maxAgeSeconds = config.ageSeconds;
    options.ageFrom = config.ageFromUse ? AgeFrom::Used : AgeFrom::Written;
    options.maxBytes = config.maxBytes;
    options.dryRun = config.dryRun;
    options.liveUploadSeconds = config.timeoutMs / 1000;
    options.chunkArea = Dedup::chunkArea(config.prefix);
    options.chunkGraceSeconds = config.chunkGraceSeconds;
    FlushJob job(store, options);
    FlushPolicy announced;
    announced.maxAgeSeconds = options.maxAgeSeconds;
    announced.ageFrom = options.ageFrom;
    announced.maxBytes = options.maxBytes;
    Log::info(QStringLiteral("flushing objects under %1 %2").arg(store.uri(options.prefix), describePolicy(announced)));
    const Error error = runJob(job, config);
    const FlushResult &r = job.result();
    const QString what = QStringLiteral("flush of %1 (deleted %2 objects before the failure)")
                             .arg(store.uri(options.prefix), QString::number(r.deleted));
    const auto done = [&](int code) {
        if (!jsonOutput(config))
            return code;
        const JsonReport::FlushSummary summary{.prefix = options.prefix, .dryRun = options.dryRun, .ok = !error,
                                               .elapsedMs = job.elapsedMs()};
        return printJson(QStringLiteral("flush"), JsonReport::flushJson(r, summary), code, error, what);
    };
    for (const FlushDecision &d : r.plan.decisions)
        Log::info(decisionRow(store, d, r.policy, config.dryRun));
    for (const ObjectInfo &o : r.orphanMarkers)
        Log::debug(QStringLiteral("%1 %2: the last-used record of a deleted cache")
                       .arg(config.dryRun ? QStringLiteral("would delete") : QStringLiteral("delete"), store.uri(o.key)));
    if (error)
        return done(reportFailure(config, what, error));
    const int caches = int(r.plan.decisions.size());
    if (config.dryRun)
        Log::info(QStringLiteral("dry run: %1 of %2 objects would be deleted; %3 would be freed, %4 kept")
                      .arg(QString::number(r.plan.deletedCount()), QString::number(caches),
                           formatBytes(r.plan.deletedBytes), formatBytes(r.plan.keptBytes)));
    else
        Log::info(QStringLiteral("flushed %1 of %2 objects, freed %3, kept %4")
                      .arg(QString::number(r.deleted), QString::number(caches), formatBytes(r.bytesFreed),
                           formatBytes(r.plan.keptBytes)));
    if (r.chunks.ran) {
        const ChunkGcResult &c = r.chunks;
        Log::info(QStringLiteral("chunk area %1: %2 packs (%3) used by %4 dedup caches: %5 %6 packs (%7) unused for "
                                 "longer than chunk_grace, %8 packs (%9) unused: condemned, deleted by a flush after chunk_grace")
                      .arg(store.uri(options.chunkArea), QString::number(c.packs), formatBytes(c.packBytes),
                           QString::number(c.manifests), config.dryRun ? QStringLiteral("would delete") : QStringLiteral("deleted"),
                           QString::number(c.swept), formatBytes(c.sweptBytes), QString::number(c.condemned),
                           formatBytes(c.condemnedBytes)));
        if (c.damaged > 0)
            Log::warn(QStringLiteral("chunk area %1: %2 packs are marked damaged (a restore found a chunk that fails its "
                                     "check; markers under %3): rebuilds store their chunks again, and a flush deletes them "
                                     "once no cache uses them")
                          .arg(store.uri(options.chunkArea), QString::number(c.damaged),
                               store.uri(Dedup::damagedFolder(options.chunkArea))));
    }
    if (r.chunksError)
        Log::warn(QStringLiteral("unused chunks left as they are (the next flush tries again): %1").arg(r.chunksError.toString()));
    for (const MultipartUploadInfo &u : r.staleUploads)
        Log::info(QStringLiteral("unfinished upload of %1, started %2 ago").arg(store.uri(u.key), age(u.initiated)));
    if (r.uploadsError)  // a warning: the objects are flushed (s3rver has no ListMultipartUploads)
        Log::warn(QStringLiteral("unfinished uploads left as they are: %1").arg(r.uploadsError.toString()));
    if (!r.staleUploads.isEmpty())
        Log::info(config.dryRun ? QStringLiteral("dry run: %1 unfinished uploads would be aborted").arg(r.staleUploads.size())
                                : QStringLiteral("aborted %1 of %2 unfinished uploads")
                                      .arg(QString::number(r.abortedUploads), QString::number(r.staleUploads.size())));
    return done(ExitOk);
}

int runList(const Config &config, ObjectStore &store)
{
    const QString prefix = config.path.isEmpty() ? config.scopePrefix() : config.path;
    ListJob job(store, prefix);
    const Error error = runJob(job, config);
    const QString what = QStringLiteral("listing %1").arg(store.uri(prefix));
    if (error)
        return reportFailureOf(config, QStringLiteral("list"), what, error);
    if (jsonOutput(config))
        return printJson(QStringLiteral("list"), JsonReport::listJson(prefix, job.objects()), ExitOk);
    QString text;
    qint64 total = 0;
    for (const ObjectInfo &o : job.objects()) {
        text += QStringLiteral("%1  %2  %3  %4  %5\n")
                    .arg(formatBytes(o.size).rightJustified(10), o.lastModified.toString(Qt::ISODate),
                         age(o.lastModified).rightJustified(9),
                         (o.lastUsed.isValid() ? QStringLiteral("used %1 ago").arg(age(o.lastUsed))
                                               : QStringLiteral("never used")).leftJustified(18),
                         Log::printable(o.key));
        total += std::max<qint64>(0, o.size);
    }
    text += QStringLiteral("%1 objects, %2\n").arg(QString::number(job.objects().size()), formatBytes(total));
    return printOut(text);
}

QString typeChar(TreeEntry::Type type)
{
    switch (type) {
    case TreeEntry::Directory: return QStringLiteral("d");
    case TreeEntry::Symlink: return QStringLiteral("l");
    case TreeEntry::Hardlink: return QStringLiteral("h");
    case TreeEntry::File: break;
    }
    return QStringLiteral("-");
}

int runInspect(const Config &config, ObjectStore &store)
{
    InspectJob job(store, config.objectKey());
    const Error error = runJob(job, config);
    const QString what = QStringLiteral("inspecting %1").arg(store.uri(config.objectKey()));
    if (error)
        return reportFailureOf(config, QStringLiteral("inspect"), what, error);
    const InspectResult &r = job.result();
    if (jsonOutput(config))
        return printJson(QStringLiteral("inspect"), JsonReport::inspectJson(r), ExitOk);
    QString text = QStringLiteral("object:        %1\nsize:          %2\nlast modified: %3 (%4 old)\nlast used:     %5\netag:          %6\n")
                       .arg(Log::printable(store.uri(r.object.key)), formatBytes(r.object.size), r.object.lastModified.toString(Qt::ISODate),
                            age(r.object.lastModified),
                            r.object.lastUsed.isValid() ? QStringLiteral("%1 (%2 ago)").arg(r.object.lastUsed.toString(Qt::ISODate), age(r.object.lastUsed))
                                                        : QStringLiteral("never restored (or not recorded)"),
                            QString::fromLatin1(r.object.etag));
    for (auto it = r.object.metadata.cbegin(); it != r.object.metadata.cend(); ++it)
        text += QStringLiteral("meta %1: %2\n").arg(Log::printable(it.key()), Log::printable(it.value()));
    text += QStringLiteral("format:        %1\nentries:\n").arg(r.stats.format);
    for (const ArchiveEntryInfo &e : r.entries) {
        text += QStringLiteral("%1%2 %3 %4 %5%6\n")
                    .arg(typeChar(e.type), QString::number(e.mode & 07777, 8).rightJustified(4, u'0'),
                         QString::number(e.size).rightJustified(12),
                         QDateTime::fromSecsSinceEpoch(e.mtime, Qt::UTC).toString(QStringLiteral("yyyy-MM-dd HH:mm")),
                         Log::printable(fsNameForDisplay(e.path)),
                         e.linkTarget.isEmpty() ? QString() : QStringLiteral(" -> ") + Log::printable(fsNameForDisplay(e.linkTarget)));
    }
    text += QStringLiteral("%1 entries%2\n")
                .arg(QString::number(r.entries.size()), r.truncated ? QStringLiteral(" (truncated)") : QString());
    return printOut(text);
}

} // namespace

void cancelRunningJob()
{
    g_signalled.store(true);
    if (Cancellation *c = g_running.load())
        c->cancel();
}

int runCommand(const QStringList &arguments, const QProcessEnvironment &env)
{
    // Failures before the configuration is resolved are reported as the output parameter asks
    // (for a command line that does not parse, only its environment and Vela files can ask).
    const auto usageFailure = [&env](const CommandLine &cmd, const Error &error) {
        if (requestedOutputFormat(cmd, env) != OutputFormat::Json)
            return int(ExitUsage);
        return printJson(QStringLiteral("error"), {}, ExitUsage, error);
    };
    const Result<CommandLine> cmd = parseCommandLine(arguments);
    if (!cmd.ok()) {
        Log::error(cmd.error().message() + QStringLiteral(" (see s3cache --help)"));
        return usageFailure(CommandLine{}, cmd.error());
    }
    if (cmd->help) {
        return printOut(usageText(cmd->action));
    }
    if (cmd->version) {
        return printOut(QStringLiteral("s3cache %1\n").arg(QStringLiteral(S3CACHE_VERSION)));
    }
    const Result<Config> config = resolveConfig(*cmd, env);
    if (!config.ok()) {
        Log::error(config.error().message());
        return usageFailure(*cmd, config.error());
    }
    Log::setLevel(config->logLevel);
    if (config->action == Action::Config) {
        const CredentialsReport credentials = describeCredentials(*config, env);
        if (jsonOutput(*config))
            return printJson(QStringLiteral("config"), JsonReport::configJson(config->report(credentials)), ExitOk);
        return printOut(config->describe(credentials) + QLatin1Char('\n'));
    }

    Result<ObjectStorePtr> store = openStore(*config, env);
    if (!store.ok())
        return reportFailureOf(*config, actionName(config->action), QStringLiteral("opening the store"), store.error());
    Log::debug(QStringLiteral("store: %1").arg((*store)->describe()));
    switch (config->action) {
    case Action::Restore: return runRestore(*config, **store);
    case Action::Rebuild: return runRebuild(*config, **store, env);
    case Action::Flush: return runFlush(*config, **store);
    case Action::List: return runList(*config, **store);
    case Action::Inspect: return runInspect(*config, **store);
    case Action::Config: break;
    }
    return ExitOk;
}

} // namespace s3cache
