// The File policy: every system call the log, repair and snapshot code
// make goes through one of these, so tests can fail or trace any of them.
#pragma once

#include <cerrno>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace evlog {

/// What a File policy offers. Every call returns an error code (system
/// category) instead of throwing, so callers decide what a failure means.
/// `write`/`pwrite`/`read`/`pread` make exactly one system call and may be
/// short; callers loop or treat short as failure as their guarantees need.
template <class F>
concept file_policy = requires(F& f, const std::filesystem::path& p, int fd, const char* cdata, char* data,
                               std::size_t n, std::uint64_t off, std::size_t& done, int& out_fd,
                               std::uint64_t& size) {
    { f.open(p, 0, 0, out_fd) } -> std::same_as<std::error_code>;
    { f.close(fd) } -> std::same_as<std::error_code>;
    { f.write(fd, cdata, n, done) } -> std::same_as<std::error_code>;
    { f.pwrite(fd, cdata, n, off, done) } -> std::same_as<std::error_code>;
    { f.read(fd, data, n, done) } -> std::same_as<std::error_code>;
    { f.pread(fd, data, n, off, done) } -> std::same_as<std::error_code>;
    { f.fdatasync(fd) } -> std::same_as<std::error_code>;
    { f.fsync(fd) } -> std::same_as<std::error_code>;
    { f.ftruncate(fd, off) } -> std::same_as<std::error_code>;
    { f.file_size(fd, size) } -> std::same_as<std::error_code>;
    { f.rename(p, p) } -> std::same_as<std::error_code>;
    { f.unlink(p) } -> std::same_as<std::error_code>;
    { f.fsync_dir(p) } -> std::same_as<std::error_code>;
    { f.mkdirs(p) } -> std::same_as<std::error_code>;
    { f.lock(fd) } -> std::same_as<std::error_code>;
};

/// The real thing: thin wrappers over POSIX, retrying EINTR.
struct posix_file {
    static std::error_code sys() noexcept { return {errno, std::system_category()}; }

    std::error_code open(const std::filesystem::path& p, int flags, unsigned mode, int& fd) {
        do fd = ::open(p.c_str(), flags | O_CLOEXEC, static_cast<mode_t>(mode));
        while (fd < 0 && errno == EINTR);
        return fd < 0 ? sys() : std::error_code{};
    }
    std::error_code close(int fd) { return ::close(fd) < 0 ? sys() : std::error_code{}; }

    std::error_code write(int fd, const char* data, std::size_t n, std::size_t& done) {
        ssize_t r;
        do r = ::write(fd, data, n);
        while (r < 0 && errno == EINTR);
        done = r < 0 ? 0 : static_cast<std::size_t>(r);
        return r < 0 ? sys() : std::error_code{};
    }
    std::error_code pwrite(int fd, const char* data, std::size_t n, std::uint64_t off, std::size_t& done) {
        ssize_t r;
        do r = ::pwrite(fd, data, n, static_cast<off_t>(off));
        while (r < 0 && errno == EINTR);
        done = r < 0 ? 0 : static_cast<std::size_t>(r);
        return r < 0 ? sys() : std::error_code{};
    }
    std::error_code read(int fd, char* data, std::size_t n, std::size_t& done) {
        ssize_t r;
        do r = ::read(fd, data, n);
        while (r < 0 && errno == EINTR);
        done = r < 0 ? 0 : static_cast<std::size_t>(r);
        return r < 0 ? sys() : std::error_code{};
    }
    std::error_code pread(int fd, char* data, std::size_t n, std::uint64_t off, std::size_t& done) {
        ssize_t r;
        do r = ::pread(fd, data, n, static_cast<off_t>(off));
        while (r < 0 && errno == EINTR);
        done = r < 0 ? 0 : static_cast<std::size_t>(r);
        return r < 0 ? sys() : std::error_code{};
    }
    // No EINTR retry for the syncs: after a failed fsync the kernel may have
    // dropped the dirty pages, so a retry can succeed without the data.
    std::error_code fdatasync(int fd) { return ::fdatasync(fd) < 0 ? sys() : std::error_code{}; }
    std::error_code fsync(int fd) { return ::fsync(fd) < 0 ? sys() : std::error_code{}; }
    std::error_code ftruncate(int fd, std::uint64_t size) {
        int r;
        do r = ::ftruncate(fd, static_cast<off_t>(size));
        while (r < 0 && errno == EINTR);
        return r < 0 ? sys() : std::error_code{};
    }
    std::error_code file_size(int fd, std::uint64_t& size) {
        struct stat st;
        if (::fstat(fd, &st) < 0) return sys();
        size = static_cast<std::uint64_t>(st.st_size);
        return {};
    }
    std::error_code rename(const std::filesystem::path& from, const std::filesystem::path& to) {
        return ::rename(from.c_str(), to.c_str()) < 0 ? sys() : std::error_code{};
    }
    std::error_code unlink(const std::filesystem::path& p) {
        return ::unlink(p.c_str()) < 0 ? sys() : std::error_code{};
    }
    /// fsync of a directory, which makes a rename or a new entry in it durable.
    std::error_code fsync_dir(const std::filesystem::path& dir) {
        int fd = ::open(dir.empty() ? "." : dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (fd < 0) return sys();
        std::error_code ec = ::fsync(fd) < 0 ? sys() : std::error_code{};
        ::close(fd);
        return ec;
    }
    /// Creates dir and its missing parents; an existing directory is fine.
    std::error_code mkdirs(const std::filesystem::path& dir) {
        std::error_code ec;
        if (dir.empty()) return ec;
        std::filesystem::create_directories(dir, ec);
        return ec;
    }
    /// An exclusive, non-blocking lock (flock): EWOULDBLOCK when held elsewhere.
    std::error_code lock(int fd) { return ::flock(fd, LOCK_EX | LOCK_NB) < 0 ? sys() : std::error_code{}; }
};

static_assert(file_policy<posix_file>);

} // namespace evlog
