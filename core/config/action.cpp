#include "action.h"

namespace s3cache {

using namespace Qt::StringLiterals;

const QList<ActionInfo> &actionTable()
{
    static const QList<ActionInfo> table{
        {Action::Restore, u"restore"_s, {},
         u"put the cached folders back into the workspace (a missing cache is a miss, exit 0)"_s},
        {Action::Rebuild, u"rebuild"_s, {u"upload"_s},
         u"archive the mounts and upload them (skipped when nothing changed); also: upload"_s},
        {Action::Flush, u"flush"_s, {}, u"delete cache objects under prefix/org/repo/ older than the age"_s},
        {Action::List, u"list"_s, {}, u"list cache objects under a prefix with size and age"_s},
        {Action::Inspect, u"inspect"_s, {}, u"show a cache object's metadata and archive entries without extracting"_s},
        {Action::Config, u"config"_s, {},
         u"print the resolved configuration and where each value came from (secrets masked)"_s},
    };
    return table;
}

std::optional<Action> parseAction(const QString &text)
{
    const QString t = text.trimmed().toLower();
    for (const ActionInfo &a : actionTable()) {
        if (a.name == t || a.aliases.contains(t))
            return a.action;
    }
    return std::nullopt;
}

QString actionName(Action action)
{
    for (const ActionInfo &a : actionTable()) {
        if (a.action == action)
            return a.name;
    }
    return actionTable().constFirst().name;
}

} // namespace s3cache
