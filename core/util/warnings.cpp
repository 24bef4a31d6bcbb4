#include "warnings.h"

#include "log.h"

namespace s3cache {

void reportWarning(WarningSink *sink, const QString &message)
{
    if (sink)
        sink->warn(message);
    else
        Log::warn(message);
}

} // namespace s3cache
