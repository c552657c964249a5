// spec_state as JSON, in the two layouts of the Go daemon:
//
// - the snapshot layout, the object under "state" in
//   `snapshots/state_{event_id}.json`: `pending_question` is left out when
//   there is none;
// - the in-memory layout, what the daemon serves: `pending_question` is
//   always there, null when there is none.
//
// Both have `core`, `cards` (an object keyed by card id), `transcript`,
// `undo_stack` (`[{"event_id":N,"inverse":[…]}]`), `last_event_id` and
// `lanes`. Reading accepts either layout.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/errors.hpp>
#include <evlog/core/json.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/state.hpp>
#include <evlog/spec/state_reader.hpp>
#include <evlog/spec/types.hpp>

namespace evlog::spec {

/// Which of the two JSON layouts of a spec_state to write.
enum class state_layout {
    snapshot,  ///< `pending_question` left out when there is none
    in_memory, ///< `pending_question` always present, possibly null
};

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const spec_core& c) {
    auto& o = v.emplace_object();
    o["spec_id"] = c.spec_id.str();
    o["title"] = c.title;
    o["one_liner"] = c.one_liner;
    o["goal"] = c.goal;
    json::put_optional(o, "description", c.description);
    json::put_optional(o, "constraints", c.constraints);
    json::put_optional(o, "success_criteria", c.success_criteria);
    json::put_optional(o, "risks", c.risks);
    json::put_optional(o, "notes", c.notes);
    o["created_at"] = c.created_at.str();
    o["updated_at"] = c.updated_at.str();
}

inline spec_core tag_invoke(boost::json::value_to_tag<spec_core>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    spec_core c;
    c.spec_id = json::required<ulid>(o, "spec_id");
    c.title = json::or_default<std::string>(o, "title", {});
    c.one_liner = json::or_default<std::string>(o, "one_liner", {});
    c.goal = json::or_default<std::string>(o, "goal", {});
    c.description = json::optional<std::string>(o, "description");
    c.constraints = json::optional<std::string>(o, "constraints");
    c.success_criteria = json::optional<std::string>(o, "success_criteria");
    c.risks = json::optional<std::string>(o, "risks");
    c.notes = json::optional<std::string>(o, "notes");
    c.created_at = json::required<timestamp>(o, "created_at");
    c.updated_at = json::required<timestamp>(o, "updated_at");
    return c;
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const undo_entry& u) {
    auto& o = v.emplace_object();
    o["event_id"] = u.event_id;
    o["inverse"] = detail::write_array(u.inverse, o.storage());
}

inline undo_entry tag_invoke(boost::json::value_to_tag<undo_entry>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::required<std::uint64_t>(o, "event_id"), detail::read_array<inverse_event>(o, "inverse")};
}

/// The state as JSON in the given layout.
inline boost::json::value to_json(const spec_state& s, state_layout layout = state_layout::snapshot,
                                  boost::json::storage_ptr sp = {}) {
    boost::json::value v(std::move(sp));
    auto& o = v.emplace_object();
    o["core"] = boost::json::value_from(s.core, o.storage());
    auto& cards = o["cards"].emplace_object();
    for (const auto& [id, c] : s.cards) cards[id.str()] = boost::json::value_from(c, o.storage());
    o["transcript"] = detail::write_array(s.transcript, o.storage());
    if (s.pending_question) o["pending_question"] = boost::json::value_from(*s.pending_question, o.storage());
    else if (layout == state_layout::in_memory) o["pending_question"] = nullptr;
    o["undo_stack"] = detail::write_array(s.undo_stack, o.storage());
    o["last_event_id"] = s.last_event_id;
    o["lanes"] = detail::write_array(s.lanes, o.storage());
    return v;
}

/// Reads either layout. Throws json::field_error naming the field, e.g.
/// `cards.01KF….order` or `undo_stack[3].inverse[0].card_id`. A card
/// filed under a key other than its own card_id is an error: the map and
/// the card would disagree about which card it is.
inline spec_state state_from_json(const boost::json::value& v) {
    const auto* o = v.if_object();
    if (!o) throw json::field_error(errc::wrong_type, "state");
    spec_state s;
    s.core = json::required<spec_core>(*o, "core");
    if (const auto* cv = o->if_contains("cards"); cv && !cv->is_null()) {
        const auto* cards = cv->if_object();
        if (!cards) throw json::field_error(errc::wrong_type, "cards");
        for (const auto& kv : *cards) {
            auto name = [&] { return "cards." + std::string(kv.key()); };
            auto c = json::detail::convert_named<card>(kv.value(), name);
            const auto key_id = ulid::parse(kv.key());
            if (!key_id || *key_id != c.card_id) throw json::field_error(errc::wrong_type, name() + ".card_id");
            s.cards.emplace(c.card_id, std::move(c));
        }
    }
    s.transcript = detail::read_array<transcript_message>(*o, "transcript");
    s.pending_question = json::optional<question>(*o, "pending_question");
    s.undo_stack = detail::read_array<undo_entry>(*o, "undo_stack");
    s.last_event_id = json::required<std::uint64_t>(*o, "last_event_id");
    if (const auto* lv = o->if_contains("lanes"); lv && !lv->is_null())
        s.lanes = detail::read_array<std::string>(*o, "lanes");
    return s;
}

/// The snapshot layout, so that evlog::json_state_codec<spec_state> writes
/// what the Go daemon writes under "state".
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const spec_state& s) {
    v = to_json(s, state_layout::snapshot, v.storage());
}

inline spec_state tag_invoke(boost::json::value_to_tag<spec_state>, const boost::json::value& v) {
    return state_from_json(v);
}

} // namespace evlog::spec
