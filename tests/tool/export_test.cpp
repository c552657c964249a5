// `evlog export SPEC_DIR [--format md|yaml|dot|all]`: writes the chosen
// files into SPEC_DIR/exports/, each naming the spec and every card.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <set>

#include "tool/tool_test_util.hpp"

namespace {

using namespace tooltest;

std::set<std::string> exported(const fs::path& dir) {
    std::set<std::string> out;
    if (!fs::is_directory(dir / "exports")) return out;
    for (const auto& e : fs::directory_iterator(dir / "exports")) out.insert(e.path().filename().string());
    return out;
}

/// The spec title and every card title the Go code recovered for `f`.
std::vector<std::string> titles(const fixture_spec_dir& f) {
    std::vector<std::string> out;
    const auto specs = spectest::load_json(f.expected / "expected_specs.json");
    const auto cards = spectest::load_json(f.expected / "expected_cards.json");
    for (const auto& s : specs.as_array()) out.emplace_back(s.at("title").as_string());
    for (const auto& c : cards.as_array()) out.emplace_back(c.at("title").as_string());
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(tool_export)

BOOST_AUTO_TEST_CASE(ExportAllWritesMarkdownYamlAndDotNamingEveryCard) {
    for (const auto& f : fixture_spec_dirs()) {
        BOOST_TEST_CONTEXT(f.id) {
            evtest::temp_dir tmp;
            const auto dir = copy_tree(f.dir, tmp / f.id);
            const auto r = run_tool({"export", dir.string(), "--format", "all"});
            BOOST_TEST_REQUIRE(r.exit_code == 0, r);
            BOOST_TEST((exported(dir) == std::set<std::string>{"spec.md", "spec.yaml", "spec.dot"}));
            const auto want = titles(f);
            BOOST_TEST_REQUIRE(want.size() > 1u);
            for (const char* file : {"spec.md", "spec.yaml", "spec.dot"}) {
                const auto text = evtest::read_file(dir / "exports" / file);
                BOOST_TEST(contains(r.out, (dir / "exports" / file).string()), r);
                for (const auto& t : want) BOOST_TEST(contains(text, t), file << " lacks \"" << t << "\"");
            }
        }
    }
}

BOOST_AUTO_TEST_CASE(ExportDefaultsToAllFormats) {
    const auto f = fixture_spec_dirs()[1];
    evtest::temp_dir tmp;
    const auto dir = copy_tree(f.dir, tmp / f.id);
    const auto r = run_tool({"export", dir.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    BOOST_TEST((exported(dir) == std::set<std::string>{"spec.md", "spec.yaml", "spec.dot"}));
}

BOOST_AUTO_TEST_CASE(ExportOneFormatWritesOnlyThatFile) {
    const auto f = fixture_spec_dirs()[0];
    for (const auto& [format, file] : std::vector<std::pair<std::string, std::string>>{
             {"md", "spec.md"}, {"yaml", "spec.yaml"}, {"dot", "spec.dot"}}) {
        BOOST_TEST_CONTEXT(format) {
            evtest::temp_dir tmp;
            const auto dir = copy_tree(f.dir, tmp / f.id);
            const auto r = run_tool({"export", dir.string(), "--format", format});
            BOOST_TEST_REQUIRE(r.exit_code == 0, r);
            BOOST_TEST((exported(dir) == std::set<std::string>{file}));
            const auto text = evtest::read_file(dir / "exports" / file);
            for (const auto& t : titles(f)) BOOST_TEST(contains(text, t), file << " lacks \"" << t << "\"");
        }
    }
}

BOOST_AUTO_TEST_CASE(ExportRejectsUnknownFormatWritingNothing) {
    const auto f = fixture_spec_dirs()[0];
    evtest::temp_dir tmp;
    const auto dir = copy_tree(f.dir, tmp / f.id);
    const auto r = run_tool({"export", dir.string(), "--format", "pdf"});
    BOOST_TEST(r.exit_code == 2, r);
    BOOST_TEST(contains(r.err, "--format"), r);
    BOOST_TEST(!fs::exists(dir / "exports"));
}

BOOST_AUTO_TEST_CASE(ExportRefusesGarbageMiddleWritingNothing) {
    evtest::temp_dir tmp;
    const auto dir = damaged_spec_dir(tmp, "garbage_middle");
    const auto r = run_tool({"export", dir.string()});
    BOOST_TEST(r.exit_code == 1, r);
    BOOST_TEST(exported(dir).empty());
}

BOOST_AUTO_TEST_SUITE_END()
