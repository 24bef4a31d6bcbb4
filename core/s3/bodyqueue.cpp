#include "bodyqueue.h"

#include <QMutexLocker>

#include <cstring>

namespace s3cache {

bool BodyQueue::hasRoom()
{
    QMutexLocker lock(&m_mutex);
    m_blocked = m_queued >= m_limit;
    return !m_blocked;
}

void BodyQueue::push(QByteArray piece)
{
    if (piece.isEmpty())
        return;
    {
        QMutexLocker lock(&m_mutex);
        m_queued += piece.size();
        m_pieces.push_back(std::move(piece));
    }
    m_ready.wakeAll();
}

void BodyQueue::setResume(const void *owner, std::function<void()> resume)
{
    QMutexLocker lock(&m_mutex);
    m_resumeOwner = owner;
    m_resume = std::move(resume);
}

void BodyQueue::clearResume(const void *owner)
{
    QMutexLocker lock(&m_mutex);
    if (m_resumeOwner == owner) {
        m_resumeOwner = nullptr;
        m_resume = {};
    }
}

void BodyQueue::finish()
{
    {
        QMutexLocker lock(&m_mutex);
        m_finished = true;
        m_resumeOwner = nullptr;
        m_resume = {};
    }
    m_ready.wakeAll();
}

void BodyQueue::reopen()
{
    QMutexLocker lock(&m_mutex);
    m_pieces.clear();
    m_frontOffset = 0;
    m_queued = 0;
    m_blocked = false;
    m_finished = false;
}

qint64 BodyQueue::read(char *data, qint64 maxlen)
{
    QMutexLocker lock(&m_mutex);
    while (m_queued == 0 && !m_finished)
        m_ready.wait(&m_mutex);
    qint64 copied = 0;
    while (copied < maxlen && !m_pieces.empty()) {
        const QByteArray &front = m_pieces.front();
        const qint64 n = std::min<qint64>(maxlen - copied, front.size() - m_frontOffset);
        std::memcpy(data + copied, front.constData() + m_frontOffset, size_t(n));
        copied += n;
        m_frontOffset += n;
        if (m_frontOffset == front.size()) {
            m_pieces.pop_front();
            m_frontOffset = 0;
        }
    }
    m_queued -= copied;
    if (m_blocked && m_queued <= m_limit / 2 && m_resume) {
        m_blocked = false;
        m_resume();
    }
    return copied;
}

qint64 BodyQueue::queued()
{
    QMutexLocker lock(&m_mutex);
    return m_queued;
}

} // namespace s3cache
