#include "treesnapshot.h"

#include "archiveio.h"

#include "util/contentdigest.h"
#include "util/log.h"
#include "util/pathglob.h"
#include "util/sha256.h"

#include <QDir>
#include <QFile>
#include <QRandomGenerator>
#include <QScopeGuard>
#include <QSet>
#include <QtEndian>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace s3cache {

namespace {

Error invalidMount(const QString &mount, const QString &why)
{
    return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidMount"), QStringLiteral("mount %1 %2").arg(mount, why));
}

Error scanError(const QString &what, const QByteArray &path, int errnum)
{
    return Error(ErrorKind::Io, QStringLiteral("ScanFailed"),
                 QStringLiteral("cannot %1 %2: %3").arg(what, QFile::decodeName(path), QString::fromLocal8Bit(strerror(errnum))));
}

struct Mount
{
    QString given;
    QString rel;     // normalized, workspace-relative; empty for the workspace itself
    QString stored;  // where the archive keeps it
    struct stat st;
};

bool covers(const QString &outer, const QString &inner)
{
    return outer.isEmpty() || inner == outer || inner.startsWith(outer + u'/');
}

QByteArray joined(const QByteArray &prefix, const QByteArray &name)
{
    return prefix.isEmpty() ? name : prefix + '/' + name;
}

// One directory's children, sorted by name, each lstat'ed relative to the directory (no path
// walk per entry) with symbolic link targets read.
struct Child
{
    QByteArray name;
    struct stat st;
    QByteArray linkTarget;
};

// The target of the symbolic link `name` in directory `dirFd` (lstat'ed as `st`); `dir` for messages.
Result<QByteArray> readLinkAt(int dirFd, const QByteArray &name, const struct stat &st, const QByteArray &dir)
{
    QByteArray target(qsizetype(std::max<off_t>(st.st_size, 0)) + 1, Qt::Uninitialized);
    const ssize_t n = readlinkat(dirFd, name.constData(), target.data(), size_t(target.size()));
    if (n < 0 || n == target.size())  // n == size: it grew since the lstat
        return scanError(QStringLiteral("read the symbolic link"), dir.isEmpty() ? name : dir + '/' + name, n < 0 ? errno : EAGAIN);
    target.truncate(n);
    return target;
}

Result<QList<Child>> readDirectory(const QByteArray &abs)
{
    const int fd = ::open(abs.constData(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return scanError(QStringLiteral("read the directory"), abs, errno);
    DIR *dir = fdopendir(fd);
    if (!dir) {
        const int openErrno = errno;
        ::close(fd);
        return scanError(QStringLiteral("read the directory"), abs, openErrno);
    }
    const auto closeDir = qScopeGuard([dir] { closedir(dir); });
    QList<Child> children;
    errno = 0;
    while (const dirent *d = readdir(dir)) {
        if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
            children.append(Child{QByteArray(d->d_name), {}, {}});
    }
    if (errno != 0)
        return scanError(QStringLiteral("read the directory"), abs, errno);
    std::sort(children.begin(), children.end(), [](const Child &a, const Child &b) { return a.name < b.name; });

    QList<Child> present;
    present.reserve(children.size());
    for (Child &child : children) {
        if (fstatat(fd, child.name.constData(), &child.st, AT_SYMLINK_NOFOLLOW) != 0) {
            if (errno == ENOENT)
                continue;  // removed while we looked
            return scanError(QStringLiteral("inspect"), abs + '/' + child.name, errno);
        }
        if (S_ISLNK(child.st.st_mode)) {
            Result<QByteArray> target = readLinkAt(fd, child.name, child.st, abs);
            if (!target.ok())
                return target.error();
            child.linkTarget = std::move(*target);
        }
        present.append(std::move(child));
    }
    return present;
}

// Reads directories on a second thread, so that the walk's kernel time (getdents and fstatat:
// ~75 % of an unchanged-tree rebuild) runs on two cores. The walker goes depth first from the
// start and announces the subdirectories it will enter (expect); the helper starts from the other
// end: it takes the directory the walker will reach last, reads it, and goes on with that one's
// subdirectories, last first. The two meet in the middle; the walker reads what the helper has
// not (take), and waits only for a directory the helper is reading. The helper pauses while it
// holds HeldLimit children, so memory stays bounded whatever the tree. Both enter only the
// directories the mounts' PathSelection says a walk must enter, each carrying its verdict.
class DirectoryPrefetcher
{
public:
    static constexpr qsizetype HeldLimit = 16384;

    using Verdict = PathSelection::Verdict;

    // `workspace`: the absolute path the directories' paths begin with.
    DirectoryPrefetcher(const PathSelection &selection, const QByteArray &workspace)
        : m_selection(selection), m_workspaceLength(workspace.size()), m_thread([this] { work(); })
    {
    }
    ~DirectoryPrefetcher()
    {
        {
            const std::lock_guard lock(m_mutex);
            m_stopping = true;
        }
        m_changed.notify_all();
        m_thread.join();
    }
    Q_DISABLE_COPY_MOVE(DirectoryPrefetcher)

    // `children` of `dir` (just taken) that the walker will enter, in the order it will, with
    // their verdicts.
    void expect(const QByteArray &dir, const QList<std::pair<const Child *, Verdict>> &children)
    {
        {
            const std::lock_guard lock(m_mutex);
            for (auto child = children.crbegin(); child != children.crend(); ++child) {
                const QByteArray path = dir + '/' + child->first->name;
                if (m_slots.contains(path))
                    continue;  // `dir` was the helper's: it announced them itself
                m_slots.insert(path, Slot{Slot::Queued, {}, child->second});
                m_queue.push_front(path);
            }
        }
        m_changed.notify_all();
    }

    Result<QList<Child>> take(const QByteArray &abs)
    {
        std::unique_lock lock(m_mutex);
        auto slot = m_slots.find(abs);
        if (slot == m_slots.end() || slot->state == Slot::Queued) {
            if (slot != m_slots.end())
                m_slots.erase(slot);  // the helper skips it
            while (!m_queue.empty() && !m_slots.contains(m_queue.front()))
                m_queue.pop_front();  // what the walker read itself, at its end of the queue
            lock.unlock();
            return readDirectory(abs);
        }
        m_changed.wait(lock, [&] { return (slot = m_slots.find(abs))->state == Slot::Done; });
        Result<QList<Child>> result = std::move(*slot->result);
        m_held -= result.ok() ? result->size() : 0;
        m_slots.erase(slot);
        lock.unlock();
        m_changed.notify_all();
        return result;
    }

private:
    struct Slot
    {
        enum State { Queued, Running, Done } state = Queued;
        std::optional<Result<QList<Child>>> result;
        Verdict verdict;  // the directory's, among the mounts
    };

    void work()
    {
        std::unique_lock lock(m_mutex);
        for (;;) {
            m_changed.wait(lock, [this] { return m_stopping || (!m_queue.empty() && m_held < HeldLimit); });
            if (m_stopping)
                return;
            const QByteArray abs = m_queue.back();
            m_queue.pop_back();
            const auto slot = m_slots.find(abs);
            if (slot == m_slots.end() || slot->state != Slot::Queued)
                continue;  // the walker read it itself
            slot->state = Slot::Running;
            const Verdict verdict = slot->verdict;
            lock.unlock();
            Result<QList<Child>> result = readDirectory(abs);
            QList<std::pair<QByteArray, Verdict>> entered;  // what the walker will enter, as it decides
            if (result.ok()) {
                for (const Child &child : *result) {
                    if (!S_ISDIR(child.st.st_mode))
                        continue;
                    const QByteArray path = abs + '/' + child.name;
                    const Verdict v = verdict.settled ? verdict
                                                      : m_selection.verdict(verdict, QByteArrayView(path).sliced(m_workspaceLength + 1), true);
                    if (m_selection.selects(v) || v.enter)
                        entered.append({path, v});
                }
            }
            lock.lock();
            if (result.ok()) {
                m_held += result->size();
                for (const auto &[path, v] : std::as_const(entered)) {  // the last one ends up next
                    m_slots.insert(path, Slot{Slot::Queued, {}, v});
                    m_queue.push_back(path);
                }
            }
            const auto done = m_slots.find(abs);  // the walker waits for a running slot: still there
            done->result.emplace(std::move(result));
            done->state = Slot::Done;
            m_changed.notify_all();
        }
    }

    const PathSelection &m_selection;
    const qsizetype m_workspaceLength;
    std::mutex m_mutex;
    std::condition_variable m_changed;
    std::deque<QByteArray> m_queue;  // front: what the walker wants soonest; back: the helper's end
    QHash<QByteArray, Slot> m_slots;
    qsizetype m_held = 0;  // children in finished slots
    bool m_stopping = false;
    std::thread m_thread;  // last: starts once the rest is built
};

class Walker
{
public:
    using Verdict = PathSelection::Verdict;

    Walker(TreeSnapshot &snapshot, const PathSelection &selection, const Cancellation *cancel)
        : m_snapshot(snapshot), m_selection(selection), m_cancel(cancel),
          m_matched(selection.patterns().size(), false),
          m_prefetcher(selection, QFile::encodeName(snapshot.workspace))
    {
    }

    // Which patterns matched something the walk looked at.
    const QList<bool> &matched() const { return m_matched; }
    Verdict rootVerdict(const QByteArray &relative, const struct stat &st)
    {
        return m_selection.verdictFromRoot(relative, S_ISDIR(st.st_mode), &m_matched);
    }

    // Adds the entry at `abs` (already lstat'ed) as `stored` when the mounts select it (`verdict`),
    // and what they select below it when it is a directory; `relative` is its workspace-relative
    // path.
    Error visit(const QByteArray &abs, const QByteArray &stored, const QByteArray &relative, const struct stat &st,
                const QByteArray &linkTarget, const Verdict &verdict)
    {
        if (m_cancel && m_cancel->isCancelled())
            return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("scanning the mounts was cancelled"));
        if (!m_selection.selects(verdict)) {
            // Not archived; a folder only looked into when a later pattern may select something below.
            if (!S_ISDIR(st.st_mode) || !verdict.enter)
                return {};
            if (!mayAccess(st, S_IRUSR | S_IXUSR)) {
                m_snapshot.unreadable << QFile::decodeName(relative);
                return {};
            }
            return visitChildren(abs, stored, relative, false, verdict);
        }
        const quint32 mode = st.st_mode & 07777;
        if ((S_ISDIR(st.st_mode) && !mayAccess(st, S_IRUSR | S_IXUSR)) || (S_ISREG(st.st_mode) && !mayAccess(st, S_IRUSR))) {
            m_snapshot.unreadable << QFile::decodeName(relative);
            return {};
        }
        if (S_ISDIR(st.st_mode)) {
            m_snapshot.append(stored, TreeEntry::Directory, 0, st.st_mtim.tv_sec, qint32(st.st_mtim.tv_nsec), mode);
            return visitChildren(abs, stored, relative, false, verdict);
        }
        if (S_ISLNK(st.st_mode)) {
            m_snapshot.append(stored, TreeEntry::Symlink, linkTarget.size(), st.st_mtim.tv_sec, qint32(st.st_mtim.tv_nsec), mode,
                              linkTarget);
        } else if (S_ISREG(st.st_mode)) {
            if (st.st_nlink > 1) {
                const auto key = qMakePair(quint64(st.st_dev), quint64(st.st_ino));
                const auto first = m_firstLinks.constFind(key);
                if (first != m_firstLinks.constEnd()) {
                    m_snapshot.appendHardlink(stored, *first, st.st_mtim.tv_sec, qint32(st.st_mtim.tv_nsec), mode);
                    return {};
                }
                m_firstLinks.insert(key, m_snapshot.size());
            }
            m_snapshot.append(stored, TreeEntry::File, st.st_size, st.st_mtim.tv_sec, qint32(st.st_mtim.tv_nsec), mode);
            m_snapshot.setStamp(m_snapshot.size() - 1, FileStamp::of(st));
            m_snapshot.totalFileBytes += st.st_size;
            ++m_snapshot.fileCount;
        } else {
            m_snapshot.skipped << QFile::decodeName(relative);
        }
        return {};
    }

    // The children of directory `abs` (whose verdict is `verdict`), sorted by name;
    // `stored`/`relative` are their prefixes.
    Error visitChildren(const QByteArray &abs, const QByteArray &stored, const QByteArray &relative, bool workspaceRoot,
                        const Verdict &verdict)
    {
        const Result<QList<Child>> children = m_prefetcher.take(abs);
        if (!children.ok())
            return children.error();
        const auto skipped = [&](const Child &child) { return workspaceRoot && child.name.startsWith(m_reservedPrefix); };
        QList<Verdict> verdicts(children->size(), verdict);
        QList<std::pair<const Child *, Verdict>> directories;
        for (qsizetype i = 0; i < children->size(); ++i) {
            const Child &child = children->at(i);
            if (skipped(child))
                continue;
            const bool directory = S_ISDIR(child.st.st_mode);
            if (!verdict.settled)
                verdicts[i] = m_selection.verdict(verdict, joined(relative, child.name), directory, &m_matched);
            if (directory && (m_selection.selects(verdicts.at(i)) || verdicts.at(i).enter))
                directories.append({&child, verdicts.at(i)});
        }
        m_prefetcher.expect(abs, directories);
        for (qsizetype i = 0; i < children->size(); ++i) {
            const Child &child = children->at(i);
            if (skipped(child))
                continue;
            if (Error e = visit(abs + '/' + child.name, joined(stored, child.name), joined(relative, child.name), child.st,
                                child.linkTarget, verdicts.at(i)))
                return e;
        }
        return {};
    }

private:
    // Whether this process may read (`ownerBits`: S_IRUSR, with S_IXUSR for folders) what `st`
    // describes, from its permission bits: no syscall per file. Root may read anything.
    bool mayAccess(const struct stat &st, mode_t ownerBits) const
    {
        if (m_euid == 0)
            return true;
        const int shift = st.st_uid == m_euid ? 0 : m_groups.contains(st.st_gid) ? 3 : 6;
        const mode_t bits = ownerBits >> shift;
        return (st.st_mode & bits) == bits;
    }

    static QList<gid_t> processGroups()
    {
        QList<gid_t> groups(qsizetype(std::max(getgroups(0, nullptr), 0)));
        groups.resize(qsizetype(std::max(getgroups(int(groups.size()), groups.data()), 0)));
        groups.append(getegid());
        return groups;
    }

    TreeSnapshot &m_snapshot;
    const PathSelection &m_selection;
    const Cancellation *m_cancel;
    QList<bool> m_matched;  // per pattern
    const uid_t m_euid = geteuid();
    const QList<gid_t> m_groups = processGroups();
    const QByteArray m_reservedPrefix = QFile::encodeName(reservedPrefix());
    QHash<QPair<quint64, quint64>, qsizetype> m_firstLinks;  // (device, inode) -> entry of its first link
    DirectoryPrefetcher m_prefetcher;
};

enum class HashOutcome : quint8 { Unstable, Hashed, Cancelled };

constexpr qsizetype HashBlock = 1024 * 1024;

// Reads and digests the file at `abs` if it still is what the scan saw: its fstat before and
// after reading must equal `expected` (the scan's lstat), and it must give exactly that many bytes.
HashOutcome hashFile(const QByteArray &abs, const FileStamp &expected, QByteArray &buffer, const Cancellation *cancel,
                     Digest *digest)
{
    const int fd = ::open(abs.constData(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        Log::debug(QStringLiteral("cannot hash %1: %2").arg(QFile::decodeName(abs), QString::fromLocal8Bit(strerror(errno))));
        return HashOutcome::Unstable;
    }
    const auto closeFile = qScopeGuard([fd] { ::close(fd); });
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !(FileStamp::of(st) == expected)) {
        Log::debug(QStringLiteral("%1 changed since the scan").arg(QFile::decodeName(abs)));
        return HashOutcome::Unstable;
    }
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    ContentDigest hash;
    qint64 total = 0;
    // A file with holes (fewer blocks than its size needs, as the archive writer decides) is
    // digested by its data regions: "sparse", then per region its offset, length and bytes. The
    // holes are never read (a 10 TiB file of holes costs a few lseek calls); its size, in the
    // fingerprint line, fixes the zeros. The same bytes with another hole layout digest
    // differently: one upload more, never one less.
    if (expected.size >= HashBlock && qint64(st.st_blocks) * 512 < expected.size) {
        hash.addData("s3cache-sparse\n");
        for (off_t at = 0; at < expected.size;) {
            const off_t data = lseek(fd, at, SEEK_DATA);
            if (data < 0)
                break;  // ENXIO: only a hole is left
            const off_t hole = std::min<off_t>(lseek(fd, data, SEEK_HOLE), expected.size);
            if (hole <= data)
                break;
            const qint64 region[2] = {qToLittleEndian(qint64(data)), qToLittleEndian(qint64(hole - data))};
            hash.addData(reinterpret_cast<const char *>(region), sizeof region);
            for (off_t offset = data; offset < hole;) {
                if (cancel && cancel->isCancelled())
                    return HashOutcome::Cancelled;
                const ssize_t n = ::pread(fd, buffer.data(), size_t(std::min<off_t>(buffer.size(), hole - offset)), offset);
                if (n < 0 && errno == EINTR)
                    continue;
                if (n <= 0) {
                    Log::debug(QStringLiteral("cannot hash %1: %2").arg(QFile::decodeName(abs), n < 0 ? QString::fromLocal8Bit(strerror(errno)) : QStringLiteral("it shrank")));
                    return HashOutcome::Unstable;
                }
                hash.addData(buffer.constData(), n);
                offset += n;
            }
            at = hole;
        }
        total = expected.size;  // the fstat below tells whether it changed meanwhile
    }
    for (; total < expected.size || expected.size == 0;) {
        if (cancel && cancel->isCancelled())
            return HashOutcome::Cancelled;
        const ssize_t n = ::read(fd, buffer.data(), size_t(buffer.size()));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            Log::debug(QStringLiteral("cannot hash %1: %2").arg(QFile::decodeName(abs), QString::fromLocal8Bit(strerror(errno))));
            return HashOutcome::Unstable;
        }
        if (n == 0)
            break;
        hash.addData(buffer.constData(), n);
        total += n;
    }
    if (total == expected.size && expected.size > 0) {  // one more byte would mean it grew
        char extra;
        if (::pread(fd, &extra, 1, off_t(total)) > 0)
            total += 1;
    }
    if (fstat(fd, &st) != 0 || !(FileStamp::of(st) == expected) || total != expected.size) {
        Log::debug(QStringLiteral("%1 changed while it was hashed").arg(QFile::decodeName(abs)));
        return HashOutcome::Unstable;
    }
    *digest = hash.digest();
    return HashOutcome::Hashed;
}

// Gives every File entry of `snapshot` its digest (see scanMounts()); `floor` is the clock read
// before the scan began.
Error digestContents(TreeSnapshot &snapshot, ContentState *state, qint64 floor, const Cancellation *cancel)
{
    QList<std::pair<qsizetype, Digest>> known;  // files whose digest the state had
    QList<qsizetype> pending;
    qint64 pendingBytes = 0;
    for (qsizetype i = 0; i < snapshot.size(); ++i) {
        const TreeEntry e = snapshot.at(i);
        if (e.type != TreeEntry::File)
            continue;
        if (state) {
            if (const std::optional<Digest> digest = state->find(e.source, snapshot.stamp(i))) {
                snapshot.setDigest(i, *digest);
                known.append({i, *digest});
                continue;
            }
        }
        pending << i;
        pendingBytes += e.size;
    }
    snapshot.filesFromState = int(known.size());
    // The unchanged tree: every file known and nothing else recorded, so the state stays as it is.
    if (state && pending.isEmpty() && known.size() == state->size()) {
        snapshot.stateChanged = false;
        return {};
    }

    // Two threads pay off once there is more than a little to read: an unchanged 500 MiB / 20,000-file
    // tree without a state took 0.56-0.60 s with one, 0.38-0.42 s with two (bench/README.md).
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    const int threads = pending.size() >= 2 && pendingBytes >= 4 * HashBlock ? int(std::min(2u, cores)) : 1;
    QList<HashOutcome> outcomes(pending.size(), HashOutcome::Unstable);
    QList<Digest> digests(pending.size());
    // The workers only read the snapshot and write their own slots of these two.
    HashOutcome *const outcomeSlots = outcomes.data();
    Digest *const digestSlots = digests.data();
    const TreeSnapshot &scanned = snapshot;
    std::atomic<qsizetype> next{0};
    std::atomic<bool> stop{false};
    const auto work = [&] {
        QByteArray buffer(HashBlock, Qt::Uninitialized);
        for (qsizetype k; !stop.load(std::memory_order_relaxed) && (k = next.fetch_add(1)) < pending.size();) {
            const qsizetype index = pending.at(k);
            outcomeSlots[k] = hashFile(scanned.sourcePath(scanned.at(index)), scanned.stamp(index), buffer, cancel, &digestSlots[k]);
            if (outcomeSlots[k] == HashOutcome::Cancelled)
                stop = true;
        }
    };
    {
        std::vector<std::thread> helpers;
        for (int t = 1; t < threads; ++t)
            helpers.emplace_back(work);
        work();
        for (std::thread &helper : helpers)
            helper.join();
    }
    if (stop)  // a cancel after the last block changes nothing: the digests are complete
        return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("scanning the mounts was cancelled"));

