// Round trips between the Go implementation's files and evlog's: a Go log
// read by evlog and written out again by evlog's append log, and the
// snapshot files each side writes.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <evlog/recovery/recover.hpp>
#include <evlog/spec/state_json.hpp>
#include <evlog/spec/store.hpp>

#include "spec/spec_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace spec = evlog::spec;

/// The logs the Go daemon wrote (the Rust one wrote barnstormer).
std::vector<spectest::fixture_spec> go_written() {
    std::vector<spectest::fixture_spec> out;
    for (const auto& f : spectest::clean_specs())
        if (f.name != "barnstormer") out.push_back(f);
    return out;
}

std::set<std::string> keys_of(const boost::json::value& v) {
    std::set<std::string> out;
    for (const auto& kv : v.as_object()) out.insert(std::string(kv.key()));
    return out;
}

/// Writes `events` with spec_log, one append per event as the Go daemon does.
void write_with_append_log(const fs::path& log, const std::vector<spec::spec_event>& events) {
    spec::spec_log<> out;
    out.open(log);
    for (const auto& e : events) out.append(e);
    out.close();
}

/// A line up to its payload: event_id, spec_id and timestamp as written.
std::string envelope(const std::string& line) { return line.substr(0, line.find("\"payload\":")); }

/// Why a line evlog wrote differs in bytes from the Go line of the same event.
struct byte_differences {
    bool key_order = false;    ///< the same keys in another order
    bool html_escapes = false; ///< Go writes <, > and & as \u003c, \u003e, \u0026
    bool number_form = false;  ///< evlog writes a non-integral number as Boost.JSON does (5E-1)
};

bool same_key_order(const boost::json::value& a, const boost::json::value& b) {
    if (a.is_object() && b.is_object()) {
        const auto &x = a.get_object(), &y = b.get_object();
        if (x.size() != y.size()) return false;
        for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
            if (i->key() != j->key() || !same_key_order(i->value(), j->value())) return false;
        return true;
    }
    if (a.is_array() && b.is_array()) {
        const auto &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!same_key_order(x[i], y[i])) return false;
    }
    return true;
}

/// An `E` outside strings can only be a number's exponent.
bool has_exponent(const std::string& line) {
    bool in_string = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        if (in_string) {
            if (line[i] == '\\') ++i;
            else if (line[i] == '"') in_string = false;
        } else if (line[i] == '"') {
            in_string = true;
        } else if (line[i] == 'E') {
            return true;
        }
    }
    return false;
}

byte_differences differences(const std::string& go, const std::string& ev) {
    byte_differences d;
    d.key_order = !same_key_order(boost::json::parse(go), boost::json::parse(ev));
    d.html_escapes = go.find("\\u003c") != std::string::npos || go.find("\\u003e") != std::string::npos ||
                     go.find("\\u0026") != std::string::npos;
    d.number_form = has_exponent(ev) != has_exponent(go);
    return d;
}

const evlog::timestamp saved_at = *evlog::timestamp::parse("2026-02-01T08:30:00.5Z");

} // namespace

BOOST_AUTO_TEST_SUITE(spec_roundtrip)

// Not byte-identical: each line has the Go line's JSON value and its
// envelope bytes, and every payload that differs in bytes does so for a
// reason docs/compat.md ("Bytes on disk") records.
BOOST_AUTO_TEST_CASE(GoLogWrittenAgainByAppendLogHasSameJsonValuesAndEnvelopeBytes) {
    for (const auto& f : go_written()) {
        BOOST_TEST_CONTEXT(f.name) {
            const auto events = spectest::events_of(f.log);
            BOOST_TEST_REQUIRE(!events.empty());
            evtest::temp_dir tmp;
            const auto copy = tmp / "events.jsonl";
            write_with_append_log(copy, events);

            const auto go = spectest::lines_of(f.log);
            const auto ev = spectest::lines_of(copy);
            BOOST_TEST_REQUIRE(go.size() == ev.size());
            std::size_t identical = 0, key_order = 0, html = 0, numbers = 0;
            for (std::size_t i = 0; i < go.size(); ++i) {
                BOOST_TEST_CONTEXT("line " << i + 1) {
                    BOOST_TEST((boost::json::parse(ev[i]) == boost::json::parse(go[i])), ev[i] << "\nvs Go\n" << go[i]);
                    BOOST_TEST(envelope(ev[i]) == envelope(go[i]));
                    if (ev[i] == go[i]) {
                        ++identical;
                        continue;
                    }
                    const auto d = differences(go[i], ev[i]);
                    key_order += d.key_order;
                    html += d.html_escapes;
                    numbers += d.number_form;
                    BOOST_TEST((d.key_order || d.html_escapes || d.number_form),
                               "bytes differ for a reason compat.md does not give:\n" << ev[i] << "\nvs Go\n" << go[i]);
                }
            }
            BOOST_TEST_MESSAGE(f.name << ": " << identical << " of " << go.size()
                                      << " lines byte-identical; of the others, key order differs in " << key_order
                                      << ", Go's HTML escapes in " << html << ", number form in " << numbers);

            const auto again = spectest::events_of(copy);
            BOOST_TEST_REQUIRE(again.size() == events.size());
            for (std::size_t i = 0; i < events.size(); ++i)
                BOOST_TEST(spectest::same_event(again[i], events[i]), "event " << events[i].id);
            // Written once more, evlog's own file comes back byte for byte.
            evtest::temp_dir tmp2;
            write_with_append_log(tmp2 / "events.jsonl", again);
            BOOST_TEST(evtest::read_file(tmp2 / "events.jsonl") == evtest::read_file(copy));
        }
    }
}

