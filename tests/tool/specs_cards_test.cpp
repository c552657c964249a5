// `evlog specs HOME` and `evlog cards SPEC_DIR`: JSON arrays from the
// SQLite index, keyed by the Go schema's column names, equal to the Go
// code's rows. Without SQLite both are usage errors (exit 2).
#include <boost/test/unit_test.hpp>

#include <algorithm>

#include <boost/json/array.hpp>

#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

[[maybe_unused]] boost::json::array array_of(const result& r) {
    const auto lines = output_lines(r.out);
    BOOST_TEST_REQUIRE(lines.size() == 1u, r);
    auto v = parse_line(lines[0]);
    BOOST_TEST_REQUIRE((v && v->is_array()), r);
    return v->as_array();
}

/// The rows of both fixture specs under home/, newest updated_at first.
[[maybe_unused]] boost::json::array expected_home_specs() {
    boost::json::array rows;
    for (std::size_t i = 0; i < 2; ++i) {
        const auto specs = spectest::load_json(fixture_spec_dirs()[i].expected / "expected_specs.json");
        for (const auto& row : specs.as_array()) rows.push_back(row);
    }
    auto updated = [](const boost::json::value& v) {
        return *evlog::timestamp::parse(v.at("updated_at").as_string());
    };
    std::stable_sort(rows.begin(), rows.end(),
                     [&](const boost::json::value& a, const boost::json::value& b) { return updated(b) < updated(a); });
    return rows;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tool_specs_cards)

#if EVLOG_TOOL_HAS_SQLITE

BOOST_AUTO_TEST_CASE(SpecsListsEveryFixtureSpecNewestFirst) {
    evtest::temp_dir tmp;
    const auto home = copy_tree(fixtures() / "home", tmp / "home");
    const auto want = expected_home_specs();
    BOOST_TEST_REQUIRE(want.size() == 2u);
    const auto r = run_tool({"specs", home.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST(spectest::json_diff(array_of(r), want) == "");
}

BOOST_AUTO_TEST_CASE(SpecsSkipsEntriesNotNamedByUlid) {
    evtest::temp_dir tmp;
    const auto home = copy_tree(fixtures() / "home", tmp / "home");
    BOOST_TEST_REQUIRE(fs::is_regular_file(home / "specs/README.txt"));
    BOOST_TEST_REQUIRE(fs::is_directory(home / "specs/not-a-ulid"));
    const auto stray_before = evtest::read_file(home / "specs/README.txt");
    const auto r = run_tool({"specs", home.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST(r.err == "", r);
    BOOST_TEST(array_of(r).size() == expected_home_specs().size());
    // Nothing was recovered, indexed or written in the stray entries.
    BOOST_TEST(std::distance(fs::directory_iterator(home / "specs/not-a-ulid"), fs::directory_iterator()) == 1);
    BOOST_TEST(evtest::read_file(home / "specs/README.txt") == stray_before);
}

BOOST_AUTO_TEST_CASE(SpecsOneBadSpecDoesNotHideTheOthers) {
    evtest::temp_dir tmp;
    const auto home = copy_tree(fixtures() / "home", tmp / "home");
    const auto bad = home / "specs" / fixture_spec_dirs()[2].id;
    fs::create_directories(bad);
    fs::copy_file(damaged("garbage_middle") / "input.events.jsonl", bad / "events.jsonl");
    const auto r = run_tool({"specs", home.string()});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(contains(r.err, bad.string()), r);
    BOOST_TEST(spectest::json_diff(array_of(r), expected_home_specs()) == "");
}

BOOST_AUTO_TEST_CASE(CardsEqualGoIndexRowsForEveryFixtureSpec) {
    for (const auto& f : fixture_spec_dirs()) {
        BOOST_TEST_CONTEXT(f.id) {
            evtest::temp_dir tmp;
            const auto dir = copy_tree(f.dir, tmp / f.id);
            const auto want = spectest::load_json(f.expected / "expected_cards.json");
            BOOST_TEST_REQUIRE(!want.as_array().empty());
            const auto r = run_tool({"cards", dir.string()});
            BOOST_TEST_REQUIRE(r.exit_code == 0, r);
            BOOST_TEST(spectest::json_diff(array_of(r), want) == "");
            // A second run reads the index the first one built.
            BOOST_TEST_REQUIRE(fs::exists(dir / "index.db"));
            const auto again = run_tool({"cards", dir.string()});
            BOOST_TEST_REQUIRE(again.exit_code == 0, again);
            BOOST_TEST(spectest::json_diff(array_of(again), want) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(CardsRefusesGarbageMiddle) {
    evtest::temp_dir tmp;
    const auto dir = damaged_spec_dir(tmp, "garbage_middle");
    const auto r = run_tool({"cards", dir.string()});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(r.out == "", r);
}

#else

BOOST_AUTO_TEST_CASE(SpecsAndCardsWithoutSqliteAreUsageErrors) {
    evtest::temp_dir tmp;
    const auto home = copy_tree(fixtures() / "home", tmp / "home");
    const auto f = fixture_spec_dirs()[0];
    for (const auto& args : std::vector<std::vector<std::string>>{{"specs", home.string()},
                                                                   {"cards", (home / "specs" / f.id).string()}}) {
        BOOST_TEST_CONTEXT(args[0]) {
            const auto r = run_tool(args);
            BOOST_TEST(r.exit_code == 2, r);
            BOOST_TEST(r.out == "");
            BOOST_TEST(contains(r.err, "SQLite"), r);
        }
    }
    BOOST_TEST(!fs::exists(home / "specs" / f.id / "index.db"));
}

#endif

BOOST_AUTO_TEST_SUITE_END()
