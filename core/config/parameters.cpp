#include "parameters.h"

#include "valueparsers.h"

#include "archive/archiveformat.h"

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

constexpr ActionSet restore = actionBit(Action::Restore);
constexpr ActionSet rebuild = actionBit(Action::Rebuild);
constexpr ActionSet flush = actionBit(Action::Flush);
constexpr ActionSet list = actionBit(Action::List);
constexpr ActionSet inspect = actionBit(Action::Inspect);

QString levelRanges()
{
    QStringList ranges;
    for (const ArchiveFormat format : {ArchiveFormat::TarZstd, ArchiveFormat::TarGzip, ArchiveFormat::Zip, ArchiveFormat::Dedup}) {
        QString range;
        compressionLevelValid(format, -1, &range);
        ranges << archiveFormatName(format) + u' ' + range;
    }
    return ranges.join(u", "_s);
}

QList<Parameter> makeTable()
{
    return {
        {.name = u"action"_s, .defaultText = u"required"_s, .metavar = u"ACTION"_s,
         .help = u"restore, rebuild (also upload), flush; manual: list, inspect, config (or the first argument)"_s},
        {.name = u"log_level"_s, .defaultValue = u"info"_s, .metavar = u"L"_s,
         .help = u"trace, debug, info, warn, error, fatal, panic"_s},
        {.name = u"output"_s, .defaultValue = u"text"_s, .metavar = u"FORMAT"_s,
         .help = u"text, or json: list, inspect and config print one JSON document, restore, rebuild and flush "
                 "end with a JSON summary; on stdout (logs stay on stderr)"_s},
        {.name = u"server"_s,
         .defaultText = u"AWS_ENDPOINT_URL_S3, else AWS_ENDPOINT_URL, else the AWS profile's, else the AWS regional endpoint"_s, .metavar = u"URL"_s,
         .help = u"endpoint: https://host[:port], http://..., a bare host (https), or file:///dir for a local "
                 "directory store"_s},
        {.name = u"access_key"_s, .defaultText = u"AWS chain"_s, .metavar = u"ID"_s,
         .help = u"access key id (none anywhere: AWS profile, then instance metadata)"_s,
         .variables = {u"AWS_ACCESS_KEY_ID"_s}},
        {.name = u"secret_key"_s, .defaultText = u"AWS chain"_s, .metavar = u"KEY"_s,
         .help = u"secret key (never printed)"_s, .variables = {u"AWS_SECRET_ACCESS_KEY"_s}, .secret = true},
        {.name = u"session_token"_s, .metavar = u"TOKEN"_s, .help = u"session token (never printed)"_s,
         .variables = {u"AWS_SESSION_TOKEN"_s}, .secret = true},
        {.name = u"root"_s, .defaultText = u"required ("_s + defaultFileStoreBucket() + u" for a file:// store)"_s, .metavar = u"NAME"_s,
         .help = u"bucket name, as the plugin calls it"_s},
        {.name = u"bucket"_s, .metavar = u"NAME"_s,
         .help = u"bucket name, the same as root (both set and different is an error)"_s},
        {.name = u"region"_s, .defaultText = u"from the host, else the AWS profile's region, else us-east-1"_s, .metavar = u"NAME"_s,
         .help = u"SigV4 region"_s, .variables = {u"AWS_REGION"_s, u"AWS_DEFAULT_REGION"_s}},
        {.name = u"path_style"_s, .kind = ValueKind::Bool,
         .defaultText = u"auto: AWS → virtual-host, others → path-style"_s,
         .help = u"path-style (true) or virtual-host (false) addressing"_s},
        {.name = u"accelerated_endpoint"_s, .defaultText = u"off"_s, .metavar = u"HOST"_s,
         .help = u"S3 Transfer Acceleration: the host (s3-accelerate.amazonaws.com; true means it), requests go "
                 "to https://bucket.HOST; AWS only, not for bucket names with dots"_s},
        {.name = u"prefix"_s, .defaultText = u"empty"_s, .metavar = u"P"_s,
         .help = u"key prefix; may be a template"_s},
        {.name = u"org"_s, .defaultText = u"VELA_REPO_ORG, else REPOSITORY_ORG, else VELA_REPO_FULL_NAME's first half"_s,
         .metavar = u"O"_s, .help = u"key segment: prefix/org/repo/filename"_s,
         .variables = {u"VELA_REPO_ORG"_s, u"REPOSITORY_ORG"_s}, .vela = false},
        {.name = u"repo"_s, .defaultText = u"VELA_REPO_NAME, else REPOSITORY_NAME, else VELA_REPO_FULL_NAME's second half"_s,
         .metavar = u"R"_s, .help = u"key segment: prefix/org/repo/filename"_s,
         .variables = {u"VELA_REPO_NAME"_s, u"REPOSITORY_NAME"_s}, .vela = false},
        {.name = u"build_branch"_s, .defaultText = u"VELA_BUILD_BRANCH"_s, .metavar = u"B"_s,
         .help = u"the build's branch: {{ .Build.Branch }} in key templates"_s,
         .variables = {u"VELA_BUILD_BRANCH"_s}},
        {.name = u"repo_branch"_s, .defaultText = u"VELA_REPO_BRANCH"_s, .metavar = u"B"_s,
         .help = u"the default branch: {{ .Repo.Branch }}, and the branch whose keys restore falls back to"_s,
         .variables = {u"VELA_REPO_BRANCH"_s}},
        {.name = u"filename"_s, .defaultValue = u"archive.tar.zst"_s, .actions = restore | rebuild | inspect,
         .metavar = u"F"_s,
         .help = u"object name, may be a template; the extension picks the format: .tar.zst/.tzst, .tgz/.tar.gz, "
                 ".tar, .zip"_s},
        {.name = u"path"_s, .actions = restore | rebuild | list | inspect, .metavar = u"K"_s,
         .help = u"full object key (list: a prefix), overrides prefix/org/repo/filename; may be a template: "
                 "{{ .Build.Branch }}, {{ checksum \"go.sum\" }}, {{ hashFiles \"**/*.lock\" }}, {{ arch }}, "
                 "{{ os }}, {{ epoch }}"_s,
         .flagAliases = {u"key"_s}},
        {.name = u"mount"_s, .kind = ValueKind::List, .defaultText = u"required for rebuild"_s,
         .actions = restore | rebuild, .metavar = u"A,B"_s,
         .help = u"files and folders to cache, relative to the workspace; globs (**/node_modules, packages/*/dist) and "
                 "excludes (!**/node_modules/.cache), in order, later ones winning"_s},
        {.name = u"preserve_path"_s, .kind = ValueKind::Bool, .defaultValue = u"false"_s, .actions = rebuild,
         .help = u"store file mounts with their relative directory (else by base name, as the Go plugin did; what a "
                 "glob selects always keeps its path)"_s},
        {.name = u"workspace"_s, .defaultText = u"current directory"_s, .actions = restore | rebuild,
         .metavar = u"DIR"_s, .help = u"the folder mounts are relative to"_s},
        {.name = u"timeout"_s, .kind = ValueKind::Seconds, .defaultValue = u"10m"_s, .metavar = u"D"_s,
         .help = u"whole-operation deadline, every phase on every store; bare number = seconds"_s},
        {.name = u"age"_s, .kind = ValueKind::Days, .defaultValue = u"14"_s, .actions = flush, .metavar = u"D"_s,
         .help = u"flush: delete caches older than this (counted from age_from), and abort unfinished uploads "
                 "older than this and than the timeout; bare number = days (a bare 0 is refused: write 0s)"_s},
        {.name = u"age_from"_s, .defaultValue = u"written"_s, .actions = flush, .metavar = u"W"_s,
         .help = u"flush: what age counts from: written (the last write, the plugin's meaning) or used (the last "
                 "restore or write; a cache never restored counts from its write)"_s},
        {.name = u"max_size"_s, .kind = ValueKind::Size, .defaultText = u"no budget"_s, .actions = flush,
         .metavar = u"S"_s,
         .help = u"flush: then delete the least recently used caches until the scope holds at most this: 20GiB, "
                 "500MB"_s},
        {.name = u"scope"_s, .defaultValue = u"repo"_s, .actions = flush | list, .metavar = u"S"_s,
         .help = u"flush, list: repo (prefix/org/repo/) or all (everything under prefix, every repository: for an "
                 "operator cleaning a shared bucket)"_s},
        {.name = u"chunk_grace"_s, .kind = ValueKind::Seconds, .defaultValue = u"6h"_s, .actions = flush | rebuild,
         .metavar = u"D"_s,
         .help = u"dedup caches: a flush deletes chunk packs no cache uses once it has found them unused for this "
                 "long (a rebuild that runs longer than half of it checks again before it commits): 30m, 6h"_s},
        {.name = u"compression_level"_s, .kind = ValueKind::Integer,
         .defaultText = u"codec default (zstd 3, adapting 1..6 to the upload for .tar.zst on S3 stores and .dedup; gzip 6)"_s,
         .actions = rebuild, .metavar = u"N"_s,
         .help = levelRanges()},
        {.name = u"dry_run"_s, .kind = ValueKind::Bool, .defaultValue = u"false"_s, .actions = flush | rebuild,
         .help = u"flush/rebuild: only report what would be done"_s},
        {.name = u"fail_on_miss"_s, .kind = ValueKind::Bool, .defaultValue = u"false"_s, .actions = restore,
         .help = u"restore: exit 1 on a cache miss"_s},
        {.name = u"restore_keys"_s, .kind = ValueKind::List, .actions = restore, .metavar = u"A,B"_s,
         .help = u"restore: key prefixes tried in order when the key misses; the newest object under the first "
                 "one that has any is restored; may be templates"_s},
        {.name = u"lookup_only"_s, .kind = ValueKind::Bool, .defaultValue = u"false"_s, .actions = restore,
         .help = u"restore: report hit or miss (and the outputs) without downloading"_s},
        {.name = u"max_restore_size"_s, .kind = ValueKind::Size, .defaultValue = u"1TiB"_s, .actions = restore,
         .metavar = u"S"_s,
         .help = u"restore: refuse an archive that unpacks to more (file sizes, holes included, + 512 B an "
                 "entry): 500MB, 20GiB; 0: no limit"_s},
        {.name = u"record_use"_s, .kind = ValueKind::Bool, .defaultValue = u"true"_s, .actions = restore,
         .help = u"restore: record each hit's use for list, flush by age_from: used and max_size (one small "
                 "write next to the cache; false for read-only credentials)"_s},
        {.name = u"cross_platform"_s, .kind = ValueKind::Bool, .defaultValue = u"false"_s, .actions = restore,
         .help = u"restore: also restore caches written on another os/arch (by default they are passed over: "
                 "native binaries in them would not run)"_s},
        {.name = u"workspace_owner"_s, .kind = ValueKind::Bool, .defaultValue = u"true"_s, .actions = restore,
         .help = u"restore as root: restored entries belong to the workspace folder's owner (false: to root)"_s},
        {.name = u"strict"_s, .kind = ValueKind::Bool, .defaultValue = u"false"_s,
         .actions = restore | rebuild | flush,
         .help = u"exit 1 on transient errors and corrupt archives instead of a warning"_s},
        {.name = u"ca_bundle"_s, .defaultText = u"AWS_CA_BUNDLE, else the AWS profile's, else the system's"_s, .metavar = u"FILE"_s, .help = u"extra CA certificates (PEM) for TLS"_s},
        {.name = u"sse"_s, .defaultText = u"the bucket's default"_s, .actions = rebuild, .metavar = u"MODE"_s,
         .help = u"server-side encryption of written caches: AES256, aws:kms, aws:kms:dsse (SSE-C is refused)"_s},
        {.name = u"sse_kms_key_id"_s, .defaultText = u"the account's aws/s3 key"_s, .actions = rebuild,
         .metavar = u"KEY"_s, .help = u"KMS key id, ARN or alias for sse aws:kms or aws:kms:dsse"_s},
        {.name = u"sse_bucket_key"_s, .kind = ValueKind::Bool, .defaultText = u"the bucket's setting"_s,
         .actions = rebuild, .help = u"use an S3 Bucket Key with sse aws:kms (fewer KMS requests)"_s},
        {.name = u"storage_class"_s, .defaultText = u"the bucket's default (STANDARD)"_s, .actions = rebuild,
         .metavar = u"CLASS"_s,
         .help = u"storage class of written caches: STANDARD_IA, INTELLIGENT_TIERING, ... (GLACIER and "
                 "DEEP_ARCHIVE are refused: a restore could not read them)"_s},
        {.name = u"tags"_s, .kind = ValueKind::List, .actions = rebuild, .metavar = u"K=V,..."_s,
         .help = u"object tags of written caches for lifecycle rules: team=web,env=ci (at most 10)"_s},
    };
}

} // namespace

