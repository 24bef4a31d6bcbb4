#pragma once
// ContentState: what this workspace already knows about its files' contents, so that a rebuild
// fingerprints contents without reading every file again.
//
// One record per regular file: its workspace-relative path (where it is read, so a file mount
// stored by its base name is keyed by its real place), the lstat stamp it had when its content
// was known (device, inode, size, mtime and ctime in nanoseconds) and the ContentDigest of that
// content. A record is trusted only while the file's lstat gives exactly that stamp. ctime cannot
// be set from user space, so any change of content (even one that pins the mtime and the size)
// changes the stamp; so does replacing the file (inode), and a copied workspace (device).
//
// Records are only ever made for a stamp whose ctime is older than a clock reading taken before
// the stamp was (see clockFloor()), by the file system's timestamp granularity (settled()): a
// file changed in the same timestamp tick as it was stat'ed ("racy", as git calls it) would
// otherwise keep its stamp across the change. Such files are simply not recorded, and get hashed
// again next time.
//
// The state lives in the workspace (CI steps share only the workspace) as fileName() under
// archiveio.h's reservedPrefix(): the scanner never archives it, the extractor never restores it.
// It can be deleted at any time: a missing, unreadable, corrupt (checksummed) or foreign-version
// file is an empty state (a debug log line); a failed save is a debug log line too (a read-only
// workspace still rebuilds, it only hashes everything). Saving writes a temporary file next to
// it and renames it into place (atomic; no fsync: a torn file fails its checksum).
//
// Format (little endian, ~45-60 bytes a file for node_modules-like paths): "s3cache-state\n",
// u32 version, varint count, then the records sorted by path, each: varint length of the prefix
// shared with the previous path, varint suffix length, suffix bytes, varints of device and inode
// and size, zigzag varints of mtime and ctime (ns since the epoch), 16 digest bytes; then the
// XXH3-128 of everything before it (16 bytes).

#include "util/contentdigest.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

#include <optional>

struct stat;

namespace s3cache {

struct FileStamp
{
    quint64 device = 0;
    quint64 inode = 0;
    qint64 size = 0;
    qint64 mtimeNs = 0;
    qint64 ctimeNs = 0;

    static FileStamp of(const struct stat &st);
    bool operator==(const FileStamp &) const = default;
};

class ContentState
{
public:
    // ".s3cache-state"
    static QString fileName();
    // Nanoseconds since the epoch of the clock file systems stamp ctimes from (the coarse real
    // time clock), read now. A file whose ctime is older than a reading taken before its lstat
    // cannot have changed after that lstat without changing its ctime.
    static qint64 clockFloor();
    // Whether a stamp taken after the clock read `floor` may be recorded (see above). A ctime in
    // whole seconds is taken to come from a file system that keeps only seconds (ext3's small
    // inodes, some NFS and FUSE mounts; FAT keeps 2 s): there a same-size rewrite later in that
    // second keeps the whole stamp, so the ctime must be two seconds older than `floor`. (On a
    // nanosecond file system one ctime in 10^9 is whole: that file is only hashed again.)
    static bool settled(const FileStamp &stamp, qint64 floor);

    // The state saved in `workspace`; empty (with a debug log line saying why) when there is none
    // or it cannot be used.
    static ContentState load(const QString &workspace);
    // Writes it to `workspace` atomically; false (and a debug log line) when that fails.
    bool save(const QString &workspace) const;

    // The digest recorded for `path` if its stamp is exactly `stamp`.
    std::optional<Digest> find(QByteArrayView path, const FileStamp &stamp) const;
    // Adds or replaces (the last insert or remove() of a path wins once finish() has run).
    void insert(QByteArrayView path, const FileStamp &stamp, const Digest &digest);
    // Forgets `path` (once finish() has run, unless it is inserted again later).
    void remove(QByteArrayView path);
    // Keeps the records of `older` whose path is not recorded here (nor removed by stampPending()
    // since the last finish()) and for which `keep(path)` says yes. Call finish() afterwards.
    template <typename Keep>
    void adoptFrom(const ContentState &older, Keep keep)
    {
        for (const Record &r : older.m_records) {
            const QByteArrayView path = older.pathOf(r);
            if (!containsSorted(path) && keep(path))
                insert(path, r.stamp, r.digest);
        }
    }
    // The extractor's log (safeextractor.h) is a state whose records were inserted with a null
    // stamp, FileStamp{}: the content is known, the stamp is taken once every write is over. This
    // gives each such record `stampOf(path)`: a stamp; FileStamp{} to leave it pending; nullopt
    // to remove it (at the next finish()).
    template <typename StampOf>
    void stampPending(StampOf stampOf)
    {
        for (Record &r : m_records) {
            if (r.pathLength & RemovedBit || !(r.stamp == FileStamp{}))
                continue;
            if (const std::optional<FileStamp> stamp = stampOf(pathOf(r))) {
                r.stamp = *stamp;
            } else {
                r.pathLength |= RemovedBit;
                ++m_removed;
            }
        }
    }
    // Sorts the records by path (lookups need it), in place, and drops replaced and removed ones.
    void finish();

    void reserve(qsizetype records) { m_records.reserve(records); }
    qsizetype size() const { return m_records.size(); }
    bool isEmpty() const { return m_records.isEmpty(); }
    bool operator==(const ContentState &other) const;

    // The encoded file, and decoding it (nullopt and `why` when it is not a valid state).
    QByteArray encode() const;
    static std::optional<ContentState> decode(QByteArrayView bytes, QString *why);

private:
    struct Record
    {
        quint32 pathOffset = 0;
        quint32 pathLength = 0;
        FileStamp stamp;
        Digest digest{};
    };
    static constexpr quint32 RemovedBit = 0x8000'0000u;  // in pathLength: remove() or stampPending()
    QByteArrayView pathOf(const Record &r) const
    {
        return QByteArrayView(m_paths.constData() + r.pathOffset, r.pathLength & ~RemovedBit);
    }
    const Record *lookup(QByteArrayView path) const;
    // Like lookup(), but only over the part that finish() sorted (before any later insert).
    bool containsSorted(QByteArrayView path) const;

    QList<Record> m_records;
    QByteArray m_paths;        // every path, back to back, in the order of the inserts
    qsizetype m_sorted = 0;    // m_records[0, m_sorted) are sorted and unique
    qsizetype m_removed = 0;   // records with RemovedBit
};

} // namespace s3cache
