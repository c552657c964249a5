// Repair of damaged logs: every kind of damage under every repair policy,
// through both the free evlog::repair() and basic_append_log::open().
#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <unistd.h>

#include <evlog/file/fault_file.hpp>

#include "support/log_test_util.hpp"
#include "support/test_events.hpp"

namespace fs = std::filesystem;
using evtest::event;

namespace {

using evtest::check_where;
using evtest::ec_of;
using evtest::error_from;
using evtest::ids_of;
using evtest::note_text;
using evtest::parse_quarantine;

fs::path qpath(const fs::path& log) { return evlog::quarantine_path(log); }
fs::path tmppath(const fs::path& log) { return evtest::rewrite_temp_path(log); }

enum class via { function, open };
const char* name(via v) { return v == via::function ? "evlog::repair()" : "basic_append_log::open()"; }
constexpr via both_ways[] = {via::function, via::open};

template <class P>
const char* policy_name() {
    switch (P::mode) {
    case evlog::repair_mode::strict: return "repair_strict";
    case evlog::repair_mode::truncate_tail: return "repair_truncate_tail";
    case evlog::repair_mode::quarantine: return "repair_quarantine";
    case evlog::repair_mode::skip: return "repair_skip";
    }
    return "?";
}

template <class P>
evlog::repair_report run_repair(via how, const fs::path& p,
                                std::size_t max_line = evlog::format::default_max_line_bytes) {
    if (how == via::function) return evlog::repair<event, P>(p, evlog::repair_options{max_line});
    evlog::append_log<event, P> log;
    evlog::repair_report rep = log.open(p, evlog::append_log_options{max_line});
    BOOST_TEST(log.last_id() == rep.last_id);
    BOOST_TEST(log.end_offset() == rep.end_offset);
    log.close();
    return rep;
}

/// Calls f.template operator()<P>() for each repair policy.
template <class F>
void for_each_policy(F&& f) {
    f.template operator()<evlog::repair_strict>();
    f.template operator()<evlog::repair_truncate_tail>();
    f.template operator()<evlog::repair_quarantine>();
    f.template operator()<evlog::repair_skip>();
}

std::string line_n(std::uint64_t id) { return evtest::line_of(evtest::make_note(id, "note " + std::to_string(id))); }

const std::string garbage = "this line is not JSON at all {{{\n";

/// Lines 1,2 clean, line 3 garbage, lines 4,5 clean (ids 3,4).
struct mid_garbage {
    std::string before = line_n(1) + line_n(2);
    std::string after = line_n(3) + line_n(4);
    std::string bytes() const { return before + garbage + after; }
};

} // namespace

BOOST_AUTO_TEST_SUITE(Repair)

// ------------------------------------------------------------------ torn tail

BOOST_AUTO_TEST_CASE(TornLastLineIsCutAndKeptInQuarantine) {
    const std::string clean = evtest::clean_log(3);
    const std::string torn = line_n(4).substr(0, 57);
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, clean + torn);
            const auto rep = run_repair<evlog::repair_truncate_tail>(how, p);
            BOOST_TEST(rep.bytes_truncated == torn.size());
            BOOST_TEST(rep.changed());
            BOOST_TEST(!rep.rewritten);
            BOOST_TEST(rep.events_kept == 3u);
            BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(3));
            BOOST_TEST(rep.end_offset == clean.size());
            BOOST_TEST(evtest::read_file(p) == clean);
            BOOST_REQUIRE(rep.quarantine_file.has_value());
            BOOST_TEST(rep.quarantine_file->string() == qpath(p).string());
            BOOST_REQUIRE(rep.quarantined.size() == 1u);
            BOOST_TEST(rep.quarantined[0].line == 4u);
            BOOST_TEST(rep.quarantined[0].offset == clean.size());
            BOOST_TEST(rep.quarantined[0].length == torn.size());
            BOOST_TEST(rep.quarantined[0].reason == ec_of(evlog::errc::torn_line));

            const auto recs = parse_quarantine(evtest::read_file(qpath(p)));
            BOOST_REQUIRE(recs.size() == 1u);
            BOOST_TEST(recs[0].line == 4u);
            BOOST_TEST(recs[0].offset == clean.size());
            BOOST_TEST(recs[0].length == torn.size());
            BOOST_TEST(recs[0].reason == "torn_line");
            BOOST_TEST(recs[0].bytes == torn);
            BOOST_TEST(!fs::exists(tmppath(p)));
        }
    }
}

BOOST_AUTO_TEST_CASE(TornLastLineIsCutByTheDefaultPolicyAndTheLogAppendsAfterIt) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    const std::string clean = evtest::clean_log(2);
    evtest::write_file(p, clean + line_n(3).substr(0, 20));
    const auto rep = evlog::repair<event>(p); // default policy: truncate_tail
    BOOST_TEST(rep.bytes_truncated == 20u);
    BOOST_TEST(evtest::read_file(p) == clean);

    // A second repair finds nothing to do and does not grow the quarantine file.
    const std::string q = evtest::read_file(qpath(p));
    const auto again = evlog::repair<event>(p);
    BOOST_TEST(!again.changed());
    BOOST_TEST(again.quarantined.empty());
    BOOST_TEST(evtest::read_file(qpath(p)) == q);

    evlog::append_log<event> log;
    log.open(p);
    auto e = evtest::make_note(0, "note 3");
    BOOST_TEST(log.append_next(e) == 3u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(3));
}

BOOST_AUTO_TEST_CASE(TornLastLineIsAnErrorUnderStrictAndTheFileIsUnchanged) {
    const std::string clean = evtest::clean_log(3);
    const std::string bytes = clean + line_n(4).substr(0, 57);
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, bytes);
            auto e = error_from([&] { run_repair<evlog::repair_strict>(how, p); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::torn_line));
            check_where(*e, p, 4, clean.size());
            BOOST_TEST(evtest::read_file(p) == bytes);
            BOOST_TEST(!fs::exists(qpath(p)));
            // The refused open released its lock: another policy can repair the file.
            BOOST_TEST(evlog::repair<event>(p).bytes_truncated == 57u);
        }
    }
}

