// sqlite_index against the index conformance kit, plus what is particular to
// SQLite: pragmas, the meta table, migrations, corruption, transactions.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include <evlog/index/rebuild.hpp>
#include <evlog/sqlite/connection.hpp>
#include <evlog/sqlite/sqlite_index.hpp>
#include <evlog/testing/index_kit.hpp>

#include "support/test_events.hpp"

namespace {

namespace sq = evlog::sqlite;
using evtest::event;

/// notes(event_id, text) and bumps(event_id, by, reason). Throws, after its
/// INSERT, on a note whose text is "poison".
struct notes_projection {
    using event_type = event;

    static std::vector<std::string_view> migrations() {
        return {
            "CREATE TABLE notes(event_id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
            "CREATE TABLE bumps(event_id INTEGER PRIMARY KEY, by INTEGER NOT NULL, reason TEXT)",
        };
    }

    static void apply(sq::connection& db, const event_type& e) {
        if (const auto* n = std::get_if<evtest::note_added>(&e.payload)) {
            db.cached("INSERT INTO notes(event_id, text) VALUES(?1, ?2)").bind(1, e.id).bind(2, n->text).run();
            if (n->text == "poison") throw std::runtime_error("poisoned note");
        } else if (const auto* b = std::get_if<evtest::counter_bumped>(&e.payload)) {
            db.cached("INSERT INTO bumps(event_id, by, reason) VALUES(?1, ?2, ?3)")
                .bind(1, e.id)
                .bind(2, b->by)
                .bind(3, b->reason)
                .run();
        }
    }

    static void clear(sq::connection& db) { db.exec("DELETE FROM notes; DELETE FROM bumps"); }
};

using notes_index = sq::sqlite_index<notes_projection>;
static_assert(evlog::event_index<notes_index>);

event make_bump(std::uint64_t id, std::int64_t by, std::optional<std::string> reason) {
    event e = evtest::make_note(id, "");
    e.payload = evtest::counter_bumped{by, std::move(reason)};
    return e;
}

std::vector<event> make_events(std::size_t n) {
    std::vector<event> out;
    for (std::uint64_t i = 1; i <= n; ++i) {
        if (i % 4 == 0) out.push_back(make_bump(i, static_cast<std::int64_t>(i), i % 8 == 0 ? std::nullopt : std::optional<std::string>("r")));
        else out.push_back(evtest::make_note(i, "note " + std::to_string(i)));
    }
    return out;
}

/// A second connection onto the file: it sees only what was committed.
sq::connection reader(const std::filesystem::path& path) {
    sq::open_options o;
    o.flags = SQLITE_OPEN_READWRITE; // never create
    return sq::connection(path, o);
}

std::vector<std::string> dump(const std::filesystem::path& path) {
    sq::connection db = reader(path);
    std::vector<std::string> rows;
    sq::statement notes = db.prepare("SELECT event_id, text FROM notes ORDER BY event_id");
    while (notes.step()) rows.push_back("note " + std::to_string(notes.column_int64(0)) + " " + std::string(notes.column_text(1)));
    sq::statement bumps = db.prepare("SELECT event_id, by, reason FROM bumps ORDER BY event_id");
    while (bumps.step())
        rows.push_back("bump " + std::to_string(bumps.column_int64(0)) + " " + std::to_string(bumps.column_int64(1)) +
                       " " + bumps.column_optional_text(2).value_or("NULL"));
    return rows;
}

/// meta's last_event_id as stored, and its SQLite type; nullopt when absent.
std::optional<std::pair<std::string, std::string>> stored_last_id(const std::filesystem::path& path) {
    sq::connection db = reader(path);
    sq::statement st = db.prepare("SELECT typeof(value), value FROM meta WHERE key = 'last_event_id'");
    if (!st.step()) return std::nullopt;
    return std::pair<std::string, std::string>(st.column_text(0), st.column_text(1));
}

std::int64_t query_int(sq::connection& db, std::string_view sql) {
    sq::statement st = db.prepare(sql);
    BOOST_TEST_REQUIRE(st.step());
    return st.column_int64(0);
}

struct sqlite_fixture {
    using index_type = notes_index;
    static constexpr bool persistent = true;

    evtest::temp_dir dir;
    std::filesystem::path path = dir / "index.db";
    std::optional<index_type> idx{std::in_place, path};

