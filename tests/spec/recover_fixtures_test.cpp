// evlog::recover over the Go implementation's spec directories and damaged
// logs: the state Go recovered, the snapshot it left, the spec listing, and
// where evlog keeps what Go's repair deletes.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <evlog/log/repair.hpp>
#include <evlog/recovery/recover.hpp>
#include <evlog/recovery/recover_all.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/spec/store.hpp>

#include "spec/spec_test_util.hpp"
#include "support/log_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace spec = evlog::spec;
using default_config = spec::recovery_config_no_index<>;
using quarantine_config = spec::recovery_config_no_index<evlog::repair_quarantine>;

// The variants by what evlog's default policy does with them. Every variant
// of the corpus must be in one list (DamagedVariantsAreAllClassified).
const std::vector<std::string> tail_damage = {"torn_last_line", "blank_lines", "no_trailing_newline"};
const std::vector<std::string> mid_file_damage = {"garbage_middle", "unknown_payload_type"};

fs::path damaged(const std::string& name) { return spectest::fixtures() / "damaged" / name; }

/// The id of the Go snapshot in a fixture spec directory (its file name).
std::optional<std::uint64_t> go_snapshot_id(const fs::path& spec_dir) {
    if (!fs::exists(spec_dir / "snapshots")) return std::nullopt;
    std::optional<std::uint64_t> id;
    for (const auto& f : fs::directory_iterator(spec_dir / "snapshots")) {
        const auto name = f.path().filename().string();
        if (name.rfind("state_", 0) == 0) id = std::stoull(name.substr(6));
    }
    return id;
}

std::uint64_t lines_after(const fs::path& log, std::uint64_t id) {
    std::uint64_t n = 0;
    for (const auto& e : spectest::events_of(log)) n += e.id > id;
    return n;
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_recover_fixtures)

BOOST_AUTO_TEST_CASE(EveryFixtureSpecRecoversToGoState) {
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            spectest::spec_home home;
            const auto p = home.add_spec_dir(f.dir());
            const auto r = evlog::recover<default_config>(p.dir);
            BOOST_TEST(spectest::state_diff(r.state, spectest::expected_state_json(f.expected)) == "");
            const auto last = spectest::expected_last_event_id(f.expected);
            BOOST_TEST(r.last_event_id == std::optional<std::uint64_t>(last));
            BOOST_TEST(r.state.last_event_id == last);
            BOOST_TEST(r.report.skipped_snapshots.empty());
            BOOST_TEST(r.report.unknown_events == 0u);
            BOOST_TEST(r.report.foreign_events == 0u);
            BOOST_TEST(!r.report.repair.changed());
            // A clean log is not rewritten.
            BOOST_TEST(evtest::read_file(p.log()) == spectest::slurp(f.log));
        }
    }
}

// The Go snapshot carries the agent-step message ids Go drew at random;
// expected_state.json was recovered from it, so only a recovery that used
// the snapshot reproduces those ids exactly.
BOOST_AUTO_TEST_CASE(GoSnapshotIsUsedAndOnlyLaterEventsReplayed) {
    std::size_t with_snapshot = 0;
    for (const auto& f : spectest::clean_specs()) {
        const auto snap = go_snapshot_id(f.dir());
        if (!snap) continue;
        ++with_snapshot;
        BOOST_TEST_CONTEXT(f.name) {
            spectest::spec_home home;
            const auto p = home.add_spec_dir(f.dir());
            const auto r = evlog::recover<default_config>(p.dir);
            BOOST_TEST(r.report.snapshot_id == std::optional<std::uint64_t>(*snap));
            BOOST_TEST(!r.report.seeked); // Go writes no log_offset
            BOOST_TEST(r.report.events_replayed == lines_after(f.log, *snap));
            BOOST_TEST(spectest::json_diff(spec::to_json(r.state), spectest::expected_state_json(f.expected)) == "");
        }
    }
    BOOST_TEST(with_snapshot == 1u);
}