BOOST_AUTO_TEST_CASE(TornLastLineIsQuarantinedUnderQuarantineAndListedUnderSkip) {
    const std::string clean = evtest::clean_log(3);
    const std::string torn = line_n(4).substr(0, 33);
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, clean + torn);
            const auto rep = run_repair<evlog::repair_quarantine>(how, p);
            BOOST_TEST(rep.rewritten);
            BOOST_TEST(rep.events_kept == 3u);
            BOOST_TEST(rep.end_offset == clean.size());
            BOOST_TEST(evtest::read_file(p) == clean);
            const auto recs = parse_quarantine(evtest::read_file(qpath(p)));
            BOOST_REQUIRE(recs.size() == 1u);
            BOOST_TEST(recs[0].bytes == torn);
            BOOST_TEST(recs[0].reason == "torn_line");
            BOOST_TEST(!fs::exists(tmppath(p)));
        }
        BOOST_TEST_CONTEXT(name(how) << " skip") {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, clean + torn);
            const auto rep = run_repair<evlog::repair_skip>(how, p);
            BOOST_TEST(!rep.changed());
            BOOST_TEST(rep.events_kept == 3u);
            BOOST_REQUIRE(rep.skipped.size() == 1u);
            BOOST_TEST(rep.skipped[0].line == 4u);
            BOOST_TEST(rep.skipped[0].offset == clean.size());
            BOOST_TEST(rep.skipped[0].length == torn.size());
            BOOST_TEST(rep.skipped[0].reason == ec_of(evlog::errc::torn_line));
            BOOST_TEST(evtest::read_file(p) == clean + torn);
            BOOST_TEST(!fs::exists(qpath(p)));
        }
    }
}

// ------------------------------------------------------------------ NUL run

BOOST_AUTO_TEST_CASE(NulRunAtEndIsCutWithReasonNulBytes) {
    const std::string clean = evtest::clean_log(3);
    const std::string nuls(4096, '\0');
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, clean + nuls);
            const auto rep = run_repair<evlog::repair_truncate_tail>(how, p);
            BOOST_TEST(rep.bytes_truncated == 4096u);
            BOOST_TEST(rep.events_kept == 3u);
            BOOST_TEST(evtest::read_file(p) == clean);
            BOOST_REQUIRE(rep.quarantined.size() == 1u);
            BOOST_TEST(rep.quarantined[0].reason == ec_of(evlog::errc::nul_bytes));
            const auto recs = parse_quarantine(evtest::read_file(qpath(p)));
            BOOST_REQUIRE(recs.size() == 1u);
            BOOST_TEST(recs[0].reason == "nul_bytes");
            BOOST_TEST(recs[0].line == 4u);
            BOOST_TEST(recs[0].offset == clean.size());
            BOOST_TEST(recs[0].length == 4096u);
            BOOST_TEST(recs[0].bytes == nuls);
        }
        BOOST_TEST_CONTEXT(name(how) << " strict") {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, clean + nuls);
            auto e = error_from([&] { run_repair<evlog::repair_strict>(how, p); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::nul_bytes));
            check_where(*e, p, 4, clean.size());
            BOOST_TEST(evtest::read_file(p) == clean + nuls);
        }
    }
}

BOOST_AUTO_TEST_CASE(FileOfOnlyNulBytesIsCutToEmptyAndAppendsFromIdOne) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, std::string(8192, '\0'));
    evlog::append_log<event> log;
    const auto rep = log.open(p);
    BOOST_TEST(rep.bytes_truncated == 8192u);
    BOOST_TEST(rep.end_offset == 0u);
    BOOST_TEST(!rep.last_id.has_value());
    BOOST_TEST(fs::file_size(p) == 0u);
    auto e = evtest::make_note(0, "note 1");
    BOOST_TEST(log.append_next(e) == 1u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == line_n(1)); // no stray newline in front
}

BOOST_AUTO_TEST_CASE(SeveralNulRunsAtTheEndAreCutTogether) {
    // NUL runs separated by a newline are one tail: a bad line followed only by NUL runs is not mid-file.
    const std::string clean = evtest::clean_log(2);
    const std::string tail = std::string(100, '\0') + "\n" + std::string(50, '\0');
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, clean + tail);
    const auto rep = evlog::repair<event, evlog::repair_truncate_tail>(p);
    BOOST_TEST(rep.bytes_truncated == tail.size());
    BOOST_TEST(evtest::read_file(p) == clean);
    const auto recs = parse_quarantine(evtest::read_file(qpath(p)));
    BOOST_REQUIRE(recs.size() == 1u);
    BOOST_TEST(recs[0].bytes == tail);
}

// ------------------------------------------------------------------ missing final newline

BOOST_AUTO_TEST_CASE(MissingFinalNewlineIsValidUnderEveryPolicy) {
    const std::string clean = evtest::clean_log(2);
    std::string last = line_n(3);
    last.pop_back();
    for (via how : both_ways) {
        for_each_policy([&]<class P>() {
            BOOST_TEST_CONTEXT(name(how) << " " << policy_name<P>()) {
                evtest::temp_dir d;
                const auto p = d / "events.jsonl";
                evtest::write_file(p, clean + last);
                const auto rep = run_repair<P>(how, p);
                BOOST_TEST(!rep.changed());
                BOOST_TEST(rep.bytes_truncated == 0u);
                BOOST_TEST(rep.events_kept == 3u);
                BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(3));
                BOOST_TEST(rep.end_offset == clean.size() + last.size());
                BOOST_TEST(rep.quarantined.empty());
                BOOST_TEST(rep.skipped.empty());
                BOOST_TEST(evtest::read_file(p) == clean + last);
                BOOST_TEST(!fs::exists(qpath(p)));
            }
        });
    }
}

