// The codec concept (event <-> one line of text) and the default codec on
// Boost.JSON.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/detail/fast_json.hpp>
#include <evlog/core/detail/json_span.hpp>
#include <evlog/core/detail/slot_scalars.hpp>
#include <evlog/core/errors.hpp>
#include <evlog/core/event.hpp>
#include <evlog/core/json.hpp>

namespace evlog {

/// A codec turns an event into one line (no newline) and back.
/// `encode` appends to `out`. `decode` returns an error code in
/// evlog::error_category() and, after an error, `error_detail()` names the
/// field or the parser's complaint.
///
/// Optional, as json_codec has them: `encode(e, json::line_buffer&)`,
/// which the append log then encodes into directly, and `static constexpr
/// bool refuses_raw_newlines`, true when encode() throws rather than
/// write a raw newline, which spares the log looking for one.
template <class C, class Event>
concept event_codec = requires(C& c, const Event& e, Event& out_event, std::string& out, std::string_view line) {
    c.encode(e, out);
    { c.decode(line, out_event) } -> std::same_as<std::error_code>;
    { c.error_detail() } -> std::convertible_to<std::string_view>;
};

namespace detail {

/// A boost::json::basic_parser handler that decodes a line straight into
/// an event through json::slot, for envelopes whose payload type reads its
/// members directly (json::reads_members). Any token it does not expect
/// stops the parse; json_codec then decodes the line through the value
/// tree, which accepts and rejects exactly what it always did. Boost's own
/// parser does the lexing, so what parses, the numbers and the strings are
/// Boost.JSON's either way.
template <class Event>
class direct_handler : public value_tree_limits {
public:

    direct_handler() { frames_.reserve(8); }

    /// Before each line.
    void start(Event& out) {
        out_ = &out;
        frames_.clear();
        pending_ = {};
        skip_ = 0;
        array_ = nullptr;
        part_.clear();
        envelope_read_ = false;
    }

    bool on_document_begin(error_code&) { return true; }
    // Only a line that is one object, read to its end, is an event: a
    // top-level array, string, number, true/false or null is not (the tree
    // path then says "line is not a JSON object").
    bool on_document_end(error_code& ec) { return envelope_read_ || give_up(ec); }

    bool on_object_begin(error_code& ec) {
        if (skip_) return ++skip_, true;
        if (frames_.empty()) { // the envelope
            frames_.push_back({out_, &envelope_member, json::bits({0, 1, 2, 3}), 0, frame_kind::envelope});
            return true;
        }
        if (array_) return give_up(ec);
        switch (pending_.k) {
        case json::slot::kind::ignore: skip_ = 1; return true;
        case json::slot::kind::object:
            frames_.push_back({pending_.target, pending_.member, pending_.required, 0,
                               pending_.member == &payload_member ? frame_kind::payload_type : frame_kind::plain});
            return true;
        default: return give_up(ec);
        }
    }
    bool on_object_end(std::size_t, error_code& ec) {
        if (skip_) return --skip_, true;
        const frame& f = frames_.back();
        if ((f.seen & f.required) != f.required) return give_up(ec); // a required member is missing
        frames_.pop_back();
        if (frames_.empty()) envelope_read_ = true;
        return true;
    }
    bool on_array_begin(error_code& ec) {
        if (skip_) return ++skip_, true;
        if (array_) return give_up(ec);
        switch (pending_.k) {
        case json::slot::kind::ignore: skip_ = 1; return true;
        case json::slot::kind::text_array: array_ = static_cast<std::vector<std::string>*>(pending_.target); return true;
        case json::slot::kind::patch_text_array:
            scratch_array_.clear();
            array_ = &scratch_array_;
            return true;
        default: return give_up(ec);
        }
    }
    bool on_array_end(std::size_t, error_code& ec) {
        if (skip_) return --skip_, true;
        if (!array_) return give_up(ec);
        if (pending_.k == json::slot::kind::patch_text_array)
            *static_cast<json::patch<std::vector<std::string>>*>(pending_.target) =
                json::patch<std::vector<std::string>>::set(std::move(scratch_array_));
        array_ = nullptr;
        return true;
    }