    ContentState learned;
    if (state) {
        learned.reserve(snapshot.fileCount);
        for (const auto &[index, digest] : known)
            learned.insert(snapshot.at(index).source, snapshot.stamp(index), digest);
    }
    QSet<QByteArray> unrecorded;  // files of this scan without a new record: their old one must go
    for (qsizetype k = 0; k < pending.size(); ++k) {
        const qsizetype index = pending.at(k);
        const TreeEntry e = snapshot.at(index);
        const bool hashed = outcomes.at(k) == HashOutcome::Hashed;
        if (hashed) {
            snapshot.setDigest(index, digests.at(k));
            ++snapshot.filesHashed;
            snapshot.bytesHashed += e.size;
        }
        if (!state)
            continue;
        if (hashed && ContentState::settled(snapshot.stamp(index), floor))
            learned.insert(e.source, snapshot.stamp(index), digests.at(k));
        else
            unrecorded.insert(e.source.toByteArray());
    }
    if (state) {
        learned.finish();
        const QByteArray workspace = QFile::encodeName(snapshot.workspace) + '/';
        learned.adoptFrom(*state, [&](QByteArrayView path) {
            struct stat st;
            return !unrecorded.contains(path.toByteArray())
                && lstat((workspace + path.toByteArray()).constData(), &st) == 0 && S_ISREG(st.st_mode);
        });
        learned.finish();
        snapshot.stateChanged = !(learned == *state);
        *state = std::move(learned);
    }
    return {};
}

} // namespace

