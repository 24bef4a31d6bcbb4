#include "resolver.h"

#include <QDir>
#include <QFileInfo>

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
        for (const QString &item : mount->toStringList()) {
            QString relative = root.relativeFilePath(QDir::cleanPath(root.absoluteFilePath(item)));
            if (relative.isEmpty())
                relative = QStringLiteral(".");
            if (relative == u".." || relative.startsWith(u"../"))
                return invalidParameter(QStringLiteral("mount: '%1' (from %2) is outside the workspace %3")
                           .arg(item, source, m_config.workspace));
            m_config.mounts << relative;
        }
        m_config.mounts.removeDuplicates();
        show(QStringLiteral("mount"), m_config.mounts.join(u','));
    }
    if (m_config.action == Action::Rebuild && m_config.mounts.isEmpty())
        return invalidParameter(QStringLiteral("mount: not set; rebuild needs the files or folders to cache (e.g. "
                                               "PARAMETER_MOUNT=.gradle,node_modules or --mount node_modules)"));

    return {};
}

} // namespace s3cache
