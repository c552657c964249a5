// The spec store's index.db: the Go daemon's SQLite schema as an
// evlog::sqlite_index projection, its two list queries, and the recovery
// config that keeps index.db in step with the log.
//
//   specs(spec_id, title, one_liner, goal, updated_at)
//   cards(card_id, spec_id, card_type, title, body, lane, sort_order,
//         created_by, updated_at)
//   meta(key, value)                         -- key 'last_event_id'
//
// Times in the index are RFC 3339 in whole seconds (`2026-01-15T10:00:37Z`),
// as the Go code writes them; the log and snapshots keep nanoseconds.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/spec/payloads.hpp>
#include <evlog/spec/store.hpp>
#include <evlog/spec/types.hpp>
#include <evlog/sqlite/connection.hpp>
#include <evlog/sqlite/sqlite_index.hpp>

namespace evlog::spec {

/// A time as the index stores it: RFC 3339, UTC, the fraction cut off.
inline std::string index_time(const timestamp& t) {
    std::string s = t.str();
    if (auto dot = s.find('.'); dot != std::string::npos) s.erase(dot, s.size() - 1 - dot);
    return s;
}

/// How each spec event changes the index rows. Card events (and the
/// inverse events of UndoApplied) follow the reducer's rules, so the rows
/// always equal the folded state's cards: an event naming a missing card
/// changes nothing, and a CardUpdated body that is null clears it.
struct spec_projection {
    using event_type = spec_event;

    static std::vector<std::string_view> migrations() {
        // IF NOT EXISTS: an index.db written by the Go daemon has these
        // tables already (and user_version 0).
        return {
            "CREATE TABLE IF NOT EXISTS specs(spec_id TEXT PRIMARY KEY, title TEXT NOT NULL, "
            "one_liner TEXT NOT NULL, goal TEXT NOT NULL, updated_at TEXT NOT NULL);"
            "CREATE TABLE IF NOT EXISTS cards(card_id TEXT PRIMARY KEY, spec_id TEXT NOT NULL, "
            "card_type TEXT NOT NULL, title TEXT NOT NULL, body TEXT, lane TEXT NOT NULL, "
            "sort_order REAL NOT NULL, created_by TEXT NOT NULL, updated_at TEXT NOT NULL);"
            "CREATE INDEX IF NOT EXISTS cards_by_spec ON cards(spec_id, sort_order, card_id);",
        };
    }

    static void apply(sqlite::connection& db, const event_type& e) { std::visit(row_writer{db, e}, e.payload); }

    static void clear(sqlite::connection& db) {
        db.exec("DELETE FROM cards");
        db.exec("DELETE FROM specs");
    }

    // A full rebuild (sqlite::folding_projection): the events folded into
    // the rows they leave, by the same rules as apply() and its SQL, then
    // written once. Cards are written in the order of their last INSERT
    // OR REPLACE, which is the rowid order list_cards sorts ties by.

    struct spec_row {
        std::string title, one_liner, goal, updated_at;
    };
    struct card_row {
        std::string spec_id, card_type, title;
        std::optional<std::string> body;
        std::string lane;
        double sort_order = 0;
        std::string created_by, updated_at;
        std::uint64_t inserted = 0; ///< when it was last (re)inserted: its rowid order
    };
    struct rows_type {
        std::map<std::string, spec_row> specs;
        std::unordered_map<ulid, card_row> cards;
        std::uint64_t inserts = 0;
    };

    static void fold(rows_type& rows, const event_type& e) { std::visit(row_folder{rows, e}, e.payload); }

