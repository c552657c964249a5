#if !__has_include(<sqlite3.h>)
#error "evlog/sqlite needs SQLite3 (libsqlite3-dev); configure with -Dsqlite=enabled or don't include evlog/sqlite"
#endif
// An evlog::event_index stored in SQLite: a user projection's tables plus a
// meta table holding the id of the last applied event.
#pragma once

#include <cerrno>
#include <charconv>
#include <chrono>
#include <concepts>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>
#include <vector>

#include <evlog/core/errors.hpp>
#include <evlog/index/detail/ids.hpp>
#include <evlog/index/index.hpp>
#include <evlog/sqlite/connection.hpp>

namespace evlog::sqlite {

/// What sqlite_index needs from a projection:
///
///     struct notes_projection {
///         using event_type = my_event;
///         // Schema version N = migrations()[0..N) applied; never edit or
///         // reorder a released migration, only append.
///         static std::vector<std::string_view> migrations();
///         // Writes one event's rows, through db.cached(sql) with bound values.
///         static void apply(sqlite::connection& db, const event_type& e);
///         // Deletes every projection row (not the schema).
///         static void clear(sqlite::connection& db);
///     };
///
/// apply and clear run inside the index's transaction: they must not
/// BEGIN or COMMIT. An exception from apply rolls the whole batch back.
template <class P>
concept projection = requires(connection& db, const typename P::event_type& e) {
    typename P::event_type;
    { P::migrations() } -> std::convertible_to<std::vector<std::string_view>>;
    P::apply(db, e);
    P::clear(db);
};

/// A projection that can also fold events into its final rows in memory
/// and write those at once, which a full rebuild uses: one transaction and
/// one write per row instead of a statement per change.
///
///     struct rows_type { ... };                          // default-constructible
///     static void fold(rows_type& rows, const event_type& e);
///     static void write(sqlite::connection& db, const rows_type& rows); // into empty tables
///
/// Folding then writing must leave exactly the rows that applying the same
/// events one by one leaves (row order too, where a query can see it).
template <class P>
concept folding_projection =
    projection<P> && requires(typename P::rows_type& r, const typename P::event_type& e, connection& db) {
        P::fold(r, e);
        P::write(db, static_cast<const typename P::rows_type&>(r));
    };

struct index_options {
    std::chrono::milliseconds busy_timeout{5000};
    /// `normal` by default: with WAL a process crash loses nothing committed;
    /// a power loss may lose the last commits, which catch_up_index replays
    /// from the log.
    synchronous sync = synchronous::normal;
};

/// An evlog::event_index in one SQLite database file (WAL mode).
///
/// - Opening runs the projection's migrations that the file lacks (the
///   applied count is kept in PRAGMA user_version) and creates
///   `meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)` unless it exists;
///   the last id is the row key='last_event_id', in decimal text.
/// - apply and apply_batch are one BEGIN IMMEDIATE transaction each, rows and
///   meta together; a batch of ten thousand events is one transaction.
/// - A corrupt file or one that is not a database does not make the
///   constructor throw: healthy() is then false, the other operations
///   throw errc::index_corrupt, and reset() deletes and recreates the file.
///   So does reset() after healthy() returned false.
/// - One sqlite_index per file, used from one thread at a time: the last
///   id is cached in memory.
template <projection Projection>
class sqlite_index {
public:
    using event_type = typename Projection::event_type;
    using projection_type = Projection;

    /// Opens or creates the database at `path`. The directory must exist
    /// (errc::io_error naming the path otherwise). A schema newer than
    /// Projection::migrations() is refused with errc::bad_argument.
    explicit sqlite_index(std::filesystem::path path, index_options opt = {})
        : path_(std::move(path)), opt_(opt) {
        std::filesystem::path dir = path_.parent_path();
        std::error_code ec;
        if (!dir.empty() && !std::filesystem::is_directory(dir, ec))
            throw error(make_error_code(errc::io_error),
                        path_.string() + ": sqlite index: directory " + dir.string() +
                            " does not exist (the index does not create it)");
        try {
            open_storage();
        } catch (const error& e) {
            if (e.code() != errc::index_corrupt) throw;
            mark_corrupt(e.what());
        }
    }

