// `evlog verify FILE`: `ok N events` and exit 0 for a clean log; one
// `FILE:LINE: byte OFFSET: REASON` per problem and exit 1 otherwise. The
// expected lines and offsets are worked out from the fixture bytes.
#include <boost/test/unit_test.hpp>

#include <boost/json/serialize.hpp>

#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

/// The report line verify prints for `l` of `file`, up to the reason.
std::string where(const fs::path& file, const file_line& l) {
    return file.string() + ":" + std::to_string(l.number) + ": byte " + std::to_string(l.offset) + ": ";
}

std::string ok_line(std::size_t events) { return "ok " + std::to_string(events) + " events"; }

} // namespace

BOOST_AUTO_TEST_SUITE(tool_verify)

BOOST_AUTO_TEST_CASE(VerifyCleanFixtureLogsPrintsOkWithEventCount) {
    for (const auto& f : fixture_spec_dirs()) {
        BOOST_TEST_CONTEXT(f.id) {
            const auto log = f.dir / "events.jsonl";
            const auto r = run_tool({"verify", log.string()});
            BOOST_TEST(r.exit_code == 0, r);
            BOOST_TEST(output_lines(r.out) == std::vector<std::string>{ok_line(events_of(file_lines(log)).size())},
                       boost::test_tools::per_element());
            BOOST_TEST(r.err == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(VerifyAcceptsBlankLinesAndMissingFinalNewline) {
    // evlog readers accept both (docs/format.md); neither is a problem to report.
    for (const char* variant : {"blank_lines", "no_trailing_newline"}) {
        BOOST_TEST_CONTEXT(variant) {
            const auto log = damaged(variant) / "input.events.jsonl";
            const auto r = run_tool({"verify", log.string()});
            BOOST_TEST(r.exit_code == 0, r);
            BOOST_TEST(r.out == ok_line(events_of(file_lines(log)).size()) + "\n");
        }
    }
}

BOOST_AUTO_TEST_CASE(VerifyReportsTornTailWithLineAndOffset) {
    const auto log = damaged("torn_last_line") / "input.events.jsonl";
    const auto lines = file_lines(log);
    BOOST_TEST_REQUIRE(!lines.back().terminated);
    const auto r = run_tool({"verify", log.string()});
    BOOST_TEST(r.exit_code == 1, r);
    const auto out = output_lines(r.out);
    BOOST_TEST_REQUIRE(out.size() == 1u, r);
    BOOST_TEST(out[0].rfind(where(log, lines.back()), 0) == 0u, out[0] << " vs " << where(log, lines.back()));
    BOOST_TEST(contains(out[0], "torn"), out[0]);
}

BOOST_AUTO_TEST_CASE(VerifyReportsGarbageMiddleLineWithLineAndOffset) {
    const auto log = damaged("garbage_middle") / "input.events.jsonl";
    const auto lines = file_lines(log);
    std::optional<file_line> bad;
    for (const auto& l : lines)
        if (!parse_line(l.text)) bad = bad ? bad : l;
    BOOST_TEST_REQUIRE(bad.has_value());
    BOOST_TEST_REQUIRE(bad->number < lines.size()); // good lines follow it
    const auto r = run_tool({"verify", log.string()});
    BOOST_TEST(r.exit_code == 1, r);
    const auto out = output_lines(r.out);
    BOOST_TEST_REQUIRE(out.size() == 1u, r);
    BOOST_TEST(out[0].rfind(where(log, *bad), 0) == 0u, out[0] << " vs " << where(log, *bad));
    BOOST_TEST(contains(out[0], "malformed"), out[0]);
}

BOOST_AUTO_TEST_CASE(VerifyBlamesTheSingleOutOfSequenceIdNotTheLinesAfterIt) {
    // unknown_payload_type: a line with an id far above its neighbours.
    const auto log = damaged("unknown_payload_type") / "input.events.jsonl";
    const auto lines = file_lines(log);
    std::optional<file_line> outlier;
    std::optional<std::uint64_t> outlier_id;
    for (std::size_t i = 1; i + 1 < lines.size() && !outlier; ++i) {
        auto prev = parse_line(lines[i - 1].text), cur = parse_line(lines[i].text), next = parse_line(lines[i + 1].text);
        if (!prev || !cur || !next) continue;
        const auto p = id_of(prev->as_object()), c = id_of(cur->as_object()), n = id_of(next->as_object());
        if (c > n && p < n) outlier = lines[i], outlier_id = c;
    }
    BOOST_TEST_REQUIRE(outlier.has_value());
    const auto r = run_tool({"verify", log.string()});
    BOOST_TEST(r.exit_code == 1, r);
    const auto out = output_lines(r.out);
    BOOST_TEST_REQUIRE(out.size() == 1u, r);
    BOOST_TEST(out[0].rfind(where(log, *outlier), 0) == 0u, out[0] << " vs " << where(log, *outlier));
    BOOST_TEST(contains(out[0], "does not increase"), out[0]);
    BOOST_TEST(contains(out[0], std::to_string(*outlier_id)), out[0]);
}

BOOST_AUTO_TEST_CASE(VerifyReportsUnknownPayloadTypeWithFittingId) {
    // The same type as in the fixture, on a line whose id fits: the event is
    // kept by the library, but the spec store cannot fold it.
    evtest::temp_dir tmp;
    auto lines = file_lines(fixture_spec_dirs()[0].dir / "events.jsonl");
    const std::size_t k = lines.size() / 2;
    auto v = parse_line(lines[k].text);
    BOOST_TEST_REQUIRE(v.has_value());
    v->as_object()["payload"] = {{"type", "CardArchived"}, {"card_id", "01KF0HJ087AE67Z5NHCJZHQ5XV"}};
    lines[k].text = boost::json::serialize(*v);
    std::string bytes;
    for (const auto& l : lines) bytes += l.text + "\n";
    const auto log = tmp / "events.jsonl";
    evtest::write_file(log, bytes);
    const auto bad = split_lines(bytes)[k];

    const auto r = run_tool({"verify", log.string()});
    BOOST_TEST(r.exit_code == 1, r);
    const auto out = output_lines(r.out);
    BOOST_TEST_REQUIRE(out.size() == 1u, r);
    BOOST_TEST(out[0] == where(log, bad) + "unknown payload type \"CardArchived\"");
}

BOOST_AUTO_TEST_CASE(VerifyReportsEveryProblemNotJustTheFirst) {
    evtest::temp_dir tmp;
    const auto clean = file_lines(fixture_spec_dirs()[0].dir / "events.jsonl");
    std::string bytes;
    for (std::size_t i = 0; i < clean.size(); ++i) {
        if (i == 3 || i == 12) bytes += "{\"broken\": true, garbage}\n";
        bytes += clean[i].text + "\n";
    }
    const auto log = tmp / "events.jsonl";
    evtest::write_file(log, bytes);
    std::vector<file_line> bad;
    for (const auto& l : split_lines(bytes))
        if (!parse_line(l.text)) bad.push_back(l);
    BOOST_TEST_REQUIRE(bad.size() == 2u);

    const auto r = run_tool({"verify", log.string()});
    BOOST_TEST(r.exit_code == 1, r);
    const auto out = output_lines(r.out);
    BOOST_TEST_REQUIRE(out.size() == 2u, r);
    for (std::size_t i = 0; i < 2; ++i)
        BOOST_TEST(out[i].rfind(where(log, bad[i]), 0) == 0u, out[i] << " vs " << where(log, bad[i]));
}

BOOST_AUTO_TEST_CASE(VerifyLineLongerThanMaxLineBytesIsBadData) {
    const auto log = fixture_spec_dirs()[0].dir / "events.jsonl";
    const auto r = run_tool({"verify", log.string(), "--max-line-bytes", "64"});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(contains(r.out, log.string() + ":1: byte 0: "), r);
    BOOST_TEST(!contains(r.out, "ok "), r);
}

BOOST_AUTO_TEST_CASE(VerifyEmptyFileIsCleanWithZeroEvents) {
    evtest::temp_dir tmp;
    evtest::write_file(tmp / "events.jsonl", "");
    const auto r = run_tool({"verify", (tmp / "events.jsonl").string()});
    BOOST_TEST(r.exit_code == 0, r);
    BOOST_TEST(r.out == ok_line(0) + "\n");
}

BOOST_AUTO_TEST_SUITE_END()
