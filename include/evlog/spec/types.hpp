// The spec store's value types (card, transcript message, question) and
// their JSON, in the wire form the Go daemon reads and writes.
#pragma once

#include <cmath>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/errors.hpp>
#include <evlog/core/json.hpp>
#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>

namespace evlog::spec {

namespace detail {

/// Go's encoding/json writes a float64 that holds a whole number without a
/// fraction (`2`, not `2.0`); Boost.JSON would write `2E0`. Writing whole
/// numbers as integers keeps files looking like Go's, and Go reads an
/// integer into a float64 field unchanged. Beyond 2^53 doubles are not
/// exact integers any more, so those stay doubles.
inline boost::json::value number_like_go(double d) {
    // -0 stays a double so its sign survives.
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740992.0 &&
        !(d == 0.0 && std::signbit(d)))
        return static_cast<std::int64_t>(d);
    return d;
}

/// The object itself. Not a field_error: the caller (json::required or the
/// codec) knows the field's name and adds it.
inline const boost::json::object& object_of(const boost::json::value& v) {
    if (const auto* o = v.if_object()) return *o;
    throw std::system_error(make_error_code(errc::wrong_type));
}

/// An array field; absent and null read as empty, as a nil slice does in
/// Go. Errors name the element: `refs[2]`.
template <class T>
std::vector<T> read_array(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return {};
    const auto* a = v->if_array();
    if (!a) throw json::field_error(errc::wrong_type, std::string(key));
    std::vector<T> out;
    out.reserve(a->size());
    for (std::size_t i = 0; i < a->size(); ++i)
        out.push_back(json::detail::convert_named<T>(
            (*a)[i], [&] { return std::string(key) + "[" + std::to_string(i) + "]"; }));
    return out;
}

template <class T>
boost::json::array write_array(const std::vector<T>& items, const boost::json::storage_ptr& sp) {
    boost::json::array a(sp);
    a.reserve(items.size());
    for (const auto& x : items) a.push_back(boost::json::value_from(x, sp));
    return a;
}

// Direct writing (json::writer), the same bytes as the conversions below.

/// number_like_go, written.
inline void write_number_like_go(json::writer& w, double d) {
    if (std::isfinite(d) && d == std::trunc(d) && std::fabs(d) <= 9007199254740992.0 &&
        !(d == 0.0 && std::signbit(d)))
        w.number(static_cast<std::int64_t>(d));
    else
        w.number(d);
}

inline void write_value(json::writer& w, const std::string& s) { w.string(s); }
inline void write_value(json::writer& w, const std::vector<std::string>& v) {
    w.begin_array();
    for (const auto& s : v) w.string(s);
    w.end_array();
}

// Inlined so that a literal key reaches json::writer::key as a literal,
// whose length and check for bytes to escape the compiler then works out.

/// As json::put_optional: the key only when there is a value.
template <class Key, class T>
[[gnu::always_inline]] inline void write_optional(json::writer& w, const Key& key, const std::optional<T>& v) {
    if (!v) return;
    w.key(key);
    write_value(w, *v);
}

/// As json::patch::write: nothing when absent, null, or the value.
template <class Key, class T>
[[gnu::always_inline]] inline void write_patch(json::writer& w, const Key& key, const json::patch<T>& p) {
    if (p.absent()) return;
    w.key(key);
    if (p.is_null()) w.null();
    else write_value(w, p.value());
}

} // namespace detail

/// A card on the board. `body` is absent on the wire when there is none;
/// every other field is always written.
struct card {
    ulid card_id;
    std::string card_type;
    std::string title;
    std::optional<std::string> body;
    std::string lane;
    double order = 0;
    std::vector<std::string> refs;
    timestamp created_at;
    timestamp updated_at;
    std::string created_by;
    std::string updated_by;

    friend bool operator==(const card&, const card&) = default;
};

/// One transcript entry. `kind` stays a string ("Chat", "StepStarted",
/// "StepFinished", …) so that kinds added later pass through unchanged.
struct transcript_message {
    ulid message_id;
    std::string sender;
    std::string content;
    std::string kind;
    evlog::timestamp timestamp;