qsizetype TreeSnapshot::store(QByteArrayView bytes)
{
    const qsizetype offset = m_strings.size();
    m_strings.append(bytes);
    return offset;
}

void TreeSnapshot::append(QByteArrayView path, TreeEntry::Type type, qint64 size, qint64 mtime, qint32 mtimeNsec,
                          quint32 mode, QByteArrayView linkTarget)
{
    Record r;
    r.pathOffset = store(path);
    r.pathLength = quint32(path.size());
    r.linkOffset = store(linkTarget);
    r.linkLength = quint32(linkTarget.size());
    r.type = type;
    r.size = size;
    r.mtime = mtime;
    r.mtimeNsec = mtimeNsec;
    r.mode = quint16(mode);
    m_records.append(r);
    m_stamps.append(FileStamp{});
}

void TreeSnapshot::appendHardlink(QByteArrayView path, qsizetype firstLink, qint64 mtime, qint32 mtimeNsec, quint32 mode)
{
    const Record &first = m_records.at(firstLink);
    Record r;
    r.pathOffset = store(path);
    r.pathLength = quint32(path.size());
    r.linkOffset = first.pathOffset;
    r.linkLength = first.pathLength;
    r.type = TreeEntry::Hardlink;
    r.mtime = mtime;
    r.mtimeNsec = mtimeNsec;
    r.mode = quint16(mode);
    m_records.append(r);
    m_stamps.append(FileStamp{});
}

