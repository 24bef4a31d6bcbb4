#pragma once
// How the GUI writes numbers: sizes in binary units, ages and durations in the two largest
// units, rates per second. Locale-independent so that tests and screenshots are stable.

#include "util/error.h"

#include <QDateTime>
#include <QString>

namespace s3cache::Format {

QString bytes(qint64 bytes);                      // "0 B", "512 B", "1.5 KiB", "3.2 GiB"
QString rate(double bytesPerSecond);              // "12.3 MiB/s"
QString age(qint64 seconds);                      // "< 1 min", "5 min", "3 h 20 min", "3 h", "2 d 5 h", "3 d", "14 d"
QString ago(qint64 seconds);                      // "just now", "5 min ago"
QString duration(qint64 seconds);                 // "45 s", "3 min 05 s", "2 h 10 min"
QString dateTime(const QDateTime &utc);           // local time "2024-05-01 14:03"
QString count(qint64 n);                          // "12,345"
// "<b>NoSuchBucket</b> (HTTP 404): message<br><i>hint</i><br>request id ..." for rich-text labels.
QString errorHtml(const Error &error);
// The same in one plain line: "message (NoSuchBucket, HTTP 404)"; for status bars.
QString errorText(const Error &error);
// The error's message for people: a TLS library's own wording ("error:0A00010B:SSL
// routines::wrong version number") becomes "the TLS handshake failed (wrong version number)".
QString errorMessage(const Error &error);

} // namespace s3cache::Format
