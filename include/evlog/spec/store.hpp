// The spec store without an index: the Go daemon's `home/specs/{ULID}/`
// layout, recovery of one spec, and snapshots taken from what recovery
// returned. The SQLite index (index.db) is in evlog/spec/sqlite_store.hpp.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/index/null_index.hpp>
#include <evlog/log/append_log.hpp>
#include <evlog/log/repair_policy.hpp>
#include <evlog/recovery/recover.hpp>
#include <evlog/recovery/storage_manager.hpp>
#include <evlog/snapshot/snapshot_store.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state.hpp>
#include <evlog/spec/state_json.hpp>

namespace evlog::spec {

/// The folder under home that holds the spec directories.
inline constexpr std::string_view specs_folder = "specs";

/// `snapshots/state_{event_id}.json` in the Go layout.
using spec_snapshot_store = evlog::snapshot_store<spec_state>;
using spec_snapshot = evlog::snapshot<spec_state>;

/// `events.jsonl`: one fdatasync per append, as the Go JsonlLog does.
template <class RepairPolicy = repair_truncate_tail>
using spec_log = evlog::append_log<spec_event, RepairPolicy>;

/// `home/specs/{ULID}/`. Spec names from outside go through
/// parse_stream_name(), so a name cannot leave home.
class storage_manager : public evlog::storage_manager {
public:
    explicit storage_manager(std::filesystem::path home)
        : evlog::storage_manager(std::move(home), std::string(specs_folder)) {}
};

/// The state a spec starts from before its first event: its id, default lanes.
inline spec_state initial_state(const std::optional<ulid>& spec) {
    spec_state s;
    if (spec) s.core.spec_id = *spec;
    return s;
}

/// What evlog::recover composes for a spec, with any index type whose
/// `Open(paths)` callable builds it. The two common ones are aliased below
/// and in sqlite_store.hpp.
template <class RepairPolicy, class Index, class Open>
struct basic_recovery_config {
    using event_type = spec_event;
    using state_type = spec_state;
    using repair_policy = RepairPolicy;
    using snapshot_store_type = spec_snapshot_store;
    using index_type = Index;
    static state_type initial_state(const std::optional<ulid>& spec) { return spec::initial_state(spec); }
    static void apply(state_type& s, const event_type& e) { spec::apply(s, e); }
    /// So that recovery passes over a snapshot copied from another spec.
    static std::optional<ulid> stream_of(const state_type& s) {
        return s.core.spec_id.is_nil() ? std::nullopt : std::optional<ulid>(s.core.spec_id);
    }
    static index_type open_index(const stream_paths& p) { return Open{}(p); }
    /// Writes the index from a state, when the opener can (seeds_index).
    static void seed_index(index_type& idx, const state_type& s, std::optional<std::uint64_t> last)
        requires requires { Open::seed(idx, s, last); }
    {
        Open::seed(idx, s, last);
    }
};

namespace detail {
struct open_null_index {
    null_index<spec_event> operator()(const stream_paths&) const { return {}; }
};
} // namespace detail

/// Recovery without index.db (for builds without SQLite, or tools that
/// only read the state).
template <class RepairPolicy = repair_truncate_tail>
using recovery_config_no_index = basic_recovery_config<RepairPolicy, null_index<spec_event>, detail::open_null_index>;

/// A snapshot of the state recovery returned, to save with
/// spec_snapshot_store. `log_offset` is set only when the state's last event
/// is the log's last line (then it is the log's end); otherwise it is left
/// unknown and a later recovery finds the event by id. `agent_contexts`
/// is carried over from `previous`, the snapshot recovery started from, so
/// taking a snapshot never drops them.
inline spec_snapshot snapshot_of(const recovery_result<spec_state>& r, const std::optional<spec_snapshot>& previous,
                                 timestamp saved_at) {
    spec_snapshot s;
    s.state = r.state;
    s.last_event_id = r.state.last_event_id;
    const auto& rep = r.report;
    if (!rep.log_missing && rep.repair.last_id && *rep.repair.last_id == s.last_event_id)
        s.log_offset = rep.repair.end_offset;
    if (previous) s.agent_contexts = previous->agent_contexts;
    s.saved_at = saved_at;
    return s;
}

} // namespace evlog::spec
