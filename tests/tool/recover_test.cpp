// `evlog recover SPEC_DIR [--policy …]` and `evlog snapshot SPEC_DIR`: the
// recovered state on stdout in the snapshot layout, equal to what the Go
// code recovered; the report on stderr; snapshots that later recoveries
// start from. Every run is on a copy of the fixtures.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <utility>

#include <boost/json/object.hpp>

#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

/// The one JSON object recover printed, with the snapshot layout's keys.
boost::json::object recovered(const result& r) {
    const auto lines = output_lines(r.out);
    BOOST_TEST_REQUIRE(lines.size() == 1u, r);
    auto v = parse_line(lines[0]);
    BOOST_TEST_REQUIRE((v && v->is_object()), r);
    for (const char* k : {"state", "last_event_id", "agent_contexts", "saved_at"})
        BOOST_TEST(v->as_object().contains(k), "no " << k);
    return v->as_object();
}

boost::json::value expected_state(const fs::path& expected_dir) {
    return spectest::load_json(expected_dir / "expected_state.json");
}

/// The snapshot files a spec directory holds, by name.
std::vector<std::string> snapshot_names(const fs::path& dir) {
    std::vector<std::string> out;
    if (!fs::is_directory(dir / "snapshots")) return out;
    for (const auto& e : fs::directory_iterator(dir / "snapshots")) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

std::string snapshot_name(std::uint64_t id) { return "state_" + std::to_string(id) + ".json"; }

std::optional<file_line> first_unparseable(const fs::path& log) {
    for (const auto& l : file_lines(log))
        if (!parse_line(l.text)) return l;
    return std::nullopt;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tool_recover)

BOOST_AUTO_TEST_CASE(RecoverPrintsStateEqualToGoRecoveryOfEveryFixtureSpec) {
    for (const auto& f : fixture_spec_dirs()) {
        BOOST_TEST_CONTEXT(f.id) {
            evtest::temp_dir tmp;
            const auto dir = copy_tree(f.dir, tmp / f.id);
            const auto r = run_tool({"recover", dir.string()});
            BOOST_TEST_REQUIRE(r.exit_code == 0, r);
            const auto out = recovered(r);
            const auto want = expected_state(f.expected);
            BOOST_TEST(spectest::json_diff(comparable_state(out), comparable_state(want)) == "");
            BOOST_TEST(out.at("last_event_id") == want.at("last_event_id"));
        }
    }
}

BOOST_AUTO_TEST_CASE(RecoverReportOnStderrNamesTheSnapshotItStartedFrom) {
    const auto f = fixture_spec_dirs()[0];
    const auto names = snapshot_names(f.dir);
    BOOST_TEST_REQUIRE(names.size() == 1u);
    evtest::temp_dir tmp;
    const auto dir = copy_tree(f.dir, tmp / f.id);
    const auto r = run_tool({"recover", dir.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST(contains(r.err, names[0]), r);
    BOOST_TEST(!contains(r.out, names[0]), "the report belongs on stderr");

    // A spec without snapshots names none.
    const auto g = fixture_spec_dirs()[1];
    BOOST_TEST_REQUIRE(snapshot_names(g.dir).empty());
    const auto r2 = run_tool({"recover", copy_tree(g.dir, tmp / g.id).string()});
    BOOST_TEST_REQUIRE(r2.exit_code == 0, r2);
    BOOST_TEST(!contains(r2.err, "state_"), r2);
}

BOOST_AUTO_TEST_CASE(RecoverCarriesAgentContextsOfTheSnapshot) {
    const auto f = fixture_spec_dirs()[0];
    const auto names = snapshot_names(f.dir);
    BOOST_TEST_REQUIRE(names.size() == 1u);
    const auto go = spectest::load_json(f.dir / "snapshots" / names[0]);
    BOOST_TEST_REQUIRE(!go.at("agent_contexts").as_object().empty());
    evtest::temp_dir tmp;
    const auto r = run_tool({"recover", copy_tree(f.dir, tmp / f.id).string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST(spectest::json_diff(recovered(r).at("agent_contexts"), go.at("agent_contexts")) == "");
}

BOOST_AUTO_TEST_CASE(RecoverRecoversTornTailByDefaultAsGoDoes) {
    evtest::temp_dir tmp;
    const auto dir = damaged_spec_dir(tmp, "torn_last_line");
    const auto r = run_tool({"recover", dir.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST(spectest::json_diff(comparable_state(recovered(r)),
                                   comparable_state(expected_state(damaged("torn_last_line")))) == "");
}

BOOST_AUTO_TEST_CASE(RecoverRefusesGarbageMiddleByDefaultNamingTheLine) {
    evtest::temp_dir tmp;
    const auto dir = damaged_spec_dir(tmp, "garbage_middle");
    const auto log = dir / "events.jsonl";
    const auto before = evtest::read_file(log);
    const auto bad = first_unparseable(log);
    BOOST_TEST_REQUIRE(bad.has_value());

    const auto r = run_tool({"recover", dir.string()});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(r.out == "", r);
    BOOST_TEST(contains(r.err, "events.jsonl:" + std::to_string(bad->number) + ": byte " + std::to_string(bad->offset)),
               r);
    BOOST_TEST(evtest::read_file(log) == before);
    BOOST_TEST(snapshot_names(dir).empty());
}

BOOST_AUTO_TEST_CASE(RecoverQuarantinePolicyRecoversGarbageMiddleAsGoDoes) {
    evtest::temp_dir tmp;
    const auto dir = damaged_spec_dir(tmp, "garbage_middle");
    const auto bad = first_unparseable(dir / "events.jsonl");
    BOOST_TEST_REQUIRE(bad.has_value());

    const auto r = run_tool({"recover", dir.string(), "--policy", "quarantine"});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST(spectest::json_diff(comparable_state(recovered(r)),
                                   comparable_state(expected_state(damaged("garbage_middle")))) == "");
    // Where Go deletes the line, evlog keeps its bytes.
    const auto q = evtest::read_file(dir / "events.jsonl.quarantine");
    BOOST_TEST(contains(q, bad->text), q);
    BOOST_TEST(!first_unparseable(dir / "events.jsonl").has_value());
}

BOOST_AUTO_TEST_CASE(RecoverRejectsUnknownPolicy) {
    evtest::temp_dir tmp;
    const auto f = fixture_spec_dirs()[1];
    const auto r = run_tool({"recover", copy_tree(f.dir, tmp / f.id).string(), "--policy", "optimistic"});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(contains(r.err, "--policy"), r);
}

BOOST_AUTO_TEST_CASE(RecoverAcceptsDotAndTrailingSlashForTheSpecDir) {
    // `cd specs/01J… && evlog recover .` names the same spec as its path.
    const auto f = fixture_spec_dirs()[1];
    evtest::temp_dir tmp;
    const auto dir = copy_tree(f.dir, tmp / f.id);
    const auto want = comparable_state(expected_state(f.expected));
    for (const auto& [arg, cwd] : std::vector<std::pair<std::string, fs::path>>{
             {".", dir}, {"./", dir}, {f.id + "/", tmp.path()}, {"../" + f.id, dir}}) {
        BOOST_TEST_CONTEXT("recover " << arg) {
            const auto r = run_tool({"recover", arg}, in_dir(cwd));
            BOOST_TEST_REQUIRE(r.exit_code == 0, r);
            BOOST_TEST(spectest::json_diff(comparable_state(recovered(r)), want) == "");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(tool_snapshot)

BOOST_AUTO_TEST_CASE(SnapshotWritesStateAtLastEventThatRecoverThenStartsFrom) {
    const auto f = fixture_spec_dirs()[1];
    BOOST_TEST_REQUIRE(snapshot_names(f.dir).empty());
    const auto want = expected_state(f.expected);
    const auto last = want.at("last_event_id").to_number<std::uint64_t>();
    evtest::temp_dir tmp;
    const auto dir = copy_tree(f.dir, tmp / f.id);

    const auto r = run_tool({"snapshot", dir.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST(contains(r.out, snapshot_name(last)), r);
    BOOST_TEST(snapshot_names(dir) == std::vector<std::string>{snapshot_name(last)}, boost::test_tools::per_element());
    const auto saved = spectest::load_json(dir / "snapshots" / snapshot_name(last));
    BOOST_TEST(saved.at("last_event_id").to_number<std::uint64_t>() == last);
    BOOST_TEST(spectest::json_diff(comparable_state(saved), comparable_state(want)) == "");

    const auto again = run_tool({"recover", dir.string()});
    BOOST_TEST_REQUIRE(again.exit_code == 0, again);
    BOOST_TEST(contains(again.err, snapshot_name(last)), again);
    BOOST_TEST(spectest::json_diff(comparable_state(recovered(again)), comparable_state(want)) == "");
}

BOOST_AUTO_TEST_CASE(SnapshotCarriesAgentContextsOfThePreviousSnapshot) {
    const auto f = fixture_spec_dirs()[0];
    const auto names = snapshot_names(f.dir);
    BOOST_TEST_REQUIRE(names.size() == 1u);
    const auto go = spectest::load_json(f.dir / "snapshots" / names[0]);
    BOOST_TEST_REQUIRE(!go.at("agent_contexts").as_object().empty());
    const auto last = expected_state(f.expected).at("last_event_id").to_number<std::uint64_t>();
    BOOST_TEST_REQUIRE(snapshot_name(last) != names[0]);
    evtest::temp_dir tmp;
    const auto dir = copy_tree(f.dir, tmp / f.id);

    const auto r = run_tool({"snapshot", dir.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    const auto saved = spectest::load_json(dir / "snapshots" / snapshot_name(last));
    BOOST_TEST(spectest::json_diff(saved.at("agent_contexts"), go.at("agent_contexts")) == "");

    const auto again = run_tool({"recover", dir.string()});
    BOOST_TEST_REQUIRE(again.exit_code == 0, again);
    BOOST_TEST(contains(again.err, snapshot_name(last)), again);
}

BOOST_AUTO_TEST_CASE(SnapshotOfSpecWithoutEventsWritesNothing) {
    evtest::temp_dir tmp;
    const auto dir = tmp / fixture_spec_dirs()[1].id;
    fs::create_directories(dir);
    const auto r = run_tool({"snapshot", dir.string()});
    BOOST_TEST(r.exit_code == 0, r);
    BOOST_TEST(snapshot_names(dir).empty());
}

BOOST_AUTO_TEST_CASE(SnapshotRefusesGarbageMiddleWithoutWritingOne) {
    evtest::temp_dir tmp;
    const auto dir = damaged_spec_dir(tmp, "garbage_middle");
    const auto r = run_tool({"snapshot", dir.string()});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(snapshot_names(dir).empty());
}

BOOST_AUTO_TEST_SUITE_END()
