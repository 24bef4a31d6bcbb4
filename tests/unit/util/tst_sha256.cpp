// util/sha256.h against the FIPS 180-2 test vectors and QCryptographicHash: payload hashes of
// every upload over http and the tree fingerprints depend on it.
#include "util/sha256.h"

#include <QCryptographicHash>
#include <QRandomGenerator>
#include <QTest>

using namespace s3cache;

class TestSha256 : public QObject
{
    Q_OBJECT
private slots:
    void knownVectors_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("hex");
        QTest::newRow("empty") << QByteArray() << QByteArray("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        QTest::newRow("abc") << QByteArray("abc") << QByteArray("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        QTest::newRow("two blocks") << QByteArray("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")
                                    << QByteArray("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
        QTest::newRow("a million a") << QByteArray(1'000'000, 'a')
                                     << QByteArray("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
    }
    void knownVectors()
    {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, hex);
        QCOMPARE(Sha256::hex(input), hex);
    }

    void streamingEqualsOneShot()
    {
        QByteArray data(3 * 1024 * 1024 + 17, Qt::Uninitialized);
        QRandomGenerator generator(42);
        for (char &c : data)
            c = char(generator.generate());
        Sha256 hash;
        for (qsizetype at = 0, step = 1; at < data.size(); at += step, step = step * 3 + 1)
            hash.addData(QByteArrayView(data).sliced(at, std::min(step, data.size() - at)));
        const QByteArray expected = QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
        QCOMPARE(hash.hexResult(), expected);
        QCOMPARE(Sha256::hex(data), expected);
    }
};

QTEST_GUILESS_MAIN(TestSha256)
#include "tst_sha256.moc"
