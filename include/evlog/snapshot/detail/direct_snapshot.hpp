// Reading a snapshot file without a value tree, for codecs with a direct
// state reader (direct_state_codec). See snapshot_store::read().
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <boost/json/array.hpp>
#include <boost/json/error.hpp>
#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/string.hpp>
#include <boost/json/string_view.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/system/error_code.hpp>

#include <evlog/core/detail/slot_scalars.hpp>
#include <evlog/core/time.hpp>
#include <evlog/snapshot/snapshot.hpp>

namespace evlog::detail {

/// A boost::json::basic_parser handler for a whole snapshot file: it reads
/// the envelope (`last_event_id`, `saved_at`, `log_offset`,
/// `agent_contexts`) itself and hands every event of the value under
/// "state" to the codec's Reader. It accepts only what the value-tree path
/// (snapshot_store::convert) accepts, with the same values; on anything
/// else, or anything it cannot tell (a repeated key: the tree keeps the
/// last), it stops the parse and the store reads the file through the tree,
/// which words the error.
template <class State, class Reader>
class direct_snapshot_handler : public value_tree_limits {
public:

    explicit direct_snapshot_handler(Reader reader) : reader_(std::move(reader)) {}

    /// After the parse succeeded: the snapshot, or nullopt when the file
    /// lacks something the tree path requires or names another id.
    std::optional<snapshot<State>> take(std::uint64_t id) {
        if (!root_done_ || !(seen_ & bit(member::state)) || !reader_.complete()) return std::nullopt;
        if (!last_id_ || *last_id_ != id || !saved_at_) return std::nullopt;
        return snapshot<State>{
            .state = std::move(reader_.state()),
            .last_event_id = *last_id_,
            .log_offset = log_offset_,
            .agent_contexts = std::move(contexts_),
            .saved_at = *saved_at_,
        };
    }

    bool on_document_begin(error_code&) { return true; }
    bool on_document_end(error_code& ec) { return root_done_ || stop(ec); }

    bool on_object_begin(error_code& ec) {
        switch (where_) {
        case at::state: return ++depth_, reader_.on_object_begin(ec) || stop(ec);
        case at::contexts: return ++depth_, true;
        case at::skip: return ++depth_, true;
        case at::root: break;
        }
        if (!in_root_) {
            if (root_done_) return stop(ec);
            in_root_ = true;
            return true;
        }
        switch (pending_) {
        case member::state: return enter(at::state), reader_.on_object_begin(ec) || stop(ec);
        case member::agent_contexts: return enter(at::contexts), stack_.reset(), true;
        case member::other: return enter(at::skip), true;
        default: return stop(ec);
        }
    }
    bool on_object_end(std::size_t n, error_code& ec) {
        switch (where_) {
        case at::state: return reader_.on_object_end(n, ec) ? (leave(), true) : stop(ec);
        case at::contexts:
            stack_.push_object(n);
            if (--depth_ == 0) {
                where_ = at::root;
                return take_contexts();
            }
            return true;
        case at::skip: return leave(), true;
        case at::root: break;
        }
        in_root_ = false;
        root_done_ = true;
        return true;
    }
    bool on_array_begin(error_code& ec) {
        switch (where_) {
        case at::state: return ++depth_, reader_.on_array_begin(ec) || stop(ec);
        case at::contexts: return ++depth_, true;
        case at::skip: return ++depth_, true;
        case at::root: break;
        }
        if (!in_root_) return stop(ec); // not an object
        switch (pending_) {
        case member::state: return enter(at::state), reader_.on_array_begin(ec) || stop(ec);
        case member::other: return enter(at::skip), true;
        default: return stop(ec);
        }
    }
    bool on_array_end(std::size_t n, error_code& ec) {
        switch (where_) {
        case at::state: return reader_.on_array_end(n, ec) ? (leave(), true) : stop(ec);
        case at::contexts: return stack_.push_array(n), --depth_, true;
        case at::skip: return leave(), true;
        case at::root: return stop(ec); // cannot happen: arrays are entered above
        }
        return stop(ec);
    }

    bool on_key_part(string_view s, std::size_t n, error_code& ec) {
        switch (where_) {
        case at::state: return reader_.on_key_part(s, n, ec) || stop(ec);
        case at::contexts: return stack_.push_chars(s), true;
        case at::skip: return true;
        case at::root: return part_.append(s.data(), s.size()), true;
        }
        return stop(ec);
    }
    bool on_key(string_view s, std::size_t n, error_code& ec) {
        switch (where_) {
        case at::state: return reader_.on_key(s, n, ec) || stop(ec);
        case at::contexts: return stack_.push_key(s), true;
        case at::skip: return true;
        case at::root: break;
        }
        std::string_view key(s.data(), s.size());
        if (!part_.empty()) key = part_.append(s.data(), s.size());
        pending_ = key == "state"            ? member::state
                   : key == "last_event_id"  ? member::last_event_id
                   : key == "saved_at"       ? member::saved_at
                   : key == "log_offset"     ? member::log_offset
                   : key == "agent_contexts" ? member::agent_contexts
                                             : member::other;
        part_.clear();
        if (pending_ == member::other) return true;
        if (seen_ & bit(pending_)) return stop(ec); // repeated: the tree keeps the last one
        seen_ |= bit(pending_);
        return true;
    }

