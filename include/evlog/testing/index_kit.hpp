// A conformance kit for evlog::event_index adapters, in the spirit of Akka
// Persistence's TCK: one Boost.Test case per clause of the contract in
// evlog/index/index.hpp. Every adapter's tests instantiate it; so can yours.
//
//     struct my_fixture {
//         using index_type = my_index;
//         static constexpr bool persistent = true;  // optional, default false
//         static constexpr bool holds_rows = true;  // optional, default true
//         my_fixture();                             // fresh, empty storage
//         index_type& index();                      // the index under test
//         void reopen();                            // persistent only: close, open the same storage
//         std::vector<event_type> events(std::size_t n);  // n valid events, ids 1..n
//         snapshot observe(const index_type&);      // rows, compared with ==
//         event_type poison(std::uint64_t id);      // optional: the projection throws on it
//     };
//     EVLOG_INDEX_KIT(MyIndexKit, my_fixture)
//
// Each check builds its own fixture. events(n) must return the same events
// for the same n, and events(n) must be a prefix of events(m) for n < m.
// observe() of an empty index must equal observe() after reset().
// Include this header only in a Boost.Test program.
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include <boost/test/unit_test.hpp>

#include <evlog/core/errors.hpp>
#include <evlog/index/index.hpp>
#include <evlog/index/rebuild.hpp>