BOOST_AUTO_TEST_CASE(GoLogLineDecodesAndReencodesToSameJsonValue) {
    std::size_t lines = 0;
    for (const auto& f : go_written()) {
        for (const auto& line : spectest::lines_of(f.log)) {
            evlog::json_codec<spec::spec_event> c;
            spec::spec_event e;
            BOOST_TEST_REQUIRE(!c.decode(line, e), c.error_detail());
            const auto out = spectest::encode(e);
            BOOST_TEST((boost::json::parse(out) == boost::json::parse(line)), out << "\nvs Go\n" << line);
            BOOST_TEST(envelope(out) == envelope(line));
            ++lines;
        }
    }
    BOOST_TEST(lines > 50u);
}

// The Rust daemon wrote six-digit fractions and floats as `2.0`: evlog reads
// its log, and what evlog writes back has the same JSON values (and reads
// back as the same events), though not the same bytes.
BOOST_AUTO_TEST_CASE(RustLogWrittenAgainHasSameJsonValues) {
    for (const auto& f : spectest::clean_specs()) {
        if (f.name != "barnstormer") continue;
        const auto events = spectest::events_of(f.log);
        evtest::temp_dir tmp;
        const auto copy = tmp / "events.jsonl";
        write_with_append_log(copy, events);
        const auto in = spectest::lines_of(f.log);
        const auto out = spectest::lines_of(copy);
        BOOST_TEST_REQUIRE(in.size() == out.size());
        std::size_t same_bytes = 0;
        for (std::size_t i = 0; i < in.size(); ++i) {
            BOOST_TEST(spectest::json_diff(boost::json::parse(in[i]), boost::json::parse(out[i])) == "",
                       "line " << i + 1);
            same_bytes += in[i] == out[i];
        }
        BOOST_TEST_MESSAGE("barnstormer: " << same_bytes << " of " << in.size() << " lines byte-identical");
        const auto again = spectest::events_of(copy);
        BOOST_TEST_REQUIRE(again.size() == events.size());
        for (std::size_t i = 0; i < events.size(); ++i)
            BOOST_TEST(spectest::same_event(again[i], events[i]), "event " << events[i].id);
    }
}

// What spec_snapshot_store writes has Go's keys (plus log_offset, which Go
// ignores), and its state has the keys of Go's state for the same spec:
// pending_question only when a question is pending.
BOOST_AUTO_TEST_CASE(SavedSnapshotHasGoSnapshotKeys) {
    for (const auto& f : spectest::clean_specs()) {
        BOOST_TEST_CONTEXT(f.name) {
            spectest::spec_home home;
            const auto p = home.add_spec_dir(f.dir());
            // The Go snapshot file when the spec has one, else Go's recovered
            // state in the same layout.
            auto go = spectest::load_json(f.expected / "expected_state.json");
            const auto r = evlog::recover<spec::recovery_config_no_index<>>(p.dir);
            fs::remove_all(p.snapshots());
            spec::spec_snapshot_store store(p.snapshots());
            const auto s = spec::snapshot_of(r, std::nullopt, saved_at);
            store.save(s);
            const auto file = store.path_of(r.state.last_event_id);
            BOOST_TEST_REQUIRE(fs::exists(file));
            const auto saved = spectest::load_json(file);

            auto want = keys_of(go);
            want.insert("log_offset");
            BOOST_TEST((keys_of(saved) == want));
            BOOST_TEST(keys_of(saved.at("state")) == keys_of(go.at("state")), boost::test_tools::per_element());
            if (fs::exists(f.dir() / "snapshots")) {
                for (const auto& go_snap : fs::directory_iterator(f.dir() / "snapshots")) {
                    const auto g = spectest::load_json(go_snap.path());
                    BOOST_TEST(keys_of(saved.at("state")) == keys_of(g.at("state")), boost::test_tools::per_element());
                    auto gk = keys_of(g);
                    gk.insert("log_offset");
                    BOOST_TEST((keys_of(saved) == gk));
                }
            }
            BOOST_TEST(saved.at("state").as_object().contains("pending_question") == r.state.pending_question.has_value());
            BOOST_TEST(saved.at("last_event_id") == go.at("last_event_id"));
            BOOST_TEST(saved.at("agent_contexts").is_object());
            BOOST_TEST((evlog::timestamp::parse(saved.at("saved_at").as_string()) == std::optional(saved_at)));
            BOOST_TEST(saved.at("log_offset").to_number<std::uint64_t>() == fs::file_size(p.log()));
            BOOST_TEST(spectest::state_diff(r.state, saved.at("state")) == "");
        }
    }
}

// A Go snapshot read and saved again by evlog is the same document: evlog
// adds no log_offset it does not know and drops nothing.
BOOST_AUTO_TEST_CASE(GoSnapshotLoadedAndSavedAgainIsTheSameJson) {
    const auto go_dir = spectest::fixtures() / "home/specs/01KF0HJ087AE67Z5NHCJZHQ5XV/snapshots";
    std::size_t checked = 0;
    for (const auto& entry : fs::directory_iterator(go_dir)) {
        const auto name = entry.path().filename().string();
        BOOST_TEST_CONTEXT(name) {
            const auto id = std::stoull(name.substr(6));
            evtest::temp_dir tmp;
            spectest::copy_tree(go_dir, tmp / "go");
            spec::spec_snapshot_store from(tmp / "go");
            const auto s = from.load(id);
            BOOST_TEST_REQUIRE(s.has_value());
            BOOST_TEST(!s->log_offset.has_value());
            spec::spec_snapshot_store to(tmp / "evlog");
            to.save(*s);
            BOOST_TEST(spectest::json_diff(spectest::load_json(to.path_of(id)), spectest::load_json(entry.path())) ==
                       "");
            ++checked;
        }
    }
    BOOST_TEST(checked == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
