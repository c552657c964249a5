// Reading a spec_state straight from the parser's events, for the snapshot
// store's direct path (evlog::direct_state_codec): what state_from_json
// reads from a value tree, without the tree.
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/error.hpp>
#include <boost/json/string_view.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_stack.hpp>
#include <boost/json/value_to.hpp>
#include <boost/system/error_code.hpp>

#include <evlog/core/detail/slot_scalars.hpp>
#include <evlog/core/json.hpp>
#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/snapshot/state_codec.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/state.hpp>
#include <evlog/spec/types.hpp>

namespace evlog::spec {

/// The core's members as state_from_json reads them (json::slot).
inline json::slot tag_invoke(json::read_member_tag, spec_core& c, std::string_view key) {
    using s = json::slot;
    if (key == "spec_id") return s::id(c.spec_id, 0);
    if (key == "title") return s::text(c.title, 1);
    if (key == "one_liner") return s::text(c.one_liner, 2);
    if (key == "goal") return s::text(c.goal, 3);
    if (key == "description") return s::optional_text(c.description, 4);
    if (key == "constraints") return s::optional_text(c.constraints, 5);
    if (key == "success_criteria") return s::optional_text(c.success_criteria, 6);
    if (key == "risks") return s::optional_text(c.risks, 7);
    if (key == "notes") return s::optional_text(c.notes, 8);
    if (key == "created_at") return s::time(c.created_at, 9);
    if (key == "updated_at") return s::time(c.updated_at, 10);
    return s::ignore();
}
constexpr std::uint32_t tag_invoke(json::required_members_tag, const spec_core*) { return json::bits({0, 9, 10}); }

namespace detail {

using evlog::detail::give_up;
using evlog::detail::slot_text;
using evlog::detail::whole;

/// A spec_state read from the events of its JSON (either layout), as
/// evlog::direct_state_codec describes: whatever state_from_json would
/// refuse, and whatever this reader cannot tell apart from that (a
/// repeated key, which the tree resolves by keeping the last; a number
/// where an integer is wanted), makes it give up, and the store then reads
/// the file through state_from_json. The pending question and inverse
/// events that do not start with a card event's "type" (Go writes "type"
/// last) are small: each is built as a value and converted as the tree
/// converts it.
class state_reader {
public:
    using error_code = boost::system::error_code;
    using string_view = boost::json::string_view;

    state_reader() { frames_.reserve(8); }

    bool complete() const noexcept { return complete_; }
    spec_state& state() noexcept { return state_; }

    bool on_object_begin(error_code& ec) {
        if (skip_) return ++skip_, true;
        if (capture_) return ++capture_, true;
        if (frames_.empty()) {
            if (complete_) return give_up(ec);
            frames_.push_back({kind::state, &state_, nullptr, json::bits({0, 5})});
            return true;
        }
        frame& f = frames_.back();
        switch (f.k) {
        case kind::transcript: push_slots(kind::slots, state_.transcript.emplace_back()); return true;
        case kind::undo:
            frames_.push_back({kind::undo_entry, &state_.undo_stack.emplace_back(), nullptr, json::bits({0})});
            return true;
        case kind::inverses:
            frames_.push_back({kind::inverse, &static_cast<std::vector<inverse_event>*>(f.target)->emplace_back()});
            return true;
        case kind::strings: return give_up(ec);
        default: break;
        }
        switch (want_) {
        case want::skip: skip_ = 1; return true;
        case want::core: push_slots(kind::slots, state_.core); return true;
        case want::cards: frames_.push_back({kind::cards, nullptr}); return true;
        case want::card:
            card_ = card{};
            push_slots(kind::card, card_);
            return true;
        case want::question: begin_capture(nullptr); return true;
        case want::slot:
            if (pending_.k == json::slot::kind::ignore) return skip_ = 1, true;
            if (pending_.k != json::slot::kind::object) return give_up(ec);
            frames_.push_back({kind::slots, pending_.target, pending_.member, pending_.required});
            return true;
        default: return give_up(ec);
        }
    }

