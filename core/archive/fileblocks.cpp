#include "fileblocks.h"

#include "archiveio.h"


#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace s3cache {

namespace {

class FileDescriptor
{
public:
    explicit FileDescriptor(int fd) : m_fd(fd) {}
    ~FileDescriptor()
    {
        if (m_fd >= 0)
            ::close(m_fd);
    }
    Q_DISABLE_COPY_MOVE(FileDescriptor)
    int get() const { return m_fd; }

private:
    int m_fd;
};

Error readError(const QString &path, int errnum)
{
    return Error(ErrorKind::Io, QStringLiteral("ReadFailed"),
                 QStringLiteral("cannot read %1: %2").arg(path, QString::fromLocal8Bit(strerror(errnum))));
}

} // namespace

QList<FileRegion> sparseRegions(const QByteArray &path, qint64 size)
{
    FileDescriptor fd(::open(path.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    struct stat st;
    QList<FileRegion> regions;
    // Fewer blocks than the size needs: holes (a compressed or inline file system may say so too,
    // and then SEEK_DATA finds one region: the file is archived whole).
    if (fd.get() < 0 || fstat(fd.get(), &st) != 0 || qint64(st.st_blocks) * 512 >= std::min<qint64>(size, st.st_size))
        return regions;
    for (off_t at = 0; at < size;) {
        const off_t data = lseek(fd.get(), at, SEEK_DATA);
        if (data < 0)
            break;  // ENXIO: only a hole is left
        const off_t hole = std::min<off_t>(lseek(fd.get(), data, SEEK_HOLE), size);
        if (hole <= data)
            break;
        regions.append({qint64(data), qint64(hole - data)});
        at = hole;
    }
    if (regions.size() == 1 && regions.first().offset == 0 && regions.first().length == size)
        regions.clear();
    else if (regions.isEmpty())
        regions.append({size, 0});  // all hole: one empty region marks the file sparse
    return regions;
}

Error readFileBlocks(const QByteArray &path, qint64 size, QByteArray &buffer, const Cancellation *cancel, WarningSink *warnings,
                     const BlockConsumer &consume, qint64 offset)
{
    const auto shown = [&path] { return QFile::decodeName(path); };
    if (buffer.size() < ArchiveBlockSize)
        buffer.resize(ArchiveBlockSize);
    FileDescriptor fd(::open(path.constData(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
    qint64 available = 0;  // bytes the file can give us, at most size
    if (fd.get() < 0) {
        if (errno != ENOENT && errno != ELOOP)
            return readError(shown(), errno);
        reportWarning(warnings, QStringLiteral("%1 is gone since the scan: archived as %2 zero bytes").arg(shown(), QString::number(size)));
    } else {
        struct stat st;
        if (fstat(fd.get(), &st) != 0)
            return readError(shown(), errno);
        if (offset == 0 && st.st_size != size)
            reportWarning(warnings, QStringLiteral("%1 changed size since the scan (%2 -> %3 bytes): archived with the scanned size")
                          .arg(shown(), QString::number(size), QString::number(st.st_size)));
        available = std::clamp<qint64>(st.st_size - offset, 0, size);
        if (available > ArchiveBlockSize)  // one read takes a smaller file: no syscall for the hint
            posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    }

    qint64 done = 0;
    while (done < size) {
        if (cancel && cancel->isCancelled())
            return Error(ErrorKind::Cancelled, QStringLiteral("Cancelled"), QStringLiteral("archiving was cancelled"));
        const qint64 want = std::min<qint64>(buffer.size(), size - done);
        qint64 got = 0;
        while (done + got < available && got < want) {
            const ssize_t n = ::pread(fd.get(), buffer.data() + got, size_t(std::min(want, available - done) - got),
                                      off_t(offset + done + got));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return readError(shown(), errno);
            if (n == 0) {
                reportWarning(warnings, QStringLiteral("%1 shrank while it was archived: padded with zero bytes").arg(shown()));
                available = done + got;
                break;
            }
            got += n;
        }
        memset(buffer.data() + got, 0, size_t(want - got));
        if (Error e = consume(buffer.constData(), want))
            return e;
        done += want;
    }
    return {};
}

} // namespace s3cache
