#include "archivedigest.h"

#include <algorithm>
#include <cstring>

namespace s3cache {

namespace {

constexpr qsizetype TarBlock = 512;
const QByteArray RecordPrefix = QByteArrayLiteral("comment=s3cache-archive-digest v1 ");

void putOctal(char *field, qsizetype width, qint64 value)
{
    const QByteArray digits = QByteArray::number(value, 8).rightJustified(width - 1, '0');
    memcpy(field, digits.constData(), size_t(width - 1));
    field[width - 1] = '\0';
}

quint32 headerChecksum(const char *block)
{
    quint32 sum = 0;
    for (qsizetype i = 0; i < TarBlock; ++i)
        sum += (i >= 148 && i < 156) ? quint32(' ') : quint32(static_cast<unsigned char>(block[i]));
    return sum;
}

bool isZero(QByteArrayView block)
{
    return std::all_of(block.begin(), block.end(), [](char c) { return c == 0; });
}

} // namespace

void ArchiveDigest::addEntry(QByteArrayView path, TreeEntry::Type type, qint64 size, quint32 mode, qint64 mtime,
                             QByteArrayView linkTarget)
{
    m_beforeLast = record();
    ++m_entries;
    if (type == TreeEntry::File)
        m_bytes += size;
    const QByteArray header = QByteArray("\nE").append(path).append('\0')
                                  .append(QByteArray::number(int(type))).append(' ')
                                  .append(QByteArray::number(type == TreeEntry::File ? size : 0)).append(' ')
                                  .append(QByteArray::number(mode & 07777, 8)).append(' ')
                                  .append(QByteArray::number(mtime)).append(' ')
                                  .append(linkTarget).append('\0');
    m_digest.addData(header);
}

void ArchiveDigest::addData(const char *data, qint64 size)
{
    flushHole();
    m_digest.addData(data, size);
}

void ArchiveDigest::addHole(qint64 length)
{
    m_hole += length;
}

void ArchiveDigest::flushHole()
{
    if (m_hole > 0)
        m_digest.addData(QByteArray("\nH").append(QByteArray::number(m_hole)).append('\n'));
    m_hole = 0;
}

ArchiveDigest::Record ArchiveDigest::record()
{
    flushHole();  // the last entry's trailing hole
    return Record{m_entries, m_bytes, m_digest.hex()};
}

QByteArray ArchiveDigest::tarTrailer(const Record &record)
{
    const QByteArray body = RecordPrefix + "entries=" + QByteArray::number(record.entries) + " bytes="
        + QByteArray::number(record.bytes) + " xxh3=" + record.digest + '\n';
    // A pax record is "<length> <keyword>=<value>\n", the length counting itself.
    qsizetype length = body.size() + 2;
    while (QByteArray::number(length).size() + 1 + body.size() != length)
        ++length;
    const QByteArray paxRecord = QByteArray::number(length) + ' ' + body;

    QByteArray out(TarBlock + ((paxRecord.size() + TarBlock - 1) / TarBlock) * TarBlock, '\0');
    char *h = out.data();
    memcpy(h, "pax_global_header", 17);
    putOctal(h + 100, 8, 0644);
    putOctal(h + 108, 8, 0);
    putOctal(h + 116, 8, 0);
    putOctal(h + 124, 12, paxRecord.size());
    putOctal(h + 136, 12, 0);
    h[156] = 'g';
    memcpy(h + 257, "ustar\0" "00", 8);
    const QByteArray sum = QByteArray::number(headerChecksum(h), 8).rightJustified(6, '0');
    memcpy(h + 148, sum.constData(), 6);
    h[154] = '\0';
    h[155] = ' ';
    memcpy(h + TarBlock, paxRecord.constData(), size_t(paxRecord.size()));
    return out;
}

std::optional<ArchiveDigest::Record> ArchiveDigest::findTarTrailer(QByteArrayView tail)
{
    const auto header = [&](qsizetype block) -> const char * {
        const char *h = tail.data() + block * TarBlock;
        bool ok = false;
        const quint32 stored = QByteArray(h + 148, 6).trimmed().toUInt(&ok, 8);
        return ok && stored == headerChecksum(h) ? h : nullptr;
    };
    // [g header][record][pax header of the copy, if any][the copy's header][zero blocks]
    qsizetype last = tail.size() / TarBlock - 1;
    while (last >= 0 && isZero(tail.sliced(last * TarBlock, TarBlock)))
        --last;
    const char *copy = last >= 2 ? header(last) : nullptr;
    if (!copy || copy[156] != '5')
        return std::nullopt;
    constexpr qsizetype MaxCopyBlocks = 1 + 10;  // a pax header with a 4 KiB name, and the header
    for (qsizetype g = last - 2; g >= 0 && g >= last - 1 - MaxCopyBlocks; --g) {
        const char *h = header(g);
        if (!h || h[156] != 'g')
            continue;
        bool ok = false;
        const qint64 size = QByteArray(h + 124, 11).toLongLong(&ok, 8);
        if (!ok || size <= 0 || size > TarBlock)
            return std::nullopt;
        const QByteArray paxRecord(h + TarBlock, qsizetype(size));
        const qsizetype space = paxRecord.indexOf(' ');
        if (space < 0 || paxRecord.left(space).toLongLong() != size || !paxRecord.endsWith('\n')
            || !paxRecord.mid(space + 1).startsWith(RecordPrefix))
            return std::nullopt;
        Record r;
        bool haveEntries = false, haveBytes = false;
        for (const QByteArray &field : paxRecord.mid(space + 1 + RecordPrefix.size()).trimmed().split(' ')) {
            if (field.startsWith("entries="))
                r.entries = field.mid(8).toLongLong(&haveEntries);
            else if (field.startsWith("bytes="))
                r.bytes = field.mid(6).toLongLong(&haveBytes);
            else if (field.startsWith("xxh3="))
                r.digest = field.mid(5);
        }
        if (!haveEntries || !haveBytes || r.digest.size() != 32)
            return std::nullopt;
        return r;
    }
    return std::nullopt;
}

bool tarEndsWithEndOfArchive(QByteArrayView tail, qint64 streamLength)
{
    if (streamLength % TarBlock != 0 || tail.size() < 2 * TarBlock)
        return false;
    return isZero(tail.last(2 * TarBlock));
}

} // namespace s3cache
