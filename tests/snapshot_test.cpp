// The snapshot store: the conformance kit for the default and a custom
// codec, the on-disk layout shared with the Go implementation, and what
// failed system calls leave behind.
#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/json.hpp>
#include <boost/test/unit_test.hpp>

#include <evlog/file/fault_file.hpp>
#include <evlog/snapshot/snapshot_store.hpp>
#include <evlog/testing/snapshot_kit.hpp>

#include "support/test_events.hpp"

namespace {

namespace fs = std::filesystem;
namespace json = boost::json;

struct board {
    std::map<std::string, std::int64_t> counts;
    std::string title;
    friend bool operator==(const board&, const board&) = default;
};

void tag_invoke(json::value_from_tag, json::value& v, const board& b) {
    v = {{"counts", json::value_from(b.counts)}, {"title", b.title}};
}
board tag_invoke(json::value_to_tag<board>, const json::value& v) {
    const auto& o = evlog::json::as_object(v, "state");
    return {evlog::json::required<std::map<std::string, std::int64_t>>(o, "counts"),
            evlog::json::required<std::string>(o, "title")};
}

board make_board(int n) { return {{{"n", n}, {"twice", 2 * n}}, "board " + std::to_string(n)}; }

struct board_fixture {
    using store_type = evlog::snapshot_store<board>;
    store_type make_store(const fs::path& dir) { return store_type(dir); }
    board make_state(int n) { return make_board(n); }
};

// A codec with a shape unlike the tag_invoke one: [title, counts].
struct pair_codec {
    json::value to_json(const board& b) const { return json::array{json::value(b.title), json::value_from(b.counts)}; }
    board from_json(const json::value& v) const {
        const auto& a = v.as_array();
        if (a.size() != 2) throw std::invalid_argument("expected [title, counts]");
        return {json::value_to<std::map<std::string, std::int64_t>>(a[1]), std::string(a[0].as_string())};
    }
};
static_assert(evlog::state_codec<pair_codec, board>);

struct pair_codec_fixture {
    using store_type = evlog::snapshot_store<board, pair_codec>;
    store_type make_store(const fs::path& dir) { return store_type(dir); }
    board make_state(int n) { return make_board(n); }
};

using store = evlog::snapshot_store<board>;
using fault_store = evlog::snapshot_store<board, evlog::json_state_codec<board>, evlog::fault_file>;

evlog::snapshot<board> sample(std::uint64_t id, int n) {
    evlog::snapshot<board> s;
    s.state = make_board(n);
    s.last_event_id = id;
    s.log_offset = id * 64;
    s.saved_at = *evlog::timestamp::parse("2026-01-15T10:00:01.623456Z");
    return s;
}

std::vector<std::string> tmp_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".tmp") out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// A valid Go-style file for id 7, minus whatever the test removes.
json::object go_snapshot() {
    return json::parse(R"({"state":{"counts":{"a":1},"title":"go"},"last_event_id":7,)"
                       R"("agent_contexts":{},"saved_at":"2026-01-15T10:00:01.623456Z"})")
        .as_object();
}

// The detail of the snapshot_corrupt error load() throws for `bytes` at id 7.
std::string corrupt_detail(const std::string& bytes) {
    evtest::temp_dir d;
    evtest::write_file(d / "state_7.json", bytes);
    try {
        store(d.path()).load(7);
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == evlog::errc::snapshot_corrupt));
        return e.detail();
    }
    BOOST_ERROR("no snapshot_corrupt for: " + bytes);
    return {};
}

} // namespace

EVLOG_SNAPSHOT_KIT(SnapshotStoreKit, board_fixture)
EVLOG_SNAPSHOT_KIT(CustomCodecSnapshotStoreKit, pair_codec_fixture)

BOOST_AUTO_TEST_SUITE(SnapshotStore)

