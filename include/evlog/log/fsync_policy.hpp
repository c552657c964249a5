// fsync policies: when an append's bytes are forced to stable storage.
// Each is a tag chosen at compile time; docs/policies.md gives each one's
// guarantee and loss window.
#pragma once

#include <chrono>
#include <concepts>

namespace evlog {

enum class sync_mode { always, group, interval, never };

/// fdatasync before every append returns. Loss window: none.
struct fsync_always {
    static constexpr sync_mode mode = sync_mode::always;
};

/// Group commit: concurrent appends are written by one leader in one
/// write and made durable by one fdatasync; each caller returns once its
/// own event is durable. Loss window: none. Under contention a new leader
/// waits up to about one fdatasync (at most 1 ms) for the appenders the
/// last batch released to join its batch (docs/policies.md).
///
/// While its batch is being made durable, a waiting appender yields the
/// CPU (sched_yield, so other runnable threads still get it) for up to
/// `SpinUs` microseconds, and only when the last batch's write + fdatasync
/// took at most that; then it sleeps. On a fast device this spares each
/// waiter a sleep and a wake-up, which on a VM cost more than the
/// fdatasync, at the price of CPU time while appenders wait (InnoDB's redo
/// log waiters spin while flushes are short, for the same reason). With
/// `SpinUs` 0, waiters sleep at once (`fsync_group_sleeping`).
template <unsigned SpinUs = 1000>
struct fsync_group_t {
    static constexpr sync_mode mode = sync_mode::group;
    static constexpr std::chrono::microseconds spin_limit{SpinUs};
};

/// Group commit whose waiters yield while the batch is short (above).
using fsync_group = fsync_group_t<>;
/// Group commit whose waiters sleep at once: no CPU spent while waiting.
using fsync_group_sleeping = fsync_group_t<0>;

/// A background flusher runs fdatasync at most every `Ms` milliseconds
/// when there is something to flush, like Redis's appendfsync everysec.
/// Loss window: about `Ms` of acknowledged appends.
template <unsigned Ms = 1000>
struct fsync_interval {
    static constexpr sync_mode mode = sync_mode::interval;
    static constexpr std::chrono::milliseconds period{Ms};
};

/// The operating system decides when to write back; sync() still works.
/// Loss window: whatever the page cache holds (Linux: up to ~30 s by default).
struct fsync_never {
    static constexpr sync_mode mode = sync_mode::never;
};

template <class P>
concept fsync_policy = requires { { P::mode } -> std::convertible_to<sync_mode>; };

/// A Mutex that does nothing, for a log used by one thread only (spdlog's `_st`).
struct null_mutex {
    void lock() noexcept {}
    void unlock() noexcept {}
    bool try_lock() noexcept { return true; }
};

} // namespace evlog