    bool on_key_part(string_view s, std::size_t, error_code&) {
        if (!skip_) part_.append(s.data(), s.size());
        return true;
    }
    bool on_key(string_view s, std::size_t, error_code& ec) {
        if (skip_) return true;
        const std::string_view key = whole(part_, s);
        frame& f = frames_.back();
        if (f.kind == frame_kind::payload && key == "type") return give_up(ec); // a second "type"
        f.member(f.target, key, pending_);
        part_.clear();
        if (pending_.k == json::slot::kind::fail) return give_up(ec);
        if (pending_.bit > 31) return give_up(ec); // no bit to track it by: let the tree read it
        if (pending_.bit >= 0) {
            const std::uint32_t bit = std::uint32_t{1} << pending_.bit;
            if (f.seen & bit) return give_up(ec); // a repeated key: the tree keeps the last, we give up
            f.seen |= bit;
        }
        return true;
    }

    bool on_string_part(string_view s, std::size_t, error_code&) {
        if (!skip_) part_.append(s.data(), s.size());
        return true;
    }
    bool on_string(string_view s, std::size_t, error_code& ec) {
        if (skip_) return true;
        const std::string_view v = whole(part_, s);
        const bool ok = string_value(v);
        part_.clear();
        return ok || give_up(ec);
    }

    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, string_view, error_code& ec) {
        if (skip_) return true;
        return (!array_ && slot_int64(pending_, i)) || give_up(ec);
    }
    bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
        if (skip_) return true;
        return (!array_ && slot_uint64(pending_, u)) || give_up(ec);
    }
    bool on_double(double d, string_view, error_code& ec) {
        if (skip_) return true;
        return (!array_ && slot_double(pending_, d)) || give_up(ec);
    }
    bool on_bool(bool, error_code& ec) {
        if (skip_) return true;
        return (!array_ && pending_.k == json::slot::kind::ignore) || give_up(ec);
    }
    bool on_null(error_code& ec) {
        if (skip_) return true;
        return (!array_ && slot_null(pending_)) || give_up(ec);
    }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    enum class frame_kind : std::uint8_t { plain, envelope, payload_type, payload };
    struct frame {
        void* target;
        void (*member)(void*, std::string_view, json::slot&);
        std::uint32_t required, seen;
        frame_kind kind;
    };



    bool string_value(std::string_view v) {
        if (array_) {
            array_->emplace_back(v);
            return true;
        }
        if (slot_text(pending_, v)) return true;
        void* t = pending_.target;
        switch (pending_.k) {
        case json::slot::kind::id:
            return read_cached(v, *static_cast<ulid*>(t), frames_.back().kind == frame_kind::envelope ? stream_ : id_);
        case json::slot::kind::time: return read_cached(v, *static_cast<timestamp*>(t), time_);
        case json::slot::kind::payload_type: return select_payload(v);
        default: return false;
        }
    }

    /// The last text parsed into a T and its value. A log's lines repeat
    /// the stream id, and a line's timestamps mostly repeat its envelope's:
    /// comparing the text is cheaper than parsing it again.
    template <class T>
    struct parse_cache {
        char text[40];
        std::uint8_t size = 0;
        T value{};
    };

    template <class T>
    static bool read_cached(std::string_view v, T& out, parse_cache<T>& c) {
        if (v.size() == c.size && std::memcmp(v.data(), c.text, v.size()) == 0) return out = c.value, true;
        auto parsed = T::parse(v);
        if (!parsed) return false;
        out = *parsed;
        if (v.size() <= sizeof(c.text)) {
            std::memcpy(c.text, v.data(), v.size());
            c.size = static_cast<std::uint8_t>(v.size());
            c.value = *parsed;
        }
        return true;
    }

    using payload_variant = typename Event::payload_variant;
    using known = typename Event::known_payloads;

    /// The payload's "type" names a type that reads its members directly:
    /// the payload frame reads that type from now on.
    template <std::size_t I = 0>
    bool select_payload(std::string_view type) {
        if constexpr (I < std::variant_size_v<known>) {
            using T = std::variant_alternative_t<I, known>;
            if (type != std::string_view(T::wire_type)) return select_payload<I + 1>(type);
            if constexpr (json::reads_members<T>) {
                T& p = out_->payload.template emplace<I>();
                frame& f = frames_.back();
                const json::slot s = json::slot::object(p, 0);
                f = {&p, s.member, s.required, 0, frame_kind::payload};
                return true;
            } else {
                return false;
            }
        } else {
            return false; // unknown_payload keeps the raw bytes: the tree path does that
        }
    }

