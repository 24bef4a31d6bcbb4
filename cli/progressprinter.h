#pragma once
// Shows a job's progress: a live bar redrawn in place on a terminal, periodic lines otherwise
// (CI logs), e.g. "restore: 45% 120.0 MiB of 266.7 MiB at 80.0 MiB/s".

#include "cache/job.h"
#include "util/humanformat.h"

#include <QElapsedTimer>

namespace s3cache {

class ProgressPrinter
{
public:
    explicit ProgressPrinter(bool terminal, qint64 lineIntervalMs = 10'000);
    ~ProgressPrinter();
    void update(const JobProgress &progress);
    void finish();  // ends the live bar's line

private:
    bool m_terminal;
    qint64 m_lineIntervalMs;
    qint64 m_lastLineMs = -1;
    bool m_barShown = false;
};

} // namespace s3cache
