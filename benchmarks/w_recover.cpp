// recover_full and recover_snapshot_90: the small-state "accounts" domain
// (10,000 balances, deposits and withdrawals), recovered from a 1M-event log
// with no snapshot, and with a snapshot at event 900,000.

#include <fstream>
#include <iterator>

#include <evlog/log/append_log.hpp>
#include <evlog/log/replay.hpp>
#include <evlog/recovery/recover.hpp>

#include "bench.hpp"
#include "codecs.hpp"
#include "gen.hpp"
#include "recover_common.hpp"

namespace bench {

namespace {

fs::path stream_dir(const fs::path& work) { return work / "streams" / accounts_stream().str(); }

void setup(const fs::path& work, std::uint64_t n, std::uint64_t snapshot_at) {
    const auto dir = stream_dir(work);
    const auto log_path = dir / "events.jsonl";
    {
        account_generator gen(accounts_stream());
        evlog::unsynced_log_st<account_event> log;
        log.open(log_path);
        std::vector<account_event> batch(1024);
        for (std::uint64_t done = 0; done < n;) {
            const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(batch.size(), n - done));
            for (std::size_t i = 0; i < k; ++i) gen.next(batch[i]);
            log.append(std::span<const account_event>(batch.data(), k));
            done += k;
        }
        log.close();
    }
    if (snapshot_at == 0) return;
    evlog::snapshot<accounts_state> snap;
    evlog::replay<account_event>(log_path, [&](const account_event& e, const evlog::record_position& pos) {
        if (e.id > snapshot_at) return;
        apply_account(snap.state, e);
        snap.last_event_id = e.id;
        snap.log_offset = pos.end;
    });
    snap.saved_at = evlog::timestamp::now();
    evlog::snapshot_store<accounts_state>(dir / "snapshots").save(snap);
}

measurement evlog_recover(const run_context& c, std::uint64_t n) {
    const evlog::stream_paths paths{stream_dir(c.work)};
    stopwatch sw;
    sw.start();
    // A fresh null_index: it keeps no rows, so recovery sets its last id
    // without a second pass over the log.
    accounts_config::index_type index;
    auto r = evlog::recover<accounts_config>(paths, index);
    sw.stop();
    if (r.state.events != n) throw std::runtime_error("recovered " + std::to_string(r.state.events) + " events");
    return {sw.seconds(), n, size_of(paths.log())};
}

measurement naive_recover(const run_context& c, std::uint64_t n) {
    const auto dir = stream_dir(c.work);
    stopwatch sw;
    sw.start();
    auto r = naive_recover_stream<account_event, accounts_state>(dir, accounts_state{}, apply_account);
    sw.stop();
    if (r.events != n) throw std::runtime_error("naive recovered " + std::to_string(r.events) + " events");
    return {sw.seconds(), n, size_of(dir / "events.jsonl")};
}

} // namespace

void add_recover_workloads(workload_list& out, const config& cfg) {
    const std::uint64_t n = cfg.n(1'000'000);
    const std::uint64_t at = n / 10 * 9;
    {
        workload w{"recover_full", "accounts: 10,000 balances, " + std::to_string(n) + " events, no snapshot",
                   cfg.reps(5, 2), [n](const fs::path& work) { setup(work, n, 0); }, {}};
        w.subjects.push_back({"evlog", [n](const run_context& c) { return evlog_recover(c, n); }});
        w.subjects.push_back({"naive", [n](const run_context& c) { return naive_recover(c, n); }});
        out.push_back(std::move(w));
    }
    {
        workload w{"recover_snapshot_90",
                   "accounts: " + std::to_string(n) + " events, snapshot at event " + std::to_string(at),
                   cfg.reps(5, 2), [n, at](const fs::path& work) { setup(work, n, at); }, {}};
        w.subjects.push_back({"evlog", [n](const run_context& c) { return evlog_recover(c, n); }});
        w.subjects.push_back({"naive", [n](const run_context& c) { return naive_recover(c, n); }});
        out.push_back(std::move(w));
    }
}

} // namespace bench
