// A File policy for tests: forwards to posix_file, can fail the k-th call
// of any kind with a chosen errno or make a write short, and records every
// call with the bytes written so crash tests can rebuild disk states.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <system_error>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <evlog/file/posix_file.hpp>

namespace evlog {

enum class file_op : std::size_t {
    open, close, write, pwrite, read, pread, fdatasync, fsync, ftruncate, file_size,
    rename, unlink, fsync_dir, mkdirs, lock, count_
};

/// One call as fault_file saw it.
struct file_call {
    file_op op;
    std::filesystem::path path;   ///< the path, or the path the fd was opened with
    std::filesystem::path target; ///< rename's destination
    int fd = -1;
    std::uint64_t offset = 0;     ///< where write/pwrite put their bytes; ftruncate's size
    std::string data;             ///< the bytes write/pwrite actually wrote
    std::error_code result;
};

/// Copies share one state, so a test keeps a copy to steer and inspect the
/// one a log owns. Thread-safe; calls are serialized, which is fine for tests.
class fault_file {
public:
    fault_file() : s_(std::make_shared<state>()) {}

    /// The k-th call (1-based, counted since construction) of `op` fails with err.
    void fail_nth(file_op op, std::size_t k, int err) { add_rule(op, k, err, std::nullopt, false); }
    /// Every call of `op` from the k-th on fails with err (a full disk, a dead device).
    void fail_from(file_op op, std::size_t k, int err) { add_rule(op, k, err, std::nullopt, true); }
    /// The next call of `op` fails with err.
    void fail_next(file_op op, int err) { fail_nth(op, count(op) + 1, err); }
    /// The k-th write (file_op::write or pwrite) writes only `bytes` bytes and reports success.
    void short_write_nth(file_op op, std::size_t k, std::size_t bytes) { add_rule(op, k, 0, bytes, false); }

    /// Calls of `op` made so far, failed ones included.
    std::size_t count(file_op op) const {
        std::lock_guard g(s_->m);
        return s_->counts[static_cast<std::size_t>(op)];
    }
    std::vector<file_call> trace() const {
        std::lock_guard g(s_->m);
        return s_->trace;
    }
    void clear_trace() {
        std::lock_guard g(s_->m);
        s_->trace.clear();
    }

    std::error_code open(const std::filesystem::path& p, int flags, unsigned mode, int& fd) {
        std::lock_guard g(s_->m);
        file_call c{file_op::open, p, {}, -1, 0, {}, {}};
        if (auto f = fault(file_op::open)) { fd = -1; return record(c, f->err); }
        c.result = s_->real.open(p, flags, mode, fd);
        if (!c.result) s_->fd_paths[fd] = p;
        c.fd = fd;
        return record(c, c.result);
    }
    std::error_code close(int fd) { return simple(file_op::close, fd, [&] { s_->fd_paths.erase(fd); return s_->real.close(fd); }); }

