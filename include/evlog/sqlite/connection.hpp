#if !__has_include(<sqlite3.h>)
#error "evlog/sqlite needs SQLite3 (libsqlite3-dev); configure with -Dsqlite=enabled or don't include evlog/sqlite"
#endif
// RAII wrappers over the SQLite C API: connection (with a prepared-statement
// cache), statement and transaction. Every failure is an evlog::error:
// errc::index_corrupt for SQLITE_CORRUPT and SQLITE_NOTADB, errc::io_error
// otherwise, with SQLite's message and the database path.
//
// Values reach SQL only through bound parameters. The one exception is
// set_user_version: SQLite cannot bind a PRAGMA argument, so the integer
// is formatted into the statement (it is an integer, never text).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include <sqlite3.h>

#include <evlog/core/errors.hpp>

namespace evlog::sqlite {

/// PRAGMA synchronous. With WAL, `normal` loses no committed transaction on
/// a process crash, only the last ones on power loss; `full` fsyncs at
/// every commit.
enum class synchronous { off = 0, normal = 1, full = 2, extra = 3 };

struct open_options {
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE; ///< sqlite3_open_v2 flags
    std::chrono::milliseconds busy_timeout{5000};           ///< wait this long for a lock
    bool wal = true;                                        ///< PRAGMA journal_mode=WAL
    synchronous sync = synchronous::normal;
};

namespace detail {

inline std::string clip_sql(std::string_view sql) {
    constexpr std::size_t max = 120;
    std::string s(sql.substr(0, max));
    if (sql.size() > max) s += "...";
    return s;
}

inline errc classify(int rc) noexcept {
    int primary = rc & 0xff;
    return primary == SQLITE_CORRUPT || primary == SQLITE_NOTADB ? errc::index_corrupt : errc::io_error;
}

/// `PATH: WHAT: MESSAGE (sqlite error N)` as an evlog::error.
[[noreturn]] inline void throw_sqlite(int rc, std::string_view message, std::string_view what,
                                      const std::filesystem::path& path) {
    std::string d = path.empty() ? std::string("(temporary database)") : path.string();
    d += ": ";
    d += what;
    d += ": ";
    d += message;
    d += " (sqlite error " + std::to_string(rc) + ")";
    throw error(make_error_code(classify(rc)), std::move(d));
}

/// Throws for `rc` returned by a call on `db`, naming db's main file.
[[noreturn]] inline void throw_sqlite(int rc, sqlite3* db, std::string_view what) {
    const char* file = db ? sqlite3_db_filename(db, "main") : nullptr;
    const char* msg = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw_sqlite(rc, msg ? msg : "", what, file ? std::filesystem::path(file) : std::filesystem::path());
}

} // namespace detail

/// A prepared statement. Bind indexes are 1-based (`?1`, `?2`, ...),
/// column indexes 0-based, as in the C API. Move-only.
class statement {
public:
    statement() = default;

