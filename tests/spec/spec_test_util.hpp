// Shared by the spec tests: fixture paths, folding a log, a JSON
// comparison that says where two values differ, and spec homes in temp
// directories holding copies of the fixtures.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <evlog/core/codec.hpp>
#include <evlog/core/time.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/recovery/recover.hpp>
#include <evlog/recovery/storage_manager.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/spec/store.hpp>

#include "support/test_events.hpp"

namespace spectest {

namespace fs = std::filesystem;

/// The copy of the Go implementation's fixture corpus.
inline fs::path fixtures() { return fs::path(EVLOG_TEST_FIXTURES) / "spec-go"; }

/// A spec log and the directory of what the Go code recovered from it.
struct fixture_spec {
    std::string name;
    fs::path log;
    fs::path expected;
    /// The spec directory (`home/specs/{ULID}/`) that holds the log.
    fs::path dir() const { return log.parent_path(); }
};

/// The three clean logs: two written by the Go daemon, one by the Rust one.
inline std::vector<fixture_spec> clean_specs() {
    const auto root = fixtures();
    std::vector<fixture_spec> out;
    for (const char* id : {"01KF0HJ087AE67Z5NHCJZHQ5XV", "01KF0HJ0CKBDTB5R99E1F2EFR5"})
        out.push_back({id, root / "home/specs" / id / "events.jsonl", root / "expected" / id});
    const std::string b = "01KH7AW3FQSY4M8ADMPT4GDV4G";
    out.push_back({"barnstormer", root / "barnstormer/home/specs" / b / "events.jsonl",
                   root / "barnstormer/expected" / b});
    return out;
}

/// The damaged variants (torn_last_line, unknown_payload_type, …).
inline std::vector<fs::path> damaged_dirs() {
    std::vector<fs::path> out;
    for (const auto& d : fs::directory_iterator(fixtures() / "damaged"))
        if (d.is_directory()) out.push_back(d.path());
    return out;
}

/// Every log file of the corpus, damaged inputs included.
inline std::vector<fs::path> all_logs() {
    std::vector<fs::path> out;
    for (const auto& s : clean_specs()) out.push_back(s.log);
    for (const auto& d : damaged_dirs()) {
        out.push_back(d / "input.events.jsonl");
        out.push_back(d / "repaired.events.jsonl");
    }
    return out;
}

inline std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    if (!in) throw std::runtime_error("cannot open " + p.string());
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline boost::json::value load_json(const fs::path& p) { return boost::json::parse(slurp(p)); }

/// The lines of a file, without their newlines.
inline std::vector<std::string> lines_of(const fs::path& p) {
    std::vector<std::string> out;
    std::string text = slurp(p);
    std::size_t start = 0;
    while (start < text.size()) {
        auto end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return out;
}

/// The state a strict replay of `log` folds to.
inline evlog::spec::spec_state fold(const fs::path& log) {
    evlog::spec::spec_state s;
    evlog::replay<evlog::spec::spec_event>(log, [&](const evlog::spec::spec_event& e) { evlog::spec::apply(s, e); });
    return s;
}

inline bool is_step_kind(const boost::json::value& kind) {
    return kind == "StepStarted" || kind == "StepFinished";
}

/// Removes `message_id` from the transcript entries agent steps created:
/// the Go code draws those at random on every replay.
inline boost::json::value without_step_message_ids(boost::json::value state) {
    if (auto* t = state.as_object().if_contains("transcript"))
        for (auto& m : t->as_array()) {
            auto& o = m.as_object();
            if (const auto* k = o.if_contains("kind"); k && is_step_kind(*k)) o.erase("message_id");
        }
    return state;
}

/// "" when `a` and `b` are the same JSON, else the path of the first
/// difference and both sides. Equal means equal to a reader of the spec
/// store: key order does not matter; numbers compare by value (Go writes
/// the float 2 as `2`, the Rust daemon `2.0`); two RFC 3339 strings compare
/// by instant (Go trims trailing zeros of the fraction, Rust kept six digits).
inline std::string json_diff(const boost::json::value& a, const boost::json::value& b, const std::string& path = "$") {
    auto show = [&] {
        return path + ": " + boost::json::serialize(a) + " vs " + boost::json::serialize(b);
    };
    if (a.is_number() && b.is_number()) return a.to_number<double>() == b.to_number<double>() ? "" : show();
    if (a.is_string() && b.is_string() && a != b) {
        const auto ta = evlog::timestamp::parse(a.get_string()), tb = evlog::timestamp::parse(b.get_string());
        return ta && tb && *ta == *tb ? "" : show();
    }
    if (a.kind() != b.kind()) return show();
    if (a.is_object()) {
        const auto &oa = a.get_object(), &ob = b.get_object();
        for (const auto& kv : oa) {
            const auto* other = ob.if_contains(kv.key());
            if (!other) return path + "." + std::string(kv.key()) + ": only on the left";
            if (auto d = json_diff(kv.value(), *other, path + "." + std::string(kv.key())); !d.empty()) return d;
        }
        for (const auto& kv : ob)
            if (!oa.contains(kv.key())) return path + "." + std::string(kv.key()) + ": only on the right";
        return "";
    }
    if (a.is_array()) {
        const auto &xa = a.get_array(), &xb = b.get_array();
        if (xa.size() != xb.size())
            return path + ": " + std::to_string(xa.size()) + " vs " + std::to_string(xb.size()) + " elements";
        for (std::size_t i = 0; i < xa.size(); ++i)
            if (auto d = json_diff(xa[i], xb[i], path + "[" + std::to_string(i) + "]"); !d.empty()) return d;
        return "";
    }
    return a == b ? "" : show();
}

/// The recovered state Go wrote for a fixture: expected_state.json's "state".
inline boost::json::value expected_state_json(const fs::path& expected_dir) {
    return load_json(expected_dir / "expected_state.json").as_object().at("state");
}

/// expected_state.json's top-level "last_event_id".
inline std::uint64_t expected_last_event_id(const fs::path& expected_dir) {
    return load_json(expected_dir / "expected_state.json").at("last_event_id").to_number<std::uint64_t>();
}

/// "" when `got` equals the expected state document, agent-step message ids aside.
inline std::string state_diff(const evlog::spec::spec_state& got, const boost::json::value& expected) {
    return json_diff(without_step_message_ids(evlog::spec::to_json(got)), without_step_message_ids(expected));
}

/// The spec a log belongs to: the `spec_id` of its first line.
inline evlog::ulid spec_id_of_log(const fs::path& log) {
    const auto lines = lines_of(log);
    if (lines.empty()) throw std::runtime_error(log.string() + " is empty");
    return evlog::storage_manager::parse_stream_name(boost::json::parse(lines.front()).at("spec_id").as_string());
}

/// Every event of a log, read with the strict policy.
inline std::vector<evlog::spec::spec_event> events_of(const fs::path& log) {
    std::vector<evlog::spec::spec_event> out;
    evlog::replay<evlog::spec::spec_event>(log, [&](const evlog::spec::spec_event& e) { out.push_back(e); });
    return out;
}

/// The line the default codec writes for `e`, without its newline.
inline std::string encode(const evlog::spec::spec_event& e) {
    evlog::json_codec<evlog::spec::spec_event> c;
    std::string s;
    c.encode(e, s);
    return s;
}

/// Events are equal when every field is (evlog::event has no ==).
inline bool same_event(const evlog::spec::spec_event& a, const evlog::spec::spec_event& b) {
    return a.id == b.id && a.stream == b.stream && a.time == b.time && a.payload == b.payload;
}

/// Copies a directory tree (a fixture spec directory) to `to`.
inline void copy_tree(const fs::path& from, const fs::path& to) {
    fs::create_directories(to);
    fs::copy(from, to, fs::copy_options::recursive);
}

/// A spec home (`home/specs/`) in a fresh temp directory, filled with
/// copies of fixture files so that nothing a test runs writes to the corpus.
class spec_home {
public:
    spec_home() : manager_(tmp_.path()) {}

    const fs::path& home() const { return tmp_.path(); }
    evlog::spec::storage_manager& manager() { return manager_; }

    /// A fixture spec directory (events.jsonl, snapshots/) copied in under its name.
    evlog::stream_paths add_spec_dir(const fs::path& fixture_dir) {
        const auto p = manager_.paths(evlog::storage_manager::parse_stream_name(fixture_dir.filename().string()));
        copy_tree(fixture_dir, p.dir);
        return p;
    }

    /// A log copied in as the events.jsonl of the spec its lines name.
    evlog::stream_paths add_log(const fs::path& log) {
        const auto p = manager_.paths(spec_id_of_log(log));
        fs::create_directories(p.dir);
        fs::copy_file(log, p.log());
        return p;
    }

private:
    evtest::temp_dir tmp_;
    evlog::spec::storage_manager manager_;
};

/// The first line of a damaged input that Go's repair dropped: the 1-based
/// line number, its byte offset and its bytes (without the newline).
/// Blank lines, which evlog keeps, do not count.
struct dropped_line {
    std::uint64_t line = 0;
    std::uint64_t offset = 0;
    std::string text;
};

inline dropped_line first_dropped_line(const fs::path& variant_dir) {
    const auto in = lines_of(variant_dir / "input.events.jsonl");
    const auto repaired = lines_of(variant_dir / "repaired.events.jsonl");
    std::uint64_t offset = 0;
    std::size_t r = 0;
    for (std::size_t i = 0; i < in.size(); ++i) {
        if (in[i].find_first_not_of(" \t\r") == std::string::npos) {
            offset += in[i].size() + 1;
            continue;
        }
        if (r >= repaired.size() || in[i] != repaired[r]) return {i + 1, offset, in[i]};
        ++r;
        offset += in[i].size() + 1;
    }
    throw std::runtime_error(variant_dir.string() + ": no line was dropped");
}

/// Events of all 13 payload types for spec `id`, ids 1..n at one-second
/// steps: cards created, updated (body set, cleared and left out), moved,
/// deleted and restored by UndoApplied, a ref between cards, every question
/// kind, agent steps, and a Freeform question left pending at the end.
/// Strings hold quotes, newlines, tabs, `<>&` and non-ASCII text.
inline std::vector<evlog::spec::spec_event> all_kinds_events(const evlog::ulid& id) {
    namespace s = evlog::spec;
    using text = evlog::json::patch<std::string>;
    const auto t0 = evlog::timestamp::parse("2026-03-02T09:00:00.25Z").value();
    const auto at = [&](std::uint64_t i) {
        return evlog::timestamp::from_unix_nanos(t0.unix_nanos() + static_cast<std::int64_t>(i) * 1'000'000'000);
    };
    const auto u = [](const char* x) { return evlog::ulid::parse(x).value(); };
    const auto card_a = u("01KJP0000AAAAAAAAAAAAAAAAA"), card_b = u("01KJP0000BBBBBBBBBBBBBBBBB");
    const auto q1 = u("01KJP0001QQQQQQQQQQQQQQQ01"), q2 = u("01KJP0001QQQQQQQQQQQQQQQ02"),
               q3 = u("01KJP0001QQQQQQQQQQQQQQQ03");

    std::vector<s::spec_event> out;
    const auto add = [&](auto payload) {
        s::spec_event e;
        e.id = out.size() + 1;
        e.stream = id;
        e.time = at(e.id);
        e.payload = std::move(payload);
        out.push_back(std::move(e));
    };
    s::card a;
    a.card_id = card_a;
    a.card_type = "idea";
    a.title = "Card \"A\"\n: with a colon";
    a.body = "Body A\twith <html> & \"quotes\"";
    a.lane = "Ideas";
    a.order = 1;
    a.created_at = a.updated_at = at(3);
    a.created_by = a.updated_by = "human";
    s::card b;
    b.card_id = card_b;
    b.card_type = "task";
    b.title = "Card B: unicode \u00e9 \u2713 \u6f22\u5b57";
    b.lane = "Plan";
    b.order = 2.5;
    b.refs = {card_a.str(), "not-a-card"};
    b.created_at = b.updated_at = at(4);
    b.created_by = b.updated_by = "agent";

    add(s::spec_created{"Scratch \"spec\"", "Built by evlog", "Match the Go layout"});
    s::spec_core_updated core;
    core.description = text::set("Multi-line\ndescription with \"quotes\" & <html>");
    core.notes = text::set("unicode: \u00e9 \u2713");
    core.goal = text::set("Match the Go layout, byte for byte");
    add(core);
    add(s::card_created{a});
    add(s::card_created{b});
    s::card_updated clear_a;
    clear_a.card_id = card_a;
    clear_a.title = text::set("Card A v2");
    clear_a.body = text::clear();
    add(clear_a);
    s::card_updated set_b;
    set_b.card_id = card_b;
    set_b.body = text::set("line1\nline2");
    set_b.updated_by = text::set("human");
    add(set_b);
    add(s::card_moved{card_a, "Spec", -1.5, std::string("agent")});
    add(s::card_deleted{card_b, std::string("human")});
    // Undo of the delete: re-create B as it was (body set at event 6).
    s::card b_then = b;
    b_then.body = "line1\nline2";
    b_then.updated_by = "human";
    b_then.updated_at = at(6);
    add(s::undo_applied{8, {s::inverse_event{s::card_created{b_then}}}});
    add(s::transcript_appended{s::transcript_message{u("01KJP0002MMMMMMMMMMMMMMMMM"), "human",
                                                     "Hello \"agent\"\n\tindented", "chat", at(10)}});
    add(s::question_asked{s::question{s::boolean_question{q1, "Ship it?", true}}});
    add(s::question_answered{q1, "yes"});
    add(s::question_asked{s::question{s::multiple_choice_question{q2, "Which lanes?", {"Ideas", "Plan"}, true}}});
    add(s::question_answered{q2, "Ideas, Plan"});
    add(s::agent_step_started{"planner", "Planning the \"next\" step"});
    add(s::agent_step_finished{"planner", "+1 card\n-0 cards"});
    add(s::snapshot_written{16});
    add(s::question_asked{s::question{s::freeform_question{q3, "Anything else?", text::set("e.g. <nothing>"), text::clear()}}});
    return out;
}

/// A spec store built from scratch as the daemon builds one: create the
/// spec's directory, append `events` with spec_log, and after the first
/// `snapshot_after` of them close the log, recover (as a restart does) and
/// save a snapshot of what recovery returned; then append the rest.
template <class RecoveryConfig = evlog::spec::recovery_config_no_index<>>
evlog::stream_paths build_spec_store(evlog::spec::storage_manager& mgr, const std::vector<evlog::spec::spec_event>& events,
                                     std::size_t snapshot_after) {
    const auto p = mgr.create_stream(events.at(0).stream);
    evlog::spec::spec_log<> log;
    log.open(p.log());
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (i == snapshot_after) {
            log.close();
            const auto r = evlog::recover<RecoveryConfig>(p.dir);
            evlog::spec::spec_snapshot_store(p.snapshots()).save(evlog::spec::snapshot_of(r, std::nullopt, events[i - 1].time));
            log.open(p.log());
        }
        log.append(events[i]);
    }
    log.close();
    return p;
}

/// The files under `dir`, relative and sorted; `state_<digits>.json` reads
/// as `state_N.json` so that layouts compare whatever the snapshot ids.
inline std::vector<std::string> layout_of(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::recursive_directory_iterator(dir)) {
        if (!e.is_regular_file()) continue;
        auto rel = e.path().lexically_relative(dir).generic_string();
        const auto name = e.path().filename().string();
        if (name.rfind("state_", 0) == 0 && name.size() > 11 && name.ends_with(".json") &&
            name.find_first_not_of("0123456789", 6) == name.size() - 5)
            rel = (e.path().parent_path().lexically_relative(dir) / "state_N.json").generic_string();
        out.push_back(rel);
    }
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace spectest
