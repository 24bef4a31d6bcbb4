#pragma once
// BodyQueue: the bytes of one streamed GetObject on their way from the network thread to the
// thread that reads them. It is bounded: once `limit` bytes wait, the call stops reading its
// reply, Qt stops reading the socket when the reply's own buffer is full (1 MiB,
// s3client.cpp) and TCP holds the server back. A ranged GET of 16 MiB then costs `limit` plus
// Qt's buffer, not 16 MiB, however slow the reader is; the pieces Qt hands over are queued as
// they are (no copy) and copied once, into the reader's buffer.
//
// Network thread (S3Call): hasRoom() before reading the reply, push() what it read, setResume()
// for the wake-up; S3Connection calls finish() once the call's result is out. The resume callback runs on the reader's
// thread, under the queue's lock, when the queue drains to half the limit after hasRoom() said
// no; it must only post to the network thread (QMetaObject::invokeMethod, queued).
// Reader thread: read() blocks until bytes arrive or the call has finished; reopen() before the
// request is sent again (S3Connection's retry with refreshed credentials).

#include <QByteArray>
#include <QMutex>
#include <QWaitCondition>

#include <deque>
#include <functional>
#include <memory>

namespace s3cache {

class BodyQueue
{
public:
    explicit BodyQueue(qint64 limit) : m_limit(std::max<qint64>(1, limit)) {}

    bool hasRoom();
    void push(QByteArray piece);  // may go past the limit by this piece
    // `owner` (the call) identifies the callback, so that a finished call being deleted never
    // clears the one of the call that replaced it.
    void setResume(const void *owner, std::function<void()> resume);
    void clearResume(const void *owner);
    void finish();

    void reopen();
    // Up to `maxlen` bytes into `data`; 0 once the call has finished and everything was read.
    qint64 read(char *data, qint64 maxlen);
    qint64 queued();  // bytes waiting to be read

private:
    const qint64 m_limit;
    QMutex m_mutex;
    QWaitCondition m_ready;
    std::deque<QByteArray> m_pieces;
    qsizetype m_frontOffset = 0;  // bytes of m_pieces.front() already read
    qint64 m_queued = 0;          // bytes not yet read
    bool m_blocked = false;       // hasRoom() said no: resume once there is room again
    bool m_finished = false;
    const void *m_resumeOwner = nullptr;
    std::function<void()> m_resume;
};

using BodyQueuePtr = std::shared_ptr<BodyQueue>;

} // namespace s3cache
