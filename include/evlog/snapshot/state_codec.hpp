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

/// A codec may also read the state without a value tree, which for a large
/// state is most of the cost of loading it: `c.state_reader()` returns a
/// reader, a boost::json::basic_parser handler for the events of the value
/// under "state" only (no document, comment or number-part events), with
///
///     bool complete() const; // the value was read whole and is a State
///     State& state();        // that State, when complete()
///
/// A reader must never accept what from_json refuses, and what it accepts
/// must equal what from_json returns. It may give up on anything (its
/// handler returns false, or it is not complete() at the end); the store
/// then loads the file again through from_json, which decides and words
/// the error, so a reader need only be fast on the common shapes.
template <class C, class State>
concept direct_state_codec = state_codec<C, State> && requires(const C& c) {
    { c.state_reader().complete() } -> std::same_as<bool>;
    { c.state_reader().state() } -> std::same_as<State&>;
};

/// How a State offers json_state_codec a direct reader:
///
///     Reader tag_invoke(evlog::state_reader_tag, const State*);
///
/// found by ADL, returning a fresh reader as direct_state_codec describes.
struct state_reader_tag {};

template <class State>
concept has_state_reader = requires(const State* s) { tag_invoke(state_reader_tag{}, s); };

/// The default: Boost.JSON's value_from / value_to, i.e. the State's
/// tag_invoke conversions (see evlog/core/json.hpp for helpers that name the
/// offending field).
template <class State>
struct json_state_codec {
    boost::json::value to_json(const State& s) const { return boost::json::value_from(s); }
    State from_json(const boost::json::value& v) const { return boost::json::value_to<State>(v); }
    /// The State's own direct reader, when it has one (state_reader_tag).
    auto state_reader() const
        requires has_state_reader<State>
    {
        return tag_invoke(state_reader_tag{}, static_cast<const State*>(nullptr));
    }
};

} // namespace evlog
