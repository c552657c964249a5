// File names, directory scans and whole-file reads for the snapshot store.
#pragma once

#include <cerrno>
#include <charconv>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <evlog/core/errors.hpp>
#include <evlog/file/posix_file.hpp>

namespace evlog::detail {

inline constexpr std::string_view snapshot_prefix = "state_";
inline constexpr std::string_view snapshot_suffix = ".json";
inline constexpr std::string_view snapshot_temp_suffix = ".tmp";

inline std::string snapshot_name(std::uint64_t id, std::string_view suffix) {
    char num[24];
    auto r = std::to_chars(num, num + sizeof(num), id);
    std::string s(snapshot_prefix);
    s.append(num, r.ptr);
    s += suffix;
    return s;
}

/// The id in `state_<id><suffix>`, or nullopt unless the name is exactly
/// that. Leading zeros are refused so that each id has one name: otherwise
/// `state_7.json` and `state_007.json` would compete for id 7.
inline std::optional<std::uint64_t> parse_snapshot_name(std::string_view name, std::string_view suffix) {
    if (name.size() <= snapshot_prefix.size() + suffix.size() || !name.starts_with(snapshot_prefix) ||
        !name.ends_with(suffix))
        return std::nullopt;
    auto digits = name.substr(snapshot_prefix.size(), name.size() - snapshot_prefix.size() - suffix.size());
    if (digits.size() > 1 && digits.front() == '0') return std::nullopt;
    for (char c : digits)
        if (c < '0' || c > '9') return std::nullopt;
    std::uint64_t id = 0;
    auto r = std::from_chars(digits.data(), digits.data() + digits.size(), id);
    if (r.ec != std::errc{} || r.ptr != digits.data() + digits.size()) return std::nullopt; // overflow
    return id;
}

/// The ids of the regular files in `dir` named `state_<id><suffix>`, in
/// directory order, or nullopt when `dir` does not exist. The directory is
/// opened through the File policy so that tests can fail it (EACCES); the
/// entries are then read from a duplicate of that descriptor because the
/// policy has no readdir.
template <class File>
std::optional<std::vector<std::uint64_t>> scan_snapshot_dir(File& file, const std::filesystem::path& dir,
                                                            std::string_view suffix) {
    const std::filesystem::path where = dir.empty() ? std::filesystem::path(".") : dir;
    int fd = -1;
    if (auto ec = file.open(where, O_RDONLY | O_DIRECTORY, 0, fd)) {
        if (ec == std::errc::no_such_file_or_directory) return std::nullopt;
        throw error(ec, "open directory " + where.string());
    }
    struct closer {
        File& f;
        int fd;
        ~closer() { f.close(fd); }
    } close_fd{file, fd};

    int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) throw_io(errno, "open directory", where);
    DIR* d = ::fdopendir(dup);
    if (!d) {
        int err = errno;
        ::close(dup);
        throw_io(err, "open directory", where);
    }
    struct dir_closer {
        DIR* d;
        ~dir_closer() { ::closedir(d); }
    } close_dir{d};

    std::vector<std::uint64_t> ids;
    for (;;) {
        errno = 0;
        const dirent* ent = ::readdir(d);
        if (!ent) {
            if (errno != 0) throw_io(errno, "read directory", where);
            break;
        }
        auto id = parse_snapshot_name(ent->d_name, suffix);
        if (!id) continue;
        // Follows symlinks, as a reader of the file would. A name that
        // vanished since readdir is simply not there any more.
        struct stat st;
        if (::fstatat(::dirfd(d), ent->d_name, &st, 0) != 0) continue;
        if (!S_ISREG(st.st_mode)) continue;
        ids.push_back(*id);
    }
    return ids;
}

/// Reads a whole file through the File policy into `out`. Returns the
/// system error, ENOENT included, so that callers can tell "gone" apart.
template <class File>
std::error_code read_whole_file(File& file, const std::filesystem::path& path, std::string& out) {
    out.clear();
    int fd = -1;
    if (auto ec = file.open(path, O_RDONLY, 0, fd)) return ec;
    std::error_code ec;
    std::uint64_t size = 0;
    if (!file.file_size(fd, size)) out.reserve(static_cast<std::size_t>(size));
    char buf[64 * 1024];
    for (;;) {
        std::size_t done = 0;
        if ((ec = file.read(fd, buf, sizeof(buf), done))) break;
        if (done == 0) break;
        out.append(buf, done);
    }
    file.close(fd);
    return ec;
}

} // namespace evlog::detail
