#pragma once
// The `s3cache` command line: `s3cache [ACTION] [--name value | --name=value | --flag]...`.
//  - names in kebab or snake case (--dry-run == --dry_run);
//  - boolean flags may omit their value (--dry-run == --dry-run=true); a following argument
//    is taken as the value only when it is a boolean literal (--dry-run false);
//  - every other flag needs a value: the next argument unless it starts with "--" (use
//    --name=--value for such values);
//  - --key is an alias of --path; --root and --bucket are both kept (resolveConfig compares);
//  - --mount and --restore-keys may be repeated, the items accumulate;
//  - ACTION is the one positional argument, or --action; giving both differently is an error.
// Unknown flags and extra positional arguments are ErrorKind::InvalidInput errors naming them.

#include "util/result.h"

#include <QMap>
#include <QString>
#include <QStringList>

namespace s3cache {

struct CommandLine
{
    QString action;                  // as typed (validated by resolveConfig), may be empty
    QMap<QString, QString> flags;    // snake_case name -> value ("true" for bare booleans)
    bool help = false;
    bool version = false;
};

Result<CommandLine> parseCommandLine(const QStringList &arguments);

} // namespace s3cache
