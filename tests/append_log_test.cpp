// The append log: ids, batches, reopening, the policy aliases, the writer
// lock, and how often each fsync policy calls fdatasync.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <span>
#include <set>
#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include <evlog/file/fault_file.hpp>

#include "support/log_test_util.hpp"
#include "support/test_events.hpp"

namespace fs = std::filesystem;
using evtest::ec_of;
using evtest::error_from;
using evtest::event;
using evtest::ids_of;
using evtest::make_note;
using evtest::note_line;

namespace {

template <class Fsync>
using fault_log = evlog::basic_append_log<event, Fsync, evlog::repair_truncate_tail, std::mutex, evlog::fault_file>;

std::size_t syncs(const evlog::fault_file& ff) { return ff.count(evlog::file_op::fdatasync); }

event note(std::uint64_t id) { return make_note(id, "note " + std::to_string(id)); }

/// A codec of the user's own, which can append to a std::string only (the
/// log's buffers are json::line_buffers), and which can be told to write
/// the line of one event id with a raw newline in it.
struct string_only_codec {
    evlog::json_codec<event> inner;
    static inline std::uint64_t broken_id = 0;

    void encode(const event& e, std::string& out) {
        inner.encode(e, out);
        if (e.id == broken_id) out.insert(out.size() - 1, "\n");
    }
    std::error_code decode(std::string_view line, event& e) { return inner.decode(line, e); }
    std::string_view error_detail() const noexcept { return inner.error_detail(); }
};

template <class Fsync>
using string_only_log = evlog::basic_append_log<event, Fsync, evlog::repair_truncate_tail, std::mutex,
                                                evlog::posix_file, string_only_codec>;

} // namespace

BOOST_AUTO_TEST_SUITE(AppendLog)

BOOST_AUTO_TEST_CASE(AppendWritesExactlyTheEncodedLine) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    BOOST_TEST(log.is_open());
    BOOST_TEST(log.path().string() == p.string());
    BOOST_TEST(!log.last_id().has_value());
    BOOST_TEST(log.append(note(1)) == 1u);
    BOOST_TEST(evtest::read_file(p) == note_line(1));
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(1));
    BOOST_TEST(log.end_offset() == note_line(1).size());
    BOOST_TEST(log.append(note(7)) == 7u); // gaps are fine; only order matters
    log.close();
    BOOST_TEST(!log.is_open());
    BOOST_TEST(evtest::read_file(p) == note_line(1) + note_line(7));
}

BOOST_AUTO_TEST_CASE(TextWithNewlinesStaysOnOneLine) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    const std::string text = "line one\nline two\r\n\"quoted\"\t\\ end";
    {
        evlog::append_log<event> log;
        log.open(p);
        log.append(make_note(1, text));
        log.append(make_note(2, "x"));
    }
    const std::string bytes = evtest::read_file(p);
    BOOST_TEST(std::count(bytes.begin(), bytes.end(), '\n') == 2);
    const auto all = evtest::read_all(p);
    BOOST_REQUIRE(all.size() == 2u);
    BOOST_TEST(evtest::note_text(all[0]) == text);
}

template <class Fsync>
void same_lines_through_a_string_only_codec() {
    evtest::temp_dir d;
    std::vector<event> batch{note(2), make_note(3, std::string(3000, 'x')), note(4)};
    string_only_log<Fsync> log;
    log.open(d / "events.jsonl");
    log.append(make_note(1, std::string(5000, 'y'))); // room left over, longer than the lines after it
    log.append(std::span<const event>(batch));
    log.append(note(5));
    log.close();
    BOOST_TEST(evtest::read_file(d / "events.jsonl") ==
               evtest::line_of(make_note(1, std::string(5000, 'y'))) + note_line(2) +
                   evtest::line_of(make_note(3, std::string(3000, 'x'))) + note_line(4) + note_line(5));
}

