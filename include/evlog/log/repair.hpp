// Repair: bring a log to a state every later append and replay can trust,
// as a repair policy allows, and report exactly what was done.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>

#include <evlog/core/codec.hpp>
#include <evlog/core/errors.hpp>
#include <evlog/file/atomic_file.hpp>
#include <evlog/file/io.hpp>
#include <evlog/file/posix_file.hpp>
#include <evlog/log/detail/scanner.hpp>
#include <evlog/log/format.hpp>
#include <evlog/log/repair_policy.hpp>

namespace evlog {

/// A bad line that repair moved out of the log (or, for repair_skip, left).
struct bad_line {
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
    std::uint64_t length = 0; ///< bytes, its '\n' included
    std::error_code reason;
    std::string detail;
};

struct repair_report {
    std::uint64_t events_kept = 0;
    std::uint64_t unknown = 0;          ///< kept events whose payload type is unknown
    std::uint64_t bytes_truncated = 0;  ///< cut off the tail (repair_truncate_tail)
    std::vector<bad_line> quarantined;  ///< copied to quarantine_file and removed from the log
    std::vector<bad_line> skipped;      ///< left in place (repair_skip)
    std::optional<std::filesystem::path> quarantine_file; ///< set when bytes were saved there
    bool rewritten = false;             ///< the log is a new file (repair_quarantine)
    std::optional<std::uint64_t> last_id;
    std::uint64_t end_offset = 0;       ///< file size after repair
    bool changed() const noexcept { return bytes_truncated > 0 || rewritten; }
};

struct repair_options {
    std::size_t max_line_bytes = format::default_max_line_bytes;
};

inline std::filesystem::path quarantine_path(const std::filesystem::path& log) {
    auto p = log;
    p += std::string(format::quarantine_suffix);
    return p;
}

namespace detail {

/// errc_name for evlog codes; "errno_N" for system ones.
inline std::string reason_name(std::error_code ec) {
    if (ec.category() == error_category()) return errc_name(static_cast<errc>(ec.value()));
    return "errno_" + std::to_string(ec.value());
}

/// Copies the bad lines, byte for byte, to the quarantine file, which a
/// first quarantine creates with the log's permission bits.
template <class File>
void quarantine_lines(File& file, int fd, const std::filesystem::path& log, const std::vector<bad_line>& lines) {
    std::string out;
    for (const auto& b : lines) {
        out += format::quarantine_magic;
        out += " line=" + std::to_string(b.line) + " offset=" + std::to_string(b.offset) +
               " length=" + std::to_string(b.length) + " reason=" + reason_name(b.reason) + "\n";
        std::size_t at = out.size();
        out.resize(at + b.length);
        std::size_t got = 0, total = 0;
        while (total < b.length) {
            if (auto ec = file.pread(fd, out.data() + at + total, b.length - total, b.offset + total, got))
                throw error(ec, "read " + log.string(), location{log, b.line, b.offset});
            if (got == 0) break;
            total += got;
        }
        out.resize(at + total);
        out += '\n';
    }
    append_durably(file, quarantine_path(log), out, permissions_of(log));
}

/// Where a repair scan starts: the whole file, or only what follows a
/// point already known good (a verified snapshot offset), so that recovery
/// does not parse what a snapshot covers. Line numbers in errors are 0
/// (unknown) when the scan starts past the beginning.
struct scan_start {
    std::uint64_t offset = 0;
    std::optional<std::uint64_t> last_id; ///< the id of the line ending at `offset`
};

/// Does nothing with the events repair keeps.
struct ignore_events {
    template <class Event>
    void operator()(const Event&) const noexcept {}
};

/// Runs `Policy` over the open log `fd`, from `from` on. For
/// repair_quarantine the file at `path` may be replaced: then
/// report.rewritten is true and `fd` refers to the old file, which the
/// caller must reopen. Bytes before `from.offset` are never changed.
/// `keep(event)` sees each good event in file order as the scan confirms
/// it, before repair has decided anything about later lines (recovery
/// folds them; it throws the fold away when repair throws or rewrites).
template <class Event, class Policy, class File, class Codec = default_codec_t<Event>, class Keep = ignore_events>
repair_report repair_fd(File& file, int fd, const std::filesystem::path& path, const repair_options& opt,
                        scan_start from = {}, Keep&& keep = {}) {
    Codec codec;
    scanner<Event, Codec, File> scan(file, fd, path, codec, from.offset, from.offset ? 0 : 1, opt.max_line_bytes,
                                     from.last_id);
    repair_report rep;
    rep.last_id = from.last_id;
    std::vector<bad_line> bad;
    std::uint64_t good_after_bad = 0;
    scanned_line s;
    const Event* ev = nullptr;
    while (scan.next(s, ev)) {
        if (s.kind == line_kind::blank) continue;
        if (s.kind == line_kind::bad) {
            bad_line b{s.line.number, s.line.offset, s.line.end - s.line.offset, s.reason, s.detail};
            if (Policy::mode == repair_mode::strict)
                throw error(s.reason, s.detail, location{path, s.line.number, s.line.offset});
            bad.push_back(std::move(b));
            continue;
        }
        if (!bad.empty()) {
            ++good_after_bad;
        }
        ++rep.events_kept;
        if (ev->is_unknown()) ++rep.unknown;
        rep.last_id = ev->id;
        keep(*ev);
    }
    std::uint64_t size = scan.offset();
    rep.end_offset = size;

    if (!bad.empty()) {
        switch (Policy::mode) {
        case repair_mode::strict: break; // thrown above
        case repair_mode::skip:
            rep.skipped = std::move(bad);
            break;
        case repair_mode::truncate_tail: {
            const auto& first = bad.front();
            if (good_after_bad > 0)
                throw error(make_error_code(errc::mid_file_corruption),
                            first.reason.message() + ": " + first.detail + " (" + std::to_string(good_after_bad) +
                                " good lines follow; the file was not changed)",
                            location{path, first.line, first.offset});
            // Save what we cut: a torn line is unacknowledged, but it is still data.
            bad_line tail = first;
            tail.length = size - first.offset;
            quarantine_lines(file, fd, path, {tail});
            rep.quarantine_file = quarantine_path(path);
            if (auto ec = file.ftruncate(fd, first.offset)) throw error(ec, "ftruncate " + path.string());
            if (auto ec = file.fdatasync(fd)) throw error(ec, "fdatasync " + path.string());
            rep.bytes_truncated = size - first.offset;
            rep.end_offset = first.offset;
            rep.quarantined.push_back(tail);
            break;
        }
        case repair_mode::quarantine: {
            quarantine_lines(file, fd, path, bad);
            rep.quarantine_file = quarantine_path(path);
            auto temp = path;
            temp += std::string(format::rewrite_suffix);
            // The rewrite keeps the log's permission bits: a log kept 0600 stays private.
            atomic_file<File> out(file, path, temp, permissions_of(path));
            std::uint64_t pos = 0;
            std::string chunk;
            auto copy = [&](std::uint64_t from, std::uint64_t to) {
                while (from < to) {
                    chunk.resize(static_cast<std::size_t>(std::min<std::uint64_t>(to - from, format::default_read_chunk)));
                    std::size_t got = 0;
                    if (auto ec = file.pread(fd, chunk.data(), chunk.size(), from, got)) throw error(ec, "read " + path.string());
                    if (got == 0) break;
                    out.write(std::string_view(chunk.data(), got));
                    from += got;
                }
            };
            for (const auto& b : bad) {
                copy(pos, b.offset);
                pos = b.offset + b.length;
            }
            copy(pos, size);
            out.commit();
            rep.end_offset = size;
            for (const auto& b : bad) rep.end_offset -= b.length;
            rep.quarantined = std::move(bad);
            rep.rewritten = true;
            break;
        }
        }
    }
    return rep;
}

} // namespace detail

/// Repairs the log at `path` under `RepairPolicy` and says what it did.
/// Takes the log's lock first, so it refuses (errc::log_locked) while a
/// writer has the log open. Throws evlog::error; on error the file is unchanged.
template <class Event, repair_policy RepairPolicy = repair_truncate_tail, class File = posix_file,
          class Codec = default_codec_t<Event>>
repair_report repair(const std::filesystem::path& path, repair_options opt = {}, File file = {}) {
    int fd = -1;
    if (auto ec = file.open(path, O_RDWR, 0, fd)) throw error(ec, "open " + path.string());
    struct closer { File& f; int fd; ~closer() { f.close(fd); } } c{file, fd};
    lock_exclusive(file, fd, path);
    return detail::repair_fd<Event, RepairPolicy, File, Codec>(file, fd, path, opt);
}

} // namespace evlog
