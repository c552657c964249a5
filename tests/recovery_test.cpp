// Recovery: snapshot + log + index composed at compile time.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <optional>
#include <set>

#include <evlog/index/memory_index.hpp>
#include <evlog/log/append_log.hpp>
#include <evlog/index/null_index.hpp>
#include <evlog/recovery/recover.hpp>
#include <evlog/recovery/recover_all.hpp>
#include <evlog/snapshot/snapshot_store.hpp>
#include <evlog/file/fault_file.hpp>

#include "support/test_events.hpp"

namespace {

using evtest::event;

/// The fold: every note's text, in order, and the sum of counter bumps.
struct tally {
    std::vector<std::string> notes;
    std::int64_t sum = 0;
    std::uint64_t unknown = 0;
    friend bool operator==(const tally&, const tally&) = default;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const tally& t) {
    v = {{"notes", boost::json::value_from(t.notes)}, {"sum", t.sum}, {"unknown", t.unknown}};
}
tally tag_invoke(boost::json::value_to_tag<tally>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "state");
    return {evlog::json::required<std::vector<std::string>>(o, "notes"), evlog::json::required<std::int64_t>(o, "sum"),
            evlog::json::required<std::uint64_t>(o, "unknown")};
}

/// Index rows: the ids it was given, in order, so a test can see exactly
/// which events an index caught up on.
struct ids_projection {
    using event_type = event;
    using rows_type = std::vector<std::uint64_t>;
    static void apply(rows_type& rows, const event& e) { rows.push_back(e.id); }
};
using ids_index = evlog::memory_index<event, ids_projection>;

/// memory_index whose integrity check can be made to fail.
struct checkable_index : ids_index {
    bool ok = true;
    bool healthy() const { return ok; }
};

template <class Index>
struct config_for {
    using event_type = event;
    using state_type = tally;
    using repair_policy = evlog::repair_truncate_tail;
    using snapshot_store_type = evlog::snapshot_store<tally>;
    using index_type = Index;
    static tally initial_state(const std::optional<evlog::ulid>&) { return {}; }
    static void apply(tally& s, const event& e) {
        if (auto* n = std::get_if<evtest::note_added>(&e.payload)) s.notes.push_back(n->text);
        else if (auto* c = std::get_if<evtest::counter_bumped>(&e.payload)) s.sum += c->by;
        else ++s.unknown;
    }
    static Index open_index(const evlog::stream_paths&) { return Index{}; }
};
using config = config_for<ids_index>;

/// A stream directory named by stream_a holding `n` notes.
struct stream_fixture {
    evtest::temp_dir tmp;
    evlog::stream_paths paths{tmp.path() / evtest::stream_a.str()};
    std::vector<std::uint64_t> ends; // ends[i]: offset just past event i+1

    explicit stream_fixture(std::uint64_t n) {
        std::string bytes;
        for (std::uint64_t i = 1; i <= n; ++i) {
            bytes += evtest::line_of(evtest::make_note(i, "n" + std::to_string(i)));
            ends.push_back(bytes.size());
        }
        evtest::write_file(paths.log(), bytes);
    }

    tally fold_up_to(std::uint64_t id) const {
        tally t;
        for (std::uint64_t i = 1; i <= id; ++i) t.notes.push_back("n" + std::to_string(i));
        return t;
    }

    void save_snapshot(std::uint64_t id, std::optional<std::uint64_t> offset) {
        evlog::snapshot_store<tally> store(paths.snapshots());
        evlog::snapshot<tally> s;
        s.state = fold_up_to(id);
        s.last_event_id = id;
        s.log_offset = offset;
        s.saved_at = evlog::timestamp::now();
        store.save(s);
    }
};


} // namespace

namespace evlog {
inline std::ostream& operator<<(std::ostream& os, index_action a) { return os << to_string(a); }
} // namespace evlog

BOOST_AUTO_TEST_SUITE(Recovery)

BOOST_AUTO_TEST_CASE(NoSnapshotReplaysTheWholeLog) {
    stream_fixture fx(50);
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST((r.state == fx.fold_up_to(50)));
    BOOST_TEST(r.last_event_id.value_or(0) == 50u);
    BOOST_TEST(!r.report.snapshot_id.has_value());
    BOOST_TEST(r.report.events_replayed == 50u);
    BOOST_TEST(r.report.index == evlog::index_action::rebuilt);
    BOOST_TEST(idx.rows().size() == 50u);
}

