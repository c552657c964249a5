// The event envelope: id, stream, time and a payload drawn from a closed set
// of user types, plus the payload that keeps what a reader does not know.
#pragma once

#include <array>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>

#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>

namespace evlog {

/// A payload whose `type` this reader does not know. It keeps the payload
/// object's exact JSON text so that writing the event back loses nothing.
struct unknown_payload {
    std::string type; ///< the payload's "type" value
    std::string raw;  ///< the payload object, byte for byte as it was read
    friend bool operator==(const unknown_payload&, const unknown_payload&) = default;
};

/// A payload type names itself on the wire with a static `wire_type`.
template <class T>
concept payload = requires {
    { T::wire_type } -> std::convertible_to<std::string_view>;
};

/// The default name of the envelope's stream key. A domain renames it with
/// its own key type (the spec store uses `spec_id`).
struct stream_id_key {
    static constexpr std::string_view name = "stream_id";
};

namespace detail {
template <class... Ts>
consteval bool wire_types_unique() {
    std::array<std::string_view, sizeof...(Ts)> names{std::string_view(Ts::wire_type)...};
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (names[i].empty()) return false;
        for (std::size_t j = i + 1; j < names.size(); ++j)
            if (names[i] == names[j]) return false;
    }
    return true;
}
} // namespace detail

template <class Variant, class StreamKey = stream_id_key>
struct event;

/// One event: `{"event_id":N,"<stream key>":"ULID","timestamp":"…","payload":{"type":"Name",…}}`.
///
/// `Variant` is `std::variant<Ts...>` of payload types; the member `payload`
/// is `std::variant<Ts..., unknown_payload>` so that no line ever has to be
/// dropped for naming a type this build does not know.
template <class... Ts, class StreamKey>
struct event<std::variant<Ts...>, StreamKey> {
    static_assert((payload<Ts> && ...), "every payload type needs a static wire_type");
    static_assert(detail::wire_types_unique<Ts...>(), "two payload types share a wire_type (or one is empty)");

    using known_payloads = std::variant<Ts...>;
    using payload_variant = std::variant<Ts..., unknown_payload>;
    using stream_key = StreamKey;

    std::uint64_t id = 0;
    ulid stream;
    timestamp time;
    payload_variant payload;

    bool is_unknown() const noexcept { return std::holds_alternative<unknown_payload>(payload); }

    /// The payload's wire type name, also for unknown payloads.
    std::string_view type_name() const noexcept {
        return std::visit(
            [](const auto& p) -> std::string_view {
                if constexpr (std::is_same_v<std::decay_t<decltype(p)>, unknown_payload>)
                    return p.type;
                else
                    return std::decay_t<decltype(p)>::wire_type;
            },
            payload);
    }
};

/// True for every instantiation of evlog::event.
template <class T>
inline constexpr bool is_event_v = false;
template <class V, class K>
inline constexpr bool is_event_v<event<V, K>> = true;

} // namespace evlog
