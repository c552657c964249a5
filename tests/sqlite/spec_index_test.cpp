// The spec store's index.db: recovery of every fixture and damaged log
// lists the cards and specs the Go code lists, the index follows the log
// when it is ahead or behind, card rows follow undo and cleared bodies, and
// spec_index passes the index conformance kit.
#include <boost/test/unit_test.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <evlog/index/rebuild.hpp>
#include <evlog/recovery/recover.hpp>
#include <evlog/spec/exports.hpp>
#include <evlog/spec/sqlite_store.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/sqlite/connection.hpp>
#include <evlog/testing/index_kit.hpp>

#include "spec/spec_test_util.hpp"
#include "support/log_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace spec = evlog::spec;
namespace sq = evlog::sqlite;
using spec::spec_event;
using index_config = spec::recovery_config<>;
using index_quarantine_config = spec::recovery_config<evlog::repair_quarantine>;

const evlog::ulid scratch_id = *evlog::ulid::parse("01KJP0000SSSSSSSSSSSSSSSSS");

/// The index rows of one spec as the Go code lists them, and its last id.
struct index_rows {
    boost::json::value cards, specs;
    std::optional<std::uint64_t> last_event_id;
};

index_rows read_index(const evlog::stream_paths& p, const evlog::ulid& spec_id) {
    spec::spec_index idx(p.index());
    BOOST_TEST_REQUIRE(idx.healthy());
    return {spec::list_cards(idx.db(), spec_id), spec::list_specs(idx.db()), idx.last_event_id()};
}

/// The index matches what Go's recovery of the same log left in its index.
void check_index_like_go(const index_rows& got, const fs::path& expected) {
    BOOST_TEST(spectest::json_diff(got.cards, spectest::load_json(expected / "expected_cards.json")) == "");
    BOOST_TEST(spectest::json_diff(got.specs, spectest::load_json(expected / "expected_specs.json")) == "");
    if (fs::exists(expected / "expected_meta.json")) {
        const auto meta = spectest::load_json(expected / "expected_meta.json");
        BOOST_TEST(got.last_event_id == std::optional<std::uint64_t>(meta.at("last_event_id").to_number<std::uint64_t>()));
    }
}

/// The first `n` lines of a log, each with its newline.
std::string first_lines(const fs::path& log, std::size_t n) {
    std::string out;
    const auto lines = spectest::lines_of(log);
    for (std::size_t i = 0; i < n && i < lines.size(); ++i) out += lines[i] + "\n";
    return out;
}

/// The spec without a Go snapshot.
spectest::fixture_spec plain_spec() {
    for (const auto& f : spectest::clean_specs())
        if (f.name != "barnstormer" && !fs::exists(f.dir() / "snapshots")) return f;
    throw std::runtime_error("no fixture spec without snapshots");
}

boost::json::object card_row(const boost::json::value& cards, const evlog::ulid& id) {
    for (const auto& c : cards.as_array())
        if (c.at("card_id") == id.str().c_str()) return c.as_object();
    return {};
}

// ------------------------------------------------------------- index kit

