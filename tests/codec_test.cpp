// The default JSON codec: exact wire bytes, round trips, unknown payloads kept
// byte for byte, and decode errors that name their field.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <evlog/core/codec.hpp>
#include <evlog/core/json.hpp>

#include "support/test_events.hpp"

static_assert(evlog::event_codec<evlog::json_codec<evtest::event>, evtest::event>);

namespace {

using codec = evlog::json_codec<evtest::event>;

const std::string stream_a = "01KF0HJ087AE67Z5NHCJZHQ5XV";
const std::string time_a = "2026-01-15T10:00:01.623456Z";

/// The envelope in canonical form around a payload text.
std::string envelope(std::string_view payload, std::uint64_t id = 1) {
    return "{\"event_id\":" + std::to_string(id) + ",\"stream_id\":\"" + stream_a + "\",\"timestamp\":\"" + time_a +
           "\",\"payload\":" + std::string(payload) + "}";
}

std::string encode(const evtest::event& e) {
    codec c;
    std::string out;
    c.encode(e, out);
    return out;
}

struct decode_result {
    std::error_code ec;
    std::string detail;
    evtest::event event;
};

decode_result decode(std::string_view line) {
    codec c;
    decode_result r;
    r.ec = c.decode(line, r.event);
    r.detail = std::string(c.error_detail());
    return r;
}

bool contains(std::string_view s, std::string_view part) { return s.find(part) != std::string_view::npos; }

/// A stream key other than the default, as a domain would declare it.
struct spec_key {
    static constexpr std::string_view name = "spec_id";
};
using spec_event = evlog::event<evtest::payloads, spec_key>;

/// A payload whose conversion writes its own (wrong) "type" and keys in a
/// non-alphabetical order.
struct ordered_payload {
    static constexpr std::string_view wire_type = "Ordered";
    int z = 0, a = 0;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ordered_payload& p) {
    boost::json::object o;
    o["z"] = p.z;
    o["type"] = "Wrong";
    o["a"] = p.a;
    v = std::move(o);
}
ordered_payload tag_invoke(boost::json::value_to_tag<ordered_payload>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::required<int>(o, "z"), evlog::json::required<int>(o, "a")};
}

/// A partial update with a three-state field.
struct title_changed {
    static constexpr std::string_view wire_type = "TitleChanged";
    evlog::json::patch<std::string> title;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const title_changed& p) {
    boost::json::object o;
    p.title.write(o, "title");
    v = std::move(o);
}
title_changed tag_invoke(boost::json::value_to_tag<title_changed>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::patch<std::string>::read(o, "title")};
}

using misc_event = evlog::event<std::variant<ordered_payload, title_changed>>;

/// A payload whose wire name holds bytes a JSON string escapes.
struct odd_name {
    static constexpr std::string_view wire_type = "Odd \"name\"\\\n\x01";
    int n = 0;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const odd_name& p) {
    boost::json::object o;
    o["n"] = p.n;
    v = std::move(o);
}
odd_name tag_invoke(boost::json::value_to_tag<odd_name>, const boost::json::value& v) {
    return {evlog::json::required<int>(evlog::json::as_object(v, "payload"), "n")};
}

using odd_event = evlog::event<std::variant<ordered_payload, odd_name>>;

} // namespace

BOOST_AUTO_TEST_SUITE(Codec)

BOOST_AUTO_TEST_CASE(EncodeThenDecodeRoundTrips) {
    codec c;
    auto e = evtest::make_note(42, "hello \"world\"\n\t\xc3\xa9 \xe2\x80\xa8 <&>", evtest::stream_b);
    std::string line;
    c.encode(e, line);
    evtest::event back;
    auto ec = c.decode(line, back);
    BOOST_TEST_REQUIRE(!ec, ec.message() << ": " << c.error_detail());
    BOOST_TEST(back.id == 42u);
    BOOST_TEST((back.stream == evtest::stream_b));
    BOOST_TEST((back.time == e.time));
    BOOST_TEST_REQUIRE(std::holds_alternative<evtest::note_added>(back.payload));
    BOOST_TEST(std::get<evtest::note_added>(back.payload).text == std::get<evtest::note_added>(e.payload).text);
    BOOST_TEST(!back.is_unknown());
    BOOST_TEST(back.type_name() == "NoteAdded");
}

