// Conformance kit for snapshot stores, in the spirit of Akka Persistence's
// TCK: one Boost.Test case per clause of the snapshot_store contract, for
// any store that keeps the `state_<id>.json` layout (the generic store with
// any State and codec, a domain's own store built on it, ...).
//
// Usage, in a test file that already includes <boost/test/unit_test.hpp>:
//
//     struct my_fixture {
//         using store_type = evlog::snapshot_store<my_state>;
//         store_type make_store(const std::filesystem::path& dir) { return store_type(dir); }
//         my_state make_state(int n);  // distinct n -> distinct states, compared with ==
//     };
//     EVLOG_SNAPSHOT_KIT(MySnapshotStore, my_fixture)
//
// Fixture must be a single token (use an alias for a template-id, because
// of the macro). Each case builds its own Fixture and its own temp
// directory, so cases are independent.
#pragma once

#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <unistd.h>

#include <boost/json/value.hpp>
#include <boost/test/unit_test.hpp>

#include <evlog/core/errors.hpp>
#include <evlog/core/time.hpp>

namespace evlog::testing {

/// A fresh, empty directory under the system temp dir, removed with
/// everything in it on destruction.
class scratch_dir {
public:
    scratch_dir() {
        static std::atomic<unsigned> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("evlog-snapshot-kit-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    scratch_dir(const scratch_dir&) = delete;
    scratch_dir& operator=(const scratch_dir&) = delete;
    ~scratch_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    const std::filesystem::path& path() const noexcept { return path_; }

private:
    std::filesystem::path path_;
};

/// The checks behind EVLOG_SNAPSHOT_KIT, callable on their own too.
template <class Fixture>
struct snapshot_kit {
    using store_type = typename Fixture::store_type;
    using snapshot_type = typename store_type::snapshot_type;

    /// A snapshot whose every field depends on id and n, so a mix-up shows.
    static snapshot_type sample(Fixture& f, std::uint64_t id, int n) {
        snapshot_type s{};
        s.state = f.make_state(n);
        s.last_event_id = id;
        s.log_offset = id * 100 + 7;
        s.agent_contexts["planner"] = boost::json::value{{"step", n}, {"notes", {"a", "b"}}};
        s.agent_contexts["reviewer"] = boost::json::value(nullptr);
        // Nanoseconds on purpose: the wire form must keep all nine digits.
        s.saved_at = timestamp::from_unix_nanos(1768471201623456789LL + static_cast<std::int64_t>(id));
        return s;
    }

    static void write_raw(const std::filesystem::path& p, const std::string& bytes) {
        std::ofstream out(p, std::ios::binary | std::ios::trunc);
        out << bytes;
        BOOST_REQUIRE(out.good());
    }

    static std::string name(std::uint64_t id) { return "state_" + std::to_string(id) + ".json"; }

    static void no_snapshot_is_an_empty_result() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        auto r = store.load_latest();
        BOOST_TEST(!r.snapshot.has_value());
        BOOST_TEST(r.skipped.empty());
        BOOST_TEST(store.list().empty());
        BOOST_TEST(!store.load(1).has_value());
    }

    static void missing_directory_is_an_empty_result() {
        Fixture f;
        scratch_dir d;
        const auto missing = d.path() / "not" / "there";
        auto store = f.make_store(missing);
        auto r = store.load_latest();
        BOOST_TEST(!r.snapshot.has_value());
        BOOST_TEST(r.skipped.empty());
        BOOST_TEST(store.list().empty());
        BOOST_TEST(store.prune(1) == 0u);
        // Reading must not create it: a typo'd path should stay visible.
        BOOST_TEST(!std::filesystem::exists(missing));
    }

    static void save_creates_missing_directory() {
        Fixture f;
        scratch_dir d;
        const auto dir = d.path() / "a" / "snapshots";
        auto store = f.make_store(dir);
        store.save(sample(f, 4, 1));
        BOOST_TEST(std::filesystem::is_regular_file(dir / name(4)));
        auto r = store.load_latest();
        BOOST_REQUIRE(r.snapshot.has_value());
        BOOST_TEST(r.snapshot->last_event_id == 4u);
    }

    static void save_then_load_latest_round_trips_every_field() {
        Fixture f;
        scratch_dir d;
        const auto saved = sample(f, 42, 3);
        f.make_store(d.path()).save(saved);
        // A fresh store: nothing may come from memory.
        auto store = f.make_store(d.path());
        auto r = store.load_latest();
        BOOST_REQUIRE(r.snapshot.has_value());
        BOOST_TEST(r.skipped.empty());
        const auto& got = *r.snapshot;
        BOOST_TEST((got.state == saved.state));
        BOOST_TEST(got.last_event_id == 42u);
        BOOST_TEST((got.log_offset == saved.log_offset));
        BOOST_TEST((got.agent_contexts == saved.agent_contexts));
        BOOST_TEST(got.saved_at.unix_nanos() == saved.saved_at.unix_nanos());
        auto by_id = store.load(42);
        BOOST_REQUIRE(by_id.has_value());
        BOOST_TEST((by_id->state == saved.state));
    }

    static void unknown_log_offset_round_trips_as_unknown() {
        Fixture f;
        scratch_dir d;
        auto s = sample(f, 9, 2);
        s.log_offset.reset();
        s.agent_contexts.clear();
        auto store = f.make_store(d.path());
        store.save(s);
        auto got = store.load(9);
        BOOST_REQUIRE(got.has_value());
        BOOST_TEST(!got->log_offset.has_value());
        BOOST_TEST(got->agent_contexts.empty());
        BOOST_TEST((got->state == s.state));
    }

    static void highest_id_wins_numerically_not_by_name() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        // "state_9.json" sorts after "state_10.json" as text.
        store.save(sample(f, 10, 10));
        store.save(sample(f, 2, 2));
        store.save(sample(f, 9, 9));
        auto r = store.load_latest();
        BOOST_REQUIRE(r.snapshot.has_value());
        BOOST_TEST(r.snapshot->last_event_id == 10u);
        BOOST_TEST((r.snapshot->state == f.make_state(10)));
    }

