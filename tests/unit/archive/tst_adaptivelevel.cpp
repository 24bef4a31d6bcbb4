// The adaptive zstd level (adaptivelevel.h): the decision as a pure function, the controller's
// intervals and summary, and ArchiveWriter's use of it — only into an output that reports its
// upload queue, only with the default level, and always the same tar stream inside.
#include "archive/adaptivelevel.h"
#include "archive/archivewriter.h"
#include "archive/treesnapshot.h"

#include "archivetestutil.h"

#include <QBuffer>
#include <QTemporaryDir>
#include <QTest>

using namespace s3cache;
using namespace archivetest;

namespace {

constexpr qint64 MiB = 1024 * 1024;

// A memory output that says its upload queue is always idle (or always full): the level should
// go down (or up) at every interval.
class PressureBuffer : public QBuffer, public OutputPressure
{
public:
    explicit PressureBuffer(bool full) : m_full(full) { open(QIODevice::WriteOnly); }
    OutputPressureSample outputPressure() const override
    {
        m_blockedNs += m_full ? 1'000'000'000 : 0;  // a second blocked per sample: over 5 % of any interval
        return {m_full ? 4 : 0, 4, m_blockedNs};
    }

private:
    bool m_full;
    mutable qint64 m_blockedNs = 0;
};

struct FakeQueue : OutputPressure
{
    OutputPressureSample sample;
    OutputPressureSample outputPressure() const override { return sample; }
};

} // namespace

class TestAdaptiveLevel : public QObject
{
    Q_OBJECT
private:
    QTemporaryDir m_dir;
    QString m_tree;

    QByteArray decompress(const QByteArray &zst)
    {
        const QString path = m_dir.filePath(QStringLiteral("out.zst"));
        if (!writeFile(path, zst))
            return {};
        QByteArray out;
        return run(QStringLiteral("zstd"), {QStringLiteral("-dcq"), path}, &out) == 0 ? out : QByteArray("failed");
    }

private slots:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_tree = m_dir.filePath(QStringLiteral("ws"));
        // 20 MiB of compressible data: two and a half decision intervals.
        QByteArray text;
        quint32 x = 11;
        while (text.size() < 20 * MiB) {
            x = x * 1103515245u + 12345u;
            text += "line " + QByteArray::number(x % 5000) + " of some generated source text;\n";
        }
        QVERIFY(writeFile(m_tree + QStringLiteral("/m/big.txt"), text));
        QVERIFY(writeFile(m_tree + QStringLiteral("/m/small.txt"), "small"));
    }

    void decision_data()
    {
        QTest::addColumn<int>("current");
        QTest::addColumn<double>("blocked");
        QTest::addColumn<int>("inFlight");
        QTest::addColumn<int>("expected");
        QTest::newRow("upload idle: faster") << 3 << 0.0 << 0 << 2;
        QTest::newRow("writer blocked: smaller") << 3 << 0.5 << 4 << 4;
        QTest::newRow("blocked wins over an idle end") << 3 << 0.2 << 0 << 4;
        QTest::newRow("busy, not blocked: keep") << 3 << 0.01 << 2 << 3;
        QTest::newRow("just at the threshold: keep") << 5 << 0.05 << 1 << 5;
        QTest::newRow("floor") << 1 << 0.0 << 0 << 1;
        QTest::newRow("ceiling") << 6 << 0.9 << 4 << 6;
        QTest::newRow("outside the range is clamped") << 12 << 0.0 << 2 << 6;
    }

    void decision()
    {
        QFETCH(int, current);
        QFETCH(double, blocked);
        QFETCH(int, inFlight);
        QFETCH(int, expected);
        QCOMPARE(nextCompressionLevel(current, blocked, inFlight), expected);
    }

    void controllerDecidesOncePerInterval()
    {
        FakeQueue queue;
        queue.sample = {0, 4, 0};
        AdaptiveLevelPolicy policy;
        policy.intervalBytes = 8 * MiB;
        AdaptiveLevel adaptive(&queue, policy);
        QCOMPARE(adaptive.level(), 3);
        QCOMPARE(adaptive.consumed(4 * MiB), std::nullopt);   // within the interval: no decision
        QCOMPARE(adaptive.consumed(4 * MiB), std::optional<int>(2));  // idle upload: down
        // Blocked 400 ms of a 1 s interval: up again.
        queue.sample = {4, 4, 400'000'000};
        QCOMPARE(adaptive.decide(queue.sample, 1'000'000'000), std::optional<int>(3));
        // The same total blocked time again is no new blocking; busy but not blocked: keep.
        queue.sample = {2, 4, 400'000'000};
        QCOMPARE(adaptive.decide(queue.sample, 1'000'000'000), std::nullopt);
        QCOMPARE(adaptive.changes(), 2);
        QCOMPARE(adaptive.summary(), QStringLiteral("3: 8.0 MiB"));  // bytes count at the level they were fed at
        adaptive.consumed(MiB);
        QCOMPARE(adaptive.summary(), QStringLiteral("3: 9.0 MiB"));
    }

    void noOutputNoDecision()
    {
        AdaptiveLevel adaptive(nullptr);
        QCOMPARE(adaptive.consumed(100 * MiB), std::nullopt);
        QCOMPARE(adaptive.level(), 3);
    }

    void writerAdaptsOnlyWithDefaultLevelAndPressure()
    {
        const Result<TreeSnapshot> snapshot = scanMounts(m_tree, {QStringLiteral("m")}, false);
        QVERIFY(snapshot.ok());

        // Reference: a plain buffer (no queue to adapt to), default level.
        QBuffer plain;
        plain.open(QIODevice::WriteOnly);
        QVERIFY(!ArchiveWriter().write(*snapshot, &plain));
        const QByteArray tar = decompress(plain.data());
        QVERIFY(tar.size() > 20 * MiB);

        // An always idle upload: the level goes down; other bytes, the same tar stream.
        PressureBuffer idle(false);
        QVERIFY(!ArchiveWriter().write(*snapshot, &idle));
        QVERIFY(idle.data() != plain.data());
        QCOMPARE(decompress(idle.data()), tar);

        // An always full one: the level goes up; again the same tar.
        PressureBuffer full(true);
        QVERIFY(!ArchiveWriter().write(*snapshot, &full));
        QVERIFY(full.data() != plain.data());
        QVERIFY(full.data() != idle.data());
        QCOMPARE(decompress(full.data()), tar);

        // An explicit level is fixed, whatever the queue says: identical to a plain output at it.
        ArchiveWriteOptions three;
        three.compressionLevel = 3;
        PressureBuffer fixed(false);
        QVERIFY(!ArchiveWriter(three).write(*snapshot, &fixed));
        QBuffer plainThree;
        plainThree.open(QIODevice::WriteOnly);
        QVERIFY(!ArchiveWriter(three).write(*snapshot, &plainThree));
        QCOMPARE(fixed.data(), plainThree.data());

        // And adaptation can be switched off.
        ArchiveWriteOptions off;
        off.adaptiveLevel = false;
        PressureBuffer notAdapting(false);
        QVERIFY(!ArchiveWriter(off).write(*snapshot, &notAdapting));
        QCOMPARE(notAdapting.data(), plain.data());
    }
};

QTEST_GUILESS_MAIN(TestAdaptiveLevel)
#include "tst_adaptivelevel.moc"