BOOST_AUTO_TEST_CASE(SnapshotWithVerifiedOffsetReplaysOnlyLaterEvents) {
    stream_fixture fx(100);
    fx.save_snapshot(90, fx.ends[89]);
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.snapshot_id.value_or(0) == 90u);
    BOOST_TEST(r.report.seeked);
    BOOST_TEST(r.report.replay_start == fx.ends[89]);
    BOOST_TEST(r.report.events_replayed == 10u);
    BOOST_TEST((r.state == fx.fold_up_to(100)));
    BOOST_TEST(r.last_event_id.value_or(0) == 100u);
}

BOOST_AUTO_TEST_CASE(SnapshotCoveringMostOfTheLogSparesParsingItsPrefix) {
    // ~9 MiB of log: a full scan takes ten 1 MiB reads, the last tenth one.
    // Recovery folds during the repair scan, so a clean log is read once.
    stream_fixture fx(60000);
    auto count_reads = [&](bool with_snapshot) {
        std::filesystem::remove_all(fx.paths.snapshots());
        if (with_snapshot) fx.save_snapshot(54000, fx.ends[53999]);
        evlog::fault_file file;
        ids_index idx;
        idx.apply_batch(std::vector<event>{evtest::make_note(60000, "x")}); // up to date: no index pass
        auto r = evlog::recover<config, evlog::fault_file>(fx.paths, idx, {}, file);
        BOOST_TEST(r.state.notes.size() == 60000u);
        BOOST_TEST(r.report.seeked == with_snapshot);
        return file.count(evlog::file_op::pread);
    };
    const auto full = count_reads(false);
    const auto seeked = count_reads(true);
    BOOST_TEST(full >= 9u);
    BOOST_TEST(full <= 11u);
    BOOST_TEST(seeked * 3 <= full);
}

BOOST_AUTO_TEST_CASE(IndexWithoutRowsIsBroughtInStepWithoutReplayingTheLogAgain) {
    // A fresh null_index reads as empty; rebuilding it by replaying ~9 MiB
    // of log would double the reads for nothing it keeps.
    stream_fixture fx(60000);
    evlog::fault_file file;
    evlog::null_index<event> idx;
    auto r = evlog::recover<config_for<evlog::null_index<event>>, evlog::fault_file>(fx.paths, idx, {}, file);
    BOOST_TEST(r.state.notes.size() == 60000u);
    BOOST_TEST(r.report.index == evlog::index_action::rebuilt);
    BOOST_TEST(r.report.index_events_applied == 0u);
    BOOST_TEST(idx.last_event_id().value_or(0) == 60000u);
    BOOST_TEST(file.count(evlog::file_op::pread) <= 11u);
}

BOOST_AUTO_TEST_CASE(SnapshotOffsetThatMissesItsEventFallsBackToScanning) {
    stream_fixture fx(100);
    fx.save_snapshot(90, fx.ends[79]); // the line ending there is event 80, not 90
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(!r.report.seeked);
    BOOST_TEST(r.report.replay_start == 0u);
    BOOST_TEST(r.report.events_replayed == 10u);
    BOOST_TEST((r.state == fx.fold_up_to(100)));
}

BOOST_AUTO_TEST_CASE(SnapshotOffsetInsideALineFallsBackToScanning) {
    stream_fixture fx(100);
    fx.save_snapshot(90, fx.ends[89] - 7);
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(!r.report.seeked);
    BOOST_TEST((r.state == fx.fold_up_to(100)));
}

BOOST_AUTO_TEST_CASE(GoSnapshotWithoutOffsetIsUsedByScanningForItsId) {
    stream_fixture fx(100);
    fx.save_snapshot(90, std::nullopt);
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.snapshot_id.value_or(0) == 90u);
    BOOST_TEST(!r.report.seeked);
    BOOST_TEST(r.report.events_replayed == 10u);
    BOOST_TEST((r.state == fx.fold_up_to(100)));
}

