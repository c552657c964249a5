// spec_state as JSON: Go's state files read and write back unchanged, a
// Go snapshot plus the rest of the log equals a full replay, and both
// layouts put pending_question where the Go code does.
#include <boost/test/unit_test.hpp>

#include <string>

#include <boost/json/value.hpp>

#include <evlog/core/json.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/snapshot/state_codec.hpp>
#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state_json.hpp>

#include "spec/spec_test_util.hpp"

namespace {

namespace spec = evlog::spec;

const spectest::fs::path spec0_dir() { return spectest::fixtures() / "home/specs/01KF0HJ087AE67Z5NHCJZHQ5XV"; }
const spectest::fs::path spec0_expected() { return spectest::fixtures() / "expected/01KF0HJ087AE67Z5NHCJZHQ5XV"; }

boost::json::value go_snapshot() { return spectest::load_json(spec0_dir() / "snapshots/state_23.json"); }

/// The error a state document raises, or "" when it reads.
std::string read_error(const boost::json::value& v) {
    try {
        (void)spec::state_from_json(v);
        return "";
    } catch (const evlog::json::field_error& e) {
        return e.field();
    }
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_state_json)

BOOST_AUTO_TEST_CASE(GoStateFilesReadAndWriteBackUnchanged) {
    const auto snap = go_snapshot().at("state");
    BOOST_TEST(spectest::json_diff(spec::to_json(spec::state_from_json(snap), spec::state_layout::snapshot), snap) == "");
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            const auto state = spectest::load_json(f.expected / "expected_state.json").at("state");
            BOOST_TEST(spectest::json_diff(spec::to_json(spec::state_from_json(state)), state) == "");
            const auto core_path = f.expected / "expected_state_core.json";
            if (!spectest::fs::exists(core_path)) continue;
            const auto mem = spectest::load_json(core_path);
            BOOST_TEST(spectest::json_diff(spec::to_json(spec::state_from_json(mem), spec::state_layout::in_memory),
                                           mem) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(GoSnapshotPlusRestOfLogEqualsFullReplay) {
    const auto file = go_snapshot();
    auto s = spec::state_from_json(file.at("state"));
    BOOST_TEST(s.last_event_id == file.at("last_event_id").to_number<std::uint64_t>());
    std::size_t applied = 0;
    evlog::replay<spec::spec_event>(spec0_dir() / "events.jsonl", [&](const spec::spec_event& e) {
        if (e.id <= s.last_event_id) return;
        spec::apply(s, e);
        ++applied;
    });
    BOOST_TEST(applied > 0u);
    const auto got = spec::to_json(s);

    // The Go code recovered the expected state from this very snapshot, so
    // even the random agent-step ids it drew must match.
    const auto expected = spectest::load_json(spec0_expected() / "expected_state.json").at("state");
    BOOST_TEST(spectest::json_diff(got, expected) == "");

    const auto full = spec::to_json(spectest::fold(spec0_dir() / "events.jsonl"));
    BOOST_TEST(spectest::json_diff(spectest::without_step_message_ids(got), spectest::without_step_message_ids(full)) ==
               "");
}

BOOST_AUTO_TEST_CASE(FoldUpToSnapshotEventMatchesGoSnapshot) {
    const auto file = go_snapshot();
    const auto upto = file.at("last_event_id").to_number<std::uint64_t>();
    spec::spec_state s;
    evlog::replay<spec::spec_event>(spec0_dir() / "events.jsonl", [&](const spec::spec_event& e) {
        if (e.id <= upto) spec::apply(s, e);
    });
    BOOST_TEST(spectest::json_diff(spectest::without_step_message_ids(spec::to_json(s)),
                                   spectest::without_step_message_ids(file.at("state"))) == "");
}

// The whole log over a snapshot's state: the events it holds are ignored.
BOOST_AUTO_TEST_CASE(ReplayingWholeLogOverSnapshotAppliesOnlyNewerEvents) {
    auto over = spec::state_from_json(go_snapshot().at("state"));
    evlog::replay<spec::spec_event>(spec0_dir() / "events.jsonl",
                                    [&](const spec::spec_event& e) { spec::apply(over, e); });
    const auto expected = spectest::load_json(spec0_expected() / "expected_state.json").at("state");
    BOOST_TEST(spectest::json_diff(spec::to_json(over), expected) == "");
}

BOOST_AUTO_TEST_CASE(PendingQuestionIsOmittedInSnapshotLayoutAndNullInMemory) {
    const auto s = spectest::fold(spec0_dir() / "events.jsonl");
    BOOST_TEST_REQUIRE(!s.pending_question.has_value());
    BOOST_TEST(!spec::to_json(s, spec::state_layout::snapshot).as_object().contains("pending_question"));
    const auto mem = spec::to_json(s, spec::state_layout::in_memory);
    BOOST_TEST(mem.as_object().at("pending_question").is_null());

    // A spec that ends with a question writes it in both layouts.
    const auto pending = spectest::fold(spectest::fixtures() / "home/specs/01KF0HJ0CKBDTB5R99E1F2EFR5/events.jsonl");
    BOOST_TEST_REQUIRE(pending.pending_question.has_value());
    BOOST_TEST(spec::to_json(pending, spec::state_layout::snapshot).as_object().at("pending_question").is_object());
    BOOST_TEST(spec::to_json(pending, spec::state_layout::in_memory).as_object().at("pending_question").is_object());
}

BOOST_AUTO_TEST_CASE(StateSurvivesBothLayouts) {
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            const auto s = spectest::fold(f.log);
            BOOST_TEST((spec::state_from_json(spec::to_json(s, spec::state_layout::snapshot)) == s));
            BOOST_TEST((spec::state_from_json(spec::to_json(s, spec::state_layout::in_memory)) == s));
        }
    }
}

BOOST_AUTO_TEST_CASE(JsonStateCodecUsesSnapshotLayout) {
    static_assert(evlog::state_codec<evlog::json_state_codec<spec::spec_state>, spec::spec_state>);
    evlog::json_state_codec<spec::spec_state> codec;
    const auto state = go_snapshot().at("state");
    const auto s = codec.from_json(state);
    BOOST_TEST(spectest::json_diff(codec.to_json(s), state) == "");
}

BOOST_AUTO_TEST_CASE(CardFiledUnderAnotherIdIsAnError) {
    auto state = go_snapshot().at("state");
    auto& cards = state.as_object().at("cards").as_object();
    const std::string first(cards.begin()->key());
    auto moved = cards.begin()->value();
    cards.erase(first);
    const std::string other = "01KF0HJ0CKBDTB5R99E1F2EFR5";
    cards[other] = moved;
    BOOST_TEST(read_error(state) == "cards." + other + ".card_id");
}

BOOST_AUTO_TEST_CASE(BadUndoEntryIsNamedWithItsPath) {
    auto state = go_snapshot().at("state");
    auto& stack = state.as_object().at("undo_stack").as_array();
    BOOST_TEST_REQUIRE(stack.size() >= 2u);
    stack[1].as_object().at("inverse").as_array().at(0).as_object()["card_id"] = "bogus";
    BOOST_TEST(read_error(state) == "undo_stack[1].inverse[0].card_id");
}

BOOST_AUTO_TEST_CASE(MissingLanesReadAsDefaultLanes) {
    auto state = go_snapshot().at("state");
    const auto lanes = state.as_object().at("lanes");
    state.as_object().erase("lanes");
    const auto s = spec::state_from_json(state);
    BOOST_TEST(spectest::json_diff(spec::to_json(s).as_object().at("lanes"), lanes) == "");
}

BOOST_AUTO_TEST_SUITE_END()
