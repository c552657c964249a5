// Finds the exact bytes of a top-level member's value in a JSON object
// text that has already been validated by a real parser.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace evlog::detail {

inline std::size_t skip_ws(std::string_view s, std::size_t i) noexcept {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) ++i;
    return i;
}

/// Index just past the string that starts at s[i] == '"'.
inline std::size_t skip_string(std::string_view s, std::size_t i) noexcept {
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\') ++i;
        else if (s[i] == '"') return i + 1;
    }
    return s.size();
}

/// Index just past the value that starts at s[i].
inline std::size_t skip_value(std::string_view s, std::size_t i) noexcept {
    if (i >= s.size()) return i;
    if (s[i] == '"') return skip_string(s, i);
    if (s[i] == '{' || s[i] == '[') {
        int depth = 0;
        while (i < s.size()) {
            char c = s[i];
            if (c == '"') { i = skip_string(s, i); continue; }
            if (c == '{' || c == '[') ++depth;
            else if ((c == '}' || c == ']') && --depth == 0) return i + 1;
            ++i;
        }
        return i;
    }
    while (i < s.size() && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' &&
           s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
        ++i;
    return i;
}

/// The raw text of the value of top-level key `key` (compared unescaped
/// only when the key has no escapes, which is all evlog ever writes).
/// Undefined on invalid JSON: call it only after a parser accepted `s`.
/// A key that occurs more than once yields its last value, the one
/// Boost.JSON keeps.
inline std::optional<std::string_view> member_span(std::string_view s, std::string_view key) noexcept {
    std::size_t i = skip_ws(s, 0);
    if (i >= s.size() || s[i] != '{') return std::nullopt;
    i = skip_ws(s, i + 1);
    std::optional<std::string_view> found;
    while (i < s.size() && s[i] == '"') {
        std::size_t kend = skip_string(s, i);
        std::string_view k = s.substr(i + 1, kend - i - 2);
        i = skip_ws(s, kend);
        if (i >= s.size() || s[i] != ':') return std::nullopt;
        i = skip_ws(s, i + 1);
        std::size_t vend = skip_value(s, i);
        if (k == key) found = s.substr(i, vend - i);
        i = skip_ws(s, vend);
        if (i < s.size() && s[i] == ',') i = skip_ws(s, i + 1);
    }
    return found;
}

} // namespace evlog::detail
