// Replay with a helper thread decoding every other batch of lines
// (replay_options::decode_threads = 2) gives exactly what replay on the
// caller's thread alone gives: the same events at the same positions, the
// same report, the same error at the same line, for clean and damaged logs,
// every repair policy and batch sizes from one line to many.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <iterator>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <evlog/file/fault_file.hpp>

#include "support/log_test_util.hpp"
#include "support/test_events.hpp"

namespace fs = std::filesystem;
using evtest::event;
using evtest::note_line;

namespace {

struct outcome {
    std::vector<std::string> seen; // id, text and position of each event
    std::string report;
    std::string error; // code, what() and where of a thrown evlog::error
};

template <class Policy>
outcome run(const fs::path& p, evlog::replay_options opt, std::uint64_t from = 0) {
    outcome o;
    auto visit = [&](const event& e, const evlog::record_position& pos) {
        std::ostringstream s;
        s << e.id << " " << (e.is_unknown() ? std::string("?") : evtest::note_text(e)) << " @" << pos.offset << "-"
          << pos.end << " line " << pos.line;
        o.seen.push_back(s.str());
    };
    try {
        const auto r = from ? evlog::replay_from<event, Policy>(p, from, visit, opt)
                            : evlog::replay<event, Policy>(p, visit, opt);
        std::ostringstream s;
        s << r.events << " " << r.unknown << " " << r.skipped << " " << r.blank << " " << r.bytes << " "
          << r.ignored_tail_bytes << " " << (r.last_id ? std::to_string(*r.last_id) : "none") << " " << r.end_offset;
        o.report = s.str();
    } catch (const evlog::error& e) {
        o.error = e.code().message() + " | " + e.what();
    }
    return o;
}

evlog::replay_options serial() {
    evlog::replay_options o;
    o.decode_threads = 1;
    return o;
}

evlog::replay_options parallel(std::size_t batch_bytes) {
    evlog::replay_options o;
    o.decode_threads = 2;
    o.parallel_batch_bytes = batch_bytes;
    return o;
}

template <class Policy>
void same_as_serial(const fs::path& p, std::size_t max_line = evlog::format::default_max_line_bytes,
                    std::uint64_t from = 0) {
    auto one = serial();
    one.max_line_bytes = max_line;
    const outcome expected = run<Policy>(p, one, from);
    for (std::size_t batch : {std::size_t{1}, std::size_t{150}, std::size_t{1000}, std::size_t{1} << 20}) {
        auto two = parallel(batch);
        two.max_line_bytes = max_line;
        const outcome got = run<Policy>(p, two, from);
        BOOST_TEST_CONTEXT("batch bytes " << batch << ", from " << from) {
            BOOST_TEST(got.seen == expected.seen, boost::test_tools::per_element());
            BOOST_TEST(got.report == expected.report);
            BOOST_TEST(got.error == expected.error);
        }
    }
}

template <class Policy>
void same_for_policy(const fs::path& p, std::size_t max_line = evlog::format::default_max_line_bytes) {
    same_as_serial<Policy>(p, max_line);
}

void same_for_every_policy(const fs::path& p, std::size_t max_line = evlog::format::default_max_line_bytes) {
    BOOST_TEST_CONTEXT("strict") { same_for_policy<evlog::repair_strict>(p, max_line); }
    BOOST_TEST_CONTEXT("truncate_tail") { same_for_policy<evlog::repair_truncate_tail>(p, max_line); }
    BOOST_TEST_CONTEXT("skip") { same_for_policy<evlog::repair_skip>(p, max_line); }
    BOOST_TEST_CONTEXT("quarantine") { same_for_policy<evlog::repair_quarantine>(p, max_line); }
}

std::string lines(std::uint64_t first, std::uint64_t last) {
    std::string s;
    for (std::uint64_t i = first; i <= last; ++i) s += note_line(i);
    return s;
}

/// json_codec, counting the lines each thread decodes.
struct thread_noting_codec {
    static inline std::mutex mutex;
    static inline std::map<std::thread::id, std::size_t> lines_by_thread;
    static inline std::thread::id caller;
    static inline bool caller_first = true; // only the caller's thread reads and writes it
    static inline std::chrono::milliseconds helper_delay{0};
    evlog::json_codec<event> inner;

