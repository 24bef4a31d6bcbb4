#pragma once
// TransferEstimator: rate and time left of a transfer from its progress samples. The rate is
// measured over a sliding window of the last few seconds, so a stalled transfer shows a falling
// rate instead of its lifetime average, and the time left follows from that rate.

#include <QtGlobal>

#include <deque>

namespace s3cache {

class TransferEstimator
{
public:
    explicit TransferEstimator(qint64 windowMs = 5000) : m_windowMs(windowMs) {}

    // Samples must come in time order; a sample older than the last one is ignored.
    void addSample(qint64 elapsedMs, qint64 bytesDone);
    void reset() { m_samples.clear(); }

    // Bytes per second over the window; 0 until two samples at different times exist.
    double bytesPerSecond() const;
    // Seconds until `bytesTotal`; -1 when unknown (no total or no rate yet).
    qint64 secondsLeft(qint64 bytesTotal) const;

private:
    struct Sample
    {
        qint64 ms;
        qint64 bytes;
    };
    qint64 m_windowMs;
    std::deque<Sample> m_samples;
};

} // namespace s3cache
