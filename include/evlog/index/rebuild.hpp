// Feeding an index from a source of events: a full rebuild, or catching up
// with the events it lacks. Recovery uses both.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <evlog/core/errors.hpp>
#include <evlog/index/index.hpp>

namespace evlog {

/// The default number of events per apply_batch (one transaction each for
/// a transactional index).
inline constexpr std::size_t default_rebuild_batch_size = 10000;

namespace detail {

inline void check_batch_size(std::size_t batch_size) {
    if (batch_size == 0) throw error(make_error_code(errc::bad_argument), "index rebuild: batch_size is 0");
}

/// Invokes `source(sink)`; the sink buffers events with an id above `after`
/// and hands them to idx.apply_batch `batch_size` at a time. Returns how
/// many events were applied.
template <event_index I, class Source>
std::uint64_t feed_index(I& idx, Source& source, std::size_t batch_size, std::optional<std::uint64_t> after) {
    using event_type = typename I::event_type;
    std::vector<event_type> buffer;
    buffer.reserve(std::min<std::size_t>(batch_size, 1024));
    std::uint64_t applied = 0;
    auto flush = [&] {
        if (buffer.empty()) return;
        idx.apply_batch(std::span<const event_type>(buffer.data(), buffer.size()));
        applied += buffer.size();
        buffer.clear();
    };
    auto sink = [&](const event_type& e) {
        if (after && e.id <= *after) return;
        buffer.push_back(e);
        if (buffer.size() >= batch_size) flush();
    };
    std::invoke(source, sink);
    flush();
    return applied;
}

} // namespace detail

/// Empties `idx` with reset(), then applies every event `source` yields.
///
/// `source` is a callable invoked once with a sink, `void(const Event&)`,
/// that it calls for each event in log order, e.g.
/// `[&](auto&& sink) { evlog::replay<E>(path, sink); }`. The sink buffers at
/// most `batch_size` events before one apply_batch, so memory is bounded
/// by the batch, not the log.
///
/// Not atomic as a whole: each batch commits on its own. If the source or a
/// batch throws, the exception propagates and the index holds a consistent
/// prefix of the events (rows and last id agree), so catch_up_index can
/// continue from there. Buffered events not yet applied are dropped.
///
/// An index that offers `rebuild_from(source)` (sqlite_index over a
/// folding_projection) rebuilds itself instead: it folds every event into
/// its rows in memory and writes them in one transaction, so the rebuild
/// is atomic and memory is bounded by the rows; batch_size is then unused.
template <event_index I, class Source>
void rebuild_index(I& idx, Source&& source, std::size_t batch_size = default_rebuild_batch_size) {
    detail::check_batch_size(batch_size);
    if constexpr (requires { idx.rebuild_from(source); }) {
        idx.rebuild_from(source);
    } else {
        idx.reset();
        detail::feed_index(idx, source, batch_size, std::nullopt);
    }
}

/// Applies the events of `source` whose id is above idx.last_event_id(),
/// in batches, and returns how many it applied. The source may start from
/// the beginning of the log; events the index already holds are skipped.
/// Failure behaves as in rebuild_index.
template <event_index I, class Source>
std::uint64_t catch_up_index(I& idx, Source&& source, std::size_t batch_size = default_rebuild_batch_size) {
    detail::check_batch_size(batch_size);
    return detail::feed_index(idx, source, batch_size, idx.last_event_id());
}

} // namespace evlog
