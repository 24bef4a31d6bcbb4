#pragma once
// A cancellation flag shared between a job and everything it runs. Checked often by loops
// (archive walk, extraction, upload/download waits); set from any thread (GUI button, signal).

#include <atomic>
#include <memory>

namespace s3cache {

class Cancellation
{
public:
    void cancel()
    {
        m_cancelled.store(true, std::memory_order_relaxed);
        m_cancelled.notify_all();
    }
    bool isCancelled() const { return m_cancelled.load(std::memory_order_relaxed); }
    // Blocks the calling (worker) thread until cancel() is called.
    void wait() const { m_cancelled.wait(false); }

private:
    std::atomic<bool> m_cancelled{false};
};

using CancellationPtr = std::shared_ptr<Cancellation>;

} // namespace s3cache
