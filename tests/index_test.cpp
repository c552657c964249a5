// null_index and memory_index against the index conformance kit, and the
// rebuild / catch-up helpers.
#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <variant>
#include <vector>

#include <evlog/index/index.hpp>
#include <evlog/index/memory_index.hpp>
#include <evlog/index/null_index.hpp>
#include <evlog/index/rebuild.hpp>
#include <evlog/testing/index_kit.hpp>

#include "support/test_events.hpp"

namespace {

using evtest::event;

/// How many notes carry each text. Throws, after touching the rows, on the
/// text "poison", so the index must discard half-applied work.
struct notes_per_text {
    using event_type = event;
    using rows_type = std::map<std::string, int>;
    static void apply(rows_type& rows, const event_type& e) {
        if (const auto* n = std::get_if<evtest::note_added>(&e.payload)) {
            ++rows[n->text];
            if (n->text == "poison") throw std::runtime_error("poisoned note");
        }
    }
};

using memory_notes = evlog::memory_index<event, notes_per_text>;

static_assert(evlog::event_index<evlog::null_index<event>>);
static_assert(evlog::event_index<memory_notes>);

/// Texts repeat (i % 3), so counts grow past 1.
std::vector<event> make_events(std::size_t n) {
    std::vector<event> out;
    for (std::uint64_t i = 1; i <= n; ++i) out.push_back(evtest::make_note(i, "text " + std::to_string(i % 3)));
    return out;
}

struct null_fixture {
    using index_type = evlog::null_index<event>;
    static constexpr bool holds_rows = false;
    index_type idx;
    index_type& index() { return idx; }
    std::vector<event> events(std::size_t n) { return make_events(n); }
    int observe(const index_type&) { return 0; }
};

/// memory_index keeps nothing on disk; "reopening" builds a new index over
/// the old one's shared state, which is what the shared-state constructor is for.
struct memory_fixture {
    using index_type = memory_notes;
    static constexpr bool persistent = true;
    std::optional<index_type> idx{std::in_place};
    index_type& index() { return *idx; }
    void reopen() {
        auto state = idx->shared_state();
        idx.reset();
        idx.emplace(std::move(state));
    }
    std::vector<event> events(std::size_t n) { return make_events(n); }
    notes_per_text::rows_type observe(const index_type& i) { return i.rows(); }
    event poison(std::uint64_t id) { return evtest::make_note(id, "poison"); }
};

/// Records what the helpers call, over a null_index that keeps the id rules.
struct recording_index {
    using event_type = event;
    evlog::null_index<event> inner;
    std::vector<std::string> calls;

    std::optional<std::uint64_t> last_event_id() const { return inner.last_event_id(); }
    void apply(const event& e) {
        calls.push_back("apply");
        inner.apply(e);
    }
    void apply_batch(std::span<const event> b) {
        calls.push_back("batch " + std::to_string(b.size()));
        inner.apply_batch(b);
    }
    void reset() {
        calls.push_back("reset");
        inner.reset();
    }
    void set_last_event_id(std::uint64_t id) { inner.set_last_event_id(id); }
    bool healthy() const { return true; }
};
static_assert(evlog::event_index<recording_index>);

auto source_of(const std::vector<event>& events) { return evlog::testing::index_kit::source_of(events); }

std::string id_text(std::optional<std::uint64_t> id) { return evlog::testing::index_kit::id_text(id); }

notes_per_text::rows_type rows_of(std::size_t n) {
    memory_notes idx;
    for (const auto& e : make_events(n)) idx.apply(e);
    return idx.rows();
}

} // namespace

EVLOG_INDEX_KIT(NullIndexKit, null_fixture)
EVLOG_INDEX_KIT(MemoryIndexKit, memory_fixture)

BOOST_AUTO_TEST_SUITE(IndexRebuild)

BOOST_AUTO_TEST_CASE(RebuildResetsThenAppliesInBatchesOfBatchSize) {
    recording_index idx;
    auto events = make_events(10);
    evlog::rebuild_index(idx, source_of(events), 4);
    const std::vector<std::string> expected = {"reset", "batch 4", "batch 4", "batch 2"};
    BOOST_TEST(idx.calls == expected, boost::test_tools::per_element());
    BOOST_TEST(id_text(idx.last_event_id()) == "10");
}