    bool on_string_part(string_view s, std::size_t n, error_code& ec) {
        switch (where_) {
        case at::state: return reader_.on_string_part(s, n, ec) || stop(ec);
        case at::contexts: return stack_.push_chars(s), true;
        case at::skip: return true;
        case at::root:
            if (pending_ == member::state) return reader_.on_string_part(s, n, ec) || stop(ec);
            return part_.append(s.data(), s.size()), true;
        }
        return stop(ec);
    }
    bool on_string(string_view s, std::size_t n, error_code& ec) {
        switch (where_) {
        case at::state: return reader_.on_string(s, n, ec) || stop(ec);
        case at::contexts: return stack_.push_string(s), true;
        case at::skip: return true;
        case at::root: break;
        }
        std::string_view v(s.data(), s.size());
        if (!part_.empty()) v = part_.append(s.data(), s.size());
        bool ok = false;
        switch (pending_) {
        case member::state: ok = reader_.on_string(s, n, ec); break;
        case member::saved_at: ok = (saved_at_ = timestamp::parse(v)).has_value(); break;
        case member::other: ok = in_root_; break;
        default: break;
        }
        part_.clear();
        return ok || stop(ec);
    }

    bool on_number_part(string_view, error_code&) { return true; }
    bool on_int64(std::int64_t i, string_view s, error_code& ec) {
        if (state_value()) return reader_.on_int64(i, s, ec) || stop(ec);
        if (i < 0) return number(std::nullopt, ec, [&] { return stack_.push_int64(i); });
        return number(static_cast<std::uint64_t>(i), ec, [&] { return stack_.push_int64(i); });
    }
    bool on_uint64(std::uint64_t u, string_view s, error_code& ec) {
        if (state_value()) return reader_.on_uint64(u, s, ec) || stop(ec);
        return number(u, ec, [&] { return stack_.push_uint64(u); });
    }
    bool on_double(double d, string_view s, error_code& ec) {
        if (state_value()) return reader_.on_double(d, s, ec) || stop(ec);
        return number(std::nullopt, ec, [&] { return stack_.push_double(d); });
    }
    bool on_bool(bool b, error_code& ec) {
        if (state_value()) return reader_.on_bool(b, ec) || stop(ec);
        return other_scalar(ec, [&] { return stack_.push_bool(b); });
    }
    bool on_null(error_code& ec) {
        if (state_value()) return reader_.on_null(ec) || stop(ec);
        if (where_ == at::root && in_root_) {
            switch (pending_) {
            case member::log_offset:     // null is unknown, as when absent
            case member::agent_contexts: // Go's nil map
            case member::other: return true;
            default: return stop(ec);    // the tree treats null as missing
            }
        }
        return other_scalar(ec, [&] { return stack_.push_null(); });
    }
    bool on_comment_part(string_view, error_code&) { return true; }
    bool on_comment(string_view, error_code&) { return true; }

private:
    enum class at : std::uint8_t { root, state, contexts, skip };
    enum class member : std::uint8_t { state, last_event_id, saved_at, log_offset, agent_contexts, other };

    static constexpr std::uint32_t bit(member m) { return std::uint32_t{1} << static_cast<int>(m); }

    static bool stop(error_code& ec) {
        ec = boost::json::error::syntax; // any error: the store reads the file through the tree
        return false;
    }

    void enter(at where) {
        where_ = where;
        depth_ = 1;
    }
    void leave() {
        if (--depth_ == 0) where_ = at::root;
    }

    /// Whether a value starting now belongs to the reader: inside the
    /// state, or the state itself (then a scalar, as objects and arrays
    /// enter at::state). Only value events ask: after the state the next
    /// event at the root is a key or the root's end.
    bool state_value() const { return where_ == at::state || (where_ == at::root && pending_ == member::state); }

    /// A number in the envelope: `value` is it as json_u64 reads it.
    template <class Push>
    bool number(std::optional<std::uint64_t> value, error_code& ec, Push push) {
        if (where_ == at::contexts) return push(), true;
        if (where_ == at::skip) return true;
        if (!in_root_) return stop(ec); // the document is a number
        switch (pending_) {
        case member::last_event_id:
            if (!value) return stop(ec);
            last_id_ = value;
            return true;
        case member::log_offset:
            if (!value) return stop(ec);
            log_offset_ = value;
            return true;
        case member::other: return true;
        default: return stop(ec);
        }
    }

    template <class Push>
    bool other_scalar(error_code& ec, Push push) {
        if (where_ == at::contexts) return push(), true;
        if (where_ == at::skip) return true;
        return (in_root_ && pending_ == member::other) || stop(ec);
    }

    /// agent_contexts as the tree path copies them out: the object built by
    /// the same value_stack calls as the parser's, so duplicate keys
    /// collapse the same way.
    bool take_contexts() {
        const boost::json::value v = stack_.release();
        for (const auto& kv : v.get_object()) contexts_.emplace(std::string(kv.key()), kv.value());
        return true;
    }

    Reader reader_;
    at where_ = at::root;
    std::size_t depth_ = 0; // inside the value being handed on, captured or skipped
    bool in_root_ = false, root_done_ = false;
    member pending_ = member::other; // the value after the last top-level key
    std::uint32_t seen_ = 0;         // bits of the top-level keys seen
    std::string part_;               // a top-level key or string delivered in parts
    boost::json::value_stack stack_;
    std::optional<std::uint64_t> last_id_, log_offset_;
    std::optional<timestamp> saved_at_;
    std::map<std::string, boost::json::value> contexts_;
};

} // namespace evlog::detail