    /// The rows that folding the events of `s` leaves, from the state
    /// itself: for a log that starts after a snapshot, whose events alone
    /// would leave out the snapshot's cards. Cards are inserted in the order
    /// the fold (re)created them (created_before), as a rebuild does.
    static rows_type rows_of(const spec_state& s) {
        rows_type rows;
        if (s.core.created_at != timestamp{})
            rows.specs[s.core.spec_id.str()] = {s.core.title, s.core.one_liner, s.core.goal,
                                                 index_time(s.core.updated_at)};
        std::vector<const card*> order;
        order.reserve(s.cards.size());
        for (const auto& [id, c] : s.cards) order.push_back(&c);
        std::sort(order.begin(), order.end(), [&s](const card* a, const card* b) { return created_before(s, *a, *b); });
        for (const card* c : order)
            rows.cards[c->card_id] = {s.core.spec_id.str(), c->card_type, c->title,    c->body,
                                      c->lane,              c->order,     c->created_by, index_time(c->updated_at),
                                      ++rows.inserts};
        return rows;
    }

    static void write(sqlite::connection& db, const rows_type& rows) {
        for (const auto& [id, r] : rows.specs)
            insert_spec(db, id, r.title, r.one_liner, r.goal, r.updated_at);
        std::vector<std::pair<const ulid*, const card_row*>> order;
        order.reserve(rows.cards.size());
        for (const auto& [id, r] : rows.cards) order.emplace_back(&id, &r);
        std::sort(order.begin(), order.end(), [](const auto& a, const auto& b) { return a.second->inserted < b.second->inserted; });
        for (const auto& [id, r] : order)
            insert_card(db, *id, r->spec_id, r->card_type, r->title, r->body, r->lane, r->sort_order, r->created_by,
                        r->updated_at);
    }

private:
    static void insert_spec(sqlite::connection& db, std::string_view spec_id, std::string_view title,
                            std::string_view one_liner, std::string_view goal, std::string_view updated_at) {
        db.cached("INSERT OR REPLACE INTO specs(spec_id, title, one_liner, goal, updated_at) "
                  "VALUES(?1, ?2, ?3, ?4, ?5)")
            .bind(1, spec_id)
            .bind(2, title)
            .bind(3, one_liner)
            .bind(4, goal)
            .bind(5, updated_at)
            .run();
    }

