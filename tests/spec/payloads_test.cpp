// Spec payloads on the wire: every line of the fixture corpus decodes and
// re-encodes to the same JSON, the three states of a patched field survive,
// and decode errors name the field.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <system_error>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <evlog/core/codec.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/store.hpp>

#include "spec/spec_test_util.hpp"
#include "support/log_test_util.hpp"

namespace {

using evlog::spec::spec_event;
using codec = evlog::json_codec<spec_event>;

/// Decodes `line`, failing the test with the codec's detail on error.
spec_event decode_ok(codec& c, const std::string& line) {
    spec_event e;
    auto ec = c.decode(line, e);
    BOOST_TEST_REQUIRE(!ec, "decode failed: " << ec.message() << ": " << c.error_detail() << " in " << line);
    return e;
}

boost::json::value reencode(codec& c, const spec_event& e) {
    std::string out;
    c.encode(e, out);
    return boost::json::parse(out);
}

/// The well-formed lines of every fixture log.
std::vector<std::string> wellformed_lines() {
    std::vector<std::string> out;
    for (const auto& log : spectest::all_logs())
        for (auto& line : spectest::lines_of(log)) {
            boost::system::error_code ec;
            auto v = boost::json::parse(line, ec);
            if (!ec && v.is_object()) out.push_back(std::move(line));
        }
    return out;
}

/// The payload of a line exactly as written in the fixture.
boost::json::object raw_payload(const std::string& line) {
    return boost::json::parse(line).as_object().at("payload").as_object();
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_payloads)

BOOST_AUTO_TEST_CASE(EveryFixtureLineReencodesToTheSameJson) {
    codec c;
    std::set<std::string> types;
    std::size_t lines = 0;
    for (const auto& line : wellformed_lines()) {
        auto e = decode_ok(c, line);
        BOOST_TEST(spectest::json_diff(boost::json::parse(line), reencode(c, e)) == "");
        types.insert(std::string(e.type_name()));
        ++lines;
    }
    BOOST_TEST(lines > 300u);
    // The corpus promises all 13 types; one more is the damaged CardArchived line.
    std::set<std::string> known;
    for (std::string_view t : {evlog::spec::spec_created::wire_type, evlog::spec::spec_core_updated::wire_type,
                               evlog::spec::card_created::wire_type, evlog::spec::card_updated::wire_type,
                               evlog::spec::card_moved::wire_type, evlog::spec::card_deleted::wire_type,
                               evlog::spec::transcript_appended::wire_type, evlog::spec::question_asked::wire_type,
                               evlog::spec::question_answered::wire_type, evlog::spec::agent_step_started::wire_type,
                               evlog::spec::agent_step_finished::wire_type, evlog::spec::undo_applied::wire_type,
                               evlog::spec::snapshot_written::wire_type})
        known.insert(std::string(t));
    for (const auto& t : known) BOOST_TEST(types.count(t) == 1u, "no fixture line of type " << t);
}

BOOST_AUTO_TEST_CASE(EveryQuestionKindDecodesToItsAlternative) {
    codec c;
    std::map<std::string, std::size_t> seen;
    for (const auto& line : wellformed_lines()) {
        auto e = decode_ok(c, line);
        const auto* p = std::get_if<evlog::spec::question_asked>(&e.payload);
        if (!p) continue;
        const auto raw = raw_payload(line).at("question").as_object();
        const auto type = std::string(raw.at("type").as_string());
        ++seen[type];
        BOOST_TEST(p->question.question_id().str() == raw.at("question_id").as_string());
        std::visit([&](const auto& q) { BOOST_TEST(q.wire_type == type); }, p->question.kind);
    }
    BOOST_TEST(seen.size() == 3u);
}

// Go leaves validation_hint out; the Rust daemon wrote null. Both must survive.
BOOST_AUTO_TEST_CASE(FreeformValidationHintKeepsNullApartFromAbsent) {
    codec c;
    bool saw_null = false, saw_value = false;
    for (const auto& line : wellformed_lines()) {
        auto e = decode_ok(c, line);
        const auto* p = std::get_if<evlog::spec::question_asked>(&e.payload);
        if (!p) continue;
        const auto* f = std::get_if<evlog::spec::freeform_question>(&p->question.kind);
        if (!f) continue;
        const auto* raw = raw_payload(line).at("question").as_object().if_contains("validation_hint");
        BOOST_TEST_REQUIRE(raw != nullptr);
        if (raw->is_null()) {
            saw_null = true;
            BOOST_TEST(f->validation_hint.is_null());
        } else {
            saw_value = true;
            BOOST_TEST(f->validation_hint.value() == raw->as_string());
        }
    }
    BOOST_TEST(saw_null);
    BOOST_TEST(saw_value);
}

BOOST_AUTO_TEST_CASE(CardUpdatedBodyThreeStatesRoundTrip) {
    codec c;
    std::map<std::string, int> seen; // "absent", "null", "value"
    for (const auto& line : wellformed_lines()) {
        auto e = decode_ok(c, line);
        const auto* p = std::get_if<evlog::spec::card_updated>(&e.payload);
        if (!p) continue;
        const auto raw = raw_payload(line);
        const auto* body = raw.if_contains("body");
        const auto again = reencode(c, e).as_object().at("payload").as_object();
        const auto* body_again = again.if_contains("body");
        if (!body) {
            ++seen["absent"];
            BOOST_TEST(p->body.absent());
            BOOST_TEST(body_again == nullptr, "absent body written back: " << line);
        } else if (body->is_null()) {
            ++seen["null"];
            BOOST_TEST(p->body.is_null());
            BOOST_TEST((body_again && body_again->is_null()), "null body not written back as null: " << line);
        } else {
            ++seen["value"];
            BOOST_TEST(p->body.value() == body->as_string());
            BOOST_TEST((body_again && *body_again == *body));
        }
    }
    BOOST_TEST(seen.size() == 3u);
}

BOOST_AUTO_TEST_CASE(WholeNumberOrderIsWrittenAsGoWritesIt) {
    codec c;
    spec_event e;
    e.id = 1;
    e.stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    e.time = *evlog::timestamp::parse("2026-01-15T10:00:01Z");
    e.payload = evlog::spec::card_moved{e.stream, "Plan", 2.0, std::nullopt};
    std::string line;
    c.encode(e, line);
    BOOST_TEST(line.find("\"order\":2}") != std::string::npos, line);

    e.payload = evlog::spec::card_moved{e.stream, "Plan", -3.25, std::nullopt};
    auto back = decode_ok(c, [&] { std::string s; c.encode(e, s); return s; }());
    BOOST_TEST(std::get<evlog::spec::card_moved>(back.payload).order == -3.25);
}

spec_event moved_to(double order, std::uint64_t id = 1) {
    spec_event e;
    e.id = id;
    e.stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    e.time = *evlog::timestamp::parse("2026-01-15T10:00:01Z");
    e.payload = evlog::spec::card_moved{e.stream, "Plan", order, std::nullopt};
    return e;
}

BOOST_AUTO_TEST_CASE(NonFiniteOrderIsRefusedNotWrittenAsInfinity) {
    // Boost spells these Infinity and NaN, which no JSON reader accepts:
    // the line would be corrupt in the log, for Go as for evlog.
    for (double d : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
        codec c;
        std::string line;
        const auto err = evtest::error_from([&] { c.encode(moved_to(d), line); });
        BOOST_TEST_REQUIRE(err.has_value(), "encoded " << d << " as " << line);
        BOOST_TEST((err->code() == evlog::errc::bad_argument));
    }
}

BOOST_AUTO_TEST_CASE(OrderBeyondDoubleRangeIsWrongTypeNamingTheField) {
    // Boost reads 1e400 as infinity; Go refuses to unmarshal it.
    for (const char* order : {"1e400", "-1e400"}) {
        codec c;
        spec_event e;
        auto ec = c.decode(std::string(R"({"event_id":1,"spec_id":"01KF0HJ087AE67Z5NHCJZHQ5XV",)") +
                               R"("timestamp":"2026-01-15T10:00:01Z","payload":{"type":"CardMoved",)" +
                               R"("card_id":"01KF0HJ087AE67Z5NHCJZHQ5XV","lane":"Plan","order":)" + order + "}}",
                           e);
        BOOST_TEST((ec == evlog::errc::wrong_type), order << ": " << ec.message());
        BOOST_TEST(c.error_detail() == "field \"payload.order\"");
    }
}

BOOST_AUTO_TEST_CASE(AppendOfANonFiniteOrderIsRefusedAndTheLogStaysReadable) {
    evtest::temp_dir d;
    const auto path = d / "events.jsonl";
    {
        evlog::spec::spec_log<> log;
        log.open(path);
        log.append(moved_to(1.5, 1));
        const auto err = evtest::error_from([&] { log.append(moved_to(std::numeric_limits<double>::infinity(), 2)); });
        BOOST_TEST_REQUIRE(err.has_value());
        BOOST_TEST((err->code() == evlog::errc::bad_argument));
        BOOST_TEST(!log.poisoned());
        BOOST_TEST(log.append(moved_to(2.5, 2)) == 2u);
        log.close();
    }
    codec c;
    const auto lines = spectest::lines_of(path);
    BOOST_TEST_REQUIRE(lines.size() == 2u);
    for (const auto& line : lines) (void)decode_ok(c, line);
}

BOOST_AUTO_TEST_CASE(MissingCardIdNamesTheField) {
    codec c;
    spec_event e;
    auto ec = c.decode(R"({"event_id":1,"spec_id":"01KF0HJ087AE67Z5NHCJZHQ5XV","timestamp":"2026-01-15T10:00:01Z",)"
                       R"("payload":{"type":"CardUpdated","title":"x"}})",
                       e);
    BOOST_TEST(ec == evlog::errc::missing_field);
    BOOST_TEST(c.error_detail() == "field \"payload.card_id\"");
}

BOOST_AUTO_TEST_CASE(BadNestedFieldIsNamedWithItsPath) {
    codec c;
    spec_event e;
    auto ec = c.decode(R"({"event_id":1,"spec_id":"01KF0HJ087AE67Z5NHCJZHQ5XV","timestamp":"2026-01-15T10:00:01Z",)"
                       R"("payload":{"type":"UndoApplied","target_event_id":3,"inverse_events":[)"
                       R"({"type":"CardDeleted","card_id":"01KF0HJ08NA84WKP9M7T9BM2EX"},)"
                       R"({"type":"CardMoved","card_id":"not-a-ulid","lane":"Plan","order":1}]}})",
                       e);
    BOOST_TEST(ec == evlog::errc::invalid_ulid);
    BOOST_TEST(c.error_detail() == "field \"payload.inverse_events[1].card_id\"");
}

BOOST_AUTO_TEST_CASE(UnknownQuestionKindIsAnErrorNamingType) {
    codec c;
    spec_event e;
    auto ec = c.decode(R"({"event_id":1,"spec_id":"01KF0HJ087AE67Z5NHCJZHQ5XV","timestamp":"2026-01-15T10:00:01Z",)"
                       R"("payload":{"type":"QuestionAsked","question":{"type":"Slider",)"
                       R"("question_id":"01KF0HJ09ATRA4S2456P21NJZ0","question":"How much?"}}})",
                       e);
    BOOST_TEST(ec == evlog::errc::wrong_type);
    BOOST_TEST(c.error_detail() == "field \"payload.question.type\"");
}

// A newer writer might invert more than card events; the line must still read.
BOOST_AUTO_TEST_CASE(InverseEventOfUnknownTypeIsKeptVerbatim) {
    codec c;
    const std::string line =
        R"({"event_id":4,"spec_id":"01KF0HJ087AE67Z5NHCJZHQ5XV","timestamp":"2026-01-15T10:00:01Z",)"
        R"("payload":{"type":"UndoApplied","target_event_id":3,"inverse_events":[)"
        R"({"type":"SpecCoreUpdated","goal":"old goal"}]}})";
    auto e = decode_ok(c, line);
    const auto& u = std::get<evlog::spec::undo_applied>(e.payload);
    BOOST_TEST_REQUIRE(u.inverse_events.size() == 1u);
    const auto* unknown = std::get_if<evlog::unknown_payload>(&u.inverse_events[0].payload);
    BOOST_TEST_REQUIRE(unknown != nullptr);
    BOOST_TEST(unknown->type == "SpecCoreUpdated");
    BOOST_TEST(spectest::json_diff(boost::json::parse(line), reencode(c, e)) == "");
}

BOOST_AUTO_TEST_CASE(UnknownPayloadTypeLineDecodesToUnknownPayload) {
    codec c;
    std::size_t unknown = 0;
    for (const auto& line : spectest::lines_of(spectest::fixtures() / "damaged/unknown_payload_type/input.events.jsonl")) {
        auto e = decode_ok(c, line);
        if (!e.is_unknown()) continue;
        ++unknown;
        const auto& u = std::get<evlog::unknown_payload>(e.payload);
        BOOST_TEST(u.type == raw_payload(line).at("type").as_string());
        BOOST_TEST(boost::json::parse(u.raw) == boost::json::value(raw_payload(line)));
    }
    BOOST_TEST(unknown == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
