#pragma once
// The resolved configuration of one `s3cache` run (docs/behaviour.md §2–§5, §8), built by resolveConfig()
// from the command line, the environment and the Vela parameter/secret files without any
// network access. Everything is validated here, so a bad value stops the run (exit 2) before
// any request; errors are ErrorKind::InvalidInput naming the parameter, its source and the bad
// value - never the value of secret_key or session_token.
//
// Choices docs/behaviour.md leaves to the code:
//  - server "file:///dir" (or "file://relative/dir", relative to the current directory) selects
//    a local directory store rooted at dir; the bucket is a subdirectory of it and defaults to
//    "cache" when neither root nor bucket is given. Region and path_style do not apply.
//  - AWS_SESSION_TOKEN is only used together with AWS_ACCESS_KEY_ID: a runner's ambient AWS
//    token must not be sent along with a key pair from the Vela secrets.
//  - A key pair must be complete (access_key and secret_key); a session token needs a pair.
//    With no key at all, `credentials` stays empty and the caller runs resolveCredentialChain().
//  - path (--key) may end with '/' only for list, where it is a prefix.
//  - flush needs a scope: prefix/org/repo/ when org and repo are known, else prefix/; with
//    neither, or with only one of org and repo, it is an error (never the whole bucket).
//  - mounts may be absolute when inside the workspace; they are stored relative to it.
//  - timeout must be positive; age may be 0s (flush everything older than now), not a bare 0.
//  - the archive format is decided here, once: the extension of path when it has a known one,
//    else that of filename (so `--path k/latest` writes filename's format).
//  - prefix, filename, path and restore_keys may be templates (keytemplate.h), evaluated here
//    against the workspace, after the workspace and the mounts are known; the fields hold the
//    evaluated values, `templates` the texts. A template that cannot be evaluated is an error
//    naming the parameter, the template and the position.
//  - restore_keys take the place of `filename` (under prefix/org/repo/), or with `path` they are
//    whole-key prefixes. Each is a prefix: the newest object under it is restored.
//  - Default-branch fallback: when a key template uses {{ .Build.Branch }} and the default branch
//    (repo_branch, else VELA_REPO_BRANCH) is set and differs from the build's branch
//    (build_branch, else VELA_BUILD_BRANCH), the same templates evaluated with .Build.Branch =
//    the default branch give defaultBranchKey and defaultBranchRestoreKeys, tried after the build
//    branch's key and restore keys (as actions/cache falls back to the default branch's scope).
//  - server, region, path_style and ca_bundle fall back to the AWS conventions
//    (awss3settings.h: AWS_ENDPOINT_URL_S3, profiles, AWS_CA_BUNDLE, ...).

#include "action.h"
#include "commandline.h"
#include "credentialchain.h"
#include "keytemplate.h"
#include "parametersource.h"
#include "valueparsers.h"

#include "archive/archiveformat.h"
#include "s3/endpoint.h"
#include "s3/proxy.h"
#include "s3/s3types.h"
#include "util/log.h"
#include "util/result.h"

#include <QDateTime>
#include <QMap>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>

namespace s3cache {

// What the command prints on stdout (the `output` parameter): text, or one JSON document
// (core/cache/jsonreport.h; README "Machine-readable output"). Logs go to stderr either way.
enum class OutputFormat { Text, Json };

// Where the credentials of a run come from, as `s3cache config` shows them (values masked: the
// access key id as Log::maskAccessKeyId shows it, never a secret).
struct CredentialsReport
{
    QString text;            // the `credentials:` row
    QString source;          // "CACHE_S3_ACCESS_KEY", "web identity: role ...", ...; empty: none
    QString accessKeyId;     // masked ("AKIA****")
    bool sessionToken = false;
    QDateTime expiration;    // temporary credentials; invalid: they do not expire
    QString error;           // the AWS chain failed: why
};

// What `s3cache config` shows, as data: Config::describe() prints it as text and
// jsonreport.h as JSON, so both show the same values, masked the same way.
struct ConfigReport
{
    struct ParameterRow
    {
        QString name;
        QString value;         // as resolved or given ("****" for secrets); empty: none
        QString source;        // "PARAMETER_ROOT", "default", "default: AWS chain", "not set"
        QString templateText;  // the template the value was evaluated from, if any
    };

    QString action;
    bool fileStore = false;
    QString storeDirectory;         // file:// store: the bucket's folder
    QString endpoint;               // S3: the resolved endpoint
    QString addressing;             // "path-style" or "virtual-host"
    QString region;
    QString regionSource;
    QString endpointsIgnoredBy;     // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's)
    QString proxy;                  // ProxySettings::describeFor (credentials masked)
    QString caBundle;
    QString caBundleSource;
    QString bucket;
    QString key;                    // empty: not known (no path, no org and repo)
    QStringList restoreKeys;
    QString defaultBranch;          // the default-branch fallback, when it applies
    QString defaultBranchSource;
    QStringList defaultBranchKeys;  // its key, then its restore keys
    bool hasScope = false;          // flush and list
    QString scope;                  // repoPrefix(); empty: the whole bucket
    QString format;
    CredentialsReport credentials;
    QString workspace;
    QList<ParameterRow> parameters; // every row of the parameter table, in its order
};

struct Config
{
    Action action = Action::Restore;
    LogLevel logLevel = LogLevel::Info;
    OutputFormat output = OutputFormat::Text;