TreeEntry TreeSnapshot::at(qsizetype index) const
{
    const Record &r = m_records.at(index);
    TreeEntry e;
    e.path = QByteArrayView(m_strings.constData() + r.pathOffset, r.pathLength);
    e.linkTarget = QByteArrayView(m_strings.constData() + r.linkOffset, r.linkLength);
    const auto source = m_sources.constFind(index);
    e.source = source == m_sources.constEnd() ? e.path : QByteArrayView(*source);
    e.type = r.type;
    e.size = r.size;
    e.mtime = r.mtime;
    e.mtimeNsec = r.mtimeNsec;
    e.mode = r.mode;
    return e;
}

QByteArray TreeSnapshot::sourcePath(const TreeEntry &entry) const
{
    return QFile::encodeName(workspace) + '/' + entry.source.toByteArray();
}

QByteArray TreeSnapshot::contentDigest(qsizetype index) const
{
    const Record &r = m_records.at(index);
    return r.type == TreeEntry::File && r.hasDigest ? digestHex(r.digest) : QByteArray();
}

QByteArray TreeSnapshot::fingerprint() const
{
    // v2: v1 (metadata only) plus each regular file's content digest. One line an entry, written
    // into one reused buffer (this runs on every rebuild, unchanged or not: ~20,000 entries).
    Sha256 hash;
    hash.addData("s3cache-tree-v2\n");
    if (m_unhashedMarker.isEmpty() && std::any_of(m_records.cbegin(), m_records.cend(), [](const Record &r) {
            return r.type == TreeEntry::File && !r.hasDigest;
        })) {
        quint64 nonce[2];
        QRandomGenerator::system()->fillRange(nonce);
        m_unhashedMarker = "unhashed-" + QByteArray(reinterpret_cast<const char *>(nonce), sizeof nonce).toHex();
    }
    constexpr qsizetype numbers = 4 * 24 + 8;  // four numbers and the separators
    QByteArray line;
    for (const Record &r : m_records) {
        const qsizetype most = qsizetype(r.pathLength) + r.linkLength + numbers + 2 * qsizetype(sizeof r.digest)
            + m_unhashedMarker.size();
        if (line.size() < most)
            line.resize(most);
        char *const begin = line.data();
        char *const end = begin + most;
        char *p = std::copy_n(m_strings.constData() + r.pathOffset, r.pathLength, begin);
        *p++ = '\0';
        p = std::to_chars(p, end, int(r.type)).ptr;
        *p++ = '\0';
        p = std::to_chars(p, end, r.size).ptr;
        *p++ = '\0';
        p = std::to_chars(p, end, r.mtime).ptr;
        *p++ = '\0';
        p = std::to_chars(p, end, r.mode, 8).ptr;
        *p++ = '\0';
        p = std::copy_n(m_strings.constData() + r.linkOffset, r.linkLength, p);
        if (r.type == TreeEntry::File) {
            *p++ = '\0';
            if (r.hasDigest) {
                static constexpr char hex[] = "0123456789abcdef";
                for (const unsigned char byte : r.digest) {
                    *p++ = hex[byte >> 4];
                    *p++ = hex[byte & 0xf];
                }
            } else {
                p = std::copy_n(m_unhashedMarker.constData(), m_unhashedMarker.size(), p);
            }
        }
        *p++ = '\n';
        hash.addData(QByteArrayView(begin, p - begin));
    }
    return hash.hexResult();
}

