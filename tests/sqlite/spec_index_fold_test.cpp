// The spec index's full rebuild folds the events into rows in memory and
// writes them in one transaction (spec_projection::fold/write). It must
// leave what applying the same events one by one leaves: the same specs,
// the same cards in the same list order (ties in sort_order by insertion),
// the same last id, for random histories with re-created, deleted, undone,
// moved and updated cards, core updates and several specs.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include <evlog/index/rebuild.hpp>
#include <evlog/spec/sqlite_store.hpp>
#include <evlog/testing/index_kit.hpp>

#include "support/log_test_util.hpp"

namespace {

namespace spec = evlog::spec;
using spec::spec_event;

static_assert(evlog::sqlite::folding_projection<spec::spec_projection>);

class history {
public:
    explicit history(std::uint64_t seed) : s_(seed) {}

    std::vector<spec_event> make(std::size_t n) {
        std::vector<spec_event> out;
        for (std::size_t i = 0; i < n; ++i) out.push_back(next(static_cast<std::uint64_t>(i + 1)));
        return out;
    }

private:
    std::uint64_t rnd() {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return rnd() % n; }
    evlog::ulid id(std::uint64_t k) {
        evlog::ulid::bytes_type b{};
        b[0] = 1;
        for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(k >> (8 * i));
        return evlog::ulid(b);
    }
    std::string text() { return "t" + std::to_string(below(1000)); }
    template <class T>
    evlog::json::patch<T> patch(T v) {
        switch (below(3)) {
        case 0: return {};
        case 1: return evlog::json::patch<T>::clear();
        default: return evlog::json::patch<T>::set(std::move(v));
        }
    }
    spec::card card(const evlog::ulid& card_id, evlog::timestamp t) {
        spec::card c;
        c.card_id = card_id;
        c.card_type = "task";
        c.title = text();
        if (below(2)) c.body = text();
        c.lane = below(2) ? "Ideas" : "Plan";
        c.order = static_cast<double>(below(4)); // many ties
        c.created_at = c.updated_at = t;
        c.created_by = c.updated_by = "human";
        return c;
    }
    spec::inverse_event inverse(evlog::timestamp t) {
        const auto c = id(100 + below(12));
        switch (below(4)) {
        case 0: return {spec::card_created{card(c, t)}};
        case 1: return {spec::card_deleted{c, std::nullopt}};
        case 2: return {spec::card_moved{c, "Spec", static_cast<double>(below(4)), std::nullopt}};
        default: return {spec::card_updated{c, patch(text()), patch(text()), patch(text()), {}, {}}};
        }
    }

    spec_event next(std::uint64_t n) {
        spec_event e;
        e.id = n * 2; // gaps are fine
        e.stream = id(below(5) == 0 ? 2 : 1); // mostly one spec, some events of another
        // Times in whole and fractional seconds: the index keeps whole ones.
        e.time = evlog::timestamp::from_unix_nanos(1'768'471'200'000'000'000 + static_cast<std::int64_t>(n) * 700'000'000);
        const auto c = id(100 + below(12)); // few cards: many re-creations and operations on each
        switch (below(10)) {
        case 0: e.payload = spec::spec_created{text(), text(), text()}; break;
        case 1: e.payload = spec::spec_core_updated{patch(text()), patch(text()), patch(text()), {}, {}, {}, {}, {}}; break;
        case 2:
        case 3: e.payload = spec::card_created{card(c, e.time)}; break;
        case 4:
            e.payload = spec::card_updated{c, patch(text()), patch(text()), patch(std::string("risk")),
                                           patch(std::vector<std::string>{"REQ-1"}), patch(std::string("agent"))};
            break;
        case 5: e.payload = spec::card_moved{c, below(2) ? "Spec" : "Plan", static_cast<double>(below(4)), std::nullopt}; break;
        case 6: e.payload = spec::card_deleted{c, std::nullopt}; break;
        case 7: {
            spec::undo_applied u;
            u.target_event_id = n;
            for (auto k = below(3); k > 0; --k) u.inverse_events.push_back(inverse(e.time));
            e.payload = std::move(u);
            break;
        }
        case 8: e.payload = spec::transcript_appended{{id(900 + n), "human", text(), "Chat", e.time}}; break;
        default: e.payload = spec::snapshot_written{n}; break;
        }
        return e;
    }

    std::uint64_t s_;
};

std::string rows_of(spec::spec_index& idx) {
    std::string out = boost::json::serialize(spec::list_specs(idx.db()));
    for (std::uint64_t s : {1, 2}) {
        evlog::ulid::bytes_type b{};
        b[0] = 1;
        b[15] = static_cast<std::uint8_t>(s);
        out += "\n" + boost::json::serialize(spec::list_cards(idx.db(), evlog::ulid(b)));
    }
    auto& st = idx.db().cached("SELECT count(*) FROM cards");
    st.step();
    out += "\ncards: " + std::to_string(st.column_int64(0));
    st.reset();
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_index_fold)

BOOST_AUTO_TEST_CASE(FoldedRebuildLeavesTheRowsApplyingEventByEventLeaves) {
    for (std::uint64_t seed = 1; seed <= 40; ++seed) {
        const auto events = history(seed).make(300);
        evtest::temp_dir tmp;
        spec::spec_index applied(tmp / "applied.db");
        for (std::size_t at = 0; at < events.size(); at += 7)
            applied.apply_batch(std::span<const spec_event>(events.data() + at, std::min<std::size_t>(7, events.size() - at)));
        spec::spec_index rebuilt(tmp / "rebuilt.db");
        rebuilt.apply(events.front()); // something to replace
        evlog::rebuild_index(rebuilt, evlog::testing::index_kit::source_of(events));
        BOOST_TEST(rebuilt.last_event_id() == applied.last_event_id());
        const auto a = rows_of(applied), b = rows_of(rebuilt);
        BOOST_TEST(a == b, "seed " << seed);
        if (a != b) break;
    }
}

BOOST_AUTO_TEST_CASE(FoldedRebuildOfOutOfOrderIdsThrowsAndKeepsTheOldRows) {
    auto events = history(7).make(50);
    evtest::temp_dir tmp;
    spec::spec_index idx(tmp / "index.db");
    idx.apply_batch(std::span<const spec_event>(events.data(), 10));
    const auto before = rows_of(idx);
    std::swap(events[20].id, events[21].id);
    BOOST_CHECK_THROW(evlog::rebuild_index(idx, evlog::testing::index_kit::source_of(events)), evlog::error);
    BOOST_TEST(rows_of(idx) == before);
    BOOST_TEST(idx.last_event_id() == events[9].id);
}

BOOST_AUTO_TEST_SUITE_END()