    static void envelope_member(void* target, std::string_view key, json::slot& out) {
        Event& e = *static_cast<Event*>(target);
        if (key == "event_id") out = json::slot::unsigned_int(e.id, 0);
        else if (key == Event::stream_key::name) out = json::slot::id(e.stream, 1);
        else if (key == "timestamp") out = json::slot::time(e.time, 2);
        else if (key == "payload") {
            out = json::slot{json::slot::kind::object, 3, target};
            out.member = &payload_member;
            out.required = json::bits({0});
        } else {
            out = json::slot::ignore();
        }
    }

    /// A payload's first key must be "type".
    static void payload_member(void*, std::string_view key, json::slot& out) {
        if (key != "type") out = json::slot::fail();
        else out = {json::slot::kind::payload_type, 0};
    }

    Event* out_ = nullptr;
    std::vector<frame> frames_;
    json::slot pending_;
    int skip_ = 0;                        // depth inside an ignored value
    std::vector<std::string>* array_ = nullptr; // the string array being read
    std::vector<std::string> scratch_array_;
    std::string part_;                    // a key or string delivered in parts
    bool envelope_read_ = false;          // the top-level object has ended
    parse_cache<ulid> stream_, id_;       // the envelope's stream id; other ids
    parse_cache<timestamp> time_;
};

/// `{"type":"<T::wire_type>"`, the start of each payload of type T, made
/// at compile time; `plain` when the name has nothing to escape (else the
/// text is not used and the name is escaped as the line is written).
template <class T>
struct payload_prefix {
    static constexpr std::string_view name = T::wire_type;
    static constexpr bool plain = std::none_of(name.begin(), name.end(), [](char c) {
        return json::detail::needs_escape(static_cast<unsigned char>(c));
    });
    static constexpr std::array<char, name.size() + 10> chars = [] {
        std::array<char, name.size() + 10> a{};
        const std::string_view open = "{\"type\":\"";
        std::copy(open.begin(), open.end(), a.begin());
        std::copy(name.begin(), name.end(), a.begin() + open.size());
        a.back() = '"';
        return a;
    }();
    static constexpr std::string_view text{chars.data(), chars.size()};
};

/// Whether any payload type of Event reads its members directly.
template <class Event>
inline constexpr bool any_reads_members = false;
template <class... Ts, class K>
inline constexpr bool any_reads_members<event<std::variant<Ts...>, K>> = (json::reads_members<Ts> || ...);

} // namespace detail

/// The default codec. One instance reuses its parsers and a monotonic
/// buffer across lines, so decoding allocates nothing beyond the event's
/// own data. Not thread-safe: give each thread its own.
///
/// Payload types that write themselves (json::write_members_tag) are
/// encoded straight into the line, others through their value_from
/// conversion; the bytes are the same either way. Lines whose payload type
/// reads itself (json::read_member_tag) are decoded straight into the
/// event when they hold nothing unexpected, and through a
/// boost::json::value tree otherwise, so what is accepted, what is
/// rejected and the errors are those of the value tree.
template <class Event>
class json_codec;

template <class... Ts, class StreamKey>
class json_codec<event<std::variant<Ts...>, StreamKey>> {
public:
    using event_type = event<std::variant<Ts...>, StreamKey>;
    static_assert(std::ranges::none_of(std::string_view(StreamKey::name),
                                       [](char c) { return json::detail::needs_escape(static_cast<unsigned char>(c)); }),
                  "the stream key's name is written as it is: it must hold no byte that JSON escapes");

    /// encode() throws evlog::error(errc::bad_argument) rather than write a
    /// raw newline (json::writer::finish() looks for one where a payload
    /// wrote text as it is), so a log need not look through its lines.
    static constexpr bool refuses_raw_newlines = true;

    json_codec() : resource_(buffer_, sizeof(buffer_)) {
        parser_.emplace(boost::json::storage_ptr(), parse_options());
        if constexpr (detail::any_reads_members<event_type>) direct_.emplace(parse_options());
    }
    json_codec(const json_codec&) = delete;
    json_codec& operator=(const json_codec&) = delete;

