// Spec snapshots read without a value tree (spec::detail::state_reader
// through the store's direct path): the same snapshots, the same skipped
// files and the same error details as the value-tree path, on the Go
// fixture, on folded states and on corrupt, truncated and mutated files.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/snapshot/snapshot_store.hpp>
#include <evlog/spec/reducer.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/spec/store.hpp>

#include "spec/spec_test_util.hpp"

namespace {

namespace spec = evlog::spec;
namespace fs = std::filesystem;
namespace json = boost::json;

/// The value-tree path alone: the default conversions, no state reader.
struct tree_codec {
    json::value to_json(const spec::spec_state& s) const { return json::value_from(s); }
    spec::spec_state from_json(const json::value& v) const { return json::value_to<spec::spec_state>(v); }
};

/// The default codec (with spec_state's reader), counting the states read
/// through the tree.
struct counting_codec : evlog::json_state_codec<spec::spec_state> {
    int* tree_reads = nullptr;
    spec::spec_state from_json(const json::value& v) const {
        ++*tree_reads;
        return evlog::json_state_codec<spec::spec_state>::from_json(v);
    }
};

using tree_store = evlog::snapshot_store<spec::spec_state, tree_codec>;
using direct_store = evlog::snapshot_store<spec::spec_state, counting_codec>;

static_assert(evlog::direct_state_codec<evlog::json_state_codec<spec::spec_state>, spec::spec_state>);
static_assert(!evlog::direct_state_codec<tree_codec, spec::spec_state>);

/// All that load_latest() and load() report about one directory.
struct outcome {
    std::optional<spec::spec_snapshot> snapshot;
    std::vector<std::string> skipped; // id, code and detail of each
    std::string load_error;           // load(id)'s, "" when it loads

