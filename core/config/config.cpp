#include "config.h"

#include <QDir>
#include <QRegularExpression>
#include <QFileInfo>

namespace s3cache {

namespace {

const QString masked = QStringLiteral("****");
const QString defaultFilename = QStringLiteral("archive.tar.zst");
const QString defaultFileStoreBucket = QStringLiteral("cache");

bool isSecret(const QString &name)
{
    return name == u"secret_key" || name == u"session_token";
}

Error invalid(const QString &message)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidParameter"), message);
}

// "AKIA****" for long keys; short ones (test keys like "minioadmin") are masked entirely.
QString partlyMasked(const QString &accessKey)
{
    return accessKey.size() >= 16 ? accessKey.left(4) + masked : masked;
}

// Splits on '/', drops empty segments, refuses '.' and '..'.
std::optional<QStringList> keySegments(const QString &text)
{
    QStringList segments;
    for (const QString &s : text.split(u'/', Qt::SkipEmptyParts)) {
        if (s == u"." || s == u"..")
            return std::nullopt;
        segments << s;
    }
    return segments;
}

QString joinSegments(const QStringList &parts)
{
    QStringList nonEmpty;
    for (const QString &p : parts) {
        if (!p.isEmpty())
            nonEmpty << p;
    }
    return nonEmpty.join(u'/');
}

class Resolver
{
public:
    Resolver(const CommandLine &cmd, const QProcessEnvironment &env, const QString &velaRoot)
        : m_cmd(cmd), m_env(env), m_source(cmd.flags, env, velaRoot)
    {
    }

    Result<Config> run();

private:
    // Looks a parameter up and records its source; secrets are registered and recorded masked.
    Result<std::optional<ParameterValue>> lookup(const QString &name, AwsVariables aws = AwsVariables::Include);
    // "<name>: cannot parse 'x': ... (from SOURCE)"
    static Error badValue(const QString &name, const ParameterValue &v, const Error &parseError);
    Result<bool> boolean(const QString &name, bool fallback);
    Result<qint64> duration(const QString &name, qint64 bareUnitMs, qint64 fallback);
    // One parameter of the key, normalised; keepTrailingSlash for path (a list prefix).
    Result<QString> keyPart(const QString &name, const QString &value, const QString &source,
                            bool keepTrailingSlash = false);

    Error resolveAction();
    Error resolveCredentials();
    Error resolveStore();
    Error resolveWorkspace();
    Error resolveKey();
    Error resolveWork();

    // A key parameter (prefix, path, filename); a template is evaluated and its source says so.
    Result<std::optional<ParameterValue>> keyParameter(const QString &name, const TemplateContext &context);
    Result<QString> evaluate(const QString &name, const ParameterValue &v, const TemplateContext &context);
    static QString templateSource(const ParameterValue &v);
    Result<QString> filenamePart(const ParameterValue &f);
    // restore_keys evaluated in `context`, as full key prefixes under prefix/org/repo/ (or whole keys with path).
    Result<QStringList> restoreKeyPrefixes(const QString &prefix, const QString &path, const TemplateContext &context);
    Error resolveRestoreKeys();
    Error resolveDefaultBranch();

