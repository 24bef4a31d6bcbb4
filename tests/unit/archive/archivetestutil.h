#pragma once
// Helpers shared by the archive tests: devices that behave like the real streams (sequential,
// blocking, bounded), tree builders, and a comparable description of a tree on disk.

#include <QByteArray>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QMap>
#include <QMutex>
#include <QProcess>
#include <QString>
#include <QTest>
#include <QWaitCondition>

#include <algorithm>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

namespace archivetest {

inline QByteArray fs(const QString &path)
{
    return QFile::encodeName(path);
}

inline bool writeFile(const QString &path, const QByteArray &data, int mode = 0644)
{
    QDir().mkpath(QFileInfo(path).path());
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(data) != data.size())
        return false;
    f.close();
    return chmod(fs(path).constData(), mode_t(mode)) == 0;
}

inline QByteArray readFile(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray("<unreadable>");
}

inline bool setMtime(const QString &path, qint64 seconds)
{
    const struct timespec times[2] = {{time_t(seconds), 0}, {time_t(seconds), 0}};
    return utimensat(AT_FDCWD, fs(path).constData(), times, AT_SYMLINK_NOFOLLOW) == 0;
}

// One line per path below `root`: type, mode, mtime, size, content hash or link target, and for
// files with several links the other names of the same inode that are inside `root`.
inline QMap<QString, QString> describeTree(const QString &root, bool withMtimes = true)
{
    QMap<QString, QString> out;
    QMap<QPair<quint64, quint64>, QStringList> inodes;
    std::function<void(const QString &)> walk = [&](const QString &rel) {
        const QString abs = rel.isEmpty() ? root : root + u'/' + rel;
        const QStringList names = QDir(abs).entryList(QDir::AllEntries | QDir::Hidden | QDir::System | QDir::NoDotAndDotDot, QDir::Name);
        for (const QString &name : names) {
            const QString childRel = rel.isEmpty() ? name : rel + u'/' + name;
            const QString child = root + u'/' + childRel;
            struct stat st;
            if (lstat(fs(child).constData(), &st) != 0) {
                out.insert(childRel, QStringLiteral("<lstat failed>"));
                continue;
            }
            QString line = QStringLiteral("mode=%1").arg(st.st_mode & 07777, 4, 8, QLatin1Char('0'));
            if (withMtimes && !S_ISLNK(st.st_mode))
                line += QStringLiteral(" mtime=%1").arg(qint64(st.st_mtim.tv_sec));
            if (S_ISDIR(st.st_mode)) {
                out.insert(childRel, QStringLiteral("dir ") + line);
                walk(childRel);
            } else if (S_ISLNK(st.st_mode)) {
                QByteArray target(4096, '\0');
                const ssize_t n = readlink(fs(child).constData(), target.data(), size_t(target.size()));
                out.insert(childRel, QStringLiteral("link -> ") + QString::fromUtf8(target.left(std::max<ssize_t>(n, 0))));
            } else {
                QFile f(child);
                QCryptographicHash hash(QCryptographicHash::Md5);
                if (f.open(QIODevice::ReadOnly))
                    hash.addData(&f);
                out.insert(childRel, QStringLiteral("file size=%1 %2 md5=%3").arg(st.st_size).arg(line, QString::fromLatin1(hash.result().toHex().left(16))));
                if (st.st_nlink > 1)
                    inodes[qMakePair(quint64(st.st_dev), quint64(st.st_ino))] << childRel;
            }
        }
    };
    walk(QString());
    for (const QStringList &group : std::as_const(inodes)) {
        for (const QString &path : group.size() > 1 ? group : QStringList())
            out[path] += QStringLiteral(" links=") + group.join(u',');
    }
    return out;
}

// The differences between two tree descriptions, one line each ("" when equal).
inline QString treeDifferences(const QMap<QString, QString> &actual, const QMap<QString, QString> &expected)
{
    QStringList lines;
    for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
        if (!actual.contains(it.key()))
            lines << QStringLiteral("missing %1 (%2)").arg(it.key(), it.value());
        else if (actual.value(it.key()) != it.value())
            lines << QStringLiteral("%1: %2, expected %3").arg(it.key(), actual.value(it.key()), it.value());
    }
    for (auto it = actual.cbegin(); it != actual.cend(); ++it) {
        if (!expected.contains(it.key()))
            lines << QStringLiteral("unexpected %1 (%2)").arg(it.key(), it.value());
    }
    return lines.join(u'\n');
}

// Peak resident set size of this process so far, in bytes.
inline qint64 peakRss()
{
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    return qint64(usage.ru_maxrss) * 1024;
}

// A bounded in-process pipe between two threads, like an upload or a download: write() blocks
// while `capacity` bytes are waiting, read() blocks until data arrives or the writer closes.
class Pipe
{
public:
    explicit Pipe(qint64 capacity) : m_capacity(capacity) {}