    friend bool operator==(const outcome&, const outcome&) = default;
};

template <class Store>
outcome load_both_ways(Store& store, std::uint64_t id) {
    outcome o;
    auto r = store.load_latest();
    o.snapshot = std::move(r.snapshot);
    for (const auto& s : r.skipped)
        o.skipped.push_back(std::to_string(s.id) + " " + s.code.message() + " " + s.path.filename().string() + ": " +
                            s.detail);
    try {
        store.load(id);
    } catch (const evlog::error& e) {
        o.load_error = e.code().message() + ": " + e.detail();
    }
    return o;
}

std::string describe(const outcome& o) {
    std::string s = o.snapshot ? "loaded" : "not loaded";
    for (const auto& k : o.skipped) s += "; skipped " + k;
    if (!o.load_error.empty()) s += "; load: " + o.load_error;
    return s;
}

/// Writes `bytes` as `state_<id>.json` and loads it through both paths.
/// The outcomes must be equal; returns the direct one and, through
/// `tree_reads`, how often the direct store fell back to the tree.
outcome check_same(const std::string& bytes, std::uint64_t id, int& tree_reads, const std::string& what) {
    evtest::temp_dir d;
    evtest::write_file(d / ("state_" + std::to_string(id) + ".json"), bytes);
    tree_store tree(d.path());
    const outcome expected = load_both_ways(tree, id);
    tree_reads = 0;
    counting_codec codec;
    codec.tree_reads = &tree_reads;
    direct_store direct(d.path(), codec);
    const outcome got = load_both_ways(direct, id);
    BOOST_TEST((got == expected), what << ": direct path: " << describe(got) << "\n   tree path: " << describe(expected));
    return got;
}

outcome check_same(const std::string& bytes, std::uint64_t id, const std::string& what) {
    int ignored = 0;
    return check_same(bytes, id, ignored, what);
}

/// A state with every part a spec state has: the all-kinds log folded
/// (cards, a ref, every question kind, a pending Freeform question, undo
/// entries of card events), plus what that log lacks.
spec::spec_snapshot rich_snapshot() {
    const auto id = evlog::ulid::parse("01KJP0000SSSSSSSSSSSSSSSSS").value();
    spec::spec_snapshot s;
    s.state = spec::initial_state(id);
    for (const auto& e : spectest::all_kinds_events(id)) spec::apply(s.state, e);
    BOOST_REQUIRE(s.state.pending_question.has_value());
    BOOST_REQUIRE(!s.state.undo_stack.empty());
    // An inverse of a type the reader does not know, kept as raw JSON; an
    // order that is negative and not whole.
    s.state.undo_stack.push_back(
        {s.state.last_event_id + 1, {spec::inverse_event{evlog::unknown_payload{"CardArchived", R"({"type":"CardArchived","card_id":"x"})"}}}});
    if (!s.state.cards.empty()) s.state.cards.begin()->second.order = -2.5;
    s.state.lanes.push_back("Done \u00e9");
    s.last_event_id = s.state.last_event_id;
    s.log_offset = 1234;
    s.agent_contexts["planner"] = json::parse(R"({"goal":"x","steps":[1,-2,3.5,{"k":null,"t":true}]})");
    s.agent_contexts["writer"] = "plain";
    s.saved_at = evlog::timestamp::parse("2026-03-02T10:00:00.5Z").value();
    return s;
}

/// A snapshot as its store writes it.
std::string file_of(const spec::spec_snapshot& s) {
    evtest::temp_dir d;
    tree_store(d.path()).save(s);
    return evtest::read_file(d / ("state_" + std::to_string(s.last_event_id) + ".json"));
}

/// Every place in a JSON document, as the steps from the root.
using step = std::variant<std::string, std::size_t>;
void paths_of(const json::value& v, std::vector<step>& at, std::vector<std::vector<step>>& out) {
    out.push_back(at);
    if (const auto* o = v.if_object()) {
        for (const auto& kv : *o) {
            at.emplace_back(std::string(kv.key()));
            paths_of(kv.value(), at, out);
            at.pop_back();
        }
    } else if (const auto* a = v.if_array()) {
        for (std::size_t i = 0; i < a->size(); ++i) {
            at.emplace_back(i);
            paths_of((*a)[i], at, out);
            at.pop_back();
        }
    }
}

std::string name_of(const std::vector<step>& path) {
    std::string s = "$";
    for (const auto& st : path) {
        if (const auto* k = std::get_if<std::string>(&st)) s += "." + *k;
        else s += "[" + std::to_string(std::get<std::size_t>(st)) + "]";
    }
    return s;
}

/// The value at `path` in `root`, and the object holding it (or null).
json::value& at_path(json::value& root, const std::vector<step>& path, json::object** parent = nullptr) {
    json::value* v = &root;
    if (parent) *parent = nullptr;
    for (const auto& st : path) {
        if (const auto* k = std::get_if<std::string>(&st)) {
            if (parent) *parent = &v->as_object();
            v = &v->as_object().at(*k);
        } else {
            if (parent) *parent = nullptr;
            v = &v->as_array().at(std::get<std::size_t>(st));
        }
    }
    return *v;
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_snapshot_direct)

BOOST_AUTO_TEST_CASE(CommonSnapshotsLoadWithoutTheValueTree) {
    // The point of the reader: spec snapshots as this store and the Go
    // daemon write them (Go puts an inverse event's "type" last) load
    // without from_json, i.e. without a value tree.
    int tree_reads = -1;
    const auto go = check_same(spectest::slurp(spectest::fixtures() /
                                               "home/specs/01KF0HJ087AE67Z5NHCJZHQ5XV/snapshots/state_23.json"),
                               23, tree_reads, "Go fixture");
    BOOST_TEST(go.snapshot.has_value());
    BOOST_TEST(tree_reads == 0);

    // With a pending question, agent contexts and an inverse of an unknown
    // type, which is kept as raw JSON.
    const auto rich = rich_snapshot();
    const auto got = check_same(file_of(rich), rich.last_event_id, tree_reads, "every part of a state");
    BOOST_TEST((got.snapshot == std::optional(rich)));
    BOOST_TEST(tree_reads == 0);

    for (const auto& f : spectest::clean_specs()) {
        spec::spec_snapshot s;
        s.state = spectest::fold(f.log);
        s.last_event_id = s.state.last_event_id;
        s.saved_at = evlog::timestamp::parse("2026-01-01T00:00:00Z").value();
        const auto out = check_same(file_of(s), s.last_event_id, tree_reads, f.name);
        BOOST_TEST((out.snapshot == std::optional(s)), f.name);
        BOOST_TEST(tree_reads == 0, f.name);
    }
}

BOOST_AUTO_TEST_CASE(RepeatedKeysLoadAsTheTreeLoadsThem) {
    // The tree keeps the last of repeated keys; the reader cannot know a
    // key will come again, so it hands such files to the tree.
    const auto s = rich_snapshot();
    const std::string file = file_of(s);
    const std::vector<std::pair<std::string, std::string>> dups = {
        {R"({"state":)", R"({"last_event_id":1,"state":)"},
        {R"("core":{)", R"("core":{"title":"first",)"},
        {R"("lanes":[)", R"("lanes":null,"lanes":[)"},
        {R"("last_event_id":)", R"("last_event_id":0,"last_event_id":)"},
        {R"("inverse":[{"type":)", R"("inverse":[{"type":"CardDeleted","type":)"},
        {R"("card_id":)", R"("card_id":"01KJP0000BBBBBBBBBBBBBBBBB","card_id":)"},
        {R"("saved_at":)", R"("saved_at":"x","saved_at":)"},
    };
    for (const auto& [from, to] : dups) {
        std::string bytes = file;
        const auto at = bytes.find(from);
        BOOST_REQUIRE_MESSAGE(at != std::string::npos, from);
        bytes.replace(at, from.size(), to);
        int tree_reads = -1;
        check_same(bytes, s.last_event_id, tree_reads, to);
        BOOST_TEST(tree_reads == 2, to); // load_latest() and load(), each through the tree
    }
    // Agent contexts are built by the parser's own value_stack calls, which
    // collapse repeated keys as the tree does: no need for the tree.
    std::string bytes = file;
    bytes.replace(bytes.find(R"("agent_contexts":{)"), 18, R"("agent_contexts":{"writer":1,)");
    int tree_reads = -1;
    BOOST_TEST(check_same(bytes, s.last_event_id, tree_reads, "repeated agent").snapshot.has_value());
    BOOST_TEST(tree_reads == 0);
}

BOOST_AUTO_TEST_CASE(TruncatedSnapshotIsReportedNotLoaded) {
    const auto s = rich_snapshot();
    const std::string file = file_of(s);
    // Up to the closing brace; the newline after it is not part of the JSON.
    BOOST_REQUIRE(file.ends_with("}\n"));
    for (std::size_t n = 0; n + 1 < file.size(); n += (n < 64 || file.size() - n < 64) ? 1 : 5) {
        const auto out = check_same(file.substr(0, n), s.last_event_id, "first " + std::to_string(n) + " bytes");
        BOOST_TEST(!out.snapshot.has_value(), n);
    }
}

BOOST_AUTO_TEST_CASE(CorruptBytesAreReportedAsTheTreeReportsThem) {
    const auto s = rich_snapshot();
    const std::string file = file_of(s);
    const std::string replacements[] = {"\"", "\\", "}", "]", ",", ":", "x", "\xff", "\n", "-", "0", "{"};
    for (std::size_t at = 0; at < file.size(); at += 3) {
        for (const auto& r : replacements) {
            std::string bytes = file;
            bytes.replace(at, 1, r);
            check_same(bytes, s.last_event_id, "byte " + std::to_string(at) + " is " + r);
        }
    }
}

BOOST_AUTO_TEST_CASE(MutatedValuesLoadOrFailAsTheTreeDecides) {
    // Every value of the file, and every member removed, replaced by
    // values of each JSON type: wrong types, nulls where a member is
    // required, negative and fractional numbers, ids and times that parse.
    const auto rich = rich_snapshot();
    const json::value root = json::parse(file_of(rich));
    std::vector<std::vector<step>> paths;
    std::vector<step> at;
    paths_of(root, at, paths);
    const json::value replacements[] = {
        nullptr,
        "x",
        "01KJP0000AAAAAAAAAAAAAAAAA",
        "2026-01-01T00:00:00Z",
        "CardMoved",
        -1,
        1,
        1.5,
        2.0,
        std::uint64_t(18446744073709551615ull),
        true,
        json::object(),
        json::array(),
        json::array{"x"},
        json::parse(R"({"type":"Boolean","question_id":"01KJP0001QQQQQQQQQQQQQQQ01","question":"q"})"),
    };
    for (const auto& path : paths) {
        for (const auto& r : replacements) {
            json::value v = root;
            at_path(v, path) = r;
            check_same(json::serialize(v), rich.last_event_id, name_of(path) + " = " + json::serialize(r));
        }
        json::object* parent = nullptr;
        json::value v = root;
        at_path(v, path, &parent);
        if (parent) {
            parent->erase(std::get<std::string>(path.back()));
            check_same(json::serialize(v), rich.last_event_id, name_of(path) + " removed");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
