#include "stores.hpp"

#include <stdexcept>

#if EVLOG_BENCH_HAVE_ROCKSDB
#include <rocksdb/db.h>
#include <rocksdb/options.h>
#include <rocksdb/write_batch.h>
#endif

namespace bench {

#if EVLOG_HAS_SQLITE
sqlite_log::sqlite_log(const std::filesystem::path& path, const char* synchronous) {
    int rc = sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) fail(rc, "open");
    exec("PRAGMA journal_mode=WAL");
    exec((std::string("PRAGMA synchronous=") + synchronous).c_str());
    exec("CREATE TABLE IF NOT EXISTS events(event_id INTEGER PRIMARY KEY, stream_id TEXT NOT NULL, "
         "type TEXT NOT NULL, data TEXT NOT NULL)");
    insert_ = prepare("INSERT INTO events(event_id, stream_id, type, data) VALUES(?1, ?2, ?3, ?4)");
}

sqlite_log::~sqlite_log() {
    if (insert_) sqlite3_finalize(insert_);
    if (db_) sqlite3_close_v2(db_);
}

void sqlite_log::exec(const char* sql) {
    char* err = nullptr;
    int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string m = std::string("sqlite: ") + sql + ": " + (err ? err : "?");
        sqlite3_free(err);
        throw std::runtime_error(m);
    }
}

sqlite3_stmt* sqlite_log::prepare(const char* sql) {
    sqlite3_stmt* st = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql, -1, &st, nullptr);
    if (rc != SQLITE_OK) fail(rc, sql);
    return st;
}

void sqlite_log::fail(int rc, const char* what) {
    throw std::runtime_error(std::string("sqlite: ") + what + ": " + (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc)));
}

void sqlite_log::insert(std::uint64_t id, std::string_view stream, std::string_view type, std::string_view line) {
    sqlite3_bind_int64(insert_, 1, static_cast<sqlite3_int64>(id));
    sqlite3_bind_text(insert_, 2, stream.data(), static_cast<int>(stream.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 3, type.data(), static_cast<int>(type.size()), SQLITE_STATIC);
    sqlite3_bind_text(insert_, 4, line.data(), static_cast<int>(line.size()), SQLITE_STATIC);
    int rc = sqlite3_step(insert_);
    sqlite3_reset(insert_);
    if (rc != SQLITE_DONE) fail(rc, "insert");
}
#endif

#if EVLOG_BENCH_HAVE_ROCKSDB
struct rocks_log::impl {
    std::unique_ptr<rocksdb::DB> db;
};

namespace {
void check_status(const rocksdb::Status& s, const char* what) {
    if (!s.ok()) throw std::runtime_error(std::string("rocksdb: ") + what + ": " + s.ToString());
}
void key_of(std::uint64_t id, char (&k)[8]) {
    for (int i = 0; i < 8; ++i) k[i] = static_cast<char>(id >> (8 * (7 - i)));
}
} // namespace

rocks_log::rocks_log(const std::filesystem::path& dir) : p_(std::make_unique<impl>()) {
    rocksdb::Options o;
    o.create_if_missing = true;
    rocksdb::DB* db = nullptr;
    check_status(rocksdb::DB::Open(o, dir.string(), &db), "open");
    p_->db.reset(db);
}

rocks_log::~rocks_log() {
    if (p_ && p_->db) p_->db->Close().PermitUncheckedError();
}

void rocks_log::put(std::uint64_t id, std::string_view line, bool sync) {
    char k[8];
    key_of(id, k);
    rocksdb::WriteOptions w;
    w.sync = sync;
    check_status(p_->db->Put(w, rocksdb::Slice(k, 8), rocksdb::Slice(line.data(), line.size())), "put");
}

void rocks_log::put_batch(std::uint64_t first_id, const std::string& lines) {
    rocksdb::WriteBatch b;
    std::size_t pos = 0;
    std::uint64_t id = first_id;
    while (pos < lines.size()) {
        std::size_t nl = lines.find('\n', pos);
        if (nl == std::string::npos) nl = lines.size();
        char k[8];
        key_of(id++, k);
        check_status(b.Put(rocksdb::Slice(k, 8), rocksdb::Slice(lines.data() + pos, nl - pos)), "batch");
        pos = nl + 1;
    }
    check_status(p_->db->Write(rocksdb::WriteOptions(), &b), "write batch");
}

void rocks_log::flush() { check_status(p_->db->Flush(rocksdb::FlushOptions()), "flush"); }

void rocks_log::scan(const std::function<void(std::string_view)>& f) {
    std::unique_ptr<rocksdb::Iterator> it(p_->db->NewIterator(rocksdb::ReadOptions()));
    for (it->SeekToFirst(); it->Valid(); it->Next()) {
        auto v = it->value();
        f(std::string_view(v.data(), v.size()));
    }
    check_status(it->status(), "iterate");
}
#endif

} // namespace bench
