// What group commit's waiters yield on, then sleep on: a 32-bit word that
// changes at every event they wait for (a batch made durable, a leader
// gone, a close), and a way to take a contended mutex without sleeping at once.
#pragma once

#include <atomic>
#include <chrono>
#include <climits>
#include <cstdint>
#include <thread>

#if defined(__linux__)
#include <sys/syscall.h>
#endif
#if defined(__linux__) && defined(SYS_futex) // not on ports with only the time64 call
#define EVLOG_DETAIL_RAW_FUTEX 1
#include <linux/futex.h>
#include <unistd.h>
#endif

namespace evlog::detail {

/// Waiters read the word, let go of their mutex, then sleep until it is
/// no longer what they read. Whoever changes it does so under that mutex,
/// so no change between the read and the sleep is missed.
///
/// Woken waiters need no mutex to see whether their batch is done, so one
/// fdatasync releases dozens of threads without each waiting its turn for
/// the mutex, as a condition variable's waiters do.
class wake_word {
public:
    std::uint32_t load() const noexcept { return word_.load(std::memory_order_acquire); }
    /// Call with the waiters' mutex held.
    void bump() noexcept { word_.fetch_add(1, std::memory_order_release); }

    /// Returns once the word differs from `seen` (at once if it already does).
    void wait_while(std::uint32_t seen) const noexcept {
        while (load() == seen) {
#if defined(EVLOG_DETAIL_RAW_FUTEX)
            // A raw futex, not std::atomic::wait: libstdc++ spins and yields
            // first, which with many waiters costs more task switches than
            // it saves. Returns at once if the word has already changed.
            ::syscall(SYS_futex, const_cast<std::atomic<std::uint32_t>*>(&word_), FUTEX_WAIT_PRIVATE, seen,
                      nullptr, nullptr, 0);
#else
            word_.wait(seen, std::memory_order_acquire);
#endif
        }
    }

    /// Yields the CPU until the word differs from `seen` or `budget` has
    /// passed. Returns whether it differs. A waiter that sees the change
    /// here is spared the sleep and its wake-up.
    bool yield_while(std::uint32_t seen, std::chrono::nanoseconds budget) const noexcept {
        if (budget <= std::chrono::nanoseconds::zero()) return load() != seen;
        const auto until = std::chrono::steady_clock::now() + budget;
        while (load() == seen) {
            if (std::chrono::steady_clock::now() >= until) return false;
            std::this_thread::yield();
        }
        return true;
    }

    void wake_all() noexcept {
#if defined(EVLOG_DETAIL_RAW_FUTEX)
        ::syscall(SYS_futex, &word_, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr, nullptr, 0);
#else
        word_.notify_all();
#endif
    }

private:
    static_assert(sizeof(std::atomic<std::uint32_t>) == 4 && std::atomic<std::uint32_t>::is_always_lock_free,
                  "a futex is a plain 32-bit word");
    std::atomic<std::uint32_t> word_{0};
};

/// How long a group commit waiter yields before it sleeps: up to `limit`,
/// and only when the last batch's write + fdatasync took at most that (a
/// fast device). Nothing before the first batch, nor after a slow one,
/// where yielding would only burn CPU.
inline std::chrono::nanoseconds yield_budget(std::chrono::nanoseconds last_batch,
                                             std::chrono::nanoseconds limit) noexcept {
    if (last_batch <= std::chrono::nanoseconds::zero() || last_batch > limit) return {};
    return limit;
}

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    asm volatile("yield");
#endif
}

/// Locks `lk`, trying for a few microseconds before it sleeps. Appenders
/// hold the log's mutex only to encode one event (about a microsecond);
/// sleeping on it and being woken costs several times that on a VM. A
/// mutex without try_lock is simply locked.
template <class Lock>
void lock_spinning(Lock& lk) {
    if constexpr (requires { lk.mutex()->try_lock(); }) {
        for (int i = 0; i < 256; ++i) {
            if (lk.try_lock()) return;
            cpu_relax();
        }
    }
    lk.lock();
}

} // namespace evlog::detail