template <class Log>
void append_after_missing_newline() {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    std::string bytes = evtest::clean_log(2);
    bytes.pop_back();
    evtest::write_file(p, bytes);
    Log log;
    log.open(p);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(2));
    auto e = evtest::make_note(0, "note 3");
    BOOST_TEST(log.append_next(e) == 3u);
    BOOST_TEST(log.end_offset() == evtest::clean_log(3).size());
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(3));
    BOOST_TEST(ids_of(evtest::read_all(p)) == (std::vector<std::uint64_t>{1, 2, 3}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(AppendAfterMissingFinalNewlineWritesTheNewlineFirst) {
    BOOST_TEST_CONTEXT("append_log") { append_after_missing_newline<evlog::append_log<event>>(); }
    BOOST_TEST_CONTEXT("append_log_st") { append_after_missing_newline<evlog::append_log_st<event>>(); }
    BOOST_TEST_CONTEXT("group_commit_log") { append_after_missing_newline<evlog::group_commit_log<event>>(); }
    BOOST_TEST_CONTEXT("unsynced_log") { append_after_missing_newline<evlog::unsynced_log<event>>(); }
    BOOST_TEST_CONTEXT("interval_log") { append_after_missing_newline<evlog::interval_log<event, 10>>(); }
    BOOST_TEST_CONTEXT("strict") {
        append_after_missing_newline<evlog::append_log<event, evlog::repair_strict>>();
    }
}

// ------------------------------------------------------------------ garbage in the middle

BOOST_AUTO_TEST_CASE(GarbageMiddleLineIsAnErrorUnderStrict) {
    const mid_garbage m;
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, m.bytes());
            auto e = error_from([&] { run_repair<evlog::repair_strict>(how, p); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::malformed_line));
            check_where(*e, p, 3, m.before.size());
            BOOST_TEST(evtest::read_file(p) == m.bytes());
        }
    }
}

BOOST_AUTO_TEST_CASE(GarbageMiddleLineIsMidFileCorruptionUnderTruncateTail) {
    const mid_garbage m;
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, m.bytes());
            auto e = error_from([&] { run_repair<evlog::repair_truncate_tail>(how, p); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::mid_file_corruption));
            check_where(*e, p, 3, m.before.size());
            BOOST_TEST(evtest::read_file(p) == m.bytes());
            BOOST_TEST(!fs::exists(qpath(p)));
        }
    }
}

BOOST_AUTO_TEST_CASE(TornTailAfterGarbageMiddleLineIsStillMidFileCorruption) {
    const mid_garbage m;
    const std::string bytes = m.bytes() + line_n(5).substr(0, 30);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    auto e = error_from([&] { evlog::repair<event, evlog::repair_truncate_tail>(p); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::mid_file_corruption));
    check_where(*e, p, 3, m.before.size());
    BOOST_TEST(evtest::read_file(p) == bytes);
}

BOOST_AUTO_TEST_CASE(GarbageLineThenTornTailWithNoGoodLineBetweenIsCutWholeAndQuarantined) {
    // No good line follows the first bad one, so this is a damaged tail, not mid-file corruption.
    const std::string clean = evtest::clean_log(3);
    const std::string tail = "garbage\n" + line_n(4).substr(0, 30);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, clean + tail);
    const auto rep = evlog::repair<event, evlog::repair_truncate_tail>(p);
    BOOST_TEST(rep.bytes_truncated == tail.size());
    BOOST_TEST(rep.events_kept == 3u);
    BOOST_TEST(evtest::read_file(p) == clean);
    const auto q = parse_quarantine(evtest::read_file(qpath(p)));
    BOOST_REQUIRE(q.size() == 1u);
    BOOST_TEST(q[0].offset == clean.size());
    BOOST_TEST(q[0].bytes == tail);
    // Replay under the same policy ignores such a tail before any repair.
    evtest::write_file(p, clean + tail);
    const auto r = evlog::replay<event, evlog::repair_truncate_tail>(p, [](const event&) {});
    BOOST_TEST(r.events == 3u);
    BOOST_TEST(r.ignored_tail_bytes == tail.size());
}

BOOST_AUTO_TEST_CASE(GarbageMiddleLineIsMovedToQuarantineAndTheLogRewritten) {
    const mid_garbage m;
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, m.bytes());
            const auto rep = run_repair<evlog::repair_quarantine>(how, p);
            BOOST_TEST(rep.rewritten);
            BOOST_TEST(rep.changed());
            BOOST_TEST(rep.events_kept == 4u);
            BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(4));
            BOOST_TEST(rep.end_offset == m.before.size() + m.after.size());
            BOOST_REQUIRE(rep.quarantined.size() == 1u);
            BOOST_TEST(rep.quarantined[0].line == 3u);
            BOOST_TEST(rep.quarantined[0].offset == m.before.size());
            BOOST_TEST(rep.quarantined[0].length == garbage.size());
            BOOST_TEST(rep.quarantined[0].reason == ec_of(evlog::errc::malformed_line));

            BOOST_TEST(evtest::read_file(p) == m.before + m.after);
            BOOST_TEST(ids_of(evtest::read_all(p)) == (std::vector<std::uint64_t>{1, 2, 3, 4}),
                       boost::test_tools::per_element());
            const auto recs = parse_quarantine(evtest::read_file(qpath(p)));
            BOOST_REQUIRE(recs.size() == 1u);
            BOOST_TEST(recs[0].line == 3u);
            BOOST_TEST(recs[0].offset == m.before.size());
            BOOST_TEST(recs[0].length == garbage.size());
            BOOST_TEST(recs[0].reason == "malformed_line");
            BOOST_TEST(recs[0].bytes == garbage);
            BOOST_TEST(!fs::exists(tmppath(p)));
        }
    }
}

