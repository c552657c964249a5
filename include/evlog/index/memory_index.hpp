// An in-memory index over a user projection, for tests and small programs.
#pragma once

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <type_traits>
#include <utility>

#include <evlog/core/errors.hpp>
#include <evlog/index/detail/ids.hpp>
#include <evlog/index/index.hpp>

namespace evlog {

/// What memory_index needs from a projection:
///
///     struct notes_per_text {
///         using event_type = my_event;
///         using rows_type = std::map<std::string, int>;
///         static void apply(rows_type& rows, const event_type& e);
///     };
///
/// `rows_type` is a copyable value type compared with ==. `apply` may throw;
/// whatever it did to the rows is then discarded.
template <class P>
concept memory_projection =
    std::copyable<typename P::rows_type> && std::equality_comparable<typename P::rows_type> &&
    std::default_initializable<typename P::rows_type> &&
    requires(typename P::rows_type& rows, const typename P::event_type& e) { P::apply(rows, e); };

/// The index's rows and last id. Several memory_index objects may be built
/// from one shared state in turn, which is how a test "reopens" one.
template <class Rows>
struct memory_index_state {
    Rows rows{};
    std::optional<std::uint64_t> last_event_id;
};

/// An evlog::event_index held in memory.
///
/// apply and apply_batch give the strong guarantee by copy-then-swap: the
/// ids are checked, the projection runs on a copy of the rows, and only
/// then are the rows swapped in and the last id moved. Each call therefore
/// copies every row: fine for tests, not for large indexes.
///
/// Nothing is persistent: "reopening" means building a new memory_index
/// from the same shared_state(), which outlives the object. Not thread-safe,
/// and two live objects over one state must not be used at once.
template <class Event, memory_projection Projection>
class memory_index {
    static_assert(std::is_same_v<Event, typename Projection::event_type>,
                  "memory_index<Event, Projection>: Projection::event_type must be Event");

public:
    using event_type = Event;
    using projection_type = Projection;
    using rows_type = typename Projection::rows_type;
    using state_type = memory_index_state<rows_type>;
    static_assert(std::is_nothrow_swappable_v<rows_type>,
                  "memory_index commits by swap, so rows_type's swap must not throw");

    memory_index() : state_(std::make_shared<state_type>()) {}

    /// Continues from `state` (rows and last id as a previous index left them).
    explicit memory_index(std::shared_ptr<state_type> state) : state_(std::move(state)) {
        if (!state_) throw error(make_error_code(errc::bad_argument), "memory_index: null state");
    }

    std::optional<std::uint64_t> last_event_id() const noexcept { return state_->last_event_id; }
    const rows_type& rows() const noexcept { return state_->rows; }
    const std::shared_ptr<state_type>& shared_state() const noexcept { return state_; }

    void apply(const event_type& e) { apply_batch(std::span<const event_type>(&e, 1)); }

    void apply_batch(std::span<const event_type> batch) {
        if (batch.empty()) return;
        std::optional<std::uint64_t> last = detail::check_batch_ids(state_->last_event_id, batch);
        rows_type next = state_->rows;
        for (const event_type& e : batch) Projection::apply(next, e);
        commit(next, last);
    }

    void reset() {
        rows_type empty{};
        commit(empty, std::nullopt);
    }

    void set_last_event_id(std::uint64_t id) noexcept { state_->last_event_id = id; }

    bool healthy() const noexcept { return true; }

private:
    void commit(rows_type& next, std::optional<std::uint64_t> last) noexcept {
        using std::swap;
        swap(state_->rows, next);
        state_->last_event_id = last;
    }

    std::shared_ptr<state_type> state_;
};

} // namespace evlog
