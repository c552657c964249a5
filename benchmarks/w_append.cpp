// append_unsynced, append_durable, append_group_commit.
//
// Every subject appends the same events (the spec mix) to a fresh file in
// its own scratch directory. Events are generated in chunks outside the
// timer; the timer covers encoding (except raw_limit, which writes
// pre-encoded lines) and storing. Opening and closing are not timed
// (closing an fsync_never log runs one fdatasync, as it should, but that is
// not the append path).

#include <atomic>
#include <barrier>
#include <cstring>
#include <mutex>
#include <span>
#include <thread>

#include <fcntl.h>
#include <unistd.h>

#include <evlog/log/append_log.hpp>

#include "bench.hpp"
#include "codecs.hpp"
#include "gen.hpp"
#include "stores.hpp"

namespace bench {

namespace {

constexpr std::size_t chunk = 4096;

enum class mode { unsynced, durable };

/// Feeds `n` events in chunks; `body(span)` appends them under the timer
/// and returns false to stop early (a capped subject).
template <class Body>
measurement chunked(std::uint64_t n, Body&& body) {
    spec_generator gen;
    std::vector<spec_event> buf(static_cast<std::size_t>(std::min<std::uint64_t>(chunk, n)));
    measurement m;
    stopwatch sw;
    for (std::uint64_t done = 0; done < n;) {
        const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - done));
        for (std::size_t i = 0; i < k; ++i) gen.next(buf[i]);
        sw.start();
        const bool go_on = body(std::span<const spec_event>(buf.data(), k), sw, m);
        sw.stop();
        done += k;
        if (!go_on) break;
    }
    m.seconds = sw.seconds();
    return m;
}

int open_append(const fs::path& p) {
    int fd = ::open(p.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    check(fd >= 0, "open " + p.string());
    return fd;
}

void write_full(int fd, const char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        check(w > 0, "write");
        p += w;
        n -= static_cast<std::size_t>(w);
    }
}

// ---------------------------------------------------------------- single-thread subjects

template <class Log>
measurement evlog_append(const run_context& c, std::uint64_t n) {
    Log log;
    log.open(c.scratch / "events.jsonl");
    auto m = chunked(n, [&](std::span<const spec_event> evs, stopwatch&, measurement& m) {
        for (const auto& e : evs) log.append(e);
        m.events += evs.size();
        return true;
    });
    m.bytes = log.end_offset();
    log.close();
    return m;
}

measurement raw_append(const run_context& c, std::uint64_t n, mode md) {
    const int fd = open_append(c.scratch / "events.jsonl");
    evlog::json_codec<spec_event> codec;
    std::string lines;
    std::vector<std::size_t> ends;
    spec_generator gen;
    std::vector<spec_event> buf(static_cast<std::size_t>(std::min<std::uint64_t>(chunk, n)));
    measurement m;
    stopwatch sw;
    for (std::uint64_t done = 0; done < n;) {
        const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), n - done));
        lines.clear();
        ends.clear();
        for (std::size_t i = 0; i < k; ++i) {
            gen.next(buf[i]);
            codec.encode(buf[i], lines);
            lines += '\n';
            ends.push_back(lines.size());
        }
        sw.start();
        std::size_t at = 0;
        for (std::size_t e : ends) {
            write_full(fd, lines.data() + at, e - at);
            if (md == mode::durable) check(::fdatasync(fd) == 0, "fdatasync");
            at = e;
        }
        sw.stop();
        m.events += k;
        m.bytes += lines.size();
        done += k;
    }
    m.seconds = sw.seconds();
    ::close(fd);
    return m;
}

/// Go's store: open, write, (fsync,) close for every event; json.Marshal-like encoding.
measurement naive_append(const run_context& c, std::uint64_t n, mode md, double cap) {
    const fs::path p = c.scratch / "events.jsonl";
    return chunked(n, [&](std::span<const spec_event> evs, stopwatch& sw, measurement& m) {
        for (const auto& e : evs) {
            std::string line = naive_encode(e);
            line += '\n';
            const int fd = open_append(p);
            write_full(fd, line.data(), line.size());
            if (md == mode::durable) check(::fsync(fd) == 0, "fsync");
            ::close(fd);
            ++m.events;
            m.bytes += line.size();
            if (cap > 0 && sw.elapsed() > cap) return false;
        }
        return true;
    });
}