    sqlite_index(const sqlite_index&) = delete;
    sqlite_index& operator=(const sqlite_index&) = delete;
    sqlite_index(sqlite_index&&) noexcept = default;
    sqlite_index& operator=(sqlite_index&&) noexcept = default;
    ~sqlite_index() = default;

    std::optional<std::uint64_t> last_event_id() const {
        require_usable();
        return last_;
    }

    void apply(const event_type& e) { apply_batch(std::span<const event_type>(&e, 1)); }

    /// One transaction: every row of the batch and the new last id, or nothing.
    void apply_batch(std::span<const event_type> batch) {
        require_usable();
        if (batch.empty()) return;
        std::optional<std::uint64_t> last = evlog::detail::check_batch_ids(last_, batch);
        guarded([&] {
            transaction tx(db_);
            for (const event_type& e : batch) Projection::apply(db_, e);
            write_last(last);
            db_.reset_cached();
            tx.commit();
        });
        last_ = last;
    }

    /// For a folding_projection: a full rebuild. Calls `source(sink)`,
    /// which hands every event in log order to `sink(const event_type&)`;
    /// the events are folded into rows in memory (ids must strictly
    /// increase), then the old rows go and the new rows and last id are
    /// written, all in one transaction: the index holds either its old
    /// content or the rebuilt one. Memory is bounded by the rows, not the
    /// log. A corrupt file is recreated first. Returns how many events were
    /// folded. evlog::rebuild_index uses this when it exists.
    template <class Source>
        requires folding_projection<Projection>
    std::uint64_t rebuild_from(Source&& source) {
        typename Projection::rows_type rows;
        std::optional<std::uint64_t> last;
        std::uint64_t n = 0;
        auto sink = [&](const event_type& e) {
            evlog::detail::check_next_id(last, e.id);
            Projection::fold(rows, e);
            last = e.id;
            ++n;
        };
        source(sink);
        replace_rows(rows, last);
        return n;
    }

    /// For a folding_projection: replaces every row with `rows` and the
    /// last id with `last`, in one transaction; for rows a caller derived
    /// some other way than from the log, e.g. from a recovered state when
    /// the log starts after a snapshot. A corrupt file is recreated first.
    template <class Rows>
        requires folding_projection<Projection> && std::same_as<Rows, typename Projection::rows_type>
    void replace_rows(const Rows& rows, std::optional<std::uint64_t> last) {
        if (corrupt_) recreate();
        guarded([&] {
            transaction tx(db_);
            Projection::clear(db_);
            Projection::write(db_, rows);
            write_last(last);
            db_.reset_cached();
            tx.commit();
        });
        last_ = last;
    }

    /// Empties rows and last id in one transaction; on corrupt storage,
    /// deletes the database file (and its -wal, -shm) and creates it anew.
    void reset() {
        if (!corrupt_) {
            try {
                transaction tx(db_);
                Projection::clear(db_);
                write_last(std::nullopt);
                db_.reset_cached();
                tx.commit();
                last_.reset();
                return;
            } catch (const error& e) {
                if (e.code() != errc::index_corrupt) throw;
            }
        }
        recreate();
    }

    /// Moves the last id without touching rows (a log starting after a snapshot).
    void set_last_event_id(std::uint64_t id) {
        require_usable();
        guarded([&] {
            transaction tx(db_);
            write_last(id);
            tx.commit();
        });
        last_ = id;
    }

    /// PRAGMA quick_check says "ok". False, never an exception, when the file
    /// is corrupt or not a database; other failures (e.g. I/O) throw.
    bool healthy() {
        if (corrupt_) return false;
        try {
            statement& st = db_.cached("PRAGMA quick_check");
            bool ok = st.step() && st.column_text(0) == "ok";
            st.reset();
            if (!ok) mark_corrupt("PRAGMA quick_check did not return ok");
            return ok;
        } catch (const error& e) {
            if (e.code() != errc::index_corrupt) throw;
            mark_corrupt(e.what());
            return false;
        }
    }

    /// The connection, for a projection's query helpers. Closed while the
    /// index is corrupt.
    connection& db() noexcept { return db_; }
    const std::filesystem::path& path() const noexcept { return path_; }

