// File names as bytes (fsname.h): every byte string survives the trip through QString, valid
// UTF-8 decodes as Qt decodes it (no normalisation), and only escaped bytes change in display.

#include "archive/fsname.h"

#include <QRandomGenerator>
#include <QTest>

using namespace s3cache;

class TestFsName : public QObject
{
    Q_OBJECT

private slots:
    void roundTripsEveryByteString_data()
    {
        QTest::addColumn<QByteArray>("bytes");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("ascii with controls") << QByteArray("a\nb\x1b[31m%1", 10);
        QTest::newRow("NFC") << QByteArray("Caf\xc3\xa9");
        QTest::newRow("NFD") << QByteArray("Cafe\xcc\x81");
        QTest::newRow("Latin-1 bytes") << QByteArray("bad\xff\xfe");
        QTest::newRow("encoded surrogate (CESU-8)") << QByteArray("\xed\xa0\x80\xed\xb0\x80");
        QTest::newRow("overlong slash") << QByteArray("\xc0\xaf");
        QTest::newRow("above U+10FFFF") << QByteArray("\xf4\x90\x80\x80");
        QTest::newRow("cut sequence at the end") << QByteArray("ok\xe2\x82");
        QTest::newRow("outside the BMP") << QByteArray("\xf0\x90\x82\x80\xf0\x9f\x98\x80");
        QTest::newRow("escape after a pair") << QByteArray("\xf0\x90\x82\x80\x80");
    }

    void roundTripsEveryByteString()
    {
        QFETCH(QByteArray, bytes);
        const QString name = fsNameFromBytes(bytes);
        QCOMPARE(fsNameToBytes(name), bytes);
        if (QString::fromUtf8(bytes).toUtf8() == bytes)  // valid UTF-8: what Qt makes of it
            QCOMPARE(name, QString::fromUtf8(bytes));
    }

    void roundTripsRandomBytes()
    {
        QRandomGenerator random(42);
        for (int i = 0; i < 20000; ++i) {
            QByteArray bytes(qsizetype(random.bounded(12)), '\0');
            for (char &c : bytes)
                c = char(random.bounded(256));
            QCOMPARE(fsNameToBytes(fsNameFromBytes(bytes)), bytes);
        }
    }

    void distinctBytesStayDistinct()
    {
        QCOMPARE_NE(fsNameFromBytes("bad\xff"), fsNameFromBytes("bad\xfe"));
        QCOMPARE_NE(fsNameFromBytes("Caf\xc3\xa9"), fsNameFromBytes("Cafe\xcc\x81"));
    }

    void displayShowsEscapedBytes()
    {
        QCOMPARE(fsNameForDisplay(fsNameFromBytes("bad\xff/ok\xc3\xa9")), QStringLiteral("bad\\xff/ok\u00e9"));
        const QString pair = fsNameFromBytes("\xf0\x90\x82\x80");  // U+10080: its low surrogate is DC80
        QCOMPARE(fsNameForDisplay(pair), pair);
    }
};

QTEST_GUILESS_MAIN(TestFsName)
#include "tst_fsname.moc"