QStringList Parameter::flags() const
{
    QStringList out;
    for (const QString &n : QStringList{name} + flagAliases)
        out << u"--"_s + QString(n).replace(u'_', u'-');
    return out;
}

QString Parameter::defaultDescription() const
{
    if (!defaultText.isEmpty())
        return defaultText;
    return defaultValue.isEmpty() ? u"—"_s : defaultValue;
}

const QList<Parameter> &parameterTable()
{
    static const QList<Parameter> table = makeTable();
    return table;
}

const Parameter *findParameter(const QString &name)
{
    for (const Parameter &p : parameterTable()) {
        if (p.name == name || p.flagAliases.contains(name))
            return &p;
    }
    return nullptr;
}

const Parameter &parameter(const QString &name)
{
    const Parameter *p = findParameter(name);
    if (!p)
        qFatal("no parameter '%s' in the parameter table", qPrintable(name));
    return *p;
}

Result<QVariant> parseParameterValue(const Parameter &parameter, const QString &text)
{
    const auto wrap = [](const auto &parsed) -> Result<QVariant> {
        if (!parsed.ok())
            return parsed.error();
        return QVariant::fromValue(*parsed);
    };
    switch (parameter.kind) {
    case ValueKind::Text: return QVariant(text.trimmed());
    case ValueKind::Bool: return wrap(parseBool(text));
    case ValueKind::Integer: return wrap(parseInt(text));
    case ValueKind::Size: return wrap(parseSize(text));
    case ValueKind::List: return wrap(parseList(text));
    case ValueKind::Seconds: return wrap(parseDurationMs(text, 1000));
    case ValueKind::Days: return wrap(parseDurationMs(text, 24 * 3600 * 1000));
    }
    return QVariant(text);
}