BOOST_AUTO_TEST_CASE(CodecThatAppendsOnlyToAStringWritesTheSameLines) {
    BOOST_TEST_CONTEXT("fsync_always") { same_lines_through_a_string_only_codec<evlog::fsync_always>(); }
    BOOST_TEST_CONTEXT("fsync_never") { same_lines_through_a_string_only_codec<evlog::fsync_never>(); }
    BOOST_TEST_CONTEXT("fsync_group") { same_lines_through_a_string_only_codec<evlog::fsync_group>(); }
}

template <class Fsync>
void raw_newline_refused() {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    string_only_log<Fsync> log;
    log.open(p);
    log.append(note(1));
    const std::string before = evtest::read_file(p);
    string_only_codec::broken_id = 3;
    std::vector<event> batch{note(2), note(3), note(4)};
    for (int single = 0; single < 2; ++single) {
        BOOST_TEST_CONTEXT((single ? "single" : "batch")) {
            auto e = error_from([&] {
                if (single) log.append(note(3));
                else log.append(std::span<const event>(batch));
            });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::bad_argument));
            BOOST_TEST(std::string(e->what()).find("raw newline") != std::string::npos);
            BOOST_TEST(evtest::read_file(p) == before); // not even the batch's good first event
            BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(1));
            BOOST_TEST(!log.poisoned());
        }
    }
    string_only_codec::broken_id = 0;
    BOOST_TEST(log.append(note(2)) == 2u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == note_line(1) + note_line(2));
}

BOOST_AUTO_TEST_CASE(LineWithARawNewlineIsRefusedAndNothingIsWritten) {
    // A codec that wrote one would split the event into two corrupt lines.
    BOOST_TEST_CONTEXT("fsync_always") { raw_newline_refused<evlog::fsync_always>(); }
    BOOST_TEST_CONTEXT("fsync_never") { raw_newline_refused<evlog::fsync_never>(); }
    BOOST_TEST_CONTEXT("fsync_group") { raw_newline_refused<evlog::fsync_group>(); }
}

BOOST_AUTO_TEST_CASE(PayloadTextWithARawNewlineIsRefusedByTheDefaultCodecNamingTheEvent) {
    // json_codec's writer looks for the newline, so the log need not.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::unsynced_log_st<event> log;
    log.open(p);
    log.append(note(1));
    event bad = note(3);
    bad.payload = evlog::unknown_payload{"Kept", "{\"type\":\"Kept\",\n\"a\":1}"};
    std::vector<event> batch{note(2), bad};
    auto e = error_from([&] { log.append(std::span<const event>(batch)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::bad_argument));
    BOOST_TEST(e->detail().rfind("event 3: ", 0) == 0, e->detail());
    BOOST_TEST(e->detail().find("raw newline") != std::string::npos, e->detail());
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(1));
    BOOST_TEST(log.append(note(2)) == 2u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == note_line(1) + note_line(2));
}

BOOST_AUTO_TEST_CASE(AppendNextAssignsConsecutiveIds) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    auto a = make_note(0, "note 1");
    BOOST_TEST(log.append_next(a) == 1u);
    BOOST_TEST(a.id == 1u);
    auto b = make_note(999, "note 2"); // whatever id it had is replaced
    BOOST_TEST(log.append_next(b) == 2u);
    BOOST_TEST(b.id == 2u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(2));
}

BOOST_AUTO_TEST_CASE(OpenRetryAfterAFailedDirectoryFsyncStillFsyncsTheEntriesItMade) {
    // The failed open created the log; the retry finds it there and must
    // not take its entry for durable.
    evtest::temp_dir d;
    const auto dir = d / "streams" / "a";
    std::filesystem::create_directories(dir);
    const auto p = dir / "events.jsonl";
    evlog::fault_file ff;
    // The second: the log's entry in its directory, after the directory's in its parent.
    ff.fail_nth(evlog::file_op::fsync_dir, 2, EIO);
    fault_log<evlog::fsync_always> log(ff);
    BOOST_CHECK_THROW(log.open(p), evlog::error);
    BOOST_TEST_REQUIRE(std::filesystem::exists(p));
    ff.clear_trace();
    log.open(p);
    std::set<std::filesystem::path> synced;
    for (const auto& c : ff.trace())
        if (c.op == evlog::file_op::fsync_dir && !c.result) synced.insert(c.path);
    BOOST_TEST((synced == std::set<std::filesystem::path>{d / "streams", dir}));
}