BOOST_AUTO_TEST_CASE(EncodedLineHasExactBytesAndKeyOrder) {
    BOOST_TEST(encode(evtest::make_note(1, "hello")) ==
               "{\"event_id\":1,\"stream_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\",\"timestamp\":\"2026-01-15T10:00:01.623456Z\","
               "\"payload\":{\"type\":\"NoteAdded\",\"text\":\"hello\"}}");
    evtest::event e = evtest::make_note(7, "");
    e.payload = evtest::counter_bumped{-3, "why"};
    BOOST_TEST(encode(e) == envelope("{\"type\":\"CounterBumped\",\"by\":-3,\"reason\":\"why\"}", 7));
    e.payload = evtest::counter_bumped{5, std::nullopt};
    BOOST_TEST(encode(e) == envelope("{\"type\":\"CounterBumped\",\"by\":5}", 7));
}

BOOST_AUTO_TEST_CASE(EncodeAppendsWithoutNewline) {
    codec c;
    std::string out = "prefix|";
    c.encode(evtest::make_note(1, "a\nb"), out);
    BOOST_TEST(out.rfind("prefix|{", 0) == 0u);
    BOOST_TEST(out.find('\n') == std::string::npos); // the newline in the text is escaped
    BOOST_TEST(out.back() == '}');
}

BOOST_AUTO_TEST_CASE(PayloadTypeIsWrittenFirstFromWireTypeNotFromConversion) {
    evlog::json_codec<misc_event> c;
    misc_event e;
    e.id = 3;
    e.stream = evtest::stream_a;
    e.time = *evlog::timestamp::parse(time_a);
    e.payload = ordered_payload{1, 2};
    std::string line;
    c.encode(e, line);
    BOOST_TEST(line == envelope("{\"type\":\"Ordered\",\"z\":1,\"a\":2}", 3));
}

BOOST_AUTO_TEST_CASE(PayloadTypeWithBytesToEscapeIsEscapedNotCopiedIntoTheLine) {
    // The start of a payload, `{"type":"Name"`, is made at compile time for
    // names with nothing to escape; other names must still be escaped.
    evlog::json_codec<odd_event> c;
    odd_event e;
    e.id = 3;
    e.stream = evtest::stream_a;
    e.time = *evlog::timestamp::parse(time_a);
    e.payload = odd_name{4};
    std::string line;
    c.encode(e, line);
    const std::string type = boost::json::serialize(boost::json::value(odd_name::wire_type));
    BOOST_TEST(type == "\"Odd \\\"name\\\"\\\\\\n\\u0001\"");
    BOOST_TEST(line == envelope("{\"type\":" + type + ",\"n\":4}", 3));
    odd_event back;
    BOOST_TEST_REQUIRE(!c.decode(line, back));
    BOOST_TEST_REQUIRE(std::holds_alternative<odd_name>(back.payload));
    BOOST_TEST(std::get<odd_name>(back.payload).n == 4);
    e.payload = ordered_payload{1, 2};
    line.clear();
    c.encode(e, line);
    BOOST_TEST(line == envelope("{\"type\":\"Ordered\",\"z\":1,\"a\":2}", 3));
}

BOOST_AUTO_TEST_CASE(LargestEventIdRoundTrips) {
    auto e = evtest::make_note(std::numeric_limits<std::uint64_t>::max(), "x");
    auto line = encode(e);
    BOOST_TEST(contains(line, "\"event_id\":18446744073709551615,"));
    auto r = decode(line);
    BOOST_TEST_REQUIRE(!r.ec);
    BOOST_TEST(r.event.id == std::numeric_limits<std::uint64_t>::max());
}

BOOST_AUTO_TEST_CASE(EnvelopeKeysInAnyOrderWithWhitespaceDecode) {
    auto r = decode(" { \"payload\" : {\"text\":\"t\", \"type\":\"NoteAdded\"} , \"timestamp\":\"" + time_a +
                    "\",\n\"stream_id\":\"" + stream_a + "\", \"event_id\" : 9 } ");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(r.event.id == 9u);
    BOOST_TEST(std::get<evtest::note_added>(r.event.payload).text == "t");
}