    bool on_object_end(std::size_t n, error_code& ec) {
        if (skip_) return --skip_, true;
        if (capture_) {
            stack_->push_object(n);
            return --capture_ != 0 || take_capture() || give_up(ec);
        }
        const frame& f = frames_.back();
        if ((f.seen & f.required) != f.required) return give_up(ec); // a required member is missing
        switch (f.k) {
        case kind::state: complete_ = true; break;
        case kind::card: {
            // The key must name the card, as state_from_json checks; a
            // second card with the same id is kept out by the tree's
            // emplace, and telling which one it keeps is left to the tree.
            const auto key_id = ulid::parse(key_);
            if (!key_id || *key_id != card_.card_id) return give_up(ec);
            const auto size = state_.cards.size();
            state_.cards.emplace_hint(state_.cards.end(), card_.card_id, std::move(card_));
            if (state_.cards.size() == size) return give_up(ec);
            break;
        }
        case kind::inverse: return give_up(ec); // no "type": required
        default: break;
        }
        frames_.pop_back();
        return true;
    }

    bool on_array_begin(error_code& ec) {
        if (skip_) return ++skip_, true;
        if (capture_) return ++capture_, true;
        if (frames_.empty()) return give_up(ec);
        switch (frames_.back().k) {
        case kind::transcript:
        case kind::undo:
        case kind::inverses:
        case kind::strings: return give_up(ec); // an array where an element object or a string belongs
        default: break;
        }
        switch (want_) {
        case want::skip: skip_ = 1; return true;
        case want::transcript: frames_.push_back({kind::transcript, nullptr}); return true;
        case want::undo: frames_.push_back({kind::undo, nullptr}); return true;
        case want::inverses: frames_.push_back({kind::inverses, pending_.target}); return true;
        case want::lanes:
            state_.lanes.clear();
            frames_.push_back({kind::strings, &state_.lanes});
            return true;
        case want::slot:
            switch (pending_.k) {
            case json::slot::kind::ignore: skip_ = 1; return true;
            case json::slot::kind::text_array: frames_.push_back({kind::strings, pending_.target}); return true;
            case json::slot::kind::patch_text_array: {
                scratch_.clear();
                frame f{kind::strings, &scratch_};
                f.patch = static_cast<json::patch<std::vector<std::string>>*>(pending_.target);
                frames_.push_back(f);
                return true;
            }
            default: return give_up(ec);
            }
        default: return give_up(ec);
        }
    }

    bool on_array_end(std::size_t n, error_code& ec) {
        if (skip_) return --skip_, true;
        if (capture_) return stack_->push_array(n), --capture_, true;
        const frame& f = frames_.back();
        if (f.patch) *f.patch = json::patch<std::vector<std::string>>::set(std::move(scratch_));
        frames_.pop_back();
        (void)ec;
        return true;
    }

    bool on_key_part(string_view s, std::size_t, error_code&) {
        if (skip_) return true;
        if (capture_) return stack_->push_chars(s), true;
        part_.append(s.data(), s.size());
        return true;
    }

    bool on_key(string_view s, std::size_t, error_code& ec) {
        if (skip_) return true;
        if (capture_) return stack_->push_key(s), true;
        const std::string_view key = whole(part_, s);
        frame& f = frames_.back();
        int bit = -1;
        switch (f.k) {
        case kind::state: bit = state_member(key); break;
        case kind::cards:
            key_.assign(key);
            want_ = want::card;
            break;
        case kind::undo_entry: {
            auto& e = *static_cast<undo_entry*>(f.target);
            if (key == "event_id") {
                want_ = want::slot;
                pending_ = json::slot::unsigned_int(e.event_id, 0);
                bit = 0;
            } else if (key == "inverse") {
                want_ = want::inverses;
                pending_.target = &e.inverse;
                bit = 1;
            } else {
                skip_next();
            }
            break;
        }
        case kind::inverse:
            if (key != "type") {
                // Go writes "type" last: the tree reads this event.
                begin_capture(static_cast<inverse_event*>(f.target));
                frames_.pop_back();
                stack_->push_key(key);
                part_.clear();
                return true;
            }
            want_ = want::inverse_type;
            break;
        case kind::payload:
            if (key == "type") return give_up(ec); // a second "type"
            [[fallthrough]];
        case kind::slots:
        case kind::card:
            f.member(f.target, key, pending_);
            if (pending_.k == json::slot::kind::fail) return give_up(ec);
            want_ = want::slot;
            bit = pending_.bit;
            break;
        default: return give_up(ec);
        }
        part_.clear();
        if (bit > 31) return give_up(ec);
        if (bit >= 0) {
            const std::uint32_t b = std::uint32_t{1} << bit;
            if (f.seen & b) return give_up(ec); // repeated: the tree keeps the last one
            f.seen |= b;
        }
        return true;
    }