namespace evlog::testing {

template <class F>
concept index_fixture =
    std::default_initializable<F> && event_index<typename F::index_type> &&
    requires(F& f, const typename F::index_type& ci, std::size_t n) {
        { f.index() } -> std::same_as<typename F::index_type&>;
        { f.events(n) } -> std::same_as<std::vector<typename F::index_type::event_type>>;
        { f.observe(ci) } -> std::equality_comparable;
    };

namespace index_kit {

template <class F>
inline constexpr bool persistent = [] {
    if constexpr (requires { F::persistent; }) return static_cast<bool>(F::persistent);
    else return false;
}();

template <class F>
inline constexpr bool holds_rows = [] {
    if constexpr (requires { F::holds_rows; }) return static_cast<bool>(F::holds_rows);
    else return true;
}();

template <class F>
inline constexpr bool has_poison = requires(F& f, std::uint64_t id) {
    { f.poison(id) } -> std::convertible_to<typename F::index_type::event_type>;
};

/// A decorator that skips a check the fixture cannot run; it stays skipped
/// (with the reason) even when named in --run_test.
template <bool Condition>
::boost::unit_test::decorator::precondition only_if(const char* reason) {
    return ::boost::unit_test::precondition([reason](::boost::unit_test::test_unit_id) {
        ::boost::test_tools::assertion_result r(Condition);
        if (!Condition) r.message() << reason;
        return r;
    });
}

/// "none" or the id in decimal, so failures print readably.
inline std::string id_text(const std::optional<std::uint64_t>& id) {
    return id ? std::to_string(*id) : std::string("none");
}

/// A predicate for BOOST_CHECK_EXCEPTION: an evlog::error with code `c`.
inline auto has_code(errc c) {
    return [c](const error& e) {
        bool ok = e.code() == make_error_code(c);
        BOOST_CHECK_MESSAGE(ok, "expected evlog::error " << errc_name(c) << ", got: " << e.what());
        return ok;
    };
}

/// A rebuild/catch-up source over a vector, in the shape rebuild_index takes.
template <class Event>
auto source_of(const std::vector<Event>& events) {
    return [&events](auto&& sink) {
        for (const Event& e : events) sink(e);
    };
}

template <class Event>
std::span<const Event> slice(const std::vector<Event>& v, std::size_t from, std::size_t to) {
    return std::span<const Event>(v).subspan(from, to - from);
}

/// Rows after applying events(n) one by one to a freshly reset index.
template <index_fixture F>
auto incremental_rows(F& f, std::size_t n) {
    auto& idx = f.index();
    idx.reset();
    for (const auto& e : f.events(n)) idx.apply(e);
    return f.observe(idx);
}

template <index_fixture F>
void empty_index_reports_no_last_id() {
    F f;
    auto& idx = f.index();
    BOOST_TEST(id_text(idx.last_event_id()) == "none");
    BOOST_TEST(static_cast<bool>(idx.healthy()));
}

template <index_fixture F>
void apply_moves_last_id_and_rows() {
    F f;
    auto& idx = f.index();
    auto events = f.events(2);
    auto empty = f.observe(idx);
    idx.apply(events[0]);
    BOOST_TEST(id_text(idx.last_event_id()) == "1");
    auto after_one = f.observe(idx);
    idx.apply(events[1]);
    BOOST_TEST(id_text(idx.last_event_id()) == "2");
    if constexpr (holds_rows<F>) {
        BOOST_CHECK_MESSAGE(!(after_one == empty), "apply(event 1) left the rows as they were");
        BOOST_CHECK_MESSAGE(!(f.observe(idx) == after_one), "apply(event 2) left the rows as they were");
    }
    BOOST_TEST(static_cast<bool>(idx.healthy()));
}

template <index_fixture F>
void apply_batch_applies_all() {
    F f;
    auto& idx = f.index();
    auto events = f.events(5);
    idx.apply_batch(std::span<const typename F::index_type::event_type>(events));
    BOOST_TEST(id_text(idx.last_event_id()) == "5");
    auto batched = f.observe(idx);
    BOOST_CHECK_MESSAGE(batched == incremental_rows(f, 5),
                        "apply_batch(1..5) rows differ from apply(1), ..., apply(5)");
}

template <index_fixture F>
void empty_batch_changes_nothing() {
    F f;
    auto& idx = f.index();
    auto events = f.events(3);
    idx.apply_batch(slice(events, 0, 3));
    auto before = f.observe(idx);
    idx.apply_batch(slice(events, 0, 0));
    BOOST_TEST(id_text(idx.last_event_id()) == "3");
    BOOST_CHECK_MESSAGE(f.observe(idx) == before, "an empty batch changed the rows");
}

/// The generic mid-batch failure: an id that does not increase in the middle
/// of a batch. Nothing of the batch may stay, neither rows nor last id.
template <index_fixture F>
void batch_failure_leaves_previous_id_and_rows() {
    F f;
    auto& idx = f.index();
    auto events = f.events(8);
    idx.apply_batch(slice(events, 0, 3));
    auto before = f.observe(idx);

    using E = typename F::index_type::event_type;
    const std::vector<std::vector<E>> bad_batches = {
        {events[3], events[4], events[4], events[5]}, // a repeated id mid-batch
        {events[3], events[5], events[4]},            // a decreasing id at the end
        {events[2], events[3]},                       // starts at an applied id
        {events[3], events[1], events[6]},            // goes back below the index's id
    };
    for (const auto& bad : bad_batches) {
        BOOST_CHECK_EXCEPTION(idx.apply_batch(std::span<const E>(bad)), error, has_code(errc::id_not_increasing));
        BOOST_TEST(id_text(idx.last_event_id()) == "3");
        BOOST_CHECK_MESSAGE(f.observe(idx) == before, "a refused batch left rows behind");
    }
    idx.apply_batch(slice(events, 3, 8)); // the index still works
    BOOST_TEST(id_text(idx.last_event_id()) == "8");
}

/// A projection that throws part-way through a batch: nothing of the batch stays.
template <index_fixture F>
void projection_failure_leaves_previous_id_and_rows() {
    if constexpr (has_poison<F>) {
        F f;
        auto& idx = f.index();
        auto events = f.events(3);
        idx.apply_batch(slice(events, 0, 2));
        auto before = f.observe(idx);
        using E = typename F::index_type::event_type;
        std::vector<E> batch = {events[2], E(f.poison(4)), f.events(5)[4]};
        BOOST_CHECK_THROW(idx.apply_batch(std::span<const E>(batch)), std::exception);
        BOOST_TEST(id_text(idx.last_event_id()) == "2");
        BOOST_CHECK_MESSAGE(f.observe(idx) == before, "rows of a failed batch stayed");
        BOOST_CHECK_THROW(idx.apply(E(f.poison(3))), std::exception);
        BOOST_TEST(id_text(idx.last_event_id()) == "2");
        idx.apply(events[2]);
        BOOST_TEST(id_text(idx.last_event_id()) == "3");
    }
}

template <index_fixture F>
void reapplied_event_is_refused() {
    F f;
    auto& idx = f.index();
    auto events = f.events(4);
    for (std::size_t i = 0; i < 3; ++i) idx.apply(events[i]);
    auto before = f.observe(idx);
    BOOST_CHECK_EXCEPTION(idx.apply(events[2]), error, has_code(errc::id_not_increasing));
    BOOST_CHECK_EXCEPTION(idx.apply(events[0]), error, has_code(errc::id_not_increasing));
    BOOST_TEST(id_text(idx.last_event_id()) == "3");
    BOOST_CHECK_MESSAGE(f.observe(idx) == before, "a refused event changed the rows");
    idx.apply(events[3]);
    BOOST_TEST(id_text(idx.last_event_id()) == "4");
}

template <index_fixture F>
void reset_empties_index() {
    F f;
    auto& idx = f.index();
    auto empty = f.observe(idx);
    auto events = f.events(3);
    idx.apply_batch(slice(events, 0, 3));
    idx.reset();
    BOOST_TEST(id_text(idx.last_event_id()) == "none");
    BOOST_CHECK_MESSAGE(f.observe(idx) == empty, "rows remain after reset()");
    idx.apply(events[0]); // id 1 is new again
    BOOST_TEST(id_text(idx.last_event_id()) == "1");
}

template <index_fixture F>
void set_last_event_id_moves_id_without_rows() {
    F f;
    auto& idx = f.index();
    auto empty = f.observe(idx);
    auto events = f.events(6);
    idx.set_last_event_id(5);
    BOOST_TEST(id_text(idx.last_event_id()) == "5");
    BOOST_CHECK_MESSAGE(f.observe(idx) == empty, "set_last_event_id added rows");
    BOOST_CHECK_EXCEPTION(idx.apply(events[4]), error, has_code(errc::id_not_increasing));
    idx.apply(events[5]);
    BOOST_TEST(id_text(idx.last_event_id()) == "6");
}

template <index_fixture F>
void rebuild_reproduces_incremental_rows() {
    F f;
    auto& idx = f.index();
    const std::size_t n = 10;
    auto expected = incremental_rows(f, n);
    auto events = f.events(n);
    // The index already holds 1..n, so only a rebuild that resets first can succeed.
    rebuild_index(idx, source_of(events), 3); // 3 does not divide 10: the tail batch counts
    BOOST_TEST(id_text(idx.last_event_id()) == "10");
    BOOST_CHECK_MESSAGE(f.observe(idx) == expected, "rebuilt rows differ from incrementally applied rows");
}

template <index_fixture F>
void catch_up_applies_only_missing_events() {
    F f;
    auto& idx = f.index();
    const std::size_t n = 10;
    auto expected = incremental_rows(f, n);
    auto events = f.events(n);
    idx.reset();
    idx.apply_batch(slice(events, 0, 4));
    std::uint64_t applied = catch_up_index(idx, source_of(events), 4);
    BOOST_TEST(applied == 6u);
    BOOST_TEST(id_text(idx.last_event_id()) == "10");
    BOOST_CHECK_MESSAGE(f.observe(idx) == expected, "caught-up rows differ from incrementally applied rows");
    BOOST_TEST(catch_up_index(idx, source_of(events), 4) == 0u);
    BOOST_TEST(id_text(idx.last_event_id()) == "10");
}

template <index_fixture F>
void reopen_keeps_state() {
    if constexpr (persistent<F>) {
        F f;
        auto events = f.events(6);
        f.index().apply_batch(slice(events, 0, 5));
        auto before = f.observe(f.index());
        f.reopen();
        auto& idx = f.index();
        BOOST_TEST(id_text(idx.last_event_id()) == "5");
        BOOST_CHECK_MESSAGE(f.observe(idx) == before, "rows changed across reopen");
        BOOST_TEST(static_cast<bool>(idx.healthy()));
        BOOST_CHECK_EXCEPTION(idx.apply(events[4]), error, has_code(errc::id_not_increasing));
        idx.apply(events[5]);
        f.reopen();
        BOOST_TEST(id_text(f.index().last_event_id()) == "6");
    }
}

template <index_fixture F>
void reopen_keeps_empty_state_after_reset() {
    if constexpr (persistent<F>) {
        F f;
        auto empty = f.observe(f.index());
        auto events = f.events(3);
        f.index().apply_batch(slice(events, 0, 3));
        f.index().reset();
        f.reopen();
        BOOST_TEST(id_text(f.index().last_event_id()) == "none");
        BOOST_CHECK_MESSAGE(f.observe(f.index()) == empty, "rows came back after reset and reopen");
    }
}

template <index_fixture F>
void reopen_keeps_set_last_event_id() {
    if constexpr (persistent<F>) {
        F f;
        f.index().set_last_event_id(42);
        f.reopen();
        BOOST_TEST(id_text(f.index().last_event_id()) == "42");
    }
}

} // namespace index_kit
} // namespace evlog::testing