    friend bool operator==(const transcript_message&, const transcript_message&) = default;
};

/// A yes/no question.
struct boolean_question {
    static constexpr std::string_view wire_type = "Boolean";
    ulid question_id;
    std::string question;
    std::optional<bool> default_value; ///< `default` on the wire

    friend bool operator==(const boolean_question&, const boolean_question&) = default;
};

/// A question with fixed choices.
struct multiple_choice_question {
    static constexpr std::string_view wire_type = "MultipleChoice";
    ulid question_id;
    std::string question;
    std::vector<std::string> choices;
    bool allow_multi = false;

    friend bool operator==(const multiple_choice_question&, const multiple_choice_question&) = default;
};

/// A question answered in free text. The Rust daemon wrote
/// `"validation_hint":null` where Go leaves the key out; json::patch keeps
/// absent and null apart so a line re-encodes as it was read.
struct freeform_question {
    static constexpr std::string_view wire_type = "Freeform";
    ulid question_id;
    std::string question;
    json::patch<std::string> placeholder;
    json::patch<std::string> validation_hint;

    friend bool operator==(const freeform_question&, const freeform_question&) = default;
};

/// A question of any kind; on the wire its `type` says which.
struct question {
    std::variant<boolean_question, multiple_choice_question, freeform_question> kind;

    const ulid& question_id() const noexcept {
        return std::visit([](const auto& q) -> const ulid& { return q.question_id; }, kind);
    }
    friend bool operator==(const question&, const question&) = default;
};

// ---------------------------------------------------------------- JSON

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const card& c) {
    auto& o = v.emplace_object();
    o["card_id"] = c.card_id.str();
    o["card_type"] = c.card_type;
    o["title"] = c.title;
    json::put_optional(o, "body", c.body);
    o["lane"] = c.lane;
    o["order"] = detail::number_like_go(c.order);
    o["refs"] = detail::write_array(c.refs, o.storage());
    o["created_at"] = c.created_at.str();
    o["updated_at"] = c.updated_at.str();
    o["created_by"] = c.created_by;
    o["updated_by"] = c.updated_by;
}

/// Strings Go would read as "" when absent read as "" here too; ids and
/// times have no useful zero value, so they are required.
inline card tag_invoke(boost::json::value_to_tag<card>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    card c;
    c.card_id = json::required<ulid>(o, "card_id");
    c.card_type = json::or_default<std::string>(o, "card_type", {});
    c.title = json::or_default<std::string>(o, "title", {});
    c.body = json::optional<std::string>(o, "body");
    c.lane = json::or_default<std::string>(o, "lane", {});
    c.order = json::or_default<double>(o, "order", 0.0);
    c.refs = detail::read_array<std::string>(o, "refs");
    c.created_at = json::required<timestamp>(o, "created_at");
    c.updated_at = json::required<timestamp>(o, "updated_at");
    c.created_by = json::or_default<std::string>(o, "created_by", {});
    c.updated_by = json::or_default<std::string>(o, "updated_by", {});
    return c;
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const transcript_message& m) {
    auto& o = v.emplace_object();
    o["message_id"] = m.message_id.str();
    o["sender"] = m.sender;
    o["content"] = m.content;
    o["kind"] = m.kind;
    o["timestamp"] = m.timestamp.str();
}

namespace detail {

inline void write_value(json::writer& w, const card& c) {
    w.begin_object();
    w.key("card_id");
    w.string(c.card_id);
    w.key("card_type");
    w.string(c.card_type);
    w.key("title");
    w.string(c.title);
    write_optional(w, "body", c.body);
    w.key("lane");
    w.string(c.lane);
    w.key("order");
    write_number_like_go(w, c.order);
    w.key("refs");
    write_value(w, c.refs);
    w.key("created_at");
    w.string(c.created_at);
    w.key("updated_at");
    w.string(c.updated_at);
    w.key("created_by");
    w.string(c.created_by);
    w.key("updated_by");
    w.string(c.updated_by);
    w.end_object();
}

inline void write_value(json::writer& w, const transcript_message& m) {
    w.begin_object();
    w.key("message_id");
    w.string(m.message_id);
    w.key("sender");
    w.string(m.sender);
    w.key("content");
    w.string(m.content);
    w.key("kind");
    w.string(m.kind);
    w.key("timestamp");
    w.string(m.timestamp);
    w.end_object();
}

} // namespace detail

