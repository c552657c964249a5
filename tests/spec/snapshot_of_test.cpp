// spec::snapshot_of: the snapshot a daemon takes of what recovery returned.
// Its log_offset must only claim a position it knows, and the agent
// contexts of the snapshot recovery started from must not be dropped.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <evlog/recovery/recover.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/spec/store.hpp>

#include "spec/spec_test_util.hpp"
#include "support/log_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace spec = evlog::spec;
using config = spec::recovery_config_no_index<>;

const evlog::timestamp saved_at = *evlog::timestamp::parse("2026-02-01T08:30:00Z");

/// The spec without a Go snapshot (so every event is replayed from the log).
spectest::fixture_spec plain_spec() {
    for (const auto& f : spectest::clean_specs())
        if (!fs::exists(f.dir() / "snapshots")) return f;
    throw std::runtime_error("no fixture spec without snapshots");
}

/// The spec with the Go snapshot.
spectest::fixture_spec snapshot_spec() {
    for (const auto& f : spectest::clean_specs())
        if (fs::exists(f.dir() / "snapshots")) return f;
    throw std::runtime_error("no fixture spec with snapshots");
}

/// A copy of the plain spec's log with an event of an unknown payload type
/// after its last event: the log then ends past the state's last event.
std::string log_ending_with_unknown_event() {
    const auto clean = spectest::events_of(plain_spec().log);
    auto v = boost::json::parse(spectest::first_dropped_line(spectest::fixtures() / "damaged/unknown_payload_type").text);
    v.as_object()["event_id"] = clean.back().id + 1;
    v.as_object()["spec_id"] = clean.back().stream.str();
    return spectest::slurp(plain_spec().log) + boost::json::serialize(v) + "\n";
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_snapshot_of)

BOOST_AUTO_TEST_CASE(LogOffsetIsLogEndWhenStateEndsAtLastLine) {
    spectest::spec_home home;
    const auto p = home.add_spec_dir(plain_spec().dir());
    const auto r = evlog::recover<config>(p.dir);
    const auto s = spec::snapshot_of(r, std::nullopt, saved_at);
    BOOST_TEST(s.last_event_id == r.state.last_event_id);
    BOOST_TEST(s.log_offset == std::optional<std::uint64_t>(fs::file_size(p.log())));
    BOOST_TEST((s.saved_at == saved_at));
    BOOST_TEST((s.state == r.state));
    BOOST_TEST(s.agent_contexts.empty());

    // Recovery trusts it: it seeks there and replays nothing.
    spec::spec_snapshot_store(p.snapshots()).save(s);
    const auto again = evlog::recover<config>(p.dir);
    BOOST_TEST(again.report.snapshot_id == std::optional<std::uint64_t>(s.last_event_id));
    BOOST_TEST(again.report.seeked);
    BOOST_TEST(again.report.replay_start == *s.log_offset);
    BOOST_TEST(again.report.events_replayed == 0u);
    BOOST_TEST((again.state == r.state));
}

// The torn tail is cut before the offset is taken: the offset is the end
// of the repaired log, not of the file recovery found.
BOOST_AUTO_TEST_CASE(LogOffsetIsEndOfRepairedLogAfterTornTail) {
    spectest::spec_home home;
    const auto p = home.add_log(spectest::fixtures() / "damaged/torn_last_line/input.events.jsonl");
    const auto size_before = fs::file_size(p.log());
    const auto r = evlog::recover<config>(p.dir);
    const auto s = spec::snapshot_of(r, std::nullopt, saved_at);
    BOOST_TEST_REQUIRE(s.log_offset.has_value());
    BOOST_TEST(*s.log_offset == fs::file_size(p.log()));
    BOOST_TEST(*s.log_offset < size_before);
}

// Quarantine rewrites the log without the bad line: the offset is in the
// new file, and recovery can seek to it.
BOOST_AUTO_TEST_CASE(LogOffsetIsInRewrittenLogAfterQuarantine) {
    spectest::spec_home home;
    const auto p = home.add_log(spectest::fixtures() / "damaged/garbage_middle/input.events.jsonl");
    const auto r = evlog::recover<spec::recovery_config_no_index<evlog::repair_quarantine>>(p.dir);
    BOOST_TEST_REQUIRE(r.report.repair.rewritten);
    const auto s = spec::snapshot_of(r, std::nullopt, saved_at);
    BOOST_TEST(s.log_offset == std::optional<std::uint64_t>(fs::file_size(p.log())));
    spec::spec_snapshot_store(p.snapshots()).save(s);
    const auto again = evlog::recover<config>(p.dir);
    BOOST_TEST(again.report.seeked);
    BOOST_TEST((again.state == r.state));
}

