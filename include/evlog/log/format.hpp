// The bytes on disk, in one place. docs/format.md says the same at length.
//
// Log file (`events.jsonl`):
//   - UTF-8 JSON Lines. One event per line, each line a JSON object
//     `{"event_id":N,"<stream key>":"ULID","timestamp":"RFC3339","payload":{"type":"Name",...}}`
//     terminated by '\n'. evlog writes no other bytes.
//   - Readers also accept "\r\n", blank or whitespace-only lines, and a
//     complete final line without its '\n' (the next append writes the
//     '\n' first).
//   - event_id strictly increases down the file. Nothing else is ordered.
//   - A crash can leave a torn final line (a prefix of a line) or a run of
//     NUL bytes (size extended before data reached disk); repair policies
//     decide what happens to them.
//
// Quarantine file (`<log>.quarantine`), append-only, one record per bad line:
//   "#evlog-quarantine v1 line=L offset=O length=N reason=R\n" then exactly
//   N bytes copied from the log (the line and its '\n' when it had one),
//   then "\n". The length prefix makes any bytes, NULs and newlines
//   included, recoverable byte for byte.
#pragma once

#include <cstddef>
#include <string_view>

namespace evlog::format {

/// Default bound on one line's length: far above any real event, low
/// enough that a hostile or corrupt file cannot exhaust memory.
inline constexpr std::size_t default_max_line_bytes = 64u << 20;

/// Replay and repair read the file in chunks of this size.
inline constexpr std::size_t default_read_chunk = 1u << 20;

/// Suffix of the quarantine file next to a log.
inline constexpr std::string_view quarantine_suffix = ".quarantine";

/// Suffix of the temporary file a rewrite goes through.
inline constexpr std::string_view rewrite_suffix = ".rewrite.tmp";

/// First bytes of every quarantine record.
inline constexpr std::string_view quarantine_magic = "#evlog-quarantine v1";

} // namespace evlog::format