#if EVLOG_HAS_SQLITE
/// Unsynced: synchronous=NORMAL, 1000 events per transaction. Durable:
/// synchronous=FULL, one transaction per event.
measurement sqlite_append(const run_context& c, std::uint64_t n, mode md, double cap) {
    sqlite_log db(c.scratch / "events.db", md == mode::durable ? "FULL" : "NORMAL");
    evlog::json_codec<spec_event> codec;
    std::string line;
    std::uint64_t in_tx = 0;
    auto m = chunked(n, [&](std::span<const spec_event> evs, stopwatch& sw, measurement& m) {
        for (const auto& e : evs) {
            line.clear();
            codec.encode(e, line);
            char sid[26];
            e.stream.write(sid);
            if (in_tx == 0) db.begin();
            db.insert(e.id, std::string_view(sid, 26), e.type_name(), line);
            if (md == mode::durable || ++in_tx == 1000) {
                db.commit();
                in_tx = 0;
            }
            ++m.events;
            m.bytes += line.size() + 1;
            if (cap > 0 && sw.elapsed() > cap) return false;
        }
        if (in_tx) {
            db.commit();
            in_tx = 0;
        }
        return true;
    });
    return m;
}
#endif

#if EVLOG_BENCH_HAVE_ROCKSDB
measurement rocks_append(const run_context& c, std::uint64_t n, mode md, double cap) {
    rocks_log db(c.scratch / "rocks");
    evlog::json_codec<spec_event> codec;
    std::string line;
    return chunked(n, [&](std::span<const spec_event> evs, stopwatch& sw, measurement& m) {
        for (const auto& e : evs) {
            line.clear();
            codec.encode(e, line);
            db.put(e.id, line, md == mode::durable);
            ++m.events;
            m.bytes += line.size() + 1;
            if (cap > 0 && sw.elapsed() > cap) return false;
        }
        return true;
    });
}
#endif

// ---------------------------------------------------------------- group commit

/// `threads` threads, each appending its share of `n` events one at a time.
/// The timer runs from the moment all threads are released to the last one
/// finishing. `per_thread(t, events, stop)` appends and returns how many it did.
template <class PerThread>
measurement threaded(std::uint64_t n, unsigned threads, double cap, PerThread&& per_thread) {
    const std::uint64_t each = std::max<std::uint64_t>(1, n / threads);
    std::vector<std::vector<spec_event>> evs(threads);
    spec_generator gen;
    for (auto& v : evs) {
        v.resize(static_cast<std::size_t>(each));
        for (auto& e : v) gen.next(e);
    }
    std::atomic<bool> stop{false};
    std::atomic<std::uint64_t> done{0}, bytes{0};
    std::barrier start(static_cast<std::ptrdiff_t>(threads) + 1);
    std::vector<std::thread> ts;
    for (unsigned t = 0; t < threads; ++t)
        ts.emplace_back([&, t] {
            start.arrive_and_wait();
            std::uint64_t b = 0;
            done += per_thread(t, evs[t], stop, b);
            bytes += b;
        });
    stopwatch sw;
    start.arrive_and_wait();
    sw.start();
    if (cap > 0) {
        // The watchdog: tell the threads to stop once the cap has passed.
        // `done` grows as threads finish, so this ends by the cap or when all are done.
        while (done.load() < each * threads && !stop.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            if (sw.elapsed() > cap) stop = true;
        }
    }
    for (auto& t : ts) t.join();
    sw.stop();
    return {sw.seconds(), done.load(), bytes.load()};
}

