// The spec reducer against what the Go code recovered from the same logs,
// plus the rules where evlog decides for itself (undo target, message ids).
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/value.hpp>

#include <evlog/core/codec.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/spec/message_id.hpp>
#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state_json.hpp>

#include "spec/spec_test_util.hpp"

namespace {

namespace spec = evlog::spec;
using spec::spec_event;

boost::json::value expected_state(const spectest::fs::path& dir) {
    return spectest::load_json(dir / "expected_state.json").as_object().at("state");
}

std::vector<spec_event> events_of(const spectest::fs::path& log) {
    std::vector<spec_event> out;
    evlog::replay<spec_event>(log, [&](const spec_event& e) { out.push_back(e); });
    return out;
}

const spectest::fs::path spec0_log() {
    return spectest::fixtures() / "home/specs/01KF0HJ087AE67Z5NHCJZHQ5XV/events.jsonl";
}

/// An event of stream `s` at a fixed time.
spec_event make(std::uint64_t id, spec::spec_payload p) {
    spec_event e;
    e.id = id;
    e.stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    e.time = evlog::timestamp::from_unix_nanos(1'768'471'201'000'000'000 + static_cast<std::int64_t>(id) * 1'000'000'000);
    std::visit([&](auto&& x) { e.payload = std::move(x); }, std::move(p));
    return e;
}

spec::card make_card(const char* id, const char* lane) {
    spec::card c;
    c.card_id = *evlog::ulid::parse(id);
    c.title = "t";
    c.lane = lane;
    return c;
}

constexpr const char* card_a = "01KF0HJ08NA84WKP9M7T9BM2EX";

} // namespace

BOOST_AUTO_TEST_SUITE(spec_reducer)

BOOST_AUTO_TEST_CASE(ReplayingFixtureLogGivesGoSnapshotState) {
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            auto got = spec::to_json(spectest::fold(f.log), spec::state_layout::snapshot);
            BOOST_TEST(spectest::json_diff(spectest::without_step_message_ids(got),
                                           spectest::without_step_message_ids(expected_state(f.expected))) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(ReplayingFixtureLogGivesGoInMemoryState) {
    std::size_t checked = 0;
    for (const auto& f : spectest::clean_specs()) {
        const auto path = f.expected / "expected_state_core.json";
        if (!spectest::fs::exists(path)) continue;
        BOOST_TEST_CONTEXT(f.name) {
            auto got = spec::to_json(spectest::fold(f.log), spec::state_layout::in_memory);
            BOOST_TEST(spectest::json_diff(spectest::without_step_message_ids(got),
                                           spectest::without_step_message_ids(spectest::load_json(path))) == "");
            ++checked;
        }
    }
    BOOST_TEST(checked == 2u);
}

BOOST_AUTO_TEST_CASE(ReplayingRepairedDamagedLogGivesGoState) {
    for (const auto& d : spectest::damaged_dirs()) {
        BOOST_TEST_CONTEXT(d.filename().string()) {
            auto got = spec::to_json(spectest::fold(d / "repaired.events.jsonl"));
            BOOST_TEST(spectest::json_diff(spectest::without_step_message_ids(got),
                                           spectest::without_step_message_ids(expected_state(d))) == "");
        }
    }
}

// The Go code drops the unknown line; evlog keeps it and the reducer skips it.
BOOST_AUTO_TEST_CASE(UnknownPayloadIsSkippedByTheReducer) {
    const auto dir = spectest::fixtures() / "damaged/unknown_payload_type";
    evlog::json_codec<spec_event> c;
    spec::spec_state with_unknown, without_unknown;
    std::size_t unknown = 0;
    for (const auto& line : spectest::lines_of(dir / "input.events.jsonl")) {
        spec_event e;
        BOOST_TEST_REQUIRE(!c.decode(line, e));
        const auto before = spec::to_json(with_unknown);
        spec::apply(with_unknown, e);
        if (e.is_unknown()) {
            ++unknown;
            BOOST_TEST(spectest::json_diff(spec::to_json(with_unknown), before) == "");
        } else {
            spec::apply(without_unknown, e);
        }
    }
    BOOST_TEST(unknown == 1u);
    BOOST_TEST((with_unknown == without_unknown));
    BOOST_TEST(spectest::json_diff(spectest::without_step_message_ids(spec::to_json(with_unknown)),
                                   spectest::without_step_message_ids(expected_state(dir))) == "");
}

BOOST_AUTO_TEST_CASE(AgentStepMessageIdIsTheSameOnEveryReplay) {
    const auto first = spectest::fold(spec0_log());
    const auto second = spectest::fold(spec0_log());
    BOOST_TEST((first == second));

    // Each step entry's id carries its event's millisecond and is unique.
    std::set<evlog::ulid> ids;
    std::size_t steps = 0;
    for (const auto& m : first.transcript) {
        if (m.kind != "StepStarted" && m.kind != "StepFinished") continue;
        ++steps;
        BOOST_TEST(m.message_id.time_ms() == static_cast<std::uint64_t>(m.timestamp.unix_nanos() / 1'000'000));
        ids.insert(m.message_id);
    }
    BOOST_TEST(steps == 2u);
    BOOST_TEST(ids.size() == steps);
}

BOOST_AUTO_TEST_CASE(MessageIdDependsOnSpecAndEvent) {
    const auto a = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    const auto b = *evlog::ulid::parse("01KF0HJ0CKBDTB5R99E1F2EFR5");
    const auto t = evlog::timestamp::from_unix_nanos(1'768'471'206'123'456'000);
    BOOST_TEST(spec::derive_message_id(a, 4, t).str() == spec::derive_message_id(a, 4, t).str());
    BOOST_TEST(spec::derive_message_id(a, 4, t).str() != spec::derive_message_id(a, 5, t).str());
    BOOST_TEST(spec::derive_message_id(a, 4, t).str() != spec::derive_message_id(b, 4, t).str());
    BOOST_TEST(spec::derive_message_id(a, 4, t).time_ms() == 1'768'471'206'123u);
}

// The published FNV-1a 128 test vectors, which Go's hash/fnv also passes.
BOOST_AUTO_TEST_CASE(MessageIdHashIsStandardFnv1a128) {
    auto hex = [](spec::detail::u128 h) {
        std::string s;
        for (int i = 31; i >= 0; --i) s += "0123456789abcdef"[static_cast<int>((h >> (4 * i)) & 0xF)];
        return s;
    };
    const std::uint8_t a[] = {'a'};
    BOOST_TEST(hex(spec::detail::fnv1a_128(nullptr, 0)) == "6c62272e07bb014262b821756295c58d");
    BOOST_TEST(hex(spec::detail::fnv1a_128(a, 1)) == "d228cb696f1a8caf78912b704e4a8964");
}

BOOST_AUTO_TEST_CASE(CardUpdatedNullBodyClearsBody) {
    const auto events = events_of(spec0_log());
    spec::spec_state s;
    bool seen = false;
    for (const auto& e : events) {
        const auto* u = std::get_if<spec::card_updated>(&e.payload);
        if (u && u->body.is_null() && !seen) {
            seen = true;
            const auto old = s.cards.at(u->card_id).body;
            BOOST_TEST_REQUIRE(old.has_value());
            spec::apply(s, e);
            BOOST_TEST(!s.cards.at(u->card_id).body.has_value());
            // Undoing it must bring the old body back.
            const auto& inv = std::get<spec::card_updated>(s.undo_stack.back().inverse.at(0).payload);
            BOOST_TEST(inv.body.value() == *old);
            continue;
        }
        spec::apply(s, e);
    }
    BOOST_TEST(seen);
}

BOOST_AUTO_TEST_CASE(CardUpdatedAbsentBodyLeavesBody) {
    const auto id = *evlog::ulid::parse(card_a);
    spec::spec_state s;
    spec::apply(s, make(1, spec::card_created{make_card(card_a, "Ideas")}));
    spec::card_updated with_body;
    with_body.card_id = id;
    with_body.body = evlog::json::patch<std::string>::set("body");
    spec::apply(s, make(2, with_body));
    spec::card_updated title_only;
    title_only.card_id = id;
    title_only.title = evlog::json::patch<std::string>::set("new");
    spec::apply(s, make(3, title_only));
    BOOST_TEST(s.cards.at(id).body.value() == "body");
    BOOST_TEST(s.cards.at(id).title == "new");
    // The inverse names only what changed.
    const auto& inv = std::get<spec::card_updated>(s.undo_stack.back().inverse.at(0).payload);
    BOOST_TEST(inv.body.absent());
    BOOST_TEST(inv.title.value() == "t");
}

BOOST_AUTO_TEST_SUITE_END()