    bool on_string_part(string_view s, std::size_t, error_code&) {
        if (skip_) return true;
        if (capture_) return stack_->push_chars(s), true;
        part_.append(s.data(), s.size());
        return true;
    }

    bool on_string(string_view s, std::size_t, error_code& ec) {
        if (skip_) return true;
        if (capture_) return stack_->push_string(s), true;
        const std::string_view v = whole(part_, s);
        const bool ok = string_value(v);
        part_.clear();
        return ok || give_up(ec);
    }

    bool on_int64(std::int64_t i, string_view, error_code& ec) {
        if (skip_) return true;
        if (capture_) return stack_->push_int64(i), true;
        return (scalar_member() && evlog::detail::slot_int64(pending_, i)) || give_up(ec);
    }

    bool on_uint64(std::uint64_t u, string_view, error_code& ec) {
        if (skip_) return true;
        if (capture_) return stack_->push_uint64(u), true;
        return (scalar_member() && evlog::detail::slot_uint64(pending_, u)) || give_up(ec);
    }

    bool on_double(double d, string_view, error_code& ec) {
        if (skip_) return true;
        if (capture_) return stack_->push_double(d), true;
        return (scalar_member() && evlog::detail::slot_double(pending_, d)) || give_up(ec);
    }

    bool on_bool(bool b, error_code& ec) {
        if (skip_) return true;
        if (capture_) return stack_->push_bool(b), true;
        return (scalar_member() && pending_.k == json::slot::kind::ignore) || give_up(ec);
    }

    bool on_null(error_code& ec) {
        if (skip_) return true;
        if (capture_) return stack_->push_null(), true;
        if (frames_.empty()) return give_up(ec);
        switch (frames_.back().k) {
        case kind::transcript:
        case kind::undo:
        case kind::inverses:
        case kind::strings: return give_up(ec); // a null element does not convert
        default: break;
        }
        switch (want_) {
        case want::skip:       // an unknown member
        case want::cards:      // absent and null: no cards
        case want::transcript: // read_array: null is empty
        case want::undo:
        case want::inverses:
        case want::lanes:      // null keeps the default lanes
        case want::question:   // null is no question
            return true;
        case want::slot: break;
        default: return give_up(ec);
        }
        return evlog::detail::slot_null(pending_) || give_up(ec);
    }

private:
    enum class kind : std::uint8_t {
        state,      ///< the state object
        slots,      ///< an object read through json::slot (core, message, card_created's card)
        card,       ///< a card under its key in "cards", read through json::slot
        payload,    ///< an inverse event after its "type", read through json::slot
        cards,      ///< the "cards" object
        transcript, ///< the "transcript" array
        undo,       ///< the "undo_stack" array
        undo_entry, ///< one entry of it
        inverses,   ///< an entry's "inverse" array
        inverse,    ///< one inverse event before its "type"
        strings,    ///< an array of strings
    };
    /// What the value after the last key goes into.
    enum class want : std::uint8_t { skip, slot, core, cards, card, transcript, question, undo, inverses, lanes,
                                     inverse_type };

    struct frame {
        kind k;
        void* target;
        void (*member)(void*, std::string_view, json::slot&) = nullptr;
        std::uint32_t required = 0, seen = 0;
        json::patch<std::vector<std::string>>* patch = nullptr; ///< strings: set from scratch_ at the end
    };



    template <class T>
    void push_slots(kind k, T& target) {
        const json::slot s = json::slot::object(target, 0);
        frames_.push_back({k, &target, s.member, s.required});
    }

    /// An unknown member: its value, whatever it is, is skipped. pending_
    /// says so too, for the scalar handlers that read only pending_.
    void skip_next() {
        want_ = want::skip;
        pending_ = json::slot::ignore();
    }

    /// Whether a scalar now is the value of a member (not an array element).
    bool scalar_member() const {
        if (frames_.empty()) return false;
        switch (frames_.back().k) {
        case kind::transcript:
        case kind::undo:
        case kind::inverses:
        case kind::strings: return false;
        default: return want_ == want::slot || want_ == want::skip;
        }
    }