BOOST_AUTO_TEST_CASE(SeveralBadLinesAreEachQuarantinedByteForByte) {
    // Bad lines of several kinds, one with embedded NULs and a CR, one torn at the end.
    const std::string l1 = line_n(1), l2 = line_n(2), l3 = line_n(3);
    const std::string bad1 = std::string("x\0y\rz", 5) + "\n";
    std::string bad2 = line_n(9);
    bad2.replace(bad2.find("01KF0HJ087AE67Z5NHCJZHQ5XV"), 26, "not-a-ulid");
    const std::string bad3 = line_n(4).substr(0, 41);
    const std::string bytes = l1 + bad1 + l2 + bad2 + l3 + bad3;
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    const auto rep = evlog::repair<event, evlog::repair_quarantine>(p);
    BOOST_TEST(evtest::read_file(p) == l1 + l2 + l3);
    BOOST_TEST(rep.end_offset == (l1 + l2 + l3).size());
    const auto recs = parse_quarantine(evtest::read_file(qpath(p)));
    BOOST_REQUIRE(recs.size() == 3u);
    BOOST_TEST(recs[0].line == 2u);
    BOOST_TEST(recs[0].offset == l1.size());
    BOOST_TEST(recs[0].bytes == bad1);
    BOOST_TEST(recs[0].reason == "malformed_line");
    BOOST_TEST(recs[1].line == 4u);
    BOOST_TEST(recs[1].offset == (l1 + bad1 + l2).size());
    BOOST_TEST(recs[1].bytes == bad2);
    BOOST_TEST(recs[1].reason == "invalid_ulid");
    BOOST_TEST(recs[2].line == 6u);
    BOOST_TEST(recs[2].bytes == bad3);
    BOOST_TEST(recs[2].reason == "torn_line");

    // Records accumulate: a later repair appends, it never rewrites earlier records.
    evtest::write_file(p, l1 + l2 + l3 + garbage);
    evlog::repair<event, evlog::repair_quarantine>(p);
    const auto more = parse_quarantine(evtest::read_file(qpath(p)));
    BOOST_REQUIRE(more.size() == 4u);
    BOOST_TEST(more[0].bytes == bad1);
    BOOST_TEST(more[3].bytes == garbage);
}

BOOST_AUTO_TEST_CASE(QuarantineRewriteOfAPrivateLogLeavesItAndItsQuarantinePrivate) {
    // A log kept 0600 holds data its owner keeps from other users; neither
    // the rewritten log nor the quarantine holding its bad lines may open it up.
    namespace fs = std::filesystem;
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, line_n(1) + garbage + line_n(2));
    fs::permissions(p, fs::perms::owner_read | fs::perms::owner_write);
    const auto rep = evlog::repair<event, evlog::repair_quarantine>(p);
    BOOST_REQUIRE(rep.rewritten);
    BOOST_TEST(evtest::read_file(p) == line_n(1) + line_n(2));
    const auto private_bits = fs::perms::owner_read | fs::perms::owner_write;
    BOOST_TEST((fs::status(p).permissions() == private_bits));
    BOOST_TEST((fs::status(qpath(p)).permissions() == private_bits));
}

BOOST_AUTO_TEST_CASE(QuarantineRewriteKeepsTheLockOnTheNewFile) {
    const mid_garbage m;
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, m.bytes());
    evlog::append_log<event, evlog::repair_quarantine> log;
    BOOST_TEST(log.open(p).rewritten);

    // The lock must be on the file that now has the name, not the replaced one.
    evlog::append_log<event, evlog::repair_quarantine> second;
    auto e = error_from([&] { second.open(p); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::log_locked));
    auto r = error_from([&] { evlog::repair<event>(p); });
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->code() == ec_of(evlog::errc::log_locked));

    // Appends land in the new file.
    auto ev = evtest::make_note(0, "note 5");
    BOOST_TEST(log.append_next(ev) == 5u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == m.before + m.after + line_n(5));
}

BOOST_AUTO_TEST_CASE(GarbageMiddleLineIsListedAndLeftInPlaceUnderSkip) {
    const mid_garbage m;
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, m.bytes());
            const auto rep = run_repair<evlog::repair_skip>(how, p);
            BOOST_TEST(!rep.changed());
            BOOST_TEST(rep.events_kept == 4u);
            BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(4));
            BOOST_TEST(rep.end_offset == m.bytes().size());
            BOOST_TEST(rep.quarantined.empty());
            BOOST_REQUIRE(rep.skipped.size() == 1u);
            BOOST_TEST(rep.skipped[0].line == 3u);
            BOOST_TEST(rep.skipped[0].offset == m.before.size());
            BOOST_TEST(rep.skipped[0].length == garbage.size());
            BOOST_TEST(rep.skipped[0].reason == ec_of(evlog::errc::malformed_line));
            BOOST_TEST(evtest::read_file(p) == m.bytes());
            BOOST_TEST(!fs::exists(qpath(p)));

            std::vector<std::uint64_t> seen;
            const auto rr = evlog::replay<event, evlog::repair_skip>(p, [&](const event& e) { seen.push_back(e.id); });
            BOOST_TEST(rr.skipped == 1u);
            BOOST_TEST(rr.events == 4u);
            BOOST_TEST(seen == (std::vector<std::uint64_t>{1, 2, 3, 4}), boost::test_tools::per_element());
        }
    }
}

// ------------------------------------------------------------------ lines readers must accept

BOOST_AUTO_TEST_CASE(BlankWhitespaceAndCrlfLinesAreAcceptedUnderStrict) {
    auto crlf = [](std::string l) {
        l.insert(l.size() - 1, "\r");
        return l;
    };
    const std::string bytes = "\n" + line_n(1) + "   \t \n" + crlf(line_n(2)) + "\r\n" + crlf(line_n(3)) + "\n \n" +
                              line_n(4) + "\t\n";
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, bytes);
            const auto rep = run_repair<evlog::repair_strict>(how, p);
            BOOST_TEST(!rep.changed());
            BOOST_TEST(rep.events_kept == 4u);
            BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(4));
            BOOST_TEST(rep.end_offset == bytes.size());
            BOOST_TEST(evtest::read_file(p) == bytes);
            const auto all = evtest::read_all(p);
            BOOST_TEST(ids_of(all) == (std::vector<std::uint64_t>{1, 2, 3, 4}), boost::test_tools::per_element());
            BOOST_REQUIRE(all.size() == 4u);
            BOOST_TEST(note_text(all[1]) == "note 2"); // the CR is not part of the line
        }
    }
    // And the log appends after them with nothing lost.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    evlog::append_log<event, evlog::repair_strict> log;
    log.open(p);
    auto e = evtest::make_note(0, "note 5");
    BOOST_TEST(log.append_next(e) == 5u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == bytes + line_n(5));
}

