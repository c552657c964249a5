// The spec store's 13 event payloads in the wire form of the Go daemon, and
// the spec event type built from them.
//
// Each payload's JSON starts with its "type" so that the same conversion
// serves a log line (where the codec writes "type" itself) and an inverse
// event nested in UndoApplied (where nothing else does).
//
// Reading follows Go's encoding/json where that is harmless: a missing or
// null string reads as "" and a missing array as empty. Ids and times are
// required, because their zero values would be wrong rather than empty.
// Fields the writers have been seen to write as `null` as well as leave out
// are json::patch, so a line re-encodes to the same JSON it was read from.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/event.hpp>
#include <evlog/core/json.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/spec/types.hpp>

namespace evlog::spec {

/// A new spec. Sets the core's title, one-liner and goal.
struct spec_created {
    static constexpr std::string_view wire_type = "SpecCreated";
    std::string title;
    std::string one_liner;
    std::string goal;
    friend bool operator==(const spec_created&, const spec_created&) = default;
};

/// A partial update of the core. A field that is absent or null is left as
/// it is; there is no way to clear a core field.
struct spec_core_updated {
    static constexpr std::string_view wire_type = "SpecCoreUpdated";
    json::patch<std::string> title;
    json::patch<std::string> one_liner;
    json::patch<std::string> goal;
    json::patch<std::string> description;
    json::patch<std::string> constraints;
    json::patch<std::string> success_criteria;
    json::patch<std::string> risks;
    json::patch<std::string> notes;
    friend bool operator==(const spec_core_updated&, const spec_core_updated&) = default;
};

/// A card added whole, timestamps and authors included.
struct card_created {
    static constexpr std::string_view wire_type = "CardCreated";
    spec::card card;
    friend bool operator==(const card_created&, const card_created&) = default;
};

/// A partial update of a card. `body` has three states: absent leaves it,
/// null clears it, a value sets it. For the other fields absent and null
/// both leave the field as it is (the Rust daemon wrote null for "no change").
struct card_updated {
    static constexpr std::string_view wire_type = "CardUpdated";
    ulid card_id;
    json::patch<std::string> title;
    json::patch<std::string> body;
    json::patch<std::string> card_type;
    json::patch<std::vector<std::string>> refs;
    json::patch<std::string> updated_by;
    friend bool operator==(const card_updated&, const card_updated&) = default;
};

/// A card moved to a lane and position. `updated_by` is left out by
/// inverse events and by some writers.
struct card_moved {
    static constexpr std::string_view wire_type = "CardMoved";
    ulid card_id;
    std::string lane;
    double order = 0;
    std::optional<std::string> updated_by;
    friend bool operator==(const card_moved&, const card_moved&) = default;
};

struct card_deleted {
    static constexpr std::string_view wire_type = "CardDeleted";
    ulid card_id;
    std::optional<std::string> updated_by;
    friend bool operator==(const card_deleted&, const card_deleted&) = default;
};

struct transcript_appended {
    static constexpr std::string_view wire_type = "TranscriptAppended";
    transcript_message message;
    friend bool operator==(const transcript_appended&, const transcript_appended&) = default;
};

struct question_asked {
    static constexpr std::string_view wire_type = "QuestionAsked";
    spec::question question;
    friend bool operator==(const question_asked&, const question_asked&) = default;
};

struct question_answered {
    static constexpr std::string_view wire_type = "QuestionAnswered";
    ulid question_id;
    std::string answer;
    friend bool operator==(const question_answered&, const question_answered&) = default;
};

struct agent_step_started {
    static constexpr std::string_view wire_type = "AgentStepStarted";
    std::string agent_id;
    std::string description;
    friend bool operator==(const agent_step_started&, const agent_step_started&) = default;
};

struct agent_step_finished {
    static constexpr std::string_view wire_type = "AgentStepFinished";
    std::string agent_id;
    std::string diff_summary;
    friend bool operator==(const agent_step_finished&, const agent_step_finished&) = default;
};

/// An event that undoes a card event, as stored in an undo-stack entry and
/// in UndoApplied. Only card events have inverses; any other type is kept
/// as raw JSON so that a newer writer's inverse does not make the whole
/// UndoApplied line unreadable.
struct inverse_event {
    std::variant<card_created, card_updated, card_moved, card_deleted, unknown_payload> payload;
    friend bool operator==(const inverse_event&, const inverse_event&) = default;
};

/// Undo of the event `target_event_id`. The inverse events are the whole
/// effect: they are applied as they are written here.
struct undo_applied {
    static constexpr std::string_view wire_type = "UndoApplied";
    std::uint64_t target_event_id = 0;
    std::vector<inverse_event> inverse_events;
    friend bool operator==(const undo_applied&, const undo_applied&) = default;
};

/// Marks that a snapshot was written; `snapshot_id` is informational.
struct snapshot_written {
    static constexpr std::string_view wire_type = "SnapshotWritten";
    std::uint64_t snapshot_id = 0;
    friend bool operator==(const snapshot_written&, const snapshot_written&) = default;
};

/// The spec store names its stream key `spec_id`.
struct spec_id_key {
    static constexpr std::string_view name = "spec_id";
};

/// The 13 payloads, in no particular order.
using spec_payload =
    std::variant<spec_created, spec_core_updated, card_created, card_updated, card_moved, card_deleted,
                 transcript_appended, question_asked, question_answered, agent_step_started,
                 agent_step_finished, undo_applied, snapshot_written>;

/// One line of `home/specs/{ULID}/events.jsonl`.
using spec_event = evlog::event<spec_payload, spec_id_key>;

// ---------------------------------------------------------------- JSON

namespace detail {

/// An object whose first key is the payload's "type".
template <class T>
boost::json::object& begin_payload(boost::json::value& v) {
    auto& o = v.emplace_object();
    o["type"] = T::wire_type;
    return o;
}


} // namespace detail

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const spec_created& p) {
    auto& o = detail::begin_payload<spec_created>(v);
    o["title"] = p.title;
    o["one_liner"] = p.one_liner;
    o["goal"] = p.goal;
}
inline spec_created tag_invoke(boost::json::value_to_tag<spec_created>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::or_default<std::string>(o, "title", {}), json::or_default<std::string>(o, "one_liner", {}),
            json::or_default<std::string>(o, "goal", {})};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const spec_core_updated& p) {
    auto& o = detail::begin_payload<spec_core_updated>(v);
    p.title.write(o, "title");
    p.one_liner.write(o, "one_liner");
    p.goal.write(o, "goal");
    p.description.write(o, "description");
    p.constraints.write(o, "constraints");
    p.success_criteria.write(o, "success_criteria");
    p.risks.write(o, "risks");
    p.notes.write(o, "notes");
}
inline spec_core_updated tag_invoke(boost::json::value_to_tag<spec_core_updated>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    using P = json::patch<std::string>;
    return {P::read(o, "title"),       P::read(o, "one_liner"),   P::read(o, "goal"),
            P::read(o, "description"), P::read(o, "constraints"), P::read(o, "success_criteria"),
            P::read(o, "risks"),       P::read(o, "notes")};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const card_created& p) {
    auto& o = detail::begin_payload<card_created>(v);
    o["card"] = boost::json::value_from(p.card, o.storage());
}
inline card_created tag_invoke(boost::json::value_to_tag<card_created>, const boost::json::value& v) {
    return {json::required<card>(detail::object_of(v), "card")};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const card_updated& p) {
    auto& o = detail::begin_payload<card_updated>(v);
    o["card_id"] = p.card_id.str();
    p.title.write(o, "title");
    p.body.write(o, "body");
    p.card_type.write(o, "card_type");
    p.refs.write(o, "refs");
    p.updated_by.write(o, "updated_by");
}
inline card_updated tag_invoke(boost::json::value_to_tag<card_updated>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    card_updated p;
    p.card_id = json::required<ulid>(o, "card_id");
    p.title = json::patch<std::string>::read(o, "title");
    p.body = json::patch<std::string>::read(o, "body");
    p.card_type = json::patch<std::string>::read(o, "card_type");
    p.refs = json::patch<std::vector<std::string>>::read(o, "refs");
    p.updated_by = json::patch<std::string>::read(o, "updated_by");
    return p;
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const card_moved& p) {
    auto& o = detail::begin_payload<card_moved>(v);
    o["card_id"] = p.card_id.str();
    o["lane"] = p.lane;
    o["order"] = detail::number_like_go(p.order);
    json::put_optional(o, "updated_by", p.updated_by);
}
inline card_moved tag_invoke(boost::json::value_to_tag<card_moved>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::required<ulid>(o, "card_id"), json::or_default<std::string>(o, "lane", {}),
            json::or_default<double>(o, "order", 0.0), json::optional<std::string>(o, "updated_by")};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const card_deleted& p) {
    auto& o = detail::begin_payload<card_deleted>(v);
    o["card_id"] = p.card_id.str();
    json::put_optional(o, "updated_by", p.updated_by);
}
inline card_deleted tag_invoke(boost::json::value_to_tag<card_deleted>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::required<ulid>(o, "card_id"), json::optional<std::string>(o, "updated_by")};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const transcript_appended& p) {
    auto& o = detail::begin_payload<transcript_appended>(v);
    o["message"] = boost::json::value_from(p.message, o.storage());
}
inline transcript_appended tag_invoke(boost::json::value_to_tag<transcript_appended>, const boost::json::value& v) {
    return {json::required<transcript_message>(detail::object_of(v), "message")};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const question_asked& p) {
    auto& o = detail::begin_payload<question_asked>(v);
    o["question"] = boost::json::value_from(p.question, o.storage());
}
inline question_asked tag_invoke(boost::json::value_to_tag<question_asked>, const boost::json::value& v) {
    return {json::required<question>(detail::object_of(v), "question")};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const question_answered& p) {
    auto& o = detail::begin_payload<question_answered>(v);
    o["question_id"] = p.question_id.str();
    o["answer"] = p.answer;
}
inline question_answered tag_invoke(boost::json::value_to_tag<question_answered>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::required<ulid>(o, "question_id"), json::or_default<std::string>(o, "answer", {})};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const agent_step_started& p) {
    auto& o = detail::begin_payload<agent_step_started>(v);
    o["agent_id"] = p.agent_id;
    o["description"] = p.description;
}
inline agent_step_started tag_invoke(boost::json::value_to_tag<agent_step_started>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::or_default<std::string>(o, "agent_id", {}), json::or_default<std::string>(o, "description", {})};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const agent_step_finished& p) {
    auto& o = detail::begin_payload<agent_step_finished>(v);
    o["agent_id"] = p.agent_id;
    o["diff_summary"] = p.diff_summary;
}
inline agent_step_finished tag_invoke(boost::json::value_to_tag<agent_step_finished>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::or_default<std::string>(o, "agent_id", {}), json::or_default<std::string>(o, "diff_summary", {})};
}