// An unknown event after the state's last one: the state ends before the
// log does, so the offset of the state's event is not known.
BOOST_AUTO_TEST_CASE(LogOffsetIsUnknownWhenLogEndsPastState) {
    spectest::spec_home home;
    const auto id = spectest::spec_id_of_log(plain_spec().log);
    const auto p = home.manager().create_stream(id);
    const auto bytes = log_ending_with_unknown_event();
    evtest::write_file(p.log(), bytes);
    const auto r = evlog::recover<config>(p.dir);
    BOOST_TEST_REQUIRE(r.report.unknown_events == 1u);
    BOOST_TEST_REQUIRE(r.last_event_id == std::optional<std::uint64_t>(r.state.last_event_id + 1));
    const auto s = spec::snapshot_of(r, std::nullopt, saved_at);
    BOOST_TEST(!s.log_offset.has_value());
    BOOST_TEST(s.last_event_id == r.state.last_event_id);

    // Saved without an offset, it is found by id; recovery gives the same state.
    spec::spec_snapshot_store store(p.snapshots());
    store.save(s);
    BOOST_TEST(!spectest::load_json(store.path_of(s.last_event_id)).as_object().contains("log_offset"));
    const auto again = evlog::recover<config>(p.dir);
    BOOST_TEST(again.report.snapshot_id == std::optional<std::uint64_t>(s.last_event_id));
    BOOST_TEST(!again.report.seeked);
    BOOST_TEST((again.state == r.state));
    BOOST_TEST(evtest::read_file(p.log()) == bytes);
}

// With no log at all there is no offset to give, even though a snapshot
// holds the state.
BOOST_AUTO_TEST_CASE(LogOffsetIsUnknownWhenLogIsMissing) {
    spectest::spec_home home;
    const auto p = home.add_spec_dir(snapshot_spec().dir());
    fs::remove(p.log());
    const auto r = evlog::recover<config>(p.dir);
    BOOST_TEST_REQUIRE(r.report.log_missing);
    BOOST_TEST_REQUIRE(r.report.snapshot_id.has_value());
    const auto s = spec::snapshot_of(r, std::nullopt, saved_at);
    BOOST_TEST(!s.log_offset.has_value());
    BOOST_TEST(s.last_event_id == *r.report.snapshot_id);
}

BOOST_AUTO_TEST_CASE(AgentContextsAreCarriedFromPreviousSnapshot) {
    spectest::spec_home home;
    const auto f = snapshot_spec();
    const auto p = home.add_spec_dir(f.dir());
    // Give the Go snapshot some agent contexts, as the daemon would.
    spec::spec_snapshot_store store(p.snapshots());
    auto go = store.load_latest();
    BOOST_TEST_REQUIRE(go.snapshot.has_value());
    go.snapshot->agent_contexts["planner"] = boost::json::parse(R"({"memory":["a","b"],"step":3})");
    go.snapshot->agent_contexts["critic"] = boost::json::parse(R"("short \"note\"")");
    store.save(*go.snapshot);

    const auto r = evlog::recover<config>(p.dir);
    BOOST_TEST_REQUIRE(r.report.snapshot_id == std::optional<std::uint64_t>(go.snapshot->last_event_id));
    const auto previous = store.load(*r.report.snapshot_id);
    const auto s = spec::snapshot_of(r, previous, saved_at);
    BOOST_TEST(s.agent_contexts == go.snapshot->agent_contexts);
    BOOST_TEST(s.last_event_id == spectest::expected_last_event_id(f.expected));

    store.save(s);
    const auto file = spectest::load_json(store.path_of(s.last_event_id));
    const auto& written = file.at("agent_contexts").as_object();
    BOOST_TEST(written.size() == go.snapshot->agent_contexts.size());
    for (const auto& [name, context] : go.snapshot->agent_contexts) {
        BOOST_TEST_REQUIRE(written.contains(name), name);
        BOOST_TEST(written.at(name) == context, name);
    }

    // Without a previous snapshot there are none to carry.
    BOOST_TEST(spec::snapshot_of(r, std::nullopt, saved_at).agent_contexts.empty());
}

BOOST_AUTO_TEST_SUITE_END()
