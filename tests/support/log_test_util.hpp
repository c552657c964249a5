// Helpers shared by the log tests (repair, replay, append log, faults,
// concurrency): catching evlog::error, checking where() and reading
// quarantine files.
#pragma once

#include <boost/test/unit_test.hpp>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <sstream>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <evlog/evlog.hpp>
#include <evlog/file/fault_file.hpp>

#include "test_events.hpp"

// Boost.Test prints both sides of a failed comparison.
namespace boost::test_tools::tt_detail {
template <>
struct print_log_value<std::optional<std::uint64_t>> {
    void operator()(std::ostream& os, const std::optional<std::uint64_t>& v) {
        if (v) os << *v;
        else os << "nullopt";
    }
};
} // namespace boost::test_tools::tt_detail

namespace evtest {

inline std::error_code ec_of(evlog::errc e) { return evlog::make_error_code(e); }
inline std::error_code sys_ec(int err) { return {err, std::system_category()}; }

/// The evlog::error `f` throws, or nullopt when it throws nothing.
template <class F>
std::optional<evlog::error> error_from(F&& f) {
    try {
        f();
    } catch (const evlog::error& e) {
        return e;
    }
    return std::nullopt;
}

/// The error names the file, the 1-based line and the line's byte offset,
/// in where() and at the start of what().
inline void check_where(const evlog::error& e, const std::filesystem::path& p, std::uint64_t line,
                        std::uint64_t offset) {
    BOOST_REQUIRE(e.where().has_value());
    BOOST_TEST(e.where()->file.string() == p.string());
    BOOST_TEST(e.where()->line == line);
    BOOST_TEST(e.where()->offset == offset);
    const std::string prefix = p.string() + (line ? ":" + std::to_string(line) : std::string()) + ": byte " +
                               std::to_string(offset) + ": ";
    BOOST_TEST(std::string(e.what()).rfind(prefix, 0) == 0u, "what() = " << e.what());
}

inline bool what_names(const evlog::error& e, const std::filesystem::path& p) {
    return std::string(e.what()).find(p.string()) != std::string::npos;
}

struct quarantine_record {
    std::uint64_t line = 0, offset = 0, length = 0;
    std::string reason;
    std::string bytes;
};

inline std::uint64_t quarantine_field(const std::string& tok, const std::string& key) {
    BOOST_REQUIRE_MESSAGE(tok.rfind(key + "=", 0) == 0, "expected " << key << "=, got " << tok);
    return std::stoull(tok.substr(key.size() + 1));
}

/// Parses `#evlog-quarantine v1 line=L offset=O length=N reason=R\n` + N bytes + `\n`, repeated.
inline std::vector<quarantine_record> parse_quarantine(const std::string& s) {
    std::vector<quarantine_record> out;
    std::size_t i = 0;
    while (i < s.size()) {
        const auto nl = s.find('\n', i);
        BOOST_REQUIRE(nl != std::string::npos);
        std::istringstream in(s.substr(i, nl - i));
        std::string m1, m2, l, o, n, r, extra;
        in >> m1 >> m2 >> l >> o >> n >> r;
        BOOST_REQUIRE(m1 + " " + m2 == std::string(evlog::format::quarantine_magic));
        BOOST_REQUIRE(!(in >> extra));
        quarantine_record q;
        q.line = quarantine_field(l, "line");
        q.offset = quarantine_field(o, "offset");
        q.length = quarantine_field(n, "length");
        BOOST_REQUIRE(r.rfind("reason=", 0) == 0);
        q.reason = r.substr(7);
        BOOST_REQUIRE(nl + 1 + q.length < s.size());
        q.bytes = s.substr(nl + 1, q.length);
        BOOST_REQUIRE(s[nl + 1 + q.length] == '\n');
        i = nl + 1 + q.length + 1;
        out.push_back(std::move(q));
    }
    return out;
}

inline std::filesystem::path rewrite_temp_path(const std::filesystem::path& log) {
    auto p = log;
    p += std::string(evlog::format::rewrite_suffix);
    return p;
}

/// The line a clean log holds for id: make_note(id, "note <id>").
inline std::string note_line(std::uint64_t id) { return line_of(make_note(id, "note " + std::to_string(id))); }

/// Waits, up to 10 s, until `log.last_id()` is `id`: the appends other
/// threads started are staged. Whether it got there.
template <class Log>
bool wait_for_last_id(const Log& log, std::uint64_t id) {
    const std::optional<std::uint64_t> want(id);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (log.last_id() != want && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::microseconds(200));
    return log.last_id() == want;
}

inline std::string note_text(const event& e) { return std::get<note_added>(e.payload).text; }

inline std::vector<std::uint64_t> ids_of(const std::vector<event>& v) {
    std::vector<std::uint64_t> ids;
    for (const auto& e : v) ids.push_back(e.id);
    return ids;
}

inline std::vector<std::uint64_t> iota_ids(std::uint64_t first, std::uint64_t last) {
    std::vector<std::uint64_t> ids;
    for (std::uint64_t i = first; i <= last; ++i) ids.push_back(i);
    return ids;
}

/// A File policy over fault_file whose next fdatasync, once armed, blocks
/// until the test releases it: a test can hold a group-commit leader inside
/// its fdatasync while followers stage behind it. Inject the fdatasync's
/// result with faults().fail_next(...) before release(). Copies share state.
/// set_sync_delay makes every fdatasync take at least that long, as a disk
/// does, so that looping appenders pile up behind a group-commit leader.
class gated_file {
public:
    evlog::fault_file& faults() noexcept { return inner_; }