BOOST_AUTO_TEST_CASE(CorruptNewestSnapshotFallsBackToThePreviousOne) {
    stream_fixture fx(100);
    fx.save_snapshot(50, fx.ends[49]);
    evtest::write_file(fx.paths.snapshots() / "state_90.json", "{\"state\": garbage");
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.snapshot_id.value_or(0) == 50u);
    BOOST_TEST(r.report.skipped_snapshots.size() == 1u);
    BOOST_TEST(r.report.events_replayed == 50u);
    BOOST_TEST((r.state == fx.fold_up_to(100)));
}

BOOST_AUTO_TEST_CASE(SnapshotWithMissingLogIsTrustedAndIndexIdSetToIt) {
    stream_fixture fx(20);
    fx.save_snapshot(20, fx.ends[19]);
    std::filesystem::remove(fx.paths.log());
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.log_missing);
    BOOST_TEST((r.state == fx.fold_up_to(20)));
    BOOST_TEST(r.last_event_id.value_or(0) == 20u);
    BOOST_TEST(r.report.index == evlog::index_action::set_to_snapshot);
    BOOST_TEST(idx.last_event_id().value_or(0) == 20u);
}

BOOST_AUTO_TEST_CASE(SnapshotWithEmptyLogIsTrusted) {
    stream_fixture fx(20);
    fx.save_snapshot(20, fx.ends[19]);
    evtest::write_file(fx.paths.log(), "");
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(!r.report.log_missing);
    BOOST_TEST((r.state == fx.fold_up_to(20)));
    BOOST_TEST(idx.last_event_id().value_or(0) == 20u);
}

// The log lost its tail (fsync_never and a power cut, or a restore from an
// older copy) while a snapshot of the lost events survived. Trusting it made
// the writer hand out its ids again, and every later recovery skipped them.
BOOST_AUTO_TEST_CASE(SnapshotAheadOfTheLogIsSetAsideSoEventsAppendedAfterAreFolded) {
    stream_fixture fx(10);
    fx.save_snapshot(10, fx.ends[9]);
    const auto snapshot_bytes = evtest::read_file(fx.paths.snapshots() / "state_10.json");
    evtest::write_file(fx.paths.log(), evtest::read_file(fx.paths.log()).substr(0, fx.ends[6]));
    ids_index idx;
    auto r1 = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST((r1.state == fx.fold_up_to(7)));
    BOOST_TEST(r1.last_event_id.value_or(0) == 7u);
    BOOST_TEST(!r1.report.snapshot_id.has_value());
    BOOST_TEST_REQUIRE(r1.report.set_aside_snapshots.size() == 1u);
    const auto& aside = r1.report.set_aside_snapshots[0];
    BOOST_TEST(aside.id == 10u);
    BOOST_TEST((aside.code == evlog::errc::snapshot_ahead_of_log));
    BOOST_TEST(aside.path == fx.paths.snapshots() / "state_10.json.ahead-of-log");
    BOOST_TEST(evtest::read_file(aside.path) == snapshot_bytes); // kept, not destroyed
    BOOST_TEST(!std::filesystem::exists(fx.paths.snapshots() / "state_10.json"));
    BOOST_TEST(idx.last_event_id().value_or(0) == 7u);
    {
        evlog::append_log<event> w;
        w.open(fx.paths.log());
        for (int i = 8; i <= 10; ++i) {
            auto e = evtest::make_note(0, "after " + std::to_string(i));
            BOOST_TEST(w.append_next(e) == static_cast<std::uint64_t>(i));
        }
        w.close();
    }
    auto r2 = evlog::recover<config>(fx.paths, idx);
    auto expected = fx.fold_up_to(7);
    for (int i = 8; i <= 10; ++i) expected.notes.push_back("after " + std::to_string(i));
    BOOST_TEST((r2.state == expected));
    BOOST_TEST(r2.report.set_aside_snapshots.empty());
}