/// `Policy`: fsync_group, or fsync_group_sleeping to show what its waiters' yielding buys.
template <class Policy>
measurement evlog_group(const run_context& c, std::uint64_t n, unsigned threads) {
    evlog::basic_append_log<spec_event, Policy> log;
    log.open(c.scratch / "events.jsonl");
    auto m = threaded(n, threads, 0, [&](unsigned, std::vector<spec_event>& evs, std::atomic<bool>&, std::uint64_t&) {
        for (auto& e : evs) log.append_next(e);
        return static_cast<std::uint64_t>(evs.size());
    });
    m.bytes = log.end_offset();
    log.close();
    return m;
}

/// The limit for the same bytes: 64 pre-encoded lines per write, one fdatasync each.
measurement raw_group(const run_context& c, std::uint64_t n, unsigned per_write) {
    const int fd = open_append(c.scratch / "events.jsonl");
    evlog::json_codec<spec_event> codec;
    spec_generator gen;
    std::string lines;
    std::vector<std::size_t> ends;
    spec_event e;
    for (std::uint64_t i = 0; i < n; ++i) {
        gen.next(e);
        codec.encode(e, lines);
        lines += '\n';
        if ((i + 1) % per_write == 0 || i + 1 == n) ends.push_back(lines.size());
    }
    stopwatch sw;
    sw.start();
    std::size_t at = 0;
    for (std::size_t end : ends) {
        write_full(fd, lines.data() + at, end - at);
        check(::fdatasync(fd) == 0, "fdatasync");
        at = end;
    }
    sw.stop();
    ::close(fd);
    return {sw.seconds(), n, lines.size()};
}

/// Go's store: a mutex around encode, open, write, fsync, close.
measurement naive_group(const run_context& c, std::uint64_t n, unsigned threads, double cap) {
    std::mutex mu;
    const fs::path p = c.scratch / "events.jsonl";
    std::uint64_t next_id = 0;
    return threaded(n, threads, cap,
                    [&](unsigned, std::vector<spec_event>& evs, std::atomic<bool>& stop, std::uint64_t& bytes) {
                        std::uint64_t k = 0;
                        for (auto& e : evs) {
                            if (stop) break;
                            std::lock_guard g(mu);
                            e.id = ++next_id;
                            std::string line = naive_encode(e);
                            line += '\n';
                            const int fd = open_append(p);
                            write_full(fd, line.data(), line.size());
                            check(::fsync(fd) == 0, "fsync");
                            ::close(fd);
                            bytes += line.size();
                            ++k;
                        }
                        return k;
                    });
}

#if EVLOG_HAS_SQLITE
/// One connection behind a mutex, synchronous=FULL, one transaction per event.
measurement sqlite_group(const run_context& c, std::uint64_t n, unsigned threads, double cap) {
    sqlite_log db(c.scratch / "events.db", "FULL");
    std::mutex mu;
    std::uint64_t next_id = 0;
    return threaded(n, threads, cap,
                    [&](unsigned, std::vector<spec_event>& evs, std::atomic<bool>& stop, std::uint64_t& bytes) {
                        evlog::json_codec<spec_event> codec;
                        std::string line;
                        std::uint64_t k = 0;
                        for (auto& e : evs) {
                            if (stop) break;
                            char sid[26];
                            e.stream.write(sid);
                            std::lock_guard g(mu);
                            e.id = ++next_id;
                            line.clear();
                            codec.encode(e, line);
                            db.insert(e.id, std::string_view(sid, 26), e.type_name(), line);
                            bytes += line.size() + 1;
                            ++k;
                        }
                        return k;
                    });
}
#endif

#if EVLOG_BENCH_HAVE_ROCKSDB
/// Put with sync=true from every thread; RocksDB groups concurrent writers itself.
measurement rocks_group(const run_context& c, std::uint64_t n, unsigned threads, double cap) {
    rocks_log db(c.scratch / "rocks");
    std::atomic<std::uint64_t> next_id{0};
    return threaded(n, threads, cap,
                    [&](unsigned, std::vector<spec_event>& evs, std::atomic<bool>& stop, std::uint64_t& bytes) {
                        evlog::json_codec<spec_event> codec;
                        std::string line;
                        std::uint64_t k = 0;
                        for (auto& e : evs) {
                            if (stop) break;
                            e.id = ++next_id;
                            line.clear();
                            codec.encode(e, line);
                            db.put(e.id, line, true);
                            bytes += line.size() + 1;
                            ++k;
                        }
                        return k;
                    });
}
#endif

} // namespace

