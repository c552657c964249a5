// Transcript message ids for entries that an event creates rather than
// carries (agent steps), derived from the event so replay is deterministic.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>

namespace evlog::spec {

namespace detail {

// __extension__ keeps -Wpedantic quiet about the GCC/Clang 128-bit integer.
__extension__ using u128 = unsigned __int128;

/// FNV-1a with the 128-bit parameters, as Go's hash/fnv.New128a computes
/// it. Chosen because any implementation, the Go daemon included, can
/// reproduce it from its standard library.
constexpr u128 fnv1a_128(const std::uint8_t* data, std::size_t size) noexcept {
    constexpr u128 prime = (static_cast<u128>(1) << 88) | 0x13B;
    u128 h = (static_cast<u128>(0x6C62272E07BB0142ull) << 64) | 0x62B821756295C58Dull;
    for (std::size_t i = 0; i < size; ++i) {
        h ^= data[i];
        h *= prime;
    }
    return h;
}

} // namespace detail

/// The message id of the transcript entry that event `event_id` of spec
/// `spec_id`, written at `time`, creates:
///
/// - time part (48 bits): `time` in Unix milliseconds, floored (0 before 1970);
/// - random part (80 bits): the low 80 bits of FNV-1a-128 over the 24 bytes
///   `spec_id` (16 bytes, as stored) followed by `event_id` (8 bytes, big-endian).
///
/// The Go daemon draws a fresh random id on every replay instead; see
/// docs/compat.md. Every event creates at most one entry, so (spec, event)
/// is enough to tell the ids apart, and distinct event ids of one spec give
/// distinct ids (the last FNV step is a bijection of the last byte).
inline ulid derive_message_id(const ulid& spec_id, std::uint64_t event_id, timestamp time) noexcept {
    std::array<std::uint8_t, 24> input{};
    for (std::size_t i = 0; i < 16; ++i) input[i] = spec_id.bytes()[i];
    for (std::size_t i = 0; i < 8; ++i) input[16 + i] = static_cast<std::uint8_t>(event_id >> (8 * (7 - i)));
    const detail::u128 h = detail::fnv1a_128(input.data(), input.size());

    const std::int64_t ns = time.unix_nanos();
    const std::uint64_t ms = ns <= 0 ? 0 : static_cast<std::uint64_t>(ns / 1'000'000) & ((std::uint64_t{1} << 48) - 1);

    ulid::bytes_type b{};
    for (std::size_t i = 0; i < 6; ++i) b[i] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
    for (std::size_t i = 0; i < 10; ++i) b[6 + i] = static_cast<std::uint8_t>(h >> (8 * (9 - i)));
    return ulid(b);
}

} // namespace evlog::spec
