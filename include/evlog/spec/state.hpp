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

/// The order in which the log last (re)created each card: by a CardCreated
/// event, or by an UndoApplied whose inverse events bring a deleted card
/// back. It is the order in which the index inserts the cards' rows (their
/// rowid), which list_cards and the exports use for cards of equal order;
/// moving or updating a card keeps its place, as an UPDATE keeps the rowid.
///
/// Bookkeeping of the fold, not part of the state's value: the JSON layouts
/// do not hold it and == ignores it. A state read from a snapshot has no
/// ranks for the snapshot's cards; they rank before every card (re)created
/// after it (see created_before()).
struct creation_ranks {
    /// Card id -> rank; a higher rank was (re)created later.
    std::map<ulid, std::uint64_t> rank;
    std::uint64_t last = 0;

    void created(const ulid& id) { rank.insert_or_assign(id, ++last); }
    void deleted(const ulid& id) { rank.erase(id); }
    /// 0 when the card has no rank (it came from a snapshot).
    std::uint64_t of(const ulid& id) const {
        auto it = rank.find(id);
        return it == rank.end() ? 0 : it->second;
    }

    friend bool operator==(const creation_ranks&, const creation_ranks&) { return true; }
};

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
    /// When each card was last (re)created; see creation_ranks.
    creation_ranks card_ranks;

    friend bool operator==(const spec_state&, const spec_state&) = default;
};

/// Whether card `a` of `s` was (re)created before card `b`: the order in
/// which the index lists cards of equal order. Cards without a rank (from
/// a snapshot) come first, among themselves by created_at, then card_id.
inline bool created_before(const spec_state& s, const card& a, const card& b) {
    const auto ra = s.card_ranks.of(a.card_id), rb = s.card_ranks.of(b.card_id);
    if (ra != rb) return ra < rb;
    if (a.created_at != b.created_at) return a.created_at < b.created_at;
    return a.card_id < b.card_id;
}

} // namespace evlog::spec
