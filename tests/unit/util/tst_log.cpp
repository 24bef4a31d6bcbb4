// Log levels, secret masking and error formatting: the last line of defence against leaking a
// secret into a CI log is Log::mask, so it is tested on its own.
#include "util/error.h"
#include "util/log.h"

#include <QTest>
#include <QUrl>

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

    void echoedSecretsAreMaskedInEveryEncoding_data()
    {
        // How a 403 body, a proxy or a JSON API echoes a request (issue found: only the exact
        // string was masked).
        const QString token = QStringLiteral("FwoGZXIvYXdzEBYaDHh+Q/7sT0kEn&Quote=\"1\"<end>");
        QTest::addColumn<QString>("secret");
        QTest::addColumn<QString>("echoed");
        QTest::newRow("plain") << token << token;
        QTest::newRow("url-encoded") << token << QString::fromLatin1(QUrl::toPercentEncoding(token));
        QTest::newRow("json-escaped") << token << QStringLiteral("FwoGZXIvYXdzEBYaDHh+Q\\/7sT0kEn&Quote=\\\"1\\\"<end>");
        QTest::newRow("xml-escaped") << token << QStringLiteral("FwoGZXIvYXdzEBYaDHh+Q/7sT0kEn&amp;Quote=&quot;1&quot;&lt;end&gt;");
        QTest::newRow("cut after 8 characters") << token << token.left(8);
        QTest::newRow("cut after 20 characters") << token << token.left(20);
    }
    void echoedSecretsAreMaskedInEveryEncoding()
    {
        QFETCH(QString, secret);
        QFETCH(QString, echoed);
        Log::registerSecret(secret);
        const QString masked = Log::mask(QStringLiteral("<Message>request was: ") + echoed + QStringLiteral("...</Message>"));
        QCOMPARE(masked, QStringLiteral("<Message>request was: ****...</Message>"));
    }

    void secretsByTheirPlaceAreMasked_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("expected");
        QTest::newRow("url password") << "cannot reach http://user:SuperSecretPw123@minio:9000/b"
                                      << "cannot reach http://user:****@minio:9000/b";
        QTest::newRow("authorization header")
            << "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, "
               "SignedHeaders=host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            << "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/s3/aws4_request, "
               "SignedHeaders=host;x-amz-date, Signature=****";
        QTest::newRow("presigned query") << "GET /k?X-Amz-Signature=abcdef0123&X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2F&x=1"
                                         << "GET /k?X-Amz-Signature=****&X-Amz-Security-Token=****&x=1";
        QTest::newRow("token header") << "x-amz-security-token: IQoJb3JpZ2luX2VjEOr" << "x-amz-security-token: ****";
        QTest::newRow("no userinfo") << "http://minio:9000/b@c" << "http://minio:9000/b@c";
    }
    void secretsByTheirPlaceAreMasked()
    {
        QFETCH(QString, text);
        QFETCH(QString, expected);
        QCOMPARE(Log::mask(text), expected);
    }

    void linesArePrintable()
    {
        Log::info(QStringLiteral("cache hit: app/evil\n2026-12-01T00:00:00.000Z INFO  cache hit: forged\x1b]0;owned\x07 \u2028x"));
        QCOMPARE(m_lines.size(), 1);
        const QString line = m_lines.first().second;
        QVERIFY2(line.endsWith(QStringLiteral("cache hit: app/evil\\n2026-12-01T00:00:00.000Z INFO  cache hit: forged\\x1b]0;owned\\x07 \\x2028x")),
                 qPrintable(line));
        QCOMPARE(Log::printable(QStringLiteral("tab\there\r")), QStringLiteral("tab\\there\\r"));
        QCOMPARE(Log::printable(QStringLiteral("Café ünïcode stays")), QStringLiteral("Café ünïcode stays"));
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

    void accessKeyIdsKeepOnlyTheirKind()
    {
        QCOMPARE(Log::maskAccessKeyId(QStringLiteral("ASIARZPUZDIKJBWHPQOR")), QStringLiteral("ASIA****"));
        QCOMPARE(Log::maskAccessKeyId(QStringLiteral("minioadmin")), QStringLiteral("****"));  // short: nothing
        QCOMPARE(Log::maskAccessKeyId(QString()), QStringLiteral("****"));
    }

private:
    QList<QPair<LogLevel, QString>> m_lines;
};

QTEST_GUILESS_MAIN(TestLog)
#include "tst_log.moc"