    std::error_code write(int fd, const char* data, std::size_t n, std::size_t& done) {
        std::lock_guard g(s_->m);
        // With O_APPEND the bytes land at the end, otherwise at the file
        // position; a crash test needs to know which.
        std::uint64_t at = 0;
        struct stat st;
        int fl = ::fcntl(fd, F_GETFL);
        if (fl >= 0 && (fl & O_APPEND)) {
            if (::fstat(fd, &st) == 0) at = static_cast<std::uint64_t>(st.st_size);
        } else if (off_t pos = ::lseek(fd, 0, SEEK_CUR); pos >= 0) {
            at = static_cast<std::uint64_t>(pos);
        }
        return do_write(file_op::write, fd, data, n, at, done,
                        [&](std::size_t k, std::size_t& d) { return s_->real.write(fd, data, k, d); });
    }
    std::error_code pwrite(int fd, const char* data, std::size_t n, std::uint64_t off, std::size_t& done) {
        std::lock_guard g(s_->m);
        return do_write(file_op::pwrite, fd, data, n, off, done,
                        [&](std::size_t k, std::size_t& d) { return s_->real.pwrite(fd, data, k, off, d); });
    }
    std::error_code read(int fd, char* data, std::size_t n, std::size_t& done) {
        done = 0;
        return simple(file_op::read, fd, [&] { return s_->real.read(fd, data, n, done); });
    }
    std::error_code pread(int fd, char* data, std::size_t n, std::uint64_t off, std::size_t& done) {
        done = 0;
        return simple(file_op::pread, fd, [&] { return s_->real.pread(fd, data, n, off, done); });
    }
    std::error_code fdatasync(int fd) { return simple(file_op::fdatasync, fd, [&] { return s_->real.fdatasync(fd); }); }
    std::error_code fsync(int fd) { return simple(file_op::fsync, fd, [&] { return s_->real.fsync(fd); }); }
    std::error_code ftruncate(int fd, std::uint64_t size) {
        return simple(file_op::ftruncate, fd, [&] { return s_->real.ftruncate(fd, size); }, size);
    }
    std::error_code file_size(int fd, std::uint64_t& size) {
        return simple(file_op::file_size, fd, [&] { return s_->real.file_size(fd, size); });
    }
    std::error_code rename(const std::filesystem::path& from, const std::filesystem::path& to) {
        std::lock_guard g(s_->m);
        file_call c{file_op::rename, from, to, -1, 0, {}, {}};
        if (auto f = fault(file_op::rename)) return record(c, f->err);
        return record(c, s_->real.rename(from, to));
    }
    std::error_code unlink(const std::filesystem::path& p) { return path_op(file_op::unlink, p, [&] { return s_->real.unlink(p); }); }
    std::error_code fsync_dir(const std::filesystem::path& p) { return path_op(file_op::fsync_dir, p, [&] { return s_->real.fsync_dir(p); }); }
    std::error_code mkdirs(const std::filesystem::path& p) { return path_op(file_op::mkdirs, p, [&] { return s_->real.mkdirs(p); }); }
    std::error_code lock(int fd) { return simple(file_op::lock, fd, [&] { return s_->real.lock(fd); }); }

private:
    struct rule {
        file_op op;
        std::size_t k;
        int err;
        std::optional<std::size_t> short_bytes;
        bool from_k_on;
    };
    struct state {
        mutable std::mutex m;
        posix_file real;
        std::vector<file_call> trace;
        std::map<int, std::filesystem::path> fd_paths;
        std::vector<rule> rules;
        std::array<std::size_t, static_cast<std::size_t>(file_op::count_)> counts{};
    };
    struct hit {
        std::error_code err;
        std::optional<std::size_t> short_bytes;
    };

    void add_rule(file_op op, std::size_t k, int err, std::optional<std::size_t> short_bytes, bool from) {
        std::lock_guard g(s_->m);
        s_->rules.push_back({op, k, err, short_bytes, from});
    }

    // Counts the call and says whether a rule fires for it. Caller holds the mutex.
    std::optional<hit> fault(file_op op) {
        std::size_t n = ++s_->counts[static_cast<std::size_t>(op)];
        for (const auto& r : s_->rules)
            if (r.op == op && (r.k == n || (r.from_k_on && n >= r.k)))
                return hit{r.err ? std::error_code(r.err, std::system_category()) : std::error_code{}, r.short_bytes};
        return std::nullopt;
    }

    std::error_code record(file_call c, std::error_code ec) {
        c.result = ec;
        s_->trace.push_back(std::move(c));
        return ec;
    }

    template <class Real>
    std::error_code do_write(file_op op, int fd, const char* data, std::size_t n, std::uint64_t at,
                             std::size_t& done, Real real) {
        done = 0;
        file_call c{op, path_of(fd), {}, fd, at, {}, {}};
        std::size_t want = n;
        if (auto f = fault(op)) {
            if (f->err) return record(c, f->err);
            if (f->short_bytes) want = std::min(n, *f->short_bytes);
        }
        auto ec = real(want, done);
        c.data.assign(data, done);
        return record(c, ec);
    }

    template <class Real>
    std::error_code simple(file_op op, int fd, Real real, std::uint64_t offset = 0) {
        std::lock_guard g(s_->m);
        file_call c{op, path_of(fd), {}, fd, offset, {}, {}};
        if (auto f = fault(op)) return record(c, f->err);
        return record(c, real());
    }

    template <class Real>
    std::error_code path_op(file_op op, const std::filesystem::path& p, Real real) {
        std::lock_guard g(s_->m);
        file_call c{op, p, {}, -1, 0, {}, {}};
        if (auto f = fault(op)) return record(c, f->err);
        return record(c, real());
    }

    std::filesystem::path path_of(int fd) const {
        auto it = s_->fd_paths.find(fd);
        return it == s_->fd_paths.end() ? std::filesystem::path{} : it->second;
    }

    std::shared_ptr<state> s_;
};

static_assert(file_policy<fault_file>);

} // namespace evlog
