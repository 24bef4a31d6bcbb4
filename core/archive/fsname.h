#pragma once
// File names are bytes on Linux, and nothing guarantees they are UTF-8: a cache must give back
// exactly the bytes it was given. The archive layer works on names as QString, so the bytes that
// are not valid UTF-8 are carried as lone surrogates U+DC80..U+DCFF, one per byte (Python's
// "surrogateescape"): fsNameToBytes(fsNameFromBytes(b)) == b for every byte string b, and valid
// UTF-8 decodes to the same QString as QString::fromUtf8 (no normalisation: "Café" in NFC and in
// NFD stay two names).

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

namespace s3cache {

QString fsNameFromBytes(QByteArrayView bytes);
QByteArray fsNameToBytes(QStringView name);
// For messages: the escaped bytes shown as \xNN (the rest unchanged; Log escapes control
// characters).
QString fsNameForDisplay(QStringView name);

} // namespace s3cache
