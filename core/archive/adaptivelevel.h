#pragma once
// Adaptive zstd level (like `zstd --adapt`) for archives streamed to an output that reports its
// queue (outputpressure.h): while the upload waits for compressed data (nothing in flight), the
// compressor is the bottleneck and the level goes down; while the writer blocks waiting for the
// upload queue, the network is the bottleneck and the level goes up (fewer bytes to send for CPU
// that would otherwise idle). Only used when the user left compression_level at its default; an
// explicit level is always fixed. zstd applies a new level from its next job on (2 MiB of input)
// without changing the window, so the frame stays one valid frame that any zstd decodes.

#include "outputpressure.h"

#include <QElapsedTimer>
#include <QString>
#include <QStringList>

#include <map>
#include <optional>

namespace s3cache {

struct AdaptiveLevelPolicy
{
    int minLevel = 1;
    // Match tables of ~3 MiB a zstd worker; level 7 doubles them (zstd CLI, -T2: +6 MiB RSS) for
    // 1.7 % fewer bytes.
    int maxLevel = 6;
    int startLevel = 3;    // the codec default, as with a fixed level
    qint64 intervalBytes = 8 * 1024 * 1024;  // input between two decisions (four zstd jobs)
    double blockedShare = 0.05;  // blocked for more than this share of an interval: network-bound
};

// One decision. `blockedShare`: the share of the last interval the writer spent blocked waiting
// for room in the upload queue; `inFlight`: transfers still running at the end of the interval
// (0: the upload was idle, waiting for compressed data). Pure, for tests.
int nextCompressionLevel(int current, double blockedShare, int inFlight, const AdaptiveLevelPolicy &policy = {});

class AdaptiveLevel
{
public:
    explicit AdaptiveLevel(const OutputPressure *output, AdaptiveLevelPolicy policy = {});

    int level() const { return m_level; }
    // After `bytes` more input at the current level; returns the new level when it changes.
    std::optional<int> consumed(qint64 bytes);
    // Same, with the sample and the interval's wall time given (tests; consumed() measures them).
    std::optional<int> decide(const OutputPressureSample &sample, qint64 intervalNs);
    // "3: 12.0 MiB, 2: 140.5 MiB" — input bytes per level, for the log.
    QString summary() const;
    int changes() const { return m_changes; }

private:
    const OutputPressure *m_output;
    AdaptiveLevelPolicy m_policy;
    int m_level;
    int m_changes = 0;
    qint64 m_sinceDecision = 0;
    qint64 m_lastBlockedNs = 0;
    QElapsedTimer m_clock;
    qint64 m_lastDecisionNs = 0;
    std::map<int, qint64> m_bytesPerLevel;
};

} // namespace s3cache
