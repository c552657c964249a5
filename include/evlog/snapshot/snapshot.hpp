// What a snapshot holds, and what loading the newest one reports.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <boost/json/value.hpp>

#include <evlog/core/time.hpp>

namespace evlog {

/// A folded state and where in the log it was taken.
///
/// On disk (`state_<last_event_id>.json`, one JSON object):
/// `{"state":…,"last_event_id":N,"agent_contexts":{…},"saved_at":"RFC3339","log_offset":N}`.
/// Readers ignore keys they do not know, which is how files written by the
/// Go implementation (no `log_offset`) and by this one read in both.
template <class State>
struct snapshot {
    State state{};
    /// The id of the last event folded into `state`.
    std::uint64_t last_event_id = 0;
    /// The byte offset just past that event's line in the log, where replay
    /// resumes. nullopt means unknown: files written by the Go implementation
    /// have no `log_offset`, and 0 cannot stand for unknown because it is a
    /// real offset (a snapshot of an empty log). A nullopt offset is saved by
    /// omitting the key, so re-saving such a snapshot does not invent one.
    /// Recovery has to find the event by id when it is unknown.
    std::optional<std::uint64_t> log_offset;
    /// Agent name -> that agent's context, kept as raw JSON because the store
    /// does not interpret it. Written as `{}` when empty, as Go does.
    std::map<std::string, boost::json::value> agent_contexts;
    evlog::timestamp saved_at{};

    /// Deleted when State has no ==.
    friend bool operator==(const snapshot&, const snapshot&) = default;
};

/// A snapshot file that load_latest() passed over because it does not parse.
struct skipped_snapshot {
    std::filesystem::path path;
    std::uint64_t id = 0;      ///< from the file name
    std::error_code code;      ///< errc::snapshot_corrupt
    std::string detail;        ///< what was wrong, without the path (it is in `path`)
};

/// The result of snapshot_store::load_latest(): the newest snapshot that
/// loads, if any, and every newer one that did not, newest first. A caller
/// that recovers from an older snapshot (or from the whole log) should say
/// so when `skipped` is not empty, since something damaged those files.
template <class State>
struct load_result {
    std::optional<evlog::snapshot<State>> snapshot;
    std::vector<skipped_snapshot> skipped;
};

} // namespace evlog