    /// Prepares the first statement of `sql`; `prep_flags` are
    /// sqlite3_prepare_v3 flags (SQLITE_PREPARE_PERSISTENT for long-lived ones).
    statement(sqlite3* db, std::string_view sql, unsigned prep_flags = 0) {
        if (sql.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()))
            throw error(make_error_code(errc::bad_argument), "sqlite: SQL text too long");
        int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), prep_flags, &stmt_, nullptr);
        if (rc != SQLITE_OK) {
            sqlite3_finalize(stmt_);
            stmt_ = nullptr;
            detail::throw_sqlite(rc, db, "prepare \"" + detail::clip_sql(sql) + "\"");
        }
        if (!stmt_) // only a comment or whitespace
            throw error(make_error_code(errc::bad_argument), "sqlite: no statement in \"" + detail::clip_sql(sql) + "\"");
    }

    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;
    statement(statement&& o) noexcept : stmt_(std::exchange(o.stmt_, nullptr)) {}
    statement& operator=(statement&& o) noexcept {
        if (this != &o) {
            finalize();
            stmt_ = std::exchange(o.stmt_, nullptr);
        }
        return *this;
    }
    ~statement() { finalize(); }

    // ------------------------------------------------------------- binding

    /// Integers of any width. An unsigned value above INT64_MAX does not fit
    /// SQLite's INTEGER and is refused (errc::bad_argument).
    template <std::integral T>
    statement& bind(int index, T value) {
        if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
            if (value > static_cast<T>(std::numeric_limits<std::int64_t>::max()))
                throw error(make_error_code(errc::bad_argument),
                            "sqlite: " + std::to_string(value) + " does not fit a 64-bit signed INTEGER");
        }
        return check_bind(sqlite3_bind_int64(stmt_, index, static_cast<sqlite3_int64>(value)), index);
    }

    statement& bind(int index, double value) { return check_bind(sqlite3_bind_double(stmt_, index, value), index); }

    /// Text is copied (SQLITE_TRANSIENT), so `value` need not outlive the call.
    statement& bind(int index, std::string_view value) {
        return check_bind(sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
                          index);
    }
    statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
    statement& bind(int index, const std::string& value) { return bind(index, std::string_view(value)); }

    statement& bind(int index, std::nullptr_t) { return check_bind(sqlite3_bind_null(stmt_, index), index); }
    statement& bind(int index, std::nullopt_t) { return bind(index, nullptr); }

    /// NULL when empty.
    template <class T>
    statement& bind(int index, const std::optional<T>& value) {
        return value ? bind(index, *value) : bind(index, nullptr);
    }

    // ----------------------------------------------------------- execution

    /// One step: true when a row is ready, false when the statement is done.
    bool step() {
        int rc = sqlite3_step(handle_or_throw());
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        detail::throw_sqlite(rc, sqlite3_db_handle(stmt_), "step \"" + detail::clip_sql(sql()) + "\"");
    }

    /// Steps to the end, ignoring rows (for INSERT, UPDATE, DELETE).
    void run() {
        while (step()) {
        }
    }

    /// Makes the statement ready to run again and clears every binding.
    void reset() noexcept {
        if (!stmt_) return;
        sqlite3_reset(stmt_); // returns the last step's error, already reported
        sqlite3_clear_bindings(stmt_);
    }

    // ------------------------------------------------------------- columns

    int column_count() const noexcept { return sqlite3_column_count(stmt_); }
    bool column_is_null(int col) const noexcept { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::int64_t column_int64(int col) const noexcept { return sqlite3_column_int64(stmt_, col); }
    double column_double(int col) const noexcept { return sqlite3_column_double(stmt_, col); }

    /// Valid until the next step, reset or type conversion of this column.
    std::string_view column_text(int col) const noexcept {
        const auto* p = sqlite3_column_text(stmt_, col);
        if (!p) return {};
        return {reinterpret_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
    }

    std::optional<std::int64_t> column_optional_int64(int col) const noexcept {
        return column_is_null(col) ? std::nullopt : std::optional<std::int64_t>(column_int64(col));
    }
    std::optional<std::string> column_optional_text(int col) const {
        return column_is_null(col) ? std::nullopt : std::optional<std::string>(column_text(col));
    }

    std::string_view sql() const noexcept {
        const char* s = stmt_ ? sqlite3_sql(stmt_) : nullptr;
        return s ? std::string_view(s) : std::string_view();
    }
    sqlite3_stmt* handle() const noexcept { return stmt_; }
    explicit operator bool() const noexcept { return stmt_ != nullptr; }

private:
    sqlite3_stmt* handle_or_throw() const {
        if (!stmt_) throw error(make_error_code(errc::bad_argument), "sqlite: empty statement");
        return stmt_;
    }

    statement& check_bind(int rc, int index) {
        if (rc != SQLITE_OK)
            detail::throw_sqlite(rc, stmt_ ? sqlite3_db_handle(stmt_) : nullptr,
                                 "bind ?" + std::to_string(index) + " of \"" + detail::clip_sql(sql()) + "\"");
        return *this;
    }

    void finalize() noexcept {
        if (stmt_) sqlite3_finalize(stmt_);
        stmt_ = nullptr;
    }

    sqlite3_stmt* stmt_ = nullptr;
};

/// An open database. Closing finalizes the cached statements. Move-only;
/// use from one thread at a time.
class connection {
public:
    connection() = default;

    /// Opens (with opt.flags, so by default creating) the database at `path`,
    /// sets the busy timeout, WAL and synchronous.
    explicit connection(std::filesystem::path path, const open_options& opt = {}) : path_(std::move(path)) {
        int rc = sqlite3_open_v2(path_.c_str(), &db_, opt.flags, nullptr);
        if (rc != SQLITE_OK) {
            std::string msg = db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close_v2(db_);
            db_ = nullptr;
            detail::throw_sqlite(rc, msg, "open", path_);
        }
        try {
            sqlite3_extended_result_codes(db_, 1);
            set_busy_timeout(opt.busy_timeout);
            if (opt.wal) enable_wal();
            set_synchronous(opt.sync);
        } catch (...) {
            close();
            throw;
        }
    }

    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;
    connection(connection&& o) noexcept
        : db_(std::exchange(o.db_, nullptr)), path_(std::move(o.path_)), cache_(std::move(o.cache_)) {}
    connection& operator=(connection&& o) noexcept {
        if (this != &o) {
            close();
            db_ = std::exchange(o.db_, nullptr);
            path_ = std::move(o.path_);
            cache_ = std::move(o.cache_);
        }
        return *this;
    }
    ~connection() { close(); }

    /// Finalizes the cached statements and closes. Statements prepared with
    /// prepare() and still alive keep the handle until they are destroyed.
    void close() noexcept {
        cache_.clear();
        if (db_) sqlite3_close_v2(db_);
        db_ = nullptr;
    }

    bool is_open() const noexcept { return db_ != nullptr; }
    sqlite3* handle() const noexcept { return db_; }
    const std::filesystem::path& path() const noexcept { return path_; }

    /// Runs SQL without parameters, possibly several `;`-separated statements
    /// (schema, BEGIN/COMMIT). Rows are discarded.
    void exec(std::string_view sql) {
        std::string text(sql);
        char* msg = nullptr;
        int rc = sqlite3_exec(open_handle(), text.c_str(), nullptr, nullptr, &msg);
        if (rc != SQLITE_OK) {
            std::string m = msg ? msg : sqlite3_errmsg(db_);
            sqlite3_free(msg);
            detail::throw_sqlite(rc, m, "exec \"" + detail::clip_sql(sql) + "\"", path_);
        }
    }

    /// A new statement owned by the caller.
    statement prepare(std::string_view sql) { return statement(open_handle(), sql); }

    /// The statement for `sql` from this connection's cache, prepared on first
    /// use and reset (bindings cleared) on every later one. The reference
    /// stays valid until close(). Calling cached() with the same SQL again
    /// resets the statement, so finish with it first. Keep SQL text fixed
    /// (values go in parameters): each distinct text stays cached.
    statement& cached(std::string_view sql) {
        open_handle();
        if (auto it = cache_.find(sql); it != cache_.end()) {
            it->second.reset();
            return it->second;
        }
        statement st(db_, sql, SQLITE_PREPARE_PERSISTENT);
        return cache_.emplace(std::string(sql), std::move(st)).first->second;
    }

    /// Resets every cached statement so none holds a read snapshot open.
    void reset_cached() noexcept {
        for (auto& kv : cache_) sqlite3_reset(kv.second.handle());
    }

    std::size_t cached_count() const noexcept { return cache_.size(); }

    // ------------------------------------------------------------ settings

    void set_busy_timeout(std::chrono::milliseconds ms) {
        auto v = ms.count() < 0 ? 0 : ms.count() > std::numeric_limits<int>::max() ? std::numeric_limits<int>::max()
                                                                                   : ms.count();
        int rc = sqlite3_busy_timeout(open_handle(), static_cast<int>(v));
        if (rc != SQLITE_OK) detail::throw_sqlite(rc, db_, "busy_timeout");
    }

    /// PRAGMA journal_mode=WAL; returns the mode now in force ("wal", or
    /// e.g. "memory" for an in-memory database).
    std::string enable_wal() {
        statement st = prepare("PRAGMA journal_mode=WAL");
        return st.step() ? std::string(st.column_text(0)) : std::string();
    }

    std::string journal_mode() {
        statement st = prepare("PRAGMA journal_mode");
        return st.step() ? std::string(st.column_text(0)) : std::string();
    }

    void set_synchronous(synchronous s) {
        switch (s) {
        case synchronous::off: exec("PRAGMA synchronous=OFF"); break;
        case synchronous::normal: exec("PRAGMA synchronous=NORMAL"); break;
        case synchronous::full: exec("PRAGMA synchronous=FULL"); break;
        case synchronous::extra: exec("PRAGMA synchronous=EXTRA"); break;
        }
    }

    /// PRAGMA user_version: the schema version the application recorded.
    std::int64_t user_version() {
        statement st = prepare("PRAGMA user_version");
        return st.step() ? st.column_int64(0) : 0;
    }

    /// Transactional when called inside a transaction.
    void set_user_version(std::int32_t v) { exec("PRAGMA user_version=" + std::to_string(v)); }

    bool in_transaction() const noexcept { return db_ && sqlite3_get_autocommit(db_) == 0; }
    std::int64_t last_insert_rowid() const noexcept { return db_ ? sqlite3_last_insert_rowid(db_) : 0; }
    std::int64_t changes() const noexcept {
        if (!db_) return 0;
#if SQLITE_VERSION_NUMBER >= 3037000
        return sqlite3_changes64(db_);
#else
        return sqlite3_changes(db_);
#endif
    }

private:
    sqlite3* open_handle() const {
        if (!db_)
            throw error(make_error_code(errc::io_error),
                        (path_.empty() ? std::string("sqlite") : path_.string()) + ": connection is not open");
        return db_;
    }

    sqlite3* db_ = nullptr;
    std::filesystem::path path_;
    std::map<std::string, statement, std::less<>> cache_;
};

enum class begin_mode { deferred, immediate, exclusive };

/// BEGIN (IMMEDIATE by default) on construction; commit() makes it durable;
/// the destructor rolls back a transaction that was not committed. Not
/// nestable: BEGIN inside a transaction fails.
class transaction {
public:
    explicit transaction(connection& db, begin_mode mode = begin_mode::immediate) : db_(&db) {
        switch (mode) {
        case begin_mode::deferred: db.exec("BEGIN DEFERRED"); break;
        case begin_mode::immediate: db.exec("BEGIN IMMEDIATE"); break;
        case begin_mode::exclusive: db.exec("BEGIN EXCLUSIVE"); break;
        }
        active_ = true;
    }
    transaction(const transaction&) = delete;
    transaction& operator=(const transaction&) = delete;
    ~transaction() { rollback_quietly(); }

    /// If COMMIT fails, the exception propagates and the destructor rolls back.
    void commit() {
        if (!active_) throw error(make_error_code(errc::bad_argument), "sqlite: transaction already ended");
        db_->exec("COMMIT");
        active_ = false;
    }

    void rollback() {
        if (!active_) return;
        active_ = false;
        if (db_->in_transaction()) {
            db_->reset_cached();
            db_->exec("ROLLBACK");
        }
    }

    bool active() const noexcept { return active_; }

private:
    void rollback_quietly() noexcept {
        if (!active_) return;
        active_ = false;
        // SQLite may already have rolled back (e.g. after SQLITE_FULL).
        if (db_->in_transaction()) {
            db_->reset_cached();
            sqlite3_exec(db_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
        }
    }

    connection* db_;
    bool active_ = false;
};

} // namespace evlog::sqlite
