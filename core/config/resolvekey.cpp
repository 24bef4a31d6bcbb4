#include "resolver.h"

namespace s3cache {

Error Resolver::resolveOrgAndRepo()
{
    // --org/--repo, else VELA_REPO_ORG/NAME, else REPOSITORY_ORG/NAME (the table's variables),
    // else the two halves of VELA_REPO_FULL_NAME.
    const QString fullName = m_env.value(QStringLiteral("VELA_REPO_FULL_NAME")).trimmed();
    const qsizetype slash = fullName.indexOf(u'/');
    const QString fullNameParts[] = {slash > 0 ? fullName.left(slash) : QString(),
                                     slash > 0 ? fullName.mid(slash + 1) : QString()};
    const QString names[] = {QStringLiteral("org"), QStringLiteral("repo")};
    QString *fields[] = {&m_config.org, &m_config.repo};
    for (int i = 0; i < 2; ++i) {
        const auto found = lookup(names[i]);
        if (!found.ok())
            return found.error();
        const ParameterValue v = found->value_or(ParameterValue{fullNameParts[i], QStringLiteral("VELA_REPO_FULL_NAME")});
        if (v.value.isEmpty())
            continue;
        const Result<QString> part = keyPart(names[i], v.value, v.source);
        if (!part.ok())
            return part.error();
        *fields[i] = *part;
        m_config.sources.insert(names[i], v);
    }
    return {};
}

Error Resolver::resolveKey()
{
    if (Error e = resolveOrgAndRepo())
        return e;

    m_context = TemplateContext::fromEnvironment(m_env, m_config.org, m_config.repo, m_config.workspace,
                                                 m_config.mounts);
    // build_branch and repo_branch (the Vela plugin's parameters) override VELA_BUILD_BRANCH and
    // VELA_REPO_BRANCH, which are their defaults (the table's variables).
    for (auto [name, variable] : {std::pair{QStringLiteral("build_branch"), QStringLiteral(".Build.Branch")},
                                  std::pair{QStringLiteral("repo_branch"), QStringLiteral(".Repo.Branch")}}) {
        const auto found = lookup(name);
        if (!found.ok())
            return found.error();
        if (found->has_value()) {
            m_context.variables.insert(variable, (*found)->value);
            show(name, (*found)->value);
        }
    }

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
        show(name, *part);
    }

    const auto filename = keyParameter(QStringLiteral("filename"), m_context);
    if (!filename.ok())
        return filename.error();
    m_config.filename = parameterDefault(QStringLiteral("filename")).toString();
    if (filename->has_value()) {
        const Result<QString> part = filenamePart(**filename);
        if (!part.ok())
            return part.error();
        m_config.filename = *part;
        m_config.filenameExplicit = true;
    }
    show(QStringLiteral("filename"), m_config.filename, filename->has_value() ? QString() : QStringLiteral("default"));
    // The format follows the object's name: an explicit key's extension when it has a known one,
    // else the filename's (which always has one: filenamePart() checks it). Decided here, once.
    m_config.format = archiveFormatForFilename(m_config.path)
                          .value_or(archiveFormatForFilename(m_config.filename).value_or(ArchiveFormat::TarZstd));

    const Action action = m_config.action;
    const bool needsObject = action == Action::Restore || action == Action::Rebuild || action == Action::Inspect;
    if (needsObject && m_config.path.endsWith(u'/'))
        return invalidParameter(QStringLiteral("path: '%1' (from %2) ends with '/' and names no object")
                   .arg(m_config.path, m_config.sources.value(QStringLiteral("path")).source));
    // A dedup cache's chunks live in PREFIX/.chunks/, shared by the caches under PREFIX/ (the ones a
    // flush there reads before it deletes chunks): its key must be one of them.
    if (action == Action::Rebuild && m_config.format == ArchiveFormat::Dedup && !m_config.prefix.isEmpty()
        && !m_config.path.isEmpty() && !m_config.path.startsWith(m_config.prefix + u'/'))
        return invalidParameter(QStringLiteral("path: '%1' (from %2) is a dedup cache outside prefix '%3': its chunks are "
                                               "shared under %3/.chunks/ by the caches under %3/ only; put the key under "
                                               "the prefix, or leave prefix empty")
                   .arg(m_config.path, m_config.sources.value(QStringLiteral("path")).source, m_config.prefix));
    const bool haveRepo = !m_config.org.isEmpty() && !m_config.repo.isEmpty();
    if (needsObject && m_config.path.isEmpty() && !haveRepo)
        return invalidParameter(QStringLiteral("key: cannot build the cache key without org and repo; pass --key/--path, "
                                               "or --org and --repo (or run inside Vela, which sets VELA_REPO_ORG and "
                                               "VELA_REPO_NAME)"));
    if (action == Action::Flush) {
        if (m_config.org.isEmpty() != m_config.repo.isEmpty())
            return invalidParameter(QStringLiteral("flush: org and repo must be given together (org '%1', repo '%2')")
                       .arg(m_config.org, m_config.repo));
    }
    const Result<bool> scope = choice(QStringLiteral("scope"), QStringLiteral("all"), QStringLiteral("repo"));
    if (!scope.ok())
        return scope.error();
    m_config.scopeAll = *scope;
    // The whole bucket is flushed only when asked for by name.
    if (action == Action::Flush && m_config.scopePrefix().isEmpty() && !m_config.scopeAll)
        return invalidParameter(QStringLiteral("flush: no scope; give --org and --repo or a prefix (refusing to flush "
                                               "the whole bucket; scope: all with no prefix means it)"));
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
        return invalidParameter(QStringLiteral("%1: cannot evaluate template '%2' (from %3): %4")
                   .arg(name, v.value, v.source, value.error().message()));
    return value;
}

Result<QString> Resolver::filenamePart(const ParameterValue &f)
{
    Result<QString> part = keyPart(QStringLiteral("filename"), f.value, f.source);
    if (!part.ok())
        return part.error();
    if (part->isEmpty() || f.value.endsWith(u'/'))
        return invalidParameter(QStringLiteral("filename: '%1' (from %2) names no object").arg(f.value, f.source));
    if (!archiveFormatForFilename(*part))
        return invalidParameter(QStringLiteral("filename: '%1' (from %2) has an unknown extension; use one of %3")
                   .arg(f.value, f.source, archiveExtensions()));
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
    const QString scope = path.isEmpty() ? joinKeySegments({prefix, m_config.org, m_config.repo}) : QString();
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
            return invalidParameter(QStringLiteral("restore_keys: '%1' (from %2) is empty; a restore key is the start of a "
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
    if (!keys->isEmpty())
        show(QStringLiteral("restore_keys"), keys->join(u','));
    return {};
}

Error Resolver::resolveDefaultBranch()
{
    const QString branchVariable = QStringLiteral(".Build.Branch");
    const QString defaultBranch = m_context.variables.value(QStringLiteral(".Repo.Branch"));
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
    const QString key = parts[1].isEmpty() ? joinKeySegments({parts[0], m_config.org, m_config.repo, parts[2]}) : parts[1];
    const Result<QStringList> restoreKeys = restoreKeyPrefixes(parts[0], parts[1], context);
    if (!restoreKeys.ok())
        return restoreKeys.error();
    m_config.defaultBranch = defaultBranch;
    m_config.defaultBranchSource = m_config.sources.value(QStringLiteral("repo_branch")).source;
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

} // namespace s3cache