// ------------------------------------------------------------------ unknown payload

namespace {
// Odd spacing and a number spelled 1.50 inside the payload: a re-serialization would change them.
const std::string unknown_line =
    R"({"event_id":2,"stream_id":"01KF0HJ087AE67Z5NHCJZHQ5XV","timestamp":"2026-01-15T10:00:01.623456Z",)"
    R"("payload":{"type":"FromTheFuture", "n": 1.50,"list":[1, {"k":"v\"}"} ],"u":"\u00e9"}})"
    "\n";
} // namespace

BOOST_AUTO_TEST_CASE(UnknownPayloadTypeIsKeptUnderEveryPolicy) {
    const std::string bytes = line_n(1) + unknown_line + line_n(3);
    for (via how : both_ways) {
        for_each_policy([&]<class P>() {
            BOOST_TEST_CONTEXT(name(how) << " " << policy_name<P>()) {
                evtest::temp_dir d;
                const auto p = d / "events.jsonl";
                evtest::write_file(p, bytes);
                const auto rep = run_repair<P>(how, p);
                BOOST_TEST(!rep.changed());
                BOOST_TEST(rep.events_kept == 3u);
                BOOST_TEST(rep.unknown == 1u);
                BOOST_TEST(rep.skipped.empty());
                BOOST_TEST(rep.quarantined.empty());
                BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(3));
                BOOST_TEST(evtest::read_file(p) == bytes);
            }
        });
    }
}

BOOST_AUTO_TEST_CASE(UnknownPayloadSurvivesAnAppendLogRoundTripByteForByte) {
    evtest::temp_dir d;
    const auto src = d / "src.jsonl";
    const auto dst = d / "dst.jsonl";
    evtest::write_file(src, line_n(1) + unknown_line);

    // Appending after it leaves its bytes alone.
    {
        evlog::append_log<event> log;
        BOOST_TEST(log.open(src).unknown == 1u);
        auto e = evtest::make_note(0, "note 3");
        BOOST_TEST(log.append_next(e) == 3u);
    }
    BOOST_TEST(evtest::read_file(src) == line_n(1) + unknown_line + line_n(3));

    // Read back and written into another log, the line is the same bytes.
    const auto all = evtest::read_all(src);
    BOOST_REQUIRE(all.size() == 3u);
    BOOST_TEST(all[1].is_unknown());
    BOOST_TEST(all[1].type_name() == "FromTheFuture");
    {
        evlog::append_log<event> log;
        log.open(dst);
        for (const auto& e : all) log.append(e);
    }
    BOOST_TEST(evtest::read_file(dst) == evtest::read_file(src));
}

// ------------------------------------------------------------------ lines that parse but are bad

BOOST_AUTO_TEST_CASE(InvalidUlidInStreamIdIsABadLine) {
    std::string bad = line_n(2);
    bad.replace(bad.find("01KF0HJ087AE67Z5NHCJZHQ5XV"), 26, "01KF0HJ087AE67Z5NHCJZHQ5XU"); // U is not Crockford
    const std::string bytes = line_n(1) + bad + line_n(3);
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, bytes);
            auto e = error_from([&] { run_repair<evlog::repair_strict>(how, p); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::invalid_ulid));
            check_where(*e, p, 2, line_n(1).size());
            BOOST_TEST(e->detail().find("stream_id") != std::string::npos, e->detail());

            const auto rep = run_repair<evlog::repair_skip>(how, p);
            BOOST_REQUIRE(rep.skipped.size() == 1u);
            BOOST_TEST(rep.skipped[0].line == 2u);
            BOOST_TEST(rep.skipped[0].reason == ec_of(evlog::errc::invalid_ulid));
            BOOST_TEST(rep.events_kept == 2u);
            BOOST_TEST(evtest::read_file(p) == bytes);
        }
    }
}

