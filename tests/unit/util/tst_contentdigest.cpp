// util/contentdigest.h: XXH3-128 digests of file contents. Fingerprints and the digests recorded
// at the end of every archive depend on it giving the canonical value, in any number of pieces.
#include "util/contentdigest.h"

#include <QRandomGenerator>
#include <QTest>

using namespace s3cache;

class TestContentDigest : public QObject
{
    Q_OBJECT
private slots:
    void canonicalValues()
    {
        // xxhsum -H2 of an empty file, and of "abc" (xxHash 0.8).
        QCOMPARE(ContentDigest::hex(QByteArray()), QByteArray("99aa06d3014798d86001c324468d497f"));
        QCOMPARE(ContentDigest::hex(QByteArray("abc")), QByteArray("06b05ab6733a618578af5f94892f3950"));
    }

    void piecesGiveTheSameDigestAndHexDoesNotEndIt()
    {
        QByteArray data(3 * 1024 * 1024 + 17, Qt::Uninitialized);
        QRandomGenerator generator(7);
        for (char &c : data)
            c = char(generator.generate());
        ContentDigest digest;
        QByteArray halfway;
        for (qsizetype at = 0, step = 1; at < data.size(); at += step, step = step * 3 + 1) {
            digest.addData(data.constData() + at, std::min(step, data.size() - at));
            if (halfway.isEmpty() && at > data.size() / 2)
                halfway = digest.hex();
        }
        QCOMPARE(digest.hex(), ContentDigest::hex(data));
        QVERIFY(halfway != digest.hex());
        digest.reset();
        QCOMPARE(digest.hex(), ContentDigest::hex(QByteArray()));
    }

    void oneFlippedBitChangesIt()
    {
        QByteArray data(100'000, 'x');
        const QByteArray before = ContentDigest::hex(data);
        data[54'321] = char(data[54'321] ^ 0x10);
        QVERIFY(ContentDigest::hex(data) != before);
    }
};

QTEST_APPLESS_MAIN(TestContentDigest)
#include "tst_contentdigest.moc"
