// What a json::slot does with a scalar token: shared by the readers that
// fill slots straight from Boost's parser (the event-line decoder in
// core/codec.hpp, a snapshot state's reader), so that they all accept the
// same values as the value tree does.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/string.hpp>
#include <boost/json/string_view.hpp>
#include <boost/system/error_code.hpp>

#include <evlog/core/json.hpp>

namespace evlog::detail {

/// The value tree's limits (boost::json::detail::handler's), for a
/// basic_parser handler to derive from, so that nothing too large for the
/// tree is read without it instead.
struct value_tree_limits {
    static constexpr std::size_t max_object_size = boost::json::object::max_size();
    static constexpr std::size_t max_array_size = boost::json::array::max_size();
    static constexpr std::size_t max_key_size = boost::json::string::max_size();
    static constexpr std::size_t max_string_size = boost::json::string::max_size();

    using error_code = boost::system::error_code;
    using string_view = boost::json::string_view;
};

/// Makes a handler give up on a document: its reader then reads it again
/// through the value tree, which decides what loads and words the error.
inline bool give_up(boost::system::error_code& ec) noexcept {
    ec = boost::json::error::syntax;
    return false;
}

/// A key or string Boost's parser hands over in parts: `part` holds the
/// parts before `s` (empty when `s` is the whole of it).
inline std::string_view whole(std::string& part, boost::json::string_view s) {
    if (part.empty()) return {s.data(), s.size()};
    part.append(s.data(), s.size());
    return part;
}

// Each stores the value where the slot says and returns true, or returns
// false where the value tree must decide (a type the member does not
// take, a negative id, an integer written as a double).

inline bool slot_int64(const json::slot& s, std::int64_t i) noexcept {
    switch (s.k) {
    case json::slot::kind::ignore: return true;
    case json::slot::kind::number: *static_cast<double*>(s.target) = static_cast<double>(i); return true;
    case json::slot::kind::unsigned_int:
        if (i < 0) return false;
        *static_cast<std::uint64_t*>(s.target) = static_cast<std::uint64_t>(i);
        return true;
    default: return false;
    }
}

inline bool slot_uint64(const json::slot& s, std::uint64_t u) noexcept {
    switch (s.k) {
    case json::slot::kind::ignore: return true;
    case json::slot::kind::number: *static_cast<double*>(s.target) = static_cast<double>(u); return true;
    case json::slot::kind::unsigned_int: *static_cast<std::uint64_t*>(s.target) = u; return true;
    default: return false;
    }
}

inline bool slot_double(const json::slot& s, double d) noexcept {
    switch (s.k) {
    case json::slot::kind::ignore: return true;
    case json::slot::kind::number:
        if (!std::isfinite(d)) return false; // 1e400: the tree refuses it, naming the field
        *static_cast<double*>(s.target) = d;
        return true;
    default: return false; // an integer read from a double: the tree decides
    }
}

/// A string member of the kinds every reader stores alike (ignored, text,
/// optional text, text patch): true when the slot is one of them and has
/// taken `v`, false for a kind the reader handles itself.
inline bool slot_text(const json::slot& s, std::string_view v) {
    void* t = s.target;
    switch (s.k) {
    case json::slot::kind::ignore: return true;
    case json::slot::kind::text: static_cast<std::string*>(t)->assign(v); return true;
    case json::slot::kind::optional_text: static_cast<std::optional<std::string>*>(t)->emplace(v); return true;
    case json::slot::kind::patch_text:
        *static_cast<json::patch<std::string>*>(t) = json::patch<std::string>::set(std::string(v));
        return true;
    default: return false;
    }
}

/// A null member: absent for the kinds that allow it, cleared for patches.
inline bool slot_null(const json::slot& s) {
    void* t = s.target;
    switch (s.k) {
    case json::slot::kind::ignore:
    case json::slot::kind::text:       // or_default: null reads as absent
    case json::slot::kind::number:
    case json::slot::kind::text_array: // read_array: null reads as empty
        return true;
    case json::slot::kind::optional_text: static_cast<std::optional<std::string>*>(t)->reset(); return true;
    case json::slot::kind::patch_text:
        *static_cast<json::patch<std::string>*>(t) = json::patch<std::string>::clear();
        return true;
    case json::slot::kind::patch_text_array:
        *static_cast<json::patch<std::vector<std::string>>*>(t) = json::patch<std::vector<std::string>>::clear();
        return true;
    default: return false; // required: null is missing
    }
}

} // namespace evlog::detail