BOOST_AUTO_TEST_CASE(DecreasingEventIdIsABadLine) {
    // 3 fits neither after 6 nor after 5 (the line before 6): the 3 is the bad line.
    const std::string bytes = line_n(1) + line_n(5) + line_n(6) + line_n(3) + line_n(7);
    const std::uint64_t off = (line_n(1) + line_n(5) + line_n(6)).size();
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, bytes);
            auto e = error_from([&] { run_repair<evlog::repair_strict>(how, p); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::id_not_increasing));
            check_where(*e, p, 4, off);
            BOOST_TEST(evtest::read_file(p) == bytes);

            const auto rep = run_repair<evlog::repair_skip>(how, p);
            BOOST_REQUIRE(rep.skipped.size() == 1u);
            BOOST_TEST(rep.skipped[0].line == 4u);
            BOOST_TEST(rep.skipped[0].offset == off);
            BOOST_TEST(rep.skipped[0].reason == ec_of(evlog::errc::id_not_increasing));
            BOOST_TEST(rep.events_kept == 4u);
            BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(7));
            BOOST_TEST(evtest::read_file(p) == bytes);

            std::vector<std::uint64_t> seen;
            const auto rr = evlog::replay<event, evlog::repair_skip>(p, [&](const event& ev) { seen.push_back(ev.id); });
            BOOST_TEST(rr.skipped == 1u);
            BOOST_TEST(seen == (std::vector<std::uint64_t>{1, 5, 6, 7}), boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(SingleOutlierIdIsTheBadLineNotEverythingAfterIt) {
    // 1000 breaks the sequence 1, 2, 3, 4: blaming the lines after it would
    // throw away every later event.
    const std::string bytes = line_n(1) + line_n(2) + line_n(1000) + line_n(3) + line_n(4);
    const std::uint64_t off = (line_n(1) + line_n(2)).size();
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    auto e = error_from([&] { evlog::repair<event, evlog::repair_truncate_tail>(p); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::mid_file_corruption));
    check_where(*e, p, 3, off);
    BOOST_TEST(evtest::read_file(p) == bytes);

    const auto rep = evlog::repair<event, evlog::repair_quarantine>(p);
    BOOST_REQUIRE(rep.quarantined.size() == 1u);
    BOOST_TEST(rep.quarantined[0].line == 3u);
    BOOST_TEST(rep.quarantined[0].reason == ec_of(evlog::errc::id_not_increasing));
    BOOST_TEST(evtest::read_file(p) == line_n(1) + line_n(2) + line_n(3) + line_n(4));
    const auto q = parse_quarantine(evtest::read_file(qpath(p)));
    BOOST_REQUIRE(q.size() == 1u);
    BOOST_TEST(q[0].bytes == line_n(1000));
}

BOOST_AUTO_TEST_CASE(DuplicateEventIdIsABadLine) {
    const std::string bytes = line_n(1) + line_n(2) + line_n(2) + line_n(3);
    const std::uint64_t off = 2 * line_n(1).size();
    for (via how : both_ways) {
        BOOST_TEST_CONTEXT(name(how)) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::write_file(p, bytes);
            auto e = error_from([&] { run_repair<evlog::repair_strict>(how, p); });
            BOOST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == ec_of(evlog::errc::id_not_increasing));
            check_where(*e, p, 3, off);

            const auto rep = run_repair<evlog::repair_skip>(how, p);
            BOOST_REQUIRE(rep.skipped.size() == 1u);
            BOOST_TEST(rep.skipped[0].line == 3u);
            BOOST_TEST(rep.skipped[0].reason == ec_of(evlog::errc::id_not_increasing));
            BOOST_TEST(rep.events_kept == 3u);
            BOOST_TEST(evtest::read_file(p) == bytes);
        }
    }
}

// ------------------------------------------------------------------ long lines

BOOST_AUTO_TEST_CASE(ThirtyTwoMebibyteLineAppendsReplaysAndRepairs) {
    std::string big(32u << 20, ' ');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + i % 26);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    {
        evlog::append_log<event> log;
        log.open(p);
        log.append(evtest::make_note(1, "small"));
        log.append(evtest::make_note(2, big));
        log.append(evtest::make_note(3, "after"));
    }
    BOOST_TEST(fs::file_size(p) > big.size());

    std::size_t n = 0;
    bool big_ok = false;
    const auto rr = evlog::replay<event>(p, [&](const event& e) {
        ++n;
        if (e.id == 2) big_ok = note_text(e) == big;
    });
    BOOST_TEST(n == 3u);
    BOOST_TEST(rr.events == 3u);
    BOOST_TEST(big_ok);

    const auto before = fs::file_size(p);
    const auto rep = evlog::repair<event>(p);
    BOOST_TEST(rep.events_kept == 3u);
    BOOST_TEST(!rep.changed());
    BOOST_TEST(fs::file_size(p) == before);

    evlog::append_log<event> log;
    BOOST_TEST(log.open(p).events_kept == 3u);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(3));
}

BOOST_AUTO_TEST_CASE(LineLongerThanMaxLineBytesIsRefusedByRepairOpenAndReplay) {
    const std::string l1 = line_n(1);
    const std::string l2 = evtest::line_of(evtest::make_note(2, std::string(200, 'x')));
    const std::string bytes = l1 + l2 + line_n(3);
    const std::size_t max = l1.size() + 20;
    BOOST_REQUIRE(max < l2.size());
    auto check = [&](const fs::path& p, auto&& f) {
        auto e = error_from(f);
        BOOST_REQUIRE(e.has_value());
        BOOST_TEST(e->code() == ec_of(evlog::errc::line_too_long));
        check_where(*e, p, 2, l1.size());
        BOOST_TEST(evtest::read_file(p) == bytes);
        BOOST_TEST(!fs::exists(qpath(p)));
    };
    for (via how : both_ways) {
        for_each_policy([&]<class P>() {
            BOOST_TEST_CONTEXT(name(how) << " " << policy_name<P>()) {
                evtest::temp_dir d;
                const auto p = d / "events.jsonl";
                evtest::write_file(p, bytes);
                check(p, [&] { run_repair<P>(how, p, max); });
                check(p, [&] { evlog::replay<event, P>(p, [](const event&) {}, evlog::replay_options{max}); });
            }
        });
    }
    // An over-long *final* line that is also torn is still line_too_long, not a tail to cut.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    const std::string torn_long = l1 + l2.substr(0, l2.size() - 5);
    evtest::write_file(p, torn_long);
    auto e = error_from([&] { evlog::repair<event>(p, evlog::repair_options{max}); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::line_too_long));
    check_where(*e, p, 2, l1.size());
    BOOST_TEST(evtest::read_file(p) == torn_long);
}