void add_append_workloads(workload_list& out, const config& cfg) {
    {
        const std::uint64_t n = cfg.n(1'000'000);
        workload w{"append_unsynced", "fsync_never, 1 thread, " + std::to_string(n) + " events", cfg.reps(3, 2), {}, {}};
        w.subjects.push_back({"evlog", [n](const run_context& c) { return evlog_append<evlog::unsynced_log_st<spec_event>>(c, n); }});
        w.subjects.push_back({"raw_limit", [n](const run_context& c) { return raw_append(c, n, mode::unsynced); }});
        w.subjects.push_back({"naive", [n](const run_context& c) { return naive_append(c, n, mode::unsynced, 0); }});
#if EVLOG_HAS_SQLITE
        w.subjects.push_back({"sqlite", [n](const run_context& c) { return sqlite_append(c, n, mode::unsynced, 0); }});
#endif
#if EVLOG_BENCH_HAVE_ROCKSDB
        w.subjects.push_back({"rocksdb", [n](const run_context& c) { return rocks_append(c, n, mode::unsynced, 0); }});
#endif
        out.push_back(std::move(w));
    }
    {
        const std::uint64_t n = cfg.n(2'000);
        const double cap = cfg.cap_s(4);
        // 7 repetitions: fdatasync latency moves with the VM's neighbours, and
        // the median of 7 alternating pairs holds better than that of 3.
        workload w{"append_durable", "fsync_always, 1 thread, " + std::to_string(n) + " events", cfg.reps(7, 2), {}, {}};
        w.subjects.push_back({"evlog", [n](const run_context& c) { return evlog_append<evlog::append_log_st<spec_event>>(c, n); }});
        w.subjects.push_back({"raw_limit", [n](const run_context& c) { return raw_append(c, n, mode::durable); }});
        w.subjects.push_back({"naive", [n, cap](const run_context& c) { return naive_append(c, n, mode::durable, cap); }});
#if EVLOG_HAS_SQLITE
        w.subjects.push_back({"sqlite", [n, cap](const run_context& c) { return sqlite_append(c, n, mode::durable, cap); }});
#endif
#if EVLOG_BENCH_HAVE_ROCKSDB
        w.subjects.push_back({"rocksdb", [n, cap](const run_context& c) { return rocks_append(c, n, mode::durable, cap); }});
#endif
        out.push_back(std::move(w));
    }
    {
        const std::uint64_t n = cfg.n(64'000);
        const unsigned threads = 64;
        const double cap = cfg.cap_s(4);
        workload w{"append_group_commit",
                   "fsync_group, " + std::to_string(threads) + " threads, " + std::to_string(n) + " events in all",
                   cfg.reps(7, 2), {}, {}}; // 7: as append_durable
        w.subjects.push_back({"evlog", [=](const run_context& c) { return evlog_group<evlog::fsync_group>(c, n, threads); }});
        w.subjects.push_back({"evlog_sleeping", [=](const run_context& c) {
                                  return evlog_group<evlog::fsync_group_sleeping>(c, n, threads);
                              }});
        w.subjects.push_back({"raw_limit", [=](const run_context& c) { return raw_group(c, n, 64); }});
        w.subjects.push_back({"naive", [=](const run_context& c) { return naive_group(c, n, threads, cap); }});
#if EVLOG_HAS_SQLITE
        w.subjects.push_back({"sqlite", [=](const run_context& c) { return sqlite_group(c, n, threads, cap); }});
#endif
#if EVLOG_BENCH_HAVE_ROCKSDB
        w.subjects.push_back({"rocksdb", [=](const run_context& c) { return rocks_group(c, n, threads, cap); }});
#endif
        out.push_back(std::move(w));
    }
}

} // namespace bench
