// Log levels, secret masking and error formatting: the last line of defence against leaking a
// secret into a CI log is Log::mask, so it is tested on its own.
#include "util/error.h"
#include "util/log.h"

#include <QTest>

using namespace s3cache;

class TestLog : public QObject
{
    Q_OBJECT
private slots:
    void init()
    {
        m_lines.clear();
        Log::setSink([this](LogLevel level, const QString &line) { m_lines.append({level, line}); });
        Log::setLevel(LogLevel::Info);
    }
    void cleanupTestCase() { Log::setSink({}); }

    void parseLevel_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("ok");
        QTest::addColumn<int>("level");
        QTest::newRow("trace") << "trace" << true << int(LogLevel::Trace);
        QTest::newRow("DEBUG upper") << "DEBUG" << true << int(LogLevel::Debug);
        QTest::newRow("warning alias") << "warning" << true << int(LogLevel::Warn);
        QTest::newRow("panic is fatal") << "panic" << true << int(LogLevel::Fatal);
        QTest::newRow("spaces") << " info " << true << int(LogLevel::Info);
        QTest::newRow("unknown") << "loud" << false << 0;
        QTest::newRow("empty") << "" << false << 0;
    }
    void parseLevel()
    {
        QFETCH(QString, text);
        QFETCH(bool, ok);
        QFETCH(int, level);
        LogLevel parsed = LogLevel::Error;
        QCOMPARE(Log::parseLevel(text, &parsed), ok);
        if (ok)
            QCOMPARE(int(parsed), level);
    }

    void levelFilters()
    {
        Log::setLevel(LogLevel::Warn);
        Log::info(QStringLiteral("hidden"));
        Log::debug(QStringLiteral("hidden too"));
        Log::warn(QStringLiteral("shown"));
        QCOMPARE(m_lines.size(), 1);
        QVERIFY(m_lines.first().second.contains(u"WARN"));
        QVERIFY(m_lines.first().second.endsWith(u"shown"));
    }

    void secretsAreMaskedAtEveryLevel()
    {
        const QString secret = QStringLiteral("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
        Log::registerSecret(secret);
        Log::setLevel(LogLevel::Trace);
        Log::trace(QStringLiteral("signing with %1").arg(secret));
        Log::error(QStringLiteral("failed: key=%1, again %1").arg(secret));
        QCOMPARE(m_lines.size(), 2);
        for (const auto &line : std::as_const(m_lines)) {
            QVERIFY2(!line.second.contains(secret), qPrintable(line.second));
            QVERIFY(line.second.contains(u"****"));
        }
        QCOMPARE(Log::mask(QStringLiteral("x %1 y").arg(secret)), QStringLiteral("x **** y"));
    }

    void tinySecretsAreIgnored()
    {
        Log::registerSecret(QStringLiteral("ab"));
        QCOMPARE(Log::mask(QStringLiteral("about abc")), QStringLiteral("about abc"));
    }

    void errorToString()
    {
        Error e(ErrorKind::NotFound, QStringLiteral("NoSuchBucket"), QStringLiteral("The specified bucket does not exist"));
        e.setHttpStatus(404).setRequestId(QStringLiteral("REQ1"));
        QCOMPARE(e.withContext(QStringLiteral("restore s3://b/k")).toString(),
                 QStringLiteral("restore s3://b/k: The specified bucket does not exist (NoSuchBucket, HTTP 404, request id REQ1)"));
        QVERIFY(!Error().isError());
        QCOMPARE(Error().withContext(QStringLiteral("ctx")).toString(), QString());
    }

private:
    QList<QPair<LogLevel, QString>> m_lines;
};

QTEST_GUILESS_MAIN(TestLog)
#include "tst_log.moc"