BOOST_AUTO_TEST_CASE(AppendLongerThanMaxLineBytesIsRefusedAndWritesNothing) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p, evlog::append_log_options{200});
    log.append(evtest::make_note(1, "short"));
    const std::string before = evtest::read_file(p);
    const auto end = log.end_offset();

    auto e = error_from([&] { log.append(evtest::make_note(2, std::string(300, 'y'))); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::line_too_long));
    BOOST_TEST(evtest::read_file(p) == before);
    BOOST_TEST(log.end_offset() == end);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(1));
    BOOST_TEST(!log.poisoned());

    // A batch with one over-long event writes none of it.
    std::vector<event> batch{evtest::make_note(2, "ok"), evtest::make_note(3, std::string(300, 'z'))};
    auto eb = error_from([&] { log.append(std::span<const event>(batch)); });
    BOOST_REQUIRE(eb.has_value());
    BOOST_TEST(eb->code() == ec_of(evlog::errc::line_too_long));
    BOOST_TEST(evtest::read_file(p) == before);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(1));

    BOOST_TEST(log.append(evtest::make_note(2, "ok")) == 2u);
    log.close();
    BOOST_TEST(ids_of(evtest::read_all(p)) == (std::vector<std::uint64_t>{1, 2}), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(LineOfExactlyMaxLineBytesIsAcceptedByWriterAndReaders) {
    const auto e = evtest::make_note(1, std::string(100, 'q'));
    const std::size_t len = evtest::line_of(e).size() - 1; // without '\n'
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    {
        evlog::append_log<event> log;
        log.open(p, evlog::append_log_options{len});
        BOOST_TEST(log.append(e) == 1u);
    }
    const auto strict_rep = evlog::repair<event, evlog::repair_strict>(p, evlog::repair_options{len});
    BOOST_TEST(strict_rep.events_kept == 1u);
    BOOST_TEST(evlog::replay<event>(p, [](const event&) {}, evlog::replay_options{len}).events == 1u);
    {
        evlog::append_log<event> log;
        BOOST_TEST(log.open(p, evlog::append_log_options{len}).events_kept == 1u);
    }
    auto err = error_from([&] { evlog::repair<event>(p, evlog::repair_options{len - 1}); });
    BOOST_REQUIRE(err.has_value());
    BOOST_TEST(err->code() == ec_of(evlog::errc::line_too_long));
    check_where(*err, p, 1, 0);
}

// ------------------------------------------------------------------ files that are not there

BOOST_AUTO_TEST_CASE(EmptyFileNeedsNoRepairUnderEveryPolicy) {
    for (via how : both_ways) {
        for_each_policy([&]<class P>() {
            BOOST_TEST_CONTEXT(name(how) << " " << policy_name<P>()) {
                evtest::temp_dir d;
                const auto p = d / "events.jsonl";
                evtest::write_file(p, "");
                const auto rep = run_repair<P>(how, p);
                BOOST_TEST(rep.events_kept == 0u);
                BOOST_TEST(!rep.changed());
                BOOST_TEST(!rep.last_id.has_value());
                BOOST_TEST(rep.end_offset == 0u);
                BOOST_TEST(fs::file_size(p) == 0u);
                BOOST_TEST(!fs::exists(qpath(p)));
            }
        });
    }
}

BOOST_AUTO_TEST_CASE(MissingFileIsAnErrorForRepairButOpenCreatesIt) {
    evtest::temp_dir d;
    const auto p = d / "absent.jsonl";
    auto e = error_from([&] { evlog::repair<event>(p); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == evtest::sys_ec(ENOENT));
    BOOST_TEST(std::string(e->what()).find(p.string()) != std::string::npos, e->what());
    BOOST_TEST(!fs::exists(p));

    evlog::append_log<event> log;
    const auto rep = log.open(p);
    BOOST_TEST(fs::exists(p));
    BOOST_TEST(fs::file_size(p) == 0u);
    BOOST_TEST(rep.events_kept == 0u);
    BOOST_TEST(!log.last_id().has_value());
    BOOST_TEST(log.end_offset() == 0u);
}

BOOST_AUTO_TEST_CASE(MissingParentDirectoryIsCreatedByOpen) {
    evtest::temp_dir d;
    const auto p = d.path() / "a" / "b" / "c" / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    BOOST_TEST(fs::is_directory(p.parent_path()));
    log.append(evtest::make_note(1, "note 1"));
    log.close();
    BOOST_TEST(evtest::read_file(p) == line_n(1));
}

BOOST_AUTO_TEST_CASE(UnwritableDirectoryIsAnErrorNamingThePath) {
    evtest::temp_dir d;
    if (::geteuid() != 0) {
        const auto dir = d / "ro";
        fs::create_directories(dir);
        fs::permissions(dir, fs::perms::owner_read | fs::perms::owner_exec);
        const auto p = dir / "events.jsonl";
        evlog::append_log<event> log;
        auto e = error_from([&] { log.open(p); });
        fs::permissions(dir, fs::perms::owner_all);
        BOOST_REQUIRE(e.has_value());
        BOOST_TEST(e->code() == evtest::sys_ec(EACCES));
        BOOST_TEST(std::string(e->what()).find(p.string()) != std::string::npos, e->what());
        BOOST_TEST(!log.is_open());
        BOOST_TEST(!fs::exists(p));
        return;
    }
    BOOST_TEST_MESSAGE("running as root, which ignores directory permissions: simulating EACCES with fault_file");
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    ff.fail_next(evlog::file_op::open, EACCES);
    evlog::basic_append_log<event, evlog::fsync_always, evlog::repair_truncate_tail, std::mutex, evlog::fault_file> log(ff);
    auto e = error_from([&] { log.open(p); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == evtest::sys_ec(EACCES));
    BOOST_TEST(std::string(e->what()).find(p.string()) != std::string::npos, e->what());
    BOOST_TEST(!log.is_open());
    BOOST_TEST(!fs::exists(p));
    // The failure is not sticky: the next open works.
    log.open(p);
    BOOST_TEST(log.is_open());
    log.close();

    // Free repair through the same fault.
    ff.fail_next(evlog::file_op::open, EACCES);
    auto r = error_from([&] { evlog::repair<event, evlog::repair_truncate_tail, evlog::fault_file>(p, {}, ff); });
    BOOST_REQUIRE(r.has_value());
    BOOST_TEST(r->code() == evtest::sys_ec(EACCES));
    BOOST_TEST(std::string(r->what()).find(p.string()) != std::string::npos, r->what());
}

BOOST_AUTO_TEST_CASE(LogPathThatCannotBeStatedIsAnEvlogErrorNamingIt) {
    // Before open() creates the file it asks whether it exists; a name too long to stat must
    // surface as evlog::error (the documented exception), not std::filesystem::filesystem_error.
    evtest::temp_dir d;
    const auto p = d / std::string(300, 'n');
    evlog::append_log<event> log;
    std::optional<evlog::error> e;
    try {
        log.open(p);
    } catch (const evlog::error& err) {
        e = err;
    } catch (const std::exception& other) {
        BOOST_ERROR("open threw something other than evlog::error: " << other.what());
    }
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == evtest::sys_ec(ENAMETOOLONG));
    BOOST_TEST(evtest::what_names(*e, p));
    BOOST_TEST(!log.is_open());
}

// ------------------------------------------------------------------ repair that fails part way

BOOST_AUTO_TEST_CASE(TruncateTailLeavesTheLogUntouchedWhenTheQuarantineCannotBeWritten) {
    const std::string bytes = evtest::clean_log(3) + line_n(4).substr(0, 40);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    evlog::fault_file ff;
    ff.fail_nth(evlog::file_op::open, 2, ENOSPC); // 1: the log, 2: the quarantine file
    auto e = error_from([&] { evlog::repair<event, evlog::repair_truncate_tail, evlog::fault_file>(p, {}, ff); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == evtest::sys_ec(ENOSPC));
    BOOST_TEST(evtest::read_file(p) == bytes);
    BOOST_TEST(ff.count(evlog::file_op::ftruncate) == 0u);

    // Nor when the quarantine's fdatasync fails: the torn bytes are not known to be saved.
    evlog::fault_file ff2;
    ff2.fail_nth(evlog::file_op::fdatasync, 1, EIO);
    auto e2 = error_from([&] { evlog::repair<event, evlog::repair_truncate_tail, evlog::fault_file>(p, {}, ff2); });
    BOOST_REQUIRE(e2.has_value());
    BOOST_TEST(e2->code() == evtest::sys_ec(EIO));
    BOOST_TEST(evtest::read_file(p) == bytes);
    for (const auto& c : ff2.trace()) BOOST_TEST(!(c.op == evlog::file_op::ftruncate && c.path == p)); // the quarantine's own cut is fine

    // Through open too; the log stays closed.
    evlog::fault_file ff3;
    ff3.fail_nth(evlog::file_op::open, 2, EIO);
    evlog::basic_append_log<event, evlog::fsync_always, evlog::repair_truncate_tail, std::mutex, evlog::fault_file> log(ff3);
    BOOST_CHECK_THROW(log.open(p), evlog::error);
    BOOST_TEST(!log.is_open());
    BOOST_TEST(evtest::read_file(p) == bytes);
}

BOOST_AUTO_TEST_CASE(QuarantineRetryAfterAFailedDirectoryFsyncStillFsyncsTheDirectoryBeforeTheCut) {
    // The first repair creates the quarantine file and fails at the
    // directory fsync, so the log is left alone. The retry finds the file
    // there; were the directory not fsynced again before the cut, a power
    // loss could drop the file's entry while the cut survives.
    const std::string bytes = evtest::clean_log(3) + line_n(4).substr(0, 40);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    evlog::fault_file ff;
    ff.fail_nth(evlog::file_op::fsync_dir, 1, EIO);
    BOOST_CHECK_THROW((evlog::repair<event, evlog::repair_truncate_tail, evlog::fault_file>(p, {}, ff)), evlog::error);
    BOOST_TEST(evtest::read_file(p) == bytes);
    ff.clear_trace();
    const auto rep = evlog::repair<event, evlog::repair_truncate_tail, evlog::fault_file>(p, {}, ff);
    BOOST_TEST(rep.bytes_truncated == 40u);
    bool dir_synced_before_cut = false, cut = false;
    for (const auto& c : ff.trace()) {
        if (c.op == evlog::file_op::ftruncate) { cut = true; break; }
        if (c.op == evlog::file_op::fsync_dir && !c.result && c.path == d.path()) dir_synced_before_cut = true;
    }
    BOOST_TEST(cut);
    BOOST_TEST(dir_synced_before_cut);
    BOOST_TEST(parse_quarantine(evtest::read_file(qpath(p))).size() == 1u); // the failed try left no record
}

BOOST_AUTO_TEST_CASE(QuarantineAppendThatRunsOutOfSpaceHalfWayLeavesNoTornRecord) {
    // A torn record's `length` would swallow the next record's header.
    const std::string tail = line_n(4).substr(0, 40);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, evtest::clean_log(3) + tail);
    evlog::fault_file ff;
    ff.short_write_nth(evlog::file_op::write, 1, 30); // into the header
    ff.fail_nth(evlog::file_op::write, 2, ENOSPC);
    auto e = error_from([&] { evlog::repair<event, evlog::repair_truncate_tail, evlog::fault_file>(p, {}, ff); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == evtest::sys_ec(ENOSPC));
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(3) + tail);

    evlog::repair<event>(p); // space again
    const auto q = parse_quarantine(evtest::read_file(qpath(p)));
    BOOST_REQUIRE(q.size() == 1u);
    BOOST_TEST(q[0].bytes == tail);
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(3));
}

BOOST_AUTO_TEST_CASE(QuarantineRewriteFailureLeavesTheLogAndNoTempFile) {
    const mid_garbage m;
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, m.bytes());
    evlog::fault_file ff;
    ff.fail_next(evlog::file_op::rename, EIO);
    auto e = error_from([&] { evlog::repair<event, evlog::repair_quarantine, evlog::fault_file>(p, {}, ff); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == evtest::sys_ec(EIO));
    BOOST_TEST(evtest::read_file(p) == m.bytes());
    BOOST_TEST(!fs::exists(tmppath(p)));

    // A retry succeeds and the log then holds every good line.
    const auto rep = evlog::repair<event, evlog::repair_quarantine>(p);
    BOOST_TEST(rep.rewritten);
    BOOST_TEST(evtest::read_file(p) == m.before + m.after);
}

BOOST_AUTO_TEST_CASE(StaleRewriteTempFileDoesNotBlockQuarantine) {
    const mid_garbage m;
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, m.bytes());
    evtest::write_file(tmppath(p), "left over from a crash");
    const auto rep = evlog::repair<event, evlog::repair_quarantine>(p);
    BOOST_TEST(rep.rewritten);
    BOOST_TEST(evtest::read_file(p) == m.before + m.after);
    BOOST_TEST(!fs::exists(tmppath(p)));
}

BOOST_AUTO_TEST_SUITE_END()