// Direct reading (json::read_member_tag), the same values as the
// conversions above and below.

inline json::slot tag_invoke(json::read_member_tag, card& c, std::string_view key) {
    using s = json::slot;
    if (key == "card_id") return s::id(c.card_id, 0);
    if (key == "card_type") return s::text(c.card_type, 1);
    if (key == "title") return s::text(c.title, 2);
    if (key == "body") return s::optional_text(c.body, 3);
    if (key == "lane") return s::text(c.lane, 4);
    if (key == "order") return s::number(c.order, 5);
    if (key == "refs") return s::text_array(c.refs, 6);
    if (key == "created_at") return s::time(c.created_at, 7);
    if (key == "updated_at") return s::time(c.updated_at, 8);
    if (key == "created_by") return s::text(c.created_by, 9);
    if (key == "updated_by") return s::text(c.updated_by, 10);
    return s::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const card*) { return json::bits({0, 7, 8}); }

inline json::slot tag_invoke(json::read_member_tag, transcript_message& m, std::string_view key) {
    using s = json::slot;
    if (key == "message_id") return s::id(m.message_id, 0);
    if (key == "sender") return s::text(m.sender, 1);
    if (key == "content") return s::text(m.content, 2);
    if (key == "kind") return s::text(m.kind, 3);
    if (key == "timestamp") return s::time(m.timestamp, 4);
    return s::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const transcript_message*) {
    return json::bits({0, 4});
}

inline transcript_message tag_invoke(boost::json::value_to_tag<transcript_message>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    transcript_message m;
    m.message_id = json::required<ulid>(o, "message_id");
    m.sender = json::or_default<std::string>(o, "sender", {});
    m.content = json::or_default<std::string>(o, "content", {});
    m.kind = json::or_default<std::string>(o, "kind", {});
    m.timestamp = json::required<evlog::timestamp>(o, "timestamp");
    return m;
}

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const question& q) {
    auto& o = v.emplace_object();
    std::visit(
        [&](const auto& k) {
            using K = std::decay_t<decltype(k)>;
            o["type"] = K::wire_type;
            o["question_id"] = k.question_id.str();
            o["question"] = k.question;
            if constexpr (std::is_same_v<K, boolean_question>) {
                json::put_optional(o, "default", k.default_value);
            } else if constexpr (std::is_same_v<K, multiple_choice_question>) {
                o["choices"] = detail::write_array(k.choices, o.storage());
                o["allow_multi"] = k.allow_multi;
            } else {
                k.placeholder.write(o, "placeholder");
                k.validation_hint.write(o, "validation_hint");
            }
        },
        q.kind);
}

/// A `type` other than the three kinds is an error naming `type`: a
/// question the daemon cannot render cannot be answered either.
inline question tag_invoke(boost::json::value_to_tag<question>, const boost::json::value& v) {
    const auto& o = detail::object_of(v);
    const auto type = json::required<std::string>(o, "type");
    const auto id = json::required<ulid>(o, "question_id");
    auto text = json::or_default<std::string>(o, "question", {});
    if (type == boolean_question::wire_type)
        return {boolean_question{id, std::move(text), json::optional<bool>(o, "default")}};
    if (type == multiple_choice_question::wire_type)
        return {multiple_choice_question{id, std::move(text), detail::read_array<std::string>(o, "choices"),
                                         json::or_default<bool>(o, "allow_multi", false)}};
    if (type == freeform_question::wire_type)
        return {freeform_question{id, std::move(text), json::patch<std::string>::read(o, "placeholder"),
                                  json::patch<std::string>::read(o, "validation_hint")}};
    throw json::field_error(errc::wrong_type, "type");
}

} // namespace evlog::spec