BOOST_AUTO_TEST_CASE(BatchAppendWritesEveryEventInOneWrite) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_always> log(ff);
    log.open(p);

    std::vector<event> batch{note(1), note(2), note(3)};
    const auto writes = ff.count(evlog::file_op::write);
    const auto syncs_before = syncs(ff);
    BOOST_TEST(log.append(std::span<const event>(batch)) == 3u);
    BOOST_TEST(ff.count(evlog::file_op::write) == writes + 1);
    BOOST_TEST(syncs(ff) == syncs_before + 1);
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(3));

    std::vector<event> next{make_note(0, "note 4"), make_note(0, "note 5")};
    BOOST_TEST(log.append_next(std::span<event>(next)) == 5u);
    BOOST_TEST(next[0].id == 4u);
    BOOST_TEST(next[1].id == 5u);
    BOOST_TEST(ff.count(evlog::file_op::write) == writes + 2);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(5));
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(5));
}

BOOST_AUTO_TEST_CASE(NonIncreasingIdIsRefusedAndWritesNothing) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    log.append(note(5));
    const std::string before = evtest::read_file(p);
    for (std::uint64_t bad : {5u, 4u, 1u}) {
        BOOST_TEST_CONTEXT("id " << bad) {
            auto e = error_from([&] { log.append(note(bad)); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::id_not_increasing));
            BOOST_TEST(evtest::read_file(p) == before);
            BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(5));
            BOOST_TEST(log.end_offset() == before.size());
            BOOST_TEST(!log.poisoned());
        }
    }
    // A batch out of order inside is refused whole, even its good first event.
    std::vector<event> batch{note(6), note(8), note(7)};
    auto e = error_from([&] { log.append(std::span<const event>(batch)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::id_not_increasing));
    BOOST_TEST(evtest::read_file(p) == before);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(5));
    BOOST_TEST(log.append(note(6)) == 6u);
}

BOOST_AUTO_TEST_CASE(FirstIdMustBeAtLeastOne) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    auto e = error_from([&] { log.append(note(0)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::id_not_increasing));
    BOOST_TEST(fs::file_size(p) == 0u);
    BOOST_TEST(!log.last_id().has_value());
    BOOST_TEST(log.append(note(1)) == 1u);
}

BOOST_AUTO_TEST_CASE(EmptyBatchIsABadArgument) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    auto e = error_from([&] { log.append(std::span<const event>()); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::bad_argument));
    BOOST_TEST(fs::file_size(p) == 0u);
}

BOOST_AUTO_TEST_CASE(AppendToAClosedLogIsLogClosed) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> never_opened;
    auto e = error_from([&] { never_opened.append(note(1)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::log_closed));

    evlog::append_log<event> log;
    log.open(p);
    log.append(note(1));
    log.close();
    auto e2 = error_from([&] { log.append(note(2)); });
    BOOST_REQUIRE(e2.has_value());
    BOOST_TEST(e2->code() == ec_of(evlog::errc::log_closed));
    auto e3 = error_from([&] { log.sync(); });
    BOOST_REQUIRE(e3.has_value());
    BOOST_TEST(e3->code() == ec_of(evlog::errc::log_closed));
    BOOST_TEST(evtest::read_file(p) == note_line(1));
    log.close(); // closing twice is harmless
}

BOOST_AUTO_TEST_CASE(OpeningAnOpenLogIsABadArgument) {
    evtest::temp_dir d;
    evlog::append_log<event> log;
    log.open(d / "a.jsonl");
    auto e = error_from([&] { log.open(d / "b.jsonl"); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::bad_argument));
    BOOST_TEST(log.path().string() == (d / "a.jsonl").string());
    BOOST_TEST(log.append(note(1)) == 1u);
    BOOST_TEST(evtest::read_file(d / "a.jsonl") == note_line(1));
}

