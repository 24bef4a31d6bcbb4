#include "adaptivelevel.h"

#include "util/log.h"

#include <algorithm>

namespace s3cache {

int nextCompressionLevel(int current, double blockedShare, int inFlight, const AdaptiveLevelPolicy &policy)
{
    int next = current;
    if (blockedShare > policy.blockedShare)
        next = current + 1;  // the upload queue was full: spend the idle CPU on a smaller archive
    else if (inFlight == 0)
        next = current - 1;  // the upload waited for data: compress faster
    return std::clamp(next, policy.minLevel, std::max(policy.minLevel, policy.maxLevel));
}

AdaptiveLevel::AdaptiveLevel(const OutputPressure *output, AdaptiveLevelPolicy policy)
    : m_output(output), m_policy(policy),
      m_level(std::clamp(policy.startLevel, policy.minLevel, std::max(policy.minLevel, policy.maxLevel)))
{
    m_clock.start();
    if (m_output)
        m_lastBlockedNs = m_output->outputPressure().blockedNs;
}

std::optional<int> AdaptiveLevel::consumed(qint64 bytes)
{
    m_bytesPerLevel[m_level] += bytes;
    m_sinceDecision += bytes;
    if (!m_output || m_sinceDecision < m_policy.intervalBytes)
        return std::nullopt;
    const qint64 now = m_clock.nsecsElapsed();
    const qint64 interval = now - m_lastDecisionNs;
    m_lastDecisionNs = now;
    return decide(m_output->outputPressure(), interval);
}

std::optional<int> AdaptiveLevel::decide(const OutputPressureSample &sample, qint64 intervalNs)
{
    m_sinceDecision = 0;
    const qint64 blocked = std::max<qint64>(0, sample.blockedNs - m_lastBlockedNs);
    m_lastBlockedNs = sample.blockedNs;
    const double share = intervalNs > 0 ? double(blocked) / double(intervalNs) : 0.0;
    const int next = nextCompressionLevel(m_level, share, sample.inFlight, m_policy);
    if (next == m_level)
        return std::nullopt;
    Log::debug(QStringLiteral("zstd level %1 -> %2 (upload %3 of %4 in flight, writer blocked %5 % of the last %6 ms)")
                   .arg(m_level).arg(next).arg(sample.inFlight).arg(sample.capacity)
                   .arg(share * 100.0, 0, 'f', 0).arg(intervalNs / 1'000'000));
    m_level = next;
    ++m_changes;
    return next;
}

QString AdaptiveLevel::summary() const
{
    QStringList parts;
    for (const auto &[level, bytes] : m_bytesPerLevel) {
        if (bytes > 0)
            parts.append(QStringLiteral("%1: %2 MiB").arg(level).arg(double(bytes) / (1024.0 * 1024.0), 0, 'f', 1));
    }
    return parts.join(QStringLiteral(", "));
}

} // namespace s3cache
