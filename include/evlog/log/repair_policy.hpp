// Repair policies: what a log does with lines it cannot use. Each is a tag
// chosen at compile time; docs/policies.md gives each one's guarantee.
#pragma once

#include <concepts>

namespace evlog {

enum class repair_mode { strict, truncate_tail, quarantine, skip };

/// Any bad line is an error naming file, line and byte offset. Nothing changes.
struct repair_strict {
    static constexpr repair_mode mode = repair_mode::strict;
};

/// A bad final line (torn, unparseable, NUL run) is cut off with ftruncate
/// plus fdatasync, after its bytes are saved to `<log>.quarantine`. A bad
/// line followed by good ones is mid-file corruption: an error, file untouched.
struct repair_truncate_tail {
    static constexpr repair_mode mode = repair_mode::truncate_tail;
};

/// Every bad line is copied byte for byte to `<log>.quarantine`, then the
/// log is rewritten without them (temp file, fdatasync, rename, dir fsync).
struct repair_quarantine {
    static constexpr repair_mode mode = repair_mode::quarantine;
};

/// Bad lines are skipped and counted; nothing is rewritten.
struct repair_skip {
    static constexpr repair_mode mode = repair_mode::skip;
};

template <class P>
concept repair_policy = requires { { P::mode } -> std::convertible_to<repair_mode>; };

} // namespace evlog
