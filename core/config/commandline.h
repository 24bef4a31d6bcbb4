#pragma once
// The `s3cache` command line: `s3cache [ACTION] [--name value | --name=value | --flag]...`.
// The flags are those of the parameter table (parameters.h), plus --help (-h) and --version.
//  - names in kebab or snake case (--dry-run == --dry_run);
//  - boolean parameters may omit their value (--dry-run == --dry-run=true); a following argument
//    is taken as the value only when it is a boolean literal (--dry-run false);
//  - every other flag needs a value: the next argument unless it starts with "--" (use
//    --name=--value for such values);
//  - a row's flag aliases name it too (--key is --path); --root and --bucket are two rows
//    (resolveConfig compares them);
//  - list parameters (--mount, --restore-keys) may be repeated, the items accumulate;
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
