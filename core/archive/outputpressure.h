#pragma once
// OutputPressure: what an archive output that sends in the background (S3ObjectWriter: parts
// uploaded in parallel through a bounded window) tells the archive writer about its queue, so
// that compression can adapt to whichever side is slower (adaptivelevel.h). A QIODevice that is
// also an OutputPressure is found by dynamic_cast; outputs that are not (files, pipes, buffers)
// get the fixed default level and stay byte-for-byte deterministic.

#include <QtGlobal>

namespace s3cache {

struct OutputPressureSample
{
    int inFlight = 0;       // transfers handed over and not finished yet
    int capacity = 0;       // transfers that may be in flight before write() blocks for room
    qint64 blockedNs = 0;   // total time write() has blocked so far waiting for room
};

class OutputPressure
{
public:
    virtual ~OutputPressure() = default;
    // Cheap; called from the writing thread between writes.
    virtual OutputPressureSample outputPressure() const = 0;
};

} // namespace s3cache
