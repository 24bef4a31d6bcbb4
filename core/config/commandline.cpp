#include "commandline.h"

#include "valueparsers.h"

#include <QJsonArray>
#include <QJsonDocument>

namespace s3cache {

namespace {

enum class FlagType { Value, Bool };

// Every flag the command accepts: the SPEC §3 parameters plus the manual-only ones.
std::optional<FlagType> flagType(const QString &name)
{
    static const QStringList values{
        QStringLiteral("action"), QStringLiteral("log_level"), QStringLiteral("server"),
        QStringLiteral("access_key"), QStringLiteral("secret_key"), QStringLiteral("session_token"),
        QStringLiteral("root"), QStringLiteral("bucket"), QStringLiteral("region"),
        QStringLiteral("prefix"), QStringLiteral("filename"), QStringLiteral("path"),
        QStringLiteral("mount"), QStringLiteral("timeout"), QStringLiteral("age"),
        QStringLiteral("compression_level"), QStringLiteral("ca_bundle"), QStringLiteral("workspace"),
        QStringLiteral("org"), QStringLiteral("repo"), QStringLiteral("restore_keys"),
        QStringLiteral("max_restore_size")};
    static const QStringList bools{
        QStringLiteral("path_style"), QStringLiteral("preserve_path"), QStringLiteral("dry_run"),
        QStringLiteral("fail_on_miss"), QStringLiteral("strict"), QStringLiteral("lookup_only"), QStringLiteral("help"),
        QStringLiteral("version")};
    if (values.contains(name))
        return FlagType::Value;
    if (bools.contains(name))
        return FlagType::Bool;
    return std::nullopt;
}

Error usage(const QString &message)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("Usage"), message);
}

} // namespace

Result<CommandLine> parseCommandLine(const QStringList &arguments)
{
    CommandLine cmd;
    QStringList mounts;
    QStringList restoreKeys;
    QString actionFlag;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments[i];
        if (arg == u"-h") {
            cmd.help = true;
            continue;
        }
        if (!arg.startsWith(u"--")) {
            if (arg.startsWith(u'-') && arg.size() > 1)
                return usage(QStringLiteral("unknown option '%1'").arg(arg));
            if (!cmd.action.isEmpty())
                return usage(QStringLiteral("unexpected argument '%1' (the action is already '%2')").arg(arg, cmd.action));
            cmd.action = arg;
            continue;
        }

        const qsizetype eq = arg.indexOf(u'=');
        const QString spelled = eq < 0 ? arg : arg.left(eq);
        QString name = spelled.mid(2).replace(u'-', u'_');
        if (name == u"key")
            name = QStringLiteral("path");
        const std::optional<FlagType> type = flagType(name);
        if (!type)
            return usage(QStringLiteral("unknown flag '%1'").arg(spelled));

        QString value;
        if (eq >= 0) {
            value = arg.mid(eq + 1);
        } else if (*type == FlagType::Bool) {
            value = QStringLiteral("true");
            if (i + 1 < arguments.size() && parseBool(arguments[i + 1]).ok())
                value = arguments[++i];
        } else {
            if (i + 1 >= arguments.size() || arguments[i + 1].startsWith(u"--"))
                return usage(QStringLiteral("flag '%1' needs a value").arg(spelled));
            value = arguments[++i];
        }

        if (name == u"help" || name == u"version") {
            const Result<bool> on = parseBool(value);
            if (!on.ok())
                return usage(QStringLiteral("%1: %2").arg(spelled, on.error().message()));
            (name == u"help" ? cmd.help : cmd.version) = *on;
        } else if (name == u"action") {
            actionFlag = value;
        } else if (name == u"mount" || name == u"restore_keys") {
            // Repeatable: --mount a --mount b, --restore-keys npm-main- --restore-keys npm-
            const Result<QStringList> items = parseList(value);
            if (!items.ok())
                return usage(QStringLiteral("%1: %2").arg(spelled, items.error().message()));
            (name == u"mount" ? mounts : restoreKeys) += *items;
        } else {
            cmd.flags.insert(name, value);
        }
    }

    if (!actionFlag.isEmpty()) {
        if (!cmd.action.isEmpty() && cmd.action.compare(actionFlag, Qt::CaseInsensitive) != 0)
            return usage(QStringLiteral("two actions given: '%1' and --action '%2'").arg(cmd.action, actionFlag));
        cmd.action = actionFlag;
    }
    for (const auto &[name, items] : {std::pair{QStringLiteral("mount"), mounts},
                                      std::pair{QStringLiteral("restore_keys"), restoreKeys}}) {
        if (!items.isEmpty())
            cmd.flags.insert(name, QString::fromUtf8(QJsonDocument(QJsonArray::fromStringList(items))
                                                         .toJson(QJsonDocument::Compact)));
    }
    return cmd;
}

} // namespace s3cache
