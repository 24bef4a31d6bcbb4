#pragma once
// The actions of the `s3cache` command (docs/behaviour.md §3, §6): restore, rebuild (alias
// upload) and flush from the plugin page, list, inspect and config for manual use.

#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace s3cache {

enum class Action { Restore, Rebuild, Flush, List, Inspect, Config };

struct ActionInfo
{
    Action action;
    QString name;
    QStringList aliases;  // "upload" for rebuild
    QString summary;      // one line for --help
};

// Every action, in the order --help lists them.
const QList<ActionInfo> &actionTable();

// A name or alias of actionTable(), case-insensitive, surrounding whitespace ignored;
// std::nullopt for anything else.
std::optional<Action> parseAction(const QString &text);
QString actionName(Action action);

} // namespace s3cache