    // storage
    bool fileStore = false;
    QString fileStoreRoot;            // absolute directory of a file:// store
    EndpointOptions endpoint;         // server, bucket, region, fallbackRegion, pathStyle
    Endpoint resolvedEndpoint;        // resolveEndpoint(endpoint), for S3 stores only
    Credentials credentials;          // explicit only; empty -> resolveCredentialChain() at run time
    QString caBundle;                 // absolute path, may be empty (ca_bundle, else AWS_CA_BUNDLE, a profile's)
    QString endpointsIgnoredBy;       // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS (or the profile's), when it applied
    ProxySettings proxy;              // from the environment (s3/proxy.h), for describe()
    ObjectWriteOptions objectOptions; // sse, sse_kms_key_id, sse_bucket_key, storage_class, tags

    // object
    QString bucket;
    QString prefix;                   // normalised: segments joined by one '/', no slash at the ends
    QString org;
    QString repo;
    QString filename;                 // the parameter table's default unless given
    bool filenameExplicit = false;
    QString path;                     // explicit full key (may end with '/' for list only)
    ArchiveFormat format = ArchiveFormat::TarZstd;  // from path's extension, else filename's
    QStringList restoreKeys;          // full key prefixes from restore_keys, evaluated, in order
    QString defaultBranch;            // repo_branch (VELA_REPO_BRANCH) when the default-branch fallback applies
    QString defaultBranchSource;      // where defaultBranch came from
    QString defaultBranchKey;         // objectKey() with .Build.Branch = defaultBranch, else empty
    QStringList defaultBranchRestoreKeys;  // restoreKeys likewise, those that differ
    // Parameter name -> template text, for prefix/filename/path/restore_keys given as templates.
    QMap<QString, QString> templates;

    // Full object key: path if set, else prefix/org/repo/filename (one '/' between segments).
    QString objectKey() const;
    // "prefix/org/repo/" when org and repo are known, else "prefix/", else "".
    QString repoPrefix() const;
    // What flush and list cover: repoPrefix(), or with scope: all "prefix/" (else "").
    QString scopePrefix() const;

    // work
    QString workspace;                // absolute
    QStringList mounts;               // relative to the workspace, cleaned
    bool preservePath = false;
    // The defaults of these are the parameter table's (parameters.cpp); resolveConfig sets them.
    qint64 timeoutMs = 0;
    qint64 ageSeconds = 0;
    bool ageFromUse = false;          // age_from: used
    qint64 maxBytes = -1;             // max_size; -1: no budget
    bool scopeAll = false;            // scope: all (flush, list: the whole prefix)
    qint64 chunkGraceSeconds = 0;     // chunk_grace (dedup caches: flush, rebuild)
    bool recordUse = true;            // restore: record the use of a hit
    bool crossPlatform = false;       // restore: caches of other platforms too
    int compressionLevel = -1;        // -1: the codec's default
    // restore refuses archives that unpack to more (file sizes with holes, 512 bytes an entry);
    // 0: no limit. The default stops bombs (a 10 KB sparse tar declaring 10 TB) and no real cache.
    qint64 maxRestoreBytes = 0;
    bool dryRun = false;
    bool failOnMiss = false;
    bool strict = false;
    bool lookupOnly = false;          // restore: report hit/miss without downloading
    bool workspaceOwner = false;      // restore as root: entries take the workspace's owner
    QString velaOutputs;              // VELA_OUTPUTS, may be empty

    // Every parameter that some source set, with that source; the values of secret parameters
    // are stored as "****".
    QMap<QString, ParameterValue> sources;
    // Parameters as resolved, for describe(): the value as used (normalised, parsed defaults,
    // secrets "****", the access key partly) and where it came from ("default", "host", ...).
    QMap<QString, ParameterValue> resolved;

    // For `s3cache config`: store, addressing, region, bucket, key, format, credentials and every
    // parameter of the table with its value and source. Secrets are "****", the access key is
    // shown partly.
    // `chain`: what `s3cache config` found in the AWS chain (storefactory.h:
    // describeCredentials); empty: the row says only that the chain runs at run time.
    ConfigReport report(const CredentialsReport &chain = {}) const;
    // report() as text, every line through Log::mask.
    QString describe(const CredentialsReport &chain = {}) const;
};

// `velaRoot` empty: S3CACHE_VELA_ROOT from `env`, else "/vela". Registers the secret key and
// session token with Log::registerSecret as soon as they are read.
Result<Config> resolveConfig(const CommandLine &cmd, const QProcessEnvironment &env,
                             const QString &velaRoot = {});

// The output format `cmd` and `env` ask for, read on its own: when resolveConfig() fails, its
// error is still reported in the format asked for. Text when unset or not a valid format (that
// error is resolveConfig's to report).
OutputFormat requestedOutputFormat(const CommandLine &cmd, const QProcessEnvironment &env,
                                   const QString &velaRoot = {});

} // namespace s3cache
