// Streaming replay: read a log from the start or from an offset and hand
// each event to a visitor. Memory is bounded by the longest line, or with
// two decoding threads by six batches of lines (replay_options).
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <thread>
#include <type_traits>

#include <fcntl.h>

#include <evlog/core/codec.hpp>
#include <evlog/core/errors.hpp>
#include <evlog/file/posix_file.hpp>
#include <evlog/log/detail/scanner.hpp>
#include <evlog/log/format.hpp>
#include <evlog/log/repair_policy.hpp>

namespace evlog {

/// Where an event's line sits in the file; a visitor may take it as a second argument.
struct record_position {
    std::uint64_t offset = 0; ///< first byte of the line
    std::uint64_t end = 0;    ///< just past its '\n'
    std::uint64_t line = 0;   ///< 1-based; 0 when replay started at an offset
};

struct replay_report {
    std::uint64_t events = 0;        ///< events handed to the visitor, unknown ones included
    std::uint64_t unknown = 0;       ///< of those, events whose payload type is unknown
    std::uint64_t skipped = 0;       ///< bad lines skipped (repair_skip, repair_quarantine)
    std::uint64_t blank = 0;         ///< blank lines
    std::uint64_t bytes = 0;         ///< bytes read
    std::uint64_t ignored_tail_bytes = 0; ///< a bad final line left alone (repair_truncate_tail)
    std::optional<std::uint64_t> last_id;
    std::uint64_t end_offset = 0;    ///< just past the last good line: where a resumed replay starts
};

struct replay_options {
    std::size_t max_line_bytes = format::default_max_line_bytes;
    /// Threads that decode lines. 1: the caller's only. 2: the caller's,
    /// which reads batches of lines and decodes every third (and any other
    /// the helper has not started when the caller needs it), and one helper,
    /// which decodes the rest (the visitor is still called on the caller's
    /// thread, in file order, with the same events and errors; memory grows
    /// by six batches and their events). 0, the default: 2 when the log
    /// holds at least `parallel_min_bytes` from where replay starts and the
    /// machine has two hardware threads or more, else 1.
    unsigned decode_threads = 0;
    std::uint64_t parallel_min_bytes = 8u << 20;
    std::size_t parallel_batch_bytes = 1u << 20; ///< at least one line per batch
};

namespace detail {

template <class File>
bool decode_in_parallel(File& file, int fd, std::uint64_t start, const replay_options& opt) {
    if (opt.decode_threads == 1) return false;
    if (opt.decode_threads >= 2) return true;
    if (std::thread::hardware_concurrency() < 2) return false;
    std::uint64_t size = 0;
    if (file.file_size(fd, size)) return false; // the reader reports the file's errors
    return size > start && size - start >= opt.parallel_min_bytes;
}

template <class Event, class Policy, class File, class Codec, class Visitor>
replay_report replay_fd(File& file, int fd, const std::filesystem::path& path, std::uint64_t start,
                        std::uint64_t first_line, Visitor& visit, const replay_options& opt) {
    Codec codec;
    scanner<Event, Codec, File> scan(file, fd, path, codec, start, first_line, opt.max_line_bytes, std::nullopt,
                                     decode_in_parallel(file, fd, start, opt) ? std::max<std::size_t>(opt.parallel_batch_bytes, 1) : 0);
    replay_report rep;
    rep.end_offset = start;
    scanned_line s;
    const Event* ev = nullptr;
    std::optional<scanned_line> pending_bad; // truncate_tail: the first bad line of what may prove the tail
    auto fail = [&](const scanned_line& b, std::error_code ec, std::string detail) -> void {
        throw error(ec, std::move(detail), location{path, b.line.number, b.line.offset});
    };
    while (scan.next(s, ev)) {
        if (s.kind == line_kind::blank) {
            ++rep.blank;
            continue;
        }
        if (pending_bad && s.kind == line_kind::good)
            fail(*pending_bad, make_error_code(errc::mid_file_corruption),
                 pending_bad->reason.message() + ": " + pending_bad->detail);
        if (s.kind == line_kind::bad) {
            switch (Policy::mode) {
            case repair_mode::strict: fail(s, s.reason, s.detail); break;
            case repair_mode::truncate_tail:
                if (!pending_bad) pending_bad = s;
                break;
            case repair_mode::quarantine:
            case repair_mode::skip: ++rep.skipped; break;
            }
            continue;
        }
        ++rep.events;
        if (ev->is_unknown()) ++rep.unknown;
        rep.last_id = ev->id;
        rep.end_offset = s.line.end;
        if constexpr (std::is_invocable_v<Visitor&, const Event&, const record_position&>)
            visit(*ev, record_position{s.line.offset, s.line.end, s.line.number});
        else
            visit(*ev);
    }
    if (pending_bad) rep.ignored_tail_bytes = scan.offset() - pending_bad->line.offset;
    rep.bytes = scan.offset() - start;
    return rep;
}

template <class File>
int open_for_read(File& file, const std::filesystem::path& path) {
    int fd = -1;
    if (auto ec = file.open(path, O_RDONLY, 0, fd)) throw error(ec, "open " + path.string());
    return fd;
}

} // namespace detail

/// Replays the log at `path` from its start. The visitor is called as
/// `visit(const Event&)` or `visit(const Event&, const record_position&)`.
/// Bad lines are handled as `RepairPolicy` says, read-only: strict throws,
/// truncate_tail ignores a bad final line but throws on mid-file damage,
/// quarantine and skip count and skip. Unknown payloads are delivered and
/// counted; the visitor decides whether to fail on them. Throws evlog::error.
template <class Event, repair_policy RepairPolicy = repair_strict, class File = posix_file,
          class Codec = default_codec_t<Event>, class Visitor>
replay_report replay(const std::filesystem::path& path, Visitor&& visit, replay_options opt = {}, File file = {}) {
    int fd = detail::open_for_read(file, path);
    struct closer { File& f; int fd; ~closer() { f.close(fd); } } c{file, fd};
    return detail::replay_fd<Event, RepairPolicy, File, Codec>(file, fd, path, 0, 1, visit, opt);
}

/// Replays from byte `offset`, which must be the start of a line (a
/// previous report's end_offset or a record_position). Line numbers are 0.
template <class Event, repair_policy RepairPolicy = repair_strict, class File = posix_file,
          class Codec = default_codec_t<Event>, class Visitor>
replay_report replay_from(const std::filesystem::path& path, std::uint64_t offset, Visitor&& visit,
                          replay_options opt = {}, File file = {}) {
    int fd = detail::open_for_read(file, path);
    struct closer { File& f; int fd; ~closer() { f.close(fd); } } c{file, fd};
    return detail::replay_fd<Event, RepairPolicy, File, Codec>(file, fd, path, offset, 0, visit, opt);
}

} // namespace evlog