// ---------------------------------------------------------------- direct writers
//
// What json_codec writes for a log line without building a value tree
// (json::write_members_tag): the members after "type", the same bytes as
// the conversions above. QuestionAsked and UndoApplied, which are rare,
// keep the value tree.

inline void tag_invoke(json::write_members_tag, json::writer& w, const spec_created& p) {
    w.key("title");
    w.string(p.title);
    w.key("one_liner");
    w.string(p.one_liner);
    w.key("goal");
    w.string(p.goal);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const spec_core_updated& p) {
    detail::write_patch(w, "title", p.title);
    detail::write_patch(w, "one_liner", p.one_liner);
    detail::write_patch(w, "goal", p.goal);
    detail::write_patch(w, "description", p.description);
    detail::write_patch(w, "constraints", p.constraints);
    detail::write_patch(w, "success_criteria", p.success_criteria);
    detail::write_patch(w, "risks", p.risks);
    detail::write_patch(w, "notes", p.notes);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const card_created& p) {
    w.key("card");
    detail::write_value(w, p.card);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const card_updated& p) {
    w.key("card_id");
    w.string(p.card_id);
    detail::write_patch(w, "title", p.title);
    detail::write_patch(w, "body", p.body);
    detail::write_patch(w, "card_type", p.card_type);
    detail::write_patch(w, "refs", p.refs);
    detail::write_patch(w, "updated_by", p.updated_by);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const card_moved& p) {
    w.key("card_id");
    w.string(p.card_id);
    w.key("lane");
    w.string(p.lane);
    w.key("order");
    detail::write_number_like_go(w, p.order);
    detail::write_optional(w, "updated_by", p.updated_by);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const card_deleted& p) {
    w.key("card_id");
    w.string(p.card_id);
    detail::write_optional(w, "updated_by", p.updated_by);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const transcript_appended& p) {
    w.key("message");
    detail::write_value(w, p.message);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const question_answered& p) {
    w.key("question_id");
    w.string(p.question_id);
    w.key("answer");
    w.string(p.answer);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const agent_step_started& p) {
    w.key("agent_id");
    w.string(p.agent_id);
    w.key("description");
    w.string(p.description);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const agent_step_finished& p) {
    w.key("agent_id");
    w.string(p.agent_id);
    w.key("diff_summary");
    w.string(p.diff_summary);
}

