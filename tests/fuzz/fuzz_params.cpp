// Parameter values and the command line: durations, booleans, lists, integers, flags.
#include "fuzzcommon.h"

#include "config/commandline.h"
#include "config/valueparsers.h"

#include <cstdlib>

using namespace s3cache;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz::quietLogs();
    const QString text = QString::fromUtf8(fuzz::bytes(data, size));
    for (qint64 unit : {qint64(1000), qint64(86'400'000)}) {
        const Result<qint64> ms = parseDurationMs(text, unit);
        if (ms.ok() && *ms < 0)
            abort();  // documented: negative durations are errors
    }
    (void)parseBool(text);
    const Result<QStringList> list = parseList(text);
    if (list.ok()) {
        for (const QString &item : *list) {
            if (item.isEmpty())
                abort();  // documented: empty items are dropped
        }
    }
    (void)parseInt(text);
    (void)parseCommandLine(text.split(QChar(u'\0')));
    (void)parseCommandLine(text.split(QLatin1Char(' ')));
    return 0;
}
