// The fold: how each spec event changes a spec_state. The rules reproduce
// the state the Go daemon recovers from the same log (the fixtures'
// expected_state.json), except where docs/compat.md says otherwise.
#pragma once

#include <algorithm>
#include <optional>
#include <type_traits>
#include <utility>
#include <variant>

#include <evlog/core/event.hpp>
#include <evlog/spec/message_id.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/state.hpp>

namespace evlog::spec {

namespace detail {

/// The card operations, shared by card events and by the inverse events of
/// UndoApplied. Each returns what would undo it, or nullopt when the card
/// it names does not exist (then it changes nothing).
class card_ops {
public:
    card_ops(spec_state& s, timestamp time) : s_(s), time_(time) {}

    /// The card goes in as written, its own timestamps and authors included.
    std::optional<inverse_event> operator()(const card_created& p) {
        s_.cards.insert_or_assign(p.card.card_id, p.card);
        s_.card_ranks.created(p.card.card_id);
        return inverse_event{card_deleted{p.card.card_id, std::nullopt}};
    }

    /// The inverse holds the old value of each field the update sets; an
    /// old body that was absent comes back as null, which clears it.
    std::optional<inverse_event> operator()(const card_updated& p) {
        card* c = find(p.card_id);
        if (!c) return std::nullopt;
        card_updated inv;
        inv.card_id = p.card_id;
        if (p.title.has_value()) {
            inv.title = json::patch<std::string>::set(std::exchange(c->title, p.title.value()));
        }
        if (!p.body.absent()) {
            inv.body = c->body ? json::patch<std::string>::set(*c->body) : json::patch<std::string>::clear();
            c->body = p.body.has_value() ? std::optional<std::string>(p.body.value()) : std::nullopt;
        }
        if (p.card_type.has_value()) {
            inv.card_type = json::patch<std::string>::set(std::exchange(c->card_type, p.card_type.value()));
        }
        if (p.refs.has_value()) {
            inv.refs = json::patch<std::vector<std::string>>::set(std::exchange(c->refs, p.refs.value()));
        }
        if (p.updated_by.has_value()) c->updated_by = p.updated_by.value();
        c->updated_at = time_;
        return inverse_event{std::move(inv)};
    }

    std::optional<inverse_event> operator()(const card_moved& p) {
        card* c = find(p.card_id);
        if (!c) return std::nullopt;
        card_moved inv{p.card_id, std::exchange(c->lane, p.lane), std::exchange(c->order, p.order), std::nullopt};
        if (p.updated_by) c->updated_by = *p.updated_by;
        c->updated_at = time_;
        return inverse_event{std::move(inv)};
    }

    /// Undone by re-creating the card exactly as it was.
    std::optional<inverse_event> operator()(const card_deleted& p) {
        auto it = s_.cards.find(p.card_id);
        if (it == s_.cards.end()) return std::nullopt;
        inverse_event inv{card_created{std::move(it->second)}};
        s_.cards.erase(it);
        s_.card_ranks.deleted(p.card_id);
        return inv;
    }

    /// An inverse of a type this build does not know: nothing to apply.
    std::optional<inverse_event> operator()(const unknown_payload&) { return std::nullopt; }

private:
    card* find(const ulid& id) {
        auto it = s_.cards.find(id);
        return it == s_.cards.end() ? nullptr : &it->second;
    }

    spec_state& s_;
    timestamp time_;
};

class reducer {
public:
    reducer(spec_state& s, const spec_event& e) : s_(s), e_(e) {}

    /// Sets core.created_at and core.updated_at to the event's time.
    void operator()(const spec_created& p) {
        s_.core.spec_id = e_.stream;
        s_.core.title = p.title;
        s_.core.one_liner = p.one_liner;
        s_.core.goal = p.goal;
        s_.core.created_at = e_.time;
        s_.core.updated_at = e_.time;
    }

    /// Only this event moves core.updated_at, even when it changes nothing.
    void operator()(const spec_core_updated& p) {
        auto& c = s_.core;
        if (p.title.has_value()) c.title = p.title.value();
        if (p.one_liner.has_value()) c.one_liner = p.one_liner.value();
        if (p.goal.has_value()) c.goal = p.goal.value();
        if (p.description.has_value()) c.description = p.description.value();
        if (p.constraints.has_value()) c.constraints = p.constraints.value();
        if (p.success_criteria.has_value()) c.success_criteria = p.success_criteria.value();
        if (p.risks.has_value()) c.risks = p.risks.value();
        if (p.notes.has_value()) c.notes = p.notes.value();
        c.updated_at = e_.time;
    }

    /// A card event pushes its inverse on the undo stack, unless it named a
    /// card that does not exist.
    template <class P>
        requires std::is_same_v<P, card_created> || std::is_same_v<P, card_updated> ||
                 std::is_same_v<P, card_moved> || std::is_same_v<P, card_deleted>
    void operator()(const P& p) {
        if (auto inv = card_ops(s_, e_.time)(p)) s_.undo_stack.push_back(undo_entry{e_.id, {std::move(*inv)}});
    }

    void operator()(const transcript_appended& p) { s_.transcript.push_back(p.message); }

    void operator()(const question_asked& p) { s_.pending_question = p.question; }

    /// The answer joins the transcript as a human chat message whose id is
    /// the question's. Only an answer to the pending question clears it.
    void operator()(const question_answered& p) {
        s_.transcript.push_back(transcript_message{p.question_id, "human", p.answer, "Chat", e_.time});
        if (s_.pending_question && s_.pending_question->question_id() == p.question_id)
            s_.pending_question.reset();
    }

    void operator()(const agent_step_started& p) { step(p.agent_id, p.description, "StepStarted"); }
    void operator()(const agent_step_finished& p) { step(p.agent_id, p.diff_summary, "StepFinished"); }

    /// Applies the event's own inverse events (stamped with this event's
    /// time, pushing nothing), then drops the undo entry of the target
    /// event. Go pops the top entry whatever the target; see docs/compat.md.
    void operator()(const undo_applied& p) {
        card_ops ops(s_, e_.time);
        for (const auto& inv : p.inverse_events) std::visit(ops, inv.payload);
        auto& stack = s_.undo_stack;
        auto it = std::find_if(stack.rbegin(), stack.rend(),
                               [&](const undo_entry& u) { return u.event_id == p.target_event_id; });
        if (it != stack.rend()) stack.erase(std::next(it).base());
    }

    void operator()(const snapshot_written&) {}
    void operator()(const unknown_payload&) {}

private:
    void step(const std::string& agent, const std::string& text, const char* kind) {
        s_.transcript.push_back(
            transcript_message{derive_message_id(e_.stream, e_.id, e_.time), agent, text, kind, e_.time});
    }

    spec_state& s_;
    const spec_event& e_;
};

} // namespace detail

/// Folds one event into `s`. The caller replays in log order.
///
/// - An unknown payload changes nothing, not even last_event_id; the
///   caller counts those (replay_report::unknown).
/// - An event at or below `s.last_event_id` is already folded in and is
///   ignored, so a whole log can be replayed over a snapshot's state.
/// - Otherwise `s.last_event_id` becomes the event's id.
inline void apply(spec_state& s, const spec_event& e) {
    if (e.is_unknown() || e.id <= s.last_event_id) return;
    std::visit(detail::reducer(s, e), e.payload);
    s.last_event_id = e.id;
}

} // namespace evlog::spec