    index_type& index() { return *idx; }
    void reopen() {
        idx.reset();
        idx.emplace(path);
    }
    std::vector<event> events(std::size_t n) { return make_events(n); }
    std::vector<std::string> observe(const index_type&) { return dump(path); }
    event poison(std::uint64_t id) { return evtest::make_note(id, "poison"); }
};

auto has_code(evlog::errc c) { return evlog::testing::index_kit::has_code(c); }
std::string id_text(std::optional<std::uint64_t> id) { return evlog::testing::index_kit::id_text(id); }

/// Migrations that leave a trace each time they run.
struct counted_v1 {
    using event_type = event;
    static std::vector<std::string_view> migrations() {
        return {
            "CREATE TABLE notes(event_id INTEGER PRIMARY KEY, text TEXT NOT NULL)",
            "CREATE TABLE migration_runs(step INTEGER NOT NULL)",
            "INSERT INTO migration_runs(step) VALUES(3)",
        };
    }
    static void apply(sq::connection& db, const event_type& e) { notes_projection::apply(db, e); }
    static void clear(sq::connection& db) { db.exec("DELETE FROM notes"); }
};

struct counted_v2 : counted_v1 {
    static std::vector<std::string_view> migrations() {
        auto m = counted_v1::migrations();
        m.push_back("INSERT INTO migration_runs(step) VALUES(4); CREATE INDEX notes_by_text ON notes(text)");
        return m;
    }
};

struct broken_migration : counted_v1 {
    static std::vector<std::string_view> migrations() {
        return {"CREATE TABLE notes(event_id INTEGER PRIMARY KEY, text TEXT NOT NULL)", "CREATE TABLE broken("};
    }
};

std::vector<std::int64_t> migration_runs(const std::filesystem::path& path) {
    sq::connection db = reader(path);
    sq::statement st = db.prepare("SELECT step FROM migration_runs ORDER BY rowid");
    std::vector<std::int64_t> out;
    while (st.step()) out.push_back(st.column_int64(0));
    return out;
}

int commit_counter(void* counter) {
    ++*static_cast<int*>(counter);
    return 0; // let the commit proceed
}

void overwrite(const std::filesystem::path& path, std::uint64_t from, std::string_view bytes) {
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    f.seekp(static_cast<std::streamoff>(from));
    f.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

} // namespace

EVLOG_INDEX_KIT(SqliteIndexKit, sqlite_fixture)

BOOST_AUTO_TEST_SUITE(SqliteIndex)

BOOST_AUTO_TEST_CASE(WalModeIsOn) {
    evtest::temp_dir dir;
    notes_index idx(dir / "i.db");
    BOOST_TEST(idx.db().journal_mode() == "wal");
    idx.apply(evtest::make_note(1, "a"));
    BOOST_TEST(std::filesystem::exists(dir / "i.db-wal"));
    BOOST_TEST(reader(dir / "i.db").journal_mode() == "wal"); // recorded in the file, not just the connection
}

BOOST_AUTO_TEST_CASE(BusyTimeoutIsFiveSecondsByDefault) {
    evtest::temp_dir dir;
    notes_index idx(dir / "i.db");
    BOOST_TEST(query_int(idx.db(), "PRAGMA busy_timeout") == 5000);
    sq::index_options opt;
    opt.busy_timeout = std::chrono::milliseconds(250);
    notes_index other(dir / "j.db", opt);
    BOOST_TEST(query_int(other.db(), "PRAGMA busy_timeout") == 250);
}

BOOST_AUTO_TEST_CASE(SynchronousFollowsOptions) {
    evtest::temp_dir dir;
    notes_index normal(dir / "i.db");
    BOOST_TEST(query_int(normal.db(), "PRAGMA synchronous") == 1); // NORMAL
    sq::index_options opt;
    opt.sync = sq::synchronous::full;
    notes_index full(dir / "j.db", opt);
    BOOST_TEST(query_int(full.db(), "PRAGMA synchronous") == 2); // FULL
}

BOOST_AUTO_TEST_CASE(MetaHoldsLastEventIdAsText) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    notes_index idx(path);
    BOOST_TEST(!stored_last_id(path).has_value());
    idx.apply(evtest::make_note(42, "a"));
    auto stored = stored_last_id(path);
    BOOST_TEST_REQUIRE(stored.has_value());
    BOOST_TEST(stored->first == "text");
    BOOST_TEST(stored->second == "42");
    idx.reset();
    BOOST_TEST(!stored_last_id(path).has_value());
}

BOOST_AUTO_TEST_CASE(LastEventIdAboveInt64SurvivesReopen) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    const std::uint64_t big = std::numeric_limits<std::uint64_t>::max() - 1;
    {
        notes_index idx(path);
        idx.set_last_event_id(big);
    }
    BOOST_TEST(stored_last_id(path)->second == "18446744073709551614");
    notes_index idx(path);
    BOOST_TEST(id_text(idx.last_event_id()) == "18446744073709551614");
}

