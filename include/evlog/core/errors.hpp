// evlog error codes, category and the exception that carries a location.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

namespace evlog {

/// Every failure evlog reports. Values are stable: they may be logged or
/// compared across versions.
enum class errc {
    ok = 0,
    malformed_line = 1,      ///< not valid JSON, or not a JSON object
    torn_line = 2,           ///< last line of the file is incomplete (no newline, unparseable)
    nul_bytes = 3,           ///< a run of NUL bytes, typical of a crash before data reached disk
    missing_field = 4,       ///< a required key is absent
    wrong_type = 5,          ///< a key holds a value of the wrong JSON type
    invalid_ulid = 6,        ///< a string is not a 26-character Crockford base32 ULID
    invalid_timestamp = 7,   ///< not an RFC 3339 timestamp
    id_not_increasing = 8,   ///< an event id is not above the one before it
    foreign_stream = 9,      ///< an event belongs to another stream
    line_too_long = 10,      ///< a line exceeds max_line_bytes
    unknown_payload_type = 11, ///< a payload type the reader does not know
    mid_file_corruption = 12,  ///< a bad line is followed by good ones
    log_poisoned = 13,       ///< an earlier fsync or write failed; reopen the log
    log_locked = 14,         ///< another writer holds the log's lock
    log_closed = 15,         ///< the log is not open
    io_error = 16,           ///< a system call failed; the system error is in the message
    invalid_name = 17,       ///< a name would escape its directory
    snapshot_corrupt = 18,   ///< a snapshot file does not parse
    index_corrupt = 19,      ///< an index failed its integrity check
    bad_argument = 20,       ///< the caller passed something evlog cannot use
    snapshot_ahead_of_log = 21, ///< a snapshot holds events the log does not
};

/// A stable snake_case name for each code, for files and scripts.
constexpr const char* errc_name(errc e) noexcept {
    switch (e) {
    case errc::ok: return "ok";
    case errc::malformed_line: return "malformed_line";
    case errc::torn_line: return "torn_line";
    case errc::nul_bytes: return "nul_bytes";
    case errc::missing_field: return "missing_field";
    case errc::wrong_type: return "wrong_type";
    case errc::invalid_ulid: return "invalid_ulid";
    case errc::invalid_timestamp: return "invalid_timestamp";
    case errc::id_not_increasing: return "id_not_increasing";
    case errc::foreign_stream: return "foreign_stream";
    case errc::line_too_long: return "line_too_long";
    case errc::unknown_payload_type: return "unknown_payload_type";
    case errc::mid_file_corruption: return "mid_file_corruption";
    case errc::log_poisoned: return "log_poisoned";
    case errc::log_locked: return "log_locked";
    case errc::log_closed: return "log_closed";
    case errc::io_error: return "io_error";
    case errc::invalid_name: return "invalid_name";
    case errc::snapshot_corrupt: return "snapshot_corrupt";
    case errc::index_corrupt: return "index_corrupt";
    case errc::bad_argument: return "bad_argument";
    case errc::snapshot_ahead_of_log: return "snapshot_ahead_of_log";
    }
    return "unknown";
}

namespace detail {
class error_category_impl final : public std::error_category {
public:
    const char* name() const noexcept override { return "evlog"; }
    std::string message(int v) const override {
        switch (static_cast<errc>(v)) {
        case errc::ok: return "success";
        case errc::malformed_line: return "malformed line";
        case errc::torn_line: return "torn final line";
        case errc::nul_bytes: return "run of NUL bytes";
        case errc::missing_field: return "missing field";
        case errc::wrong_type: return "field has the wrong type";
        case errc::invalid_ulid: return "invalid ULID";
        case errc::invalid_timestamp: return "invalid timestamp";
        case errc::id_not_increasing: return "event id does not increase";
        case errc::foreign_stream: return "event belongs to another stream";
        case errc::line_too_long: return "line exceeds max_line_bytes";
        case errc::unknown_payload_type: return "unknown payload type";
        case errc::mid_file_corruption: return "bad line followed by good lines (mid-file corruption)";
        case errc::log_poisoned: return "log refused the write: an earlier write or fsync failed; reopen the log";
        case errc::log_locked: return "log is locked by another writer";
        case errc::log_closed: return "log is not open";
        case errc::io_error: return "I/O error";
        case errc::invalid_name: return "name would escape its directory";
        case errc::snapshot_corrupt: return "snapshot is corrupt";
        case errc::index_corrupt: return "index is corrupt";
        case errc::bad_argument: return "bad argument";
        case errc::snapshot_ahead_of_log: return "snapshot holds events the log does not";
        }
        return "unknown evlog error";
    }
};
} // namespace detail

/// The category of every evlog error code.
inline const std::error_category& error_category() noexcept {
    static const detail::error_category_impl instance;
    return instance;
}

inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), error_category()};
}

/// Where in a file a problem sits. line is 1-based; offset is the byte
/// offset of the start of the line.
struct location {
    std::filesystem::path file;
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
};

/// The exception evlog throws. code() is in evlog::error_category() or, for
/// system call failures, std::system_category(); where() names the file,
/// line and byte offset when the error concerns stored bytes.
class error : public std::system_error {
public:
    error(std::error_code ec, std::string detail, std::optional<location> where = std::nullopt)
        : std::system_error(ec), what_(format(ec, detail, where)), detail_(std::move(detail)),
          where_(std::move(where)) {}

    /// `FILE:LINE: byte OFFSET: REASON: DETAIL`, the location only when known.
    const char* what() const noexcept override { return what_.c_str(); }

    /// The reason without the location prefix, e.g. `field "stream_id": invalid ULID`.
    const std::string& detail() const noexcept { return detail_; }
    const std::optional<location>& where() const noexcept { return where_; }

private:
    static std::string format(std::error_code ec, const std::string& detail,
                              const std::optional<location>& where) {
        std::string s;
        if (where) {
            s += where->file.string();
            if (where->line != 0) s += ":" + std::to_string(where->line);
            s += ": byte " + std::to_string(where->offset) + ": ";
        }
        s += ec.message();
        if (!detail.empty()) s += ": " + detail;
        return s;
    }

    std::string what_;
    std::string detail_;
    std::optional<location> where_;
};

/// Throws evlog::error for a failed system call, naming the path.
[[noreturn]] inline void throw_io(int err, std::string_view what, const std::filesystem::path& path) {
    throw error(std::error_code(err, std::system_category()),
                std::string(what) + " " + path.string());
}

} // namespace evlog

template <>
struct std::is_error_code_enum<evlog::errc> : std::true_type {};