inline void tag_invoke(json::write_members_tag, json::writer& w, const snapshot_written& p) {
    w.key("snapshot_id");
    w.number(p.snapshot_id);
}

// ---------------------------------------------------------------- direct readers
//
// What json_codec reads straight from a line (json::read_member_tag): the
// members after "type", read as the value_to conversions above read them.
// QuestionAsked and UndoApplied go through the value tree.

inline json::slot tag_invoke(json::read_member_tag, spec_created& p, std::string_view key) {
    if (key == "title") return json::slot::text(p.title, 0);
    if (key == "one_liner") return json::slot::text(p.one_liner, 1);
    if (key == "goal") return json::slot::text(p.goal, 2);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const spec_created*) { return 0; }

inline json::slot tag_invoke(json::read_member_tag, spec_core_updated& p, std::string_view key) {
    using s = json::slot;
    if (key == "title") return s::patch_text(p.title, 0);
    if (key == "one_liner") return s::patch_text(p.one_liner, 1);
    if (key == "goal") return s::patch_text(p.goal, 2);
    if (key == "description") return s::patch_text(p.description, 3);
    if (key == "constraints") return s::patch_text(p.constraints, 4);
    if (key == "success_criteria") return s::patch_text(p.success_criteria, 5);
    if (key == "risks") return s::patch_text(p.risks, 6);
    if (key == "notes") return s::patch_text(p.notes, 7);
    return s::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const spec_core_updated*) { return 0; }