BOOST_AUTO_TEST_CASE(SnapshotFileHasGoLayoutWithLogOffsetLast) {
    evtest::temp_dir d;
    auto s = sample(7, 0);
    s.state = board{{{"a", 1}, {"b", -2}}, "t"};
    s.log_offset = 512;
    s.agent_contexts["planner"] = json::value{{"step", 1}};
    store(d.path()).save(s);

    const auto bytes = evtest::read_file(d / "state_7.json");
    BOOST_TEST(bytes == R"({"state":{"counts":{"a":1,"b":-2},"title":"t"},"last_event_id":7,)"
                        R"("agent_contexts":{"planner":{"step":1}},"saved_at":"2026-01-15T10:00:01.623456Z",)"
                        R"("log_offset":512})"
                        "\n");
    const auto o = json::parse(bytes).as_object();
    std::set<std::string> keys;
    for (const auto& kv : o) keys.insert(std::string(kv.key()));
    BOOST_TEST((keys == std::set<std::string>{"state", "last_event_id", "agent_contexts", "saved_at", "log_offset"}));
    BOOST_TEST(o.at("last_event_id").to_number<std::uint64_t>() == 7u);
    BOOST_TEST(o.at("log_offset").to_number<std::uint64_t>() == 512u);
    BOOST_TEST(o.at("saved_at").as_string() == "2026-01-15T10:00:01.623456Z");
}

BOOST_AUTO_TEST_CASE(EmptyContextsAreWrittenAsEmptyObjectAndUnknownOffsetIsOmitted) {
    evtest::temp_dir d;
    auto s = sample(3, 1);
    s.log_offset.reset();
    store(d.path()).save(s);
    const auto o = json::parse(evtest::read_file(d / "state_3.json")).as_object();
    BOOST_TEST(o.at("agent_contexts").is_object());
    BOOST_TEST(o.at("agent_contexts").as_object().empty());
    BOOST_TEST(!o.contains("log_offset"));
}

BOOST_AUTO_TEST_CASE(GoSnapshotWithoutLogOffsetLoadsWithUnknownOffset) {
    evtest::temp_dir d;
    auto o = go_snapshot();
    o["agent_contexts"] = json::object{{"planner", {{"plan", json::array{1, 2}}}}};
    o["schema"] = "v2"; // unknown keys from a newer writer are ignored
    evtest::write_file(d / "state_7.json", json::serialize(o));
    auto r = store(d.path()).load_latest();
    BOOST_REQUIRE(r.snapshot.has_value());
    BOOST_TEST(r.skipped.empty());
    BOOST_TEST(!r.snapshot->log_offset.has_value());
    BOOST_TEST(r.snapshot->last_event_id == 7u);
    BOOST_TEST((r.snapshot->state == board{{{"a", 1}}, "go"}));
    BOOST_TEST(r.snapshot->agent_contexts.at("planner") == json::parse(R"({"plan":[1,2]})"));
}

BOOST_AUTO_TEST_CASE(GoSnapshotWithNullAgentContextsLoadsAsEmpty) {
    evtest::temp_dir d;
    auto o = go_snapshot();
    o["agent_contexts"] = nullptr; // Go's encoding of a nil map
    evtest::write_file(d / "state_7.json", json::serialize(o));
    auto got = store(d.path()).load(7);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(got->agent_contexts.empty());
}

BOOST_AUTO_TEST_CASE(SavedAtWithZoneOffsetIsReadAsUtc) {
    evtest::temp_dir d;
    auto o = go_snapshot();
    o["saved_at"] = "2026-01-15T12:00:01.5+02:00";
    evtest::write_file(d / "state_7.json", json::serialize(o));
    auto got = store(d.path()).load(7);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST(got->saved_at.str() == "2026-01-15T10:00:01.5Z");
}

