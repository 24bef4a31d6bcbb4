#pragma once
// Warnings: things the user should know although the operation goes on ("could not abort the
// upload", "retrying", "skipped a device file"). Code deep in a job reports them to a sink; the
// job forwards them (Job::warning) to whatever front end runs it: the CLI's log, the GUI's job
// panel. Code that runs without a job (tests, tools) passes no sink and its warnings go to the
// log, so none is ever lost.
//
// CallContext is what every store and S3 call runs under: the job's cancellation (which carries
// its deadline) and its warning sink. It is passed per call (or per view of a shared store),
// never set on a shared object.

#include "cancellation.h"

#include <QString>

#include <memory>

namespace s3cache {

class WarningSink
{
public:
    virtual ~WarningSink() = default;
    // Thread-safe; may be called after the job is gone (the job's sink then logs the warning).
    virtual void warn(const QString &message) = 0;
};

using WarningSinkPtr = std::shared_ptr<WarningSink>;

// To `sink`, or to the log (Log::warn) when there is none.
void reportWarning(WarningSink *sink, const QString &message);
inline void reportWarning(const WarningSinkPtr &sink, const QString &message) { reportWarning(sink.get(), message); }

struct CallContext
{
    CancellationPtr cancellation;  // null: never cancelled
    WarningSinkPtr warnings;       // null: warnings go to the log
};

} // namespace s3cache