BOOST_AUTO_TEST_CASE(ReopenLearnsLastIdAndEndOffset) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    {
        evlog::append_log<event> log;
        log.open(p);
        for (std::uint64_t i = 1; i <= 3; ++i) log.append(note(i));
    }
    evlog::append_log<event> log;
    const auto rep = log.open(p);
    BOOST_TEST(rep.events_kept == 3u);
    BOOST_TEST(!rep.changed());
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(3));
    BOOST_TEST(log.end_offset() == evtest::clean_log(3).size());
    BOOST_TEST(log.last_repair().events_kept == 3u);
    auto e = make_note(0, "note 4");
    BOOST_TEST(log.append_next(e) == 4u);
    auto dup = error_from([&] { log.append(note(3)); });
    BOOST_REQUIRE(dup.has_value());
    BOOST_TEST(dup->code() == ec_of(evlog::errc::id_not_increasing));

    // The same object can be closed and opened again.
    log.close();
    BOOST_TEST(log.open(p).events_kept == 4u);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(4));
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(4));
}

using policy_aliases =
    std::tuple<evlog::append_log<event>, evlog::append_log_st<event>, evlog::group_commit_log<event>,
               evlog::interval_log<event, 10>, evlog::unsynced_log<event>, evlog::unsynced_log_st<event>,
               evlog::append_log<event, evlog::repair_strict>, evlog::group_commit_log<event, evlog::repair_quarantine>,
               evlog::interval_log<event, 10, evlog::repair_skip>>;

BOOST_AUTO_TEST_CASE_TEMPLATE(EveryPolicyAliasAppendsReopensAndReplays, Log, policy_aliases) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    {
        Log log;
        log.open(p);
        for (std::uint64_t i = 1; i <= 3; ++i) BOOST_TEST(log.append(note(i)) == i);
        std::vector<event> batch{make_note(0, "note 4"), make_note(0, "note 5")};
        BOOST_TEST(log.append_next(std::span<event>(batch)) == 5u);
        log.sync();
        log.close();
    }
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(5));
    {
        Log log;
        BOOST_TEST(log.open(p).events_kept == 5u);
        auto e = make_note(0, "note 6");
        BOOST_TEST(log.append_next(e) == 6u);
        // no close(): the destructor closes
    }
    BOOST_TEST(ids_of(evtest::read_all(p)) == evtest::iota_ids(1, 6), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(BarePathInTheCurrentDirectoryOpensRepairsAndRewrites) {
    // "events.jsonl" has an empty parent_path(): directory creation and fsync must treat it as ".".
    evtest::temp_dir d;
    struct cwd_guard {
        fs::path old = fs::current_path();
        ~cwd_guard() { fs::current_path(old); }
    } guard;
    fs::current_path(d.path());
    const fs::path p = "events.jsonl";
    {
        evlog::append_log<event> log;
        log.open(p);
        log.append(note(1));
    }
    BOOST_TEST(evtest::read_file(d / "events.jsonl") == note_line(1));

    evtest::write_file(d / "events.jsonl", note_line(1) + "garbage\n" + note_line(2) + "torn");
    {
        evlog::append_log<event, evlog::repair_quarantine> log;
        const auto& rep = log.open(p);
        BOOST_TEST(rep.rewritten);
        BOOST_TEST(rep.quarantined.size() == 2u);
        log.append(note(3));
    }
    BOOST_TEST(evtest::read_file(d / "events.jsonl") == evtest::clean_log(3));
    BOOST_TEST(fs::exists(d / "events.jsonl.quarantine"));

    evtest::write_file(d / "events.jsonl", evtest::clean_log(3) + "torn");
    BOOST_TEST(evlog::repair<event>(p).bytes_truncated == 4u);
    BOOST_TEST(evtest::read_file(d / "events.jsonl") == evtest::clean_log(3));
}

BOOST_AUTO_TEST_CASE(SecondWriterOnTheSamePathGetsLogLocked) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> first;
    first.open(p);
    first.append(note(1));

    evlog::append_log<event> second;
    auto e = error_from([&] { second.open(p); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::log_locked));
    BOOST_TEST(evtest::what_names(*e, p), e->what());
    BOOST_TEST(!second.is_open());

    // Another policy type is refused the same way, and the holder is undisturbed.
    evlog::unsynced_log<event, evlog::repair_quarantine> third;
    auto e3 = error_from([&] { third.open(p); });
    BOOST_REQUIRE(e3.has_value());
    BOOST_TEST(e3->code() == ec_of(evlog::errc::log_locked));
    BOOST_TEST(first.append(note(2)) == 2u);
    first.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(2));
}

