// The naive recovery, as the Go implementation does it: repair by parsing
// every line and rewriting the whole file, then parse the whole log into
// memory, load the newest snapshot, and fold the events after it.
#pragma once

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value_to.hpp>

#include "bench.hpp"
#include "codecs.hpp"

namespace bench {

template <class State>
struct naive_recovery {
    State state;
    std::uint64_t events = 0;       ///< events parsed from the log
    std::uint64_t snapshot_id = 0;  ///< 0: none
};

/// Drops lines that do not parse and writes the rest back, whole (no
/// fsync: the Go code's durability is not what is measured here).
inline void naive_repair(const fs::path& log) {
    std::ifstream in(log);
    std::string line, kept;
    while (std::getline(in, line)) {
        boost::system::error_code ec;
        auto v = boost::json::parse(line, ec);
        if (!ec && v.is_object()) {
            kept += line;
            kept += '\n';
        }
    }
    in.close();
    const fs::path tmp = log.string() + ".repair.tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        out.write(kept.data(), static_cast<std::streamsize>(kept.size()));
        if (!out) throw std::runtime_error("naive repair: cannot write " + tmp.string());
    }
    fs::rename(tmp, log);
}

/// The newest `state_<id>.json` in `dir`, parsed whole.
template <class State>
std::optional<std::pair<std::uint64_t, State>> naive_load_snapshot(const fs::path& dir) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) return std::nullopt;
    std::uint64_t best = 0;
    for (const auto& f : fs::directory_iterator(dir)) {
        const std::string name = f.path().filename().string();
        if (name.rfind("state_", 0) != 0 || f.path().extension() != ".json") continue;
        std::uint64_t id = 0;
        std::from_chars(name.data() + 6, name.data() + name.size(), id);
        best = std::max(best, id);
    }
    if (best == 0) return std::nullopt;
    std::ifstream in(dir / ("state_" + std::to_string(best) + ".json"));
    std::string text((std::istreambuf_iterator<char>(in)), {});
    auto v = boost::json::parse(text);
    return std::pair{best, boost::json::value_to<State>(v.as_object().at("state"))};
}

template <class Event, class State, class Apply>
naive_recovery<State> naive_recover_stream(const fs::path& dir, State initial, Apply&& apply) {
    const fs::path log = dir / "events.jsonl";
    naive_repair(log);
    std::vector<Event> all;
    {
        std::ifstream in(log);
        std::string line;
        while (std::getline(in, line))
            if (!line.empty()) all.push_back(naive_decode<Event>(line));
    }
    naive_recovery<State> r;
    r.events = all.size();
    if (auto snap = naive_load_snapshot<State>(dir / "snapshots")) {
        r.snapshot_id = snap->first;
        r.state = std::move(snap->second);
    } else {
        r.state = std::move(initial);
    }
    for (const auto& e : all)
        if (e.id > r.snapshot_id) apply(r.state, e);
    return r;
}

} // namespace bench