/// Event 1 creates the spec; each later one creates a card, so every event
/// changes the rows.
std::vector<spec_event> kit_events(std::size_t n) {
    std::vector<spec_event> out;
    for (std::uint64_t i = 1; i <= n; ++i) {
        spec_event e;
        e.id = i;
        e.stream = scratch_id;
        e.time = evlog::timestamp::from_unix_nanos(1'772'000'000'000'000'000 + static_cast<std::int64_t>(i) * 1'000'000'000);
        if (i == 1) {
            e.payload = spec::spec_created{"Kit spec", "one", "goal"};
        } else {
            char id[32];
            std::snprintf(id, sizeof id, "01KJP0000%017llu", static_cast<unsigned long long>(i));
            spec::card c;
            c.card_id = *evlog::ulid::parse(id);
            c.card_type = "task";
            c.title = "card " + std::to_string(i);
            if (i % 2) c.body = "body " + std::to_string(i);
            c.lane = i % 3 ? "Plan" : "Ideas";
            c.order = static_cast<double>(i % 5) - 1.5;
            c.created_at = c.updated_at = e.time;
            c.created_by = c.updated_by = "agent";
            e.payload = spec::card_created{c};
        }
        out.push_back(std::move(e));
    }
    return out;
}

struct spec_index_fixture {
    using index_type = spec::spec_index;
    static constexpr bool persistent = true;

    evtest::temp_dir dir;
    fs::path path = dir / "index.db";
    std::optional<index_type> idx{std::in_place, path};

    index_type& index() { return *idx; }
    void reopen() {
        idx.reset();
        idx.emplace(path);
    }
    std::vector<spec_event> events(std::size_t n) { return kit_events(n); }
    /// The rows through a second connection: what a reader sees committed.
    std::string observe(const index_type&) {
        sq::open_options o;
        o.flags = SQLITE_OPEN_READWRITE; // never create
        sq::connection db(path, o);
        return boost::json::serialize(spec::list_specs(db)) + boost::json::serialize(spec::list_cards(db, scratch_id));
    }
    /// SQLite stores a NaN as NULL, which sort_order's NOT NULL refuses.
    spec_event poison(std::uint64_t id) {
        auto e = kit_events(2)[1];
        e.id = id;
        std::get<spec::card_created>(e.payload).card.order = std::numeric_limits<double>::quiet_NaN();
        return e;
    }
};

} // namespace

EVLOG_INDEX_KIT(SpecIndexKit, spec_index_fixture)

BOOST_AUTO_TEST_SUITE(spec_index)

