// The codec concept (event <-> one line of text) and the default codec on
// Boost.JSON.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/detail/json_span.hpp>
#include <evlog/core/errors.hpp>
#include <evlog/core/event.hpp>
#include <evlog/core/json.hpp>

namespace evlog {

/// A codec turns an event into one line (no newline) and back.
/// `encode` appends to `out`. `decode` returns an error code in
/// evlog::error_category() and, after an error, `error_detail()` names the
/// field or the parser's complaint.
template <class C, class Event>
concept event_codec = requires(C& c, const Event& e, Event& out_event, std::string& out, std::string_view line) {
    c.encode(e, out);
    { c.decode(line, out_event) } -> std::same_as<std::error_code>;
    { c.error_detail() } -> std::convertible_to<std::string_view>;
};

/// The default codec. One instance reuses its parser and a monotonic
/// buffer across lines, so decoding allocates nothing beyond the event's
/// own data. Not thread-safe: give each thread its own.
///
/// Payload types that write themselves (json::write_members_tag) are
/// encoded straight into the line, others through their value_from
/// conversion; the bytes are the same either way.
template <class Event>
class json_codec;

template <class... Ts, class StreamKey>
class json_codec<event<std::variant<Ts...>, StreamKey>> {
public:
    using event_type = event<std::variant<Ts...>, StreamKey>;

    json_codec() : resource_(buffer_, sizeof(buffer_)) {
        parser_.emplace(boost::json::storage_ptr(), parse_options());
    }
    json_codec(const json_codec&) = delete;
    json_codec& operator=(const json_codec&) = delete;

    /// Appends the event's line, without a newline. If it throws (a
    /// payload's conversion, or memory), `out` is left as it was.
    void encode(const event_type& e, std::string& out) {
        writer w(out);
        w.literal("{\"event_id\":");
        w.number(e.id);
        w.literal(",\"");
        w.raw(StreamKey::name);
        w.literal("\":\"");
        e.stream.write(w.reserve(26));
        w.advance(26);
        w.literal("\",\"timestamp\":\"");
        w.advance(e.time.write(w.reserve(40)));
        w.literal("\",\"payload\":");
        std::visit([&](const auto& p) { encode_payload(p, w); }, e.payload);
        w.literal("}");
        w.finish();
    }

    /// Decodes one line (without its newline). On error `out` is unspecified.
    std::error_code decode(std::string_view line, event_type& out) {
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

    void encode_payload(const unknown_payload& p, writer& w) { w.raw(p.raw); }

    template <class T>
    void encode_payload(const T& p, writer& w) {
        w.literal("{\"type\":");
        w.escaped(std::string_view(T::wire_type));
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
