#include "mergejournal.h"

#include "archiveio.h"
#include "fsname.h"
#include "safeextractor.h"


#include <QByteArray>
#include <QDir>
#include <QFile>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace s3cache {

namespace {

QByteArray fsPath(const QString &path)
{
    return fsNameToBytes(path);
}

QByteArray encode(const QString &path)
{
    return fsPath(path).toPercentEncoding("/");
}

QString decode(const QByteArray &field)
{
    return fsNameFromBytes(QByteArray::fromPercentEncoding(field));
}

QByteArray timeField(const struct timespec &t)
{
    return QByteArray::number(qint64(t.tv_sec)) + '.' + QByteArray::number(qint64(t.tv_nsec));
}

struct timespec parseTime(const QByteArray &field)
{
    const qsizetype dot = field.indexOf('.');
    return {time_t(field.left(dot).toLongLong()), long(field.mid(dot + 1).toLong())};
}

// Test hook (tests/e2e): kill this process with SIGKILL right after writing journal line N, so
// that a test can stop a restore at a fixed point of its merge.
int killAfterLine()
{
    static const int line = qEnvironmentVariableIntValue("S3CACHE_TEST_KILL_AFTER_JOURNAL_LINE");
    return line;
}

} // namespace

QList<QByteArray> directoryNames(const QByteArray &path, int *errnum)
{
    QList<QByteArray> names;
    DIR *dir = opendir(path.constData());
    if (!dir) {
        *errnum = errno;
        return names;
    }
    while (const dirent *d = readdir(dir)) {
        if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0)
            names << QByteArray(d->d_name);
    }
    closedir(dir);
    *errnum = 0;
    std::sort(names.begin(), names.end());
    return names;
}

namespace {

bool exists(const QString &path)
{
    struct stat st;
    return lstat(fsPath(path).constData(), &st) == 0;
}

QList<MergeStep> parseJournal(const QByteArray &text)
{
    QList<MergeStep> steps;
    for (const QByteArray &line : text.split('\n')) {
        const QList<QByteArray> f = line.split(' ');
        MergeStep s;
        if (f.value(0) == "in" && f.size() == 3) {
            s = {MergeStep::In, decode(f[1]), decode(f[2])};
        } else if (f.value(0) == "aside" && f.size() == 4) {
            s = {MergeStep::Aside, decode(f[1]), decode(f[2]), f[3].toUInt(nullptr, 8)};
        } else if (f.value(0) == "merged" && f.size() == 5) {
            s = {MergeStep::Merged, decode(f[1]), QString(), f[2].toUInt(nullptr, 8), parseTime(f[3]), parseTime(f[4])};
        } else if (f.value(0) == "staging" && f.size() == 2) {
            s = {MergeStep::Staging, decode(f[1])};
        } else if (f.value(0) == "committed") {
            s.op = MergeStep::Committed;
        } else {
            continue;  // the line a kill cut short
        }
        steps << s;
    }
    return steps;
}

} // namespace

bool removeTree(const QByteArray &path, dev_t device)
{
    struct stat st;
    if (lstat(path.constData(), &st) != 0)
        return errno == ENOENT;
    if (device != 0 && st.st_dev != device)
        return false;
    if (!S_ISDIR(st.st_mode))
        return unlink(path.constData()) == 0 || errno == ENOENT;
    if ((st.st_mode & S_IRWXU) != S_IRWXU)
        chmod(path.constData(), (st.st_mode & 07777) | S_IRWXU);
    int errnum = 0;
    bool ok = true;
    for (const QByteArray &name : directoryNames(path, &errnum))
        ok = removeTree(path + '/' + name, st.st_dev) && ok;
    return rmdir(path.constData()) == 0 && ok && errnum == 0;
}

MergeJournal::~MergeJournal()
{
    if (m_fd >= 0)
        ::close(m_fd);  // releases the lock
}