    const CommandLine &m_cmd;
    const QProcessEnvironment &m_env;
    ParameterSource m_source;
    Config m_config;
    TemplateContext m_context;
    std::optional<ParameterValue> m_restoreKeys;
};

Result<std::optional<ParameterValue>> Resolver::lookup(const QString &name, AwsVariables aws)
{
    Result<std::optional<ParameterValue>> found = m_source.find(name, aws);
    if (found.ok() && found->has_value()) {
        const ParameterValue &v = **found;
        if (isSecret(name))
            Log::registerSecret(v.value);
        m_config.sources.insert(name, ParameterValue{isSecret(name) ? masked : v.value, v.source});
    }
    return found;
}

Error Resolver::badValue(const QString &name, const ParameterValue &v, const Error &parseError)
{
    return invalid(QStringLiteral("%1: %2 (from %3)").arg(name, parseError.message(), v.source));
}

Result<bool> Resolver::boolean(const QString &name, bool fallback)
{
    const auto found = lookup(name);
    if (!found.ok())
        return found.error();
    if (!found->has_value())
        return fallback;
    Result<bool> parsed = parseBool((*found)->value);
    if (!parsed.ok())
        return badValue(name, **found, parsed.error());
    return parsed;
}

Result<qint64> Resolver::duration(const QString &name, qint64 bareUnitMs, qint64 fallback)
{
    const auto found = lookup(name);
    if (!found.ok())
        return found.error();
    if (!found->has_value())
        return fallback;
    Result<qint64> parsed = parseDurationMs((*found)->value, bareUnitMs);
    if (!parsed.ok())
        return badValue(name, **found, parsed.error());
    return parsed;
}

Result<QString> Resolver::keyPart(const QString &name, const QString &value, const QString &source,
                                  bool keepTrailingSlash)
{
    const std::optional<QStringList> segments = keySegments(value);
    if (!segments)
        return invalid(QStringLiteral("%1: '%2' (from %3) contains a '.' or '..' segment, which a cache key "
                                      "must not have").arg(name, value, source));
    QString joined = segments->join(u'/');
    if (keepTrailingSlash && !joined.isEmpty() && value.endsWith(u'/'))
        joined += u'/';
    return joined;
}

Error Resolver::resolveAction()
{
    ParameterValue action{m_cmd.action.trimmed(), QStringLiteral("command line")};
    if (action.value.isEmpty()) {
        const auto found = lookup(QStringLiteral("action"));
        if (!found.ok())
            return found.error();
        if (!found->has_value())
            return invalid(QStringLiteral("action: not set; give one of restore, rebuild, flush, list, inspect, "
                                          "config (`s3cache restore`, or PARAMETER_ACTION in a pipeline)"));
        action = **found;
    } else {
        m_config.sources.insert(QStringLiteral("action"), action);
    }
    const std::optional<Action> parsed = parseAction(action.value);
    if (!parsed)
        return invalid(QStringLiteral("action: unknown action '%1' (from %2); expected restore, rebuild (or "
                                      "upload), flush, list, inspect or config").arg(action.value, action.source));
    m_config.action = *parsed;

    const auto level = lookup(QStringLiteral("log_level"));
    if (!level.ok())
        return level.error();
    if (level->has_value() && !Log::parseLevel((*level)->value, &m_config.logLevel))
        return invalid(QStringLiteral("log_level: unknown level '%1' (from %2); expected trace, debug, info, "
                                      "warn, error, fatal or panic").arg((*level)->value, (*level)->source));
    return {};
}

Error Resolver::resolveCredentials()
{
    const auto accessKey = lookup(QStringLiteral("access_key"));
    const auto secretKey = lookup(QStringLiteral("secret_key"));
    auto sessionToken = lookup(QStringLiteral("session_token"));
    for (const Error *error : {&accessKey.error(), &secretKey.error(), &sessionToken.error()}) {
        if (*error)
            return *error;
    }
    const QString awsKeyVariable = ParameterSource::awsVariables(QStringLiteral("access_key")).constFirst();
    const QString awsTokenVariable = ParameterSource::awsVariables(QStringLiteral("session_token")).constFirst();
    if (sessionToken->has_value() && (*sessionToken)->source == awsTokenVariable
        && (!accessKey->has_value() || (*accessKey)->source != awsKeyVariable)) {
        m_config.sources.remove(QStringLiteral("session_token"));
        sessionToken = std::optional<ParameterValue>();
    }

    if (accessKey->has_value() && !secretKey->has_value())
        return invalid(QStringLiteral("secret_key: not set, but access_key is (from %1); give both or neither")
                           .arg((*accessKey)->source));
    if (secretKey->has_value() && !accessKey->has_value())
        return invalid(QStringLiteral("access_key: not set, but secret_key is (from %1); give both or neither")
                           .arg((*secretKey)->source));
    if (sessionToken->has_value() && !accessKey->has_value())
        return invalid(QStringLiteral("session_token: set (from %1) without access_key and secret_key")
                           .arg((*sessionToken)->source));
    if (accessKey->has_value()) {
        m_config.credentials.accessKey = (*accessKey)->value;
        m_config.credentials.secretKey = (*secretKey)->value;
        if (sessionToken->has_value())
            m_config.credentials.sessionToken = (*sessionToken)->value;
        m_config.credentials.source = (*accessKey)->source;
    }
    return {};
}

Error Resolver::resolveStore()
{
    const auto root = lookup(QStringLiteral("root"));
    const auto bucket = lookup(QStringLiteral("bucket"));
    const auto server = lookup(QStringLiteral("server"));
    const auto region = lookup(QStringLiteral("region"), AwsVariables::Exclude);
    for (const auto *found : {&root, &bucket, &server, &region}) {
        if (!found->ok())
            return found->error();
    }
    if (root->has_value() && bucket->has_value() && (*root)->value != (*bucket)->value)
        return invalid(QStringLiteral("bucket: root '%1' (from %2) and bucket '%3' (from %4) differ; set only one")
                           .arg((*root)->value, (*root)->source, (*bucket)->value, (*bucket)->source));
    const std::optional<ParameterValue> bucketValue = bucket->has_value() ? *bucket : *root;
    if (bucketValue)
        m_config.sources.insert(QStringLiteral("bucket"), *bucketValue);
    m_config.bucket = bucketValue ? bucketValue->value : QString();

    const auto pathStyle = lookup(QStringLiteral("path_style"));
    if (!pathStyle.ok())
        return pathStyle.error();
    if (pathStyle->has_value()) {
        const Result<bool> parsed = parseBool((*pathStyle)->value);
        if (!parsed.ok())
            return badValue(QStringLiteral("path_style"), **pathStyle, parsed.error());
        m_config.endpoint.pathStyle = *parsed;
    }

    const QString serverText = server->has_value() ? (*server)->value : QString();
    const qsizetype schemeEnd = serverText.indexOf(u"://");
    const QString scheme = schemeEnd < 0 ? QString() : serverText.left(schemeEnd).toLower();

    if (scheme == u"file") {
        const QString dir = QUrl::fromPercentEncoding(serverText.mid(schemeEnd + 3).toUtf8());
        if (dir.isEmpty())
            return invalid(QStringLiteral("server: '%1' (from %2) names no directory; use file:///path/to/dir")
                               .arg(serverText, (*server)->source));
        m_config.fileStore = true;
        m_config.fileStoreRoot = QDir::cleanPath(QDir::current().absoluteFilePath(dir));
        if (m_config.bucket.isEmpty())
            m_config.bucket = defaultFileStoreBucket;
        else if (m_config.bucket.contains(u'/') || m_config.bucket.contains(u'\\') || m_config.bucket == u"."
                 || m_config.bucket == u"..")
            return invalid(QStringLiteral("bucket: '%1' (from %2) is not a valid bucket (directory) name")
                               .arg(m_config.bucket, bucketValue->source));
        return {};
    }

    if (!scheme.isEmpty() && scheme != u"http" && scheme != u"https")
        return invalid(QStringLiteral("server: unsupported scheme '%1' in '%2' (from %3); use https://host, "
                                      "http://host, a bare host or file:///dir")
                           .arg(scheme, serverText, (*server)->source));
    if (m_config.bucket.isEmpty())
        return invalid(QStringLiteral("bucket: not set; give root or bucket (PARAMETER_ROOT=mybucket in a "
                                      "pipeline, --bucket mybucket by hand)"));

    m_config.endpoint.server = serverText;
    m_config.endpoint.bucket = m_config.bucket;
    m_config.endpoint.region = region->has_value() ? (*region)->value : QString();
    for (const QString &variable : ParameterSource::awsVariables(QStringLiteral("region"))) {
        m_config.endpoint.fallbackRegion = m_env.value(variable).trimmed();
        m_config.endpoint.fallbackRegionSource = variable;
        if (!m_config.endpoint.fallbackRegion.isEmpty())
            break;
    }

    const Result<Endpoint> endpoint = resolveEndpoint(m_config.endpoint);
    if (!endpoint.ok()) {
        QStringList from;
        for (const QString &name : {QStringLiteral("server"), QStringLiteral("bucket"), QStringLiteral("region"),
                                    QStringLiteral("path_style")}) {
            if (m_config.sources.contains(name))
                from << QStringLiteral("%1 from %2").arg(name, m_config.sources.value(name).source);
        }
        return invalid(QStringLiteral("%1 (%2)").arg(endpoint.error().message(), from.join(QStringLiteral(", "))));
    }
    m_config.resolvedEndpoint = *endpoint;
    return {};
}

Error Resolver::resolveKey()
{
    // org/repo: --org/--repo, else VELA_REPO_ORG/NAME, else REPOSITORY_ORG/NAME, else VELA_REPO_FULL_NAME.
    const QString fullName = m_env.value(QStringLiteral("VELA_REPO_FULL_NAME")).trimmed();
    const qsizetype slash = fullName.indexOf(u'/');
    const QString fullNameParts[] = {slash > 0 ? fullName.left(slash) : QString(),
                                     slash > 0 ? fullName.mid(slash + 1) : QString()};
    const QString names[] = {QStringLiteral("org"), QStringLiteral("repo")};
    QString *fields[] = {&m_config.org, &m_config.repo};
    for (int i = 0; i < 2; ++i) {
        const QString upper = i == 0 ? QStringLiteral("ORG") : QStringLiteral("NAME");
        QList<ParameterValue> candidates{
            {m_cmd.flags.value(names[i]).trimmed(), ParameterSource::flagName(names[i])},
            {m_env.value(QStringLiteral("VELA_REPO_") + upper).trimmed(), QStringLiteral("VELA_REPO_") + upper},
            {m_env.value(QStringLiteral("REPOSITORY_") + upper).trimmed(), QStringLiteral("REPOSITORY_") + upper},
            {fullNameParts[i], QStringLiteral("VELA_REPO_FULL_NAME")}};
        for (const ParameterValue &c : std::as_const(candidates)) {
            if (c.value.isEmpty())
                continue;
            const Result<QString> part = keyPart(names[i], c.value, c.source);
            if (!part.ok())
                return part.error();
            *fields[i] = *part;
            m_config.sources.insert(names[i], c);
            break;
        }
    }

    m_context = TemplateContext::fromEnvironment(m_env, m_config.org, m_config.repo, m_config.workspace,
                                                 m_config.mounts);

    for (auto [name, field] : {std::pair{QStringLiteral("prefix"), &m_config.prefix},
                               std::pair{QStringLiteral("path"), &m_config.path}}) {
        const auto found = keyParameter(name, m_context);
        if (!found.ok())
            return found.error();
        if (!found->has_value())
            continue;
        const Result<QString> part = keyPart(name, (*found)->value, (*found)->source, name == u"path");
        if (!part.ok())
            return part.error();
        *field = *part;
    }

    const auto filename = keyParameter(QStringLiteral("filename"), m_context);
    if (!filename.ok())
        return filename.error();
    m_config.filename = defaultFilename;
    if (filename->has_value()) {
        const Result<QString> part = filenamePart(**filename);
        if (!part.ok())
            return part.error();
        m_config.filename = *part;
        m_config.filenameExplicit = true;
    }
    // The format follows the object's name: an explicit key's extension when it has a known one.
    m_config.format = archiveFormatForName(m_config.path);
    if (m_config.format.isEmpty())
        m_config.format = archiveFormatForName(m_config.filename);

    const Action action = m_config.action;
    const bool needsObject = action == Action::Restore || action == Action::Rebuild || action == Action::Inspect;
    if (needsObject && m_config.path.endsWith(u'/'))
        return invalid(QStringLiteral("path: '%1' (from %2) ends with '/' and names no object")
                           .arg(m_config.path, m_config.sources.value(QStringLiteral("path")).source));
    const bool haveRepo = !m_config.org.isEmpty() && !m_config.repo.isEmpty();
    if (needsObject && m_config.path.isEmpty() && !haveRepo)
        return invalid(QStringLiteral("key: cannot build the cache key without org and repo; pass --key/--path, "
                                      "or --org and --repo (or run inside Vela, which sets VELA_REPO_ORG and "
                                      "VELA_REPO_NAME)"));
    if (action == Action::Flush) {
        if (m_config.org.isEmpty() != m_config.repo.isEmpty())
            return invalid(QStringLiteral("flush: org and repo must be given together (org '%1', repo '%2')")
                               .arg(m_config.org, m_config.repo));
        if (m_config.repoPrefix().isEmpty())
            return invalid(QStringLiteral("flush: no scope; give --org and --repo or a prefix (refusing to flush "
                                          "the whole bucket)"));
    }
    if (Error e = resolveRestoreKeys())
        return e;
    return resolveDefaultBranch();
}

Result<std::optional<ParameterValue>> Resolver::keyParameter(const QString &name, const TemplateContext &context)
{
    auto found = lookup(name);
    if (!found.ok() || !found->has_value() || !KeyTemplate::isTemplate((*found)->value))
        return found;
    const Result<QString> value = evaluate(name, **found, context);
    if (!value.ok())
        return value.error();
    m_config.templates.insert(name, (*found)->value);
    return std::optional<ParameterValue>(ParameterValue{*value, templateSource(**found)});
}

QString Resolver::templateSource(const ParameterValue &v)
{
    return QStringLiteral("%1, template '%2'").arg(v.source, v.value);
}

Result<QString> Resolver::evaluate(const QString &name, const ParameterValue &v, const TemplateContext &context)
{
    const Result<KeyTemplate> parsed = KeyTemplate::parse(v.value);
    Result<QString> value = parsed.ok() ? parsed->evaluate(context) : Result<QString>(parsed.error());
    if (!value.ok())
        return invalid(QStringLiteral("%1: cannot evaluate template '%2' (from %3): %4")
                           .arg(name, v.value, v.source, value.error().message()));
    return value;
}

Result<QString> Resolver::filenamePart(const ParameterValue &f)
{
    Result<QString> part = keyPart(QStringLiteral("filename"), f.value, f.source);
    if (!part.ok())
        return part.error();
    if (part->isEmpty() || f.value.endsWith(u'/'))
        return invalid(QStringLiteral("filename: '%1' (from %2) names no object").arg(f.value, f.source));
    if (archiveFormatForName(*part).isEmpty())
        return invalid(QStringLiteral("filename: '%1' (from %2) has an unknown extension; use .tar.zst, "
                                      ".tzst, .tar.gz, .tgz, .tar or .zip").arg(f.value, f.source));
    return part;
}

Result<QStringList> Resolver::restoreKeyPrefixes(const QString &prefix, const QString &path, const TemplateContext &context)
{
    QStringList keys;
    if (!m_restoreKeys)
        return keys;
    const ParameterValue &v = *m_restoreKeys;
    const Result<QStringList> items = parseList(v.value);
    if (!items.ok())
        return badValue(QStringLiteral("restore_keys"), v, items.error());
    const QString scope = path.isEmpty() ? joinSegments({prefix, m_config.org, m_config.repo}) : QString();
    for (const QString &item : *items) {
        ParameterValue one{item, v.source};
        if (KeyTemplate::isTemplate(item)) {
            const Result<QString> value = evaluate(QStringLiteral("restore_keys"), one, context);
            if (!value.ok())
                return value.error();
            one = ParameterValue{*value, templateSource(one)};
        }
        const Result<QString> part = keyPart(QStringLiteral("restore_keys"), one.value, one.source, true);
        if (!part.ok())
            return part.error();
        if (part->isEmpty())
            return invalid(QStringLiteral("restore_keys: '%1' (from %2) is empty; a restore key is the start of a "
                                          "cache object's name, e.g. npm-").arg(item, one.source));
        const QString key = scope.isEmpty() ? *part : scope + u'/' + *part;
        if (!keys.contains(key))
            keys << key;
    }
    return keys;
}

Error Resolver::resolveRestoreKeys()
{
    const auto found = lookup(QStringLiteral("restore_keys"));
    if (!found.ok())
        return found.error();
    m_restoreKeys = *found;
    if (m_restoreKeys && KeyTemplate::isTemplate(m_restoreKeys->value))
        m_config.templates.insert(QStringLiteral("restore_keys"), m_restoreKeys->value);
    const Result<QStringList> keys = restoreKeyPrefixes(m_config.prefix, m_config.path, m_context);
    if (!keys.ok())
        return keys.error();
    m_config.restoreKeys = *keys;
    return {};
}

Error Resolver::resolveDefaultBranch()
{
    const QString branchVariable = QStringLiteral(".Build.Branch");
    const QString defaultBranch = m_env.value(QStringLiteral("VELA_REPO_BRANCH")).trimmed();
    if (defaultBranch.isEmpty() || defaultBranch == m_context.variables.value(branchVariable))
        return {};
    const auto usesBranch = [&branchVariable](const QString &text) {
        const Result<KeyTemplate> parsed = KeyTemplate::parse(text);
        return parsed.ok() && parsed->uses(branchVariable);
    };
    bool branchInKey = false;
    for (const QString &name : {QStringLiteral("prefix"), QStringLiteral("path"), QStringLiteral("filename")})
        branchInKey = branchInKey || (m_config.templates.contains(name) && usesBranch(m_config.templates.value(name)));
    if (m_restoreKeys) {
        const Result<QStringList> items = parseList(m_restoreKeys->value);
        for (const QString &item : items.ok() ? *items : QStringList{})
            branchInKey = branchInKey || usesBranch(item);
    }
    if (!branchInKey)
        return {};

    TemplateContext context = m_context;  // shares the function results: no file is read twice
    context.variables.insert(branchVariable, defaultBranch);
    QString parts[3];  // prefix, path, filename
    const QString names[] = {QStringLiteral("prefix"), QStringLiteral("path"), QStringLiteral("filename")};
    const QString current[] = {m_config.prefix, m_config.path, m_config.filename};
    for (int i = 0; i < 3; ++i) {
        parts[i] = current[i];
        if (!m_config.templates.contains(names[i]))
            continue;
        const ParameterValue raw{m_config.templates.value(names[i]), m_config.sources.value(names[i]).source};
        const Result<QString> value = evaluate(names[i], raw, context);
        if (!value.ok())
            return value.error();
        const ParameterValue evaluated{*value, templateSource(raw)};
        const Result<QString> part = i == 2 ? filenamePart(evaluated)
                                            : keyPart(names[i], evaluated.value, evaluated.source, i == 1);
        if (!part.ok())
            return part.error();
        parts[i] = *part;
    }
    const QString key = parts[1].isEmpty() ? joinSegments({parts[0], m_config.org, m_config.repo, parts[2]}) : parts[1];
    const Result<QStringList> restoreKeys = restoreKeyPrefixes(parts[0], parts[1], context);
    if (!restoreKeys.ok())
        return restoreKeys.error();
    m_config.defaultBranch = defaultBranch;
    if (key != m_config.objectKey())
        m_config.defaultBranchKey = key;
    for (const QString &k : *restoreKeys) {
        if (!m_config.restoreKeys.contains(k))
            m_config.defaultBranchRestoreKeys << k;
    }
    if (m_config.defaultBranchKey.isEmpty() && m_config.defaultBranchRestoreKeys.isEmpty())
        m_config.defaultBranch.clear();
    return {};
}

Error Resolver::resolveWorkspace()
{
    const auto workspace = lookup(QStringLiteral("workspace"));
    if (!workspace.ok())
        return workspace.error();
    const ParameterValue ws = workspace->has_value()
        ? **workspace : ParameterValue{QDir::currentPath(), QStringLiteral("current directory")};
    m_config.workspace = QDir::cleanPath(QDir::current().absoluteFilePath(ws.value));
    if ((m_config.action == Action::Restore || m_config.action == Action::Rebuild)
        && !QFileInfo(m_config.workspace).isDir())
        return invalid(QStringLiteral("workspace: '%1' (from %2) is not a directory").arg(ws.value, ws.source));

    const auto mount = lookup(QStringLiteral("mount"));
    if (!mount.ok())
        return mount.error();
    if (mount->has_value()) {
        const ParameterValue &v = **mount;
        const Result<QStringList> items = parseList(v.value);
        if (!items.ok())
            return badValue(QStringLiteral("mount"), v, items.error());
        const QDir root(m_config.workspace);
        for (const QString &item : *items) {
            QString relative = root.relativeFilePath(QDir::cleanPath(root.absoluteFilePath(item)));
            if (relative.isEmpty())
                relative = QStringLiteral(".");
            if (relative == u".." || relative.startsWith(u"../"))
                return invalid(QStringLiteral("mount: '%1' (from %2) is outside the workspace %3")
                                   .arg(item, v.source, m_config.workspace));
            m_config.mounts << relative;
        }
        m_config.mounts.removeDuplicates();
    }
    if (m_config.action == Action::Rebuild && m_config.mounts.isEmpty())
        return invalid(QStringLiteral("mount: not set; rebuild needs the files or folders to cache (e.g. "
                                      "PARAMETER_MOUNT=.gradle,node_modules or --mount node_modules)"));

    return {};
}

Error Resolver::resolveWork()
{
    const Result<qint64> timeout = duration(QStringLiteral("timeout"), 1000, m_config.timeoutMs);
    if (!timeout.ok())
        return timeout.error();
    if (*timeout <= 0)
        return invalid(QStringLiteral("timeout: must be longer than 0 (from %1)")
                           .arg(m_config.sources.value(QStringLiteral("timeout")).source));
    m_config.timeoutMs = *timeout;

    const Result<qint64> age = duration(QStringLiteral("age"), 24 * 3600 * 1000, m_config.ageSeconds * 1000);
    if (!age.ok())
        return age.error();
    m_config.ageSeconds = *age / 1000;
    // A bare 0 is most likely a slip (the plugin's age is in days): it would delete every cache
    // in scope. Saying so takes a unit.
    if (const ParameterValue given = m_config.sources.value(QStringLiteral("age"));
        *age == 0 && !given.value.isEmpty() && !given.value.contains(QRegularExpression(QStringLiteral("[a-zA-Z]"))))
        return invalid(QStringLiteral("age: '%1' (from %2) would delete every cache in scope; write 0s if that is "
                                      "what you want").arg(given.value, given.source));

    for (auto [name, field] : {std::pair{QStringLiteral("preserve_path"), &m_config.preservePath},
                               std::pair{QStringLiteral("dry_run"), &m_config.dryRun},
                               std::pair{QStringLiteral("fail_on_miss"), &m_config.failOnMiss},
                               std::pair{QStringLiteral("strict"), &m_config.strict},
                               std::pair{QStringLiteral("lookup_only"), &m_config.lookupOnly}}) {
        const Result<bool> value = boolean(name, *field);
        if (!value.ok())
            return value.error();
        *field = *value;
    }

    const auto level = lookup(QStringLiteral("compression_level"));
    if (!level.ok())
        return level.error();
    if (level->has_value()) {
        const ParameterValue &v = **level;
        const Result<int> parsed = parseInt(v.value);
        if (!parsed.ok())
            return badValue(QStringLiteral("compression_level"), v, parsed.error());
        int low = -1, high = 9;
        if (m_config.format == u"tar.zst") {
            low = 1;
            high = 19;
        } else if (m_config.format == u"tar") {
            return invalid(QStringLiteral("compression_level: %1 (from %2) given, but .tar archives are not "
                                          "compressed").arg(v.value, v.source));
        }
        if (*parsed < low || *parsed > high)
            return invalid(QStringLiteral("compression_level: %1 (from %2) is out of range for %3: %4..%5")
                               .arg(v.value, v.source, m_config.format).arg(low).arg(high));
        m_config.compressionLevel = *parsed;
    }

    const auto maxRestore = lookup(QStringLiteral("max_restore_size"));
    if (!maxRestore.ok())
        return maxRestore.error();
    if (maxRestore->has_value()) {
        const Result<qint64> parsed = parseSize((*maxRestore)->value);
        if (!parsed.ok())
            return badValue(QStringLiteral("max_restore_size"), **maxRestore, parsed.error());
        m_config.maxRestoreBytes = *parsed;
    }

    const auto caBundle = lookup(QStringLiteral("ca_bundle"));
    if (!caBundle.ok())
        return caBundle.error();
    if (caBundle->has_value()) {
        const ParameterValue &v = **caBundle;
        const QFileInfo info(QDir::current().absoluteFilePath(v.value));
        if (!info.isFile() || !info.isReadable())
            return invalid(QStringLiteral("ca_bundle: '%1' (from %2) is not a readable file").arg(v.value, v.source));
        m_config.caBundle = info.absoluteFilePath();
    }

    m_config.velaOutputs = m_env.value(QStringLiteral("VELA_OUTPUTS")).trimmed();
    return {};
}

Result<Config> Resolver::run()
{
    for (Error (Resolver::*step)() : {&Resolver::resolveAction, &Resolver::resolveCredentials,
                                      &Resolver::resolveStore, &Resolver::resolveWorkspace, &Resolver::resolveKey,
                                      &Resolver::resolveWork}) {
        const Error error = (this->*step)();
        if (error)
            return error;
    }
    return m_config;
}

} // namespace