    void encode(const event& e, std::string& out) { inner.encode(e, out); }
    std::error_code decode(std::string_view line, event& e) {
        {
            std::lock_guard lk(mutex);
            ++lines_by_thread[std::this_thread::get_id()];
        }
        if (std::this_thread::get_id() == caller) {
            // The caller decodes whatever batch the helper has not started,
            // so on a busy machine it could decode them all before the
            // helper runs: a slow first line lets the helper start.
            if (std::exchange(caller_first, false)) std::this_thread::sleep_for(std::chrono::milliseconds(50));
        } else {
            std::this_thread::sleep_for(helper_delay);
        }
        return inner.decode(line, e);
    }
    std::string_view error_detail() const noexcept { return inner.error_detail(); }

    /// Replays p and returns the lines each thread decoded.
    static std::map<std::thread::id, std::size_t> replay(const fs::path& p, const evlog::replay_options& opt,
                                                         std::chrono::milliseconds delay = {}) {
        lines_by_thread.clear();
        caller = std::this_thread::get_id();
        caller_first = true;
        helper_delay = delay;
        evlog::replay<event, evlog::repair_strict, evlog::posix_file, thread_noting_codec>(p, [](const event&) {},
                                                                                          opt);
        return lines_by_thread;
    }
};

std::size_t decoding_threads(const fs::path& p, const evlog::replay_options& opt) {
    return thread_noting_codec::replay(p, opt).size();
}

} // namespace

BOOST_AUTO_TEST_SUITE(ReplayParallel)

BOOST_AUTO_TEST_CASE(TwoThreadsDecodeWhenAskedOrPastTheSizeThreshold) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, lines(1, 2000));
    BOOST_TEST(decoding_threads(p, serial()) == 1u);
    BOOST_TEST(decoding_threads(p, parallel(1000)) == 2u);
    evlog::replay_options automatic; // the default: this file is below the threshold
    BOOST_TEST(decoding_threads(p, automatic) == 1u);
    automatic.parallel_min_bytes = 0;
    automatic.parallel_batch_bytes = 1000;
    BOOST_TEST(decoding_threads(p, automatic) == (std::thread::hardware_concurrency() >= 2 ? 2u : 1u));
    // A file that fits in one batch starts no helper.
    BOOST_TEST(decoding_threads(p, parallel(1u << 20)) == 1u);
}

BOOST_AUTO_TEST_CASE(HelperThatFallsBehindIsHelpedByTheCaller) {
    // A fixed share for each thread left the caller idle while the helper
    // decoded the batch it needed. With a helper that takes 2 ms a line,
    // the caller must decode far more than its own third of the batches.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, lines(1, 300));
    const auto by_thread = thread_noting_codec::replay(p, parallel(1000), std::chrono::milliseconds(2));
    BOOST_REQUIRE(by_thread.size() == 2u);
    const std::size_t by_caller = by_thread.at(std::this_thread::get_id());
    BOOST_TEST(by_thread.begin()->second + std::next(by_thread.begin())->second == 300u);
    BOOST_TEST(by_caller >= 200u, by_caller << " of 300 lines decoded by the caller"); // a fixed third: about 100
}

BOOST_AUTO_TEST_CASE(CleanLogReplaysAsOnOneThread) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, evtest::clean_log(3000));
    same_for_every_policy(p);
    const outcome o = run<evlog::repair_strict>(p, parallel(1000));
    BOOST_TEST(o.seen.size() == 3000u); // and it is not an empty agreement
    BOOST_TEST(o.error.empty());
}

BOOST_AUTO_TEST_CASE(DamagedLinesAnywhereGiveTheSameEventsReportAndErrors) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    // Blank, NUL and unparsable lines, an outlier id, a repeated id, an
    // unknown payload type and a CRLF line, spread over many batches.
    std::string log = lines(1, 300) + "   \n" + lines(301, 600) + std::string(40, '\0') + "\n" + lines(601, 900) +
                      "{\"event_id\": oops\n" + lines(901, 1200) + note_line(99999) + lines(1201, 1500) +
                      note_line(1500) + lines(1501, 1800);
    std::string crlf = note_line(1801);
    crlf.insert(crlf.size() - 1, "\r");
    log += crlf;
    std::string unknown = note_line(1802);
    unknown.replace(unknown.find("NoteAdded"), 9, "SomethingNew");
    log += unknown + lines(1803, 2000);
    evtest::write_file(p, log);
    same_for_every_policy(p);
    const outcome skipped = run<evlog::repair_skip>(p, parallel(1000));
    BOOST_TEST(skipped.error.empty());
    BOOST_TEST(skipped.seen.size() > 1900u);
    BOOST_TEST(!run<evlog::repair_strict>(p, parallel(1000)).error.empty());
}

BOOST_AUTO_TEST_CASE(TornTailGivesTheSameResultInEveryPolicy) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    std::string torn = note_line(2001);
    evtest::write_file(p, lines(1, 2000) + torn.substr(0, torn.size() / 2));
    same_for_every_policy(p);
}

