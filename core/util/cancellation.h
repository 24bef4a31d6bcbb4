#pragma once
// A cancellation flag shared between a job and everything it runs. Checked often by loops
// (archive walk, extraction, upload/download waits); set from any thread (GUI button, signal).
//
// It may also carry a deadline (the `timeout` parameter, set by the job before it runs): from
// the moment it passes, isCancelled() is true, so every loop that checks the flag stops at the
// deadline too, in every phase and with every store, without a thread or a timer of its own.
// reason() tells the two apart (the first one wins), so that the job reports a timeout, not a
// cancel.

#include <QDeadlineTimer>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <limits>
#include <memory>
#include <thread>

namespace s3cache {

class Cancellation
{
public:
    enum class Reason { None, Cancelled, Deadline };

    // Lock-free atomics only: the CLI calls it from its signal handler.
    void cancel() { trip(Reason::Cancelled); }

    bool isCancelled() const
    {
        if (m_cancelled.load(std::memory_order_acquire))
            return true;
        const qint64 deadline = m_deadlineNs.load(std::memory_order_relaxed);
        if (deadline == NoDeadline || QDeadlineTimer::current().deadlineNSecs() < deadline)
            return false;
        trip(Reason::Deadline);
        return true;
    }

    // Why isCancelled() became true: None while it is false.
    Reason reason() const
    {
        isCancelled();  // notices a deadline that passed since the last check
        return m_reason.load(std::memory_order_acquire);
    }

    // From now on isCancelled() is also true once `deadline` has passed (Forever: never).
    void setDeadline(QDeadlineTimer deadline)
    {
        m_deadlineNs.store(deadline.isForever() ? NoDeadline : deadline.deadlineNSecs(), std::memory_order_relaxed);
    }
    QDeadlineTimer deadline() const
    {
        const qint64 ns = m_deadlineNs.load(std::memory_order_relaxed);
        if (ns == NoDeadline)
            return QDeadlineTimer(QDeadlineTimer::Forever);
        QDeadlineTimer timer;
        timer.setPreciseDeadline(ns / 1000000000, ns % 1000000000);
        return timer;
    }

    // Blocks the calling (worker) thread until isCancelled() (cancel() or the deadline).
    void wait() const
    {
        while (!isCancelled()) {
            const qint64 deadline = m_deadlineNs.load(std::memory_order_relaxed);
            if (deadline == NoDeadline) {
                m_cancelled.wait(false, std::memory_order_acquire);
                continue;
            }
            // An atomic wait has no timeout: sleep in short steps until the deadline.
            const qint64 left = deadline - QDeadlineTimer::current().deadlineNSecs();
            std::this_thread::sleep_for(std::chrono::nanoseconds(std::clamp<qint64>(left, 0, 10'000'000)));
        }
    }

private:
    static constexpr qint64 NoDeadline = std::numeric_limits<qint64>::max();

    void trip(Reason reason) const
    {
        Reason none = Reason::None;
        m_reason.compare_exchange_strong(none, reason, std::memory_order_acq_rel);
        m_cancelled.store(true, std::memory_order_release);
        m_cancelled.notify_all();
    }

    // Mutable: a const reader (the loops get a const Cancellation *) that notices the deadline
    // records it.
    mutable std::atomic<bool> m_cancelled{false};
    mutable std::atomic<Reason> m_reason{Reason::None};
    std::atomic<qint64> m_deadlineNs{NoDeadline};
};

using CancellationPtr = std::shared_ptr<Cancellation>;

} // namespace s3cache
