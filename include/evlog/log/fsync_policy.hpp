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
struct fsync_group {
    static constexpr sync_mode mode = sync_mode::group;
};

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
