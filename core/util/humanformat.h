#pragma once
// How the CLI and the core's messages write sizes and durations: "1.5 GiB", "3.2 s", "4m05s",
// "2h10m", "14 days". Locale-independent (logs are compared by tests and read in CI).

#include <QString>

namespace s3cache {

QString formatBytes(qint64 bytes);
QString formatDuration(qint64 ms);

} // namespace s3cache