Result<TreeSnapshot> scanMounts(const QString &workspace, const QStringList &mounts, bool preservePath,
                                const Cancellation *cancel, ContentState *state)
{
    const qint64 floor = ContentState::clockFloor();  // before any lstat (contentstate.h)
    TreeSnapshot snapshot;
    snapshot.workspace = QDir::cleanPath(QDir(workspace).absolutePath());
    struct stat wsStat;
    if (stat(QFile::encodeName(snapshot.workspace).constData(), &wsStat) != 0 || !S_ISDIR(wsStat.st_mode))
        return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidWorkspace"),
                     QStringLiteral("workspace %1 is not a directory").arg(snapshot.workspace));

    for (const QString &given : mounts) {
        if (given.isEmpty())
            return invalidMount(QStringLiteral("\"\""), QStringLiteral("is empty"));
        qsizetype bangs = 0;  // a leading '!' excludes (util/pathglob.h)
        while (bangs < given.size() && given.at(bangs) == u'!')
            ++bangs;
        if (given.mid(bangs).startsWith(u'/'))
            return invalidMount(given, QStringLiteral("is an absolute path; mounts are relative to the workspace"));
    }
    const Result<PathSelection> selection = PathSelection::compile(mounts);
    if (!selection.ok())
        return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidMount"), QStringLiteral("mount ") + selection.error().message());
    const QList<PathSelection::Pattern> &patterns = selection->patterns();

    // Where the walk starts: each literal include, and each glob's literal folder (base()).
    QList<Mount> found;
    QList<bool> missing(patterns.size(), false);
    for (qsizetype index = 0; index < patterns.size(); ++index) {
        const PathSelection::Pattern &pattern = patterns.at(index);
        if (pattern.exclude)
            continue;
        const bool literal = pattern.glob.isLiteral();
        Mount mount{pattern.given, literal ? pattern.glob.text() : pattern.glob.base(), {}, {}};
        const QStringList parts = mount.rel.split(u'/', Qt::SkipEmptyParts);
        QString prefix;
        for (qsizetype i = 0; i < parts.size() && !missing.at(index); ++i) {
            prefix += (prefix.isEmpty() ? QString() : QStringLiteral("/")) + parts.at(i);
            const QByteArray abs = QFile::encodeName(snapshot.workspace + u'/' + prefix);
            const bool through = i + 1 < parts.size() || !literal;  // a glob goes through its base
            if (lstat(abs.constData(), &mount.st) != 0) {
                if (errno != ENOENT && errno != ENOTDIR)
                    return scanError(QStringLiteral("inspect"), abs, errno);
                missing[index] = true;
            } else if (through && S_ISLNK(mount.st.st_mode)) {
                return invalidMount(pattern.given, QStringLiteral("passes through the symbolic link %1").arg(prefix));
            } else if (through && !S_ISDIR(mount.st.st_mode)) {
                missing[index] = true;
            }
        }
        if (parts.isEmpty())
            mount.st = wsStat;
        mount.stored = S_ISDIR(mount.st.st_mode) || preservePath || !literal
            ? mount.rel : mount.rel.mid(mount.rel.lastIndexOf(u'/') + 1);
        if (!missing.at(index))
            found << mount;
    }

    // Nested and duplicate mounts are archived once, under the outermost mount.
    std::sort(found.begin(), found.end(), [](const Mount &a, const Mount &b) { return a.rel < b.rel; });
    QList<Mount> kept;
    for (const Mount &m : found) {
        if (kept.isEmpty() || !covers(kept.last().rel, m.rel))
            kept << m;
    }
    // What is left cannot nest on disk; only a file mount stored by its base name can land on
    // another mount's stored path.
    std::stable_sort(kept.begin(), kept.end(), [](const Mount &a, const Mount &b) { return a.stored < b.stored; });
    for (qsizetype i = 1; i < kept.size(); ++i) {
        if (kept.at(i).stored == kept.at(i - 1).stored)
            return Error(ErrorKind::InvalidInput, QStringLiteral("InvalidMount"),
                         QStringLiteral("two mounts would both be stored as %1 (%2)").arg(kept.at(i).stored, kept.at(i).rel));
    }

    // One walk below each start; what is archived is what the patterns select (excludes included),
    // and only folders where something may be selected are read.
    Walker walker(snapshot, *selection, cancel);
    for (const Mount &m : kept) {
        const QByteArray rel = QFile::encodeName(m.rel);
        const QByteArray abs = QFile::encodeName(snapshot.workspace) + (rel.isEmpty() ? QByteArray() : '/' + rel);
        const PathSelection::Verdict verdict = walker.rootVerdict(rel, m.st);
        if (rel.isEmpty()) {
            if (selection->selects(verdict) || verdict.enter) {
                if (Error e = walker.visitChildren(abs, QByteArray(), QByteArray(), true, verdict))
                    return e;
            }
            continue;
        }
        QByteArray linkTarget;
        if (S_ISLNK(m.st.st_mode)) {
            Result<QByteArray> target = readLinkAt(AT_FDCWD, abs, m.st, {});
            if (!target.ok())
                return target.error();
            linkTarget = std::move(*target);
        }
        const QByteArray stored = QFile::encodeName(m.stored);
        const qsizetype first = snapshot.size();
        if (Error e = walker.visit(abs, stored, rel, m.st, linkTarget, verdict))
            return e;
        if (stored != rel && snapshot.size() > first)
            snapshot.setSource(first, rel);
    }

    // A glob that selected nothing is reported like a mount that does not exist. The walk does
    // not match a pattern below a folder a later pattern decides alone; what it archived there
    // counts too. An exclude that matched nothing is worth a debug line only.
    QList<bool> matched = walker.matched();
    for (qsizetype index = 0; index < patterns.size(); ++index) {
        const PathSelection::Pattern &pattern = patterns.at(index);
        if (matched.at(index) || missing.at(index) || (!pattern.exclude && pattern.glob.isLiteral()))
            continue;
        if (pattern.exclude) {
            Log::debug(QStringLiteral("mount %1 excludes nothing the walk looked at").arg(pattern.given));
            continue;
        }
        for (qsizetype e = 0; e < snapshot.size() && !matched.at(index); ++e) {
            const TreeEntry entry = snapshot.at(e);
            matched[index] = pattern.glob.matches(entry.source, entry.type == TreeEntry::Directory);
        }
        missing[index] = !matched.at(index);
    }
    for (qsizetype index = 0; index < patterns.size(); ++index) {
        if (missing.at(index))
            snapshot.missingMounts << patterns.at(index).given;
    }
    if (Error e = digestContents(snapshot, state, floor, cancel))
        return e;
    snapshot.dropStamps();  // a rebuild keeps the snapshot through the upload, which needs no stamps
    return snapshot;
}

} // namespace s3cache
