// The id check every index adapter shares: an event is accepted only when its
// id is above the last applied one (and above its predecessor in a batch).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <evlog/core/errors.hpp>

namespace evlog::detail {

/// Throws errc::id_not_increasing unless `id` is above `last`.
inline void check_next_id(std::optional<std::uint64_t> last, std::uint64_t id) {
    if (last && id <= *last)
        throw error(make_error_code(errc::id_not_increasing),
                    "index: event id " + std::to_string(id) + " is not above the last applied id " +
                        std::to_string(*last));
}

/// Checks a whole batch before anything is applied and returns the id the
/// index will hold after it (`last` itself for an empty batch).
template <class Event>
std::optional<std::uint64_t> check_batch_ids(std::optional<std::uint64_t> last, std::span<const Event> batch) {
    for (const Event& e : batch) {
        check_next_id(last, e.id);
        last = e.id;
    }
    return last;
}

} // namespace evlog::detail