// Every snapshot above the log goes: one left in place (8 here) would hide
// the events appended next, once the log grows past it again.
BOOST_AUTO_TEST_CASE(EverySnapshotAheadOfTheLogIsSetAsideAndAnOlderOneTheLogCoversUsed) {
    stream_fixture fx(10);
    fx.save_snapshot(5, fx.ends[4]);
    fx.save_snapshot(8, fx.ends[7]);
    fx.save_snapshot(10, fx.ends[9]);
    evtest::write_file(fx.paths.log(), evtest::read_file(fx.paths.log()).substr(0, fx.ends[6]));
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.snapshot_id.value_or(0) == 5u);
    std::vector<std::uint64_t> aside;
    for (const auto& s : r.report.set_aside_snapshots) aside.push_back(s.id);
    std::sort(aside.begin(), aside.end());
    BOOST_TEST((aside == std::vector<std::uint64_t>{8, 10}));
    BOOST_TEST((evlog::snapshot_store<tally>(fx.paths.snapshots()).list() == std::vector<std::uint64_t>{5}));
    BOOST_TEST(r.report.events_replayed == 2u);
    BOOST_TEST((r.state == fx.fold_up_to(7)));
}

BOOST_AUTO_TEST_CASE(SetAsideNeverOverwritesAnEarlierSetAsideSnapshot) {
    stream_fixture fx(10);
    for (int round = 0; round < 2; ++round) {
        fx.save_snapshot(10, fx.ends[9]);
        evtest::write_file(fx.paths.log(), evtest::read_file(fx.paths.log()).substr(0, fx.ends[6]));
        ids_index idx;
        auto r = evlog::recover<config>(fx.paths, idx);
        BOOST_TEST_REQUIRE(r.report.set_aside_snapshots.size() == 1u);
        BOOST_TEST(r.report.set_aside_snapshots[0].path ==
                   fx.paths.snapshots() / (round ? "state_10.json.ahead-of-log.1" : "state_10.json.ahead-of-log"));
    }
}

// A log that starts after a snapshot (here: holds nothing yet) is trusted;
// the writer must then number after the snapshot, not from 1.
BOOST_AUTO_TEST_CASE(WriterContinuingAfterATrustedSnapshotKeepsItsEventsVisible) {
    stream_fixture fx(5);
    fx.save_snapshot(5, fx.ends[4]);
    evtest::write_file(fx.paths.log(), "");
    ids_index idx;
    auto r1 = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r1.last_event_id.value_or(0) == 5u);
    {
        evlog::append_log<event> w;
        w.open(fx.paths.log(), {.continue_after = r1.last_event_id});
        auto e = evtest::make_note(0, "after");
        BOOST_TEST(w.append_next(e) == 6u);
        BOOST_CHECK_EXCEPTION(w.append(evtest::make_note(5, "old id")), evlog::error,
                              [](const evlog::error& x) { return x.code() == evlog::errc::id_not_increasing; });
        w.close();
    }
    auto r2 = evlog::recover<config>(fx.paths, idx);
    auto expected = fx.fold_up_to(5);
    expected.notes.push_back("after");
    BOOST_TEST((r2.state == expected));
    BOOST_TEST(r2.report.snapshot_id.value_or(0) == 5u);
}

BOOST_AUTO_TEST_CASE(EmptyDirectoryRecoversTheInitialState) {
    evtest::temp_dir tmp;
    evlog::stream_paths paths{tmp.path() / evtest::stream_a.str()};
    ids_index idx;
    auto r = evlog::recover<config>(paths, idx);
    BOOST_TEST((r.state == tally{}));
    BOOST_TEST(!r.last_event_id.has_value());
    BOOST_TEST(r.report.log_missing);
    BOOST_TEST(!idx.last_event_id().has_value());
}

BOOST_AUTO_TEST_CASE(IndexAheadOfTheLogIsRebuilt) {
    stream_fixture fx(30);
    ids_index idx;
    std::vector<event> more;
    for (std::uint64_t i = 1; i <= 40; ++i) more.push_back(evtest::make_note(i, "other"));
    idx.apply_batch(more);
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.index == evlog::index_action::rebuilt);
    BOOST_TEST(idx.last_event_id().value_or(0) == 30u);
    BOOST_TEST(idx.rows().size() == 30u);
}

BOOST_AUTO_TEST_CASE(IndexBehindTheLogCatchesUpWithOnlyTheMissingEvents) {
    stream_fixture fx(100);
    ids_index idx;
    std::vector<event> first;
    for (std::uint64_t i = 1; i <= 60; ++i) first.push_back(evtest::make_note(i, "n" + std::to_string(i)));
    idx.apply_batch(first);
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.index == evlog::index_action::caught_up);
    BOOST_TEST(r.report.index_events_applied == 40u);
    std::vector<std::uint64_t> expected;
    for (std::uint64_t i = 1; i <= 100; ++i) expected.push_back(i);
    BOOST_TEST(idx.rows() == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(IndexUpToDateIsLeftAlone) {
    stream_fixture fx(10);
    ids_index idx;
    evlog::recover<config>(fx.paths, idx);
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.index == evlog::index_action::none);
    BOOST_TEST(idx.rows().size() == 10u);
}