BOOST_AUTO_TEST_CASE(FreeRepairWhileALogIsOpenGetsLogLocked) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    log.append(note(1));
    for (int i = 0; i < 2; ++i) {
        auto e = i == 0 ? error_from([&] { evlog::repair<event>(p); })
                        : error_from([&] { evlog::repair<event, evlog::repair_quarantine>(p); });
        BOOST_REQUIRE(e.has_value());
        BOOST_TEST(e->code() == ec_of(evlog::errc::log_locked));
    }
    BOOST_TEST(log.append(note(2)) == 2u);
}

BOOST_AUTO_TEST_CASE(ClosingOrDestroyingReleasesTheLock) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    {
        evlog::append_log<event> log;
        log.open(p);
        log.append(note(1));
        log.close();
        evlog::append_log<event> next;
        BOOST_TEST(next.open(p).events_kept == 1u);
        next.append(note(2));
        // destroyed without close()
    }
    BOOST_TEST(evlog::repair<event>(p).events_kept == 2u);
    evlog::append_log<event> last;
    BOOST_TEST(last.open(p).events_kept == 2u);

    // A failed open (here: locked) does not leave a lock behind either.
    evlog::append_log<event> refused;
    BOOST_CHECK_THROW(refused.open(p), evlog::error);
    last.close();
    BOOST_TEST(refused.open(p).events_kept == 2u);
}

BOOST_AUTO_TEST_CASE(FsyncAlwaysCallsFdatasyncOncePerAppend) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_log<evlog::fsync_always> log(ff);
    log.open(d / "events.jsonl");
    const auto base = syncs(ff);
    for (std::uint64_t i = 1; i <= 10; ++i) {
        log.append(note(i));
        BOOST_TEST(syncs(ff) == base + i);
    }
    std::vector<event> batch{note(11), note(12), note(13)};
    log.append(std::span<const event>(batch));
    BOOST_TEST(syncs(ff) == base + 11);
    // A refused append syncs nothing.
    BOOST_CHECK_THROW(log.append(note(1)), evlog::error);
    BOOST_TEST(syncs(ff) == base + 11);
}

BOOST_AUTO_TEST_CASE(FsyncNeverCallsNoFdatasyncDuringAppends) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_log<evlog::fsync_never> log(ff);
    log.open(d / "events.jsonl");
    const auto base = syncs(ff);
    for (std::uint64_t i = 1; i <= 50; ++i) log.append(note(i));
    BOOST_TEST(syncs(ff) == base);
    // close() makes it durable once.
    log.close();
    BOOST_TEST(syncs(ff) == base + 1);
    BOOST_TEST(evtest::read_file(d / "events.jsonl") == evtest::clean_log(50));
}

BOOST_AUTO_TEST_CASE(SyncCallsFdatasyncUnderFsyncNever) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_log<evlog::fsync_never> log(ff);
    log.open(d / "events.jsonl");
    log.append(note(1));
    const auto base = syncs(ff);
    log.sync();
    BOOST_TEST(syncs(ff) == base + 1);
    log.sync();
    BOOST_TEST(syncs(ff) == base + 2);
    BOOST_TEST(!log.poisoned());
}

BOOST_AUTO_TEST_CASE(FsyncIntervalFlushesInTheBackground) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_log<evlog::fsync_interval<20>> log(ff);
    log.open(d / "events.jsonl");
    const auto base = syncs(ff);
    log.append(note(1));
    // The append itself does not sync; the flusher does, soon after.
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (syncs(ff) == base && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    BOOST_TEST(syncs(ff) > base, "the background flusher never called fdatasync");
    log.close(); // stops the flusher promptly
    BOOST_TEST(!log.is_open());
    BOOST_TEST(evtest::read_file(d / "events.jsonl") == note_line(1));
}

BOOST_AUTO_TEST_SUITE_END()
