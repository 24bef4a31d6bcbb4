#pragma once
// The actions of the `s3cache` command (SPEC §3): restore, rebuild (alias upload) and flush
// from the plugin page, list, inspect and config for manual use.

#include <QString>

#include <optional>

namespace s3cache {

enum class Action { Restore, Rebuild, Flush, List, Inspect, Config };

// restore, rebuild, upload (== rebuild), flush, list, inspect, config; case-insensitive,
// surrounding whitespace ignored. std::nullopt for anything else.
std::optional<Action> parseAction(const QString &text);
QString actionName(Action action);

} // namespace s3cache
