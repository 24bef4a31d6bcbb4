#include "zipstreamwriter.h"

#include "archiveio.h"
#include "fileblocks.h"
#include "fsname.h"

#include <QDateTime>
#include <QHash>
#include <QIODevice>
#include <QScopeGuard>
#include <QtEndian>

#include <quazip/quazip.h>
#include <quazip/quazipfile.h>
#include <quazip/quazipnewinfo.h>
#include <quazip/zip.h>

#include <sys/stat.h>

namespace s3cache {

namespace {

constexpr qint64 HeldEntryLimit = 4 * 1024 * 1024;
constexpr quint16 UnixVersionMadeBy = (3 << 8) | 20;  // Unix, zip 2.0

// The random-access face that QuaZip needs, over a sequential sink: bytes are held back until
// release() so that QuaZip can seek back and complete the local header of the entry it has just
// written. When passThrough is on, held bytes beyond HeldEntryLimit are sent on, and QuaZip's
// later header rewrite (redundant: that entry has a data descriptor) is dropped.
class HoldBackDevice : public QIODevice
{
public:
    explicit HoldBackDevice(QIODevice *sink) : m_sink(sink) { open(QIODevice::WriteOnly | QIODevice::Unbuffered); }

    bool isSequential() const override { return false; }
    qint64 size() const override { return m_released + m_held.size(); }
    void setPassThrough(bool on) { m_passThrough = on; }
    void abandon() { m_abandoned = true; }
    const QString &sinkError() const { return m_sinkError; }
    qint64 bytesWritten() const { return m_released; }

    bool release()
    {
        if (m_held.isEmpty() || m_abandoned)
            return true;
        const char *data = m_held.constData();
        qint64 left = m_held.size();
        while (left > 0) {
            const qint64 n = m_sink->write(data, left);
            if (n <= 0) {
                m_sinkError = m_sink->errorString().isEmpty() ? QStringLiteral("the output accepted no data") : m_sink->errorString();
                return false;
            }
            data += n;
            left -= n;
        }
        m_released += m_held.size();
        m_held.clear();
        return true;
    }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 len) override
    {
        if (m_abandoned)
            return len;
        qint64 at = pos();
        qint64 skip = 0;
        if (at < m_released) {
            if (!m_passThrough) {
                setErrorString(QStringLiteral("zip writer tried to rewrite data already sent"));
                return -1;
            }
            skip = std::min(len, m_released - at);
            at += skip;
        }
        const qint64 offset = at - m_released;
        const qint64 count = len - skip;
        if (offset + count > m_held.size())
            m_held.resize(offset + count, '\0');
        memcpy(m_held.data() + offset, data + skip, size_t(count));
        if (m_passThrough && m_held.size() > HeldEntryLimit && !release()) {
            setErrorString(m_sinkError);
            return -1;
        }
        return len;
    }

private:
    QIODevice *m_sink;
    QByteArray m_held;
    qint64 m_released = 0;
    bool m_passThrough = false;
    bool m_abandoned = false;
    QString m_sinkError;
};

void appendLe16(QByteArray &out, quint16 value)
{
    char bytes[2];
    qToLittleEndian(value, bytes);
    out.append(bytes, 2);
}

void appendLe32(QByteArray &out, quint32 value)
{
    char bytes[4];
    qToLittleEndian(value, bytes);
    out.append(bytes, 4);
}

// Extended timestamp "UT": flags (mtime present) + mtime.
QByteArray timestampField(qint64 mtime)
{
    QByteArray field;
    appendLe16(field, 0x5455);
    appendLe16(field, 5);
    field.append(char(1));
    appendLe32(field, quint32(qBound<qint64>(0, mtime, 0xffffffffLL)));
    return field;
}

// libarchive's "xl" field: version made by + external attributes, so that a streaming reader
// learns the entry's type and mode from the local header.
QByteArray attributesField(quint32 externalAttributes)
{
    QByteArray field;
    appendLe16(field, 0x6c78);
    appendLe16(field, 7);
    field.append(char(0x05));  // bitmap: version made by, external attributes
    appendLe16(field, UnixVersionMadeBy);
    appendLe32(field, externalAttributes);
    return field;
}

// Whether zip may flag these name bytes as UTF-8: only when readers give back the same bytes.
// libarchive converts flagged names to NFC and refuses invalid ones, so a name that is not valid
// UTF-8 in NFC is stored unflagged, as raw bytes (which Linux unzip tools keep as they are).
bool storableAsUtf8(QByteArrayView bytes)
{
    const QString text = QString::fromUtf8(bytes);
    return text.toUtf8() == bytes && text.normalized(QString::NormalizationForm_C) == text;
}

} // namespace

ZipStreamWriter::ZipStreamWriter(QIODevice *sink, int level) : m_sink(sink), m_level(level)
{
}

