// The codec concept (event <-> one line of text) and the default codec on
// Boost.JSON.
#pragma once

#include <charconv>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <variant>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
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

/// The default codec. One instance reuses its parser, serializer and a
/// monotonic buffer across lines, so decoding allocates nothing beyond the
/// event's own data. Not thread-safe: give each thread its own.
template <class Event>
class json_codec;

template <class... Ts, class StreamKey>
class json_codec<event<std::variant<Ts...>, StreamKey>> {
public:
    using event_type = event<std::variant<Ts...>, StreamKey>;

    json_codec() : resource_(buffer_, sizeof(buffer_)) {
        boost::json::parse_options opt;
        opt.max_depth = 64;
        parser_.emplace(boost::json::storage_ptr(), opt);
    }
    json_codec(const json_codec&) = delete;
    json_codec& operator=(const json_codec&) = delete;

    /// Appends the event's line, without a newline.
    void encode(const event_type& e, std::string& out) {
        char num[24];
        out += "{\"event_id\":";
        auto r = std::to_chars(num, num + sizeof(num), e.id);
        out.append(num, r.ptr);
        out += ",\"";
        out += StreamKey::name;
        out += "\":\"";
        char id[26];
        e.stream.write(id);
        out.append(id, 26);
        out += "\",\"timestamp\":\"";
        char ts[40];
        out.append(ts, e.time.write(ts));
        out += "\",\"payload\":";
        std::visit([&](const auto& p) { encode_payload(p, out); }, e.payload);
        out += '}';
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

    void encode_payload(const unknown_payload& p, std::string& out) { out += p.raw; }

    template <class T>
    void encode_payload(const T& p, std::string& out) {
        resource_.release();
        boost::json::value v = boost::json::value_from(p, boost::json::storage_ptr(&resource_));
        out += "{\"type\":";
        append_json(boost::json::value(std::string_view(T::wire_type), boost::json::storage_ptr(&resource_)), out);
        if (const auto* o = v.if_object()) {
            for (const auto& kv : *o) {
                if (kv.key() == "type") continue;
                out += ',';
                append_json(boost::json::value(kv.key(), boost::json::storage_ptr(&resource_)), out);
                out += ':';
                append_json(kv.value(), out);
            }
        }
        out += '}';
    }

    void append_json(const boost::json::value& v, std::string& out) {
        serializer_.reset(&v);
        char buf[4096];
        while (!serializer_.done()) out += serializer_.read(buf, sizeof(buf));
    }

    alignas(std::max_align_t) unsigned char buffer_[16 * 1024];
    boost::json::monotonic_resource resource_;
    std::optional<boost::json::parser> parser_;
    boost::json::serializer serializer_;
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