    /// Appends the event's line, without a newline. If it throws (a
    /// payload's conversion, or memory), `out` is left as it was.
    void encode(const event_type& e, std::string& out) { encode_with(e, out); }
    /// As above, into a line_buffer's room (the append log's buffers).
    void encode(const event_type& e, json::line_buffer& out) { encode_with(e, out); }

    /// Decodes one line (without its newline). On error `out` is unspecified.
    std::error_code decode(std::string_view line, event_type& out) {
        detail_.clear();
        if constexpr (detail::any_reads_members<event_type>) {
            // Straight into the event when the payload type allows it; the
            // value tree below otherwise, and for every line that is not
            // plainly well-formed (it then reports the error).
            auto& h = direct_->handler();
            h.start(out);
            switch (fast_.read(line, h)) {
            case detail::fast_json_result::ok: return {};
            case detail::fast_json_result::stopped: return decode_tree(line, out); // Boost's parser would stop too
            case detail::fast_json_result::unsupported: break; // the general parser reads it
            }
            direct_->reset();
            h.start(out);
            boost::system::error_code dec;
            const std::size_t n = direct_->write_some(false, line.data(), line.size(), dec);
            if (!dec && n == line.size() && direct_->done()) return {};
        }
        return decode_tree(line, out);
    }

    /// As decode(), always through a boost::json::value tree. For tests
    /// comparing the two paths.
    std::error_code decode_tree(std::string_view line, event_type& out) {
        detail_.clear();
        resource_.release();
        parser_->reset(boost::json::storage_ptr(&resource_));
        boost::system::error_code jec;
        parser_->write(line.data(), line.size(), jec);
        if (jec) return fail(errc::malformed_line, jec.message());
        boost::json::value v = parser_->release();
        const auto* obj = v.if_object();
        if (!obj) return fail(errc::malformed_line, "line is not a JSON object");

        const auto* id = obj->if_contains("event_id");
        if (!id) return fail(errc::missing_field, "field \"event_id\"");
        if (id->is_uint64()) out.id = id->get_uint64();
        else if (id->is_int64() && id->get_int64() >= 0) out.id = static_cast<std::uint64_t>(id->get_int64());
        else return fail(errc::wrong_type, "field \"event_id\": not a non-negative integer");

        const auto* stream = obj->if_contains(StreamKey::name);
        if (!stream) return fail(errc::missing_field, field(StreamKey::name));
        const auto* stream_str = stream->if_string();
        auto u = stream_str ? ulid::parse(*stream_str) : std::nullopt;
        if (!u) return fail(errc::invalid_ulid, field(StreamKey::name));
        out.stream = *u;

        const auto* ts = obj->if_contains("timestamp");
        if (!ts) return fail(errc::missing_field, "field \"timestamp\"");
        const auto* ts_str = ts->if_string();
        auto t = ts_str ? timestamp::parse(*ts_str) : std::nullopt;
        if (!t) return fail(errc::invalid_timestamp, "field \"timestamp\"");
        out.time = *t;

        const auto* pv = obj->if_contains("payload");
        if (!pv) return fail(errc::missing_field, "field \"payload\"");
        const auto* po = pv->if_object();
        if (!po) return fail(errc::wrong_type, "field \"payload\": not an object");
        const auto* type = po->if_contains("type");
        if (!type) return fail(errc::missing_field, "field \"payload.type\"");
        const auto* type_str = type->if_string();
        if (!type_str) return fail(errc::wrong_type, "field \"payload.type\"");
        return decode_payload(line, *pv, std::string_view(*type_str), out);
    }

    /// After a failed decode: which field, or what the parser said.
    std::string_view error_detail() const noexcept { return detail_; }

private:
    static boost::json::parse_options parse_options() {
        boost::json::parse_options opt;
        opt.max_depth = 64;
        return opt;
    }

    static std::string field(std::string_view name) { return "field \"" + std::string(name) + "\""; }

    std::error_code fail(errc code, std::string detail) {
        detail_ = std::move(detail);
        return make_error_code(code);
    }