    int state_member(std::string_view key) {
        if (key == "core") return want_ = want::core, 0;
        if (key == "cards") return want_ = want::cards, 1;
        if (key == "transcript") return want_ = want::transcript, 2;
        if (key == "pending_question") return want_ = want::question, 3;
        if (key == "undo_stack") return want_ = want::undo, 4;
        if (key == "last_event_id") {
            want_ = want::slot;
            pending_ = json::slot::unsigned_int(state_.last_event_id, 5);
            return 5;
        }
        if (key == "lanes") return want_ = want::lanes, 6;
        skip_next();
        return -1;
    }

    bool string_value(std::string_view v) {
        if (frames_.empty()) return false;
        frame& f = frames_.back();
        if (f.k == kind::strings) {
            static_cast<std::vector<std::string>*>(f.target)->emplace_back(v);
            return true;
        }
        if (f.k == kind::transcript || f.k == kind::undo || f.k == kind::inverses) return false;
        switch (want_) {
        case want::skip: return true;
        case want::inverse_type: return select_inverse(f, v);
        case want::slot: break;
        default: return false;
        }
        if (slot_text(pending_, v)) return true;
        void* t = pending_.target;
        switch (pending_.k) {
        case json::slot::kind::id: {
            const auto u = ulid::parse(v);
            if (!u) return false;
            *static_cast<ulid*>(t) = *u;
            return true;
        }
        case json::slot::kind::time: {
            const auto ts = timestamp::parse(v);
            if (!ts) return false;
            *static_cast<timestamp*>(t) = *ts;
            return true;
        }
        default: return false;
        }
    }

    /// The inverse event's "type", its first key: a card event is read
    /// through its slots from here on; any other type the tree reads, as
    /// it keeps the event as raw JSON.
    bool select_inverse(frame& f, std::string_view type) {
        auto& e = *static_cast<inverse_event*>(f.target);
        if (type == card_created::wire_type) return select<card_created>(f, e);
        if (type == card_updated::wire_type) return select<card_updated>(f, e);
        if (type == card_moved::wire_type) return select<card_moved>(f, e);
        if (type == card_deleted::wire_type) return select<card_deleted>(f, e);
        begin_capture(&e);
        frames_.pop_back();
        stack_->push_key("type");
        stack_->push_string(type);
        return true;
    }
    template <class P>
    bool select(frame& f, inverse_event& e) {
        P& p = e.payload.emplace<P>();
        const json::slot s = json::slot::object(p, 0);
        f = {kind::payload, &p, s.member, s.required};
        return true;
    }

    /// From inside an object (its begin already seen) to its end, the
    /// events build a value as the tree's parser builds it, and
    /// take_capture() converts it as state_from_json does: for the
    /// pending question (`inverse` null) and for inverse events this reader
    /// does not read itself. Both are small.
    void begin_capture(inverse_event* inverse) {
        capture_ = 1;
        capture_inverse_ = inverse;
        if (!stack_) stack_ = std::make_unique<boost::json::value_stack>();
        stack_->reset();
    }

    bool take_capture() {
        try {
            const boost::json::value v = stack_->release();
            if (capture_inverse_) *capture_inverse_ = boost::json::value_to<inverse_event>(v);
            else state_.pending_question = boost::json::value_to<question>(v);
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }

    spec_state state_;
    bool complete_ = false;
    std::vector<frame> frames_;
    want want_ = want::skip;
    json::slot pending_;
    int skip_ = 0;                     // depth inside an ignored value
    int capture_ = 0;                  // depth inside a captured object
    inverse_event* capture_inverse_ = nullptr;
    // pending_question, built as the tree builds it; on the heap, as a
    // value_stack cannot move and readers are handed over by value.
    std::unique_ptr<boost::json::value_stack> stack_;
    card card_;                        // the card being read under key_
    std::string key_;
    std::string part_;                 // a key or string delivered in parts
    std::vector<std::string> scratch_; // a patch's array being read
};

} // namespace detail

/// The direct reader the snapshot store uses for spec_state (see
/// evlog::state_reader_tag).
inline detail::state_reader tag_invoke(evlog::state_reader_tag, const spec_state*) { return {}; }

} // namespace evlog::spec
