// Small I/O steps built on a File policy that several layers need.
#pragma once

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <fcntl.h>

#include <evlog/core/errors.hpp>
#include <evlog/file/posix_file.hpp>

namespace evlog {

/// Writes all of `data` with as many calls as it takes. A real short write
/// on a regular file means the disk is full; the next call reports it.
template <class File>
std::error_code write_all(File& file, int fd, std::string_view data) {
    while (!data.empty()) {
        std::size_t done = 0;
        if (auto ec = file.write(fd, data.data(), data.size(), done)) return ec;
        if (done == 0) return std::error_code(ENOSPC, std::system_category());
        data.remove_prefix(done);
    }
    return {};
}

/// Appends `data` to `path` durably: created if missing (then the directory
/// is fsynced too), one write, fdatasync.
template <class File>
void append_durably(File& file, const std::filesystem::path& path, std::string_view data) {
    int fd = -1;
    std::error_code exists_ec; // a path that cannot be stat'ed fails at open, naming it
    bool existed = std::filesystem::exists(path, exists_ec);
    if (auto ec = file.open(path, O_WRONLY | O_APPEND | O_CREAT, 0644, fd)) throw error(ec, "open " + path.string());
    auto ec = write_all(file, fd, data);
    if (!ec) ec = file.fdatasync(fd);
    file.close(fd);
    if (ec) throw error(ec, "append " + path.string());
    if (!existed)
        if (auto dec = file.fsync_dir(path.parent_path())) throw error(dec, "fsync directory " + path.parent_path().string());
}

/// Takes the exclusive lock on an open file, or throws errc::log_locked
/// when another open file description (another writer) holds it.
template <class File>
void lock_exclusive(File& file, int fd, const std::filesystem::path& path) {
    if (auto ec = file.lock(fd)) {
        if (ec == std::errc::resource_unavailable_try_again || ec == std::errc::operation_would_block)
            throw error(make_error_code(errc::log_locked), path.string());
        throw error(ec, "lock " + path.string());
    }
}

} // namespace evlog