    static void insert_card(sqlite::connection& db, const ulid& card_id, std::string_view spec_id,
                            std::string_view card_type, std::string_view title, const std::optional<std::string>& body,
                            std::string_view lane, double sort_order, std::string_view created_by,
                            std::string_view updated_at) {
        char id[26];
        card_id.write(id);
        db.cached("INSERT OR REPLACE INTO cards(card_id, spec_id, card_type, title, body, lane, sort_order, "
                  "created_by, updated_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
            .bind(1, std::string_view(id, 26))
            .bind(2, spec_id)
            .bind(3, card_type)
            .bind(4, title)
            .bind(5, body)
            .bind(6, lane)
            .bind(7, sort_order)
            .bind(8, created_by)
            .bind(9, updated_at)
            .run();
    }

    /// Sends the card events, and each card operation an undo carries, to
    /// Derived::card_op; the rest to Derived's own operator().
    template <class Derived>
    struct card_dispatch {
        void operator()(const card_created& p) const { self().card_op(p); }
        void operator()(const card_updated& p) const { self().card_op(p); }
        void operator()(const card_moved& p) const { self().card_op(p); }
        void operator()(const card_deleted& p) const { self().card_op(p); }
        void operator()(const undo_applied& p) const {
            for (const auto& inv : p.inverse_events)
                std::visit([this](const auto& op) { self().card_op(op); }, inv.payload);
        }
        template <class P>
        void operator()(const P&) const {} // no rows: transcript, questions, agent steps, unknown

    private:
        const Derived& self() const { return static_cast<const Derived&>(*this); }
    };

    /// apply()'s rules on rows in memory.
    struct row_folder : card_dispatch<row_folder> {
        row_folder(rows_type& r, const event_type& ev) : rows(r), e(ev) {}
        rows_type& rows;
        const event_type& e;
        using card_dispatch<row_folder>::operator();

        void operator()(const spec_created& p) const {
            rows.specs[e.stream.str()] = {p.title, p.one_liner, p.goal, index_time(e.time)};
        }
        void operator()(const spec_core_updated& p) const {
            auto it = rows.specs.find(e.stream.str());
            if (it == rows.specs.end()) return;
            if (p.title.has_value()) it->second.title = p.title.value();
            if (p.one_liner.has_value()) it->second.one_liner = p.one_liner.value();
            if (p.goal.has_value()) it->second.goal = p.goal.value();
            it->second.updated_at = index_time(e.time);
        }
        card_row* find(const ulid& id) const {
            auto it = rows.cards.find(id);
            return it == rows.cards.end() ? nullptr : &it->second;
        }
        void card_op(const card_created& p) const {
            const card& c = p.card;
            rows.cards[c.card_id] = {e.stream.str(), c.card_type, c.title, c.body, c.lane, c.order,
                                     c.created_by, index_time(c.updated_at), ++rows.inserts};
        }
        void card_op(const card_updated& p) const {
            card_row* r = find(p.card_id);
            if (!r) return;
            if (p.title.has_value()) r->title = p.title.value();
            if (p.card_type.has_value()) r->card_type = p.card_type.value();
            r->updated_at = index_time(e.time);
            if (!p.body.absent()) r->body = p.body.has_value() ? std::optional<std::string>(p.body.value()) : std::nullopt;
        }
        void card_op(const card_moved& p) const {
            card_row* r = find(p.card_id);
            if (!r) return;
            r->lane = p.lane;
            r->sort_order = p.order;
            r->updated_at = index_time(e.time);
        }
        void card_op(const card_deleted& p) const { rows.cards.erase(p.card_id); }
        void card_op(const unknown_payload&) const {}
    };

    struct row_writer : card_dispatch<row_writer> {
        row_writer(sqlite::connection& d, const event_type& ev) : db(d), e(ev) {}
        sqlite::connection& db;
        const event_type& e;
        using card_dispatch<row_writer>::operator();

        void operator()(const spec_created& p) const {
            insert_spec(db, e.stream.str(), p.title, p.one_liner, p.goal, index_time(e.time));
        }
        void operator()(const spec_core_updated& p) const {
            db.cached("UPDATE specs SET title = COALESCE(?2, title), one_liner = COALESCE(?3, one_liner), "
                      "goal = COALESCE(?4, goal), updated_at = ?5 WHERE spec_id = ?1")
                .bind(1, e.stream.str())
                .bind(2, opt(p.title))
                .bind(3, opt(p.one_liner))
                .bind(4, opt(p.goal))
                .bind(5, index_time(e.time))
                .run();
        }

        static std::optional<std::string_view> opt(const json::patch<std::string>& p) {
            return p.has_value() ? std::optional<std::string_view>(p.value()) : std::nullopt;
        }

        void card_op(const card_created& p) const {
            const card& c = p.card;
            insert_card(db, c.card_id, e.stream.str(), c.card_type, c.title, c.body, c.lane, c.order, c.created_by,
                        index_time(c.updated_at));
        }
        void card_op(const card_updated& p) const {
            // ?5 says whether the body is in the event: null in ?6 then clears it.
            db.cached("UPDATE cards SET title = COALESCE(?2, title), card_type = COALESCE(?3, card_type), "
                      "updated_at = ?4, body = CASE WHEN ?5 THEN ?6 ELSE body END WHERE card_id = ?1")
                .bind(1, p.card_id.str())
                .bind(2, opt(p.title))
                .bind(3, opt(p.card_type))
                .bind(4, index_time(e.time))
                .bind(5, std::int64_t{p.body.absent() ? 0 : 1})
                .bind(6, opt(p.body))
                .run();
        }
        void card_op(const card_moved& p) const {
            db.cached("UPDATE cards SET lane = ?2, sort_order = ?3, updated_at = ?4 WHERE card_id = ?1")
                .bind(1, p.card_id.str())
                .bind(2, p.lane)
                .bind(3, p.order)
                .bind(4, index_time(e.time))
                .run();
        }
        void card_op(const card_deleted& p) const {
            db.cached("DELETE FROM cards WHERE card_id = ?1").bind(1, p.card_id.str()).run();
        }
        void card_op(const unknown_payload&) const {}
    };
};

/// index.db of one spec.
using spec_index = sqlite::sqlite_index<spec_projection>;

namespace detail {
/// Opens a spec's index.db and empties it when it holds rows of another
/// spec (a file copied between directories): its last id could match this
/// log's, and recovery would call another spec's rows up to date. Emptied,
/// it is rebuilt from this log.
struct open_spec_index {
    spec_index operator()(const stream_paths& p) const {
        spec_index idx(p.index());
        const auto spec = p.named_stream();
        if (spec && idx.healthy() && holds_another_spec(idx.db(), *spec)) idx.reset();
        return idx;
    }
    /// What recovery calls when the log cannot give the index every row.
    static void seed(spec_index& idx, const spec_state& s, std::optional<std::uint64_t> last) {
        idx.replace_rows(spec_projection::rows_of(s), last);
    }
    static bool holds_another_spec(sqlite::connection& db, const ulid& spec) {
        auto& st = db.cached("SELECT EXISTS(SELECT 1 FROM specs WHERE spec_id <> ?1) OR "
                             "EXISTS(SELECT 1 FROM cards WHERE spec_id <> ?1)");
        st.bind(1, spec.str());
        const bool other = st.step() && st.column_int64(0) != 0;
        st.reset();
        return other;
    }
};
} // namespace detail

/// Recovery that keeps index.db in step (the Go RecoverSpec).
template <class RepairPolicy = repair_truncate_tail>
using recovery_config = basic_recovery_config<RepairPolicy, spec_index, detail::open_spec_index>;

/// Every spec row, newest `updated_at` first (ties by spec_id), as JSON
/// objects keyed by column name, as the Go ListSpecs returns them.
inline boost::json::array list_specs(sqlite::connection& db) {
    boost::json::array out;
    auto& st = db.cached("SELECT spec_id, title, one_liner, goal, updated_at FROM specs "
                         "ORDER BY updated_at DESC, spec_id");
    while (st.step()) {
        boost::json::object o;
        o["spec_id"] = st.column_text(0);
        o["title"] = st.column_text(1);
        o["one_liner"] = st.column_text(2);
        o["goal"] = st.column_text(3);
        o["updated_at"] = st.column_text(4);
        out.push_back(std::move(o));
    }
    st.reset();
    return out;
}

/// The cards of one spec by `sort_order`, ties in the order their rows were
/// inserted (rowid), as the Go ListCards returns them: its fixtures list
/// cards of equal order in the order they were created, not by card_id.
/// Rebuilding from the log inserts in log order, so the order is the same
/// however the index was built. A cleared body is null.
inline boost::json::array list_cards(sqlite::connection& db, const ulid& spec) {
    boost::json::array out;
    auto& st = db.cached("SELECT card_id, spec_id, card_type, title, body, lane, sort_order, created_by, "
                         "updated_at FROM cards WHERE spec_id = ?1 ORDER BY sort_order, rowid");
    st.bind(1, spec.str());
    while (st.step()) {
        boost::json::object o;
        o["card_id"] = st.column_text(0);
        o["spec_id"] = st.column_text(1);
        o["card_type"] = st.column_text(2);
        o["title"] = st.column_text(3);
        if (st.column_is_null(4))
            o["body"] = nullptr;
        else
            o["body"] = st.column_text(4);
        o["lane"] = st.column_text(5);
        o["sort_order"] = detail::number_like_go(st.column_double(6));
        o["created_by"] = st.column_text(7);
        o["updated_at"] = st.column_text(8);
        out.push_back(std::move(o));
    }
    st.reset();
    return out;
}

} // namespace evlog::spec