BOOST_AUTO_TEST_CASE(CorruptIndexIsRebuilt) {
    stream_fixture fx(10);
    checkable_index idx;
    evlog::recover<config_for<checkable_index>>(fx.paths, idx);
    idx.ok = false;
    auto r = evlog::recover<config_for<checkable_index>>(fx.paths, idx);
    BOOST_TEST(r.report.index == evlog::index_action::rebuilt);
    BOOST_TEST(r.report.index_events_applied == 10u);
    BOOST_TEST(idx.rows().size() == 10u);
}

BOOST_AUTO_TEST_CASE(ForeignStreamEventsAreSkippedAndCounted) {
    stream_fixture fx(0);
    std::string bytes;
    for (std::uint64_t i = 1; i <= 10; ++i)
        bytes += evtest::line_of(evtest::make_note(i, "n" + std::to_string(i), i % 3 == 0 ? evtest::stream_b : evtest::stream_a));
    evtest::write_file(fx.paths.log(), bytes);
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.foreign_events == 3u);
    BOOST_TEST(r.report.events_replayed == 7u);
    BOOST_TEST(r.state.notes.size() == 7u);
    BOOST_TEST(idx.rows().size() == 7u); // the index never sees them either
}

BOOST_AUTO_TEST_CASE(ForeignStreamEventsAreSkippedWhenDirIsGivenWithTrailingSlash) {
    // "specs/01J…/" from a shell's tab completion still names the stream.
    stream_fixture fx(0);
    std::string bytes;
    for (std::uint64_t i = 1; i <= 4; ++i)
        bytes += evtest::line_of(evtest::make_note(i, "n", i % 2 == 0 ? evtest::stream_b : evtest::stream_a));
    evtest::write_file(fx.paths.log(), bytes);
    ids_index idx;
    evlog::stream_paths slashed{fx.paths.dir.string() + "/"};
    auto r = evlog::recover<config>(slashed, idx);
    BOOST_TEST(r.report.foreign_events == 2u);
    BOOST_TEST(r.state.notes.size() == 2u);
}

BOOST_AUTO_TEST_CASE(UnknownPayloadEventsReachTheFoldAndAreCounted) {
    stream_fixture fx(3);
    std::string extra = R"({"event_id":4,"stream_id":")" + evtest::stream_a.str() +
                        R"(","timestamp":"2026-01-15T10:00:01Z","payload":{"type":"FromTheFuture","x":1}})" "\n";
    evtest::write_file(fx.paths.log(), evtest::read_file(fx.paths.log()) + extra);
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.unknown_events == 1u);
    BOOST_TEST(r.state.unknown == 1u);
    BOOST_TEST(r.last_event_id.value_or(0) == 4u);
}

BOOST_AUTO_TEST_CASE(TornTailIsRepairedBeforeReplay) {
    stream_fixture fx(10);
    evtest::write_file(fx.paths.log(), evtest::read_file(fx.paths.log()) + R"({"event_id":11,"stream_id":"01K)");
    ids_index idx;
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.repair.bytes_truncated > 0u);
    BOOST_TEST((r.state == fx.fold_up_to(10)));
    BOOST_TEST(std::filesystem::file_size(fx.paths.log()) == fx.ends[9]);
}

