// The command line itself: --help for every command, and exit 2 for what a
// person typed wrong (unknown command or option, missing argument, no such
// file, a SPEC_DIR not named by a ULID) before any data is touched.
#include <boost/test/unit_test.hpp>

#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

const std::vector<std::string> commands = {"verify", "repair", "dump",  "append", "recover",
                                           "snapshot", "specs", "cards", "export"};

/// The commands that take a SPEC_DIR.
const std::vector<std::string> spec_dir_commands = {"recover", "snapshot", "export"
#if EVLOG_TOOL_HAS_SQLITE
                                                    ,
                                                    "cards"
#endif
};

} // namespace

BOOST_AUTO_TEST_SUITE(tool_usage)

BOOST_AUTO_TEST_CASE(EveryCommandHelpExitsZeroAndPrintsItsUsage) {
    for (const auto& c : commands) {
        BOOST_TEST_CONTEXT(c) {
            const auto r = run_tool({c, "--help"});
            BOOST_TEST(r.exit_code == 0, r);
            BOOST_TEST(r.out.rfind("usage: evlog " + c, 0) == 0u, r);
            BOOST_TEST(r.err == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(TopLevelHelpListsEveryCommand) {
    const auto r = run_tool({"--help"});
    BOOST_TEST(r.exit_code == 0, r);
    for (const auto& c : commands) BOOST_TEST(contains(r.out, "evlog " + c + " "), c);
}

BOOST_AUTO_TEST_CASE(NoCommandIsUsageErrorOnStderr) {
    const auto r = run_tool({});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(contains(r.err, "usage:"), r);
}

BOOST_AUTO_TEST_CASE(UnknownCommandExitsTwoNamingIt) {
    const auto r = run_tool({"frobnicate"});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(contains(r.err, "frobnicate"), r);
}

BOOST_AUTO_TEST_CASE(MissingArgumentExitsTwoWithUsage) {
    for (const auto& c : commands) {
        BOOST_TEST_CONTEXT(c) {
            const auto r = run_tool({c});
            BOOST_TEST(r.exit_code == 2, r);
            BOOST_TEST(r.out == "");
#if !EVLOG_TOOL_HAS_SQLITE
            if (c == "specs" || c == "cards") continue;
#endif
            BOOST_TEST(contains(r.err, "missing"), r);
            BOOST_TEST(contains(r.err, "usage: evlog " + c), r);
        }
    }
}

BOOST_AUTO_TEST_CASE(UnknownOptionExitsTwoNamingIt) {
    const auto log = fixture_spec_dirs()[0].dir / "events.jsonl";
    const auto r = run_tool({"verify", log.string(), "--frobnicate", "1"});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(contains(r.err, "--frobnicate"), r);
}

BOOST_AUTO_TEST_CASE(OptionWithoutValueExitsTwo) {
    const auto log = fixture_spec_dirs()[0].dir / "events.jsonl";
    const auto r = run_tool({"dump", log.string(), "--from"});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(contains(r.err, "--from"), r);
}

BOOST_AUTO_TEST_CASE(NonexistentFileExitsTwoNamingIt) {
    evtest::temp_dir tmp;
    const auto missing = tmp / "no-such-thing";
    for (const auto& c : commands) {
        if (c == "append") continue; // it creates its file
#if !EVLOG_TOOL_HAS_SQLITE
        if (c == "specs" || c == "cards") continue;
#endif
        BOOST_TEST_CONTEXT(c) {
            const auto r = run_tool({c, missing.string()});
            BOOST_TEST(r.exit_code == 2, r);
            BOOST_TEST(r.out == "");
            BOOST_TEST(contains(r.err, missing.string()), r);
            BOOST_TEST(!fs::exists(missing));
        }
    }
}

BOOST_AUTO_TEST_CASE(AppendWhereNoFileCanBeCreatedExitsTwo) {
    // The parent is a regular file: an I/O error, not bad data.
    evtest::temp_dir tmp;
    evtest::write_file(tmp / "plain", "x");
    const auto r = run_tool({"append", (tmp / "plain/events.jsonl").string()}, with_stdin(""));
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(r.out == "");
    BOOST_TEST(evtest::read_file(tmp / "plain") == "x");
}

BOOST_AUTO_TEST_CASE(SpecDirNotNamedByUlidExitsTwoNamingItAndWritesNothing) {
    // `../etc` from a working directory beside it: recovery would create
    // index.db, snapshots/ or exports/ wherever it points.
    evtest::temp_dir tmp;
    const auto etc = tmp / "etc";
    fs::create_directories(etc);
    fs::create_directories(tmp / "work");
    evtest::write_file(etc / "events.jsonl", evtest::read_file(fixture_spec_dirs()[0].dir / "events.jsonl"));
    for (const auto& c : spec_dir_commands) {
        BOOST_TEST_CONTEXT(c) {
            const auto r = run_tool({c, "../etc"}, in_dir(tmp / "work"));
            BOOST_TEST(r.exit_code == 2, r);
            BOOST_TEST(r.out == "");
            BOOST_TEST(contains(r.err, "etc"), r);
            BOOST_TEST(std::distance(fs::directory_iterator(etc), fs::directory_iterator()) == 1);
        }
    }
}

BOOST_AUTO_TEST_CASE(FixtureDirNotNamedByUlidExitsTwo) {
    evtest::temp_dir tmp;
    const auto dir = copy_tree(fixtures() / "home/specs/not-a-ulid", tmp / "not-a-ulid");
    for (const auto& c : spec_dir_commands) {
        BOOST_TEST_CONTEXT(c) {
            const auto r = run_tool({c, dir.string()});
            BOOST_TEST(r.exit_code == 2, r);
            BOOST_TEST(contains(r.err, "not-a-ulid"), r);
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