Error ZipStreamWriter::write(const TreeSnapshot &snapshot, const Cancellation *cancel, const ProgressCallback &progress,
                             WarningSink *warnings)
{
    HoldBackDevice device(m_sink);
    QuaZip zip(&device);
    zip.setOsCode(UnixVersionMadeBy >> 8);
    zip.setFileNameCodec("ISO-8859-1");  // unflagged names: QString::fromLatin1(bytes) gives the bytes back
    zip.setAutoClose(false);
    bool complete = false;
    const auto abandonUnlessComplete = qScopeGuard([&] {
        if (!complete)
            device.abandon();
        m_bytesWritten = device.bytesWritten();
    });
    const auto failure = [&](const QString &context, int zipError) {
        if (!device.sinkError().isEmpty())
            return Error(ErrorKind::Io, QStringLiteral("WriteFailed"), QStringLiteral("writing the archive failed: %1").arg(device.sinkError()));
        return Error(ErrorKind::Internal, QStringLiteral("ArchiveWriteFailed"), QStringLiteral("%1: zip error %2").arg(context).arg(zipError));
    };
    if (!zip.open(QuaZip::mdCreate))
        return failure(QStringLiteral("starting the zip archive"), zip.getZipError());

    QHash<QByteArrayView, qsizetype> firstLinks;  // hard links are stored as copies of their first link
    QByteArray buffer;
    qint64 done = 0;
    for (qsizetype i = 0; i < snapshot.size(); ++i) {
        if (cancel && cancel->isCancelled())
            return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("archiving was cancelled"));
        const TreeEntry e = snapshot.at(i);
        TreeEntry stored = e;  // what goes into the zip: a hard link becomes a copy of its first link
        QByteArray nameBytes = e.path.toByteArray();
        quint32 type = S_IFREG;
        if (e.type == TreeEntry::Directory) {
            type = S_IFDIR;
            nameBytes += '/';
        } else if (e.type == TreeEntry::Symlink) {
            type = S_IFLNK;
        } else if (e.type == TreeEntry::Hardlink) {
            stored = snapshot.at(firstLinks.value(e.linkTarget));
        } else if (e.type == TreeEntry::File) {
            firstLinks.insert(e.path, i);
        }
        const QByteArrayView linkTarget = e.type == TreeEntry::Symlink ? e.linkTarget : QByteArrayView();
        const qint64 dataSize = stored.type == TreeEntry::File ? stored.size : linkTarget.size();

        // libarchive converts a symbolic link's target like its name.
        const bool utf8 = storableAsUtf8(nameBytes) && storableAsUtf8(linkTarget);
        zip.setUtf8Enabled(utf8);
        if (utf8)
            zipSetFlags(zip.getZipFile(), ZIP_ENCODING_UTF8);
        else
            zipClearFlags(zip.getZipFile(), ZIP_ENCODING_UTF8);
        const QString name = utf8 ? QString::fromUtf8(nameBytes) : QString::fromLatin1(nameBytes);
        const QString shown = fsNameForDisplay(fsNameFromBytes(nameBytes));
        QuaZipNewInfo info(name);
        // The DOS time field (kept in UTC, so that archives do not depend on the time zone) cannot
        // go below 1980; the "UT" field carries the real mtime.
        info.dateTime = std::max(QDateTime::fromSecsSinceEpoch(e.mtime, Qt::UTC),
                                 QDateTime(QDate(1980, 1, 1), QTime(0, 0, 2), Qt::UTC));
        info.externalAttr = ((type | e.mode) << 16) | (e.type == TreeEntry::Directory ? 0x10 : 0);
        info.extraLocal = timestampField(e.mtime) + attributesField(info.externalAttr);
        info.extraGlobal = timestampField(e.mtime);
        const bool large = dataSize > HeldEntryLimit / 2;
        zip.setDataDescriptorWritingEnabled(large);
        zip.setZip64Enabled(dataSize >= 0xf0000000LL);
        device.setPassThrough(large);
        const bool deflate = stored.type == TreeEntry::File && m_level != 0;
        QuaZipFile file(&zip);
        if (!file.open(QIODevice::WriteOnly, info, nullptr, 0, deflate ? Z_DEFLATED : 0, deflate ? m_level : 0))
            return failure(QStringLiteral("adding %1").arg(shown), file.getZipError());
        if (stored.type == TreeEntry::File) {
            Error error = readFileBlocks(snapshot.sourcePath(stored), stored.size, buffer, cancel, warnings, [&](const char *data, qint64 size) -> Error {
                if (file.write(data, size) != size)
                    return failure(QStringLiteral("writing %1").arg(shown), file.getZipError());
                m_fileBytes += size;
                if (e.type == TreeEntry::File) {  // copies of hard links are not in the total
                    done += size;
                    if (progress)
                        progress(done, snapshot.totalFileBytes);
                }
                return {};
            });
            if (error)
                return error;
            if (e.type == TreeEntry::File)
                ++m_files;
        } else if (!linkTarget.isEmpty() && file.write(linkTarget.data(), linkTarget.size()) != linkTarget.size()) {
            return failure(QStringLiteral("writing %1").arg(shown), file.getZipError());
        }
        file.close();
        if (file.getZipError() != ZIP_OK || !device.release())
            return failure(QStringLiteral("finishing %1").arg(shown), file.getZipError());
        ++m_entries;
    }
    zip.close();
    if (zip.getZipError() != ZIP_OK || !device.release())
        return failure(QStringLiteral("finishing the zip archive"), zip.getZipError());
    complete = true;
    return {};
}

} // namespace s3cache
