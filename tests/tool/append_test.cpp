// `evlog append FILE [--fsync …]`: events as JSONL on stdin, `ok ID` on
// stdout after each append returns (flushed), so what a killed process
// acknowledged is exactly what the file must hold.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <csignal>

#include <boost/json/serialize.hpp>

#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

fs::path fixture_log() { return fixture_spec_dirs()[0].dir / "events.jsonl"; }

/// The fixture's events as stdin lines, with event_id set to `id` (0: take the next).
std::string events_with_id(std::uint64_t id, std::size_t copies = 1) {
    const auto events = events_of(file_lines(fixture_log()));
    std::string s;
    for (std::size_t c = 0; c < copies; ++c)
        for (auto e : events) {
            e["event_id"] = id;
            s += boost::json::serialize(e) + "\n";
        }
    return s;
}

std::string ok_lines(std::uint64_t first, std::uint64_t last) {
    std::string s;
    for (auto i = first; i <= last; ++i) s += "ok " + std::to_string(i) + "\n";
    return s;
}

/// Kills `evlog append` with SIGKILL once it has acknowledged `k` events
/// while more input is queued, then checks every acknowledged id is in the
/// file: the acknowledgement follows the append, never precedes it.
void check_killed_append_keeps_acknowledged(const std::string& fsync, std::size_t k) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    const std::string input = events_with_id(0, 8);
    const auto queued = split_lines(input).size();
    BOOST_TEST_REQUIRE(queued > k);

    process p({tool().string(), "append", log.string(), "--fsync", fsync});
    p.feed(input); // stdin stays open: the child cannot finish by itself
    std::vector<std::uint64_t> acked;
    for (std::size_t i = 0; i < k; ++i) {
        auto line = p.read_line();
        BOOST_TEST_REQUIRE(line.has_value(), "evlog append ended before acknowledging " << k << " events");
        BOOST_TEST_REQUIRE(line->rfind("ok ", 0) == 0u, *line);
        acked.push_back(std::stoull(line->substr(3)));
    }
    p.kill(SIGKILL);
    const auto r = p.finish();
    BOOST_TEST(r.signal == SIGKILL, r);
    // Acknowledgements written before the kill but not yet read count too.
    for (const auto& l : output_lines(r.out)) {
        BOOST_TEST_REQUIRE(l.rfind("ok ", 0) == 0u, l);
        acked.push_back(std::stoull(l.substr(3)));
    }

    const auto ids = dumped_ids(log);
    for (std::size_t i = 0; i < acked.size(); ++i) {
        BOOST_TEST(acked[i] == i + 1); // ids 1, 2, 3, … in order
        BOOST_TEST((std::find(ids.begin(), ids.end(), acked[i]) != ids.end()), "acknowledged id " << acked[i]
                                                                                 << " is not in the file");
    }
    BOOST_TEST(ids.size() >= acked.size());
    for (std::size_t i = 0; i < ids.size(); ++i) BOOST_TEST(ids[i] == i + 1);
}

} // namespace

BOOST_AUTO_TEST_SUITE(tool_append)

BOOST_AUTO_TEST_CASE(AppendPrintsOkPerEventAndFileVerifies) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    const auto stored = events_of(file_lines(fixture_log()));
    const auto r = run_tool({"append", log.string()}, with_stdin(evtest::read_file(fixture_log())));
    BOOST_TEST(r.exit_code == 0, r);
    BOOST_TEST(r.out == ok_lines(id_of(stored.front()), id_of(stored.back())));

    const auto v = run_tool({"verify", log.string()});
    BOOST_TEST(v.exit_code == 0, v);
    BOOST_TEST(v.out == "ok " + std::to_string(stored.size()) + " events\n");
    const auto written = events_of(file_lines(log));
    BOOST_TEST_REQUIRE(written.size() == stored.size());
    for (std::size_t i = 0; i < stored.size(); ++i)
        BOOST_TEST(spectest::json_diff(written[i], stored[i]) == "", "event " << i + 1);
}

BOOST_AUTO_TEST_CASE(AppendEventIdZeroTakesTheNextId) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    fs::copy_file(fixture_log(), log);
    const auto last = id_of(events_of(file_lines(log)).back());
    const auto input = split_lines(events_with_id(0));
    const std::string explicit_id = [&] {
        auto e = *parse_line(input[0].text);
        e.as_object()["event_id"] = last + 10;
        return boost::json::serialize(e) + "\n";
    }();

    const auto r = run_tool({"append", log.string(), "--fsync", "group"},
                            with_stdin(input[0].text + "\n" + input[1].text + "\n" + explicit_id + input[2].text + "\n"));
    BOOST_TEST(r.exit_code == 0, r);
    BOOST_TEST(r.out == ok_lines(last + 1, last + 2) + ok_lines(last + 10, last + 11));
    const auto ids = dumped_ids(log);
    BOOST_TEST_REQUIRE(ids.size() >= 4u);
    BOOST_TEST((std::vector<std::uint64_t>(ids.end() - 4, ids.end()) ==
                std::vector<std::uint64_t>{last + 1, last + 2, last + 10, last + 11}),
               boost::test_tools::per_element());
    BOOST_TEST(run_tool({"verify", log.string()}).exit_code == 0);
}

BOOST_AUTO_TEST_CASE(AppendStopsAtMalformedLineKeepingWhatWasAcknowledged) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    const auto input = split_lines(events_with_id(0));
    const auto r = run_tool({"append", log.string()},
                            with_stdin(input[0].text + "\n{\"event_id\": 0, oops\n" + input[1].text + "\n"));
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(r.out == ok_lines(1, 1));
    BOOST_TEST(contains(r.err, "stdin:2"), r);
    BOOST_TEST(dumped_ids(log) == std::vector<std::uint64_t>{1}, boost::test_tools::per_element());
    BOOST_TEST(run_tool({"verify", log.string()}).out == "ok 1 events\n");
}

BOOST_AUTO_TEST_CASE(AppendRefusesIdThatDoesNotIncreaseLeavingFileAlone) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    fs::copy_file(fixture_log(), log);
    const auto before = evtest::read_file(log);
    const auto r = run_tool({"append", log.string()}, with_stdin(split_lines(before)[4].text + "\n"));
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(evtest::read_file(log) == before);
}

BOOST_AUTO_TEST_CASE(AppendRejectsUnknownFsyncPolicyWithoutCreatingTheFile) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    const auto r = run_tool({"append", log.string(), "--fsync", "sometimes"}, with_stdin(events_with_id(0)));
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(contains(r.err, "--fsync"), r);
    BOOST_TEST(!fs::exists(log));
}

BOOST_AUTO_TEST_CASE(AppendKilledMidStreamKeepsEveryAcknowledgedEventFsyncAlways) {
    check_killed_append_keeps_acknowledged("always", 5);
}

BOOST_AUTO_TEST_CASE(AppendKilledMidStreamKeepsEveryAcknowledgedEventFsyncGroup) {
    check_killed_append_keeps_acknowledged("group", 5);
}

BOOST_AUTO_TEST_SUITE_END()