BOOST_AUTO_TEST_CASE(CustomStreamKeyIsWrittenAndRead) {
    evlog::json_codec<spec_event> c;
    spec_event e;
    e.id = 5;
    e.stream = evtest::stream_a;
    e.time = *evlog::timestamp::parse(time_a);
    e.payload = evtest::note_added{"spec"};
    std::string line;
    c.encode(e, line);
    BOOST_TEST(line == "{\"event_id\":5,\"spec_id\":\"" + stream_a + "\",\"timestamp\":\"" + time_a +
                           "\",\"payload\":{\"type\":\"NoteAdded\",\"text\":\"spec\"}}");
    spec_event back;
    BOOST_TEST_REQUIRE(!c.decode(line, back));
    BOOST_TEST((back.stream == evtest::stream_a));
    BOOST_TEST(std::get<evtest::note_added>(back.payload).text == "spec");
}

BOOST_AUTO_TEST_CASE(CustomStreamKeyRejectsLineWithDefaultStreamId) {
    evlog::json_codec<spec_event> c;
    spec_event back;
    auto ec = c.decode(envelope("{\"type\":\"NoteAdded\",\"text\":\"x\"}"), back);
    BOOST_TEST((ec == evlog::errc::missing_field));
    BOOST_TEST(contains(c.error_detail(), "spec_id"), c.error_detail());
}

BOOST_AUTO_TEST_CASE(UnknownPayloadKeepsExactBytesAndReencodesUnchanged) {
    // Whitespace of every kind but a newline, which no line of a log holds
    // (encode refuses one: UnknownPayloadWithARawNewlineIsRefusedNotWrittenIntoTheLine).
    const std::string payload =
        "{ \"z\" : 1.50 ,\"type\":\"FutureThing\",\r\t\"a\":[1, 2 ,{\"k\":\"\\u003c\\/\"}], \"s\":\"a\\\"}b\", "
        "\"e\":1e+02, \"n\":null , \"big\":123456789012345678901234567890 }";
    const std::string line = envelope(payload, 11);
    codec c;
    evtest::event e;
    auto ec = c.decode(line, e);
    BOOST_TEST_REQUIRE(!ec, c.error_detail());
    BOOST_TEST_REQUIRE(e.is_unknown());
    const auto& u = std::get<evlog::unknown_payload>(e.payload);
    BOOST_TEST(u.type == "FutureThing");
    BOOST_TEST(e.type_name() == "FutureThing");
    BOOST_TEST(u.raw == payload);
    std::string out;
    c.encode(e, out);
    BOOST_TEST(out == line);
}

BOOST_AUTO_TEST_CASE(UnknownPayloadSpanIgnoresPayloadKeysNestedElsewhere) {
    // A decoy "payload" key inside an earlier member must not be taken for the real one.
    const std::string payload = "{\"type\":\"Real\",\"v\":1}";
    auto r = decode("{\"meta\":{\"payload\":{\"type\":\"Decoy\"},\"s\":\"\\\"payload\\\":{}\"},\"event_id\":1,"
                    "\"stream_id\":\"" + stream_a + "\",\"timestamp\":\"" + time_a + "\",\"payload\":" + payload + "}");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST_REQUIRE(r.event.is_unknown());
    BOOST_TEST(std::get<evlog::unknown_payload>(r.event.payload).type == "Real");
    BOOST_TEST(std::get<evlog::unknown_payload>(r.event.payload).raw == payload);
}

BOOST_AUTO_TEST_CASE(DuplicatePayloadKeyKeepsBytesOfTheValueTheParserUsed) {
    // Boost.JSON keeps the last of duplicate keys; the raw bytes must be that same value,
    // or type and raw would describe different payloads.
    auto r = decode("{\"event_id\":1,\"stream_id\":\"" + stream_a + "\",\"timestamp\":\"" + time_a +
                    "\",\"payload\":{\"type\":\"First\"},\"payload\":{\"type\":\"Second\",\"v\":2}}");
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    const auto& u = std::get<evlog::unknown_payload>(r.event.payload);
    BOOST_TEST(u.type == "Second");
    BOOST_TEST(u.raw == "{\"type\":\"Second\",\"v\":2}");
}

BOOST_AUTO_TEST_CASE(DeeplyNestedUnknownPayloadDecodes) {
    std::string nested = "0";
    for (int i = 0; i < 40; ++i) nested = (i % 2 ? "{\"k\":" + nested + "}" : "[" + nested + "]");
    const std::string payload = "{\"type\":\"Deep\",\"n\":" + nested + "}";
    auto r = decode(envelope(payload));
    BOOST_TEST_REQUIRE(!r.ec, r.detail);
    BOOST_TEST(std::get<evlog::unknown_payload>(r.event.payload).raw == payload);
}