    static void corrupt_newest_snapshot_falls_back_to_previous() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        store.save(sample(f, 5, 5));
        store.save(sample(f, 8, 8));
        // What a non-atomic writer leaves after a crash: a torn object.
        write_raw(d.path() / name(8), "{\"state\":{\"cou");
        auto r = store.load_latest();
        BOOST_REQUIRE(r.snapshot.has_value());
        BOOST_TEST(r.snapshot->last_event_id == 5u);
        BOOST_TEST((r.snapshot->state == f.make_state(5)));
        BOOST_REQUIRE(r.skipped.size() == 1u);
        BOOST_TEST(r.skipped[0].path == d.path() / name(8));
        BOOST_TEST(r.skipped[0].id == 8u);
        BOOST_TEST((r.skipped[0].code == errc::snapshot_corrupt));
        BOOST_TEST(!r.skipped[0].detail.empty());
    }

    static void every_corrupt_snapshot_is_skipped_and_reported() {
        Fixture f;
        scratch_dir d;
        write_raw(d.path() / name(3), "");
        write_raw(d.path() / name(7), "[1,2,3]");
        write_raw(d.path() / name(5), "{\"state\":{}}");
        auto r = f.make_store(d.path()).load_latest();
        BOOST_TEST(!r.snapshot.has_value());
        BOOST_REQUIRE(r.skipped.size() == 3u);
        BOOST_TEST(r.skipped[0].id == 7u); // newest first
        BOOST_TEST(r.skipped[1].id == 5u);
        BOOST_TEST(r.skipped[2].id == 3u);
        for (const auto& s : r.skipped) BOOST_TEST((s.code == errc::snapshot_corrupt));
    }

    static void load_of_corrupt_snapshot_throws_naming_the_file() {
        Fixture f;
        scratch_dir d;
        write_raw(d.path() / name(6), "not json");
        auto store = f.make_store(d.path());
        try {
            store.load(6);
            BOOST_ERROR("load of a corrupt snapshot did not throw");
        } catch (const evlog::error& e) {
            BOOST_TEST((e.code() == errc::snapshot_corrupt));
            BOOST_TEST(e.detail().find(name(6)) != std::string::npos);
        }
        BOOST_TEST(!store.load(7).has_value());
    }