BOOST_AUTO_TEST_CASE(ForeignNamesAndTmpFilesAloneAreNoSnapshot) {
    evtest::temp_dir d;
    const auto good = json::serialize(go_snapshot());
    evtest::write_file(d / "state_abc.json", good);
    evtest::write_file(d / "state_7.tmp", good);
    evtest::write_file(d / "state_07.json", good);
    fs::create_directory(d / "state_7.json");
    store s(d.path());
    auto r = s.load_latest();
    BOOST_TEST(!r.snapshot.has_value());
    BOOST_TEST(r.skipped.empty());
    BOOST_TEST(s.list().empty());
    BOOST_TEST(!s.load(7).has_value());
}

BOOST_AUTO_TEST_CASE(LastEventIdDisagreeingWithFileNameIsCorrupt) {
    evtest::temp_dir d;
    store s(d.path());
    s.save(sample(3, 3));
    // A copy renamed by hand would resume replay after the wrong event.
    fs::copy_file(d / "state_3.json", d / "state_9.json");
    auto r = s.load_latest();
    BOOST_REQUIRE(r.snapshot.has_value());
    BOOST_TEST(r.snapshot->last_event_id == 3u);
    BOOST_REQUIRE(r.skipped.size() == 1u);
    BOOST_TEST(r.skipped[0].path == d / "state_9.json");
    BOOST_TEST(r.skipped[0].detail.find("file name") != std::string::npos);
    BOOST_CHECK_THROW(s.load(9), evlog::error);
}

BOOST_AUTO_TEST_CASE(MissingRequiredKeyIsCorruptAndNamed) {
    for (const char* key : {"state", "last_event_id", "saved_at"}) {
        auto o = go_snapshot();
        o.erase(key);
        const auto detail = corrupt_detail(json::serialize(o));
        BOOST_TEST(detail.find(std::string("\"") + key + "\"") != std::string::npos, key << ": " << detail);
        BOOST_TEST(detail.find("state_7.json") != std::string::npos, detail);
    }
}

BOOST_AUTO_TEST_CASE(WrongTypedFieldIsCorrupt) {
    const std::vector<std::pair<std::string, json::value>> bad = {
        {"last_event_id", json::value("7")},
        {"last_event_id", json::value(-7)},
        {"log_offset", json::value(-1)},
        {"log_offset", json::value(1.5)},
        {"saved_at", json::value("yesterday")},
        {"saved_at", json::value(1768471201)},
        {"agent_contexts", json::array{}},
    };
    for (const auto& [key, value] : bad) {
        auto o = go_snapshot();
        o[key] = value;
        const auto detail = corrupt_detail(json::serialize(o));
        BOOST_TEST(detail.find("\"" + key + "\"") != std::string::npos, key << ": " << detail);
    }
}

BOOST_AUTO_TEST_CASE(StateThatFailsToConvertIsCorruptAndNamesTheField) {
    auto o = go_snapshot();
    o["state"] = json::parse(R"({"counts":{"a":"one"},"title":"t"})");
    const auto detail = corrupt_detail(json::serialize(o));
    BOOST_TEST(detail.find("\"state\"") != std::string::npos, detail);
    BOOST_TEST(detail.find("\"counts\"") != std::string::npos, detail);
}

BOOST_AUTO_TEST_CASE(TornOrDoubledFileIsCorrupt) {
    const auto good = json::serialize(go_snapshot());
    for (const auto& bytes : {std::string(), good.substr(0, good.size() / 2), good + good, good + "x",
                              std::string(40, '\0')}) {
        const auto detail = corrupt_detail(bytes);
        BOOST_TEST(detail.find("invalid JSON") != std::string::npos, detail);
    }
}

BOOST_AUTO_TEST_CASE(SnapshotHoldingANonFiniteNumberIsRefusedAndLeavesNoFile) {
    // Boost would write it as Infinity or NaN: a file no reader accepts,
    // standing where the previous good snapshot was.
    evtest::temp_dir d;
    store st(d.path());
    st.save(sample(3, 1));
    auto bad = sample(3, 2);
    bad.agent_contexts["planner"] = json::object{{"score", std::numeric_limits<double>::infinity()}};
    try {
        st.save(bad);
        BOOST_ERROR("saved a NaN or infinity");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == evlog::errc::bad_argument));
    }
    BOOST_TEST((st.load(3).value() == sample(3, 1)));
    BOOST_TEST(tmp_files(d.path()).empty());
}