inline json::slot tag_invoke(json::read_member_tag, card_created& p, std::string_view key) {
    if (key == "card") return json::slot::object(p.card, 0);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const card_created*) { return json::bits({0}); }

inline json::slot tag_invoke(json::read_member_tag, card_updated& p, std::string_view key) {
    using s = json::slot;
    if (key == "card_id") return s::id(p.card_id, 0);
    if (key == "title") return s::patch_text(p.title, 1);
    if (key == "body") return s::patch_text(p.body, 2);
    if (key == "card_type") return s::patch_text(p.card_type, 3);
    if (key == "refs") return s::patch_text_array(p.refs, 4);
    if (key == "updated_by") return s::patch_text(p.updated_by, 5);
    return s::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const card_updated*) { return json::bits({0}); }

inline json::slot tag_invoke(json::read_member_tag, card_moved& p, std::string_view key) {
    using s = json::slot;
    if (key == "card_id") return s::id(p.card_id, 0);
    if (key == "lane") return s::text(p.lane, 1);
    if (key == "order") return s::number(p.order, 2);
    if (key == "updated_by") return s::optional_text(p.updated_by, 3);
    return s::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const card_moved*) { return json::bits({0}); }

inline json::slot tag_invoke(json::read_member_tag, card_deleted& p, std::string_view key) {
    if (key == "card_id") return json::slot::id(p.card_id, 0);
    if (key == "updated_by") return json::slot::optional_text(p.updated_by, 1);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const card_deleted*) { return json::bits({0}); }

