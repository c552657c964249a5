// The folded state of one spec. Its JSON (the snapshot layout and the
// in-memory layout) is in evlog/spec/state_json.hpp; the fold is in
// evlog/spec/reducer.hpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/types.hpp>

namespace evlog::spec {

/// The spec's own fields. title, one_liner and goal are always written;
/// the five optional texts are left out of the JSON until set.
struct spec_core {
    ulid spec_id;
    std::string title;
    std::string one_liner;
    std::string goal;
    std::optional<std::string> description;
    std::optional<std::string> constraints;
    std::optional<std::string> success_criteria;
    std::optional<std::string> risks;
    std::optional<std::string> notes;
    timestamp created_at;
    timestamp updated_at;

    friend bool operator==(const spec_core&, const spec_core&) = default;
};

/// What undoes the card event `event_id`: the events to apply, in order.
struct undo_entry {
    std::uint64_t event_id = 0;
    std::vector<inverse_event> inverse;

    friend bool operator==(const undo_entry&, const undo_entry&) = default;
};

/// The lanes a spec starts with. No event adds or removes a lane.
inline std::vector<std::string> default_lanes() { return {"Ideas", "Plan", "Spec"}; }

/// Everything the events of one spec add up to.
struct spec_state {
    spec_core core;
    /// Keyed, and so ordered, by card id; ULIDs order by creation time.
    std::map<ulid, card> cards;
    std::vector<transcript_message> transcript;
    std::optional<question> pending_question;
    /// Oldest first; the top of the stack is the back.
    std::vector<undo_entry> undo_stack;
    /// The id of the last event folded in; 0 for none. Unknown payloads do
    /// not count.
    std::uint64_t last_event_id = 0;
    std::vector<std::string> lanes = default_lanes();

    friend bool operator==(const spec_state&, const spec_state&) = default;
};

} // namespace evlog::spec