// Recovery folds while repair scans; a log that quarantine rewrites is
// folded again from the snapshot, so bad lines never reach the state twice
// or out of order.
BOOST_AUTO_TEST_CASE(QuarantinedLinesAreLeftOutWithAndWithoutSnapshot) {
    struct quarantine_config : config {
        using repair_policy = evlog::repair_quarantine;
    };
    for (const bool with_snapshot : {false, true}) {
        stream_fixture fx(100);
        if (with_snapshot) fx.save_snapshot(50, fx.ends[49]);
        auto bytes = evtest::read_file(fx.paths.log());
        bytes.insert(fx.ends[79], "garbage after 80\n");
        bytes.insert(fx.ends[59], "garbage after 60\n");
        evtest::write_file(fx.paths.log(), bytes);
        ids_index idx;
        auto r = evlog::recover<quarantine_config>(fx.paths, idx);
        BOOST_TEST(r.report.repair.rewritten);
        BOOST_TEST(r.report.repair.quarantined.size() == 2u);
        BOOST_TEST(r.report.seeked == with_snapshot);
        BOOST_TEST((r.state == fx.fold_up_to(100)));
        BOOST_TEST(r.report.events_replayed == (with_snapshot ? 50u : 100u));
        BOOST_TEST(r.last_event_id.value_or(0) == 100u);
        BOOST_TEST(std::filesystem::file_size(fx.paths.log()) == fx.ends[99]);
    }
}

BOOST_AUTO_TEST_CASE(SkippedLinesAreLeftOutOfTheFold) {
    struct skip_config : config {
        using repair_policy = evlog::repair_skip;
    };
    stream_fixture fx(20);
    auto bytes = evtest::read_file(fx.paths.log());
    bytes.insert(fx.ends[9], "garbage\n");
    evtest::write_file(fx.paths.log(), bytes);
    ids_index idx;
    auto r = evlog::recover<skip_config>(fx.paths, idx);
    BOOST_TEST(r.report.repair.skipped.size() == 1u);
    BOOST_TEST((r.state == fx.fold_up_to(20)));
    BOOST_TEST(r.report.events_replayed == 20u);
    BOOST_TEST(evtest::read_file(fx.paths.log()) == bytes);
}

// A line indexed while good, then damaged: repair takes it out of the log
// and the state, and the last ids still agree, so only the repair report
// can tell the index to let go of its rows.
BOOST_AUTO_TEST_CASE(LineQuarantinedOrSkippedAfterItWasIndexedLeavesNoRowBehind) {
    struct quarantine_config : config {
        using repair_policy = evlog::repair_quarantine;
    };
    struct skip_config : config {
        using repair_policy = evlog::repair_skip;
    };
    for (const bool quarantine : {true, false}) {
        stream_fixture fx(10);
        ids_index idx;
        (void)evlog::recover<config>(fx.paths, idx);
        BOOST_TEST_REQUIRE(idx.rows().size() == 10u);
        auto bytes = evtest::read_file(fx.paths.log());
        bytes[fx.ends[3]] = 'X'; // event 5's line
        evtest::write_file(fx.paths.log(), bytes);
        auto r = quarantine ? evlog::recover<quarantine_config>(fx.paths, idx) : evlog::recover<skip_config>(fx.paths, idx);
        BOOST_TEST(r.state.notes.size() == 9u);
        BOOST_TEST(r.report.index == evlog::index_action::rebuilt);
        BOOST_TEST((idx.rows() == std::vector<std::uint64_t>{1, 2, 3, 4, 6, 7, 8, 9, 10}));
    }
}

// A torn last line was never a good event, so no index holds it: cutting
// it leaves an index in step alone instead of rebuilding it.
BOOST_AUTO_TEST_CASE(TornTailCutLeavesAnIndexInStepAlone) {
    stream_fixture fx(10);
    ids_index idx;
    (void)evlog::recover<config>(fx.paths, idx);
    evtest::write_file(fx.paths.log(), evtest::read_file(fx.paths.log()) + R"({"event_id":11,"str)");
    auto r = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST(r.report.repair.bytes_truncated > 0u);
    BOOST_TEST(r.report.index == evlog::index_action::none);
    BOOST_TEST(idx.rows().size() == 10u);
}

BOOST_AUTO_TEST_CASE(MidFileCorruptionStopsRecoveryNamingTheLine) {
    stream_fixture fx(10);
    auto bytes = evtest::read_file(fx.paths.log());
    bytes.insert(fx.ends[4], "garbage\n");
    evtest::write_file(fx.paths.log(), bytes);
    ids_index idx;
    try {
        evlog::recover<config>(fx.paths, idx);
        BOOST_FAIL("recovery accepted mid-file corruption");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.code() == evlog::errc::mid_file_corruption);
        BOOST_REQUIRE(e.where().has_value());
        BOOST_TEST(e.where()->line == 6u);
        BOOST_TEST(e.where()->offset == fx.ends[4]);
    }
    BOOST_TEST(evtest::read_file(fx.paths.log()) == bytes);
}