    qint64 push(const char *data, qint64 len)
    {
        QMutexLocker lock(&m_mutex);
        m_maxWrite = std::max(m_maxWrite, len);
        m_hash.addData(QByteArrayView(data, len));
        qint64 done = 0;
        while (done < len) {
            while (m_buffer.size() - m_readPos >= m_capacity && !m_readerGone)
                m_changed.wait(&m_mutex);
            if (m_readerGone)
                return -1;
            const qint64 n = std::min(len - done, m_capacity - (m_buffer.size() - m_readPos));
            m_buffer.append(data + done, n);
            done += n;
            m_changed.wakeAll();
        }
        return len;
    }
    qint64 pull(char *data, qint64 max)
    {
        QMutexLocker lock(&m_mutex);
        m_maxRead = std::max(m_maxRead, max);
        while (m_buffer.size() == m_readPos && !m_writerDone)
            m_changed.wait(&m_mutex);
        const qint64 n = std::min<qint64>(max, m_buffer.size() - m_readPos);
        memcpy(data, m_buffer.constData() + m_readPos, size_t(n));
        m_readPos += n;
        if (m_readPos > m_capacity) {
            m_buffer.remove(0, m_readPos);
            m_readPos = 0;
        }
        m_changed.wakeAll();
        return n;
    }
    void closeWrite()
    {
        QMutexLocker lock(&m_mutex);
        m_writerDone = true;
        m_changed.wakeAll();
    }
    void closeRead()
    {
        QMutexLocker lock(&m_mutex);
        m_readerGone = true;
        m_changed.wakeAll();
    }
    qint64 maxWrite() const { return m_maxWrite; }
    qint64 maxRead() const { return m_maxRead; }
    QByteArray digest() { return m_hash.result().toHex(); }  // MD5 of everything written

private:
    const qint64 m_capacity;
    QMutex m_mutex;
    QWaitCondition m_changed;
    QByteArray m_buffer;
    qint64 m_readPos = 0;
    bool m_writerDone = false;
    bool m_readerGone = false;
    qint64 m_maxWrite = 0;
    qint64 m_maxRead = 0;
    QCryptographicHash m_hash{QCryptographicHash::Md5};
};

class PipeWriter : public QIODevice
{
public:
    explicit PipeWriter(Pipe &pipe) : m_pipe(pipe) { open(QIODevice::WriteOnly | QIODevice::Unbuffered); }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 len) override
    {
        const qint64 n = m_pipe.push(data, len);
        if (n < 0)
            setErrorString(QStringLiteral("the reader went away"));
        return n;
    }

private:
    Pipe &m_pipe;
};

class PipeReader : public QIODevice
{
public:
    explicit PipeReader(Pipe &pipe) : m_pipe(pipe) { open(QIODevice::ReadOnly | QIODevice::Unbuffered); }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char *data, qint64 max) override { return m_pipe.pull(data, max); }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    Pipe &m_pipe;
};

// A sequential sink that keeps the bytes (or only their hash) and can be told to fail.
class MemorySink : public QIODevice
{
public:
    explicit MemorySink(bool keep = true, qint64 failAfter = -1) : m_keep(keep), m_failAfter(failAfter)
    {
        open(QIODevice::WriteOnly | QIODevice::Unbuffered);
    }
    bool isSequential() const override { return true; }
    const QByteArray &data() const { return m_data; }
    QByteArray digest() { return m_hash.result().toHex(); }
    qint64 total() const { return m_total; }

protected:
    qint64 readData(char *, qint64) override { return -1; }
    qint64 writeData(const char *data, qint64 len) override
    {
        if (m_failAfter >= 0 && m_total + len > m_failAfter) {
            setErrorString(QStringLiteral("upload failed: connection reset"));
            return -1;
        }
        if (m_keep)
            m_data.append(data, len);
        m_hash.addData(QByteArrayView(data, len));
        m_total += len;
        return len;
    }

private:
    bool m_keep;
    qint64 m_failAfter;
    QByteArray m_data;
    QCryptographicHash m_hash{QCryptographicHash::Md5};
    qint64 m_total = 0;
};

// Reads a byte array as a sequential stream in small, uneven pieces.
class SequentialSource : public QIODevice
{
public:
    explicit SequentialSource(QByteArray data) : m_data(std::move(data)) { open(QIODevice::ReadOnly | QIODevice::Unbuffered); }
    bool isSequential() const override { return true; }

protected:
    qint64 readData(char *data, qint64 max) override
    {
        const qint64 n = std::min<qint64>({max, 7777, m_data.size() - m_pos});
        memcpy(data, m_data.constData() + m_pos, size_t(n));
        m_pos += n;
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QByteArray m_data;
    qint64 m_pos = 0;
};

// Runs a program to completion; returns its exit code, stdout in *out, stderr in *err.
inline int run(const QString &program, const QStringList &args, QByteArray *out = nullptr, QByteArray *err = nullptr,
               const QString &workingDir = QString())
{
    QProcess p;
    if (!workingDir.isEmpty())
        p.setWorkingDirectory(workingDir);
    p.start(program, args);
    if (!p.waitForFinished(120000))
        return -1;
    if (out)
        *out = p.readAllStandardOutput();
    if (err)
        *err = p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

} // namespace archivetest
