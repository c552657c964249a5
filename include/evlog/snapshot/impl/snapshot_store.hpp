// Template bodies of evlog::snapshot_store; included by
// evlog/snapshot/snapshot_store.hpp, not on its own.
#pragma once

#include <algorithm>
#include <exception>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fcntl.h>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/system/system_error.hpp>

#include <evlog/core/errors.hpp>
#include <evlog/core/json.hpp>
#include <evlog/file/atomic_file.hpp>
#include <evlog/file/io.hpp>
#include <evlog/snapshot/detail/direct_snapshot.hpp>
#include <evlog/snapshot/detail/snapshot_files.hpp>
#include <evlog/snapshot/snapshot_store.hpp>

namespace evlog {

namespace detail {

inline std::optional<std::uint64_t> json_u64(const boost::json::value& v) {
    if (v.is_uint64()) return v.get_uint64();
    if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
    return std::nullopt;
}

} // namespace detail

template <class State, state_codec<State> Codec, file_policy File>
snapshot_store<State, Codec, File>::snapshot_store(std::filesystem::path dir, Codec codec, File file)
    : dir_(std::move(dir)), codec_(std::move(codec)), file_(std::move(file)) {}

template <class State, state_codec<State> Codec, file_policy File>
std::filesystem::path snapshot_store<State, Codec, File>::path_of(std::uint64_t id) const {
    return dir_ / detail::snapshot_name(id, detail::snapshot_suffix);
}

template <class State, state_codec<State> Codec, file_policy File>
std::filesystem::path snapshot_store<State, Codec, File>::temp_path_of(std::uint64_t id) const {
    return dir_ / detail::snapshot_name(id, detail::snapshot_temp_suffix);
}

template <class State, state_codec<State> Codec, file_policy File>
std::vector<std::uint64_t> snapshot_store<State, Codec, File>::scan(std::string_view suffix) {
    auto found = detail::scan_snapshot_dir(file_, dir_, suffix);
    return found ? std::move(*found) : std::vector<std::uint64_t>{};
}

template <class State, state_codec<State> Codec, file_policy File>
void snapshot_store<State, Codec, File>::save(const snapshot_type& s) {
    // Encode first: a codec that throws must not leave anything on disk.
    const std::string bytes = encode(s);

    const auto stale = scan(detail::snapshot_temp_suffix);
    // The directory's entry must be durable before files in it matter. Its
    // parent is fsynced on every save, not only when this save creates it:
    // a save that created it may have failed at that fsync, and a retry
    // cannot tell. One directory fsync is cheap next to a snapshot's.
    make_dirs_durably(file_, dir_, dir_.parent_path());
    // Best effort: leftovers of crashed saves are invisible to readers, so a
    // failure to remove one is no reason to refuse the new snapshot.
    for (auto id : stale)
        if (id != s.last_event_id) file_.unlink(temp_path_of(id));

    atomic_file<File> out(file_, path_of(s.last_event_id), temp_path_of(s.last_event_id));
    out.write(bytes);
    out.commit();
}

template <class State, state_codec<State> Codec, file_policy File>
load_result<State> snapshot_store<State, Codec, File>::load_latest(std::optional<std::uint64_t> at_most) {
    load_result<State> result;
    auto ids = scan(detail::snapshot_suffix);
    std::sort(ids.begin(), ids.end(), std::greater<>());
    for (auto id : ids) {
        if (at_most && id > *at_most) continue;
        std::string why;
        switch (read(id, result.snapshot, why)) {
        case read_status::ok: return result;
        case read_status::absent: break;
        case read_status::corrupt:
            result.skipped.push_back({path_of(id), id, make_error_code(errc::snapshot_corrupt), std::move(why)});
            break;
        }
    }
    return result;
}

template <class State, state_codec<State> Codec, file_policy File>
std::filesystem::path snapshot_store<State, Codec, File>::set_aside(std::uint64_t id, std::string_view tag) {
    const auto from = path_of(id);
    auto to = from;
    for (int n = 0;; ++n) {
        to = from;
        to += "." + std::string(tag) + (n ? "." + std::to_string(n) : std::string());
        int fd = -1;
        const auto ec = file_.open(to, O_RDONLY, 0, fd);
        if (!ec) {
            file_.close(fd);
            continue; // taken: an earlier set-aside keeps its bytes
        }
        if (ec != std::errc::no_such_file_or_directory) throw error(ec, "open " + to.string());
        break;
    }
    if (auto ec = file_.rename(from, to)) throw error(ec, "rename " + from.string() + " to " + to.string());
    if (auto ec = file_.fsync_dir(dir_)) throw error(ec, "fsync directory " + dir_.string());
    return to;
}

template <class State, state_codec<State> Codec, file_policy File>
auto snapshot_store<State, Codec, File>::load(std::uint64_t id) -> std::optional<snapshot_type> {
    std::optional<snapshot_type> out;
    std::string why;
    if (read(id, out, why) == read_status::corrupt)
        throw error(make_error_code(errc::snapshot_corrupt), path_of(id).string() + ": " + why);
    return out;
}

template <class State, state_codec<State> Codec, file_policy File>
std::vector<std::uint64_t> snapshot_store<State, Codec, File>::list() {
    auto ids = scan(detail::snapshot_suffix);
    std::sort(ids.begin(), ids.end());
    return ids;
}

template <class State, state_codec<State> Codec, file_policy File>
std::size_t snapshot_store<State, Codec, File>::prune(std::size_t keep_newest) {
    auto ids = scan(detail::snapshot_suffix);
    std::sort(ids.begin(), ids.end(), std::greater<>());

    // ids[first_removed..] go; by default (too few good ones) none do.
    std::size_t first_removed = ids.size();
    if (keep_newest == 0) {
        first_removed = 0;
    } else {
        std::size_t good = 0;
        for (std::size_t i = 0; i < ids.size(); ++i) {
            std::optional<snapshot_type> ignored;
            std::string why;
            if (read(ids[i], ignored, why) == read_status::ok && ++good == keep_newest) {
                first_removed = i + 1;
                break;
            }
        }
    }

    std::size_t removed = 0;
    for (std::size_t i = first_removed; i < ids.size(); ++i) {
        const auto path = path_of(ids[i]);
        if (auto ec = file_.unlink(path)) {
            if (ec == std::errc::no_such_file_or_directory) continue;
            throw error(ec, "remove " + path.string());
        }
        ++removed;
    }
    if (removed != 0)
        if (auto ec = file_.fsync_dir(dir_)) throw error(ec, "fsync directory " + dir_.string());
    return removed;
}

template <class State, state_codec<State> Codec, file_policy File>
std::string snapshot_store<State, Codec, File>::encode(const snapshot_type& s) {
    // Insertion order is the file's key order; Go's layout, log_offset last.
    boost::json::object o;
    o["state"] = codec_.to_json(s.state);
    o["last_event_id"] = s.last_event_id;
    boost::json::object contexts;
    for (const auto& [name, context] : s.agent_contexts) contexts[name] = context;
    o["agent_contexts"] = std::move(contexts);
    o["saved_at"] = s.saved_at.str();
    if (s.log_offset) o["log_offset"] = *s.log_offset;
    json::detail::require_finite(o, "snapshot " + std::to_string(s.last_event_id));
    std::string out = boost::json::serialize(o);
    out += '\n';
    return out;
}

template <class State, state_codec<State> Codec, file_policy File>
boost::json::parse_options snapshot_store<State, Codec, File>::parse_options() {
    boost::json::parse_options opt;
    opt.max_depth = 256; // the default 32 is tight for a nested domain state
    return opt;
}

template <class State, state_codec<State> Codec, file_policy File>
auto snapshot_store<State, Codec, File>::convert(const boost::json::value& root, std::uint64_t id, std::string& why)
    -> std::optional<snapshot_type> {
    const auto* o = root.if_object();
    if (!o) {
        why = "not a JSON object";
        return std::nullopt;
    }

    // Cheap header checks first; converting the state is the expensive part.
    const auto* last = o->if_contains("last_event_id");
    if (!last || last->is_null()) {
        why = "missing \"last_event_id\"";
        return std::nullopt;
    }
    const auto last_id = detail::json_u64(*last);
    if (!last_id) {
        why = "\"last_event_id\" is not an unsigned integer";
        return std::nullopt;
    }
    if (*last_id != id) {
        why = "\"last_event_id\" is " + std::to_string(*last_id) + " but the file name says " + std::to_string(id);
        return std::nullopt;
    }

    const auto* saved = o->if_contains("saved_at");
    if (!saved || saved->is_null()) {
        why = "missing \"saved_at\"";
        return std::nullopt;
    }
    std::optional<timestamp> saved_at;
    if (const auto* str = saved->if_string()) saved_at = timestamp::parse(*str);
    if (!saved_at) {
        why = "\"saved_at\" is not an RFC 3339 timestamp";
        return std::nullopt;
    }

    std::optional<std::uint64_t> log_offset;
    if (const auto* off = o->if_contains("log_offset"); off && !off->is_null()) {
        log_offset = detail::json_u64(*off);
        if (!log_offset) {
            why = "\"log_offset\" is not an unsigned integer";
            return std::nullopt;
        }
    }

    // Go marshals a nil map as null; both that and absence mean "none".
    std::map<std::string, boost::json::value> contexts;
    if (const auto* ctx = o->if_contains("agent_contexts"); ctx && !ctx->is_null()) {
        const auto* obj = ctx->if_object();
        if (!obj) {
            why = "\"agent_contexts\" is not an object";
            return std::nullopt;
        }
        // Copied out of the arena, which dies with this function.
        for (const auto& kv : *obj)
            contexts.emplace(std::string(kv.key()), boost::json::value(kv.value(), boost::json::storage_ptr()));
    }

    const auto* st = o->if_contains("state");
    if (!st) {
        why = "missing \"state\"";
        return std::nullopt;
    }
    std::optional<State> state;
    try {
        state.emplace(codec_.from_json(*st));
    } catch (const boost::system::system_error& e) {
        // Boost's what() appends a source location that means nothing to a reader.
        why = "\"state\" does not convert: " + e.code().message();
        return std::nullopt;
    } catch (const std::exception& e) {
        // field_error's what() already reads `field "x.y": reason`.
        why = std::string("\"state\" does not convert: ") + e.what();
        return std::nullopt;
    }
    return snapshot_type{
        .state = std::move(*state),
        .last_event_id = *last_id,
        .log_offset = log_offset,
        .agent_contexts = std::move(contexts),
        .saved_at = *saved_at,
    };
}

template <class State, state_codec<State> Codec, file_policy File>
auto snapshot_store<State, Codec, File>::read(std::uint64_t id, std::optional<snapshot_type>& out, std::string& why)
    -> read_status {
    if constexpr (direct_state_codec<Codec, State>) {
        read_status status;
        if (read_direct(id, out, status)) return status;
    }
    return read_tree(id, out, why);
}

template <class State, state_codec<State> Codec, file_policy File>
template <class Feed>
bool snapshot_store<State, Codec, File>::read_chunks(std::uint64_t id, Feed&& feed) {
    const auto path = path_of(id);
    // Gone since the scan (a concurrent prune), or a directory that list()
    // would not have shown: neither is a snapshot.
    auto absent = [](std::error_code ec) {
        return ec == std::errc::no_such_file_or_directory || ec == std::errc::is_a_directory;
    };
    int fd = -1;
    if (auto ec = file_.open(path, O_RDONLY, 0, fd)) {
        if (absent(ec)) return false;
        throw error(ec, "read " + path.string());
    }
    struct closer {
        File& f;
        int fd;
        ~closer() { f.close(fd); }
    } close_fd{file_, fd};
    // In large chunks: the file's bytes are never all in memory next to
    // what is parsed from them.
    std::vector<char> buf(1u << 20);
    for (;;) {
        std::size_t done = 0;
        if (auto ec = file_.read(fd, buf.data(), buf.size(), done)) {
            if (absent(ec)) return false;
            throw error(ec, "read " + path.string());
        }
        if (done == 0 || !feed(buf.data(), done)) return true;
    }
}

// Without a value tree, the file is parsed as it is read, by the same
// parser with the same options as read_tree(), into the codec's reader.
// True when that settled it: a snapshot (ok) or no file (absent); false
// when the file is anything else, and read_tree() then reads it again and
// says what is wrong, so what loads and every error stay the tree path's.
// I/O errors throw as in read_tree().
template <class State, state_codec<State> Codec, file_policy File>
bool snapshot_store<State, Codec, File>::read_direct(std::uint64_t id, std::optional<snapshot_type>& out,
                                                     read_status& status)
    requires direct_state_codec<Codec, State>
{
    out.reset();
    status = read_status::absent;
    using handler = detail::direct_snapshot_handler<State, decltype(codec_.state_reader())>;
    boost::json::basic_parser<handler> parser(parse_options(), codec_.state_reader());
    boost::system::error_code pec;
    if (!read_chunks(id, [&](const char* data, std::size_t size) {
            parser.write_some(true, data, size, pec);
            return !pec;
        }))
        return true;
    if (pec) return false;
    parser.write_some(false, nullptr, 0, pec);
    if (pec) return false;
    out = parser.handler().take(id);
    status = read_status::ok;
    return out.has_value();
}

template <class State, state_codec<State> Codec, file_policy File>
auto snapshot_store<State, Codec, File>::read_tree(std::uint64_t id, std::optional<snapshot_type>& out,
                                                   std::string& why) -> read_status {
    out.reset();
    // The document lives in one arena: no allocation per node, and freed
    // at once (a state with a million entries is a million nodes). The
    // arena is reference-counted, so a from_json that keeps a plain copy of
    // some value keeps the arena alive instead of pointing into freed memory.
    boost::json::stream_parser parser({}, parse_options());
    parser.reset(boost::json::make_shared_resource<boost::json::monotonic_resource>());
    std::uint64_t fed = 0;
    boost::system::error_code pec;
    if (!read_chunks(id, [&](const char* data, std::size_t size) {
            // Once invalid, read on all the same: an I/O error still outranks it.
            if (!pec) {
                const std::size_t consumed = parser.write(data, size, pec);
                if (pec) why = "invalid JSON at byte " + std::to_string(fed + consumed) + ": " + pec.message();
            }
            fed += size;
            return true;
        }))
        return read_status::absent;
    if (!pec) {
        parser.finish(pec);
        if (pec) why = "invalid JSON at byte " + std::to_string(fed) + ": " + pec.message();
    }
    if (pec) return read_status::corrupt;
    out = convert(parser.release(), id, why);
    return out ? read_status::ok : read_status::corrupt;
}

} // namespace evlog
