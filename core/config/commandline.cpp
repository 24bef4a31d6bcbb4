#include "commandline.h"

#include "parameters.h"
#include "valueparsers.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace s3cache {

namespace {

using namespace Qt::StringLiterals;

Error usage(const QString &message)
{
    return Error(ErrorKind::InvalidInput, u"Usage"_s, message);
}

} // namespace

Result<CommandLine> parseCommandLine(const QStringList &arguments)
{
    CommandLine cmd;
    QMap<QString, QStringList> lists;  // list parameters: the items of every occurrence
    QString actionFlag;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments[i];
        if (arg == u"-h") {
            cmd.help = true;
            continue;
        }
        if (!arg.startsWith(u"--")) {
            if (arg.startsWith(u'-') && arg.size() > 1)
                return usage(u"unknown option '%1'"_s.arg(arg));
            if (!cmd.action.isEmpty())
                return usage(u"unexpected argument '%1' (the action is already '%2')"_s.arg(arg, cmd.action));
            cmd.action = arg;
            continue;
        }

        const qsizetype eq = arg.indexOf(u'=');
        const QString spelled = eq < 0 ? arg : arg.left(eq);
        const QString typed = spelled.mid(2).replace(u'-', u'_');
        const bool command = typed == u"help" || typed == u"version";
        const Parameter *p = command ? nullptr : findParameter(typed);
        if (!command && !p)
            return usage(u"unknown flag '%1'"_s.arg(spelled));
        const bool boolean = command || p->kind == ValueKind::Bool;

        QString value;
        if (eq >= 0) {
            value = arg.mid(eq + 1);
        } else if (boolean) {
            value = u"true"_s;
            if (i + 1 < arguments.size() && parseBool(arguments[i + 1]).ok())
                value = arguments[++i];
        } else {
            if (i + 1 >= arguments.size() || arguments[i + 1].startsWith(u"--"))
                return usage(u"flag '%1' needs a value"_s.arg(spelled));
            value = arguments[++i];
        }

        if (command) {
            const Result<bool> on = parseBool(value);
            if (!on.ok())
                return usage(u"%1: %2"_s.arg(spelled, on.error().message()));
            (typed == u"help" ? cmd.help : cmd.version) = *on;
        } else if (p->name == u"action") {
            actionFlag = value;
        } else if (p->kind == ValueKind::List) {
            // Repeatable: --mount a --mount b, --restore-keys npm-main- --restore-keys npm-
            const Result<QStringList> items = parseList(value);
            if (!items.ok())
                return usage(u"%1: %2"_s.arg(spelled, items.error().message()));
            lists[p->name] += *items;
        } else {
            cmd.flags.insert(p->name, value);
        }
    }

    if (!actionFlag.isEmpty()) {
        if (!cmd.action.isEmpty() && cmd.action.compare(actionFlag, Qt::CaseInsensitive) != 0)
            return usage(u"two actions given: '%1' and --action '%2'"_s.arg(cmd.action, actionFlag));
        cmd.action = actionFlag;
    }
    for (auto it = lists.cbegin(); it != lists.cend(); ++it) {
        if (!it->isEmpty())
            cmd.flags.insert(it.key(), QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(*it))
                                                            .toJson(QJsonDocument::Compact)));
    }
    return cmd;
}

} // namespace s3cache
