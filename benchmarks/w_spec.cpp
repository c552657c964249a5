// recover_spec and index_rebuild: the spec store's own recovery (1M events,
// snapshot at 900,000) and its SQLite projection (index.db).

#include <fstream>

#include <evlog/index/rebuild.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/snapshot/snapshot_store.hpp>
#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/spec/store.hpp>
#if EVLOG_HAS_SQLITE
#include <evlog/spec/sqlite_store.hpp>
#endif

#include "bench.hpp"
#include "codecs.hpp"
#include "gen.hpp"
#include "recover_common.hpp"

namespace bench {

namespace {

namespace sp = evlog::spec;

/// `work/specs/{ULID}/`, laid out by the spec store's storage manager.
evlog::stream_paths spec_paths(const fs::path& work) {
    return sp::storage_manager(work).paths(spec_generator().spec_id());
}

// ---------------------------------------------------------------- recover_spec

/// The log, and a snapshot of the folded state at event `at` with its log offset.
void setup_recover(const fs::path& work, std::uint64_t n, std::uint64_t at) {
    const auto paths = sp::storage_manager(work).create_stream(spec_generator().spec_id());
    write_spec_log(paths.log().string(), n);
    sp::spec_snapshot snap;
    snap.state = sp::initial_state(spec_generator().spec_id());
    evlog::replay<spec_event>(paths.log(), [&](const spec_event& e, const evlog::record_position& pos) {
        if (e.id > at) return;
        sp::apply(snap.state, e);
        snap.last_event_id = e.id;
        snap.log_offset = pos.end;
    });
    snap.saved_at = evlog::timestamp::now();
    sp::spec_snapshot_store(paths.snapshots()).save(snap);
}

/// evlog::recover with the spec store's config: newest snapshot, repair and
/// replay of what follows its log offset. The index is a fresh null_index,
/// as for the accounts recoveries.
measurement evlog_recover_spec(const run_context& c, std::uint64_t n, std::uint64_t at) {
    const auto paths = spec_paths(c.work);
    stopwatch sw;
    sw.start();
    using config = sp::recovery_config_no_index<>;
    config::index_type index;
    auto r = evlog::recover<config>(paths, index);
    sw.stop();
    if (r.state.last_event_id != n || r.report.snapshot_id != at || !r.report.seeked)
        throw std::runtime_error("recovered last id " + std::to_string(r.state.last_event_id) +
                                 (r.report.seeked ? "" : " without seeking to the snapshot's offset"));
    return {sw.seconds(), n, size_of(paths.log())};
}

measurement naive_recover_spec(const run_context& c, std::uint64_t n) {
    const auto paths = spec_paths(c.work);
    stopwatch sw;
    sw.start();
    auto r = naive_recover_stream<spec_event, sp::spec_state>(
        paths.dir, sp::initial_state(spec_generator().spec_id()),
        [](sp::spec_state& s, const spec_event& e) { sp::apply(s, e); });
    sw.stop();
    if (r.events != n || r.state.last_event_id != n)
        throw std::runtime_error("naive recovered " + std::to_string(r.events) + " events, last id " +
                                 std::to_string(r.state.last_event_id));
    return {sw.seconds(), n, size_of(paths.log())};
}

// ---------------------------------------------------------------- index_rebuild

#if EVLOG_HAS_SQLITE
void setup_index(const fs::path& work, std::uint64_t n) { write_spec_log((work / "events.jsonl").string(), n); }

/// Counts the cards the index holds, to check a subject did the whole job.
std::int64_t count_cards(evlog::sqlite::connection& db) {
    auto& st = db.cached("SELECT count(*) FROM cards");
    const std::int64_t k = st.step() ? st.column_int64(0) : -1;
    st.reset();
    return k;
}

/// evlog::rebuild_index over evlog::replay into a fresh spec_index: one
/// transaction per batch.
measurement evlog_index_rebuild(const run_context& c, std::uint64_t n, std::size_t batch) {
    const auto log = c.work / "events.jsonl";
    stopwatch sw;
    sw.start();
    sp::spec_index index(c.scratch / "index.db");
    evlog::rebuild_index(index, [&](auto&& sink) { evlog::replay<spec_event>(log, sink); }, batch);
    sw.stop();
    if (index.last_event_id() != n) throw std::runtime_error("index last id is not " + std::to_string(n));
    if (count_cards(index.db()) <= 0) throw std::runtime_error("index has no cards");
    return {sw.seconds(), n, size_of(log)};
}

/// The Go code's RebuildFromEvents: each event's statements run on their
/// own, so every statement is its own (autocommit) transaction, on a
/// connection opened with SQLite's defaults as Go's database/sql opens it
/// (rollback journal, synchronous=FULL). Same schema and SQL as evlog's
/// projection; events decoded json.Unmarshal-style. Capped: it reports the
/// events it applied before the cap.
measurement naive_index_rebuild(const run_context& c, std::uint64_t n, double cap) {
    const auto log = c.work / "events.jsonl";
    const auto db_path = c.scratch / "index.db";
    stopwatch sw;
    sw.start();
    evlog::sqlite::open_options o;
    o.wal = false;
    o.sync = evlog::sqlite::synchronous::full;
    evlog::sqlite::connection db(db_path, o);
    for (auto sql : sp::spec_projection::migrations()) db.exec(sql);
    db.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    std::ifstream in(log);
    std::string line;
    measurement m;
    std::uint64_t last = 0;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        const auto e = naive_decode<spec_event>(line);
        sp::spec_projection::apply(db, e);
        last = e.id;
        ++m.events;
        m.bytes += line.size() + 1;
        if (cap > 0 && sw.elapsed() > cap) break;
    }
    db.cached("INSERT OR REPLACE INTO meta(key, value) VALUES('last_event_id', ?1)").bind(1, std::to_string(last)).run();
    sw.stop();
    if (m.events < n && !(cap > 0)) throw std::runtime_error("naive rebuild stopped early");
    m.seconds = sw.seconds();
    return m;
}
#endif

} // namespace

