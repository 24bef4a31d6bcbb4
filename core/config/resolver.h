#pragma once
// The steps of resolveConfig() (config.h), one file each, run in this order by Resolver::run():
//   1. resolver.cpp          action, log level and output (beside the helpers every step uses)
//   2. resolvestore.cpp      credentials, then the store (server, bucket, region, addressing,
//                            with the AWS conventions of awss3settings.h; proxies)
//   3. resolveworkspace.cpp  workspace and mounts: the key templates hash files below them
//   4. resolvekey.cpp        org/repo, prefix/path/filename (templates evaluated), the archive
//                            format, restore keys and the default-branch fallback
//   5. resolvework.cpp       what the action does: timeout, age, booleans, compression level,
//                            restore size limit, CA bundle (else AWS_CA_BUNDLE, a profile's), outputs
//   6. resolveupload.cpp     what written objects ask of the server: encryption, storage class, tags
// Internal to core/config.

#include "awss3settings.h"
#include "config.h"
#include "keytemplate.h"
#include "parameters.h"

namespace s3cache {

class Resolver
{
public:
    Resolver(const CommandLine &cmd, const QProcessEnvironment &env, const QString &velaRoot);

    Result<Config> run();

private:
    Error resolveAction();
    Error resolveCredentials();
    Error resolveStore();
    Error resolveWorkspace();
    Error resolveKey();
    Error resolveWork();
    Error resolveUpload();

    // Looks a parameter up and records its source; secrets are registered and recorded masked.
    Result<std::optional<ParameterValue>> lookup(const QString &name, AwsVariables aws = AwsVariables::Include);
    // A parameter parsed by its kind (parameters.h), else its parsed default, else an invalid
    // QVariant; recorded in Config::resolved as shown by formatParameterValue().
    Result<QVariant> value(const QString &name);
    void show(const QString &name, const QString &value, const QString &source = {});
    // A parameter that takes one of two words: true for `yes`, false for `no` (the default's).
    Result<bool> choice(const QString &name, const QString &yes, const QString &no);
    // "<name>: cannot parse 'x': ... (from SOURCE)"
    static Error badValue(const QString &name, const ParameterValue &v, const Error &parseError);
    // One parameter of the key, normalised; keepTrailingSlash for path (a list prefix).
    Result<QString> keyPart(const QString &name, const QString &value, const QString &source,
                            bool keepTrailingSlash = false);

    // A key parameter (prefix, path, filename); a template is evaluated and its source says so.
    Result<std::optional<ParameterValue>> keyParameter(const QString &name, const TemplateContext &context);
    Result<QString> evaluate(const QString &name, const ParameterValue &v, const TemplateContext &context);
    static QString templateSource(const ParameterValue &v);
    Result<QString> filenamePart(const ParameterValue &f);
    // restore_keys evaluated in `context`, as full key prefixes under prefix/org/repo/ (or whole keys with path).
    Result<QStringList> restoreKeyPrefixes(const QString &prefix, const QString &path, const TemplateContext &context);
    Error resolveOrgAndRepo();
    Error resolveRestoreKeys();
    Error resolveDefaultBranch();

    const CommandLine &m_cmd;
    const QProcessEnvironment &m_env;
    ParameterSource m_source;
    Config m_config;
    TemplateContext m_context;
    std::optional<ParameterValue> m_restoreKeys;
    AwsS3Settings m_aws;  // the AWS conventions' S3 settings (resolveStore), for ca_bundle too
};

// How secret values are shown and recorded (an access key of 16 characters or more keeps its
// first four: "AKIA****"; short ones, like the test key "minioadmin", none).
inline const QString maskedValue = QStringLiteral("****");

// ErrorKind::InvalidInput, code "InvalidParameter".
Error invalidParameter(const QString &message);
// "prefix/org/repo/filename": the non-empty parts joined by '/'.
QString joinKeySegments(const QStringList &parts);

} // namespace s3cache
