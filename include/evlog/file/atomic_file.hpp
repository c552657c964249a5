// Replacing a file so that a crash leaves either the old or the new one:
// write a temp file, fdatasync it, rename it over the target, fsync the
// directory.
#pragma once

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <fcntl.h>

#include <evlog/core/errors.hpp>
#include <evlog/file/io.hpp>
#include <evlog/file/posix_file.hpp>

namespace evlog {

/// A file that becomes `target` only on commit(). Until then the bytes sit
/// in `temp`; destroying an uncommitted writer removes the temp file.
/// commit() may be called once. Throws evlog::error naming the path on
/// every failure. `mode` is the new file's permission (the umask still
/// applies): a rewrite of an existing file passes the original's.
template <class File = posix_file>
class atomic_file {
public:
    atomic_file(File& file, std::filesystem::path target, std::filesystem::path temp, unsigned mode = 0644)
        : file_(file), target_(std::move(target)), temp_(std::move(temp)) {
        // A stale temp file is left from a crash mid-replace; it was never the real file.
        file_.unlink(temp_);
        if (auto ec = file_.open(temp_, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, mode, fd_))
            throw error(ec, "create " + temp_.string());
    }
    atomic_file(const atomic_file&) = delete;
    atomic_file& operator=(const atomic_file&) = delete;
    ~atomic_file() {
        if (fd_ >= 0) file_.close(fd_);
        if (!committed_) file_.unlink(temp_);
    }

    void write(std::string_view data) {
        if (auto ec = write_all(file_, fd_, data)) throw error(ec, "write " + temp_.string());
    }

    /// fdatasync, close, rename over the target, fsync the directory.
    /// One attempt only: after a failed fdatasync the kernel may have
    /// dropped the temp file's pages and marked them clean, so a second
    /// fdatasync could succeed and rename bytes that never reached the disk
    /// over a good target. So the first call spends the writer, failed or
    /// not (a failed fdatasync removes the temp file at once), and any later
    /// commit() throws errc::bad_argument.
    void commit() {
        if (spent_) throw error(make_error_code(errc::bad_argument), "commit " + temp_.string() + " again");
        spent_ = true;
        if (auto ec = file_.fdatasync(fd_)) {
            file_.close(fd_);
            fd_ = -1;
            file_.unlink(temp_);
            throw error(ec, "fdatasync " + temp_.string());
        }
        int fd = fd_;
        fd_ = -1;
        if (auto ec = file_.close(fd)) throw error(ec, "close " + temp_.string());
        if (auto ec = file_.rename(temp_, target_)) throw error(ec, "rename " + temp_.string() + " to " + target_.string());
        committed_ = true;
        if (auto ec = file_.fsync_dir(target_.parent_path()))
            throw error(ec, "fsync directory " + target_.parent_path().string());
    }

private:
    File& file_;
    std::filesystem::path target_, temp_;
    int fd_ = -1;
    bool spent_ = false;     ///< commit() was called, whatever became of it
    bool committed_ = false; ///< the rename took place
};

} // namespace evlog