bool MergeJournal::open(const QString &path)
{
    m_fd = ::open(fsPath(path).constData(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    return m_fd >= 0 && flock(m_fd, LOCK_EX | LOCK_NB) == 0;
}

bool MergeJournal::write(const MergeStep &s)
{
    QByteArray line;
    switch (s.op) {
    case MergeStep::In: line = "in " + encode(s.target) + ' ' + encode(s.kept); break;
    case MergeStep::Aside: line = "aside " + encode(s.target) + ' ' + encode(s.kept) + ' ' + QByteArray::number(s.mode, 8); break;
    case MergeStep::Merged:
        line = "merged " + encode(s.target) + ' ' + QByteArray::number(s.mode, 8) + ' ' + timeField(s.atime) + ' ' + timeField(s.mtime);
        break;
    case MergeStep::Staging: line = "staging " + encode(s.target); break;
    case MergeStep::Committed: line = "committed"; break;
    }
    line += '\n';
    // One write() per line, appended: a kill leaves whole lines and at most one cut-off last line.
    if (::write(m_fd, line.constData(), size_t(line.size())) != line.size())
        return false;
    m_steps << s;
    if (killAfterLine() == m_steps.size())
        ::kill(::getpid(), SIGKILL);
    return true;
}

QStringList rollBackSteps(const QList<MergeStep> &steps, WarningSink *warnings)
{
    QStringList failed;
    const auto fail = [&](const QString &path) {
        failed << path;
        reportWarning(warnings, QStringLiteral("could not undo the restore of %1: %2").arg(path, QString::fromLocal8Bit(strerror(errno))));
    };
    for (auto it = steps.crbegin(); it != steps.crend(); ++it) {
        const QByteArray target = fsPath(it->target);
        switch (it->op) {
        case MergeStep::In:
            // Carried out when the staged entry is gone and the target is there.
            if (!exists(it->kept) && exists(it->target) && rename(target.constData(), fsPath(it->kept).constData()) != 0)
                fail(it->target);
            break;
        case MergeStep::Aside:
            if (exists(it->kept) && rename(fsPath(it->kept).constData(), target.constData()) != 0) {
                fail(it->target);
                break;
            }
            if (struct stat st; lstat(target.constData(), &st) == 0 && S_ISDIR(st.st_mode))
                chmod(target.constData(), it->mode);  // made writable to be moved
            break;
        case MergeStep::Merged: {
            const struct timespec times[2] = {it->atime, it->mtime};
            if (exists(it->target)
                && (chmod(target.constData(), it->mode) != 0 || utimensat(AT_FDCWD, target.constData(), times, AT_SYMLINK_NOFOLLOW) != 0))
                fail(it->target);
            break;
        }
        case MergeStep::Staging:
        case MergeStep::Committed:
            break;
        }
    }
    return failed;
}

void recoverInterruptedRestores(const QString &workspace, WarningSink *warnings)
{
    const QString root = QDir(workspace).canonicalPath();
    if (root.isEmpty())
        return;
    const QStringList stagings = QDir(root).entryList({stagingPrefix() + u'*'}, QDir::Dirs | QDir::Hidden | QDir::NoDotAndDotDot);
    for (const QString &name : stagings) {
        const QString staging = root + u'/' + name;
        const QString journalPath = staging + QStringLiteral("/journal");
        const int fd = ::open(fsPath(journalPath).constData(), O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            // No journal: killed before its merge began (nothing moved), or left by an s3cache
            // before 0.2 whose replaced originals cannot be placed again.
            int errnum = 0;
            if (!directoryNames(fsPath(staging + QStringLiteral("/replaced")), &errnum).isEmpty()) {
                reportWarning(warnings, QStringLiteral("%1 holds files that an interrupted restore moved aside; it is left for you to "
                                         "look at (remove it when done)").arg(staging));
                continue;
            }
            removeTree(fsPath(staging));
            continue;
        }
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            ::close(fd);  // a restore running right now
            continue;
        }
        QFile file;
        QByteArray text;
        if (file.open(fd, QIODevice::ReadOnly, QFileDevice::DontCloseHandle))
            text = file.readAll();
        const QList<MergeStep> steps = parseJournal(text);
        const bool committed = !steps.isEmpty() && steps.last().op == MergeStep::Committed;
        const QStringList failed = committed ? QStringList() : rollBackSteps(steps, warnings);
        if (!committed) {
            const qsizetype moved = std::count_if(steps.cbegin(), steps.cend(), [](const MergeStep &s) { return s.op == MergeStep::In; });
            reportWarning(warnings, QStringLiteral("rolled back a restore into %1 that was interrupted (%2 paths put back as they were)")
                          .arg(root, QString::number(moved)));
        }
        if (!failed.isEmpty()) {
            ::close(fd);
            reportWarning(warnings, QStringLiteral("the originals that could not be put back are kept in %1").arg(staging));
            continue;
        }
        for (const MergeStep &s : steps) {
            if (s.op == MergeStep::Staging && !removeTree(fsPath(s.target)))
                reportWarning(warnings, QStringLiteral("could not remove the staging directory %1").arg(s.target));
        }
        if (!removeTree(fsPath(staging)))
            reportWarning(warnings, QStringLiteral("could not remove the staging directory %1").arg(staging));
        ::close(fd);
    }
}

} // namespace s3cache