BOOST_AUTO_TEST_CASE(NestingBeyondParserLimitIsMalformedNotACrash) {
    std::string nested(200, '[');
    nested += std::string(200, ']');
    auto r = decode(envelope("{\"type\":\"Deep\",\"n\":" + nested + "}"));
    BOOST_TEST((r.ec == evlog::errc::malformed_line));
    BOOST_TEST(!r.detail.empty());
}

BOOST_AUTO_TEST_CASE(NotJsonIsMalformedLine) {
    for (std::string bad : {std::string(), std::string("not json"), std::string("{"), std::string("{\"event_id\":1,"), envelope("{\"type\":\"NoteAdded\",\"text\":\"x\"}") + "}",
                            envelope("{\"type\":\"NoteAdded\",\"text\":\"x\"}") + " trailing"}) {
        auto r = decode(bad);
        BOOST_TEST((r.ec == evlog::errc::malformed_line), bad);
        BOOST_TEST(!r.detail.empty(), bad);
    }
}

BOOST_AUTO_TEST_CASE(JsonThatIsNotAnObjectIsMalformedLine) {
    for (std::string bad : {"[1,2]", "\"str\"", "42", "null", "true"}) {
        auto r = decode(bad);
        BOOST_TEST((r.ec == evlog::errc::malformed_line), bad);
        BOOST_TEST(contains(r.detail, "object"), r.detail);
    }
}

BOOST_AUTO_TEST_CASE(MissingEnvelopeFieldIsMissingFieldNamingIt) {
    const std::string p = "\"payload\":{\"type\":\"NoteAdded\",\"text\":\"x\"}";
    const std::string id = "\"event_id\":1", sid = "\"stream_id\":\"" + stream_a + "\"",
                      ts = "\"timestamp\":\"" + time_a + "\"";
    struct {
        std::string line, field;
    } cases[] = {
        {"{" + sid + "," + ts + "," + p + "}", "event_id"},
        {"{" + id + "," + ts + "," + p + "}", "stream_id"},
        {"{" + id + "," + sid + "," + p + "}", "timestamp"},
        {"{" + id + "," + sid + "," + ts + "}", "payload"},
        {"{" + id + "," + sid + "," + ts + ",\"payload\":{\"text\":\"x\"}}", "payload.type"},
    };
    for (const auto& c : cases) {
        auto r = decode(c.line);
        BOOST_TEST((r.ec == evlog::errc::missing_field), c.field);
        BOOST_TEST(contains(r.detail, "\"" + c.field + "\""), r.detail << " should name " << c.field);
    }
}

BOOST_AUTO_TEST_CASE(EventIdThatIsNotANonNegativeIntegerIsWrongType) {
    for (std::string bad : {"-1", "\"1\"", "1.5", "1.0", "null", "true", "[1]"}) {
        auto line = "{\"event_id\":" + bad + ",\"stream_id\":\"" + stream_a + "\",\"timestamp\":\"" + time_a +
                    "\",\"payload\":{\"type\":\"NoteAdded\",\"text\":\"x\"}}";
        auto r = decode(line);
        BOOST_TEST((r.ec == evlog::errc::wrong_type), bad);
        BOOST_TEST(contains(r.detail, "event_id"), r.detail);
    }
}

BOOST_AUTO_TEST_CASE(StreamIdThatIsNotAUlidIsInvalidUlid) {
    for (std::string bad : {"\"01KF0HJ087AE67Z5NHCJZHQ5XU\"", "\"8ZZZZZZZZZZZZZZZZZZZZZZZZZ\"", "\"\"", "5", "null"}) {
        auto line = "{\"event_id\":1,\"stream_id\":" + bad + ",\"timestamp\":\"" + time_a +
                    "\",\"payload\":{\"type\":\"NoteAdded\",\"text\":\"x\"}}";
        auto r = decode(line);
        BOOST_TEST((r.ec == evlog::errc::invalid_ulid), bad);
        BOOST_TEST(contains(r.detail, "stream_id"), r.detail);
    }
}

