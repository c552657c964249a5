// The directory layout of many streams under one home:
//   home/<streams>/{ULID}/events.jsonl, index.db, snapshots/, exports/
#pragma once

#include <algorithm>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <evlog/core/errors.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/file/io.hpp>
#include <evlog/file/posix_file.hpp>

namespace evlog {

/// The files of one stream directory.
struct stream_paths {
    std::filesystem::path dir;
    std::filesystem::path log() const { return dir / "events.jsonl"; }
    std::filesystem::path index() const { return dir / "index.db"; }
    std::filesystem::path snapshots() const { return dir / "snapshots"; }
    std::filesystem::path exports() const { return dir / "exports"; }
    /// The stream the directory's name gives, when it is a ULID
    /// ("specs/01J…/" too: the trailing slash is dropped first).
    std::optional<ulid> named_stream() const {
        auto d = dir.lexically_normal();
        if (!d.has_filename()) d = d.parent_path();
        return ulid::parse(d.filename().string());
    }
};

/// Lays out streams as `home/<streams_folder>/{ULID}/`. Stream names can
/// only be ULIDs, so no name can reach outside home: there is no string
/// overload to misuse, and parse_stream_name() is the one way in from text.
template <class File = posix_file>
class basic_storage_manager {
public:
    /// `streams_folder` is one plain path component (the spec store uses "specs").
    explicit basic_storage_manager(std::filesystem::path home, std::string streams_folder = "streams", File file = {})
        : home_(std::move(home)), folder_(std::move(streams_folder)), file_(std::move(file)) {
        if (folder_.empty() || folder_ == "." || folder_ == ".." || folder_.find('/') != std::string::npos ||
            folder_.find('\0') != std::string::npos)
            throw error(make_error_code(errc::invalid_name), "streams folder \"" + folder_ + "\"");
    }

    const std::filesystem::path& home() const noexcept { return home_; }
    std::filesystem::path streams_root() const { return home_ / folder_; }
    /// The File policy every call goes through; recover_all() hands a copy
    /// to each stream's recovery.
    const File& file() const noexcept { return file_; }

    /// Validates text from outside (a command line, a URL) as a stream
    /// name. Anything but a ULID, such as "../etc", is errc::invalid_name.
    static ulid parse_stream_name(std::string_view name) {
        if (auto u = ulid::parse(name)) return *u;
        throw error(make_error_code(errc::invalid_name), "stream name \"" + std::string(name) + "\" is not a ULID");
    }

    /// The paths of a stream, whether or not it exists. The directory name
    /// is the canonical uppercase ULID.
    stream_paths paths(const ulid& id) const { return {streams_root() / id.str()}; }

    /// Creates the stream's directory with snapshots/ and exports/, durably:
    /// home's streams folder, the stream directory and the stream
    /// directory's contents are fsynced on every call (and home's parent
    /// when home is created), since a call that created them may have failed
    /// at an fsync and a retry cannot tell. Existing ones are fine. Throws
    /// evlog::error naming the directory.
    stream_paths create_stream(const ulid& id) {
        auto p = paths(id);
        make_dirs_durably(file_, p.dir, home_);
        for (const auto& d : {p.snapshots(), p.exports()})
            if (auto ec = file_.mkdirs(d)) throw error(ec, "create directory " + d.string());
        if (auto ec = file_.fsync_dir(p.dir)) throw error(ec, "fsync directory " + p.dir.string());
        return p;
    }

    /// The stream's paths if its directory exists. A path that cannot be
    /// stat'ed (a symlink loop, no permission) throws evlog::error naming it.
    std::optional<stream_paths> get_stream(const ulid& id) const {
        auto p = paths(id);
        std::error_code ec;
        const auto type = std::filesystem::status(p.dir, ec).type();
        if (type == std::filesystem::file_type::not_found) return std::nullopt;
        if (ec) throw error(ec, "stat " + p.dir.string());
        if (type != std::filesystem::file_type::directory) return std::nullopt;
        return p;
    }

    /// Every stream directory, sorted by ULID. Names that are not ULIDs,
    /// and plain files, are skipped; a missing streams folder is empty.
    std::vector<ulid> list_streams() const {
        std::vector<ulid> out;
        std::error_code ec;
        std::filesystem::directory_iterator it(streams_root(), ec), end;
        if (ec) {
            if (ec == std::errc::no_such_file_or_directory) return out;
            throw error(ec, "list " + streams_root().string());
        }
        for (; it != end; it.increment(ec)) {
            if (ec) throw error(ec, "list " + streams_root().string());
            if (!it->is_directory()) continue;
            auto name = it->path().filename().string();
            if (auto u = ulid::parse(name); u && u->str() == name) out.push_back(*u);
        }
        std::sort(out.begin(), out.end());
        return out;
    }

private:
    std::filesystem::path home_;
    std::string folder_;
    File file_;
};

using storage_manager = basic_storage_manager<>;

} // namespace evlog