BOOST_AUTO_TEST_CASE(LiveWriterMakesRecoveryRefuseWithLogLocked) {
    stream_fixture fx(3);
    evlog::append_log<event> writer;
    writer.open(fx.paths.log());
    ids_index idx;
    try {
        evlog::recover<config>(fx.paths, idx);
        BOOST_FAIL("recovery ran beside a live writer");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.code() == evlog::errc::log_locked);
    }
}

BOOST_AUTO_TEST_CASE(RecoveringTwiceGivesIdenticalState) {
    stream_fixture fx(40);
    fx.save_snapshot(25, fx.ends[24]);
    ids_index idx;
    auto a = evlog::recover<config>(fx.paths, idx);
    auto b = evlog::recover<config>(fx.paths, idx);
    BOOST_TEST((a.state == b.state));
    BOOST_TEST((a.last_event_id == b.last_event_id));
    BOOST_TEST(b.report.index == evlog::index_action::none);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(StorageManager)

BOOST_AUTO_TEST_CASE(ListingSkipsPlainFilesAndNamesThatAreNotUlids) {
    evtest::temp_dir tmp;
    evlog::storage_manager home(tmp.path(), "specs");
    home.create_stream(evtest::stream_b);
    home.create_stream(evtest::stream_a);
    evtest::write_file(home.streams_root() / "README.txt", "stray");
    std::filesystem::create_directories(home.streams_root() / "not-a-ulid");
    std::filesystem::create_directories(home.streams_root() / evtest::stream_a.str().substr(1));
    auto list = home.list_streams();
    BOOST_TEST((list == std::vector<evlog::ulid>{evtest::stream_a, evtest::stream_b}));
}

BOOST_AUTO_TEST_CASE(CreateStreamLaysOutSnapshotsAndExports) {
    evtest::temp_dir tmp;
    evlog::storage_manager home(tmp.path(), "specs");
    auto p = home.create_stream(evtest::stream_a);
    BOOST_TEST((p.dir == tmp.path() / "specs" / evtest::stream_a.str()));
    BOOST_TEST(std::filesystem::is_directory(p.snapshots()));
    BOOST_TEST(std::filesystem::is_directory(p.exports()));
    BOOST_TEST(p.log().filename() == "events.jsonl");
    BOOST_TEST(p.index().filename() == "index.db");
    BOOST_TEST(home.get_stream(evtest::stream_a).has_value());
    BOOST_TEST(!home.get_stream(evtest::stream_b).has_value());
}

BOOST_AUTO_TEST_CASE(CreateStreamRetryAfterAFailedFsyncStillFsyncsTheParents) {
    // The failed call created the directories; the retry finds them there
    // and must not take their entries for durable.
    evtest::temp_dir tmp;
    evlog::fault_file ff;
    ff.fail_nth(evlog::file_op::fsync_dir, 1, EIO);
    evlog::basic_storage_manager<evlog::fault_file> home(tmp.path(), "specs", ff);
    BOOST_CHECK_THROW(home.create_stream(evtest::stream_a), evlog::error);
    ff.clear_trace();
    const auto p = home.create_stream(evtest::stream_a);
    std::set<std::filesystem::path> synced;
    for (const auto& c : ff.trace())
        if (c.op == evlog::file_op::fsync_dir && !c.result) synced.insert(c.path);
    BOOST_TEST((synced == std::set<std::filesystem::path>{tmp.path(), home.streams_root(), p.dir}));
}

BOOST_AUTO_TEST_CASE(RecoverAllGoesThroughTheManagersFilePolicyNotTheDefaultOne) {
    // A manager built over a File policy (a test's fault injector, a user's
    // instrumented or remote file layer) must not see recover_all() bypass it.
    evtest::temp_dir tmp;
    evlog::fault_file ff;
    evlog::basic_storage_manager<evlog::fault_file> home(tmp.path(), "specs", ff);
    const auto p = home.create_stream(evtest::stream_a);
    evtest::write_file(p.log(), evtest::line_of(evtest::make_note(1, "x", evtest::stream_a)));
    ff.clear_trace();
    auto all = evlog::recover_all<config>(home);
    BOOST_REQUIRE(all.size() == 1u);
    BOOST_REQUIRE(all[0].ok());
    const auto trace = ff.trace();
    BOOST_TEST(std::any_of(trace.begin(), trace.end(), [&](const auto& c) { return c.path == p.log(); }));

    ff.fail_from(evlog::file_op::open, ff.count(evlog::file_op::open) + 1, EACCES);
    all = evlog::recover_all<config>(home);
    BOOST_REQUIRE(all.size() == 1u);
    BOOST_TEST(!all[0].ok());
    BOOST_TEST((all[0].error == std::errc::permission_denied));
}

BOOST_AUTO_TEST_CASE(BrokenStreamsFolderIsAnEvlogErrorFromEveryCall) {
    // Not a std::filesystem::filesystem_error, which callers do not expect.
    evtest::temp_dir tmp;
    std::filesystem::create_directory_symlink(tmp.path() / "specs", tmp.path() / "specs"); // ELOOP
    evlog::storage_manager home(tmp.path(), "specs");
    auto error_of = [](auto&& f) -> std::optional<evlog::error> {
        try {
            f();
        } catch (const evlog::error& e) {
            return e;
        }
        return std::nullopt;
    };
    for (auto e : {error_of([&] { home.list_streams(); }), error_of([&] { (void)home.get_stream(evtest::stream_a); }),
                   error_of([&] { home.create_stream(evtest::stream_a); })}) {
        BOOST_REQUIRE(e.has_value());
        BOOST_TEST((e->code() == std::errc::too_many_symbolic_link_levels));
        BOOST_TEST(std::string(e->what()).find(home.streams_root().string()) != std::string::npos, e->what());
    }
}

BOOST_AUTO_TEST_CASE(MissingStreamsFolderListsNothing) {
    evtest::temp_dir tmp;
    evlog::storage_manager home(tmp.path() / "nowhere", "specs");
    BOOST_TEST(home.list_streams().empty());
}

BOOST_AUTO_TEST_CASE(NamesThatWouldEscapeHomeAreRejected) {
    for (const char* bad : {"../../etc", "..", "/etc/passwd", "01KF0HJ087AE67Z5NHCJZHQ5X/", ""}) {
        try {
            evlog::storage_manager::parse_stream_name(bad);
            BOOST_FAIL(std::string("accepted ") + bad);
        } catch (const evlog::error& e) {
            BOOST_TEST(e.code() == evlog::errc::invalid_name);
        }
    }
    for (const char* bad_folder : {"..", "a/b", "", "."}) {
        try {
            evlog::storage_manager home("/tmp", bad_folder);
            BOOST_FAIL(std::string("accepted streams folder ") + bad_folder);
        } catch (const evlog::error& e) {
            BOOST_TEST(e.code() == evlog::errc::invalid_name);
        }
    }
    BOOST_TEST((evlog::storage_manager::parse_stream_name("01kf0hj087ae67z5nhcjzhq5xv") == evtest::stream_a));
}

BOOST_AUTO_TEST_CASE(RecoverAllReportsEachFailureAndKeepsGoing) {
    evtest::temp_dir tmp;
    evlog::storage_manager home(tmp.path(), "specs");
    std::vector<evlog::ulid> ids;
    evlog::ulid_generator<> gen;
    for (int s = 0; s < 5; ++s) {
        auto id = gen.next();
        ids.push_back(id);
        auto p = home.create_stream(id);
        std::string bytes;
        for (std::uint64_t i = 1; i <= 5; ++i) bytes += evtest::line_of(evtest::make_note(i, "x", id));
        if (s == 2) bytes.insert(bytes.find('\n') + 1, "garbage\n");
        evtest::write_file(p.log(), bytes);
    }
    for (std::size_t threads : {1u, 3u}) {
        auto all = evlog::recover_all<config>(home, {.per_stream = {}, .threads = threads});
        BOOST_REQUIRE(all.size() == 5u);
        for (std::size_t s = 0; s < 5; ++s) {
            BOOST_TEST((all[s].stream == ids[s]));
            BOOST_TEST(all[s].ok() == (s != 2));
        }
        BOOST_TEST(all[2].error == evlog::errc::mid_file_corruption);
        BOOST_TEST(all[2].message.find("events.jsonl:2") != std::string::npos);
        BOOST_TEST(all[4].result->state.notes.size() == 5u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