BOOST_AUTO_TEST_CASE(SaveRemovesStaleTmpFiles) {
    evtest::temp_dir d;
    for (const char* n : {"state_3.tmp", "state_10.tmp", "state_12.tmp", "notes.tmp", "state_x.tmp"})
        evtest::write_file(d / n, "left by a crash");
    store(d.path()).save(sample(10, 1));
    BOOST_TEST((tmp_files(d.path()) == std::vector<std::string>{"notes.tmp", "state_x.tmp"}));
}

BOOST_AUTO_TEST_CASE(SaveTraceIsParentFsyncWriteFdatasyncRenameFsyncDir) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    s.save(sample(1, 1));
    ff.clear_trace();
    s.save(sample(2, 2));

    const auto tmp = d / "state_2.tmp", target = d / "state_2.json";
    std::vector<evlog::file_op> ops;
    std::string written;
    for (const auto& c : ff.trace()) {
        // Only the unlink of a stale temp file may fail: there was none.
        if (c.op != evlog::file_op::unlink) BOOST_TEST(!c.result, "call failed: " << c.path);
        switch (c.op) {
        case evlog::file_op::write:
            BOOST_TEST(c.path == tmp);
            written += c.data;
            [[fallthrough]];
        case evlog::file_op::fdatasync:
        case evlog::file_op::rename:
        case evlog::file_op::fsync_dir:
            if (ops.empty() || ops.back() != c.op) ops.push_back(c.op);
            break;
        default: break;
        }
        if (c.op == evlog::file_op::fdatasync) BOOST_TEST(c.path == tmp);
        if (c.op == evlog::file_op::rename) {
            BOOST_TEST(c.path == tmp);
            BOOST_TEST(c.target == target);
        }
        if (c.op == evlog::file_op::fsync_dir && ops.size() > 1) BOOST_TEST(c.path == d.path());
        if (c.op == evlog::file_op::fsync_dir && ops.size() == 1) BOOST_TEST(c.path == d.path().parent_path());
        // Nothing but the rename may touch the real file.
        BOOST_TEST(c.path != target);
    }
    using op = evlog::file_op;
    // The first fsync is the parent's, which makes the directory's entry durable.
    BOOST_TEST((ops == std::vector<op>{op::fsync_dir, op::write, op::fdatasync, op::rename, op::fsync_dir}));
    BOOST_TEST(written == evtest::read_file(target));
}

BOOST_AUTO_TEST_CASE(SaveIntoMissingDirectoryMakesTheDirectoryDurable) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    const auto dir = d / "snapshots";
    fault_store(dir, {}, ff).save(sample(1, 1));
    std::vector<evlog::file_call> calls;
    for (const auto& c : ff.trace())
        if (c.op == evlog::file_op::mkdirs || c.op == evlog::file_op::fsync_dir) calls.push_back(c);
    BOOST_REQUIRE(calls.size() == 3u);
    BOOST_TEST((calls[0].op == evlog::file_op::mkdirs && calls[0].path == dir));
    BOOST_TEST((calls[1].op == evlog::file_op::fsync_dir && calls[1].path == d.path()));
    BOOST_TEST((calls[2].op == evlog::file_op::fsync_dir && calls[2].path == dir));
}

BOOST_AUTO_TEST_CASE(SaveIntoMissingNestedDirectoriesFsyncsTheParentOfEachLevel) {
    // Fsyncing only the immediate parent would leave the entries of "a" and
    // "b" to chance: a power loss could take them, and the snapshot with
    // them, although save returned.
    evtest::temp_dir d;
    evlog::fault_file ff;
    const auto dir = d / "a" / "b" / "snapshots";
    fault_store(dir, {}, ff).save(sample(1, 1));
    std::set<fs::path> synced;
    for (const auto& c : ff.trace())
        if (c.op == evlog::file_op::fsync_dir && !c.result) synced.insert(c.path);
    BOOST_TEST((synced == std::set<fs::path>{d.path(), d / "a", d / "a" / "b", dir}));
}