BOOST_AUTO_TEST_CASE(EveryFixtureIndexListsGoCardsAndSpecs) {
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            spectest::spec_home home;
            const auto p = home.add_spec_dir(f.dir());
            const auto r = evlog::recover<index_config>(p.dir);
            BOOST_TEST(std::string(evlog::to_string(r.report.index)) == "rebuilt");
            BOOST_TEST(spectest::state_diff(r.state, spectest::expected_state_json(f.expected)) == "");
            check_index_like_go(read_index(p, r.state.core.spec_id), f.expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(EveryDamagedLogIndexListsGoCardsAndSpecs) {
    for (const auto& d : spectest::damaged_dirs()) {
        const auto name = d.filename().string();
        BOOST_TEST_CONTEXT(name) {
            spectest::spec_home home;
            const auto p = home.add_log(d / "input.events.jsonl");
            const bool mid_file = name == "garbage_middle" || name == "unknown_payload_type";
            const auto r = mid_file ? evlog::recover<index_quarantine_config>(p.dir) : evlog::recover<index_config>(p.dir);
            BOOST_TEST(spectest::state_diff(r.state, spectest::expected_state_json(d)) == "");
            check_index_like_go(read_index(p, r.state.core.spec_id), d);
        }
    }
}

BOOST_AUTO_TEST_CASE(SecondRecoveryFindsIndexUpToDate) {
    const auto f = plain_spec();
    spectest::spec_home home;
    const auto p = home.add_spec_dir(f.dir());
    (void)evlog::recover<index_config>(p.dir);
    const auto r = evlog::recover<index_config>(p.dir);
    BOOST_TEST(std::string(evlog::to_string(r.report.index)) == "none");
    BOOST_TEST(r.report.index_events_applied == 0u);
    check_index_like_go(read_index(p, r.state.core.spec_id), f.expected);
}

// The log was restored from an older copy: the index holds events the log
// does not, so only a rebuild can make it agree with the log again.
BOOST_AUTO_TEST_CASE(IndexAheadOfLogIsRebuilt) {
    const auto f = plain_spec();
    const auto total = spectest::lines_of(f.log).size();
    const auto prefix = first_lines(f.log, total / 2);

    spectest::spec_home home;
    const auto p = home.add_spec_dir(f.dir());
    (void)evlog::recover<index_config>(p.dir);
    evtest::write_file(p.log(), prefix);
    const auto r = evlog::recover<index_config>(p.dir);
    BOOST_TEST(std::string(evlog::to_string(r.report.index)) == "rebuilt");
    BOOST_TEST(r.report.index_reason.find("ahead") != std::string::npos, r.report.index_reason);
    const auto got = read_index(p, r.state.core.spec_id);
    BOOST_TEST(got.last_event_id == r.last_event_id);

    // The same rows as an index built from that shorter log alone.
    spectest::spec_home fresh;
    const auto q = fresh.manager().create_stream(r.state.core.spec_id);
    evtest::write_file(q.log(), prefix);
    (void)evlog::recover<index_config>(q.dir);
    const auto want = read_index(q, r.state.core.spec_id);
    BOOST_TEST(spectest::json_diff(got.cards, want.cards) == "");
    BOOST_TEST(spectest::json_diff(got.specs, want.specs) == "");
    BOOST_TEST_REQUIRE(got.last_event_id.has_value());
    BOOST_TEST(*got.last_event_id < spectest::events_of(f.log).back().id);
}

// index.db copied from another spec's directory: with last ids that agree,
// or one behind, recovery took the other spec's rows as this one's.
BOOST_AUTO_TEST_CASE(IndexCopiedFromAnotherSpecIsRebuiltFromThisLog) {
    const auto specs = spectest::clean_specs();
    BOOST_TEST_REQUIRE(specs.size() >= 2u);
    spectest::spec_home home;
    const auto a = home.add_spec_dir(specs[0].dir());
    const auto b = home.add_spec_dir(specs[1].dir());
    const auto ra = evlog::recover<index_config>(a.dir);
    (void)evlog::recover<index_config>(b.dir);
    fs::copy_file(b.index(), a.index(), fs::copy_options::overwrite_existing);
    const auto r = evlog::recover<index_config>(a.dir);
    BOOST_TEST(std::string(evlog::to_string(r.report.index)) == "rebuilt");
    check_index_like_go(read_index(a, ra.state.core.spec_id), specs[0].expected);
}

/// The spec with a Go snapshot.
spectest::fixture_spec snapshot_spec() {
    for (const auto& f : spectest::clean_specs())
        if (fs::exists(f.dir() / "snapshots")) return f;
    throw std::runtime_error("no fixture spec with a snapshot");
}

/// Rows by card id: which cards, with which columns, whatever their order.
std::map<std::string, std::string> cards_by_id(const boost::json::value& cards) {
    std::map<std::string, std::string> out;
    for (const auto& c : cards.as_array()) out[std::string(c.at("card_id").as_string())] = boost::json::serialize(c);
    return out;
}

// A log that starts after a snapshot (its events before it moved away) or
// holds none yet: the log's events alone would leave the snapshot's cards
// out of the index, and a later catch-up never brings them in.
BOOST_AUTO_TEST_CASE(LogStartingAfterTheSnapshotGivesTheIndexTheSnapshotsCardsToo) {
    const auto f = snapshot_spec();
    spectest::spec_home whole, cut, empty;
    const auto w = whole.add_spec_dir(f.dir());
    const auto rw = evlog::recover<index_config>(w.dir);
    const auto want = read_index(w, rw.state.core.spec_id);
    BOOST_TEST_REQUIRE(rw.report.snapshot_id.has_value());
    const auto at = *rw.report.snapshot_id;

    const auto c = cut.add_spec_dir(f.dir());
    std::string after;
    for (const auto& line : spectest::lines_of(f.log))
        if (boost::json::parse(line).at("event_id").to_number<std::uint64_t>() > at) after += line + "\n";
    evtest::write_file(c.log(), after);
    const auto rc = evlog::recover<index_config>(c.dir);
    BOOST_TEST(std::string(evlog::to_string(rc.report.index)) == "rebuilt");
    const auto got = read_index(c, rc.state.core.spec_id);
    BOOST_TEST((cards_by_id(got.cards) == cards_by_id(want.cards)));
    BOOST_TEST(spectest::json_diff(got.specs, want.specs) == "");
    BOOST_TEST(got.last_event_id == want.last_event_id);

    // Nothing in the log yet: the index holds the snapshot's cards.
    const auto e = empty.add_spec_dir(f.dir());
    evtest::write_file(e.log(), "");
    const auto re = evlog::recover<index_config>(e.dir);
    spectest::spec_home upto;
    const auto u = upto.add_spec_dir(f.dir());
    fs::remove_all(u.snapshots());
    evtest::write_file(u.log(), first_lines(f.log, static_cast<std::size_t>(at)));
    const auto ru = evlog::recover<index_config>(u.dir);
    const auto got_empty = read_index(e, re.state.core.spec_id);
    const auto want_empty = read_index(u, ru.state.core.spec_id);
    BOOST_TEST((cards_by_id(got_empty.cards) == cards_by_id(want_empty.cards)));
    BOOST_TEST(got_empty.last_event_id == std::optional<std::uint64_t>(at));
    BOOST_TEST(!got_empty.cards.as_array().empty());
}

// The daemon died after appending but before its index caught up.
BOOST_AUTO_TEST_CASE(IndexBehindLogIsCaughtUp) {
    const auto f = plain_spec();
    const auto total = spectest::lines_of(f.log).size();
    const auto k = total / 2;

    spectest::spec_home home;
    const auto p = home.add_spec_dir(f.dir());
    evtest::write_file(p.log(), first_lines(f.log, k));
    (void)evlog::recover<index_config>(p.dir);
    evtest::write_file(p.log(), spectest::slurp(f.log));
    const auto r = evlog::recover<index_config>(p.dir);
    BOOST_TEST(std::string(evlog::to_string(r.report.index)) == "caught_up");
    BOOST_TEST(r.report.index_events_applied == total - k);
    check_index_like_go(read_index(p, r.state.core.spec_id), f.expected);
}

// Behind an evlog snapshot with a known offset, catching up starts at the
// offset, and the rows still match the log.
BOOST_AUTO_TEST_CASE(IndexBehindLogAfterSnapshotIsCaughtUpFromSnapshotOffset) {
    const auto events = spectest::all_kinds_events(scratch_id);
    const auto snap_at = events.size() / 2;
    spectest::spec_home home;
    const auto p = spectest::build_spec_store<index_config>(home.manager(), events, snap_at);
    const auto r = evlog::recover<index_config>(p.dir);
    BOOST_TEST_REQUIRE(r.report.seeked);
    BOOST_TEST(std::string(evlog::to_string(r.report.index)) == "caught_up");
    BOOST_TEST(r.report.index_events_applied == events.size() - snap_at);
    const auto got = read_index(p, scratch_id);
    BOOST_TEST(got.last_event_id == std::optional<std::uint64_t>(events.back().id));

    // The rows equal those of an index rebuilt from the whole log.
    fs::remove(p.index());
    const auto rebuilt = evlog::recover<index_config>(p.dir);
    BOOST_TEST(std::string(evlog::to_string(rebuilt.report.index)) == "rebuilt");
    const auto want = read_index(p, scratch_id);
    BOOST_TEST(spectest::json_diff(got.cards, want.cards) == "");
    BOOST_TEST(spectest::json_diff(got.specs, want.specs) == "");
}

// A store built from scratch, index included, lays out its files as the Go
// daemon does, and its index lists the cards of the recovered state.
BOOST_AUTO_TEST_CASE(ScratchStoreWithIndexHasGoLayout) {
    const auto events = spectest::all_kinds_events(scratch_id);
    spectest::spec_home home;
    const auto p = spectest::build_spec_store<index_config>(home.manager(), events, events.size() / 2);
    const auto r = evlog::recover<index_config>(p.dir);
    spec::write_exports(p.exports(), r.state, spec::export_format::markdown);

    auto want = spectest::layout_of(spectest::fixtures() / "home/specs/01KF0HJ087AE67Z5NHCJZHQ5XV");
    want.push_back("exports/spec.md");
    want.push_back("index.db");
    std::sort(want.begin(), want.end());
    BOOST_TEST(spectest::layout_of(p.dir) == want, boost::test_tools::per_element());

    const auto got = read_index(p, scratch_id);
    const auto& cards = got.cards.as_array();
    BOOST_TEST_REQUIRE(cards.size() == r.state.cards.size());
    for (const auto& row : cards) {
        const auto& c = r.state.cards.at(*evlog::ulid::parse(row.at("card_id").as_string()));
        BOOST_TEST(row.at("title") == c.title.c_str());
        BOOST_TEST(row.at("lane") == c.lane.c_str());
        BOOST_TEST(row.at("sort_order").to_number<double>() == c.order);
        BOOST_TEST(row.at("body").is_null() == !c.body.has_value());
    }
    BOOST_TEST_REQUIRE(got.specs.as_array().size() == 1u);
    BOOST_TEST(got.specs.at(0).at("title") == r.state.core.title.c_str());
    BOOST_TEST(got.specs.at(0).at("updated_at") == spec::index_time(r.state.core.updated_at).c_str());
}

// Go lists cards of equal sort_order in the order they were created (the
// barnstormer fixture has eleven at 0 in one lane), not by card_id; a
// rebuilt index lists them so too.
BOOST_AUTO_TEST_CASE(CardsOfEqualOrderListInCreationOrderAsGoDoes) {
    auto events = kit_events(4); // spec, then cards 2, 3, 4
    // Equal orders, created in descending card_id order.
    std::vector<std::string> created;
    for (std::size_t i = 1; i < events.size(); ++i) {
        auto& c = std::get<spec::card_created>(events[i].payload).card;
        c.order = 1;
        c.lane = "Ideas";
        char id[32];
        std::snprintf(id, sizeof id, "01KJP0000%017zu", 10 - i);
        c.card_id = *evlog::ulid::parse(id);
        created.push_back(c.card_id.str());
    }
    evtest::temp_dir tmp;
    spec::spec_index idx(tmp / "index.db");
    const auto ids = [&] {
        std::vector<std::string> out;
        for (const auto& row : spec::list_cards(idx.db(), scratch_id)) out.emplace_back(row.at("card_id").as_string());
        return out;
    };
    for (const auto& e : events) idx.apply(e);
    BOOST_TEST(ids() == created, boost::test_tools::per_element());
    evlog::rebuild_index(idx, evlog::testing::index_kit::source_of(events), 2);
    BOOST_TEST(ids() == created, boost::test_tools::per_element());
}

namespace {

/// The card ids in spec.yaml, in the order the export lists them.
std::vector<std::string> yaml_card_ids(const std::string& yaml) {
    std::vector<std::string> out;
    const std::string key = "- card_id: \"";
    for (auto at = yaml.find(key); at != std::string::npos; at = yaml.find(key, at + 1))
        out.push_back(yaml.substr(at + key.size(), 26));
    return out;
}

/// The card titles in spec.md, in the order the export lists them.
std::vector<std::string> markdown_titles(const std::string& md) {
    std::vector<std::string> out;
    for (auto at = md.find("\n### "); at != std::string::npos; at = md.find("\n### ", at + 1))
        out.push_back(md.substr(at + 5, md.find(" (", at) - at - 5));
    return out;
}

/// list_cards' rows lane by lane, in the state's lane order: what each
/// export lists, lane after lane, if it lists the cards in index order.
boost::json::array index_rows_by_lane(const boost::json::array& rows, const std::vector<std::string>& lanes) {
    boost::json::array out;
    for (const auto& lane : lanes)
        for (const auto& row : rows)
            if (row.at("lane") == lane.c_str()) out.push_back(row);
    return out;
}

} // namespace

// The exports list the cards of a lane in index order: by order, cards of
// equal order in the order the log last (re)created them, as list_cards
// (the rowid) does. Checked for cards of equal order created in the
// reverse of their card_id order, a card moved into a lane beside cards of
// its order (it keeps its place), a deleted card an undo brings back (it
// goes last), with and without a snapshot in the middle of the log.
BOOST_AUTO_TEST_CASE(ExportListsCardsOfEqualOrderInIndexOrder) {
    std::vector<spec_event> events;
    const auto event = [&](auto payload) {
        spec_event e;
        e.id = events.size() + 1;
        e.stream = scratch_id;
        e.time = evlog::timestamp::from_unix_nanos(1'772'000'000'000'000'000 + static_cast<std::int64_t>(e.id) * 1'000'000'000);
        e.payload = std::move(payload);
        events.push_back(std::move(e));
    };
    const auto id_of = [](unsigned n) {
        char id[32];
        std::snprintf(id, sizeof id, "01KJP0000%017u", n);
        return *evlog::ulid::parse(id);
    };
    std::map<std::uint64_t, spec::card> cards;
    const auto create = [&](unsigned n, const char* lane, double order) {
        spec::card c;
        c.card_id = id_of(n);
        c.card_type = "task";
        c.title = "card " + std::to_string(n);
        c.lane = lane;
        c.order = order;
        c.created_at = c.updated_at = evlog::timestamp::from_unix_nanos(
            1'772'000'000'000'000'000 + static_cast<std::int64_t>(events.size() + 1) * 1'000'000'000);
        c.created_by = c.updated_by = "agent";
        cards[n] = c;
        event(spec::card_created{c});
    };
    event(spec::spec_created{"Ties", "one", "goal"});
    create(9, "Plan", 1); // equal orders, created against card_id order
    create(8, "Plan", 1);
    create(7, "Plan", 1);
    create(6, "Ideas", 0);
    create(5, "Plan", 0.5);
    event(spec::card_moved{id_of(6), "Plan", 1, std::nullopt}); // into Plan at order 1: after 7
    event(spec::card_deleted{id_of(8), std::nullopt});
    const std::uint64_t deleted_by = events.back().id;
    event(spec::undo_applied{deleted_by, {spec::inverse_event{spec::card_created{cards[8]}}}}); // 8 back, last
    create(4, "Plan", 1);

    const std::vector<std::string> want_titles = {"card 5", "card 9", "card 7", "card 6", "card 8", "card 4"};
    // No snapshot; a snapshot after the move (its cards have no ranks).
    for (const std::size_t snapshot_after : {events.size(), std::size_t{7}}) {
        BOOST_TEST_CONTEXT("snapshot after " << snapshot_after) {
            spectest::spec_home home;
            const auto p = spectest::build_spec_store<index_config>(home.manager(), events, snapshot_after);
            const auto r = evlog::recover<index_config>(p.dir);
            const auto rows = read_index(p, scratch_id).cards.as_array();
            std::vector<std::string> index_titles, index_ids;
            for (const auto& row : index_rows_by_lane(rows, r.state.lanes)) {
                index_titles.emplace_back(row.at("title").as_string());
                index_ids.emplace_back(row.at("card_id").as_string());
            }
            BOOST_TEST(index_titles == want_titles, boost::test_tools::per_element());
            BOOST_TEST(markdown_titles(spec::render_markdown(r.state)) == index_titles, boost::test_tools::per_element());
            BOOST_TEST(yaml_card_ids(spec::render_yaml(r.state)) == index_ids, boost::test_tools::per_element());
        }
    }
}

// Go's own index listing (the fixtures' expected_cards.json) is the order
// the exports list each lane's cards in: the barnstormer fixture has eleven
// cards at order 0 in Ideas and twelve in Plan, created against card_id order.
BOOST_AUTO_TEST_CASE(ExportListsFixtureCardsInGoIndexOrder) {
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            spectest::spec_home home;
            const auto p = home.add_spec_dir(f.dir());
            const auto r = evlog::recover<index_config>(p.dir);
            const auto go = spectest::load_json(f.expected / "expected_cards.json").as_array();
            std::vector<std::string> want;
            for (const auto& row : index_rows_by_lane(go, r.state.lanes)) want.emplace_back(row.at("card_id").as_string());
            BOOST_TEST_REQUIRE(want.size() == go.size());
            BOOST_TEST(yaml_card_ids(spec::render_yaml(r.state)) == want, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(UndoAppliedRestoresDeletedCardRow) {
    const auto events = spectest::all_kinds_events(scratch_id);
    evtest::temp_dir tmp;
    spec::spec_index idx(tmp / "index.db");
    std::optional<evlog::ulid> deleted;
    boost::json::object before;
    bool undone = false;
    for (const auto& e : events) {
        if (const auto* d = std::get_if<spec::card_deleted>(&e.payload)) {
            deleted = d->card_id;
            before = card_row(spec::list_cards(idx.db(), scratch_id), d->card_id);
            BOOST_TEST_REQUIRE(!before.empty());
            idx.apply(e);
            BOOST_TEST(card_row(spec::list_cards(idx.db(), scratch_id), d->card_id).empty());
            continue;
        }
        idx.apply(e);
        if (std::holds_alternative<spec::undo_applied>(e.payload) && deleted) {
            undone = true;
            BOOST_TEST(spectest::json_diff(card_row(spec::list_cards(idx.db(), scratch_id), *deleted), before) == "");
        }
    }
    BOOST_TEST(undone);
}

BOOST_AUTO_TEST_CASE(CardUpdatedWithNullBodyClearsBodyColumn) {
    auto events = spectest::all_kinds_events(scratch_id);
    evtest::temp_dir tmp;
    spec::spec_index idx(tmp / "index.db");
    std::size_t cleared = 0;
    for (const auto& e : events) {
        const auto* u = std::get_if<spec::card_updated>(&e.payload);
        const bool clears = u && u->body.is_null();
        if (clears) BOOST_TEST_REQUIRE(card_row(spec::list_cards(idx.db(), scratch_id), u->card_id).at("body").is_string());
        idx.apply(e);
        if (!u) continue;
        const auto row = card_row(spec::list_cards(idx.db(), scratch_id), u->card_id);
        if (clears) {
            ++cleared;
            BOOST_TEST(row.at("body").is_null());
        } else if (u->body.has_value()) {
            BOOST_TEST(row.at("body") == u->body.value().c_str());
        }
    }
    BOOST_TEST_REQUIRE(cleared == 1u);

    // An update without a body leaves it: the cleared one stays null, a set one stays set.
    std::uint64_t id = events.back().id;
    const auto state = [&] {
        auto s = spec::initial_state(scratch_id);
        for (const auto& e : events) spec::apply(s, e);
        return s;
    }();
    for (const auto& [card_id, c] : state.cards) {
        spec::card_updated title_only;
        title_only.card_id = card_id;
        title_only.title = evlog::json::patch<std::string>::set(c.title + " again");
        spec_event e = events.back();
        e.id = ++id;
        e.payload = title_only;
        idx.apply(e);
        const auto row = card_row(spec::list_cards(idx.db(), scratch_id), card_id);
        BOOST_TEST(row.at("body").is_null() == !c.body.has_value(), card_id.str());
        if (c.body) BOOST_TEST(row.at("body") == c.body->c_str());
        BOOST_TEST(row.at("title") == (c.title + " again").c_str());
    }
}

BOOST_AUTO_TEST_SUITE_END()
