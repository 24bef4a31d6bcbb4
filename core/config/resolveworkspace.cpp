#include "resolver.h"

#include "util/pathglob.h"

#include <QDir>
#include <QFileInfo>

#include <algorithm>

namespace s3cache {

Error Resolver::resolveWorkspace()
{
    const auto workspace = lookup(QStringLiteral("workspace"));
    if (!workspace.ok())
        return workspace.error();
    const ParameterValue ws = workspace->has_value()
        ? **workspace : ParameterValue{QDir::currentPath(), QStringLiteral("current directory")};
    m_config.workspace = QDir::cleanPath(QDir::current().absoluteFilePath(ws.value));
    show(QStringLiteral("workspace"), m_config.workspace, ws.source);
    if ((m_config.action == Action::Restore || m_config.action == Action::Rebuild)
        && !QFileInfo(m_config.workspace).isDir())
        return invalidParameter(QStringLiteral("workspace: '%1' (from %2) is not a directory").arg(ws.value, ws.source));

    const Result<QVariant> mount = value(QStringLiteral("mount"));
    if (!mount.ok())
        return mount.error();
    if (mount->isValid()) {
        const QString source = m_config.sources.value(QStringLiteral("mount")).source;
        const QDir root(m_config.workspace);
        bool excludes = false;
        for (const QString &item : mount->toStringList()) {
            qsizetype bangs = 0;  // a leading '!' excludes (util/pathglob.h)
            while (bangs < item.size() && item.at(bangs) == u'!')
                ++bangs;
            excludes = excludes || bangs > 0;
            QString text = item.mid(bangs);
            if (bangs > 0 && text.isEmpty())
                return invalidParameter(QStringLiteral("mount: '%1' (from %2) names nothing").arg(item, source));
            QString relative;
            if (isGlobPattern(text)) {
                // A glob keeps its ".." for PathGlob to refuse (cleaning "**/../x" would change it).
                if (text.startsWith(m_config.workspace + u'/'))
                    text = text.mid(m_config.workspace.size() + 1);
                else if (text.startsWith(u'/'))
                    return invalidParameter(QStringLiteral("mount: '%1' (from %2) is outside the workspace %3")
                               .arg(item, source, m_config.workspace));
                const Result<PathGlob> glob = PathGlob::compile(text);
                if (!glob.ok())
                    return invalidParameter(QStringLiteral("mount: '%1' (from %2) %3").arg(item, source, glob.error().message()));
                relative = glob->text();
            } else {
                relative = root.relativeFilePath(QDir::cleanPath(root.absoluteFilePath(text)));
                if (relative.isEmpty())
                    relative = QStringLiteral(".");
                if (relative == u".." || relative.startsWith(u"../"))
                    return invalidParameter(QStringLiteral("mount: '%1' (from %2) is outside the workspace %3")
                               .arg(item, source, m_config.workspace));
            }
            m_config.mounts << item.left(bangs) + relative;
        }
        if (!excludes) {
            m_config.mounts.removeDuplicates();
        } else {
            // Later patterns win: of two equal ones, only the last one counts.
            QStringList last;
            for (auto it = m_config.mounts.crbegin(); it != m_config.mounts.crend(); ++it) {
                if (!last.contains(*it))
                    last.prepend(*it);
            }
            m_config.mounts = last;
        }
        show(QStringLiteral("mount"), m_config.mounts.join(u','));
    }
    if (m_config.action == Action::Rebuild && m_config.mounts.isEmpty())
        return invalidParameter(QStringLiteral("mount: not set; rebuild needs the files or folders to cache (e.g. "
                                               "PARAMETER_MOUNT=.gradle,node_modules or --mount node_modules)"));
    if (m_config.action == Action::Rebuild
        && std::all_of(m_config.mounts.cbegin(), m_config.mounts.cend(), [](const QString &m) { return m.startsWith(u'!'); }))
        return invalidParameter(QStringLiteral("mount: only excludes ('!...'); rebuild needs a file, folder or glob to cache "
                                               "before them"));

    return {};
}

} // namespace s3cache