BOOST_AUTO_TEST_CASE(SaveRetryAfterAFailedParentFsyncStillFsyncsTheParent) {
    // The failed save created the directory; the retry finds it there and
    // must not take its entry for durable.
    evtest::temp_dir d;
    evlog::fault_file ff;
    ff.fail_nth(evlog::file_op::fsync_dir, 1, EIO);
    fault_store s(d / "snapshots", {}, ff);
    try {
        s.save(sample(1, 1));
        BOOST_ERROR("save did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.detail().find(d.path().string()) != std::string::npos, e.detail());
    }
    ff.clear_trace();
    s.save(sample(1, 1));
    std::size_t parent_synced = 0;
    for (const auto& c : ff.trace())
        if (c.op == evlog::file_op::fsync_dir && !c.result && c.path == d.path()) ++parent_synced;
    BOOST_TEST(parent_synced == 1u);
}

BOOST_AUTO_TEST_CASE(FailedFdatasyncKeepsPreviousSnapshotAndLeavesNoTmp) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    s.save(sample(5, 5));
    ff.fail_next(evlog::file_op::fdatasync, EIO);
    try {
        s.save(sample(6, 6));
        BOOST_ERROR("save did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == std::error_code(EIO, std::system_category())));
        BOOST_TEST(e.detail().find("state_6.tmp") != std::string::npos, e.detail());
    }
    BOOST_TEST(tmp_files(d.path()).empty());
    BOOST_TEST((s.list() == std::vector<std::uint64_t>{5}));
    auto r = s.load_latest();
    BOOST_REQUIRE(r.snapshot.has_value());
    BOOST_TEST((r.snapshot->state == make_board(5)));
}

BOOST_AUTO_TEST_CASE(FailedRenameKeepsReplacedSnapshotAndLeavesNoTmp) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    s.save(sample(5, 1));
    const auto before = evtest::read_file(d / "state_5.json");
    ff.fail_next(evlog::file_op::rename, EXDEV);
    try {
        s.save(sample(5, 2)); // same id: the rename would have replaced it
        BOOST_ERROR("save did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == std::error_code(EXDEV, std::system_category())));
        BOOST_TEST(e.detail().find("state_5.json") != std::string::npos, e.detail());
    }
    BOOST_TEST(tmp_files(d.path()).empty());
    BOOST_TEST(evtest::read_file(d / "state_5.json") == before);
    auto got = s.load(5);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST((got->state == make_board(1)));
}

BOOST_AUTO_TEST_CASE(DiskFullDuringWriteKeepsPreviousSnapshotAndLeavesNoTmp) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    s.save(sample(5, 5));
    ff.fail_next(evlog::file_op::write, ENOSPC);
    BOOST_CHECK_THROW(s.save(sample(6, 6)), evlog::error);
    BOOST_TEST(tmp_files(d.path()).empty());
    BOOST_TEST((s.list() == std::vector<std::uint64_t>{5}));
}

BOOST_AUTO_TEST_CASE(ShortWriteIsCompletedNotLeftTorn) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    ff.short_write_nth(evlog::file_op::write, ff.count(evlog::file_op::write) + 1, 10);
    s.save(sample(4, 4));
    auto got = s.load(4);
    BOOST_REQUIRE(got.has_value());
    BOOST_TEST((got->state == make_board(4)));
}

BOOST_AUTO_TEST_CASE(FailedDirectoryFsyncThrowsThoughTheNewFileIsInPlace) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    ff.fail_nth(evlog::file_op::fsync_dir, 2, EIO); // 1: the parent's, 2: after the rename
    // The caller must learn the rename may not survive a crash.
    BOOST_CHECK_THROW(s.save(sample(8, 8)), evlog::error);
    BOOST_TEST(tmp_files(d.path()).empty());
    BOOST_TEST(s.load(8).has_value());
}