BOOST_AUTO_TEST_CASE(BadTimestampIsInvalidTimestamp) {
    for (std::string bad : {"\"2026-02-30T00:00:00Z\"", "\"2026-01-15T10:00:01\"", "\"yesterday\"", "1768471201"}) {
        auto line = "{\"event_id\":1,\"stream_id\":\"" + stream_a + "\",\"timestamp\":" + bad +
                    ",\"payload\":{\"type\":\"NoteAdded\",\"text\":\"x\"}}";
        auto r = decode(line);
        BOOST_TEST((r.ec == evlog::errc::invalid_timestamp), bad);
        BOOST_TEST(contains(r.detail, "timestamp"), r.detail);
    }
}

BOOST_AUTO_TEST_CASE(PayloadThatIsNotAnObjectIsWrongType) {
    for (std::string bad : {"\"NoteAdded\"", "[]", "null", "1"}) {
        auto r = decode(envelope(bad));
        BOOST_TEST((r.ec == evlog::errc::wrong_type), bad);
        BOOST_TEST(contains(r.detail, "payload"), r.detail);
    }
    auto r = decode(envelope("{\"type\":5,\"text\":\"x\"}"));
    BOOST_TEST((r.ec == evlog::errc::wrong_type));
    BOOST_TEST(contains(r.detail, "payload.type"), r.detail);
}

BOOST_AUTO_TEST_CASE(KnownPayloadMissingRequiredFieldIsMissingFieldNamingIt) {
    for (std::string p : {"{\"type\":\"NoteAdded\"}", "{\"type\":\"NoteAdded\",\"text\":null}",
                          "{\"type\":\"NoteAdded\",\"txet\":\"x\"}"}) {
        auto r = decode(envelope(p));
        BOOST_TEST((r.ec == evlog::errc::missing_field), p);
        BOOST_TEST(contains(r.detail, "payload.text"), r.detail);
    }
    auto r = decode(envelope("{\"type\":\"CounterBumped\",\"reason\":\"x\"}"));
    BOOST_TEST((r.ec == evlog::errc::missing_field));
    BOOST_TEST(contains(r.detail, "payload.by"), r.detail);
}

BOOST_AUTO_TEST_CASE(KnownPayloadFieldOfWrongTypeIsWrongTypeNamingIt) {
    struct {
        std::string payload, field;
    } cases[] = {
        {"{\"type\":\"NoteAdded\",\"text\":5}", "payload.text"},
        {"{\"type\":\"NoteAdded\",\"text\":[\"x\"]}", "payload.text"},
        {"{\"type\":\"CounterBumped\",\"by\":\"3\"}", "payload.by"},
        {"{\"type\":\"CounterBumped\",\"by\":3,\"reason\":7}", "payload.reason"},
    };
    for (const auto& c : cases) {
        auto r = decode(envelope(c.payload));
        BOOST_TEST((r.ec == evlog::errc::wrong_type), c.payload);
        BOOST_TEST(contains(r.detail, c.field), r.detail << " should name " << c.field);
    }
}

BOOST_AUTO_TEST_CASE(OptionalPayloadFieldAbsentOrNullDecodesAsNullopt) {
    for (std::string p : {"{\"type\":\"CounterBumped\",\"by\":3}", "{\"type\":\"CounterBumped\",\"by\":3,\"reason\":null}"}) {
        auto r = decode(envelope(p));
        BOOST_TEST_REQUIRE(!r.ec, r.detail);
        const auto& cb = std::get<evtest::counter_bumped>(r.event.payload);
        BOOST_TEST(cb.by == 3);
        BOOST_TEST(!cb.reason.has_value());
    }
}

BOOST_AUTO_TEST_CASE(ErrorCodesBelongToEvlogCategory) {
    auto r = decode("{}");
    BOOST_TEST((r.ec.category() == evlog::error_category()));
    BOOST_TEST((r.ec == evlog::errc::missing_field));
}

BOOST_AUTO_TEST_CASE(CodecIsReusableAcrossManyLinesAndAfterErrors) {
    codec c;
    evtest::event e;
    for (std::uint64_t i = 1; i <= 500; ++i) {
        // Interleave failures of every stage with good lines.
        switch (i % 5) {
        case 0: BOOST_TEST_REQUIRE((c.decode("{\"event_id\":[[[", e) == evlog::errc::malformed_line)); break;
        case 1: BOOST_TEST_REQUIRE((c.decode(envelope("{\"type\":\"NoteAdded\"}"), e) == evlog::errc::missing_field)); break;
        case 2: BOOST_TEST_REQUIRE((c.decode(envelope("{\"type\":\"NoteAdded\",\"text\":1}"), e) == evlog::errc::wrong_type)); break;
        default: break;
        }
        std::string text(i * 7 % 300, 'a' + static_cast<char>(i % 26)); // some lines exceed small buffers
        std::string line;
        c.encode(evtest::make_note(i, text), line);
        auto ec = c.decode(line, e);
        BOOST_TEST_REQUIRE(!ec, "line " << i << ": " << c.error_detail());
        BOOST_TEST_REQUIRE(e.id == i);
        BOOST_TEST_REQUIRE(std::get<evtest::note_added>(e.payload).text == text);
    }
}

