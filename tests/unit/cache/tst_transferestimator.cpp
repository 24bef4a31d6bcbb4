// TransferEstimator: the rate and time left shown beside a restore's or download's progress.
#include "cache/transferestimator.h"

#include <QTest>

using namespace s3cache;

class TestTransferEstimator : public QObject
{
    Q_OBJECT
private slots:
    void nothingKnownAtFirst()
    {
        TransferEstimator e;
        QCOMPARE(e.bytesPerSecond(), 0.0);
        QCOMPARE(e.secondsLeft(100), -1);
        e.addSample(0, 0);
        QCOMPARE(e.bytesPerSecond(), 0.0);
        QCOMPARE(e.secondsLeft(100), -1);
    }

    void steadyRate()
    {
        TransferEstimator e;
        for (int s = 0; s <= 10; ++s)
            e.addSample(s * 1000, qint64(s) * 1'000'000);
        QCOMPARE(e.bytesPerSecond(), 1'000'000.0);
        QCOMPARE(e.secondsLeft(25'000'000), 15);
        QCOMPARE(e.secondsLeft(10'000'000), 0);
        QCOMPARE(e.secondsLeft(-1), -1);  // total unknown
    }

    void rateFollowsTheRecentWindow()
    {
        TransferEstimator e(5000);
        for (int s = 0; s <= 10; ++s)
            e.addSample(s * 1000, qint64(s) * 10'000'000);  // 10 MB/s for 10 s
        for (int s = 11; s <= 20; ++s)
            e.addSample(s * 1000, 100'000'000 + qint64(s - 10) * 1'000'000);  // then 1 MB/s
        QCOMPARE(e.bytesPerSecond(), 1'000'000.0);  // not the lifetime average of 5.5 MB/s
    }

    void stallShowsAsFallingRate()
    {
        TransferEstimator e(4000);
        e.addSample(0, 0);
        e.addSample(1000, 4'000'000);
        const double moving = e.bytesPerSecond();
        e.addSample(3000, 4'000'000);
        e.addSample(6000, 4'000'000);
        QVERIFY(e.bytesPerSecond() < moving);
        e.addSample(12000, 4'000'000);
        QCOMPARE(e.bytesPerSecond(), 0.0);
        QCOMPARE(e.secondsLeft(8'000'000), -1);
    }

    void outOfOrderSamplesAreIgnoredAndResetStartsOver()
    {
        TransferEstimator e;
        e.addSample(1000, 1000);
        e.addSample(2000, 2000);
        e.addSample(500, 999'999);
        QCOMPARE(e.bytesPerSecond(), 1000.0);
        e.reset();
        QCOMPARE(e.bytesPerSecond(), 0.0);
    }
};

QTEST_GUILESS_MAIN(TestTransferEstimator)
#include "tst_transferestimator.moc"
