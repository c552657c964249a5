// Crash recovery: rebuild a stream's state from its newest valid snapshot
// and the log after it, and bring its index in step with the log.
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <evlog/core/ulid.hpp>
#include <evlog/index/index.hpp>
#include <evlog/index/rebuild.hpp>
#include <evlog/log/repair.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/recovery/storage_manager.hpp>
#include <evlog/snapshot/snapshot.hpp>

namespace evlog {

/// What recovery composes, chosen at compile time:
///
///     struct my_config {
///         using event_type = ...;            // evlog::event<...>
///         using state_type = ...;            // what the fold builds
///         using repair_policy = evlog::repair_truncate_tail;
///         using snapshot_store_type = evlog::snapshot_store<state_type>;
///         using index_type = evlog::null_index<event_type>;
///         static state_type initial_state(const std::optional<evlog::ulid>& stream);
///         static void apply(state_type&, const event_type&);   // sees unknown payloads too
///         static index_type open_index(const evlog::stream_paths&);
///         // optional: the stream a state belongs to (names_its_stream)
///         static std::optional<evlog::ulid> stream_of(const state_type&);
///         // optional: write the index from a state (seeds_index)
///         static void seed_index(index_type&, const state_type&, std::optional<std::uint64_t>);
///     };
template <class C>
concept recovery_config =
    requires {
        typename C::event_type;
        typename C::state_type;
        typename C::repair_policy;
        typename C::snapshot_store_type;
        typename C::index_type;
    } && event_index<typename C::index_type> &&
    std::same_as<typename C::index_type::event_type, typename C::event_type> &&
    requires(typename C::state_type& s, const typename C::event_type& e, const std::optional<ulid>& stream,
             const stream_paths& paths) {
        { C::initial_state(stream) } -> std::same_as<typename C::state_type>;
        C::apply(s, e);
        { C::open_index(paths) } -> std::same_as<typename C::index_type>;
    };

/// A config whose states know their stream: `static std::optional<ulid>
/// stream_of(const state_type&)`. Recovery then passes over a snapshot of
/// another stream (errc::foreign_stream) as it does over a corrupt one.
template <class C>
concept names_its_stream = requires(const typename C::state_type& s) {
    { C::stream_of(s) } -> std::same_as<std::optional<ulid>>;
};

/// A config that can write its index from a state:
/// `static void seed_index(index_type&, const state_type&, std::optional<std::uint64_t> last)`.
/// Recovery does so when the log starts after the snapshot (or holds no
/// events), where the log's events alone would leave out the snapshot's rows.
template <class C>
concept seeds_index = requires(typename C::index_type& i, const typename C::state_type& s,
                               std::optional<std::uint64_t> last) { C::seed_index(i, s, last); };

/// What recovery did to the index.
enum class index_action {
    none,          ///< already in step with the log
    caught_up,     ///< was behind: only the missing events were applied
    rebuilt,       ///< missing, empty, ahead of the log, corrupt, or repair removed lines: rebuilt from the log
    set_to_snapshot///< no events in the log: the snapshot is trusted, the index's last id set to it
};

inline const char* to_string(index_action a) noexcept {
    switch (a) {
    case index_action::none: return "none";
    case index_action::caught_up: return "caught_up";
    case index_action::rebuilt: return "rebuilt";
    case index_action::set_to_snapshot: return "set_to_snapshot";
    }
    return "?";
}

struct recovery_report {
    std::optional<std::uint64_t> snapshot_id;      ///< the snapshot used, if any
    std::vector<skipped_snapshot> skipped_snapshots;///< newer ones that did not load, or of another stream
    /// Snapshots holding events the log does not (errc::snapshot_ahead_of_log),
    /// renamed to `state_<id>.json.ahead-of-log` so that no later recovery
    /// uses them; `path` is the new name.
    std::vector<skipped_snapshot> set_aside_snapshots;
    bool log_missing = false;
    bool seeked = false;         ///< replay started at the snapshot's log_offset (verified)
    std::uint64_t replay_start = 0; ///< byte offset replay started at
    repair_report repair;
    std::uint64_t events_replayed = 0; ///< folded into the state (after the snapshot)
    std::uint64_t unknown_events = 0;  ///< of those, with a payload type this build does not know
    std::uint64_t foreign_events = 0;  ///< skipped: they name another stream
    index_action index = index_action::none;
    std::string index_reason;
    std::uint64_t index_events_applied = 0;
    /// `repair` includes folding the events (one pass); `replay` is the
    /// second fold after repair rewrote the log, zero otherwise.
    struct step_times {
        std::chrono::nanoseconds snapshot{}, repair{}, replay{}, index{};
    } took;
};

template <class State>
struct recovery_result {
    State state;
    std::optional<std::uint64_t> last_event_id; ///< of the state: the log's, or the snapshot's
    recovery_report report;
};

struct recovery_options {
    std::size_t max_line_bytes = format::default_max_line_bytes;
    /// Events of other streams are skipped and counted. Defaults to the
    /// stream directory's name when that is a ULID.
    std::optional<ulid> stream;
    /// Events per index transaction when rebuilding or catching up.
    std::size_t index_batch_size = 10000;
};

/// Recovers the stream in `paths.dir` (events.jsonl, snapshots/), bringing
/// `index` in step. Steps: newest valid snapshot (falling back past corrupt
/// ones); repair the log under C::repair_policy, holding the log's lock;
/// replay only the events after the snapshot, seeking to its log_offset
/// when the line that ends there has the snapshot's id; check the index
/// (up to date, behind, ahead, missing, corrupt). Recovering twice gives
/// the same state. Throws evlog::error.
template <recovery_config C, class File = posix_file>
recovery_result<typename C::state_type> recover(const stream_paths& paths, typename C::index_type& index,
                                                recovery_options opt = {}, File file = {});

/// As above, with the index the config opens for the directory.
template <recovery_config C, class File = posix_file>
recovery_result<typename C::state_type> recover(const std::filesystem::path& stream_dir,
                                                recovery_options opt = {}, File file = {}) {
    stream_paths paths{stream_dir};
    auto index = C::open_index(paths);
    return recover<C, File>(paths, index, opt, std::move(file));
}

} // namespace evlog

#include <evlog/recovery/impl/recover.hpp>
