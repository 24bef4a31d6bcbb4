#include "contentstate.h"

#include "archiveio.h"

#include "util/contentdigest.h"
#include "util/log.h"

#include <QFile>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <sys/stat.h>

namespace s3cache {

namespace {

constexpr char Magic[] = "s3cache-state\n";
constexpr qsizetype MagicSize = sizeof(Magic) - 1;
constexpr quint32 Version = 1;
constexpr qsizetype DigestSize = 16;
constexpr qint64 MaxStateBytes = qint64(1) << 31;  // far beyond any real state; a sanity cap

qint64 nanoseconds(const struct timespec &ts)
{
    return qint64(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

void putVarint(QByteArray &out, quint64 v)
{
    while (v >= 0x80) {
        out.append(char(v | 0x80));
        v >>= 7;
    }
    out.append(char(v));
}

quint64 zigzag(qint64 v)
{
    return (quint64(v) << 1) ^ quint64(v >> 63);
}

qint64 unzigzag(quint64 v)
{
    return qint64(v >> 1) ^ -qint64(v & 1);
}

class Reader
{
public:
    explicit Reader(QByteArrayView bytes) : m_data(bytes) {}

    bool varint(quint64 *v)
    {
        quint64 result = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            if (m_pos >= m_data.size())
                return false;
            const quint8 byte = quint8(m_data[m_pos++]);
            result |= quint64(byte & 0x7f) << shift;
            if (!(byte & 0x80)) {
                *v = result;
                return true;
            }
        }
        return false;
    }
    bool bytes(qsizetype n, QByteArrayView *out)
    {
        if (n < 0 || m_data.size() - m_pos < n)
            return false;
        *out = m_data.sliced(m_pos, n);
        m_pos += n;
        return true;
    }
    bool atEnd() const { return m_pos == m_data.size(); }

private:
    QByteArrayView m_data;
    qsizetype m_pos = 0;
};

QByteArray statePath(const QString &workspace)
{
    return QFile::encodeName(workspace + u'/' + ContentState::fileName());
}

} // namespace

FileStamp FileStamp::of(const struct stat &st)
{
    return {quint64(st.st_dev), quint64(st.st_ino), qint64(st.st_size), nanoseconds(st.st_mtim), nanoseconds(st.st_ctim)};
}

QString ContentState::fileName()
{
    return reservedPrefix() + QStringLiteral("state");
}

qint64 ContentState::clockFloor()
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    return nanoseconds(ts);
}

bool ContentState::settled(const FileStamp &stamp, qint64 floor)
{
    constexpr qint64 second = 1'000'000'000;
    if (stamp.ctimeNs % second == 0)
        return stamp.ctimeNs <= floor - 2 * second;
    return stamp.ctimeNs < floor;
}

const ContentState::Record *ContentState::lookup(QByteArrayView path) const
{
    const auto end = m_records.cbegin() + m_sorted;
    const auto it = std::lower_bound(m_records.cbegin(), end, path,
                                     [this](const Record &r, QByteArrayView p) { return pathOf(r) < p; });
    return it != end && pathOf(*it) == path ? &*it : nullptr;
}

bool ContentState::containsSorted(QByteArrayView path) const
{
    return lookup(path) != nullptr;
}

std::optional<Digest> ContentState::find(QByteArrayView path, const FileStamp &stamp) const
{
    Q_ASSERT(m_sorted == m_records.size());
    const Record *r = lookup(path);
    if (!r || r->pathLength & RemovedBit || !(r->stamp == stamp))
        return std::nullopt;
    return r->digest;
}

void ContentState::insert(QByteArrayView path, const FileStamp &stamp, const Digest &digest)
{
    Q_ASSERT(path.size() < qsizetype(RemovedBit));
    Record r;
    r.pathOffset = quint32(m_paths.size());
    r.pathLength = quint32(path.size());
    r.stamp = stamp;
    r.digest = digest;
    m_paths.append(path);
    m_records.append(r);
}

void ContentState::remove(QByteArrayView path)
{
    insert(path, FileStamp{}, Digest{});
    m_records.last().pathLength |= RemovedBit;
    ++m_removed;
}

void ContentState::finish()
{
    bool ordered = m_removed == 0;  // the common case after decode() or an earlier finish(): nothing to do
    for (qsizetype i = m_sorted; i < m_records.size() && ordered; ++i)
        ordered = i == 0 || pathOf(m_records.at(i - 1)) < pathOf(m_records.at(i));
    if (ordered) {
        m_sorted = m_records.size();
        return;
    }
    // In place (a restore's log holds a record per file): paths are appended in the order of the
    // inserts, so ordering ties by offset puts the last insert of a path last, as a stable sort would.
    std::sort(m_records.begin(), m_records.end(), [this](const Record &a, const Record &b) {
        const QByteArrayView pa = pathOf(a), pb = pathOf(b);
        return pa < pb || (pa == pb && a.pathOffset < b.pathOffset);
    });
    qsizetype kept = 0;
    for (qsizetype i = 0; i < m_records.size(); ++i) {
        const Record &r = m_records.at(i);
        if ((i + 1 < m_records.size() && pathOf(r) == pathOf(m_records.at(i + 1))) || r.pathLength & RemovedBit)
            continue;  // replaced by a later insert, or removed
        m_records[kept++] = r;
    }
    m_records.resize(kept);  // the arena keeps the bytes of the dropped paths until the next decode()
    m_sorted = kept;
    m_removed = 0;
}

bool ContentState::operator==(const ContentState &other) const
{
    if (m_records.size() != other.m_records.size())
        return false;
    for (qsizetype i = 0; i < m_records.size(); ++i) {
        const Record &a = m_records.at(i);
        const Record &b = other.m_records.at(i);
        if (!(a.stamp == b.stamp) || a.digest != b.digest || pathOf(a) != other.pathOf(b))
            return false;
    }
    return true;
}

QByteArray ContentState::encode() const
{
    Q_ASSERT(m_sorted == m_records.size() && m_removed == 0);
    QByteArray out;
    out.reserve(32 + m_records.size() * 48 + m_paths.size() / 3);
    out.append(Magic, MagicSize);
    for (int i = 0; i < 4; ++i)
        out.append(char((Version >> (8 * i)) & 0xff));
    putVarint(out, quint64(m_records.size()));
    QByteArrayView previous;
    for (const Record &r : m_records) {
        const QByteArrayView path = pathOf(r);
        qsizetype shared = 0;
        const qsizetype limit = std::min(previous.size(), path.size());
        while (shared < limit && previous[shared] == path[shared])
            ++shared;
        putVarint(out, quint64(shared));
        putVarint(out, quint64(path.size() - shared));
        out.append(path.sliced(shared));
        putVarint(out, r.stamp.device);
        putVarint(out, r.stamp.inode);
        putVarint(out, quint64(r.stamp.size));
        putVarint(out, zigzag(r.stamp.mtimeNs));
        putVarint(out, zigzag(r.stamp.ctimeNs));
        out.append(r.digest.data(), DigestSize);
        previous = path;
    }
    ContentDigest check;
    check.addData(out);
    const Digest sum = check.digest();
    out.append(sum.data(), DigestSize);
    return out;
}

std::optional<ContentState> ContentState::decode(QByteArrayView bytes, QString *why)
{
    const auto invalid = [why](const QString &reason) -> std::optional<ContentState> {
        if (why)
            *why = reason;
        return std::nullopt;
    };
    if (bytes.size() < MagicSize + 4 + 1 + DigestSize || bytes.first(MagicSize) != QByteArrayView(Magic, MagicSize))
        return invalid(QStringLiteral("not a state file"));
    quint32 version = 0;
    for (int i = 0; i < 4; ++i)
        version |= quint32(quint8(bytes[MagicSize + i])) << (8 * i);
    if (version != Version)
        return invalid(QStringLiteral("version %1, not %2").arg(version).arg(Version));
    const QByteArrayView body = bytes.first(bytes.size() - DigestSize);
    ContentDigest check;
    check.addData(body);
    const Digest sum = check.digest();
    if (QByteArrayView(sum.data(), DigestSize) != bytes.last(DigestSize))
        return invalid(QStringLiteral("checksum mismatch (a torn or corrupt file)"));

    Reader in(body.sliced(MagicSize + 4));
    quint64 count = 0;
    if (!in.varint(&count) || count > quint64(bytes.size()))
        return invalid(QStringLiteral("bad record count"));
    ContentState state;
    state.m_records.reserve(qsizetype(count));
    state.m_paths.reserve(bytes.size() * 2);
    QByteArray path;
    for (quint64 i = 0; i < count; ++i) {
        quint64 shared = 0, suffixLength = 0, device = 0, inode = 0, size = 0, mtime = 0, ctime = 0;
        QByteArrayView suffix, digest;
        if (!in.varint(&shared) || !in.varint(&suffixLength) || shared > quint64(path.size())
            || !in.bytes(qsizetype(std::min<quint64>(suffixLength, quint64(bytes.size()) + 1)), &suffix)
            || !in.varint(&device) || !in.varint(&inode) || !in.varint(&size) || !in.varint(&mtime)
            || !in.varint(&ctime) || !in.bytes(DigestSize, &digest))
            return invalid(QStringLiteral("record %1 is truncated or malformed").arg(i));
        path.truncate(qsizetype(shared));
        path.append(suffix);
        if (path.isEmpty() || (i > 0 && !(state.pathOf(state.m_records.constLast()) < QByteArrayView(path)))
            || qint64(size) < 0)
            return invalid(QStringLiteral("record %1 is out of order").arg(i));
        Digest d;
        memcpy(d.data(), digest.data(), DigestSize);
        state.insert(path, {device, inode, qint64(size), unzigzag(mtime), unzigzag(ctime)}, d);
    }
    if (!in.atEnd())
        return invalid(QStringLiteral("trailing bytes"));
    state.m_sorted = state.m_records.size();
    return state;
}

ContentState ContentState::load(const QString &workspace)
{
    const QByteArray path = statePath(workspace);
    QString why;
    const std::optional<QByteArray> bytes = readWorkspaceFile(path, MaxStateBytes, &why);
    std::optional<ContentState> state = bytes ? decode(*bytes, &why) : std::nullopt;
    if (!state) {
        Log::debug(QStringLiteral("content state %1 not used (%2): no file content is known yet").arg(QFile::decodeName(path), why));
        return {};
    }
    Log::debug(QStringLiteral("content state %1: %2 files").arg(QFile::decodeName(path), QString::number(state->size())));
    return std::move(*state);
}

bool ContentState::save(const QString &workspace) const
{
    const QByteArray path = statePath(workspace);
    const QByteArray bytes = encode();
    if (const QString failure = writeWorkspaceFile(path, bytes); !failure.isEmpty()) {
        Log::debug(QStringLiteral("content state %1 not saved (%2); the next rebuild hashes what it cannot match")
                       .arg(QFile::decodeName(path), failure));
        return false;
    }
    Log::debug(QStringLiteral("content state %1 saved: %2 files, %3 bytes").arg(QFile::decodeName(path), QString::number(size()), QString::number(bytes.size())));
    return true;
}

} // namespace s3cache