std::vector<std::string> missing_pieces() {
    std::vector<std::string> m;
#if !EVLOG_HAS_SQLITE
    m.push_back("sqlite subject, index_rebuild: SQLite not found at configure time");
#endif
#if !EVLOG_BENCH_HAVE_ROCKSDB
    m.push_back("rocksdb subject: librocksdb-dev not found at configure time");
#endif
    return m;
}

void add_spec_workloads(workload_list& out, const config& cfg) {
    const std::uint64_t n = cfg.n(1'000'000);
    {
        const std::uint64_t at = n / 10 * 9;
        workload w{"recover_spec",
                   "spec store: " + std::to_string(n) + " events, snapshot at event " + std::to_string(at),
                   cfg.reps(3, 2), [n, at](const fs::path& work) { setup_recover(work, n, at); }, {}};
        w.subjects.push_back({"evlog", [n, at](const run_context& c) { return evlog_recover_spec(c, n, at); }});
        w.subjects.push_back({"naive", [n](const run_context& c) { return naive_recover_spec(c, n); }});
        out.push_back(std::move(w));
    }
#if EVLOG_HAS_SQLITE
    {
        const double cap = cfg.cap_s(4);
        workload w{"index_rebuild", std::to_string(n) + " spec events into the spec store's SQLite index (index.db)",
                   cfg.reps(3, 2), [n](const fs::path& work) { setup_index(work, n); }, {}};
        w.subjects.push_back(
            {"evlog", [n](const run_context& c) { return evlog_index_rebuild(c, n, evlog::default_rebuild_batch_size); }});
        w.subjects.push_back({"naive", [n, cap](const run_context& c) { return naive_index_rebuild(c, n, cap); }});
        out.push_back(std::move(w));
    }
#endif
}

} // namespace bench
