#pragma once
// Parsers for the textual parameter values of docs/behaviour.md §2/§3. Errors are ErrorKind::InvalidInput
// with code "BadValue" and a message "cannot parse '<text>': <what was expected>"; callers add
// the parameter name and its source. Never pass a secret to these: the message echoes the text.

#include "util/result.h"

#include <QString>
#include <QStringList>

namespace s3cache {

// Go durations (336h, 1h30m, 90s, 1.5h, 500ms, 10us, 5ns), plus d (24h) and w (7d) units,
// case-insensitive, concatenable (1d12h). A bare number (14, 1.5) counts in `bareUnitMs` units.
// Negative, empty or absurdly large (over ~30,000 years) values are errors. Sub-millisecond
// remainders are truncated.
Result<qint64> parseDurationMs(const QString &text, qint64 bareUnitMs);

// true/false/1/0/yes/no, case-insensitive, surrounding whitespace ignored.
Result<bool> parseBool(const QString &text);

// A JSON array of strings (["a","b"]) or items separated by commas or newlines (a,b). Items are
// trimmed and empty ones dropped; an empty text is an empty list.
Result<QStringList> parseList(const QString &text);

// Integers in decimal notation, e.g. compression levels ("-1", "19").
Result<int> parseInt(const QString &text);

// Byte sizes: a whole number with an optional unit, case-insensitive: B, KB/MB/GB/TB (powers of
// 1000), KiB/MiB/GiB/TiB or K/M/G/T (powers of 1024), e.g. "20GiB", "500 MB", "1048576".
// Negative, fractional or over 2^62 bytes are errors.
Result<qint64> parseSize(const QString &text);

} // namespace s3cache
