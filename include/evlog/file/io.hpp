// Small I/O steps built on a File policy that several layers need.
#pragma once

#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

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
/// `mode` is the permission of a file this call creates (the umask still
/// applies); an existing file keeps its own.
template <class File>
void append_durably(File& file, const std::filesystem::path& path, std::string_view data, unsigned mode = 0644) {
    int fd = -1;
    if (auto ec = file.open(path, O_WRONLY | O_APPEND | O_CREAT, mode, fd)) throw error(ec, "open " + path.string());
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

/// The permission bits of `path`, for a file that takes over its bytes
/// (a rewrite, a quarantine) so that they are never readable by more
/// users than the original's were. 0600 when `path` cannot be stat'ed.
inline unsigned permissions_of(const std::filesystem::path& path) {
    std::error_code ec;
    const auto st = std::filesystem::status(path, ec);
    if (ec) return 0600;
    return static_cast<unsigned>(st.permissions() & std::filesystem::perms::mask) & 0777u;
}

/// Creates `dir` and its missing parents (File::mkdirs) so that they
/// survive a power loss: each level's entry is made durable by fsyncing its
/// parent, top down. Which levels:
///  - every level below `base` (an ancestor of `dir`; pass `dir` for none),
///    whether or not it exists: an earlier call may have created it and
///    failed at its fsync, and nothing on disk tells a retry so;
///  - above that, the levels this call creates. A retry cannot tell these
///    from old ones, so pick `base` as high as the caller owns; it stays
///    below directories the process may not be able to open.
/// Missing levels are found by stat, outside File: it changes nothing. A
/// level that is not a directory or cannot be stat'ed is left to mkdirs to
/// report. `dir`'s own fsync, for entries made in it, is the caller's.
/// Throws evlog::error naming the directory.
template <class File>
void make_dirs_durably(File& file, const std::filesystem::path& dir, const std::filesystem::path& base) {
    // How many levels of `dir` lie below `base`; none when base is not an ancestor.
    std::size_t below_base = 0;
    const auto rel = dir.lexically_normal().lexically_relative(base.lexically_normal());
    if (!rel.empty() && *rel.begin() != "..")
        for (const auto& part : rel)
            if (!part.empty() && part != ".") ++below_base;

    std::vector<std::filesystem::path> to_sync; // levels whose parent gets fsynced, deepest first
    bool create = false;
    auto p = dir.lexically_normal();
    if (!p.has_filename() && p.has_relative_path()) p = p.parent_path(); // "a/b/" is the level "a/b"
    for (std::size_t i = 0; p.has_relative_path(); ++i, p = p.parent_path()) {
        std::error_code ec;
        const auto type = std::filesystem::status(p, ec).type();
        const bool missing = type == std::filesystem::file_type::not_found;
        create = create || type != std::filesystem::file_type::directory; // mkdirs reports what is wrong
        if (!missing && i >= below_base) break; // it and all above exist, and are not ours to fsync
        to_sync.push_back(p);
    }
    if (create)
        if (auto ec = file.mkdirs(dir)) throw error(ec, "create directory " + dir.string());
    for (auto it = to_sync.rbegin(); it != to_sync.rend(); ++it) {
        const auto parent = it->parent_path(); // "" for a relative top level: the working directory
        if (auto ec = file.fsync_dir(parent)) throw error(ec, "fsync directory " + parent.string());
    }
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
