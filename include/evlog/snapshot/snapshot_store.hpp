// A directory of state snapshots, one file per snapshot, each replaced
// atomically and read back by the newest one that parses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/parse_options.hpp>
#include <boost/json/value.hpp>

#include <evlog/file/posix_file.hpp>
#include <evlog/snapshot/snapshot.hpp>
#include <evlog/snapshot/state_codec.hpp>

namespace evlog {

/// Snapshots of a State in one directory, as `state_<last_event_id>.json`
/// (layout in snapshot<State>), compatible both ways with the Go
/// implementation's files.
///
/// Contract, checked by evlog/testing/snapshot_kit.hpp:
///  - only names exactly `state_<uint64>.json` (decimal, no sign, no leading
///    zeros) that are regular files count; anything else in the directory,
///    `.tmp` leftovers included, is ignored;
///  - save() replaces a file atomically, so a crash or a failed call leaves
///    the previous file (or no file) and never a torn one;
///  - load_latest() returns the newest snapshot that parses and reports each
///    newer one it passed over; a missing directory or one without
///    snapshots is an empty result, not an error;
///  - a file is corrupt (errc::snapshot_corrupt) when it is not one JSON
///    object, lacks `state`, `last_event_id` or `saved_at`, holds a value of
///    the wrong type, has a `state` the codec refuses, or has a
///    `last_event_id` other than the one in its name (a file renamed by hand
///    would otherwise resume replay at the wrong event).
///
/// Every system call goes through File, so evlog::fault_file can fail any
/// of them. I/O failures throw evlog::error naming the path. Not
/// thread-safe, and one process at a time may save into a directory: save()
/// removes every `state_<id>.tmp` it finds, which would break a concurrent
/// writer's save.
template <class State, state_codec<State> Codec = json_state_codec<State>, file_policy File = posix_file>
class snapshot_store {
public:
    using state_type = State;
    using snapshot_type = snapshot<State>;
    using codec_type = Codec;
    using file_type = File;

    /// The directory need not exist yet; save() creates it.
    explicit snapshot_store(std::filesystem::path dir, Codec codec = Codec(), File file = File());

    const std::filesystem::path& directory() const noexcept { return dir_; }

    /// `<directory>/state_<id>.json`.
    std::filesystem::path path_of(std::uint64_t id) const;

    /// Writes `s` as `state_<s.last_event_id>.json`, replacing any file of
    /// that id: creates the directory and its missing parents, fsyncing the
    /// parent of each level it creates and, on every save, the directory's
    /// parent (a failed save may have created it), removes stale
    /// `state_<id>.tmp` files, writes `state_<id>.tmp` (O_EXCL|O_NOFOLLOW),
    /// fdatasyncs it, renames it into place and fsyncs the directory. The
    /// file is compact JSON plus a newline. When any step up to and
    /// including the rename fails, the previous file is untouched, the temp
    /// file is removed and evlog::error is thrown. A failed directory fsync
    /// also throws, though the new file is then already in place (but maybe
    /// not durable). Removing other stale temp files is best effort.
    void save(const snapshot_type& s);

    /// The newest snapshot that loads, plus every newer one that did not
    /// (newest first). Empty when the directory is missing or holds no
    /// snapshot. Throws evlog::error when the directory or a file cannot be
    /// read (an I/O failure is not corruption: falling back past it would
    /// hide a sick disk).
    load_result<State> load_latest() { return load_latest(std::nullopt); }

    /// As load_latest(), among the snapshots whose id is at most `at_most`:
    /// how recovery falls back past a snapshot it cannot use.
    load_result<State> load_latest(std::optional<std::uint64_t> at_most);

    /// The snapshot with this id; nullopt when there is no such file.
    /// Throws evlog::error(errc::snapshot_corrupt) naming the file when it
    /// does not load.
    std::optional<snapshot_type> load(std::uint64_t id);

    /// Renames `state_<id>.json` to `state_<id>.json.<tag>` (or, when that
    /// name is taken, `.<tag>.1`, `.<tag>.2`, ...), a name no reader counts,
    /// and fsyncs the directory; returns the new path. For a snapshot that
    /// must not be used but whose bytes are kept, e.g. one that holds
    /// events the log has lost. Throws evlog::error.
    std::filesystem::path set_aside(std::uint64_t id, std::string_view tag);

    /// Ids of every snapshot file, ascending. Names are checked, contents
    /// are not.
    std::vector<std::uint64_t> list();

    /// Keeps the newest `keep_newest` snapshots that load and removes every
    /// snapshot file older than the oldest of those, then fsyncs the
    /// directory. Corrupt files among the kept range stay (load_latest keeps
    /// reporting them), and when fewer than `keep_newest` snapshots load
    /// nothing is removed: counting a corrupt file as kept could otherwise
    /// delete the last good snapshot. `prune(0)` removes every snapshot
    /// file. Returns how many files were removed.
    std::size_t prune(std::size_t keep_newest);

    /// The File policy, e.g. to reach a fault_file's trace.
    File& file() noexcept { return file_; }

private:
    enum class read_status { ok, absent, corrupt };

    std::filesystem::path temp_path_of(std::uint64_t id) const;
    std::vector<std::uint64_t> scan(std::string_view suffix);
    std::string encode(const snapshot_type& s);
    static boost::json::parse_options parse_options();
    std::optional<snapshot_type> convert(const boost::json::value& root, std::uint64_t id, std::string& why);
    read_status read(std::uint64_t id, std::optional<snapshot_type>& out, std::string& why);
    /// Reads snapshot `id`'s file in 1 MiB chunks into `feed(data, size)`,
    /// which returns false to stop. False if the file is absent.
    template <class Feed>
    bool read_chunks(std::uint64_t id, Feed&& feed);
    read_status read_tree(std::uint64_t id, std::optional<snapshot_type>& out, std::string& why);
    bool read_direct(std::uint64_t id, std::optional<snapshot_type>& out, read_status& status)
        requires direct_state_codec<Codec, State>;

    std::filesystem::path dir_;
    Codec codec_;
    File file_;
};

} // namespace evlog

#include <evlog/snapshot/impl/snapshot_store.hpp>