    /// Why the index is unhealthy, empty while it is healthy as far as known.
    const std::string& corruption() const noexcept { return corrupt_detail_; }

private:
    static constexpr std::string_view last_id_key = "last_event_id";

    void open_storage() {
        open_options o;
        o.busy_timeout = opt_.busy_timeout;
        o.sync = opt_.sync;
        o.wal = true;
        db_ = connection(path_, o);
        migrate();
        last_ = read_last();
    }

    void migrate() {
        const std::vector<std::string_view> migrations = Projection::migrations();
        const auto target = static_cast<std::int64_t>(migrations.size());
        if (target > std::numeric_limits<std::int32_t>::max())
            throw error(make_error_code(errc::bad_argument), "sqlite index: too many migrations");
        if (db_.user_version() == target && has_meta()) return;
        transaction tx(db_);
        std::int64_t version = db_.user_version(); // again, under the write lock
        if (version < 0 || version > target)
            throw error(make_error_code(errc::bad_argument),
                        path_.string() + ": sqlite index schema version " + std::to_string(version) +
                            " is not one this program knows (it has " + std::to_string(target) +
                            " migrations); delete the file to rebuild it");
        for (auto i = static_cast<std::size_t>(version); i < migrations.size(); ++i) db_.exec(migrations[i]);
        db_.exec("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)");
        if (version != target) db_.set_user_version(static_cast<std::int32_t>(target));
        tx.commit();
    }

    bool has_meta() {
        statement st = db_.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1");
        st.bind(1, "meta");
        return st.step();
    }

    std::optional<std::uint64_t> read_last() {
        statement& st = db_.cached("SELECT value FROM meta WHERE key = ?1");
        st.bind(1, last_id_key);
        if (!st.step()) {
            st.reset();
            return std::nullopt;
        }
        std::string text(st.column_text(0));
        st.reset();
        std::uint64_t id = 0;
        auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
        if (ec != std::errc() || end != text.data() + text.size() || text.empty())
            throw error(make_error_code(errc::index_corrupt),
                        path_.string() + ": meta last_event_id is not a decimal id: \"" + text + "\"");
        return id;
    }

    void write_last(std::optional<std::uint64_t> id) {
        if (id) {
            db_.cached("INSERT OR REPLACE INTO meta(key, value) VALUES(?1, ?2)")
                .bind(1, last_id_key)
                .bind(2, std::to_string(*id))
                .run();
        } else {
            db_.cached("DELETE FROM meta WHERE key = ?1").bind(1, last_id_key).run();
        }
    }

    /// Runs f; an index_corrupt error marks the index corrupt before it propagates.
    template <class F>
    void guarded(F&& f) {
        try {
            f();
        } catch (const error& e) {
            if (e.code() == errc::index_corrupt) mark_corrupt(e.what());
            throw;
        }
    }

    void mark_corrupt(std::string detail) {
        corrupt_ = true;
        corrupt_detail_ = std::move(detail);
    }

    void require_usable() const {
        if (corrupt_)
            throw error(make_error_code(errc::index_corrupt),
                        path_.string() + ": " + corrupt_detail_ + " (reset() recreates the index)");
    }

    /// Deletes the database and its side files, then opens a fresh one. The
    /// WAL goes first: a stale -wal next to a new database could be replayed
    /// into it. At every step a crash leaves a corrupt file (still
    /// unhealthy) or an empty index.
    void recreate() {
        db_.close();
        for (const char* suffix : {"-wal", "-shm", "-journal", ""}) {
            std::filesystem::path p = path_;
            p += suffix;
            std::error_code ec;
            std::filesystem::remove(p, ec);
            if (ec) throw_io(ec.value(), "sqlite index: cannot remove", p);
        }
        last_.reset();
        open_storage();
        corrupt_ = false;
        corrupt_detail_.clear();
    }

    std::filesystem::path path_;
    index_options opt_;
    connection db_;
    std::optional<std::uint64_t> last_;
    bool corrupt_ = false;
    std::string corrupt_detail_;
};

} // namespace evlog::sqlite

namespace evlog {
using sqlite::sqlite_index;
} // namespace evlog