BOOST_AUTO_TEST_CASE(OverlongLineIsThrownAfterTheSameEvents) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    std::string big = note_line(1001);
    big.insert(big.find("note 1001") + 4, std::string(5000, 'x'));
    evtest::write_file(p, lines(1, 1000) + big + lines(1002, 1500));
    same_for_every_policy(p, 4096);
    const outcome o = run<evlog::repair_strict>(p, [] {
        auto o = parallel(1000);
        o.max_line_bytes = 4096;
        return o;
    }());
    BOOST_TEST(o.seen.size() == 999u); // the 1000th waits for the line after it, which throws
    BOOST_TEST(o.error.find("max_line_bytes") != std::string::npos, o.error);
}

BOOST_AUTO_TEST_CASE(ReadErrorIsThrownAfterTheLinesReadBeforeIt) {
    // Batches keep the buffer their lines were read into, and the read that
    // fails comes while earlier batches are still being decoded: their lines
    // must all come out, unharmed, before the error, and nothing after it.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, lines(1, 2000));
    const outcome all = run<evlog::repair_strict>(p, serial());
    BOOST_REQUIRE(all.seen.size() == 2000u);
    for (std::size_t failing : {2u, 5u, 40u}) {
        BOOST_TEST_CONTEXT("read " << failing << " fails") {
            evlog::fault_file ff;
            ff.fail_nth(evlog::file_op::pread, failing, EIO);
            outcome o;
            auto visit = [&](const event& e, const evlog::record_position& pos) {
                std::ostringstream s;
                s << e.id << " " << evtest::note_text(e) << " @" << pos.offset << "-" << pos.end << " line "
                  << pos.line;
                o.seen.push_back(s.str());
            };
            try {
                evlog::replay<event, evlog::repair_strict, evlog::fault_file>(p, visit, parallel(1000), ff);
            } catch (const evlog::error& e) {
                o.error = e.code().message() + " | " + e.what();
            }
            BOOST_TEST(o.error.find(p.string()) != std::string::npos, o.error);
            BOOST_TEST(o.error.find(std::error_code(EIO, std::system_category()).message()) != std::string::npos,
                       o.error);
            BOOST_TEST(o.seen.size() < all.seen.size());
            // The lines of the reads before the failing one (each about 1000 bytes, less the
            // partial line carried over) come out: at least half of that, for the carry-overs.
            BOOST_TEST(2 * (o.seen.size() + 2) >= (failing - 1) * 1000 / note_line(1).size());
            const std::vector<std::string> prefix(all.seen.begin(),
                                                  all.seen.begin() + static_cast<std::ptrdiff_t>(o.seen.size()));
            BOOST_TEST(o.seen == prefix, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(ReplayFromAnOffsetGivesTheSameEvents) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, lines(1, 2000));
    same_as_serial<evlog::repair_strict>(p, evlog::format::default_max_line_bytes, lines(1, 700).size());
}

BOOST_AUTO_TEST_CASE(VisitorThatThrowsStopsReplayAndTheHelperThread) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, lines(1, 3000));
    std::uint64_t seen = 0;
    // The helper is decoding the next batch when the visitor throws; the
    // replay must still return (join it) rather than hang or terminate.
    BOOST_CHECK_THROW(evlog::replay<event>(
                          p,
                          [&](const event& e) {
                              ++seen;
                              if (e.id == 1234) throw std::runtime_error("stop");
                          },
                          parallel(1000)),
                      std::runtime_error);
    BOOST_TEST(seen == 1234u);
}

BOOST_AUTO_TEST_CASE(DefaultDecodesInParallelOnlyPastTheSizeThresholdAndAgrees) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, lines(1, 2000));
    evlog::replay_options automatic;
    automatic.parallel_min_bytes = 0; // any file is large enough
    automatic.parallel_batch_bytes = 1000;
    const outcome a = run<evlog::repair_strict>(p, automatic);
    const outcome s = run<evlog::repair_strict>(p, serial());
    BOOST_TEST(a.seen == s.seen, boost::test_tools::per_element());
    BOOST_TEST(a.report == s.report);
}

BOOST_AUTO_TEST_CASE(EmptyAndBlankOnlyLogsReplayAsOnOneThread) {
    evtest::temp_dir d;
    const auto empty = d / "empty.jsonl";
    evtest::write_file(empty, "");
    same_for_every_policy(empty);
    const auto blank = d / "blank.jsonl";
    evtest::write_file(blank, "\n\n   \n");
    same_for_every_policy(blank);
}

BOOST_AUTO_TEST_SUITE_END()