BOOST_AUTO_TEST_CASE(LargePayloadBeyondCodecBufferRoundTrips) {
    codec c;
    std::string text(100'000, 'x');
    text[500] = '"';
    std::string line;
    c.encode(evtest::make_note(1, text), line);
    evtest::event e;
    BOOST_TEST_REQUIRE(!c.decode(line, e));
    BOOST_TEST((std::get<evtest::note_added>(e.payload).text == text));
}

BOOST_AUTO_TEST_CASE(PatchReadsAbsentNullAndValue) {
    auto o = boost::json::parse("{\"n\":null,\"v\":\"x\"}").as_object();
    auto absent = evlog::json::patch<std::string>::read(o, "missing");
    auto null = evlog::json::patch<std::string>::read(o, "n");
    auto value = evlog::json::patch<std::string>::read(o, "v");
    BOOST_TEST(absent.absent());
    BOOST_TEST(!absent.is_null());
    BOOST_TEST(!absent.has_value());
    BOOST_TEST(null.is_null());
    BOOST_TEST(!null.absent());
    BOOST_TEST(!null.has_value());
    BOOST_TEST(value.has_value());
    BOOST_TEST(value.value() == "x");
    BOOST_TEST((absent == evlog::json::patch<std::string>{}));
    BOOST_TEST((null == evlog::json::patch<std::string>::clear()));
    BOOST_TEST((value == evlog::json::patch<std::string>::set("x")));
    BOOST_TEST(!(value == evlog::json::patch<std::string>::set("y")));
}

BOOST_AUTO_TEST_CASE(PatchWritesNothingNullOrValue) {
    boost::json::object o;
    evlog::json::patch<int>{}.write(o, "a");
    evlog::json::patch<int>::clear().write(o, "b");
    evlog::json::patch<int>::set(7).write(o, "c");
    BOOST_TEST(!o.contains("a"));
    BOOST_TEST_REQUIRE(o.contains("b"));
    BOOST_TEST(o.at("b").is_null());
    BOOST_TEST(o.at("c").as_int64() == 7);
}

BOOST_AUTO_TEST_CASE(PatchOfWrongTypeThrowsFieldErrorNamingKey) {
    auto o = boost::json::parse("{\"v\":[1]}").as_object();
    try {
        (void)evlog::json::patch<std::string>::read(o, "v");
        BOOST_ERROR("no exception");
    } catch (const evlog::json::field_error& e) {
        BOOST_TEST((e.code() == evlog::errc::wrong_type));
        BOOST_TEST(e.field() == "v");
    }
}

BOOST_AUTO_TEST_CASE(PatchFieldRoundTripsThroughCodecInAllThreeStates) {
    evlog::json_codec<misc_event> c;
    struct {
        evlog::json::patch<std::string> title;
        std::string payload;
    } cases[] = {
        {{}, "{\"type\":\"TitleChanged\"}"},
        {evlog::json::patch<std::string>::clear(), "{\"type\":\"TitleChanged\",\"title\":null}"},
        {evlog::json::patch<std::string>::set("New"), "{\"type\":\"TitleChanged\",\"title\":\"New\"}"},
    };
    for (const auto& k : cases) {
        misc_event e;
        e.id = 1;
        e.stream = evtest::stream_a;
        e.time = *evlog::timestamp::parse(time_a);
        e.payload = title_changed{k.title};
        std::string line;
        c.encode(e, line);
        BOOST_TEST(line == envelope(k.payload));
        misc_event back;
        BOOST_TEST_REQUIRE(!c.decode(line, back), c.error_detail());
        BOOST_TEST((std::get<title_changed>(back.payload).title == k.title), k.payload);
    }
}

BOOST_AUTO_TEST_SUITE_END()
