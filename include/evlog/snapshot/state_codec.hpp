// How a snapshot store turns a State into the JSON under "state" and back.
#pragma once

#include <concepts>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

namespace evlog {

/// A state codec converts a State to the JSON value stored under "state"
/// and back. `from_json` reports a value it cannot use by throwing any
/// std::exception; the store turns that into errc::snapshot_corrupt, naming
/// the field when the exception is an evlog::json::field_error.
/// The value handed to `from_json` lives in one reference-counted arena
/// that is freed when loading ends and nothing refers to it any more. A
/// State may keep a plain copy of a boost::json::value (safe: the copy
/// shares the arena and keeps it alive), but copying it with a storage of
/// its own (`boost::json::value(v, {})`) lets the whole arena go.
/// Domains whose state has no tag_invoke conversions, or whose on-disk shape
/// differs from them, plug their own codec in.
template <class C, class State>
concept state_codec = requires(C& c, const State& s, const boost::json::value& v) {
    { c.to_json(s) } -> std::convertible_to<boost::json::value>;
    { c.from_json(v) } -> std::convertible_to<State>;
};

/// The default: Boost.JSON's value_from / value_to, i.e. the State's
/// tag_invoke conversions (see evlog/core/json.hpp for helpers that name the
/// offending field).
template <class State>
struct json_state_codec {
    boost::json::value to_json(const State& s) const { return boost::json::value_from(s); }
    State from_json(const boost::json::value& v) const { return boost::json::value_to<State>(v); }
};

} // namespace evlog