BOOST_AUTO_TEST_CASE(RebuildFromEmptySourceEmptiesIndex) {
    memory_notes idx;
    for (const auto& e : make_events(3)) idx.apply(e);
    std::vector<event> none;
    evlog::rebuild_index(idx, source_of(none));
    BOOST_TEST(id_text(idx.last_event_id()) == "none");
    BOOST_TEST(idx.rows().empty());

    recording_index rec;
    evlog::rebuild_index(rec, source_of(none));
    const std::vector<std::string> expected = {"reset"}; // no empty batch
    BOOST_TEST(rec.calls == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ZeroBatchSizeIsRefusedBeforeTouchingIndex) {
    memory_notes idx;
    auto events = make_events(5);
    for (std::size_t i = 0; i < 3; ++i) idx.apply(events[i]);
    auto has_bad_argument = evlog::testing::index_kit::has_code(evlog::errc::bad_argument);
    BOOST_CHECK_EXCEPTION(evlog::rebuild_index(idx, source_of(events), 0), evlog::error, has_bad_argument);
    BOOST_CHECK_EXCEPTION(evlog::catch_up_index(idx, source_of(events), 0), evlog::error, has_bad_argument);
    BOOST_TEST(id_text(idx.last_event_id()) == "3");
    BOOST_CHECK(idx.rows() == rows_of(3));
}

BOOST_AUTO_TEST_CASE(SourceFailureLeavesPrefixThatCatchUpCompletes) {
    memory_notes idx;
    auto events = make_events(10);
    auto failing = [&](auto&& sink) {
        for (std::size_t i = 0; i < 7; ++i) sink(events[i]);
        throw std::runtime_error("log read failed");
    };
    BOOST_CHECK_THROW(evlog::rebuild_index(idx, failing, 3), std::runtime_error);
    // Batches {1,2,3} and {4,5,6} committed; event 7 was still buffered.
    BOOST_TEST(id_text(idx.last_event_id()) == "6");
    BOOST_CHECK(idx.rows() == rows_of(6));

    BOOST_TEST(evlog::catch_up_index(idx, source_of(events), 3) == 4u);
    BOOST_TEST(id_text(idx.last_event_id()) == "10");
    BOOST_CHECK(idx.rows() == rows_of(10));
}

BOOST_AUTO_TEST_CASE(CatchUpOnEmptyIndexAppliesEverything) {
    memory_notes idx;
    auto events = make_events(10);
    BOOST_TEST(evlog::catch_up_index(idx, source_of(events)) == 10u);
    BOOST_TEST(id_text(idx.last_event_id()) == "10");
    BOOST_CHECK(idx.rows() == rows_of(10));
}

BOOST_AUTO_TEST_CASE(CatchUpWhenCurrentAppliesNoBatch) {
    recording_index idx;
    auto events = make_events(10);
    idx.set_last_event_id(10);
    BOOST_TEST(evlog::catch_up_index(idx, source_of(events), 4) == 0u);
    BOOST_TEST(idx.calls.empty());
    BOOST_TEST(id_text(idx.last_event_id()) == "10");
}

BOOST_AUTO_TEST_CASE(CatchUpAcceptsGapsInIds) {
    memory_notes idx;
    std::vector<event> events = {evtest::make_note(2, "a"), evtest::make_note(5, "b"), evtest::make_note(9, "a")};
    BOOST_TEST(evlog::catch_up_index(idx, source_of(events)) == 3u);
    BOOST_TEST(id_text(idx.last_event_id()) == "9");
    BOOST_TEST(idx.rows().at("a") == 2);
}

BOOST_AUTO_TEST_CASE(CatchUpRefusesOutOfOrderSourceBatchWhole) {
    memory_notes idx;
    auto events = make_events(5);
    for (std::size_t i = 0; i < 3; ++i) idx.apply(events[i]);
    std::vector<event> disordered = events;
    disordered.push_back(events[3]); // id 4 again after 5
    BOOST_CHECK_EXCEPTION(evlog::catch_up_index(idx, source_of(disordered)), evlog::error,
                          evlog::testing::index_kit::has_code(evlog::errc::id_not_increasing));
    // 4, 5, 4 went in one batch, refused whole.
    BOOST_TEST(id_text(idx.last_event_id()) == "3");
    BOOST_CHECK(idx.rows() == rows_of(3));
}

BOOST_AUTO_TEST_CASE(RebuildTakesTypeErasedSource) {
    memory_notes idx;
    auto events = make_events(7);
    std::function<void(const std::function<void(const event&)>&)> source = [&](const auto& sink) {
        for (const auto& e : events) sink(e);
    };
    evlog::rebuild_index(idx, source, 2);
    BOOST_TEST(id_text(idx.last_event_id()) == "7");
    BOOST_CHECK(idx.rows() == rows_of(7));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(MemoryIndex)

BOOST_AUTO_TEST_CASE(ProjectionFailureDiscardsHalfAppliedRows) {
    memory_notes idx;
    idx.apply(evtest::make_note(1, "poison-free"));
    auto before = idx.rows();
    // notes_per_text increments the count before it throws.
    BOOST_CHECK_THROW(idx.apply(evtest::make_note(2, "poison")), std::runtime_error);
    BOOST_CHECK(idx.rows() == before);
    BOOST_TEST(idx.rows().count("poison") == 0u);
    BOOST_TEST(id_text(idx.last_event_id()) == "1");
}

BOOST_AUTO_TEST_CASE(NullSharedStateIsRefused) {
    BOOST_CHECK_EXCEPTION(memory_notes(std::shared_ptr<memory_notes::state_type>()), evlog::error,
                          evlog::testing::index_kit::has_code(evlog::errc::bad_argument));
}

BOOST_AUTO_TEST_CASE(IndexesOverOneStateSeeEachOthersCommits) {
    memory_notes first;
    first.apply(evtest::make_note(1, "x"));
    memory_notes second(first.shared_state());
    BOOST_TEST(id_text(second.last_event_id()) == "1");
    BOOST_TEST(second.rows().at("x") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
