// The commands that work on one events.jsonl file: verify, repair, dump, append.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include <fcntl.h>

#include <evlog/evlog.hpp>
#include <evlog/spec/payloads.hpp>

#include "cli.hpp"

namespace evtool {

using evlog::spec::spec_event;
using codec_type = evlog::json_codec<spec_event>;

namespace {

std::uint64_t parse_u64(const std::string& s, const char* what) {
    try {
        std::size_t used = 0;
        auto v = std::stoull(s, &used);
        if (used == s.size()) return v;
    } catch (const std::exception&) {
    }
    throw usage_error(std::string(what) + " must be a non-negative integer, not '" + s + "'");
}

std::uint64_t size_of(const std::filesystem::path& p) {
    std::error_code ec;
    auto n = std::filesystem::file_size(p, ec);
    return ec ? 0 : n;
}

} // namespace

int cmd_verify(const args& a) {
    const std::filesystem::path path = a.need(0, "FILE");
    std::size_t max_line = a.flags.count("max-line-bytes") ? parse_u64(a.flag("max-line-bytes", ""), "--max-line-bytes")
                                                             : evlog::format::default_max_line_bytes;
    evlog::posix_file file;
    int fd = -1;
    if (auto ec = file.open(path, O_RDONLY, 0, fd)) throw evlog::error(ec, "open " + path.string());
    struct closer { evlog::posix_file& f; int fd; ~closer() { f.close(fd); } } c{file, fd};

    codec_type codec;
    evlog::detail::scanner<spec_event, codec_type, evlog::posix_file> scan(file, fd, path, codec, 0, 1, max_line);
    evlog::detail::scanned_line s;
    const spec_event* ev = nullptr;
    std::uint64_t events = 0, problems = 0;
    progress bar("verify", size_of(path));
    auto report = [&](const evlog::detail::raw_line& l, const std::string& reason) {
        ++problems;
        std::printf("%s:%llu: byte %llu: %s\n", path.c_str(), static_cast<unsigned long long>(l.number),
                    static_cast<unsigned long long>(l.offset), reason.c_str());
    };
    try {
        while (scan.next(s, ev)) {
            bar.update(scan.offset());
            if (s.kind == evlog::detail::line_kind::bad) {
                report(s.line, s.reason.message() + (s.detail.empty() ? "" : ": " + s.detail));
            } else if (s.kind == evlog::detail::line_kind::good) {
                ++events;
                // The spec store cannot fold a type it does not know; evlog keeps it, but it is a finding.
                if (ev->is_unknown()) report(s.line, "unknown payload type \"" + std::string(ev->type_name()) + "\"");
            }
        }
    } catch (const evlog::error& e) {
        // A line beyond max_line_bytes: the scan cannot go on past it.
        std::printf("%s\n", e.what());
        return bad_data;
    }
    if (problems) return bad_data;
    std::printf("ok %llu events\n", static_cast<unsigned long long>(events));
    return ok;
}

namespace {

template <class Policy>
int run_repair(const std::filesystem::path& path) {
    evlog::repair_report r;
    try {
        r = evlog::repair<spec_event, Policy>(path);
    } catch (const evlog::error& e) {
        if (e.code().category() == std::system_category()) throw;
        std::fprintf(stderr, "evlog repair: %s\n", e.what()); // the error says the file is untouched
        return bad_data;
    }
    std::printf("{\"kept\":%llu,\"truncated_bytes\":%llu,\"quarantined\":%zu,\"quarantine_file\":%s}\n",
                static_cast<unsigned long long>(r.events_kept), static_cast<unsigned long long>(r.bytes_truncated),
                r.quarantined.size(), r.quarantine_file ? json_quote(r.quarantine_file->string()).c_str() : "null");
    return ok;
}

} // namespace

int cmd_repair(const args& a) {
    const std::filesystem::path path = a.need(0, "FILE");
    const auto policy = a.flag("policy", "truncate-tail");
    if (!std::filesystem::exists(path)) throw evlog::error(std::make_error_code(std::errc::no_such_file_or_directory), "open " + path.string());
    if (policy == "truncate-tail") return run_repair<evlog::repair_truncate_tail>(path);
    if (policy == "quarantine") return run_repair<evlog::repair_quarantine>(path);
    throw usage_error("--policy must be truncate-tail or quarantine, not '" + policy + "'");
}

int cmd_dump(const args& a) {
    const std::filesystem::path path = a.need(0, "FILE");
    const std::uint64_t from = a.flags.count("from") ? parse_u64(a.flag("from", ""), "--from") : 0;
    codec_type codec;
    std::string line;
    progress bar("dump", size_of(path));
    evlog::replay<spec_event, evlog::repair_truncate_tail>(path, [&](const spec_event& e, const evlog::record_position& at) {
        bar.update(at.end);
        if (e.id < from) return;
        line.clear();
        codec.encode(e, line);
        line += '\n';
        std::fwrite(line.data(), 1, line.size(), stdout);
    });
    return ok;
}

namespace {

template <class Fsync>
int run_append(const std::filesystem::path& path) {
    evlog::basic_append_log<spec_event, Fsync> log;
    log.open(path);
    codec_type codec;
    spec_event e;
    std::string line;
    std::uint64_t n = 0;
    while (std::getline(std::cin, line)) {
        ++n;
        if (evlog::detail::is_blank(line)) continue;
        if (auto ec = codec.decode(line, e)) {
            std::fprintf(stderr, "evlog append: stdin:%llu: %s: %s\n", static_cast<unsigned long long>(n),
                         ec.message().c_str(), std::string(codec.error_detail()).c_str());
            return bad_data;
        }
        const auto id = e.id == 0 ? log.append_next(e) : log.append(e);
        std::printf("ok %llu\n", static_cast<unsigned long long>(id));
        std::fflush(stdout);
    }
    log.close();
    return ok;
}

} // namespace

int cmd_append(const args& a) {
    const std::filesystem::path path = a.need(0, "FILE");
    const auto fsync = a.flag("fsync", "always");
    if (fsync == "always") return run_append<evlog::fsync_always>(path);
    if (fsync == "group") return run_append<evlog::fsync_group>(path);
    if (fsync == "interval") return run_append<evlog::fsync_interval<1000>>(path);
    if (fsync == "never") return run_append<evlog::fsync_never>(path);
    throw usage_error("--fsync must be always, group, interval or never, not '" + fsync + "'");
}

} // namespace evtool
