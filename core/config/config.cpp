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

QString Config::describe(const QString &credentialsRow) const
{
    const bool keyKnown = !path.isEmpty() || (!org.isEmpty() && !repo.isEmpty());

    QStringList lines;
    const auto line = [&lines](const QString &label, const QString &value) {
        const QString text = label + u':';
        lines << (text.size() < 13 ? text.leftJustified(13) : text + u' ') + value;
    };
    line(u"action"_s, actionName(action));
    if (fileStore) {
        line(u"store"_s, u"local directory "_s + QDir(fileStoreRoot).filePath(bucket));
    } else {
        line(u"endpoint"_s, resolvedEndpoint.describe());
        line(u"addressing"_s, resolvedEndpoint.pathStyle ? u"path-style"_s : u"virtual-host"_s);
        line(u"region"_s, u"%1 (from %2)"_s.arg(resolvedEndpoint.region, resolvedEndpoint.regionSource));
        if (!endpointsIgnoredBy.isEmpty())
            line(u"endpoint urls"_s, u"configured endpoint URLs ignored (%1)"_s.arg(endpointsIgnoredBy));
        line(u"proxy"_s, proxy.describeFor(resolvedEndpoint.scheme, resolvedEndpoint.host, resolvedEndpoint.port));
        if (!caBundle.isEmpty())
            line(u"ca bundle"_s, u"%1 (from %2)"_s.arg(caBundle, resolved.value(u"ca_bundle"_s).source));
    }
    line(u"bucket"_s, bucket);
    line(u"key"_s, keyKnown ? objectKey() : u"(none: pass --key/--path or --org/--repo)"_s);
    if (!restoreKeys.isEmpty())
        line(u"restore keys"_s, restoreKeys.join(u", "_s));
    if (!defaultBranch.isEmpty()) {
        QStringList fallback;
        if (!defaultBranchKey.isEmpty())
            fallback << defaultBranchKey;
        fallback += defaultBranchRestoreKeys;
        line(u"default branch"_s, u"%1 (%2), then: %3"_s.arg(defaultBranch, defaultBranchSource, fallback.join(u", "_s)));
    }
    if (action == Action::Flush || action == Action::List)
        line(u"scope"_s, scopePrefix().isEmpty() ? u"(whole bucket)"_s : scopePrefix());
    line(u"format"_s, archiveFormatName(format));
    if (credentials.isEmpty() && !credentialsRow.isEmpty() && !fileStore)
        line(u"credentials"_s, credentialsRow);
    else if (credentials.isEmpty())
        line(u"credentials"_s, fileStore ? u"(not used)"_s
                                         : u"none given: AWS profile, then instance metadata, at run time"_s);
    else
        line(u"credentials"_s, u"access key %1 from %2%3"_s.arg(
                                   resolved.value(u"access_key"_s).value, credentials.source,
                                   credentials.sessionToken.isEmpty() ? QString() : u", with session token"_s));
    line(u"workspace"_s, workspace);

    // Every parameter of the table: as resolved, else as given, else its default or "not set".
    lines << u"parameters:"_s;
    for (const Parameter &p : parameterTable()) {
        ParameterValue shown = resolved.value(p.name, sources.value(p.name));
        if (shown.source.isEmpty())
            shown.source = p.defaultText.isEmpty() ? u"not set"_s : u"default: "_s + p.defaultText;
        if (templates.contains(p.name))
            shown.source += u", template '%1'"_s.arg(templates.value(p.name));
        lines << u"  %1 %2 (%3)"_s.arg(p.name.leftJustified(18), shown.value.isEmpty() ? u"-"_s : shown.value,
                                        shown.source);
    }
    return Log::mask(lines.join(u'\n'));
}

} // namespace s3cache
