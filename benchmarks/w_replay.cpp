// replay: read every event of a 1M-event spec log (hot in the page cache),
// decode it into the typed payload structs and fold it into a small state.

#include <fstream>

#include <fcntl.h>
#include <unistd.h>

#include <evlog/log/replay.hpp>

#include "bench.hpp"
#include "codecs.hpp"
#include "gen.hpp"
#include "stores.hpp"

namespace bench {

namespace {

/// The small state every subject folds into: counts and sizes.
struct small_state {
    std::uint64_t by_kind[5] = {};
    std::uint64_t text_bytes = 0;
    double order_sum = 0;
    std::uint64_t last_id = 0;

    void operator()(const spec_event& e) {
        namespace sp = evlog::spec;
        if (const auto* c = std::get_if<sp::card_created>(&e.payload)) {
            ++by_kind[0];
            text_bytes += c->card.title.size() + (c->card.body ? c->card.body->size() : 0);
        } else if (const auto* u = std::get_if<sp::card_updated>(&e.payload)) {
            ++by_kind[1];
            if (u->body.has_value()) text_bytes += u->body.value().size();
        } else if (const auto* m = std::get_if<sp::card_moved>(&e.payload)) {
            ++by_kind[2];
            order_sum += m->order;
        } else if (const auto* t = std::get_if<sp::transcript_appended>(&e.payload)) {
            ++by_kind[3];
            text_bytes += t->message.content.size();
        } else {
            ++by_kind[4];
        }
        last_id = e.id;
    }
    std::uint64_t events() const { return by_kind[0] + by_kind[1] + by_kind[2] + by_kind[3] + by_kind[4]; }
};

measurement finish(stopwatch& sw, const small_state& s, std::uint64_t bytes, std::uint64_t expected) {
    sw.stop();
    if (s.events() != expected)
        throw std::runtime_error("folded " + std::to_string(s.events()) + " events, expected " + std::to_string(expected));
    return {sw.seconds(), s.events(), bytes};
}

/// evlog::replay with `decode_threads` (0: its default, two threads for a
/// file this size; 1: the caller's thread only).
measurement evlog_replay(const run_context& c, std::uint64_t n, unsigned decode_threads) {
    const auto path = c.work / "events.jsonl";
    small_state s;
    evlog::replay_options opt;
    opt.decode_threads = decode_threads;
    stopwatch sw;
    sw.start();
    evlog::replay<spec_event>(path, s, opt);
    return finish(sw, s, size_of(path), n);
}

/// The floor: 4 MiB reads, memchr for lines, one reused parser, value_to.
measurement raw_replay(const run_context& c, std::uint64_t n) {
    const auto path = c.work / "events.jsonl";
    small_state s;
    stopwatch sw;
    sw.start();
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    check(fd >= 0, "open");
    raw_decoder<spec_event> dec;
    spec_event e;
    std::vector<char> buf(4u << 20);
    std::size_t have = 0;
    for (;;) {
        ssize_t r = ::read(fd, buf.data() + have, buf.size() - have);
        check(r >= 0, "read");
        if (r == 0) break;
        have += static_cast<std::size_t>(r);
        std::size_t pos = 0;
        while (const void* nl = std::memchr(buf.data() + pos, '\n', have - pos)) {
            const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(nl) - buf.data());
            dec.decode(std::string_view(buf.data() + pos, end - pos), e);
            s(e);
            pos = end + 1;
        }
        std::memmove(buf.data(), buf.data() + pos, have - pos);
        have -= pos;
    }
    ::close(fd);
    return finish(sw, s, size_of(path), n);
}

/// Go's replay: every line into a vector of events, then the fold.
measurement naive_replay(const run_context& c, std::uint64_t n) {
    const auto path = c.work / "events.jsonl";
    small_state s;
    stopwatch sw;
    sw.start();
    std::ifstream in(path);
    std::vector<spec_event> all;
    std::string line;
    while (std::getline(in, line))
        if (!line.empty()) all.push_back(naive_decode<spec_event>(line));
    for (const auto& e : all) s(e);
    return finish(sw, s, size_of(path), n);
}

#if EVLOG_HAS_SQLITE
measurement sqlite_replay(const run_context& c, std::uint64_t n) {
    small_state s;
    stopwatch sw;
    sw.start();
    sqlite_log db(c.work / "events.db", "NORMAL");
    evlog::json_codec<spec_event> codec;
    spec_event e;
    db.scan([&](std::string_view line) {
        if (codec.decode(line, e)) throw std::runtime_error("sqlite row does not decode");
        s(e);
    });
    return finish(sw, s, size_of(c.work / "events.jsonl"), n);
}
#endif

#if EVLOG_BENCH_HAVE_ROCKSDB
measurement rocks_replay(const run_context& c, std::uint64_t n) {
    small_state s;
    stopwatch sw;
    sw.start();
    rocks_log db(c.work / "rocks");
    evlog::json_codec<spec_event> codec;
    spec_event e;
    db.scan([&](std::string_view line) {
        if (codec.decode(line, e)) throw std::runtime_error("rocksdb value does not decode");
        s(e);
    });
    return finish(sw, s, size_of(c.work / "events.jsonl"), n);
}
#endif

/// The log, and the same lines in SQLite and RocksDB.
void setup(const fs::path& work, std::uint64_t n) {
    const auto path = work / "events.jsonl";
    write_spec_log(path.string(), n);
#if EVLOG_HAS_SQLITE || EVLOG_BENCH_HAVE_ROCKSDB
    std::ifstream in(path);
    std::string line, batch;
#if EVLOG_HAS_SQLITE
    sqlite_log db(work / "events.db", "NORMAL");
    db.begin();
#endif
#if EVLOG_BENCH_HAVE_ROCKSDB
    rocks_log rdb(work / "rocks");
    std::uint64_t first = 1;
#endif
    std::uint64_t id = 0;
    evlog::json_codec<spec_event> codec;
    spec_event e;
    while (std::getline(in, line)) {
        ++id;
#if EVLOG_HAS_SQLITE
        if (codec.decode(line, e)) throw std::runtime_error("setup: bad line");
        char sid[26];
        e.stream.write(sid);
        db.insert(id, std::string_view(sid, 26), e.type_name(), line);
        if (id % 10000 == 0) {
            db.commit();
            db.begin();
        }
#endif
#if EVLOG_BENCH_HAVE_ROCKSDB
        batch += line;
        batch += '\n';
        if (id % 10000 == 0) {
            rdb.put_batch(first, batch);
            batch.clear();
            first = id + 1;
        }
#endif
    }
#if EVLOG_HAS_SQLITE
    db.commit();
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
#endif
#if EVLOG_BENCH_HAVE_ROCKSDB
    if (!batch.empty()) rdb.put_batch(first, batch);
    rdb.flush();
#endif
#endif
}

} // namespace

void add_replay_workloads(workload_list& out, const config& cfg) {
    const std::uint64_t n = cfg.n(1'000'000);
    workload w{"replay", std::to_string(n) + " spec events from a file: typed decode and a fold into a small state",
               cfg.reps(5, 2), [n](const fs::path& work) { setup(work, n); }, {}};
    w.subjects.push_back({"evlog", [n](const run_context& c) { return evlog_replay(c, n, 0); }});
    w.subjects.push_back({"evlog_1_thread", [n](const run_context& c) { return evlog_replay(c, n, 1); }});
    w.subjects.push_back({"raw_limit", [n](const run_context& c) { return raw_replay(c, n); }});
    w.subjects.push_back({"naive", [n](const run_context& c) { return naive_replay(c, n); }});
#if EVLOG_HAS_SQLITE
    w.subjects.push_back({"sqlite", [n](const run_context& c) { return sqlite_replay(c, n); }});
#endif
#if EVLOG_BENCH_HAVE_ROCKSDB
    w.subjects.push_back({"rocksdb", [n](const run_context& c) { return rocks_replay(c, n); }});
#endif
    out.push_back(std::move(w));
}

} // namespace bench
