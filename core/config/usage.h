#pragma once
// The text of `s3cache --help` and `s3cache ACTION --help`, made from the action and parameter
// tables: an action's page lists only the parameters that action reads.

#include <QString>

namespace s3cache {

// `action` as typed (a name or alias of actionTable(), any case); empty or unknown: the general page.
QString usageText(const QString &action);

} // namespace s3cache
