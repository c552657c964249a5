// Reducer rules the fixtures do not decide, where evlog chooses (see
// docs/compat.md), and edge cases: missing cards, stale events, undo.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <variant>

#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state_json.hpp>

#include "spec/spec_test_util.hpp"

namespace {

namespace spec = evlog::spec;
using spec::spec_event;

const evlog::ulid stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
const evlog::ulid id_a = *evlog::ulid::parse("01KF0HJ08NA84WKP9M7T9BM2EX");
const evlog::ulid id_b = *evlog::ulid::parse("01KF0HJ08WKN9DZNWV9NV456V1");
const evlog::ulid q1 = *evlog::ulid::parse("01KF0HJ09ATRA4S2456P21NJZ0");
const evlog::ulid q2 = *evlog::ulid::parse("01KF0HJ09HE2DGEP087XGX6XDW");

evlog::timestamp time_of(std::uint64_t id) {
    return evlog::timestamp::from_unix_nanos(1'768'471'200'000'000'000 + static_cast<std::int64_t>(id) * 1'000'000'000);
}

template <class P>
spec_event make(std::uint64_t id, P p) {
    spec_event e;
    e.id = id;
    e.stream = stream;
    e.time = time_of(id);
    e.payload = std::move(p);
    return e;
}

spec::card_created created(const evlog::ulid& id, const char* lane) {
    spec::card c;
    c.card_id = id;
    c.title = "t";
    c.lane = lane;
    c.created_by = c.updated_by = "human";
    c.created_at = c.updated_at = time_of(0);
    return {c};
}

spec::inverse_event inverse(spec::card_deleted d) { return {std::move(d)}; }

std::string json_of(const spec::spec_state& s) { return boost::json::serialize(spec::to_json(s)); }

} // namespace

BOOST_AUTO_TEST_SUITE(spec_reducer_rules)

// Go pops the top entry whatever the target; evlog drops the target's entry.
BOOST_AUTO_TEST_CASE(UndoAppliedDropsTargetEntryNotTopEntry) {
    spec::spec_state s;
    spec::apply(s, make(1, created(id_a, "Ideas")));
    spec::apply(s, make(2, created(id_b, "Ideas")));
    spec::apply(s, make(3, spec::undo_applied{1, {inverse(spec::card_deleted{id_a, std::nullopt})}}));
    BOOST_TEST_REQUIRE(s.undo_stack.size() == 1u);
    BOOST_TEST(s.undo_stack[0].event_id == 2u);
    BOOST_TEST(!s.cards.contains(id_a));
    BOOST_TEST(s.cards.contains(id_b));
}

BOOST_AUTO_TEST_CASE(UndoAppliedWithoutMatchingEntryStillAppliesInverse) {
    spec::spec_state s;
    spec::apply(s, make(1, created(id_a, "Ideas")));
    spec::apply(s, make(2, spec::undo_applied{99, {inverse(spec::card_deleted{id_a, std::nullopt})}}));
    BOOST_TEST(!s.cards.contains(id_a));
    BOOST_TEST(s.undo_stack.size() == 1u);
}

BOOST_AUTO_TEST_CASE(InverseEventsPushNoUndoEntries) {
    spec::spec_state s;
    spec::apply(s, make(1, created(id_a, "Ideas")));
    spec::apply(s, make(2, spec::card_moved{id_a, "Plan", 1.5, std::string("agent")}));
    spec::apply(s, make(3, spec::undo_applied{2, {{spec::card_moved{id_a, "Ideas", 0, std::nullopt}}}}));
    BOOST_TEST(s.undo_stack.size() == 1u);
    const auto& c = s.cards.at(id_a);
    BOOST_TEST(c.lane == "Ideas");
    BOOST_TEST(c.order == 0.0);
    BOOST_TEST(c.updated_by == "agent"); // the inverse names nobody, so the mover stays
    BOOST_TEST((c.updated_at == time_of(3)));
}

BOOST_AUTO_TEST_CASE(CardEventForMissingCardChangesNothing) {
    spec::spec_state s;
    spec::apply(s, make(1, created(id_a, "Ideas")));
    const auto before = s;
    spec::card_updated u;
    u.card_id = id_b;
    u.title = evlog::json::patch<std::string>::set("x");
    spec::apply(s, make(2, u));
    spec::apply(s, make(3, spec::card_moved{id_b, "Plan", 1, std::nullopt}));
    spec::apply(s, make(4, spec::card_deleted{id_b, std::nullopt}));
    BOOST_TEST(s.last_event_id == 4u);
    s.last_event_id = before.last_event_id;
    BOOST_TEST(json_of(s) == json_of(before));
}

BOOST_AUTO_TEST_CASE(EventAtOrBelowLastEventIdIsIgnored) {
    spec::spec_state s;
    spec::apply(s, make(5, created(id_a, "Ideas")));
    const auto before = json_of(s);
    spec::apply(s, make(5, spec::card_deleted{id_a, std::nullopt}));
    spec::apply(s, make(3, spec::card_deleted{id_a, std::nullopt}));
    BOOST_TEST(json_of(s) == before);
}

BOOST_AUTO_TEST_CASE(UnknownPayloadDoesNotAdvanceLastEventId) {
    spec::spec_state s;
    spec::apply(s, make(1, created(id_a, "Ideas")));
    spec::apply(s, make(1000, evlog::unknown_payload{"CardArchived", R"({"type":"CardArchived"})"}));
    BOOST_TEST(s.last_event_id == 1u);
}

BOOST_AUTO_TEST_CASE(AnswerToAnotherQuestionLeavesPendingQuestion) {
    spec::spec_state s;
    spec::apply(s, make(1, spec::question_asked{{spec::boolean_question{q1, "Ship it?", true}}}));
    spec::apply(s, make(2, spec::question_answered{q2, "stale"}));
    BOOST_TEST_REQUIRE(s.pending_question.has_value());
    BOOST_TEST(s.pending_question->question_id().str() == q1.str());
    BOOST_TEST(s.transcript.size() == 1u); // the answer is still recorded
    spec::apply(s, make(3, spec::question_answered{q1, "yes"}));
    BOOST_TEST(!s.pending_question.has_value());
}

// The Rust daemon wrote null for "unchanged" in SpecCoreUpdated.
BOOST_AUTO_TEST_CASE(SpecCoreUpdatedNullFieldLeavesCoreField) {
    const auto log = spectest::clean_specs().back().log; // barnstormer
    spec::spec_state s;
    bool seen = false;
    evlog::replay<spec_event>(log, [&](const spec_event& e) {
        const auto* p = std::get_if<spec::spec_core_updated>(&e.payload);
        if (p && p->title.is_null()) {
            seen = true;
            const auto title = s.core.title;
            BOOST_TEST_REQUIRE(!title.empty());
            spec::apply(s, e);
            BOOST_TEST(s.core.title == title);
            BOOST_TEST((s.core.updated_at == e.time));
            return;
        }
        spec::apply(s, e);
    });
    BOOST_TEST(seen);
}

BOOST_AUTO_TEST_CASE(CardDeletedThenUndoneRestoresCardAsItWas) {
    spec::spec_state s;
    spec::apply(s, make(1, created(id_a, "Ideas")));
    const auto original = s.cards.at(id_a);
    spec::apply(s, make(2, spec::card_deleted{id_a, std::string("human")}));
    BOOST_TEST(!s.cards.contains(id_a));
    BOOST_TEST_REQUIRE(s.undo_stack.size() == 2u);
    auto undo = spec::undo_applied{2, s.undo_stack.back().inverse};
    spec::apply(s, make(3, undo));
    BOOST_TEST_REQUIRE(s.cards.contains(id_a));
    BOOST_TEST((s.cards.at(id_a) == original));
    BOOST_TEST(s.undo_stack.size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
