// A spec store built from scratch by evlog: the files a daemon leaves
// (log, snapshot, exports) lie where the Go daemon puts them, its lines use
// the Go keys, and recovery gives back the state that was built.
#include <boost/test/unit_test.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include <evlog/recovery/recover.hpp>
#include <evlog/spec/exports.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/spec/store.hpp>

#include "spec/spec_test_util.hpp"
#include "support/log_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace spec = evlog::spec;

const evlog::ulid scratch_id = *evlog::ulid::parse("01KJP0000SSSSSSSSSSSSSSSSS");

spec::spec_state fold_all(const std::vector<spec::spec_event>& events) {
    auto s = spec::initial_state(events.at(0).stream);
    for (const auto& e : events) spec::apply(s, e);
    return s;
}

std::set<std::string> keys_of(const boost::json::value& v) {
    std::set<std::string> out;
    for (const auto& kv : v.as_object()) out.insert(std::string(kv.key()));
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_scratch_store)

BOOST_AUTO_TEST_CASE(AllKindsEventsCoverEveryPayloadType) {
    std::set<std::string> types;
    for (const auto& e : spectest::all_kinds_events(scratch_id)) types.insert(std::string(e.type_name()));
    BOOST_TEST(types.size() == std::variant_size_v<spec::spec_payload>);
}

BOOST_AUTO_TEST_CASE(ScratchStoreHasGoLayout) {
    const auto events = spectest::all_kinds_events(scratch_id);
    spectest::spec_home home;
    const auto p = spectest::build_spec_store(home.manager(), events, events.size() / 2);
    const auto r = evlog::recover<spec::recovery_config_no_index<>>(p.dir);
    spec::write_exports(p.exports(), r.state, spec::export_format::markdown);

    // The layout of the Go spec directory with a snapshot, plus the export
    // the Go daemon writes too (the fixtures leave exports/ out).
    auto want = spectest::layout_of(spectest::fixtures() / "home/specs/01KF0HJ087AE67Z5NHCJZHQ5XV");
    want.push_back("exports/spec.md");
    std::sort(want.begin(), want.end());
    BOOST_TEST(spectest::layout_of(p.dir) == want, boost::test_tools::per_element());
    BOOST_TEST(p.dir == home.home() / "specs" / scratch_id.str());

    std::vector<evlog::ulid> listed = home.manager().list_streams();
    BOOST_TEST_REQUIRE(listed.size() == 1u);
    BOOST_TEST(listed[0].str() == scratch_id.str());
}

BOOST_AUTO_TEST_CASE(ScratchStoreRecoversTheStateItWasBuiltFrom) {
    const auto events = spectest::all_kinds_events(scratch_id);
    const auto snap_at = events.size() / 2;
    spectest::spec_home home;
    const auto p = spectest::build_spec_store(home.manager(), events, snap_at);
    const auto r = evlog::recover<spec::recovery_config_no_index<>>(p.dir);
    const auto want = fold_all(events);
    BOOST_TEST((r.state == want));
    BOOST_TEST(spectest::json_diff(spec::to_json(r.state), spec::to_json(want)) == "");
    BOOST_TEST(r.last_event_id == std::optional<std::uint64_t>(events.back().id));
    BOOST_TEST(r.report.snapshot_id == std::optional<std::uint64_t>(events[snap_at - 1].id));
    BOOST_TEST(r.report.seeked); // evlog's snapshot knows its log offset
    BOOST_TEST(r.report.events_replayed == events.size() - snap_at);
    BOOST_TEST(r.state.pending_question.has_value());

    // The log holds the events as appended.
    const auto got = spectest::events_of(p.log());
    BOOST_TEST_REQUIRE(got.size() == events.size());
    for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(spectest::same_event(got[i], events[i]), "event " << i + 1);
}

// A Go reader knows only the keys Go writes: every key of an evlog line
// must be one that Go lines of the same payload type use.
BOOST_AUTO_TEST_CASE(ScratchLinesUseOnlyGoKeys) {
    std::set<std::string> go_top;
    std::map<std::string, std::set<std::string>> go_payload;
    for (const auto& f : spectest::clean_specs())
        for (const auto& line : spectest::lines_of(f.log)) {
            const auto v = boost::json::parse(line);
            for (const auto& k : keys_of(v)) go_top.insert(k);
            const auto& payload = v.at("payload");
            auto& keys = go_payload[std::string(payload.at("type").as_string())];
            for (const auto& k : keys_of(payload)) keys.insert(k);
        }

    const auto events = spectest::all_kinds_events(scratch_id);
    spectest::spec_home home;
    const auto p = spectest::build_spec_store(home.manager(), events, events.size() / 2);
    std::size_t n = 0;
    for (const auto& line : spectest::lines_of(p.log())) {
        const auto v = boost::json::parse(line);
        BOOST_TEST((keys_of(v) == go_top), line);
        const auto type = std::string(v.at("payload").at("type").as_string());
        BOOST_TEST_CONTEXT(type) {
            BOOST_TEST_REQUIRE(go_payload.count(type) == 1u);
            for (const auto& k : keys_of(v.at("payload"))) BOOST_TEST(go_payload[type].count(k) == 1u, "key " << k);
        }
        ++n;
    }
    BOOST_TEST(n == events.size());
}

BOOST_AUTO_TEST_SUITE_END()