    template <std::size_t I = 0>
    std::error_code decode_payload(std::string_view line, const boost::json::value& pv,
                                   std::string_view type, event_type& out) {
        if constexpr (I < sizeof...(Ts)) {
            using T = std::variant_alternative_t<I, std::variant<Ts...>>;
            if (type != std::string_view(T::wire_type)) return decode_payload<I + 1>(line, pv, type, out);
            try {
                out.payload.template emplace<I>(boost::json::value_to<T>(pv));
                return {};
            } catch (const json::field_error& e) {
                return fail(static_cast<errc>(e.code().value()), "field \"payload." + e.field() + "\"");
            } catch (const std::system_error& e) {
                errc code = e.code().category() == error_category() ? static_cast<errc>(e.code().value())
                                                                    : errc::wrong_type;
                return fail(code, "payload " + std::string(type) + ": " + e.what());
            } catch (const std::exception& e) {
                return fail(errc::wrong_type, "payload " + std::string(type) + ": " + e.what());
            }
        } else {
            // Keep the payload's exact bytes so writing it back changes nothing.
            unknown_payload u;
            u.type = std::string(type);
            if (auto span = detail::member_span(line, "payload")) u.raw = std::string(*span);
            else u.raw = boost::json::serialize(pv);
            out.payload = std::move(u);
            return {};
        }
    }

    using writer = json::writer;

    template <class Out>
    void encode_with(const event_type& e, Out& out) {
        using trusted = json::detail::writer_access; // text that holds no newline
        writer w(out);
        w.literal("{\"event_id\":");
        w.number(e.id);
        w.literal(",\"");
        trusted::raw(w, StreamKey::name);
        w.literal("\":\"");
        e.stream.write(w.reserve(26));
        trusted::advance(w, 26);
        w.literal("\",\"timestamp\":\"");
        trusted::advance(w, e.time.write(w.reserve(40)));
        w.literal("\",\"payload\":");
        std::visit([&](const auto& p) { encode_payload(p, w); }, e.payload);
        w.literal("}");
        w.finish();
    }

    void encode_payload(const unknown_payload& p, writer& w) { w.raw(p.raw); }

    template <class T>
    void encode_payload(const T& p, writer& w) {
        if constexpr (detail::payload_prefix<T>::plain) {
            json::detail::writer_access::raw(w, detail::payload_prefix<T>::text); // checked when compiled
        } else {
            w.literal("{\"type\":");
            w.escaped(std::string_view(T::wire_type));
        }
        w.set_need_comma(true);
        if constexpr (json::writes_members<T>) {
            tag_invoke(json::write_members_tag{}, w, p);
        } else {
            resource_.release();
            boost::json::value v = boost::json::value_from(p, boost::json::storage_ptr(&resource_));
            if (const auto* o = v.if_object()) {
                for (const auto& kv : *o) {
                    if (kv.key() == "type") continue;
                    w.key(kv.key());
                    write_value(kv.value(), w);
                }
            }
        }
        w.end_object();
    }

    // The tree is written byte for byte as boost::json::serializer writes
    // it (json::writer's escapes and number text).
    static void write_value(const boost::json::value& v, writer& w) {
        switch (v.kind()) {
        case boost::json::kind::null: w.null(); break;
        case boost::json::kind::bool_: w.boolean(v.get_bool()); break;
        case boost::json::kind::int64: w.number(v.get_int64()); break;
        case boost::json::kind::uint64: w.number(v.get_uint64()); break;
        case boost::json::kind::double_: w.number(v.get_double()); break;
        case boost::json::kind::string: w.string(std::string_view(v.get_string())); break;
        case boost::json::kind::array:
            w.begin_array();
            for (const auto& x : v.get_array()) write_value(x, w);
            w.end_array();
            break;
        case boost::json::kind::object:
            w.begin_object();
            for (const auto& kv : v.get_object()) {
                w.key(kv.key());
                write_value(kv.value(), w);
            }
            w.end_object();
            break;
        }
    }

    alignas(std::max_align_t) unsigned char buffer_[16 * 1024];
    boost::json::monotonic_resource resource_;
    std::optional<boost::json::parser> parser_;
    std::optional<boost::json::basic_parser<detail::direct_handler<event_type>>> direct_;
    detail::fast_json_reader<detail::direct_handler<event_type>> fast_;
    std::string detail_;
};

/// The codec a log uses for Event unless told otherwise.
template <class Event>
struct default_codec {
    using type = json_codec<Event>;
};
template <class Event>
using default_codec_t = typename default_codec<Event>::type;

} // namespace evlog
