// The index concept: a view derived from the log and kept in step with it.
#pragma once

#include <concepts>
#include <cstdint>
#include <optional>
#include <span>

namespace evlog {

/// An index holds rows derived from events and the id of the last event it
/// applied. Its contract, checked by evlog/testing/index_kit.hpp:
///  - `last_event_id()` is nullopt for an empty index;
///  - `apply(e)` and `apply_batch(b)` are all-or-nothing: the rows and the
///    last id move together, in one commit. An event whose id is not above
///    `last_event_id()` is refused (evlog::error, errc::id_not_increasing)
///    and changes nothing, so an index never claims an event it lacks and
///    never applies one twice;
///  - `reset()` empties it (rows and last id) atomically;
///  - `set_last_event_id(id)` moves the last id without rows, for a log that
///    starts after a snapshot (recovery trusts the snapshot then);
///  - `healthy()` is false when the index's storage is corrupt;
///  - state survives closing and reopening, for persistent adapters.
template <class I>
concept event_index = requires(I& i, const I& ci, const typename I::event_type& e,
                               std::span<const typename I::event_type> batch, std::uint64_t id) {
    typename I::event_type;
    { ci.last_event_id() } -> std::same_as<std::optional<std::uint64_t>>;
    i.apply(e);
    i.apply_batch(batch);
    i.reset();
    i.set_last_event_id(id);
    { i.healthy() } -> std::convertible_to<bool>;
};

/// An index that declares `static constexpr bool keeps_rows = false` (as
/// null_index does) derives nothing from the events but their last id, so
/// rebuilding it is only a matter of setting that id: recovery does so
/// instead of replaying the whole log into it.
template <class I>
concept index_without_rows = event_index<I> && requires {
    requires !I::keeps_rows;
};

} // namespace evlog
