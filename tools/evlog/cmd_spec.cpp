// The commands that work on spec directories: recover, snapshot, specs,
// cards, export. Each recovers first, so what it shows is the log's truth
// and the index is brought in step as a side effect.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <string>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <evlog/evlog.hpp>
#include <evlog/spec/exports.hpp>
#include <evlog/spec/store.hpp>
#if EVLOG_TOOL_SQLITE
#include <evlog/spec/sqlite_store.hpp>
#endif

#include "cli.hpp"

namespace evtool {

namespace spec = evlog::spec;

namespace {

#if EVLOG_TOOL_SQLITE
template <class Policy>
using config = spec::recovery_config<Policy>;
#else
template <class Policy>
using config = spec::recovery_config_no_index<Policy>;
#endif

using result_type = evlog::recovery_result<spec::spec_state>;

/// A spec directory from the command line: it must exist and be named by a
/// ULID (that is how recovery knows which events are foreign). The path is
/// returned without a trailing slash.
std::filesystem::path spec_dir_arg(const args& a, evlog::ulid* id = nullptr) {
    std::filesystem::path dir = std::filesystem::path(a.need(0, "SPEC_DIR")).lexically_normal();
    if (!dir.has_filename()) dir = dir.parent_path();
    if (!std::filesystem::is_directory(dir))
        throw evlog::error(std::make_error_code(std::errc::no_such_file_or_directory),
                           dir.string() + ": not a directory");
    auto abs = std::filesystem::absolute(dir).lexically_normal();
    if (!abs.has_filename()) abs = abs.parent_path(); // "." normalizes to "/…/ULID/"
    auto u = spec::storage_manager::parse_stream_name(abs.filename().string());
    // Recovery names the stream by the path's last component: "." or ".."
    // would name none, so hand it the absolute path instead.
    if (dir.filename() == "." || dir.filename() == "..") dir = abs;
    if (id) *id = u;
    return dir;
}

template <class Policy>
result_type recover_as(const std::filesystem::path& dir) {
    return evlog::recover<config<Policy>>(dir);
}

result_type recover_with(const std::filesystem::path& dir, const std::string& policy) {
    if (policy == "truncate-tail") return recover_as<evlog::repair_truncate_tail>(dir);
    if (policy == "quarantine") return recover_as<evlog::repair_quarantine>(dir);
    if (policy == "strict") return recover_as<evlog::repair_strict>(dir);
    if (policy == "skip") return recover_as<evlog::repair_skip>(dir);
    throw usage_error("--policy must be truncate-tail, quarantine, strict or skip, not '" + policy + "'");
}

double ms(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e6; }

/// The report, for a person reading a terminal.
void print_report(const std::filesystem::path& dir, const result_type& r) {
    const auto& rep = r.report;
    std::fprintf(stderr, "recovered %s\n", dir.c_str());
    if (rep.snapshot_id)
        std::fprintf(stderr, "  snapshot: state_%llu.json\n", static_cast<unsigned long long>(*rep.snapshot_id));
    else
        std::fprintf(stderr, "  snapshot: none\n");
    for (const auto& s : rep.skipped_snapshots)
        std::fprintf(stderr, "  skipped snapshot %s: %s\n", s.path.c_str(), s.detail.c_str());
    for (const auto& s : rep.set_aside_snapshots)
        std::fprintf(stderr, "  set aside snapshot %llu as %s: %s\n", static_cast<unsigned long long>(s.id),
                     s.path.c_str(), s.detail.c_str());
    if (rep.log_missing) {
        std::fprintf(stderr, "  log: missing\n");
    } else {
        std::fprintf(stderr, "  repair: kept %llu events, truncated %llu bytes, quarantined %zu lines%s%s\n",
                     static_cast<unsigned long long>(rep.repair.events_kept),
                     static_cast<unsigned long long>(rep.repair.bytes_truncated), rep.repair.quarantined.size(),
                     rep.repair.quarantine_file ? " into " : "",
                     rep.repair.quarantine_file ? rep.repair.quarantine_file->c_str() : "");
        for (const auto& b : rep.repair.skipped)
            std::fprintf(stderr, "  skipped line %llu (byte %llu): %s\n", static_cast<unsigned long long>(b.line),
                         static_cast<unsigned long long>(b.offset), b.detail.c_str());
        std::fprintf(stderr, "  replay: %llu events from byte %llu%s, %llu unknown, %llu foreign\n",
                     static_cast<unsigned long long>(rep.events_replayed),
                     static_cast<unsigned long long>(rep.replay_start), rep.seeked ? " (seeked to the snapshot)" : "",
                     static_cast<unsigned long long>(rep.unknown_events),
                     static_cast<unsigned long long>(rep.foreign_events));
    }
    std::fprintf(stderr, "  index: %s (%s), %llu events applied\n", evlog::to_string(rep.index),
                 rep.index_reason.c_str(), static_cast<unsigned long long>(rep.index_events_applied));
    std::fprintf(stderr, "  took: snapshot %.1f ms, repair %.1f ms, replay %.1f ms, index %.1f ms\n",
                 ms(rep.took.snapshot), ms(rep.took.repair), ms(rep.took.replay), ms(rep.took.index));
}

/// The snapshot recovery started from, for its agent_contexts.
std::optional<spec::spec_snapshot> previous_snapshot(const std::filesystem::path& dir, const result_type& r) {
    if (!r.report.snapshot_id) return std::nullopt;
    return spec::spec_snapshot_store(evlog::stream_paths{dir}.snapshots()).load(*r.report.snapshot_id);
}

} // namespace

int cmd_recover(const args& a) {
    const auto dir = spec_dir_arg(a);
    auto r = recover_with(dir, a.flag("policy", "truncate-tail"));
    print_report(dir, r);
    auto snap = spec::snapshot_of(r, previous_snapshot(dir, r), evlog::timestamp::now());
    boost::json::object out;
    out["state"] = boost::json::value_from(snap.state);
    out["last_event_id"] = snap.last_event_id;
    boost::json::object contexts;
    for (const auto& [k, v] : snap.agent_contexts) contexts[k] = v;
    out["agent_contexts"] = std::move(contexts);
    out["saved_at"] = snap.saved_at.str();
    std::printf("%s\n", boost::json::serialize(out).c_str());
    return ok;
}

int cmd_snapshot(const args& a) {
    const auto dir = spec_dir_arg(a);
    auto r = recover_with(dir, "truncate-tail");
    if (r.state.last_event_id == 0) {
        std::printf("no events: no snapshot written\n");
        return ok;
    }
    spec::spec_snapshot_store store(evlog::stream_paths{dir}.snapshots());
    store.save(spec::snapshot_of(r, previous_snapshot(dir, r), evlog::timestamp::now()));
    std::printf("saved %s\n", store.path_of(r.state.last_event_id).c_str());
    return ok;
}

int cmd_export(const args& a) {
    const auto dir = spec_dir_arg(a);
    const auto f = a.flag("format", "all");
    spec::export_format format;
    if (f == "md") format = spec::export_format::markdown;
    else if (f == "yaml") format = spec::export_format::yaml;
    else if (f == "dot") format = spec::export_format::dot;
    else if (f == "all") format = spec::export_format::all;
    else throw usage_error("--format must be md, yaml, dot or all, not '" + f + "'");
    auto r = recover_with(dir, "truncate-tail");
    for (const auto& p : spec::write_exports(evlog::stream_paths{dir}.exports(), r.state, format))
        std::printf("wrote %s\n", p.c_str());
    return ok;
}

#if EVLOG_TOOL_SQLITE

int cmd_cards(const args& a) {
    evlog::ulid id;
    evlog::stream_paths paths{spec_dir_arg(a, &id)};
    // The config's opener, which empties an index.db holding another spec's rows.
    auto index = config<evlog::repair_truncate_tail>::open_index(paths);
    evlog::recover<config<evlog::repair_truncate_tail>>(paths, index);
    std::printf("%s\n", boost::json::serialize(spec::list_cards(index.db(), id)).c_str());
    return ok;
}

int cmd_specs(const args& a) {
    spec::storage_manager home(a.need(0, "HOME"));
    if (!std::filesystem::is_directory(home.streams_root()))
        throw evlog::error(std::make_error_code(std::errc::no_such_file_or_directory),
                           home.streams_root().string() + ": not a directory");
    boost::json::array rows;
    int status = ok;
    const auto ids = home.list_streams();
    progress bar("specs", ids.size());
    std::uint64_t done = 0;
    for (const auto& id : ids) {
        auto paths = home.paths(id);
        try {
            auto index = config<evlog::repair_truncate_tail>::open_index(paths);
            evlog::recover<config<evlog::repair_truncate_tail>>(paths, index);
            for (auto& row : spec::list_specs(index.db())) rows.push_back(std::move(row));
        } catch (const evlog::error& e) {
            // One bad spec does not hide the others; the exit status says it.
            std::fprintf(stderr, "evlog specs: %s: %s\n", paths.dir.c_str(), e.what());
            status = bad_data;
        }
        bar.update(++done);
    }
    // Newest first across specs, as within one index.
    std::stable_sort(rows.begin(), rows.end(), [](const boost::json::value& x, const boost::json::value& y) {
        const auto &a = x.as_object(), &b = y.as_object();
        if (a.at("updated_at") != b.at("updated_at")) return a.at("updated_at").as_string() > b.at("updated_at").as_string();
        return a.at("spec_id").as_string() < b.at("spec_id").as_string();
    });
    std::printf("%s\n", boost::json::serialize(rows).c_str());
    return status;
}

#else

int cmd_cards(const args&) {
    std::fprintf(stderr, "evlog cards: this evlog was built without SQLite (-Dsqlite=disabled)\n");
    return usage_or_io;
}
int cmd_specs(const args&) {
    std::fprintf(stderr, "evlog specs: this evlog was built without SQLite (-Dsqlite=disabled)\n");
    return usage_or_io;
}

#endif

} // namespace evtool
