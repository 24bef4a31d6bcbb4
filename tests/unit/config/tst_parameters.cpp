// The parameter table (core/config/parameters.h) and what it drives (docs/behaviour.md §2, §3):
// README's parameter table and `--help` agree with it, every row is a flag, a variable and a
// `s3cache config` row, and the defaults Config gets are the table's.

#include "config/config.h"
#include "config/parameters.h"
#include "config/usage.h"

#include <QFile>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;

namespace {

struct ReadmeRow
{
    QString name, also, readBy, meaning, defaultText;
};

QString withoutBackticks(QString text)
{
    return text.remove(u'`').trimmed();
}

// The rows of README's "### Parameters" table.
QList<ReadmeRow> readmeRows()
{
    QFile file(QStringLiteral(S3CACHE_TEST_SOURCE_DIR "/../README.md"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QString text = QString::fromUtf8(file.readAll());
    const qsizetype start = text.indexOf(QStringLiteral("\n### Parameters\n"));
    QList<ReadmeRow> rows;
    bool inTable = false;
    for (const QString &line : text.mid(start).split(u'\n').mid(2)) {
        if (!line.startsWith(u'|')) {
            if (inTable)
                break;
            continue;
        }
        inTable = true;
        const QStringList cells = line.split(u'|');
        if (cells.size() != 7 || cells[1].trimmed() == u"name" || cells[1].startsWith(u"---"))
            continue;
        rows << ReadmeRow{withoutBackticks(cells[1]), cells[2], cells[3].trimmed(), cells[4], withoutBackticks(cells[5])};
    }
    return rows;
}

QString readByText(const Parameter &p)
{
    if (p.actions == AllActions)
        return QStringLiteral("all");
    QStringList names;
    for (const ActionInfo &a : actionTable()) {
        if (p.actions & actionBit(a.action))
            names << a.name;
    }
    return names.join(QStringLiteral(", "));
}

// The flags a help page documents: lines "  --name ..." and ", --alias ...".
QStringList helpFlags(const QString &page)
{
    QStringList flags;
    const QRegularExpression flag(QStringLiteral("(?:^  |, )(--[a-z-]+)"), QRegularExpression::MultilineOption);
    for (auto it = flag.globalMatch(page); it.hasNext();)
        flags << it.next().captured(1);
    flags.removeAll(QStringLiteral("--help"));
    flags.removeAll(QStringLiteral("--version"));
    return flags;
}

} // namespace

class TestParameters : public QObject
{
    Q_OBJECT

private slots:
    void readmeTableIsTheParameterTable();
    void helpPagesListWhatEachActionReads();
    void everyRowIsAFlagAndAVariable();
    void defaultsAreTheTables();
};

void TestParameters::readmeTableIsTheParameterTable()
{
    const QList<ReadmeRow> rows = readmeRows();
    QStringList readmeNames, tableNames;
    for (const ReadmeRow &r : rows)
        readmeNames << r.name;
    for (const Parameter &p : parameterTable())
        tableNames << p.name;
    QCOMPARE(readmeNames, tableNames);

    for (qsizetype i = 0; i < rows.size(); ++i) {
        const Parameter &p = parameterTable()[i];
        const ReadmeRow &r = rows[i];
        QVERIFY2(r.defaultText == withoutBackticks(p.defaultDescription()),
                 qPrintable(QStringLiteral("%1: README says '%2', the table '%3'").arg(p.name, r.defaultText, p.defaultDescription())));
        QVERIFY2(r.readBy == readByText(p), qPrintable(QStringLiteral("%1: README says '%2', the table '%3'").arg(p.name, r.readBy, readByText(p))));
        for (const QString &other : p.flags().mid(1) + p.variables)
            QVERIFY2(r.also.contains(u'`' + other + u'`'), qPrintable(p.name + QStringLiteral(": README does not name ") + other));
        QVERIFY2(!r.meaning.trimmed().isEmpty(), qPrintable(p.name));
    }
}

void TestParameters::helpPagesListWhatEachActionReads()
{
    QStringList all;
    for (const Parameter &p : parameterTable()) {
        QVERIFY2(!p.help.isEmpty(), qPrintable(p.name));
        all += p.flags();
    }
    QCOMPARE(helpFlags(usageText(QString())), all);
    QVERIFY(usageText(QString()).contains(QStringLiteral("Actions:")));

    for (const ActionInfo &a : actionTable()) {
        QStringList expected;
        for (const Parameter &p : parameterTable()) {
            if (p.readBy(a.action))
                expected += p.flags();
        }
        for (const QString &spelled : QStringList{a.name} + a.aliases) {
            const QString page = usageText(spelled.toUpper());
            QVERIFY2(page.startsWith(QStringLiteral("Usage: s3cache %1 ").arg(a.name)), qPrintable(page));
            QCOMPARE(helpFlags(page), expected);
        }
    }
    // Each row's help line and default are on its entry.
    const QString page = usageText(QStringLiteral("flush"));
    QVERIFY(page.contains(QStringLiteral("(default: 14)")));
    QVERIFY(!page.contains(QStringLiteral("--mount")));
}

void TestParameters::everyRowIsAFlagAndAVariable()
{
    QTemporaryDir vela;
    for (const Parameter &p : parameterTable()) {
        const QString value = p.kind == ValueKind::Bool ? QStringLiteral("true") : QStringLiteral("x");
        for (const QString &flag : p.flags()) {
            const Result<CommandLine> cmd = parseCommandLine({flag + u'=' + value});
            QVERIFY2(cmd.ok(), qPrintable(flag));
            if (p.name == u"action") {
                QCOMPARE(cmd->action, value);
                continue;
            }
            const QString expected = p.kind == ValueKind::List ? QStringLiteral("[\"x\"]") : value;
            QCOMPARE(cmd->flags.value(p.name), expected);
        }

        QProcessEnvironment env;
        env.insert(QStringLiteral("PARAMETER_") + p.name.toUpper(), QStringLiteral("from-vela"));
        for (const QString &variable : p.variables)
            env.insert(variable, QStringLiteral("from-") + variable);
        const std::optional<ParameterValue> found = ParameterSource({}, env, vela.path()).get(p.name);
        QVERIFY2(found, qPrintable(p.name));
        QCOMPARE(found->source, p.vela ? QStringLiteral("PARAMETER_") + p.name.toUpper() : p.variables.constFirst());
    }
    QVERIFY(!parseCommandLine({QStringLiteral("--no-such-parameter=1")}).ok());
}

void TestParameters::defaultsAreTheTables()
{
    QTemporaryDir store;
    QProcessEnvironment env;
    env.insert(QStringLiteral("PARAMETER_SERVER"), QStringLiteral("file://") + store.path());
    env.insert(QStringLiteral("VELA_REPO_ORG"), QStringLiteral("o"));
    env.insert(QStringLiteral("VELA_REPO_NAME"), QStringLiteral("r"));
    const Result<CommandLine> cmd = parseCommandLine({QStringLiteral("config")});
    QVERIFY(cmd.ok());
    const Result<Config> c = resolveConfig(*cmd, env, store.path());
    QVERIFY2(c.ok(), qPrintable(c.error().message()));

    QCOMPARE(c->timeoutMs, parameterDefault(QStringLiteral("timeout")).toLongLong());
    QCOMPARE(c->ageSeconds * 1000, parameterDefault(QStringLiteral("age")).toLongLong());
    QCOMPARE(c->ageSeconds, 14 * 24 * 3600);  // the plugin page's 14 (days)
    QCOMPARE(c->maxRestoreBytes, parameterDefault(QStringLiteral("max_restore_size")).toLongLong());
    QCOMPARE(c->filename, parameterDefault(QStringLiteral("filename")).toString());
    QCOMPARE(c->logLevel, LogLevel::Info);
    QCOMPARE(c->format, ArchiveFormat::TarZstd);
    for (const auto &[flag, name] : {std::pair{&c->dryRun, "dry_run"}, std::pair{&c->strict, "strict"},
                                     std::pair{&c->failOnMiss, "fail_on_miss"}, std::pair{&c->lookupOnly, "lookup_only"},
                                     std::pair{&c->preservePath, "preserve_path"}})
        QCOMPARE(*flag, parameterDefault(QString::fromLatin1(name)).toBool());

    // `s3cache config` has a row for every parameter, defaults marked as such.
    const QString text = c->describe();
    for (const Parameter &p : parameterTable())
        QVERIFY2(text.contains(QStringLiteral("\n  ") + p.name.leftJustified(18) + u' '), qPrintable(p.name + u'\n' + text));
    QVERIFY2(text.contains(QStringLiteral("  age                14d (default)")), qPrintable(text));
    QVERIFY2(text.contains(QStringLiteral("  filename           archive.tar.zst (default)")), qPrintable(text));

    // Every default parses, and a front end can read one without resolving anything.
    for (const Parameter &p : parameterTable())
        QVERIFY2(p.defaultValue.isEmpty() || parameterDefault(p.name).isValid(), qPrintable(p.name));
    QVERIFY(!parameterDefault(QStringLiteral("session_token")).isValid());
}

QTEST_GUILESS_MAIN(TestParameters)
#include "tst_parameters.moc"
