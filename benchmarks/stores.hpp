// The other event stores the workloads compare with: SQLite as an event log
// (a table of events, WAL, prepared statements) and RocksDB (its WAL, Put
// with sync on or off). Each holds the event's JSON line, keyed by event id.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#if EVLOG_HAS_SQLITE
#include <sqlite3.h>
#endif

namespace bench {

#if EVLOG_HAS_SQLITE
/// `events(event_id INTEGER PRIMARY KEY, stream_id TEXT, type TEXT, data TEXT)`.
class sqlite_log {
public:
    /// synchronous: "NORMAL" or "FULL".
    sqlite_log(const std::filesystem::path& path, const char* synchronous);
    ~sqlite_log();
    sqlite_log(const sqlite_log&) = delete;
    sqlite_log& operator=(const sqlite_log&) = delete;

    void begin() { exec("BEGIN"); }
    void commit() { exec("COMMIT"); }
    void insert(std::uint64_t id, std::string_view stream, std::string_view type, std::string_view line);
    /// Calls f(line) for each row in event_id order.
    template <class F>
    void scan(F&& f) {
        sqlite3_stmt* st = prepare("SELECT data FROM events ORDER BY event_id");
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
            f(std::string_view(p, static_cast<std::size_t>(sqlite3_column_bytes(st, 0))));
        }
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) fail(rc, "scan");
    }
    void exec(const char* sql);
    sqlite3* handle() const { return db_; }

private:
    sqlite3_stmt* prepare(const char* sql);
    [[noreturn]] void fail(int rc, const char* what);
    sqlite3* db_ = nullptr;
    sqlite3_stmt* insert_ = nullptr;
};
#endif

#if EVLOG_BENCH_HAVE_ROCKSDB
/// A RocksDB database with default options; keys are big-endian event ids.
class rocks_log {
public:
    explicit rocks_log(const std::filesystem::path& dir);
    ~rocks_log();
    rocks_log(const rocks_log&) = delete;
    rocks_log& operator=(const rocks_log&) = delete;

    /// Thread-safe, as RocksDB's Put is.
    void put(std::uint64_t id, std::string_view line, bool sync);
    /// Writes many lines in one WriteBatch (loading inputs, not measured).
    void put_batch(std::uint64_t first_id, const std::string& lines_with_newlines);
    /// Flushes the memtable so a reopen reads SST files, not the WAL.
    void flush();
    /// Calls f(value) for each key in order.
    void scan(const std::function<void(std::string_view)>& f);

private:
    struct impl;
    std::unique_ptr<impl> p_;
};
#endif

} // namespace bench
