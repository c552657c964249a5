// The JSON used by the comparison subjects:
//  - naive_*: what a straightforward port of the Go code does, the way
//    encoding/json does it: a fresh document tree per event (json.Marshal /
//    json.Unmarshal), nothing reused;
//  - raw_decoder: the floor for decoding the same bytes into the same
//    structs with Boost.JSON: one reused parser over a monotonic buffer,
//    then value_to, no error reporting beyond "bad line".
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/event.hpp>

namespace bench {

namespace detail {

template <class Event, std::size_t I = 0>
void payload_from(const boost::json::value& pv, std::string_view type, Event& out) {
    using known = typename Event::known_payloads;
    if constexpr (I < std::variant_size_v<known>) {
        using T = std::variant_alternative_t<I, known>;
        if (type == T::wire_type) out.payload.template emplace<I>(boost::json::value_to<T>(pv));
        else payload_from<Event, I + 1>(pv, type, out);
    } else {
        out.payload = evlog::unknown_payload{std::string(type), boost::json::serialize(pv)};
    }
}

/// Envelope fields of a parsed line into `out`; throws on anything wrong.
template <class Event>
void event_from(const boost::json::value& v, Event& out) {
    const auto& o = v.as_object();
    out.id = o.at("event_id").template to_number<std::uint64_t>();
    auto stream = evlog::ulid::parse(o.at(Event::stream_key::name).as_string());
    auto time = evlog::timestamp::parse(o.at("timestamp").as_string());
    if (!stream || !time) throw std::runtime_error("bad stream id or timestamp");
    out.stream = *stream;
    out.time = *time;
    const auto& pv = o.at("payload");
    payload_from(pv, std::string_view(pv.at("type").as_string()), out);
}

} // namespace detail

/// json.Unmarshal: parse into a fresh tree, convert, drop the tree.
template <class Event>
Event naive_decode(std::string_view line) {
    Event e;
    detail::event_from(boost::json::parse(line), e);
    return e;
}

/// json.Marshal: build the envelope as a tree and serialize it.
template <class Event>
std::string naive_encode(const Event& e) {
    boost::json::object o;
    o["event_id"] = e.id;
    o[Event::stream_key::name] = e.stream.str();
    o["timestamp"] = e.time.str();
    std::visit(
        [&](const auto& p) {
            if constexpr (std::is_same_v<std::decay_t<decltype(p)>, evlog::unknown_payload>)
                o["payload"] = boost::json::parse(p.raw);
            else
                o["payload"] = boost::json::value_from(p);
        },
        e.payload);
    return boost::json::serialize(o);
}

/// The decoding floor: one parser and one monotonic buffer for every line.
template <class Event>
class raw_decoder {
public:
    raw_decoder() : resource_(buffer_, sizeof(buffer_)) {}
    raw_decoder(const raw_decoder&) = delete;
    raw_decoder& operator=(const raw_decoder&) = delete;

    void decode(std::string_view line, Event& out) {
        resource_.release();
        parser_.reset(boost::json::storage_ptr(&resource_));
        parser_.write(line.data(), line.size());
        boost::json::value v = parser_.release();
        detail::event_from(v, out);
    }

private:
    alignas(std::max_align_t) unsigned char buffer_[16 * 1024];
    boost::json::monotonic_resource resource_;
    boost::json::parser parser_;
};

} // namespace bench