/// Defines Boost.Test suite `SuiteName` with one case per check of the
/// index contract, run against `Fixture` (see the top of this header).
/// Checks that need a persistent fixture, or one with poison(), are
/// skipped (with the reason) when the fixture has none.
#define EVLOG_INDEX_KIT(SuiteName, Fixture)                                                                  \
    static_assert(::evlog::testing::index_fixture<Fixture>, "EVLOG_INDEX_KIT: " #Fixture " is not an index fixture"); \
    BOOST_AUTO_TEST_SUITE(SuiteName)                                                                         \
    BOOST_AUTO_TEST_CASE(EmptyIndexReportsNoLastId) {                                                        \
        ::evlog::testing::index_kit::empty_index_reports_no_last_id<Fixture>();                              \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ApplyMovesLastIdAndRows) {                                                          \
        ::evlog::testing::index_kit::apply_moves_last_id_and_rows<Fixture>();                                \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ApplyBatchAppliesAll) { ::evlog::testing::index_kit::apply_batch_applies_all<Fixture>(); } \
    BOOST_AUTO_TEST_CASE(EmptyBatchChangesNothing) {                                                         \
        ::evlog::testing::index_kit::empty_batch_changes_nothing<Fixture>();                                 \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(BatchFailureLeavesPreviousIdAndRows) {                                              \
        ::evlog::testing::index_kit::batch_failure_leaves_previous_id_and_rows<Fixture>();                   \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ProjectionFailureLeavesPreviousIdAndRows,                                           \
                         *::evlog::testing::index_kit::only_if<::evlog::testing::index_kit::has_poison<Fixture>>("the fixture has no poison()")) { \
        ::evlog::testing::index_kit::projection_failure_leaves_previous_id_and_rows<Fixture>();              \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ReappliedEventIsRefused) {                                                          \
        ::evlog::testing::index_kit::reapplied_event_is_refused<Fixture>();                                  \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ResetEmptiesIndex) { ::evlog::testing::index_kit::reset_empties_index<Fixture>(); } \
    BOOST_AUTO_TEST_CASE(SetLastEventIdMovesIdWithoutRows) {                                                 \
        ::evlog::testing::index_kit::set_last_event_id_moves_id_without_rows<Fixture>();                     \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(RebuildReproducesIncrementalRows) {                                                 \
        ::evlog::testing::index_kit::rebuild_reproduces_incremental_rows<Fixture>();                         \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(CatchUpAppliesOnlyMissingEvents) {                                                  \
        ::evlog::testing::index_kit::catch_up_applies_only_missing_events<Fixture>();                        \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ReopenKeepsState,                                                                   \
                         *::evlog::testing::index_kit::only_if<::evlog::testing::index_kit::persistent<Fixture>>("the fixture is not persistent")) { \
        ::evlog::testing::index_kit::reopen_keeps_state<Fixture>();                                          \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ReopenAfterResetStaysEmpty,                                                         \
                         *::evlog::testing::index_kit::only_if<::evlog::testing::index_kit::persistent<Fixture>>("the fixture is not persistent")) { \
        ::evlog::testing::index_kit::reopen_keeps_empty_state_after_reset<Fixture>();                        \
    }                                                                                                        \
    BOOST_AUTO_TEST_CASE(ReopenKeepsSetLastEventId,                                                          \
                         *::evlog::testing::index_kit::only_if<::evlog::testing::index_kit::persistent<Fixture>>("the fixture is not persistent")) { \
        ::evlog::testing::index_kit::reopen_keeps_set_last_event_id<Fixture>();                             \
    }                                                                                                        \
    BOOST_AUTO_TEST_SUITE_END()