Result<Config> resolveConfig(const CommandLine &cmd, const QProcessEnvironment &env, const QString &velaRoot)
{
    return Resolver(cmd, env, velaRoot).run();
}

QString archiveFormatForName(const QString &name)
{
    const QString n = name.toLower();
    if (n.endsWith(u".tar.zst") || n.endsWith(u".tzst"))
        return QStringLiteral("tar.zst");
    if (n.endsWith(u".tar.gz") || n.endsWith(u".tgz"))
        return QStringLiteral("tar.gz");
    if (n.endsWith(u".tar"))
        return QStringLiteral("tar");
    if (n.endsWith(u".zip"))
        return QStringLiteral("zip");
    return {};
}

QString Config::objectKey() const
{
    if (!path.isEmpty())
        return path;
    return joinSegments({prefix, org, repo, filename});
}

QString Config::repoPrefix() const
{
    const QString scope = !org.isEmpty() && !repo.isEmpty() ? joinSegments({prefix, org, repo}) : prefix;
    return scope.isEmpty() ? QString() : scope + u'/';
}

QString Config::describe() const
{
    struct Row { QString name; QString value; QString defaultSource = QStringLiteral("default"); };
    const auto durationText = [](qint64 ms) {
        for (const auto &[unit, length] : {std::pair{u'd', 24 * 3600 * 1000}, std::pair{u'h', 3600 * 1000},
                                           std::pair{u'm', 60 * 1000}, std::pair{u's', 1000}}) {
            if (ms > 0 && ms % length == 0)
                return QString::number(ms / length) + QChar(unit);
        }
        return ms == 0 ? QStringLiteral("0") : QStringLiteral("%1ms").arg(ms);
    };
    const auto yesNo = [](bool b) { return b ? QStringLiteral("true") : QStringLiteral("false"); };
    const bool keyKnown = !path.isEmpty() || (!org.isEmpty() && !repo.isEmpty());

    QStringList lines;
    const auto line = [&lines](const QString &label, const QString &value) {
        const QString text = label + u':';
        lines << (text.size() < 13 ? text.leftJustified(13) : text + u' ') + value;
    };
    line(QStringLiteral("action"), actionName(action));
    if (fileStore) {
        line(QStringLiteral("store"), QStringLiteral("local directory %1").arg(QDir(fileStoreRoot).filePath(bucket)));
    } else {
        line(QStringLiteral("endpoint"), resolvedEndpoint.describe());
        line(QStringLiteral("addressing"), resolvedEndpoint.pathStyle ? QStringLiteral("path-style")
                                                                      : QStringLiteral("virtual-host"));
        line(QStringLiteral("region"), QStringLiteral("%1 (from %2)").arg(resolvedEndpoint.region, resolvedEndpoint.regionSource));
    }
    line(QStringLiteral("bucket"), bucket);
    line(QStringLiteral("key"), keyKnown ? objectKey() : QStringLiteral("(none: pass --key/--path or --org/--repo)"));
    if (!restoreKeys.isEmpty())
        line(QStringLiteral("restore keys"), restoreKeys.join(QStringLiteral(", ")));
    if (!defaultBranch.isEmpty()) {
        QStringList fallback;
        if (!defaultBranchKey.isEmpty())
            fallback << defaultBranchKey;
        fallback += defaultBranchRestoreKeys;
        line(QStringLiteral("default branch"), QStringLiteral("%1 (VELA_REPO_BRANCH), then: %2").arg(defaultBranch, fallback.join(QStringLiteral(", "))));
    }
    if (action == Action::Flush || action == Action::List)
        line(QStringLiteral("scope"), repoPrefix().isEmpty() ? QStringLiteral("(whole bucket)") : repoPrefix());
    line(QStringLiteral("format"), format);
    if (credentials.isEmpty())
        line(QStringLiteral("credentials"), fileStore ? QStringLiteral("(not used)")
             : QStringLiteral("none given: AWS profile, then instance metadata, at run time"));
    else
        line(QStringLiteral("credentials"), QStringLiteral("access key %1 from %2%3")
             .arg(partlyMasked(credentials.accessKey), credentials.source,
                  credentials.sessionToken.isEmpty() ? QString() : QStringLiteral(", with session token")));
    line(QStringLiteral("workspace"), workspace);

    const QList<Row> rows{
        {QStringLiteral("action"), actionName(action)},
        {QStringLiteral("log_level"), Log::levelName(logLevel)},
        {QStringLiteral("server"), fileStore ? QStringLiteral("file://") + fileStoreRoot : endpoint.server},
        {QStringLiteral("access_key"), credentials.accessKey.isEmpty() ? QString() : partlyMasked(credentials.accessKey)},
        {QStringLiteral("secret_key"), credentials.secretKey.isEmpty() ? QString() : masked},
        {QStringLiteral("session_token"), credentials.sessionToken.isEmpty() ? QString() : masked},
        {QStringLiteral("bucket"), bucket},
        {QStringLiteral("region"), fileStore ? QString() : resolvedEndpoint.region, resolvedEndpoint.regionSource},
        {QStringLiteral("path_style"), endpoint.pathStyle ? yesNo(*endpoint.pathStyle) : QStringLiteral("auto")},
        {QStringLiteral("prefix"), prefix},
        {QStringLiteral("org"), org},
        {QStringLiteral("repo"), repo},
        {QStringLiteral("filename"), filename},
        {QStringLiteral("path"), path},
        {QStringLiteral("restore_keys"), restoreKeys.join(u',')},
        {QStringLiteral("mount"), mounts.join(u',')},
        {QStringLiteral("preserve_path"), yesNo(preservePath)},
        {QStringLiteral("timeout"), durationText(timeoutMs)},
        {QStringLiteral("age"), durationText(ageSeconds * 1000)},
        {QStringLiteral("compression_level"), compressionLevel == -1 ? QStringLiteral("default") : QString::number(compressionLevel)},
        {QStringLiteral("max_restore_size"), maxRestoreBytes == 0 ? QStringLiteral("no limit") : QStringLiteral("%1 bytes").arg(maxRestoreBytes)},
        {QStringLiteral("dry_run"), yesNo(dryRun)},
        {QStringLiteral("fail_on_miss"), yesNo(failOnMiss)},
        {QStringLiteral("strict"), yesNo(strict)},
        {QStringLiteral("lookup_only"), yesNo(lookupOnly)},
        {QStringLiteral("ca_bundle"), caBundle},
        {QStringLiteral("workspace"), workspace, QStringLiteral("current directory")},
    };
    lines << QStringLiteral("parameters:");
    for (const Row &row : rows) {
        const auto source = sources.constFind(row.name);
        QString from = source != sources.constEnd() ? source->source
                     : row.value.isEmpty()          ? QStringLiteral("not set")
                                                    : row.defaultSource;
        if (templates.contains(row.name))
            from += QStringLiteral(", template '%1'").arg(templates.value(row.name));
        lines << QStringLiteral("  %1 %2 (%3)").arg(row.name.leftJustified(18),
                                                    row.value.isEmpty() ? QStringLiteral("-") : row.value, from);
    }
    return Log::mask(lines.join(u'\n'));
}

} // namespace s3cache
