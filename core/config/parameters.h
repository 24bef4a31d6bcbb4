#pragma once
// The parameter table: every parameter of `s3cache`, once (docs/behaviour.md §2, §3). One row
// says what the rest of the program needs to know about a parameter: its name and aliases, the
// kind of value and so its parser, its default, which actions read it, whether it is secret and
// its help line. Driven by it: the command-line parser (commandline.h), the lookup in the
// environment and the Vela files (parametersource.h), `ACTION --help` (usage.h), the rows of
// `s3cache config` (Config::describe) and the defaults of Config. Adding a parameter is one row
// here plus the code that uses its value (in the resolver, resolveconfig.h).

#include "action.h"

#include "util/result.h"

#include <QList>
#include <QString>
#include <QStringList>
#include <QVariant>

namespace s3cache {

enum class ValueKind {
    Text,      // QString, trimmed
    Bool,      // bool: true/false/1/0/yes/no; a flag may omit it (--dry-run)
    Integer,   // int
    Size,      // qint64 bytes: 500MB, 20GiB, 1048576
    List,      // QStringList: a,b or a JSON array; a flag may be repeated
    Seconds,   // qint64 milliseconds: a duration, a bare number counts seconds
    Days,      // qint64 milliseconds: a duration, a bare number counts days
};

// Bit (1 << Action) per action that reads the parameter; `config` shows them all.
using ActionSet = unsigned;
constexpr ActionSet actionBit(Action action) { return 1u << unsigned(action); }
constexpr ActionSet AllActions = ~0u;

struct Parameter
{
    QString name{};             // snake_case: --name (or --na-me), PARAMETER_NAME, S3_CACHE_NAME, ...
    ValueKind kind = ValueKind::Text;
    QString defaultValue{};     // in the parameter's own syntax, parsed as a given value would be
    QString defaultText{};      // how --help and README describe the default, when it is not a value
    ActionSet actions = AllActions;
    QString metavar{};          // "URL" in `--server URL`; empty for booleans
    QString help{};             // the help line (--help wraps it)
    QStringList flagAliases{};  // further flags: "key" for --key
    QStringList variables{};    // environment variables read after S3_CACHE_*/CACHE_S3_* (AWS_*)
    bool secret = false;      // never shown: recorded and described as "****"
    bool vela = true;         // read from PARAMETER_* etc. and the Vela files; else only from the
                              // flag and `variables` (org, repo: VELA_REPO_ORG, ...)

    bool readBy(Action action) const { return action == Action::Config || (actions & actionBit(action)); }
    // The flags that set it: "--path", "--key" (snake_case names spelled kebab-case).
    QStringList flags() const;
    // defaultText, else defaultValue, else "-".
    QString defaultDescription() const;
};

// Every parameter, in the order --help and `s3cache config` list them.
const QList<Parameter> &parameterTable();
// The row of `name` (snake_case) or of a flag alias ("key"); nullptr for an unknown name.
const Parameter *findParameter(const QString &name);
// The row of `name`, which must be one (a programming error otherwise).
const Parameter &parameter(const QString &name);

// Parses `text` by the parameter's kind (see ValueKind for the QVariant type). Errors are those
// of valueparsers.h ("cannot parse '...': ..."), without the parameter's name.
Result<QVariant> parseParameterValue(const Parameter &parameter, const QString &text);
// The parsed default of `name`, or an invalid QVariant when it has none (durations in ms).
QVariant parameterDefault(const QString &name);
// The default of `age` in seconds, for the front ends and jobs that offer a flush age.
qint64 defaultFlushAgeSeconds();
// The bucket of a file:// store when neither root nor bucket is given (a folder of the store).
QString defaultFileStoreBucket();
// A parsed value as `s3cache config` shows it: durations as 14d/10m/90s, booleans true/false,
// lists comma-joined, sizes in bytes.
QString formatParameterValue(ValueKind kind, const QVariant &value);

} // namespace s3cache