BOOST_AUTO_TEST_CASE(ExistingMetaTableIsReused) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    {
        sq::connection db(path);
        db.exec("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
                "INSERT INTO meta(key, value) VALUES('last_event_id', '7'), ('written_by', 'go')");
    }
    notes_index idx(path);
    BOOST_TEST(id_text(idx.last_event_id()) == "7");
    idx.apply(evtest::make_note(8, "a"));
    sq::connection db = reader(path);
    BOOST_TEST(query_int(db, "SELECT count(*) FROM meta WHERE key = 'written_by' AND value = 'go'") == 1);
    BOOST_TEST(stored_last_id(path)->second == "8");
}

BOOST_AUTO_TEST_CASE(MalformedMetaIdMakesIndexUnhealthy) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    {
        notes_index idx(path);
        idx.db().exec("INSERT INTO meta(key, value) VALUES('last_event_id', '12abc')");
    }
    notes_index idx(path);
    BOOST_TEST(!idx.healthy());
    BOOST_CHECK_EXCEPTION(idx.last_event_id(), evlog::error, has_code(evlog::errc::index_corrupt));
}

BOOST_AUTO_TEST_CASE(MigrationsRunOnceAndRecordUserVersion) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    sq::sqlite_index<counted_v1> idx(path);
    BOOST_TEST(idx.db().user_version() == 3);
    const std::vector<std::int64_t> once = {3};
    BOOST_TEST(migration_runs(path) == once, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(ReopenDoesNotRerunMigrations) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    {
        sq::sqlite_index<counted_v1> idx(path);
        idx.apply(evtest::make_note(1, "a"));
    }
    sq::sqlite_index<counted_v1> idx(path);
    const std::vector<std::int64_t> once = {3};
    BOOST_TEST(migration_runs(path) == once, boost::test_tools::per_element());
    BOOST_TEST(idx.db().user_version() == 3);
    BOOST_TEST(id_text(idx.last_event_id()) == "1");
}

BOOST_AUTO_TEST_CASE(UpgradeRunsOnlyNewMigrations) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    {
        sq::sqlite_index<counted_v1> idx(path);
        idx.apply(evtest::make_note(1, "kept"));
    }
    sq::sqlite_index<counted_v2> idx(path);
    BOOST_TEST(idx.db().user_version() == 4);
    const std::vector<std::int64_t> runs = {3, 4};
    BOOST_TEST(migration_runs(path) == runs, boost::test_tools::per_element());
    BOOST_TEST(id_text(idx.last_event_id()) == "1");
    BOOST_TEST(query_int(idx.db(), "SELECT count(*) FROM notes WHERE text = 'kept'") == 1);
}

BOOST_AUTO_TEST_CASE(NewerSchemaIsRefused) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    { sq::sqlite_index<counted_v2> idx(path); }
    BOOST_CHECK_EXCEPTION(sq::sqlite_index<counted_v1>{path}, evlog::error, has_code(evlog::errc::bad_argument));
    BOOST_TEST(reader(path).user_version() == 4); // untouched
}

BOOST_AUTO_TEST_CASE(FailedMigrationLeavesSchemaUntouched) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    BOOST_CHECK_EXCEPTION(sq::sqlite_index<broken_migration>{path}, evlog::error, has_code(evlog::errc::io_error));
    sq::connection db = reader(path);
    BOOST_TEST(db.user_version() == 0);
    // The first migration ran in the same transaction, so it is gone too.
    BOOST_TEST(query_int(db, "SELECT count(*) FROM sqlite_master WHERE name IN ('notes', 'meta')") == 0);
}

BOOST_AUTO_TEST_CASE(MissingDirectoryIsNamedInError) {
    evtest::temp_dir dir;
    auto path = dir / "no-such-dir" / "i.db";
    try {
        notes_index idx(path);
        BOOST_ERROR("opening an index in a missing directory did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.code() == make_error_code(evlog::errc::io_error));
        BOOST_TEST(std::string(e.what()).find(path.string()) != std::string::npos, e.what());
    }
    BOOST_TEST(!std::filesystem::exists(dir / "no-such-dir"));
}

BOOST_AUTO_TEST_CASE(CorruptPagesMakeIndexUnhealthy) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    {
        notes_index idx(path);
        idx.apply_batch(make_events(500));
        BOOST_TEST_REQUIRE(idx.healthy());
    }
    BOOST_TEST_REQUIRE(!std::filesystem::exists(dir / "i.db-wal")); // checkpointed on close
    auto size = std::filesystem::file_size(path);
    BOOST_TEST_REQUIRE(size > 4096u);
    overwrite(path, 4096, std::string(size - 4096, '\xA5')); // every page after the first
    notes_index idx(path);
    BOOST_TEST(!idx.healthy());
    BOOST_TEST(!idx.corruption().empty());
    BOOST_TEST_MESSAGE("corruption: " << idx.corruption());
    BOOST_CHECK_EXCEPTION(idx.last_event_id(), evlog::error, has_code(evlog::errc::index_corrupt));
    BOOST_CHECK_EXCEPTION(idx.apply(evtest::make_note(501, "a")), evlog::error, has_code(evlog::errc::index_corrupt));
}

