// The SQLite RAII layer: statements, the statement cache, transactions, errors.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <string>

#include <evlog/core/errors.hpp>
#include <evlog/sqlite/connection.hpp>

#include "support/test_events.hpp"

namespace {

namespace sq = evlog::sqlite;

auto has_code(evlog::errc c) {
    return [c](const evlog::error& e) {
        BOOST_TEST_MESSAGE(e.what());
        return e.code() == make_error_code(c);
    };
}

std::int64_t count(sq::connection& db, std::string_view table_query) {
    sq::statement st = db.prepare(table_query);
    BOOST_TEST_REQUIRE(st.step());
    return st.column_int64(0);
}

} // namespace

BOOST_AUTO_TEST_SUITE(SqliteConnection)

BOOST_AUTO_TEST_CASE(CachedReturnsSameStatementForSameSql) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    sq::statement& a = db.cached("SELECT ?1");
    sq::statement& b = db.cached("SELECT ?1");
    sq::statement& c = db.cached("SELECT ?1 + 1");
    BOOST_TEST(&a == &b);
    BOOST_TEST(a.handle() == b.handle());
    BOOST_TEST(&a != &c);
    BOOST_TEST(db.cached_count() == 2u);
}

BOOST_AUTO_TEST_CASE(CachedStatementComesBackResetAndCleared) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    sq::statement& st = db.cached("SELECT ?1");
    st.bind(1, 5);
    BOOST_TEST_REQUIRE(st.step());
    BOOST_TEST(st.column_int64(0) == 5);
    // Left mid-result and still bound: the next cached() must start afresh.
    sq::statement& again = db.cached("SELECT ?1");
    BOOST_TEST_REQUIRE(again.step());
    BOOST_TEST(again.column_is_null(0));
    BOOST_TEST(!again.step());
}

BOOST_AUTO_TEST_CASE(BindsEveryType) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    sq::statement st = db.prepare("SELECT typeof(?1), ?1, typeof(?2), ?2, typeof(?3), ?3, typeof(?4), typeof(?5), ?5, "
                                  "typeof(?6), ?7");
    std::optional<std::string> some = "s";
    std::optional<std::int64_t> none;
    st.bind(1, std::int64_t{-7}).bind(2, 2.5).bind(3, std::string("héllo")).bind(4, nullptr).bind(5, some);
    st.bind(6, none).bind(7, std::uint64_t{std::numeric_limits<std::int64_t>::max()});
    BOOST_TEST_REQUIRE(st.step());
    BOOST_TEST(st.column_text(0) == "integer");
    BOOST_TEST(st.column_int64(1) == -7);
    BOOST_TEST(st.column_text(2) == "real");
    BOOST_TEST(st.column_double(3) == 2.5);
    BOOST_TEST(st.column_text(4) == "text");
    BOOST_TEST(st.column_text(5) == "héllo");
    BOOST_TEST(st.column_text(6) == "null");
    BOOST_TEST(st.column_text(7) == "text");
    BOOST_TEST(st.column_optional_text(8).value_or("") == "s");
    BOOST_TEST(st.column_text(9) == "null");
    BOOST_TEST(st.column_int64(10) == std::numeric_limits<std::int64_t>::max());
}

BOOST_AUTO_TEST_CASE(UnsignedAboveInt64IsRefused) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    sq::statement st = db.prepare("SELECT ?1");
    BOOST_CHECK_EXCEPTION(st.bind(1, std::numeric_limits<std::uint64_t>::max()), evlog::error,
                          has_code(evlog::errc::bad_argument));
}

BOOST_AUTO_TEST_CASE(BindOutOfRangeIsAnError) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    sq::statement st = db.prepare("SELECT ?1");
    BOOST_CHECK_EXCEPTION(st.bind(2, 1), evlog::error, has_code(evlog::errc::io_error));
}