    void set_sync_delay(std::chrono::microseconds d) {
        std::lock_guard g(s_->m);
        s_->delay = d;
    }

    void arm() {
        std::lock_guard g(s_->m);
        s_->armed = true;
        s_->entered = s_->released = false;
    }
    /// Waits until the armed fdatasync has been entered; false on timeout.
    bool wait_entered(std::chrono::seconds limit = std::chrono::seconds(10)) {
        std::unique_lock lk(s_->m);
        return s_->cv.wait_for(lk, limit, [&] { return s_->entered; });
    }
    void release() {
        std::lock_guard g(s_->m);
        s_->released = true;
        s_->cv.notify_all();
    }

    std::error_code fdatasync(int fd) {
        std::chrono::microseconds delay{0};
        {
            std::unique_lock lk(s_->m);
            if (s_->armed) {
                s_->armed = false;
                s_->entered = true;
                s_->cv.notify_all();
                s_->cv.wait(lk, [&] { return s_->released; });
            }
            delay = s_->delay;
        }
        if (delay.count() > 0) std::this_thread::sleep_for(delay);
        return inner_.fdatasync(fd);
    }

    std::error_code open(const std::filesystem::path& p, int flags, unsigned mode, int& fd) { return inner_.open(p, flags, mode, fd); }
    std::error_code close(int fd) { return inner_.close(fd); }
    std::error_code write(int fd, const char* d, std::size_t n, std::size_t& done) { return inner_.write(fd, d, n, done); }
    std::error_code pwrite(int fd, const char* d, std::size_t n, std::uint64_t off, std::size_t& done) {
        return inner_.pwrite(fd, d, n, off, done);
    }
    std::error_code read(int fd, char* d, std::size_t n, std::size_t& done) { return inner_.read(fd, d, n, done); }
    std::error_code pread(int fd, char* d, std::size_t n, std::uint64_t off, std::size_t& done) {
        return inner_.pread(fd, d, n, off, done);
    }
    std::error_code fsync(int fd) { return inner_.fsync(fd); }
    std::error_code ftruncate(int fd, std::uint64_t size) { return inner_.ftruncate(fd, size); }
    std::error_code file_size(int fd, std::uint64_t& size) { return inner_.file_size(fd, size); }
    std::error_code rename(const std::filesystem::path& a, const std::filesystem::path& b) { return inner_.rename(a, b); }
    std::error_code unlink(const std::filesystem::path& p) { return inner_.unlink(p); }
    std::error_code fsync_dir(const std::filesystem::path& p) { return inner_.fsync_dir(p); }
    std::error_code mkdirs(const std::filesystem::path& p) { return inner_.mkdirs(p); }
    std::error_code lock(int fd) { return inner_.lock(fd); }

private:
    struct state {
        std::mutex m;
        std::condition_variable cv;
        bool armed = false, entered = false, released = false;
        std::chrono::microseconds delay{0};
    };
    evlog::fault_file inner_;
    std::shared_ptr<state> s_ = std::make_shared<state>();
};

static_assert(evlog::file_policy<gated_file>);

} // namespace evtest