// Go's snapshot of one spec copied into another's directory: its state
// would pass for this spec's, and its id would hide this log's first events.
BOOST_AUTO_TEST_CASE(SnapshotCopiedFromAnotherSpecIsPassedOverAsForeign) {
    const auto specs = spectest::clean_specs();
    const auto with = std::find_if(specs.begin(), specs.end(), [](const auto& f) { return go_snapshot_id(f.dir()); });
    const auto without = std::find_if(specs.begin(), specs.end(), [](const auto& f) { return !go_snapshot_id(f.dir()); });
    BOOST_TEST_REQUIRE((with != specs.end() && without != specs.end()));
    spectest::spec_home home;
    const auto p = home.add_spec_dir(without->dir());
    const auto snap = *go_snapshot_id(with->dir());
    const auto name = "state_" + std::to_string(snap) + ".json";
    fs::create_directories(p.snapshots());
    fs::copy_file(with->dir() / "snapshots" / name, p.snapshots() / name);
    const auto r = evlog::recover<default_config>(p.dir);
    BOOST_TEST(!r.report.snapshot_id.has_value());
    BOOST_TEST_REQUIRE(r.report.skipped_snapshots.size() == 1u);
    BOOST_TEST((r.report.skipped_snapshots[0].code == evlog::errc::foreign_stream));
    BOOST_TEST(r.report.skipped_snapshots[0].id == snap);
    BOOST_TEST(spectest::state_diff(r.state, spectest::expected_state_json(without->expected)) == "");
    BOOST_TEST(r.report.events_replayed == spectest::events_of(without->log).size());
}

BOOST_AUTO_TEST_CASE(RecoveringTwiceGivesIdenticalState) {
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            spectest::spec_home home;
            const auto p = home.add_spec_dir(f.dir());
            const auto first = evlog::recover<default_config>(p.dir);
            const auto bytes = evtest::read_file(p.log());
            const auto second = evlog::recover<default_config>(p.dir);
            BOOST_TEST((first.state == second.state));
            BOOST_TEST(boost::json::serialize(spec::to_json(first.state)) ==
                       boost::json::serialize(spec::to_json(second.state)));
            BOOST_TEST(first.last_event_id == second.last_event_id);
            BOOST_TEST(evtest::read_file(p.log()) == bytes);
        }
    }
}

