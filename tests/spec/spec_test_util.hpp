// Shared by the spec tests: fixture paths, folding a log, and a JSON
// comparison that says where two values differ.
#pragma once

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <evlog/core/time.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state.hpp>
#include <evlog/spec/state_json.hpp>

namespace spectest {

namespace fs = std::filesystem;

/// The copy of the Go implementation's fixture corpus.
inline fs::path fixtures() { return fs::path(EVLOG_TEST_FIXTURES) / "spec-go"; }

/// A spec log and the directory of what the Go code recovered from it.
struct fixture_spec {
    std::string name;
    fs::path log;
    fs::path expected;
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

} // namespace spectest
