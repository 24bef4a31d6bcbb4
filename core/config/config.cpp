#include "config.h"

#include "parameters.h"
#include "resolver.h"

#include <QDir>

namespace s3cache {

using namespace Qt::StringLiterals;

QString Config::objectKey() const
{
    if (!path.isEmpty())
        return path;
    return joinKeySegments({prefix, org, repo, filename});
}

QString Config::repoPrefix() const
{
    const QString scope = !org.isEmpty() && !repo.isEmpty() ? joinKeySegments({prefix, org, repo}) : prefix;
    return scope.isEmpty() ? QString() : scope + u'/';
}

QString Config::scopePrefix() const
{
    if (!scopeAll)
        return repoPrefix();
    return prefix.isEmpty() ? QString() : prefix + u'/';
}

ConfigReport Config::report(const CredentialsReport &chain) const
{
    ConfigReport r;
    r.action = actionName(action);
    r.fileStore = fileStore;
    if (fileStore) {
        r.storeDirectory = QDir(fileStoreRoot).filePath(bucket);
    } else {
        r.endpoint = resolvedEndpoint.describe();
        r.addressing = resolvedEndpoint.pathStyle ? u"path-style"_s : u"virtual-host"_s;
        r.region = resolvedEndpoint.region;
        r.regionSource = resolvedEndpoint.regionSource;
        r.endpointsIgnoredBy = endpointsIgnoredBy;
        r.proxy = proxy.describeFor(resolvedEndpoint.scheme, resolvedEndpoint.host, resolvedEndpoint.port);
        if (!caBundle.isEmpty()) {
            r.caBundle = caBundle;
            r.caBundleSource = resolved.value(u"ca_bundle"_s).source;
        }
    }
    r.bucket = bucket;
    if (!path.isEmpty() || (!org.isEmpty() && !repo.isEmpty()))
        r.key = objectKey();
    r.restoreKeys = restoreKeys;
    if (!defaultBranch.isEmpty()) {
        r.defaultBranch = defaultBranch;
        r.defaultBranchSource = defaultBranchSource;
        if (!defaultBranchKey.isEmpty())
            r.defaultBranchKeys << defaultBranchKey;
        r.defaultBranchKeys += defaultBranchRestoreKeys;
    }
    r.hasScope = action == Action::Flush || action == Action::List;
    if (r.hasScope)
        r.scope = scopePrefix();
    r.format = archiveFormatName(format);
    if (credentials.isEmpty() && !chain.text.isEmpty() && !fileStore) {
        r.credentials = chain;
    } else if (credentials.isEmpty()) {
        r.credentials.text = fileStore ? u"(not used)"_s : u"none given: AWS profile, then instance metadata, at run time"_s;
    } else {
        r.credentials.source = credentials.source;
        r.credentials.accessKeyId = resolved.value(u"access_key"_s).value;
        r.credentials.sessionToken = !credentials.sessionToken.isEmpty();
        r.credentials.text = u"access key %1 from %2%3"_s.arg(r.credentials.accessKeyId, credentials.source,
                                                              r.credentials.sessionToken ? u", with session token"_s : QString());
    }
    r.workspace = workspace;

    // Every parameter of the table: as resolved, else as given, else its default or "not set".
    for (const Parameter &p : parameterTable()) {
        const ParameterValue shown = resolved.value(p.name, sources.value(p.name));
        r.parameters << ConfigReport::ParameterRow{
            .name = p.name, .value = shown.value,
            .source = !shown.source.isEmpty() ? shown.source
                      : p.defaultText.isEmpty() ? u"not set"_s : u"default: "_s + p.defaultText,
            .templateText = templates.value(p.name)};
    }
    return r;
}

QString Config::describe(const CredentialsReport &chain) const
{
    const ConfigReport r = report(chain);
    QStringList lines;
    const auto line = [&lines](const QString &label, const QString &value) {
        const QString text = label + u':';
        lines << (text.size() < 13 ? text.leftJustified(13) : text + u' ') + value;
    };
    line(u"action"_s, r.action);
    if (r.fileStore) {
        line(u"store"_s, u"local directory "_s + r.storeDirectory);
    } else {
        line(u"endpoint"_s, r.endpoint);
        line(u"addressing"_s, r.addressing);
        line(u"region"_s, u"%1 (from %2)"_s.arg(r.region, r.regionSource));
        if (!r.endpointsIgnoredBy.isEmpty())
            line(u"endpoint urls"_s, u"configured endpoint URLs ignored (%1)"_s.arg(r.endpointsIgnoredBy));
        line(u"proxy"_s, r.proxy);
        if (!r.caBundle.isEmpty())
            line(u"ca bundle"_s, u"%1 (from %2)"_s.arg(r.caBundle, r.caBundleSource));
    }
    line(u"bucket"_s, r.bucket);
    line(u"key"_s, !r.key.isEmpty() ? r.key : u"(none: pass --key/--path or --org/--repo)"_s);
    if (!r.restoreKeys.isEmpty())
        line(u"restore keys"_s, r.restoreKeys.join(u", "_s));
    if (!r.defaultBranch.isEmpty())
        line(u"default branch"_s, u"%1 (%2), then: %3"_s.arg(r.defaultBranch, r.defaultBranchSource,
                                                             r.defaultBranchKeys.join(u", "_s)));
    if (r.hasScope)
        line(u"scope"_s, r.scope.isEmpty() ? u"(whole bucket)"_s : r.scope);
    line(u"format"_s, r.format);
    line(u"credentials"_s, r.credentials.text);
    line(u"workspace"_s, r.workspace);

    lines << u"parameters:"_s;
    for (const ConfigReport::ParameterRow &p : r.parameters) {
        const QString source = p.templateText.isEmpty() ? p.source : p.source + u", template '%1'"_s.arg(p.templateText);
        lines << u"  %1 %2 (%3)"_s.arg(p.name.leftJustified(18), p.value.isEmpty() ? u"-"_s : p.value, source);
    }
    return Log::mask(lines.join(u'\n'));
}

} // namespace s3cache
