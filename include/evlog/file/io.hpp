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

/// Appends `data` to `path` durably: created if missing, one write (looped
/// over short writes), fdatasync, then a fsync of the directory. The
/// directory is fsynced on every call, not only by the call that creates
/// the file: an earlier call may have created it and failed at that fsync,
/// and nothing on disk tells a retry so. Callers append rarely (quarantine),
/// so the extra fsync costs nothing that matters.
///
/// When any step after the open fails, the file is cut back to its size
/// before the call (ftruncate + fdatasync) and evlog::error is thrown: the
/// part of `data` that did reach the file (a write that ran out of space
/// half way) would otherwise stay as a torn record that the next append
/// glues onto. If the cut fails too, the error is thrown all the same.
template <class File>
void append_durably(File& file, const std::filesystem::path& path, std::string_view data) {
    int fd = -1;
    if (auto ec = file.open(path, O_WRONLY | O_APPEND | O_CREAT, 0644, fd)) throw error(ec, "open " + path.string());
    std::uint64_t before = 0;
    if (auto ec = file.file_size(fd, before)) {
        file.close(fd);
        throw error(ec, "stat " + path.string());
    }
    // Cuts off what this call wrote, then throws. Best effort: the error
    // already says the append failed, so a failed cut does not change it.
    auto fail = [&](std::error_code ec, const std::string& what) {
        if (!file.ftruncate(fd, before)) file.fdatasync(fd);
        file.close(fd);
        throw error(ec, what);
    };
    if (auto ec = write_all(file, fd, data)) fail(ec, "append " + path.string());
    if (auto ec = file.fdatasync(fd)) fail(ec, "fdatasync " + path.string());
    const auto dir = path.parent_path();
    if (auto ec = file.fsync_dir(dir)) fail(ec, "fsync directory " + dir.string());
    file.close(fd);
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
