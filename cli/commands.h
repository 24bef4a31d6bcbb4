#pragma once
// The `s3cache` command: parse, resolve, run one job, print, map the result to an exit code.
// Exit codes (docs/behaviour.md §9): 0 success or cache miss; 1 operation failed; 2 bad parameters or usage;
// 130 cancelled by SIGINT/SIGTERM.

#include <QProcessEnvironment>
#include <QStringList>

namespace s3cache {

enum ExitCode { ExitOk = 0, ExitFailed = 1, ExitUsage = 2, ExitCancelled = 130 };

int runCommand(const QStringList &arguments, const QProcessEnvironment &env);

// Called from the signal handler: cancels the running job (async-signal-safe).
void cancelRunningJob();

} // namespace s3cache