BOOST_AUTO_TEST_CASE(UnreadableDirectoryIsAnError) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    s.save(sample(1, 1));
    // Injected: the tests may run as root, for whom chmod 000 changes nothing.
    ff.fail_next(evlog::file_op::open, EACCES);
    try {
        s.load_latest();
        BOOST_ERROR("load_latest did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == std::error_code(EACCES, std::system_category())));
        BOOST_TEST(e.detail().find(d.path().string()) != std::string::npos, e.detail());
    }
    ff.fail_next(evlog::file_op::open, EACCES);
    BOOST_CHECK_THROW(s.list(), evlog::error);
}

BOOST_AUTO_TEST_CASE(ReadErrorIsThrownNotSkipped) {
    evtest::temp_dir d;
    evlog::fault_file ff;
    fault_store s(d.path(), {}, ff);
    s.save(sample(1, 1));
    s.save(sample(2, 2));
    // Falling back to snapshot 1 would hide a failing disk.
    ff.fail_next(evlog::file_op::read, EIO);
    try {
        s.load_latest();
        BOOST_ERROR("load_latest did not throw");
    } catch (const evlog::error& e) {
        BOOST_TEST((e.code() == std::error_code(EIO, std::system_category())));
        BOOST_TEST(e.detail().find("state_2.json") != std::string::npos, e.detail());
    }
}

BOOST_AUTO_TEST_CASE(DirectoryPathThatIsAFileIsAnError) {
    evtest::temp_dir d;
    evtest::write_file(d / "plain", "not a directory");
    store s(d / "plain");
    BOOST_CHECK_THROW(s.load_latest(), evlog::error);
    BOOST_CHECK_THROW(s.save(sample(1, 1)), evlog::error);
}

// A state that keeps part of the parsed document as a plain copy, which
// shares the document's storage.
struct raw_state {
    json::value kept;
};
struct keep_codec {
    json::value to_json(const raw_state& s) const { return s.kept; }
    raw_state from_json(const json::value& v) const { return {v}; }
};

BOOST_AUTO_TEST_CASE(StateKeepingAPlainCopyOfTheDocumentDoesNotOutliveItsStorage) {
    evtest::temp_dir d;
    const auto doc = json::parse(R"({"notes":["a","b",{"deep":[1,2.5,"x"]}],"big":")" + std::string(100000, 'z') +
                                 R"("})");
    std::optional<evlog::snapshot<raw_state>> loaded;
    {
        evlog::snapshot_store<raw_state, keep_codec> s(d.path());
        evlog::snapshot<raw_state> snap;
        snap.state.kept = doc;
        snap.last_event_id = 3;
        s.save(snap);
        loaded = s.load_latest().snapshot;
    }
    BOOST_REQUIRE(loaded);
    // The parse's storage is gone with the load; a copy that shares it must
    // keep it alive (a shared, reference-counted storage), not dangle.
    const auto& storage = loaded->state.kept.storage();
    BOOST_TEST((storage.is_shared() || storage.get() == json::storage_ptr().get()));
    std::vector<std::string> churn(1000, std::string(4096, 'q')); // reuse freed memory, if any
    BOOST_TEST(loaded->state.kept == doc);
}

BOOST_AUTO_TEST_CASE(CustomCodecWritesItsOwnStateShape) {
    evtest::temp_dir d;
    evlog::snapshot_store<board, pair_codec> s(d.path());
    s.save(sample(2, 3));
    const auto o = json::parse(evtest::read_file(d / "state_2.json")).as_object();
    BOOST_TEST(o.at("state") == json::parse(R"(["board 3",{"n":3,"twice":6}])"));
    // The default codec cannot read that shape: corrupt, not a crash.
    BOOST_CHECK_THROW(store(d.path()).load(2), evlog::error);
}

BOOST_AUTO_TEST_SUITE_END()