inline json::slot tag_invoke(json::read_member_tag, transcript_appended& p, std::string_view key) {
    if (key == "message") return json::slot::object(p.message, 0);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const transcript_appended*) {
    return json::bits({0});
}

inline json::slot tag_invoke(json::read_member_tag, question_answered& p, std::string_view key) {
    if (key == "question_id") return json::slot::id(p.question_id, 0);
    if (key == "answer") return json::slot::text(p.answer, 1);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const question_answered*) {
    return json::bits({0});
}

inline json::slot tag_invoke(json::read_member_tag, agent_step_started& p, std::string_view key) {
    if (key == "agent_id") return json::slot::text(p.agent_id, 0);
    if (key == "description") return json::slot::text(p.description, 1);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const agent_step_started*) { return 0; }

inline json::slot tag_invoke(json::read_member_tag, agent_step_finished& p, std::string_view key) {
    if (key == "agent_id") return json::slot::text(p.agent_id, 0);
    if (key == "diff_summary") return json::slot::text(p.diff_summary, 1);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const agent_step_finished*) { return 0; }

inline json::slot tag_invoke(json::read_member_tag, snapshot_written& p, std::string_view key) {
    if (key == "snapshot_id") return json::slot::unsigned_int(p.snapshot_id, 0);
    return json::slot::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const snapshot_written*) { return json::bits({0}); }

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const inverse_event& e) {
    std::visit(
        [&](const auto& p) {
            if constexpr (std::is_same_v<std::decay_t<decltype(p)>, unknown_payload>)
                v = boost::json::parse(p.raw, v.storage());
            else
                v = boost::json::value_from(p, v.storage());
        },
        e.payload);
}
inline inverse_event tag_invoke(boost::json::value_to_tag<inverse_event>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    const auto type = json::required<std::string>(o, "type");
    if (type == card_created::wire_type) return {boost::json::value_to<card_created>(v)};
    if (type == card_updated::wire_type) return {boost::json::value_to<card_updated>(v)};
    if (type == card_moved::wire_type) return {boost::json::value_to<card_moved>(v)};
    if (type == card_deleted::wire_type) return {boost::json::value_to<card_deleted>(v)};
    return {unknown_payload{type, boost::json::serialize(v)}};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const undo_applied& p) {
    auto& o = detail::begin_payload<undo_applied>(v);
    o["target_event_id"] = p.target_event_id;
    o["inverse_events"] = detail::write_array(p.inverse_events, o.storage());
}
inline undo_applied tag_invoke(boost::json::value_to_tag<undo_applied>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    return {json::required<std::uint64_t>(o, "target_event_id"),
            detail::read_array<inverse_event>(o, "inverse_events")};
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const snapshot_written& p) {
    auto& o = detail::begin_payload<snapshot_written>(v);
    o["snapshot_id"] = p.snapshot_id;
}
inline snapshot_written tag_invoke(boost::json::value_to_tag<snapshot_written>, const boost::json::value& v) {
    return {json::required<std::uint64_t>(detail::object_of(v), "snapshot_id")};
}

} // namespace evlog::spec