    static void tmp_files_and_foreign_names_are_ignored() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        store.save(sample(f, 4, 4));
        // Every one of these would win if it were taken for a snapshot.
        const std::string garbage = "{\"garbage\":true}";
        for (const char* n : {"state_99.tmp", "state_abc.json", "state_12.json.bak", "xstate_50.json",
                              "state_-60.json", "state_+70.json", "state_.json", "state_080.json",
                              "state_ 90.json", "STATE_95.json", "state_99999999999999999999999.json"})
            write_raw(d.path() / n, garbage);
        std::filesystem::create_directory(d.path() / name(100));
        auto r = store.load_latest();
        BOOST_REQUIRE(r.snapshot.has_value());
        BOOST_TEST(r.snapshot->last_event_id == 4u);
        BOOST_TEST(r.skipped.empty());
        BOOST_TEST((store.list() == std::vector<std::uint64_t>{4}));
    }

    static void save_at_existing_id_replaces_it() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        store.save(sample(f, 12, 1));
        auto second = sample(f, 12, 2);
        second.log_offset = 999;
        store.save(second);
        BOOST_TEST((store.list() == std::vector<std::uint64_t>{12}));
        auto got = store.load(12);
        BOOST_REQUIRE(got.has_value());
        BOOST_TEST((got->state == f.make_state(2)));
        BOOST_TEST((got->log_offset == std::optional<std::uint64_t>(999)));
    }

    static void prune_keeps_the_newest_n() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        for (std::uint64_t id : std::vector<std::uint64_t>{1, 20, 3, 4, 15}) store.save(sample(f, id, static_cast<int>(id)));
        BOOST_TEST(store.prune(2) == 3u);
        BOOST_TEST((store.list() == std::vector<std::uint64_t>{15, 20}));
        BOOST_TEST(store.prune(2) == 0u);
        BOOST_TEST(store.prune(5) == 0u);
        auto r = store.load_latest();
        BOOST_REQUIRE(r.snapshot.has_value());
        BOOST_TEST(r.snapshot->last_event_id == 20u);
        BOOST_TEST(store.prune(0) == 2u);
        BOOST_TEST(store.list().empty());
    }

    static void prune_never_counts_a_corrupt_snapshot_as_kept() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        store.save(sample(f, 1, 1));
        store.save(sample(f, 2, 2));
        write_raw(d.path() / name(3), "{");
        // Keeping "the newest file" would delete the last good snapshot.
        BOOST_TEST(store.prune(1) == 1u);
        BOOST_TEST((store.list() == std::vector<std::uint64_t>{2, 3}));
        auto r = store.load_latest();
        BOOST_REQUIRE(r.snapshot.has_value());
        BOOST_TEST(r.snapshot->last_event_id == 2u);
        BOOST_TEST(r.skipped.size() == 1u);
        // Fewer good snapshots than asked for: nothing goes.
        BOOST_TEST(store.prune(2) == 0u);
        BOOST_TEST((store.list() == std::vector<std::uint64_t>{2, 3}));
    }

    static void list_is_sorted_ascending() {
        Fixture f;
        scratch_dir d;
        auto store = f.make_store(d.path());
        for (std::uint64_t id : std::vector<std::uint64_t>{100, 9, 0, 18446744073709551615ULL, 10})
            store.save(sample(f, id, static_cast<int>(id % 1000)));
        BOOST_TEST((store.list() == std::vector<std::uint64_t>{0, 9, 10, 100, 18446744073709551615ULL}));
    }
};

} // namespace evlog::testing

#define EVLOG_SNAPSHOT_KIT_CASE_(Fixture, Case, check)                                         \
    BOOST_AUTO_TEST_CASE(Case) { ::evlog::testing::snapshot_kit<Fixture>::check(); }

/// Defines test suite `SuiteName` with one test case per contract clause.
#define EVLOG_SNAPSHOT_KIT(SuiteName, Fixture)                                                  \
    BOOST_AUTO_TEST_SUITE(SuiteName)                                                            \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, NoSnapshotIsAnEmptyResult, no_snapshot_is_an_empty_result) \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, MissingDirectoryIsAnEmptyResult,                          \
                             missing_directory_is_an_empty_result)                              \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, SaveCreatesMissingDirectory, save_creates_missing_directory) \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, SaveThenLoadLatestRoundTripsEveryField,                   \
                             save_then_load_latest_round_trips_every_field)                     \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, UnknownLogOffsetRoundTripsAsUnknown,                      \
                             unknown_log_offset_round_trips_as_unknown)                         \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, HighestIdWinsNumericallyNotByName,                        \
                             highest_id_wins_numerically_not_by_name)                           \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, CorruptNewestSnapshotFallsBackToPrevious,                 \
                             corrupt_newest_snapshot_falls_back_to_previous)                    \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, EveryCorruptSnapshotIsSkippedAndReported,                 \
                             every_corrupt_snapshot_is_skipped_and_reported)                    \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, LoadOfCorruptSnapshotThrowsNamingTheFile,                 \
                             load_of_corrupt_snapshot_throws_naming_the_file)                   \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, TmpFilesAndForeignNamesAreIgnored,                        \
                             tmp_files_and_foreign_names_are_ignored)                           \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, SaveAtExistingIdReplacesIt, save_at_existing_id_replaces_it) \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, PruneKeepsTheNewestN, prune_keeps_the_newest_n)           \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, PruneNeverCountsACorruptSnapshotAsKept,                   \
                             prune_never_counts_a_corrupt_snapshot_as_kept)                     \
    EVLOG_SNAPSHOT_KIT_CASE_(Fixture, ListIsSortedAscending, list_is_sorted_ascending)          \
    BOOST_AUTO_TEST_SUITE_END()
