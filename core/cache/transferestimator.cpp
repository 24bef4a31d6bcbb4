#include "transferestimator.h"

#include <cmath>

namespace s3cache {

void TransferEstimator::addSample(qint64 elapsedMs, qint64 bytesDone)
{
    if (!m_samples.empty() && elapsedMs < m_samples.back().ms)
        return;
    m_samples.push_back({elapsedMs, bytesDone});
    // Keep one sample at or before the window's start so the window is always fully covered.
    while (m_samples.size() > 2 && m_samples[1].ms <= elapsedMs - m_windowMs)
        m_samples.pop_front();
}

double TransferEstimator::bytesPerSecond() const
{
    if (m_samples.size() < 2)
        return 0;
    const Sample &first = m_samples.front();
    const Sample &last = m_samples.back();
    if (last.ms <= first.ms)
        return 0;
    return std::max<double>(0, double(last.bytes - first.bytes) * 1000.0 / double(last.ms - first.ms));
}

qint64 TransferEstimator::secondsLeft(qint64 bytesTotal) const
{
    const double rate = bytesPerSecond();
    if (bytesTotal < 0 || m_samples.empty() || rate <= 0)
        return -1;
    const qint64 left = std::max<qint64>(0, bytesTotal - m_samples.back().bytes);
    return qint64(std::ceil(double(left) / rate));
}

} // namespace s3cache
