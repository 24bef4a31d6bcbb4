#include "action.h"

namespace s3cache {

std::optional<Action> parseAction(const QString &text)
{
    const QString t = text.trimmed().toLower();
    if (t == u"restore")
        return Action::Restore;
    if (t == u"rebuild" || t == u"upload")
        return Action::Rebuild;
    if (t == u"flush")
        return Action::Flush;
    if (t == u"list")
        return Action::List;
    if (t == u"inspect")
        return Action::Inspect;
    if (t == u"config")
        return Action::Config;
    return std::nullopt;
}

QString actionName(Action action)
{
    switch (action) {
    case Action::Restore: return QStringLiteral("restore");
    case Action::Rebuild: return QStringLiteral("rebuild");
    case Action::Flush: return QStringLiteral("flush");
    case Action::List: return QStringLiteral("list");
    case Action::Inspect: return QStringLiteral("inspect");
    case Action::Config: return QStringLiteral("config");
    }
    return QStringLiteral("restore");
}

} // namespace s3cache