BOOST_AUTO_TEST_CASE(SqlErrorNamesSqliteMessageAndPath) {
    evtest::temp_dir dir;
    auto path = dir / "c.db";
    sq::connection db(path);
    try {
        db.exec("SELEC 1");
        BOOST_ERROR("a syntax error did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.code() == make_error_code(evlog::errc::io_error));
        std::string what = e.what();
        BOOST_TEST(what.find("syntax error") != std::string::npos, what);
        BOOST_TEST(what.find(path.string()) != std::string::npos, what);
    }
    try {
        db.prepare("SELECT * FROM missing_table");
        BOOST_ERROR("a missing table did not throw");
    } catch (const evlog::error& e) {
        std::string what = e.what();
        BOOST_TEST(what.find("no such table: missing_table") != std::string::npos, what);
        BOOST_TEST(what.find(path.filename().string()) != std::string::npos, what);
    }
}

BOOST_AUTO_TEST_CASE(NotADatabaseIsIndexCorrupt) {
    evtest::temp_dir dir;
    auto path = dir / "text.db";
    std::string junk;
    for (int i = 0; i < 200; ++i) junk += "this is not a database file\n";
    evtest::write_file(path, junk);
    BOOST_CHECK_EXCEPTION(sq::connection{path}, evlog::error, has_code(evlog::errc::index_corrupt));
}

BOOST_AUTO_TEST_CASE(OpenWithoutCreateOnMissingFileFailsNamingPath) {
    evtest::temp_dir dir;
    auto path = dir / "absent.db";
    sq::open_options opt;
    opt.flags = SQLITE_OPEN_READWRITE;
    try {
        sq::connection db(path, opt);
        BOOST_ERROR("opening a missing file without SQLITE_OPEN_CREATE did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.code() == make_error_code(evlog::errc::io_error));
        BOOST_TEST(std::string(e.what()).find(path.string()) != std::string::npos, e.what());
    }
    BOOST_TEST(!std::filesystem::exists(path));
}

BOOST_AUTO_TEST_CASE(ClosedConnectionRefusesWork) {
    sq::connection db;
    BOOST_TEST(!db.is_open());
    BOOST_CHECK_EXCEPTION(db.exec("SELECT 1"), evlog::error, has_code(evlog::errc::io_error));
    BOOST_CHECK_EXCEPTION(db.cached("SELECT 1"), evlog::error, has_code(evlog::errc::io_error));
}

BOOST_AUTO_TEST_CASE(TransactionRollsBackUnlessCommitted) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    db.exec("CREATE TABLE t(x INTEGER)");
    {
        sq::transaction tx(db);
        db.cached("INSERT INTO t(x) VALUES(?1)").bind(1, 1).run();
        BOOST_TEST(db.in_transaction());
    }
    BOOST_TEST(!db.in_transaction());
    BOOST_TEST(count(db, "SELECT count(*) FROM t") == 0);
    {
        sq::transaction tx(db);
        db.cached("INSERT INTO t(x) VALUES(?1)").bind(1, 2).run();
        tx.commit();
    }
    BOOST_TEST(count(db, "SELECT count(*) FROM t") == 1);
}

BOOST_AUTO_TEST_CASE(RollbackWithUnfinishedCachedReadSucceeds) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    db.exec("CREATE TABLE t(x INTEGER); INSERT INTO t VALUES(1),(2),(3)");
    {
        sq::transaction tx(db);
        sq::statement& read = db.cached("SELECT x FROM t");
        BOOST_TEST_REQUIRE(read.step()); // left mid-result
        db.cached("DELETE FROM t WHERE x = ?1").bind(1, 1).run();
    }
    BOOST_TEST(!db.in_transaction());
    BOOST_TEST(count(db, "SELECT count(*) FROM t") == 3);
}

BOOST_AUTO_TEST_CASE(UserVersionIsTransactional) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    {
        sq::transaction tx(db);
        db.set_user_version(7);
    }
    BOOST_TEST(db.user_version() == 0);
    {
        sq::transaction tx(db);
        db.set_user_version(7);
        tx.commit();
    }
    BOOST_TEST(db.user_version() == 7);
}

BOOST_AUTO_TEST_CASE(NestedTransactionIsRefused) {
    evtest::temp_dir dir;
    sq::connection db(dir / "c.db");
    sq::transaction outer(db);
    BOOST_CHECK_EXCEPTION(sq::transaction{db}, evlog::error, has_code(evlog::errc::io_error));
    BOOST_TEST(db.in_transaction()); // the outer one is untouched
}

BOOST_AUTO_TEST_SUITE_END()