BOOST_AUTO_TEST_CASE(SpecListingSkipsPlainFileAndNonUlidDirectory) {
    const auto home = spectest::fixtures() / "home";
    const auto specs = home / spec::specs_folder;
    // The corpus holds both decoys; without them this test would prove nothing.
    BOOST_TEST_REQUIRE(fs::is_regular_file(specs / "README.txt"));
    BOOST_TEST_REQUIRE(fs::is_directory(specs / "not-a-ulid"));

    std::vector<std::string> want; // the specs Go recovered
    for (const auto& d : fs::directory_iterator(spectest::fixtures() / "expected")) want.push_back(d.path().filename());
    std::sort(want.begin(), want.end());

    spec::storage_manager mgr(home);
    std::vector<std::string> got;
    for (const auto& id : mgr.list_streams()) {
        got.push_back(id.str());
        BOOST_TEST(mgr.paths(id).dir == specs / id.str());
        BOOST_TEST(mgr.get_stream(id).has_value());
    }
    BOOST_TEST(got == want, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(RecoverAllRecoversEverySpecOfCopiedHome) {
    spectest::spec_home home;
    std::map<std::string, spectest::fixture_spec> by_id;
    for (const auto& f : spectest::clean_specs()) {
        home.add_spec_dir(f.dir());
        by_id.emplace(f.dir().filename().string(), f);
    }
    // The decoys go along, and must be left alone.
    spectest::copy_tree(spectest::fixtures() / "home/specs/not-a-ulid", home.manager().streams_root() / "not-a-ulid");
    fs::copy_file(spectest::fixtures() / "home/specs/README.txt", home.manager().streams_root() / "README.txt");

    const auto all = evlog::recover_all<default_config>(home.manager());
    BOOST_TEST_REQUIRE(all.size() == by_id.size());
    for (const auto& s : all) {
        BOOST_TEST_CONTEXT(s.stream.str()) {
            BOOST_TEST_REQUIRE(s.ok(), s.message);
            const auto& f = by_id.at(s.stream.str());
            BOOST_TEST(spectest::state_diff(s.result->state, spectest::expected_state_json(f.expected)) == "");
        }
    }
}

BOOST_AUTO_TEST_CASE(DamagedVariantsAreAllClassified) {
    std::set<std::string> known(tail_damage.begin(), tail_damage.end());
    known.insert(mid_file_damage.begin(), mid_file_damage.end());
    std::set<std::string> present;
    for (const auto& d : spectest::damaged_dirs()) present.insert(d.filename().string());
    BOOST_TEST((present == known));
}

// Damage a writer leaves when it dies (a torn or unterminated last line) or
// that carries no event (blank lines) is not corruption.
BOOST_AUTO_TEST_CASE(TailDamageRecoversGoStateUnderDefaultPolicy) {
    for (const auto& name : tail_damage) {
        BOOST_TEST_CONTEXT(name) {
            const auto dir = damaged(name);
            spectest::spec_home home;
            const auto p = home.add_log(dir / "input.events.jsonl");
            const auto r = evlog::recover<default_config>(p.dir);
            BOOST_TEST(spectest::state_diff(r.state, spectest::expected_state_json(dir)) == "");
            const auto last = spectest::load_json(dir / "expected.json").at("recovered_last_event_id");
            BOOST_TEST(r.last_event_id == std::optional<std::uint64_t>(last.to_number<std::uint64_t>()));
            // The log now holds the events of Go's repaired log.
            const auto got = spectest::events_of(p.log());
            const auto want = spectest::events_of(dir / "repaired.events.jsonl");
            BOOST_TEST_REQUIRE(got.size() == want.size());
            for (std::size_t i = 0; i < got.size(); ++i) BOOST_TEST(spectest::same_event(got[i], want[i]), "event " << i);
        }
    }
}

// truncate_tail cuts the torn line, keeping its bytes beside the log.
BOOST_AUTO_TEST_CASE(TornLastLineIsCutToGoRepairedBytesAndKeptInQuarantine) {
    const auto dir = damaged("torn_last_line");
    spectest::spec_home home;
    const auto p = home.add_log(dir / "input.events.jsonl");
    const auto torn = spectest::first_dropped_line(dir);
    const auto r = evlog::recover<default_config>(p.dir);
    BOOST_TEST(r.report.repair.bytes_truncated == torn.text.size());
    BOOST_TEST(evtest::read_file(p.log()) == spectest::slurp(dir / "repaired.events.jsonl"));
    BOOST_TEST_REQUIRE(fs::exists(evlog::quarantine_path(p.log())));
    const auto q = evtest::parse_quarantine(evtest::read_file(evlog::quarantine_path(p.log())));
    BOOST_TEST_REQUIRE(q.size() == 1u);
    BOOST_TEST(q[0].bytes == torn.text);
    BOOST_TEST(q[0].offset == torn.offset);
}

// Go's RepairJsonl deletes the line and carries on; evlog's default refuses
// to drop data a later line proves was not a crash, and names the line.
BOOST_AUTO_TEST_CASE(GarbageMiddleLineIsRefusedByDefaultNamingLine11) {
    for (const auto& name : mid_file_damage) {
        BOOST_TEST_CONTEXT(name) {
            const auto dir = damaged(name);
            const auto bad = spectest::first_dropped_line(dir);
            spectest::spec_home home;
            const auto p = home.add_log(dir / "input.events.jsonl");
            const auto before = evtest::read_file(p.log());
            const auto e = evtest::error_from([&] { (void)evlog::recover<default_config>(p.dir); });
            BOOST_TEST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == evtest::ec_of(evlog::errc::mid_file_corruption));
            evtest::check_where(*e, p.log(), bad.line, bad.offset);
            BOOST_TEST(std::string(e->what()).find(":" + std::to_string(bad.line) + ": byte " +
                                                   std::to_string(bad.offset)) != std::string::npos);
            BOOST_TEST(evtest::read_file(p.log()) == before);
            BOOST_TEST(!fs::exists(evlog::quarantine_path(p.log())));
            BOOST_TEST(!fs::exists(evtest::rewrite_temp_path(p.log())));
        }
    }
}

// The line Go deleted sits in the quarantine file, byte for byte; the log is
// what Go's repair left.
BOOST_AUTO_TEST_CASE(MidFileDamageRecoversGoStateUnderQuarantineKeepingBadBytes) {
    for (const auto& name : mid_file_damage) {
        BOOST_TEST_CONTEXT(name) {
            const auto dir = damaged(name);
            const auto bad = spectest::first_dropped_line(dir);
            spectest::spec_home home;
            const auto p = home.add_log(dir / "input.events.jsonl");
            const auto r = evlog::recover<quarantine_config>(p.dir);
            BOOST_TEST(spectest::state_diff(r.state, spectest::expected_state_json(dir)) == "");
            const auto last = spectest::load_json(dir / "expected.json").at("recovered_last_event_id");
            BOOST_TEST(r.last_event_id == std::optional<std::uint64_t>(last.to_number<std::uint64_t>()));
            BOOST_TEST(r.report.unknown_events == 0u);
            BOOST_TEST_REQUIRE(r.report.repair.quarantined.size() == 1u);
            BOOST_TEST(r.report.repair.quarantined[0].line == bad.line);

            BOOST_TEST(evtest::read_file(p.log()) == spectest::slurp(dir / "repaired.events.jsonl"));
            const auto q = evtest::parse_quarantine(evtest::read_file(evlog::quarantine_path(p.log())));
            BOOST_TEST_REQUIRE(q.size() == 1u);
            BOOST_TEST(q[0].line == bad.line);
            BOOST_TEST(q[0].offset == bad.offset);
            BOOST_TEST(q[0].bytes == bad.text + "\n");
            BOOST_TEST(!fs::exists(evtest::rewrite_temp_path(p.log())));

            // Recovering again finds nothing more to do.
            const auto again = evlog::recover<quarantine_config>(p.dir);
            BOOST_TEST(!again.report.repair.changed());
            BOOST_TEST((again.state == r.state));
        }
    }
}

// In the corpus the CardArchived line is also out of sequence (id 1000
// before 11). With a fitting id, an unknown payload type is an event of a
// newer writer: it stays in the log, is counted, and changes no state.
BOOST_AUTO_TEST_CASE(UnknownPayloadWithIncreasingIdIsKeptAndCounted) {
    const auto dir = damaged("unknown_payload_type");
    const auto unknown = spectest::first_dropped_line(dir);
    const auto clean = spectest::lines_of(dir / "repaired.events.jsonl");
    const auto at = static_cast<std::size_t>(unknown.line - 1); // its place in the input

    // The log with the unknown line in place and every id from there on
    // moved up by one, and the same log without it (ids with a gap).
    std::string with, without;
    std::uint64_t id = 0;
    for (std::size_t i = 0; i <= clean.size(); ++i) {
        if (i == at) {
            auto v = boost::json::parse(unknown.text);
            v.as_object()["event_id"] = ++id;
            with += boost::json::serialize(v) + "\n";
        }
        if (i == clean.size()) break;
        auto v = boost::json::parse(clean[i]);
        v.as_object()["event_id"] = ++id;
        const auto line = boost::json::serialize(v) + "\n";
        with += line;
        without += line;
    }

    const auto spec_id = spectest::spec_id_of_log(dir / "input.events.jsonl");
    spectest::spec_home home;
    const auto p = home.manager().paths(spec_id);
    evtest::write_file(p.log(), with);
    const auto r = evlog::recover<default_config>(p.dir);
    BOOST_TEST(r.report.unknown_events == 1u);
    BOOST_TEST(r.report.repair.unknown == 1u);
    BOOST_TEST(r.report.repair.quarantined.empty());
    BOOST_TEST(!r.report.repair.changed());
    BOOST_TEST(evtest::read_file(p.log()) == with);
    BOOST_TEST(!fs::exists(evlog::quarantine_path(p.log())));

    spectest::spec_home other;
    const auto q = other.manager().paths(spec_id);
    evtest::write_file(q.log(), without);
    const auto r2 = evlog::recover<default_config>(q.dir);
    BOOST_TEST(r2.report.unknown_events == 0u);
    BOOST_TEST((r.state == r2.state));
    BOOST_TEST(r.last_event_id == r2.last_event_id);
}

// At the end of the log, it leaves the Go state as it is.
BOOST_AUTO_TEST_CASE(UnknownPayloadAppendedAfterLastEventLeavesGoState) {
    const auto dir = damaged("unknown_payload_type");
    const auto unknown = spectest::first_dropped_line(dir);
    const auto clean = spectest::events_of(dir / "repaired.events.jsonl");
    auto v = boost::json::parse(unknown.text);
    v.as_object()["event_id"] = clean.back().id + 1;

    spectest::spec_home home;
    const auto p = home.add_log(dir / "repaired.events.jsonl");
    const auto bytes = evtest::read_file(p.log()) + boost::json::serialize(v) + "\n";
    evtest::write_file(p.log(), bytes);
    const auto r = evlog::recover<default_config>(p.dir);
    BOOST_TEST(r.report.unknown_events == 1u);
    BOOST_TEST(spectest::state_diff(r.state, spectest::expected_state_json(dir)) == "");
    BOOST_TEST(r.state.last_event_id == clean.back().id);
    BOOST_TEST(r.last_event_id == std::optional<std::uint64_t>(clean.back().id + 1));
    BOOST_TEST(evtest::read_file(p.log()) == bytes);
}

BOOST_AUTO_TEST_SUITE_END()
