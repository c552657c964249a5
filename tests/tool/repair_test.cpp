// `evlog repair FILE [--policy truncate-tail|quarantine]`: one JSON object
// on stdout; exit 0 when the file is clean afterwards, 1 when the policy
// refused (file untouched), 2 for a usage error. Always on copies.
#include <boost/test/unit_test.hpp>

#include <boost/json/object.hpp>

#include "support/log_test_util.hpp"
#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

/// A copy of a damaged variant's input log in `tmp`.
fs::path copy_of(const evtest::temp_dir& tmp, const std::string& variant) {
    const auto p = tmp / "events.jsonl";
    fs::copy_file(damaged(variant) / "input.events.jsonl", p);
    return p;
}

fs::path quarantine_of(const fs::path& log) {
    auto q = log;
    q += ".quarantine";
    return q;
}

/// The report: exactly one line holding one object with exactly the four keys.
boost::json::object report_of(const result& r) {
    const auto lines = output_lines(r.out);
    BOOST_TEST_REQUIRE(lines.size() == 1u, r);
    auto v = parse_line(lines[0]);
    BOOST_TEST_REQUIRE((v && v->is_object()), r);
    const auto& o = v->as_object();
    BOOST_TEST(o.size() == 4u, lines[0]);
    for (const char* k : {"kept", "truncated_bytes", "quarantined", "quarantine_file"})
        BOOST_TEST(o.contains(k), "no " << k << " in " << lines[0]);
    return o;
}

std::uint64_t num(const boost::json::object& o, const char* k) { return o.at(k).to_number<std::uint64_t>(); }

void check_verifies_clean(const fs::path& log, std::size_t events) {
    const auto v = run_tool({"verify", log.string()});
    BOOST_TEST(v.exit_code == 0, v);
    BOOST_TEST(v.out == "ok " + std::to_string(events) + " events\n", v);
}

} // namespace

BOOST_AUTO_TEST_SUITE(tool_repair)

BOOST_AUTO_TEST_CASE(RepairTruncatesTornTailByDefaultAndFileVerifiesAfter) {
    evtest::temp_dir tmp;
    const auto log = copy_of(tmp, "torn_last_line");
    const auto before = evtest::read_file(log);
    const auto lines = split_lines(before);
    const auto torn = lines.back();
    BOOST_TEST_REQUIRE(!torn.terminated);
    const auto events = events_of(lines).size();

    const auto r = run_tool({"repair", log.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    const auto o = report_of(r);
    BOOST_TEST(num(o, "kept") == events);
    BOOST_TEST(num(o, "truncated_bytes") == torn.text.size());
    // The file is the clean prefix, and verifies.
    BOOST_TEST(evtest::read_file(log) == before.substr(0, torn.offset));
    check_verifies_clean(log, events);
}

BOOST_AUTO_TEST_CASE(RepairTruncateTailKeepsTheCutBytesInQuarantine) {
    // docs/policies.md: the cut tail goes to <log>.quarantine first, so no
    // byte is lost even under the default policy.
    evtest::temp_dir tmp;
    const auto log = copy_of(tmp, "torn_last_line");
    const auto torn = file_lines(log).back();

    const auto r = run_tool({"repair", log.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    const auto o = report_of(r);
    BOOST_TEST(num(o, "quarantined") == 1u);
    BOOST_TEST_REQUIRE(o.at("quarantine_file").is_string());
    BOOST_TEST(std::string(o.at("quarantine_file").as_string()) == quarantine_of(log).string());
    const auto recs = evtest::parse_quarantine(evtest::read_file(quarantine_of(log)));
    BOOST_TEST_REQUIRE(recs.size() == 1u);
    BOOST_TEST(recs[0].line == torn.number);
    BOOST_TEST(recs[0].offset == torn.offset);
    BOOST_TEST(recs[0].bytes == torn.text);
}

BOOST_AUTO_TEST_CASE(RepairOfCleanLogReportsNothingAndLeavesFileAlone) {
    evtest::temp_dir tmp;
    const auto log = tmp / "events.jsonl";
    fs::copy_file(fixture_spec_dirs()[1].dir / "events.jsonl", log);
    const auto before = evtest::read_file(log);

    const auto r = run_tool({"repair", log.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    const auto o = report_of(r);
    BOOST_TEST(num(o, "kept") == events_of(split_lines(before)).size());
    BOOST_TEST(num(o, "truncated_bytes") == 0u);
    BOOST_TEST(num(o, "quarantined") == 0u);
    BOOST_TEST(o.at("quarantine_file").is_null());
    BOOST_TEST(evtest::read_file(log) == before);
    BOOST_TEST(!fs::exists(quarantine_of(log)));
}

BOOST_AUTO_TEST_CASE(RepairRefusesGarbageMiddleByDefaultLeavingFileByteIdentical) {
    evtest::temp_dir tmp;
    const auto log = copy_of(tmp, "garbage_middle");
    const auto before = evtest::read_file(log);
    std::optional<file_line> bad;
    for (const auto& l : split_lines(before))
        if (!bad && !parse_line(l.text)) bad = l;
    BOOST_TEST_REQUIRE(bad.has_value());

    const auto r = run_tool({"repair", log.string()});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(r.out == "", r);
    BOOST_TEST(contains(r.err, log.string() + ":" + std::to_string(bad->number) + ": byte " +
                                   std::to_string(bad->offset) + ": "),
               r);
    BOOST_TEST(evtest::read_file(log) == before);
    BOOST_TEST(!fs::exists(quarantine_of(log)));
}

BOOST_AUTO_TEST_CASE(RepairQuarantinePolicyMovesGarbageOutAndKeepsEveryEvent) {
    evtest::temp_dir tmp;
    const auto log = copy_of(tmp, "garbage_middle");
    const auto lines = file_lines(log);
    std::vector<file_line> bad;
    for (const auto& l : lines)
        if (!parse_line(l.text)) bad.push_back(l);
    BOOST_TEST_REQUIRE(!bad.empty());
    std::vector<std::uint64_t> ids;
    for (const auto& e : events_of(lines)) ids.push_back(id_of(e));

    const auto r = run_tool({"repair", log.string(), "--policy", "quarantine"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    const auto o = report_of(r);
    BOOST_TEST(num(o, "kept") == ids.size());
    BOOST_TEST(num(o, "quarantined") >= 1u);
    BOOST_TEST_REQUIRE(o.at("quarantine_file").is_string());
    const fs::path q = std::string(o.at("quarantine_file").as_string());
    BOOST_TEST_REQUIRE(fs::exists(q));
    const auto recs = evtest::parse_quarantine(evtest::read_file(q));
    BOOST_TEST_REQUIRE(recs.size() == bad.size());
    for (std::size_t i = 0; i < bad.size(); ++i) {
        BOOST_TEST(recs[i].line == bad[i].number);
        BOOST_TEST(recs[i].offset == bad[i].offset);
        BOOST_TEST(recs[i].bytes == bad[i].text + "\n");
    }
    check_verifies_clean(log, ids.size());
    BOOST_TEST(dumped_ids(log) == ids, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(RepairRejectsUnknownPolicyWithoutTouchingFile) {
    evtest::temp_dir tmp;
    const auto log = copy_of(tmp, "torn_last_line");
    const auto before = evtest::read_file(log);
    const auto r = run_tool({"repair", log.string(), "--policy", "truncate-everything"});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(contains(r.err, "--policy"), r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(evtest::read_file(log) == before);
}

BOOST_AUTO_TEST_SUITE_END()