QVariant parameterDefault(const QString &name)
{
    const Parameter &p = parameter(name);
    if (p.defaultValue.isEmpty())
        return {};
    const Result<QVariant> parsed = parseParameterValue(p, p.defaultValue);
    if (!parsed.ok())
        qFatal("the default of %s does not parse: %s", qPrintable(name), qPrintable(parsed.error().message()));
    return *parsed;
}

QString defaultFileStoreBucket()
{
    return QStringLiteral("cache");
}

qint64 defaultFlushAgeSeconds()
{
    return parameterDefault(QStringLiteral("age")).toLongLong() / 1000;
}

QString formatParameterValue(ValueKind kind, const QVariant &value)
{
    switch (kind) {
    case ValueKind::Bool: return value.toBool() ? u"true"_s : u"false"_s;
    case ValueKind::List: return value.toStringList().join(u',');
    case ValueKind::Size: return u"%1 bytes"_s.arg(value.toLongLong());
    case ValueKind::Seconds:
    case ValueKind::Days: {
        const qint64 ms = value.toLongLong();
        for (const auto &[unit, length] : {std::pair{u'd', qint64(24) * 3600 * 1000}, std::pair{u'h', qint64(3600) * 1000},
                                           std::pair{u'm', qint64(60) * 1000}, std::pair{u's', qint64(1000)}}) {
            if (ms > 0 && ms % length == 0)
                return QString::number(ms / length) + QChar(unit);
        }
        return ms == 0 ? u"0"_s : u"%1ms"_s.arg(ms);
    }
    case ValueKind::Text:
    case ValueKind::Integer: break;
    }
    return value.toString();
}

} // namespace s3cache
