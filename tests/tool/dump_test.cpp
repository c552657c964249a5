// `evlog dump FILE [--from ID]`: every event re-encoded as one compact JSON
// line, each the same JSON value as the line it was read from.
#include <boost/test/unit_test.hpp>

#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

/// No whitespace outside string literals.
bool compact(const std::string& line) {
    bool in_string = false, escaped = false;
    for (char c : line) {
        if (in_string) {
            if (escaped) escaped = false;
            else if (c == '\\') escaped = true;
            else if (c == '"') in_string = false;
        } else if (c == '"') {
            in_string = true;
        } else if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
            return false;
        }
    }
    return true;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tool_dump)

BOOST_AUTO_TEST_CASE(DumpPrintsOneCompactJsonLinePerEventEqualToTheStoredEvent) {
    for (const auto& f : fixture_spec_dirs()) {
        BOOST_TEST_CONTEXT(f.id) {
            const auto stored = events_of(file_lines(f.dir / "events.jsonl"));
            const auto r = run_tool({"dump", (f.dir / "events.jsonl").string()});
            BOOST_TEST_REQUIRE(r.exit_code == 0, r);
            const auto out = output_lines(r.out);
            BOOST_TEST_REQUIRE(out.size() == stored.size());
            for (std::size_t i = 0; i < out.size(); ++i) {
                BOOST_TEST_CONTEXT("line " << i + 1) {
                    BOOST_TEST(compact(out[i]), out[i]);
                    const auto v = parse_line(out[i]);
                    BOOST_TEST_REQUIRE(v.has_value(), out[i]);
                    BOOST_TEST(spectest::json_diff(*v, stored[i]) == "");
                }
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(DumpFromStartsAtThatId) {
    const auto log = fixture_spec_dirs()[0].dir / "events.jsonl";
    std::vector<std::uint64_t> all;
    for (const auto& e : events_of(file_lines(log))) all.push_back(id_of(e));
    BOOST_TEST_REQUIRE(all.size() > 4u);
    const auto from = all[all.size() / 2];

    const auto r = run_tool({"dump", log.string(), "--from", std::to_string(from)});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    std::vector<std::uint64_t> got;
    for (const auto& l : output_lines(r.out)) {
        const auto v = parse_line(l);
        BOOST_TEST_REQUIRE(v.has_value(), l);
        got.push_back(id_of(v->as_object()));
    }
    const std::vector<std::uint64_t> want(all.begin() + static_cast<std::ptrdiff_t>(all.size() / 2), all.end());
    BOOST_TEST(got == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(DumpFromPastTheLastIdPrintsNothing) {
    const auto log = fixture_spec_dirs()[0].dir / "events.jsonl";
    const auto last = id_of(events_of(file_lines(log)).back());
    const auto r = run_tool({"dump", log.string(), "--from", std::to_string(last + 1)});
    BOOST_TEST(r.exit_code == 0, r);
    BOOST_TEST(r.out == "");
}

BOOST_AUTO_TEST_CASE(DumpIgnoresTornTailWithoutRepairingTheFile) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    fs::copy_file(damaged("torn_last_line") / "input.events.jsonl", log);
    const auto before = evtest::read_file(log);
    const auto r = run_tool({"dump", log.string()});
    BOOST_TEST(r.exit_code == 0, r);
    BOOST_TEST(output_lines(r.out).size() == events_of(split_lines(before)).size());
    BOOST_TEST(evtest::read_file(log) == before);
}

BOOST_AUTO_TEST_CASE(DumpRefusesGarbageMiddleNamingTheLine) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    fs::copy_file(damaged("garbage_middle") / "input.events.jsonl", log);
    const auto before = evtest::read_file(log);
    std::optional<file_line> bad;
    for (const auto& l : file_lines(log))
        if (!bad && !parse_line(l.text)) bad = l;
    BOOST_TEST_REQUIRE(bad.has_value());
    const auto r = run_tool({"dump", log.string()});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(contains(r.err, log.string() + ":" + std::to_string(bad->number) + ": byte " +
                                   std::to_string(bad->offset) + ": "),
               r);
    BOOST_TEST(evtest::read_file(log) == before);
}

BOOST_AUTO_TEST_CASE(DumpRejectsNonNumericFrom) {
    const auto log = fixture_spec_dirs()[0].dir / "events.jsonl";
    const auto r = run_tool({"dump", log.string(), "--from", "12abc"});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(contains(r.err, "--from"), r);
}

BOOST_AUTO_TEST_SUITE_END()
