// An index without rows: it only remembers the last event id it applied.
// Useful where a component wants an index but the program needs none.
#pragma once

#include <cstdint>
#include <optional>
#include <span>

#include <evlog/index/detail/ids.hpp>
#include <evlog/index/index.hpp>

namespace evlog {

/// Holds no rows and nothing on disk; it refuses non-increasing ids like any
/// index, so code written against evlog::event_index behaves the same with
/// it. Always healthy. Not thread-safe.
template <class Event>
class null_index {
public:
    using event_type = Event;
    /// Recovery brings an index without rows in step by setting its last
    /// id, without replaying the log into it (evlog::index_without_rows).
    static constexpr bool keeps_rows = false;

    std::optional<std::uint64_t> last_event_id() const noexcept { return last_; }

    void apply(const event_type& e) {
        detail::check_next_id(last_, e.id);
        last_ = e.id;
    }

    /// All-or-nothing: every id is checked before the last id moves.
    void apply_batch(std::span<const event_type> batch) { last_ = detail::check_batch_ids(last_, batch); }

    void reset() noexcept { last_.reset(); }
    void set_last_event_id(std::uint64_t id) noexcept { last_ = id; }
    bool healthy() const noexcept { return true; }

private:
    std::optional<std::uint64_t> last_;
};

} // namespace evlog
