// Template bodies of evlog::recover. Included by recovery/recover.hpp.
#pragma once

#include <algorithm>
#include <string>

#include <fcntl.h>

#include <evlog/file/io.hpp>

namespace evlog {
namespace detail {

/// The line that ends (with its '\n') exactly at `offset`, or nullopt when
/// `offset` is not just past a '\n' or the line is longer than max_line.
template <class File>
std::optional<std::string> line_ending_at(File& file, int fd, std::uint64_t offset, std::size_t max_line) {
    if (offset == 0) return std::nullopt;
    std::string buf;
    std::size_t window = 4096;
    for (;;) {
        const std::uint64_t from = offset > window ? offset - window : 0;
        buf.resize(static_cast<std::size_t>(offset - from));
        std::size_t got = 0, total = 0;
        while (total < buf.size()) {
            if (file.pread(fd, buf.data() + total, buf.size() - total, from + total, got) || got == 0)
                return std::nullopt;
            total += got;
        }
        if (buf.back() != '\n') return std::nullopt;
        const auto nl = buf.find_last_of('\n', buf.size() >= 2 ? buf.size() - 2 : std::string::npos);
        if (buf.size() >= 2 && nl != std::string::npos) return buf.substr(nl + 1, buf.size() - nl - 2);
        if (from == 0) return buf.substr(0, buf.size() - 1);
        if (window > max_line) return std::nullopt;
        window *= 4;
    }
}

/// Steady-clock stopwatch for the report's step times.
class stopwatch {
public:
    std::chrono::nanoseconds lap() {
        auto now = std::chrono::steady_clock::now();
        auto d = now - last_;
        last_ = now;
        return std::chrono::duration_cast<std::chrono::nanoseconds>(d);
    }

private:
    std::chrono::steady_clock::time_point last_ = std::chrono::steady_clock::now();
};

} // namespace detail

template <recovery_config C, class File>
recovery_result<typename C::state_type> recover(const stream_paths& paths, typename C::index_type& index,
                                                recovery_options opt, File file) {
    using event_type = typename C::event_type;
    using policy = typename C::repair_policy;
    using codec_type = default_codec_t<event_type>;

    recovery_result<typename C::state_type> out;
    auto& rep = out.report;
    detail::stopwatch clock;
    if (!opt.stream) opt.stream = paths.named_stream();

    // 1. The newest snapshot that loads and is of this stream. A refold
    // loads again at most the id it needs, without reporting twice.
    typename C::snapshot_store_type store(paths.snapshots());
    std::optional<std::uint64_t> snap_id;
    std::optional<std::uint64_t> snap_offset;
    auto load_base = [&](std::optional<std::uint64_t> at_most, bool report) {
        snap_id.reset();
        snap_offset.reset();
        for (;;) {
            auto loaded = store.load_latest(at_most);
            if (report)
                for (auto& s : loaded.skipped) rep.skipped_snapshots.push_back(std::move(s));
            if (!loaded.snapshot) break;
            auto& snap = *loaded.snapshot;
            if constexpr (names_its_stream<C>) {
                // A snapshot copied from another stream would pass its
                // state off as this one's, and hide this log's first events.
                const auto of = C::stream_of(snap.state);
                if (opt.stream && of && *of != *opt.stream) {
                    if (report)
                        rep.skipped_snapshots.push_back({store.path_of(snap.last_event_id), snap.last_event_id,
                                                         make_error_code(errc::foreign_stream),
                                                         "its state is of stream " + of->str()});
                    if (snap.last_event_id == 0) break;
                    at_most = snap.last_event_id - 1;
                    continue;
                }
            }
            snap_id = snap.last_event_id;
            snap_offset = snap.log_offset;
            out.state = std::move(snap.state);
            break;
        }
        if (!snap_id) out.state = C::initial_state(opt.stream);
        rep.snapshot_id = snap_id;
        out.last_event_id = snap_id;
    };
    load_base(std::nullopt, true);
    rep.took.snapshot = clock.lap();

    const auto log = paths.log();
    std::optional<std::uint64_t> log_last; // last id the log holds
    std::optional<std::uint64_t> first_seen; // first id the fold was handed
    auto is_foreign = [&](const event_type& e) { return opt.stream && e.stream != *opt.stream; };

    int fd = -1;
    if (auto ec = file.open(log, O_RDWR, 0, fd)) {
        if (ec != std::errc::no_such_file_or_directory) throw error(ec, "open " + log.string());
        rep.log_missing = true;
    }
    struct closer {
        File& f;
        int& fd;
        ~closer() { if (fd >= 0) f.close(fd); }
    } close_log{file, fd};

    if (fd >= 0) {
        lock_exclusive(file, fd, log);
        // Seek only when the line ending at log_offset is the snapshot's event:
        // a rewrite or a foreign tool may have moved it. The snapshot covers
        // what lies before, so neither repair nor replay parses it again.
        if (snap_id && snap_offset) {
            codec_type codec;
            event_type probe;
            if (auto line = detail::line_ending_at(file, fd, *snap_offset, opt.max_line_bytes))
                if (!codec.decode(*line, probe) && probe.id == *snap_id) {
                    rep.seeked = true;
                    rep.replay_start = *snap_offset;
                }
        }
        // 2. Repair, holding the lock so no writer appends meanwhile, and 3.
        // fold what the snapshot does not cover in the same pass: repair
        // hands over each good event in order, so a clean log (and one
        // whose bad tail is cut, or whose bad lines are skipped) is parsed
        // once. A log that repair rewrote (quarantine) is folded again from
        // the snapshot, by a replay of the new file.
        auto fold = [&](const event_type& e) {
            if (!first_seen) first_seen = e.id;
            if (snap_id && e.id <= *snap_id) return;
            if (is_foreign(e)) {
                ++rep.foreign_events;
                return;
            }
            if (e.is_unknown()) ++rep.unknown_events;
            C::apply(out.state, e);
            ++rep.events_replayed;
            out.last_event_id = e.id;
        };
        const detail::scan_start from = rep.seeked ? detail::scan_start{rep.replay_start, snap_id} : detail::scan_start{};
        rep.repair =
            detail::repair_fd<event_type, policy, File, codec_type>(file, fd, log, {opt.max_line_bytes}, from, fold);
        if (rep.repair.rewritten) {
            int nfd = -1;
            if (auto ec = file.open(log, O_RDWR, 0, nfd)) throw error(ec, "reopen " + log.string());
            file.close(fd);
            fd = nfd;
            lock_exclusive(file, fd, log);
        }
        log_last = rep.repair.last_id;
        rep.took.repair = clock.lap();

        bool refold = rep.repair.rewritten;
        if (snap_id && log_last && *log_last < *snap_id) {
            // The snapshot holds events the log does not: a tail lost under
            // fsync_never, or a log restored from an older copy. The log
            // decides. The writer will hand out those ids again, and a
            // snapshot left in place would hide the new events behind its
            // own, so it is renamed out of the way, its bytes kept.
            // Every snapshot above the log goes, not only the one loaded: an
            // older one still above it would hide the next appends the same way.
            for (const auto id : store.list()) {
                if (id <= *log_last) continue;
                const auto to = store.set_aside(id, "ahead-of-log");
                rep.set_aside_snapshots.push_back({to, id, make_error_code(errc::snapshot_ahead_of_log),
                                                   "the log ends at event " + std::to_string(*log_last)});
            }
            load_base(*log_last, true);
            rep.seeked = false;
            rep.replay_start = 0;
            refold = true;
        } else if (refold && snap_id) {
            const auto before = *snap_id;
            load_base(before, false);
            if (snap_id != before)
                throw error(make_error_code(errc::snapshot_corrupt),
                            "snapshot " + std::to_string(before) + " changed during recovery");
        } else if (refold) {
            out.state = C::initial_state(opt.stream);
            out.last_event_id.reset();
        }
        if (refold) {
            rep.events_replayed = rep.unknown_events = rep.foreign_events = 0;
            detail::replay_fd<event_type, policy, File, codec_type>(file, fd, log, rep.replay_start,
                                                                    rep.seeked ? 0 : 1, fold, {opt.max_line_bytes});
        }
        rep.took.replay = clock.lap();
    }

    // 4. The index: a cache of the log, so the log decides.
    auto feed_from = [&](std::uint64_t start) {
        return [&, start](auto&& sink) {
            auto pass = [&](const event_type& e) {
                if (!is_foreign(e)) sink(e);
            };
            detail::replay_fd<event_type, policy, File, codec_type>(file, fd, log, start, start ? 0 : 1, pass,
                                                                    {opt.max_line_bytes});
        };
    };
    const bool log_has_events = fd >= 0 && log_last.has_value();
    if (!index.healthy()) {
        rep.index_reason = "corrupt (integrity check failed)";
        rep.index = index_action::rebuilt;
    } else if (log_has_events && (rep.repair.rewritten || !rep.repair.skipped.empty())) {
        // A line in the middle of the log that went bad after it was indexed
        // still has its rows, and the last ids still agree: nothing else
        // would show it. (A cut tail needs no rebuild: its ids were the
        // highest, so an index that held them is ahead of the log.) Skipped
        // lines stay in the log, so under repair_skip this happens at every
        // recovery: nothing tells whether the index saw them while good.
        rep.index_reason = "repair moved or skipped lines in the middle of the log, whose rows the index may hold";
        rep.index = index_action::rebuilt;
    } else if (!log_has_events) {
        if (index.last_event_id() != snap_id) {
            rep.index_reason = snap_id ? "log has no events: trusting the snapshot" : "log has no events";
            rep.index = index_action::set_to_snapshot;
        } else {
            rep.index_reason = "up to date";
        }
    } else if (auto il = index.last_event_id(); !il) {
        rep.index_reason = "missing or empty";
        rep.index = index_action::rebuilt;
    } else if (*il > *log_last) {
        rep.index_reason = "ahead of the log (index " + std::to_string(*il) + ", log " + std::to_string(*log_last) + ")";
        rep.index = index_action::rebuilt;
    } else if (*il < *log_last) {
        rep.index_reason = "behind the log (index " + std::to_string(*il) + ", log " + std::to_string(*log_last) + ")";
        rep.index = index_action::caught_up;
    } else {
        rep.index_reason = "up to date";
    }
    bool seeded = false;
    if constexpr (seeds_index<C>) {
        // A log that starts after the snapshot, or holds no events, cannot
        // give the index the snapshot's rows: they come from the state.
        if (snap_id && rep.index != index_action::none) {
            // A log that holds the snapshot's own event (which a seek
            // proves) covers it; one whose first event comes after it holds
            // none of what the snapshot folded. Ids may have gaps, so an id
            // above 1 proves nothing on its own.
            const std::optional<std::uint64_t> first = log_has_events && !rep.seeked ? first_seen : std::nullopt;
            const bool lacks_start = !log_has_events || (first && *first > *snap_id);
            const bool gap = rep.index == index_action::caught_up && first && *index.last_event_id() + 1 < *first;
            if (lacks_start && (rep.index != index_action::caught_up || gap)) {
                auto last = out.last_event_id;
                if (log_last && (!last || *log_last > *last)) last = log_last;
                C::seed_index(index, out.state, last);
                if (rep.index == index_action::caught_up) rep.index = index_action::rebuilt;
                rep.index_reason += log_has_events ? "; the log starts after the snapshot: written from the state"
                                                   : "; written from the snapshot's state";
                seeded = true;
            }
        }
    }
    switch (seeded ? index_action::none : rep.index) {
    case index_action::none: break;
    case index_action::rebuilt:
        if constexpr (index_without_rows<typename C::index_type>) {
            // Nothing to derive from the events but their last id.
            index.reset();
            if (log_has_events) index.set_last_event_id(*log_last);
        } else if (log_has_events) {
            std::uint64_t n = 0;
            rebuild_index(index, [&](auto&& sink) { feed_from(0)([&](const event_type& e) { ++n; sink(e); }); },
                          opt.index_batch_size);
            rep.index_events_applied = n;
        } else {
            index.reset();
        }
        break;
    case index_action::caught_up: {
        // Start at the snapshot's offset when the index already covers the snapshot.
        const auto il = *index.last_event_id();
        const std::uint64_t start = rep.seeked && snap_id && il >= *snap_id ? rep.replay_start : 0;
        rep.index_events_applied = catch_up_index(index, feed_from(start), opt.index_batch_size);
        break;
    }
    case index_action::set_to_snapshot:
        index.reset();
        if (snap_id) index.set_last_event_id(*snap_id);
        break;
    }
    rep.took.index = clock.lap();
    if (log_last && (!out.last_event_id || *log_last > *out.last_event_id)) out.last_event_id = log_last;
    return out;
}

} // namespace evlog