BOOST_AUTO_TEST_CASE(NonDatabaseFileMakesIndexUnhealthy) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    std::string text;
    for (int i = 0; i < 300; ++i) text += "{\"event_id\":1,\"not\":\"a database\"}\n";
    evtest::write_file(path, text);
    notes_index idx(path); // does not throw
    BOOST_TEST(!idx.healthy());
    BOOST_TEST(!idx.healthy()); // and stays so, without throwing
    BOOST_CHECK_EXCEPTION(idx.apply(evtest::make_note(1, "a")), evlog::error, has_code(evlog::errc::index_corrupt));
    BOOST_TEST(evtest::read_file(path) == text); // not written to
}

BOOST_AUTO_TEST_CASE(ResetRecreatesUnhealthyIndex) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    evtest::write_file(path, std::string(8192, 'x'));
    notes_index idx(path);
    BOOST_TEST_REQUIRE(!idx.healthy());
    idx.reset();
    BOOST_TEST(idx.healthy());
    BOOST_TEST(id_text(idx.last_event_id()) == "none");
    BOOST_TEST(idx.db().user_version() == 2);
    idx.apply(evtest::make_note(1, "a"));
    const std::vector<std::string> rows = {"note 1 a"};
    BOOST_TEST(dump(path) == rows, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(RebuildRepairsCorruptIndex) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    auto events = make_events(300);
    {
        notes_index idx(path);
        idx.apply_batch(events);
    }
    overwrite(path, 0, "not sqlite anymore");
    notes_index idx(path);
    BOOST_TEST_REQUIRE(!idx.healthy());
    evlog::rebuild_index(idx, evlog::testing::index_kit::source_of(events), 128);
    BOOST_TEST(idx.healthy());
    BOOST_TEST(id_text(idx.last_event_id()) == "300");
    BOOST_TEST(dump(path).size() == 300u);
}

BOOST_AUTO_TEST_CASE(ProjectionFailureRollsBackRowsAndMeta) {
    evtest::temp_dir dir;
    auto path = dir / "i.db";
    notes_index idx(path);
    auto events = make_events(3);
    idx.apply_batch(events);
    auto before = dump(path);
    std::vector<event> batch = {evtest::make_note(4, "four"), evtest::make_note(5, "poison"), evtest::make_note(6, "six")};
    BOOST_CHECK_THROW(idx.apply_batch(batch), std::runtime_error);
    BOOST_TEST(!idx.db().in_transaction());
    BOOST_TEST(dump(path) == before, boost::test_tools::per_element());
    BOOST_TEST(stored_last_id(path)->second == "3");
    BOOST_TEST(id_text(idx.last_event_id()) == "3");
    idx.apply(evtest::make_note(4, "four")); // the failed batch left no lock or row behind
    BOOST_TEST(stored_last_id(path)->second == "4");
}

BOOST_AUTO_TEST_CASE(BatchCommitsOnce) {
    evtest::temp_dir dir;
    notes_index idx(dir / "i.db");
    int commits = 0;
    sqlite3_commit_hook(idx.db().handle(), commit_counter, &commits);
    idx.apply_batch(make_events(100));
    BOOST_TEST(commits == 1);
    sqlite3_commit_hook(idx.db().handle(), nullptr, nullptr);
}

BOOST_AUTO_TEST_CASE(RebuildCommitsOncePerBatch) {
    evtest::temp_dir dir;
    notes_index idx(dir / "i.db");
    auto events = make_events(250);
    int commits = 0;
    sqlite3_commit_hook(idx.db().handle(), commit_counter, &commits);
    evlog::rebuild_index(idx, evlog::testing::index_kit::source_of(events), 100);
    BOOST_TEST(commits == 4); // reset, then batches of 100, 100 and 50
    BOOST_TEST(id_text(idx.last_event_id()) == "250");
    sqlite3_commit_hook(idx.db().handle(), nullptr, nullptr);
}

BOOST_AUTO_TEST_CASE(ProjectionStatementsAreCached) {
    evtest::temp_dir dir;
    notes_index idx(dir / "i.db");
    idx.apply_batch(make_events(20));
    auto cached = idx.db().cached_count();
    auto more = make_events(40);
    idx.apply_batch(std::span<const event>(more).subspan(20));
    BOOST_TEST(idx.db().cached_count() == cached); // same SQL, same statements
    sq::statement& insert = idx.db().cached("INSERT INTO notes(event_id, text) VALUES(?1, ?2)");
    BOOST_TEST(idx.db().cached_count() == cached);
    BOOST_TEST(&insert == &idx.db().cached("INSERT INTO notes(event_id, text) VALUES(?1, ?2)"));
}

BOOST_AUTO_TEST_SUITE_END()
