// The spec payloads' direct paths in json_codec. Writing
// (json::write_members_tag) gives the same bytes as their value_from
// conversions serialized by Boost.JSON, for every payload type, every state
// of optional and patched fields, strings with every byte value and awkward
// doubles. Reading (json::read_member_tag) gives the same event, or the same
// error, as decoding through the value tree (json_codec::decode_tree): for
// the Go fixtures, for random lines with keys reordered, repeated, added or
// removed, values of the wrong type, nulls, escapes and whitespace, and for
// every member of every payload nulled, removed, repeated or retyped.
#include <boost/test/unit_test.hpp>

#include <cfenv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <utility>
#include <limits>
#include <string>
#include <variant>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <evlog/core/codec.hpp>
#include <evlog/core/json.hpp>
#include <evlog/spec/payloads.hpp>

// EVLOG_TEST_FIXTURES: the fixture root, set by the build.

namespace {

namespace sp = evlog::spec;
using sp::spec_event;

static_assert(evlog::json::writes_members<sp::card_created>);
static_assert(evlog::json::writes_members<sp::card_updated>);
static_assert(evlog::json::writes_members<sp::card_moved>);
static_assert(evlog::json::writes_members<sp::transcript_appended>);
static_assert(!evlog::json::writes_members<sp::undo_applied>);
static_assert(evlog::json::reads_members<sp::card_created>);
static_assert(evlog::json::reads_members<sp::transcript_appended>);
static_assert(!evlog::json::reads_members<sp::undo_applied>);

/// The envelope and the payload's value tree.
boost::json::object tree_of(const spec_event& e) {
    boost::json::object o;
    o["event_id"] = e.id;
    o["spec_id"] = e.stream.str();
    o["timestamp"] = e.time.str();
    std::visit(
        [&](const auto& p) {
            using P = std::decay_t<decltype(p)>;
            if constexpr (!std::is_same_v<P, evlog::unknown_payload>) o["payload"] = boost::json::value_from(p);
        },
        e.payload);
    return o;
}

/// What the codec wrote before payloads could write themselves: the value
/// tree, serialized by Boost.JSON.
std::string via_tree(const spec_event& e) { return boost::json::serialize(tree_of(e)); }

/// Whether the event holds a NaN or an infinity, which JSON cannot.
bool holds_non_finite(const spec_event& e) {
    try {
        evlog::json::detail::require_finite(tree_of(e), "event");
        return false;
    } catch (const evlog::error&) {
        return true;
    }
}

class gen {
public:
    /// utf8: strings are valid UTF-8 (what a parser accepts); otherwise any bytes.
    explicit gen(std::uint64_t seed, bool utf8 = false) : s_(seed), utf8_(utf8) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }

    /// Mostly plain text, sometimes any byte (control characters, quotes,
    /// backslashes, high bytes), sometimes long runs.
    std::string text() {
        std::string s;
        const auto n = below(5) == 0 ? below(300) : below(24);
        const bool any = below(3) == 0;
        static const char* const wide[] = {"\xc3\xa9", "\xe2\x80\x94", "\xf0\x9f\x98\x80", "\xe4\xb8\xad"};
        for (std::uint64_t i = 0; i < n; ++i) {
            if (!any) s += static_cast<char>('a' + below(26));
            else if (!utf8_) s += static_cast<char>(below(256));
            else if (below(4) == 0) s += wide[below(4)];
            else s += static_cast<char>(below(128));
        }
        return s;
    }
    double number() {
        static const double special[] = {0.0, -0.0, 1.0, -1.0, 0.5, 12.25, 1e20, -1e-7, 9007199254740992.0,
                                         9007199254740994.0, 1e300, std::numeric_limits<double>::min(),
                                         std::numeric_limits<double>::infinity(),
                                         std::numeric_limits<double>::quiet_NaN()};
        // Infinities and NaN have no JSON text a parser reads back.
        if (below(2) == 0) return special[below(std::size(special) - (utf8_ ? 2 : 0))];
        return static_cast<double>(static_cast<std::int64_t>(next())) / static_cast<double>(1 + below(1000));
    }
    evlog::ulid id() {
        evlog::ulid::bytes_type b{};
        for (auto& x : b) x = static_cast<std::uint8_t>(next());
        b[0] &= 0x7f;
        return evlog::ulid(b);
    }
    evlog::timestamp time() {
        // Whole seconds, milli-, micro- and nanoseconds, before and after 1970.
        const std::int64_t secs = static_cast<std::int64_t>(below(8'000'000'000ull)) - 2'000'000'000;
        std::int64_t nanos = 0;
        switch (below(4)) {
        case 0: break;
        case 1: nanos = static_cast<std::int64_t>(below(1000)) * 1'000'000; break;
        case 2: nanos = static_cast<std::int64_t>(below(1'000'000)) * 1000; break;
        default: nanos = static_cast<std::int64_t>(below(1'000'000'000)); break;
        }
        return evlog::timestamp::from_unix_nanos(secs * 1'000'000'000 + nanos);
    }
    template <class T>
    evlog::json::patch<T> patch(T v) {
        switch (below(3)) {
        case 0: return {};
        case 1: return evlog::json::patch<T>::clear();
        default: return evlog::json::patch<T>::set(std::move(v));
        }
    }
    std::optional<std::string> optional_text() {
        if (below(2) == 0) return std::nullopt;
        return text();
    }
    std::vector<std::string> texts() {
        std::vector<std::string> v(below(4));
        for (auto& s : v) s = text();
        return v;
    }

    sp::card card() {
        return {id(),   text(), text(),  optional_text(), text(), number(), texts(), time(),
                time(), text(), text()};
    }

    spec_event event() {
        spec_event e;
        e.id = next() >> (below(64));
        e.stream = id();
        e.time = time();
        switch (below(13)) {
        case 0: e.payload = sp::spec_created{text(), text(), text()}; break;
        case 1:
            e.payload = sp::spec_core_updated{patch(text()), patch(text()), patch(text()), patch(text()),
                                              patch(text()), patch(text()), patch(text()), patch(text())};
            break;
        case 2: e.payload = sp::card_created{card()}; break;
        case 3:
            e.payload = sp::card_updated{id(), patch(text()), patch(text()), patch(text()), patch(texts()),
                                         patch(text())};
            break;
        case 4: e.payload = sp::card_moved{id(), text(), number(), optional_text()}; break;
        case 5: e.payload = sp::card_deleted{id(), optional_text()}; break;
        case 6: e.payload = sp::transcript_appended{{id(), text(), text(), text(), time()}}; break;
        case 7: e.payload = sp::question_answered{id(), text()}; break;
        case 8: e.payload = sp::agent_step_started{text(), text()}; break;
        case 9: e.payload = sp::agent_step_finished{text(), text()}; break;
        case 10: e.payload = sp::snapshot_written{next()}; break;
        case 11: e.payload = sp::question_asked{question()}; break;
        default: {
            // Through value_from and the value tree, on both paths.
            sp::undo_applied u{next() >> below(64), {}};
            for (auto n = below(3); n > 0; --n) {
                switch (below(3)) {
                case 0: u.inverse_events.push_back({sp::card_created{card()}}); break;
                case 1: u.inverse_events.push_back({sp::card_moved{id(), text(), number(), optional_text()}}); break;
                default: u.inverse_events.push_back({sp::card_deleted{id(), optional_text()}}); break;
                }
            }
            e.payload = std::move(u);
            break;
        }
        }
        return e;
    }

    sp::question question() {
        switch (below(3)) {
        case 0: {
            std::optional<bool> d;
            if (below(2)) d = below(2) == 0;
            return {sp::boolean_question{id(), text(), d}};
        }
        case 1: return {sp::multiple_choice_question{id(), text(), texts(), below(2) == 0}};
        default: return {sp::freeform_question{id(), text(), patch(text()), patch(text())}};
        }
    }

private:
    std::uint64_t s_;
    bool utf8_;
};

/// JSON text of v with, at random: keys shuffled, whitespace, one key of an
/// object repeated with another value, a key added, a key removed, a value
/// replaced by one of another type, strings with escapes Boost.JSON would
/// not write. Some of these lines are still valid events, some are not.
class mutator {
public:
    explicit mutator(gen& g) : g_(g) {}

    std::string text(const boost::json::value& v) {
        std::string out;
        write(v, out, 0);
        return out;
    }

private:
    void ws(std::string& out) {
        if (g_.below(12) == 0) out += " \t\n\r"[g_.below(4)];
    }
    boost::json::value odd_value() {
        switch (g_.below(9)) {
        case 0: return nullptr;
        case 1: return true;
        case 2: return -5;
        case 3: return 7;
        case 4: return 1.5;
        case 5: return "text";
        case 6: return boost::json::array{"a", 1};
        case 7: return boost::json::object{{"x", nullptr}};
        default: return "01KF0HJ087AE67Z5NHCJZHQ5XV";
        }
    }
    void string(std::string_view s, std::string& out) {
        if (g_.below(20) != 0) {
            out += boost::json::serialize(boost::json::value(s));
            return;
        }
        // Escapes for characters Boost.JSON writes raw.
        out += '"';
        for (char c : s) {
            if (c == 'e') out += "\\u0065";
            else if (c == '/') out += "\\/";
            else if (c == '"' || c == '\\') (out += '\\') += c;
            else if (static_cast<unsigned char>(c) < 0x20) {
                char b[8];
                std::snprintf(b, sizeof(b), "\\u%04X", c);
                out += b;
            } else out += c;
        }
        if (g_.below(4) == 0) out += "\\ud83d\\ude00"; // a surrogate pair
        out += '"';
    }
    void write(const boost::json::value& v, std::string& out, int depth) {
        ws(out);
        switch (v.kind()) {
        case boost::json::kind::string: string(v.get_string(), out); break;
        case boost::json::kind::array: {
            out += '[';
            bool first = true;
            for (const auto& x : v.get_array()) {
                if (!first) out += ',';
                first = false;
                write(x, out, depth + 1);
            }
            out += ']';
            break;
        }
        case boost::json::kind::object: {
            std::vector<std::pair<std::string, boost::json::value>> members;
            for (const auto& kv : v.get_object()) members.emplace_back(std::string(kv.key()), kv.value());
            const auto r = g_.below(40);
            if (r == 0 && !members.empty()) members.erase(members.begin() + static_cast<long>(g_.below(members.size())));
            else if (r == 1 && !members.empty()) members[g_.below(members.size())].second = odd_value();
            else if (r == 2) members.emplace_back("extra", odd_value());
            else if (r == 3 && !members.empty()) {
                auto m = members[g_.below(members.size())];
                if (g_.below(2)) m.second = odd_value();
                members.push_back(m);
            } else if (r == 4 && members.size() > 1) {
                std::swap(members[0], members[1 + g_.below(members.size() - 1)]);
            } else if (r == 5 && !members.empty()) {
                members.back().second = nullptr;
            }
            out += '{';
            bool first = true;
            for (const auto& [k, x] : members) {
                if (!first) out += ',';
                first = false;
                ws(out);
                string(k, out);
                ws(out);
                out += ':';
                write(x, out, depth + 1);
            }
            ws(out);
            out += '}';
            break;
        }
        default: out += boost::json::serialize(v); break;
        }
        ws(out);
    }

    gen& g_;
};

bool same_event(const spec_event& a, const spec_event& b) {
    return a.id == b.id && a.stream == b.stream && a.time == b.time && a.payload == b.payload;
}

/// Empty when decode() and decode_tree() agree on `line` (the same error
/// code and detail, or the same event); otherwise what differs.
std::string disagreement(evlog::json_codec<spec_event>& codec, std::string_view line) {
    spec_event direct, tree;
    const auto ec1 = codec.decode(line, direct);
    const std::string detail1(codec.error_detail());
    const auto ec2 = codec.decode_tree(line, tree);
    const std::string detail2(codec.error_detail());
    if (ec1 != ec2 || detail1 != detail2)
        return "direct: " + ec1.message() + " (" + detail1 + "), tree: " + ec2.message() + " (" + detail2 +
               ") for " + std::string(line);
    if (!ec1 && !same_event(direct, tree)) return "different events for " + std::string(line);
    return {};
}

/// Every line of every log in the Go fixture corpus, damaged ones included.
std::vector<std::string> go_fixture_lines() {
    std::vector<std::string> lines;
    const std::filesystem::path root = std::filesystem::path(EVLOG_TEST_FIXTURES) / "spec-go";
    for (const auto& f : std::filesystem::recursive_directory_iterator(root)) {
        if (!f.is_regular_file() || f.path().extension() != ".jsonl") continue;
        std::ifstream in(f.path(), std::ios::binary);
        for (std::string line; std::getline(in, line);) lines.push_back(line);
    }
    return lines;
}

/// The members of `o` and of the objects nested in it, as paths of keys.
void member_paths(const boost::json::object& o, std::vector<std::string>& prefix,
                  std::vector<std::vector<std::string>>& out) {
    for (const auto& kv : o) {
        prefix.emplace_back(kv.key());
        out.push_back(prefix);
        if (const auto* inner = kv.value().if_object()) member_paths(*inner, prefix, out);
        prefix.pop_back();
    }
}

/// The object holding the member at `path` (all but its last key).
boost::json::object& parent_of(boost::json::value& v, const std::vector<std::string>& path) {
    boost::json::object* o = &v.as_object();
    for (std::size_t i = 0; i + 1 < path.size(); ++i) o = &o->at(path[i]).as_object();
    return *o;
}

/// v's text with the member at `path` repeated at the end of its object,
/// there with `value` (JSON text): serialize() cannot write a repeated key.
std::string with_repeated_key(const boost::json::value& v, const std::vector<std::string>& path,
                              std::string_view value) {
    boost::json::value copy = v;
    auto& o = parent_of(copy, path);
    const std::string marker = "\"__evlog_repeat__\"";
    o["__evlog_repeat__"] = nullptr;
    std::string text = boost::json::serialize(copy);
    const auto at = text.find(marker + ":null");
    return text.replace(at, marker.size() + 5, boost::json::serialize(boost::json::value(path.back())) + ":" +
                                                   std::string(value));
}

/// One event of each payload type, with every optional and patched member
/// present.
std::vector<spec_event> one_of_each() {
    gen g(5, true);
    std::vector<spec_event> out;
    std::vector<bool> seen(std::variant_size_v<sp::spec_payload>);
    while (out.size() < seen.size()) {
        spec_event e = g.event();
        if (seen[e.payload.index()]) continue;
        seen[e.payload.index()] = true;
        std::visit(
            [&](auto& p) {
                using P = std::decay_t<decltype(p)>;
                auto fill = [&](auto& patch) { patch = std::decay_t<decltype(patch)>::set({}); };
                if constexpr (std::is_same_v<P, sp::spec_core_updated>) {
                    fill(p.title), fill(p.one_liner), fill(p.goal), fill(p.description);
                    fill(p.constraints), fill(p.success_criteria), fill(p.risks), fill(p.notes);
                } else if constexpr (std::is_same_v<P, sp::card_updated>) {
                    fill(p.title), fill(p.body), fill(p.card_type), fill(p.updated_by);
                    p.refs = evlog::json::patch<std::vector<std::string>>::set({"a", "b"});
                } else if constexpr (std::is_same_v<P, sp::card_created>) {
                    p.card.body = "body";
                    p.card.refs = {"r1", "r2"};
                } else if constexpr (std::is_same_v<P, sp::card_moved> || std::is_same_v<P, sp::card_deleted>) {
                    p.updated_by = "someone";
                }
            },
            e.payload);
        out.push_back(std::move(e));
    }
    return out;
}

/// `{s: s}` as evlog's writer writes it, and as Boost's serializer does.
std::string key_and_string(const std::string& s) {
    std::string out;
    evlog::json::writer w(out);
    w.begin_object();
    w.key(s);
    w.string(s);
    w.end_object();
    w.finish();
    return out;
}
std::string key_and_string_by_boost(const std::string& s) {
    boost::json::object o;
    o[s] = s;
    return boost::json::serialize(o);
}

/// An event whose encoding throws half way through the line: an inverse
/// event kept as raw JSON that is not JSON, which value_from refuses.
spec_event event_that_throws_mid_line() {
    spec_event e;
    e.id = 9;
    e.stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    e.payload = sp::undo_applied{3, {sp::inverse_event{evlog::unknown_payload{"X", "{not json"}}}};
    return e;
}

/// A line_buffer holding text.
evlog::json::line_buffer line_buffer_of(std::string_view text) {
    evlog::json::line_buffer b;
    for (char c : text) b.push_back(c);
    return b;
}

} // namespace

BOOST_AUTO_TEST_SUITE(DirectCodecEncode)

BOOST_AUTO_TEST_CASE(DirectEncodeWritesTheBytesTheValueTreeWrites) {
    evlog::json_codec<spec_event> codec;
    gen g(42); // any bytes in strings, infinities and NaN among the doubles
    std::string line;
    for (int i = 0; i < 50000; ++i) {
        const spec_event e = g.event();
        line.clear();
        const std::string expected = via_tree(e);
        if (holds_non_finite(e)) {
            // Boost would write Infinity or NaN: refused, as the line would not be JSON.
            bool refused = false;
            try {
                codec.encode(e, line);
            } catch (const evlog::error& err) {
                refused = err.code() == evlog::errc::bad_argument;
            }
            if (!refused) {
                BOOST_TEST(refused, "event " << i << " (" << e.type_name() << ") written as " << line);
                break;
            }
            continue;
        }
        codec.encode(e, line);
        if (line != expected) {
            BOOST_TEST(line == expected, "event " << i << " (" << e.type_name() << ")");
            break;
        }
    }
}

BOOST_AUTO_TEST_CASE(GoFixturesReencodeToTheBytesTheValueTreeWrites) {
    evlog::json_codec<spec_event> codec;
    int encoded = 0;
    for (const auto& line : go_fixture_lines()) {
        spec_event e;
        if (codec.decode(line, e) || std::holds_alternative<evlog::unknown_payload>(e.payload)) continue;
        std::string out;
        codec.encode(e, out);
        BOOST_TEST(out == via_tree(e));
        ++encoded;
    }
    BOOST_TEST(encoded > 300);
}

BOOST_AUTO_TEST_CASE(EncodeAppendsAfterWhatTheStringHolds) {
    evlog::json_codec<spec_event> codec;
    gen g(7);
    const spec_event a = g.event(), b = g.event();
    std::string both = "prefix\n";
    codec.encode(a, both);
    both += '\n';
    codec.encode(b, both);
    BOOST_TEST(both == "prefix\n" + via_tree(a) + "\n" + via_tree(b));
}

BOOST_AUTO_TEST_CASE(EncodeThatThrowsLeavesTheStringAsItWas) {
    evlog::json_codec<spec_event> codec;
    spec_event e = event_that_throws_mid_line();
    std::string out = "kept\n";
    out.reserve(4096); // no reallocation to hide a partial write
    BOOST_CHECK_THROW(codec.encode(e, out), std::exception);
    BOOST_TEST(out == "kept\n");
    // And the codec still works afterwards.
    e.payload = sp::snapshot_written{4};
    codec.encode(e, out);
    BOOST_TEST(out == "kept\n" + via_tree(e));
}

BOOST_AUTO_TEST_CASE(EncodeIntoALineBufferWritesWhatEncodeIntoAStringWrites) {
    // One buffer for every line, as the append log uses it: cleared, or
    // kept with a newline after its text. Bytes left in the room by a
    // longer line never show in a shorter one.
    evlog::json_codec<spec_event> codec;
    gen g(11);
    evlog::json::line_buffer buf;
    std::string kept;
    for (int i = 0; i < 20000; ++i) {
        spec_event e = g.event();
        if (holds_non_finite(e)) continue;
        if (i % 7 == 3) e.payload = sp::question_answered{evlog::ulid{}, std::string(static_cast<std::size_t>(i % 5000), 'a')};
        std::string line;
        codec.encode(e, line);
        if (i % 3 == 0) {
            buf.clear();
            kept.clear();
        } else {
            buf.push_back('\n');
            kept += '\n';
        }
        codec.encode(e, buf);
        kept += line;
        if (buf.view() != kept) {
            BOOST_TEST(buf.view() == kept, "event " << i << " (" << e.type_name() << ")");
            break;
        }
    }
}

BOOST_AUTO_TEST_CASE(EncodeIntoALineBufferThatThrowsLeavesItsTextAsItWas) {
    evlog::json_codec<spec_event> codec;
    spec_event e = event_that_throws_mid_line();
    evlog::json::line_buffer buf = line_buffer_of("kept");
    BOOST_CHECK_THROW(codec.encode(e, buf), std::exception);
    BOOST_TEST(buf.view() == "kept");
    e.payload = sp::snapshot_written{4};
    codec.encode(e, buf);
    BOOST_TEST(buf.view() == "kept" + via_tree(e));
}

BOOST_AUTO_TEST_CASE(LineBufferAppendAsStringSeesTheTextAndKeepsWhatIsAppended) {
    evlog::json::line_buffer buf;
    {
        evlog::json::writer w(buf);
        w.string(std::string(3000, 'z')); // room well past what follows
        w.finish();
    }
    buf.truncate(4);
    buf.append_as_string([](std::string& s) {
        BOOST_TEST(s == "\"zzz");
        s += "!";
    });
    BOOST_TEST(buf.view() == "\"zzz!");
    // What throws part way leaves the text as it was.
    BOOST_CHECK_THROW(buf.append_as_string([](std::string& s) {
        s += "lost";
        throw std::runtime_error("codec");
    }),
                      std::runtime_error);
    BOOST_TEST(buf.view() == "\"zzz!");
    buf.push_back('x');
    BOOST_TEST(buf.view() == "\"zzz!x");
}

BOOST_AUTO_TEST_CASE(DoublesAreWrittenAsBoostWritesThem) {
    gen g(11);
    std::string out;
    for (int i = 0; i < 1000000; ++i) {
        double d;
        const std::uint64_t bits = g.next();
        std::memcpy(&d, &bits, sizeof(d));
        if (!std::isfinite(d)) continue; // refused, as the test below pins
        if (i % 4 == 0) d = static_cast<double>(static_cast<std::int64_t>(g.next() >> g.below(64))) / (1 + g.below(1000));
        out.clear();
        evlog::json::writer w(out);
        w.number(d);
        w.finish();
        const std::string expected = boost::json::serialize(boost::json::value(d));
        if (out != expected) {
            BOOST_TEST(out == expected);
            break;
        }
    }
    for (double d : {0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, 1e-7, 1e21, 1e22, 123456789012345680.0}) {
        out.clear();
        evlog::json::writer w(out);
        w.number(d);
        w.finish();
        BOOST_TEST(out == boost::json::serialize(boost::json::value(d)));
    }
}

BOOST_AUTO_TEST_CASE(NanAndInfinitiesAreRefusedNotWrittenAsBoostSpellsThem) {
    // Boost writes Infinity, -Infinity and NaN, which are not JSON.
    for (double d : {std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
        std::string out = "[";
        evlog::json::writer w(out);
        BOOST_CHECK_EXCEPTION(w.number(d), evlog::error,
                              [](const evlog::error& e) { return e.code() == evlog::errc::bad_argument; });
    }
}

BOOST_AUTO_TEST_CASE(ShortDecimalsAndTheirNeighboursAreWrittenAsBoostWritesThem) {
    // Doubles nearest to m * 10^-k (m < 10^15, k <= 22) are written without
    // Ryu; their neighbours, one bit away, are not short decimals and must
    // not be taken for one. Also under every rounding mode, where the
    // shortcut's arithmetic no longer means what it does when rounding to
    // nearest.
    gen g(13);
    std::string out;
    auto same = [&](double d) {
        out.clear();
        evlog::json::writer w(out);
        w.number(d);
        w.finish();
        return out == boost::json::serialize(boost::json::value(d));
    };
    static constexpr double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                       1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    const int modes[] = {FE_TONEAREST, FE_UPWARD, FE_DOWNWARD, FE_TOWARDZERO};
    int failures = 0;
    for (const int mode : modes) {
        BOOST_REQUIRE(std::fesetround(mode) == 0);
        for (int i = 0; i < 200000; ++i) {
            const std::uint64_t digits = 1 + g.below(15);
            std::uint64_t m = g.next() % static_cast<std::uint64_t>(pow10[digits]);
            if (i % 8 == 0) m = static_cast<std::uint64_t>(pow10[digits]) - 1 - g.below(3); // 99..9
            const double q = static_cast<double>(m) / pow10[g.below(23)];
            for (const double d : {q, -q, std::nextafter(q, 0.0), std::nextafter(q, 1e300), q * 10, q / 10}) {
                if (!same(d) && failures++ < 5)
                    BOOST_TEST(same(d), "mode " << mode << ": " << boost::json::serialize(boost::json::value(d))
                                                << " written as " << out);
            }
        }
        for (double d : {1e15, 1e15 - 1, 1e15 - 0.5, 1e15 + 2, 999999999999999.9, 1e-22, 1e-23, 1.5e-22, 0.1, 0.3, 1.0,
                         2.5, 1e22, 1e23, 4.35, 0.000001, 123456789012345.6, 12345678901234.56}) {
            BOOST_TEST(same(d), "mode " << mode << ": " << d);
            BOOST_TEST(same(-d), "mode " << mode << ": " << -d);
        }
    }
    std::fesetround(FE_TONEAREST);
}

BOOST_AUTO_TEST_CASE(StringsWithEveryByteAreEscapedAsBoostEscapesThem) {
    // Every byte, alone and at each position of a run long enough for the
    // sixteen-byte scan, as key and as value.
    std::string all;
    for (int c = 0; c < 256; ++c) all += static_cast<char>(c);
    std::vector<std::string> inputs{all, ""};
    for (int c = 0; c < 256; ++c) {
        inputs.push_back(std::string(1, static_cast<char>(c)));
        for (std::size_t at : {0u, 7u, 15u, 16u, 17u, 31u, 40u}) {
            std::string s(41, 'a');
            s[at] = static_cast<char>(c);
            inputs.push_back(s);
        }
    }
    for (const auto& s : inputs) BOOST_TEST(key_and_string(s) == key_and_string_by_boost(s));
}

BOOST_AUTO_TEST_CASE(BytesToEscapeAtAnyPositionOfAnyLengthAreFoundWhereverTheBlocksOverlap) {
    // Strings are copied in blocks of sixteen and eight bytes, the last
    // block overlapping the one before: a byte to escape must be found in
    // every block, at every offset, after an earlier escape, and a byte just
    // past the end of the string must not count. Bytes next to those that
    // need escaping (0x1f/0x20, 0x7f/0x80, 0xff) must not be escaped.
    const std::string specials = std::string("\0\x1f\"\\\n", 5);
    const std::string plains = std::string("\x20\x7f\x80\xff#]", 6);
    auto check = [](const std::string& s) { return key_and_string(s) == key_and_string_by_boost(s); };
    int failures = 0;
    for (std::size_t n = 1; n <= 50; ++n) {
        for (std::size_t i = 0; i < n; ++i) {
            for (char c : specials + plains) {
                std::string s(n, 'a');
                s[i] = c;
                if (!check(s) && failures++ < 5) BOOST_TEST(false, "length " << n << ", byte " << int(c) << " at " << i);
                // And a second one anywhere after it.
                for (std::size_t j = i + 1; j < n && n <= 34; ++j) {
                    std::string t = s;
                    t[j] = specials[j % specials.size()];
                    if (!check(t) && failures++ < 5)
                        BOOST_TEST(false, "length " << n << ", bytes at " << i << " and " << j);
                }
            }
        }
        // A string that ends where a byte to escape follows in memory.
        const std::string backing = std::string(n, 'b') + "\"\n";
        const std::string_view s(backing.data(), n);
        std::string out;
        evlog::json::writer w(out);
        w.string(s);
        w.finish();
        BOOST_TEST(out == "\"" + std::string(n, 'b') + "\"");
    }
}

/// Writes s as a string, escaped and as a key, in an array, and
/// finishes; returns the text Boost's escapes make of that.
static std::string write_three_ways(evlog::json::writer& w, const std::string& s) {
    w.begin_array();
    w.string(s);
    w.escaped(s);
    w.key(s);
    w.end_array();
    w.finish();
    const std::string q = boost::json::serialize(boost::json::value(s));
    return "[" + q + q + "," + q + ":]"; // escaped() puts no comma
}

BOOST_AUTO_TEST_CASE(StringOfBytesToEscapeGrowsTheLineWhenTheFirstIsMet) {
    // Room for a string's escapes is made when the first byte to escape is
    // met, after the plain part may already fill the room: escapes that
    // take six bytes each must not write past it, however full the string
    // is when the writer starts.
    for (std::size_t plain : {0u, 15u, 16u, 1000u, 1021u, 5000u}) {
        for (std::size_t held : {0u, 1u, 100u}) {
            const std::string s = std::string(plain, 'p') + std::string(3000, '\x01') + "end";
            std::string out(held, 'h');
            out.shrink_to_fit();
            evlog::json::writer w(out);
            const std::string expected = write_three_ways(w, s);
            BOOST_TEST(out == std::string(held, 'h') + expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(StringOfBytesToEscapeGrowsALineBufferWhenTheFirstIsMet) {
    // As above, in a line_buffer's room, which may already be larger than
    // its text and hold stale bytes.
    for (std::size_t plain : {0u, 15u, 16u, 1000u, 1021u, 5000u}) {
        for (std::size_t held : {0u, 1u, 100u, 2000u}) {
            const std::string s = std::string(plain, 'p') + std::string(3000, '\x01') + "end";
            evlog::json::line_buffer buf;
            for (std::size_t i = 0; i < held; ++i) buf.push_back('s');
            buf.truncate(held / 2);
            evlog::json::writer w(buf);
            const std::string expected = write_three_ways(w, s);
            BOOST_TEST(buf.view() == std::string(held / 2, 's') + expected);
        }
    }
}

BOOST_AUTO_TEST_CASE(WriterPutsCommasBetweenMembersAndElements) {
    std::string out = "x";
    evlog::json::writer w(out);
    w.begin_object();
    w.key("a");
    w.begin_array();
    w.number(1);
    w.string("two");
    w.null();
    w.boolean(false);
    w.number(0.5);
    w.begin_array();
    w.end_array();
    w.begin_object();
    w.end_object();
    w.end_array();
    w.key("b");
    w.begin_object();
    w.end_object();
    w.key(std::string_view("c\n"));
    w.json_text("[1]");
    w.end_object();
    w.finish();
    BOOST_TEST(out == R"(x{"a":[1,"two",null,false,5E-1,[],{}],"b":{},"c\n":[1]})");
}

BOOST_AUTO_TEST_CASE(WriterDestroyedWithoutFinishPutsTheStringBack) {
    std::string out = "kept";
    {
        evlog::json::writer w(out);
        w.string(std::string(100000, 'x')); // grows the string past its capacity
        // destroyed without finish(), as when an exception leaves encode()
    }
    BOOST_TEST(out == "kept");
}

BOOST_AUTO_TEST_CASE(WriterDestroyedWithoutFinishLeavesALineBuffersTextAsItWas) {
    evlog::json::line_buffer buf = line_buffer_of("kept");
    {
        evlog::json::writer w(buf);
        w.string(std::string(100000, 'x'));
    }
    BOOST_TEST(buf.view() == "kept");
}

template <class Out>
void raw_newline_refused(Out& out, std::string_view held) {
    const auto text = [&] {
        if constexpr (std::is_same_v<Out, std::string>) return std::string(out);
        else return std::string(out.view());
    };
    const std::vector<std::pair<const char*, void (*)(evlog::json::writer&)>> ways = {
        {"raw", [](evlog::json::writer& w) { w.raw("[1,\n2]"); }},
        {"json_text", [](evlog::json::writer& w) { w.json_text("[1,\n2]"); }},
        {"put", [](evlog::json::writer& w) { w.put('\n'); }},
        {"literal", [](evlog::json::writer& w) { w.literal("\n"); }},
        {"advance", [](evlog::json::writer& w) {
             char* d = w.reserve(3);
             d[0] = '1', d[1] = '\n', d[2] = '2';
             w.advance(3);
         }},
    };
    for (const auto& [name, write] : ways) {
        BOOST_TEST_CONTEXT(name) {
            evlog::json::writer w(out);
            w.begin_array();
            w.string("before"); // escaped text, then the raw bytes
            write(w);
            w.end_array();
            try {
                w.finish();
                BOOST_TEST(false, "finish() accepted a raw newline: " << text());
            } catch (const evlog::error& e) {
                BOOST_TEST(e.code() == evlog::make_error_code(evlog::errc::bad_argument));
                BOOST_TEST(e.detail().find("raw newline") != std::string::npos);
            }
        }
        BOOST_TEST(text() == held);
    }
}

BOOST_AUTO_TEST_CASE(RawNewlineWrittenAsItIsIsRefusedByFinishAndTheTextPutBack) {
    std::string s = "held\n"; // what precedes the writer's text is not its concern
    raw_newline_refused(s, "held\n");
    evlog::json::line_buffer b = line_buffer_of("held\n");
    raw_newline_refused(b, "held\n");
}

BOOST_AUTO_TEST_CASE(BytesWrittenAsTheyAreWithoutANewlineAreKept) {
    std::string out = "held\n";
    evlog::json::writer w(out);
    w.begin_array();
    w.raw("1");
    w.json_text("{\"a\":\"\\n\"}");
    w.put(',');
    w.literal("2");
    char* d = w.reserve(2);
    d[0] = ',', d[1] = '3';
    w.advance(2);
    w.end_array();
    w.finish();
    BOOST_TEST(out == "held\n[1{\"a\":\"\\n\"},2,3]"); // raw() puts no comma
}

BOOST_AUTO_TEST_CASE(UnknownPayloadWithARawNewlineIsRefusedNotWrittenIntoTheLine) {
    evlog::json_codec<spec_event> codec;
    spec_event e;
    e.id = 9;
    e.stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    e.payload = evlog::unknown_payload{"Later", "{\"type\":\"Later\",\n\"a\":1}"};
    std::string out = "kept";
    try {
        codec.encode(e, out);
        BOOST_TEST(false, "encoded as " << out);
    } catch (const evlog::error& x) {
        BOOST_TEST(x.code() == evlog::make_error_code(evlog::errc::bad_argument));
    }
    BOOST_TEST(out == "kept");
    e.payload = evlog::unknown_payload{"Later", "{\"type\":\"Later\",\"a\":1}"};
    codec.encode(e, out);
    BOOST_TEST(out.find('\n') == std::string::npos);
}

BOOST_AUTO_TEST_CASE(ReserveTooLargeThrowsInsteadOfWrappingAround) {
    // pos + n must not wrap to a smaller size and hand out a pointer
    // without room behind it.
    std::string out = "kept";
    for (const std::size_t n : {std::size_t(-1), std::size_t(-1) - 3, out.max_size()}) {
        evlog::json::writer w(out);
        w.raw("abc");
        BOOST_CHECK_THROW(w.reserve(n), std::length_error);
    }
    BOOST_TEST(out == "kept");
}

BOOST_AUTO_TEST_CASE(LiteralKeyFromACharArrayStopsAtItsNulAsAStringViewWould) {
    char buf[16] = "abc"; // an array longer than its text
    std::string a, b;
    {
        evlog::json::writer w(a);
        w.key(buf);
        w.finish();
    }
    {
        evlog::json::writer w(b);
        w.key(std::string_view(buf));
        w.finish();
    }
    BOOST_TEST(a == "\"abc\":");
    BOOST_TEST(a == b);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(DirectCodecDecode)

BOOST_AUTO_TEST_CASE(DirectDecodeReadsBackWhatEncodeWrote) {
    evlog::json_codec<spec_event> codec;
    gen g(1, true);
    std::string line;
    for (int i = 0; i < 50000; ++i) {
        const spec_event e = g.event();
        line.clear();
        codec.encode(e, line);
        // Doubles may come back one ulp off (Boost.JSON's parser is not
        // correctly rounded), on either path: compare with the tree's event.
        spec_event back, tree;
        const auto ec = codec.decode(line, back);
        if (ec || codec.decode_tree(line, tree) || !same_event(back, tree) || back.id != e.id ||
            back.stream != e.stream || back.time != e.time || back.payload.index() != e.payload.index()) {
            BOOST_TEST(false, "event " << i << ": " << ec.message() << " " << codec.error_detail() << " in " << line);
            break;
        }
    }
}

BOOST_AUTO_TEST_CASE(GoFixturesDecodeAsThroughTheValueTree) {
    evlog::json_codec<spec_event> codec;
    const auto lines = go_fixture_lines();
    BOOST_TEST(lines.size() > 500);
    for (const auto& line : lines) {
        const std::string d = disagreement(codec, line);
        BOOST_TEST(d.empty(), d);
    }
}

BOOST_AUTO_TEST_CASE(MutatedLinesGiveTheValueTreesEventOrError) {
    evlog::json_codec<spec_event> codec;
    gen g(3, true);
    mutator m(g);
    std::string line;
    int ok = 0, bad = 0;
    for (int i = 0; i < 100000; ++i) {
        const spec_event e = g.event();
        line.clear();
        codec.encode(e, line);
        const std::string text = m.text(boost::json::parse(line));
        const std::string d = disagreement(codec, text);
        if (!d.empty()) {
            BOOST_TEST(d.empty(), "line " << i << ": " << d);
            break;
        }
        spec_event ignored;
        (codec.decode(text, ignored) ? bad : ok) += 1;
    }
    BOOST_TEST_MESSAGE(ok << " mutated lines decoded, " << bad << " refused");
    BOOST_TEST(ok > 1000);
    BOOST_TEST(bad > 1000);
}

BOOST_AUTO_TEST_CASE(EveryMemberNulledRemovedRepeatedOrRetypedDecodesAsThroughTheValueTree) {
    // Each member of the envelope, the payload and the objects nested in
    // it, for one event of each type: replaced by a value of each kind,
    // removed, and repeated with the same or another value.
    evlog::json_codec<spec_event> codec;
    const std::vector<std::string> odd{"null",  "true", "-5", "7", "1.5", "1e400", "18446744073709551616",
                                       "\"x\"", "\"01KF0HJ087AE67Z5NHCJZHQ5XV\"", "\"2026-01-15T10:00:01Z\"",
                                       "[]",    "[\"a\",null]", "[\"a\",1]", "{}", "{\"type\":\"SpecCreated\"}"};
    int checked = 0;
    for (const auto& e : one_of_each()) {
        std::string line;
        codec.encode(e, line);
        const boost::json::value v = boost::json::parse(line);
        std::vector<std::vector<std::string>> paths;
        std::vector<std::string> prefix;
        member_paths(v.as_object(), prefix, paths);
        for (const auto& path : paths) {
            std::vector<std::string> lines;
            for (const auto& x : odd) {
                boost::json::value copy = v;
                parent_of(copy, path)[path.back()] = boost::json::parse(x == "1e400" ? "0" : x);
                std::string text = boost::json::serialize(copy);
                if (x == "1e400" || x == "18446744073709551616") { // numbers serialize() would rewrite
                    copy = v;
                    parent_of(copy, path)[path.back()] = "__evlog_number__";
                    text = boost::json::serialize(copy);
                    text.replace(text.find("\"__evlog_number__\""), 18, x);
                }
                lines.push_back(text);
                lines.push_back(with_repeated_key(v, path, x));
            }
            {
                boost::json::value copy = v;
                parent_of(copy, path).erase(path.back());
                lines.push_back(boost::json::serialize(copy));
            }
            const auto& same = parent_of(const_cast<boost::json::value&>(v), path).at(path.back());
            lines.push_back(with_repeated_key(v, path, boost::json::serialize(same)));
            for (const auto& text : lines) {
                const std::string d = disagreement(codec, text);
                BOOST_TEST(d.empty(), d);
                ++checked;
            }
        }
    }
    BOOST_TEST(checked > 1000);
}

BOOST_AUTO_TEST_CASE(LineThatIsNotOneObjectIsRefusedAsByTheValueTree) {
    // The direct reader used to take a top-level scalar or array as an
    // event it had read, leaving the event as it was.
    evlog::json_codec<spec_event> codec;
    spec_event e;
    e.id = 1;
    e.stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    e.payload = sp::snapshot_written{2};
    std::string good;
    codec.encode(e, good);
    for (const std::string& line : {std::string("42"), std::string("-1"), std::string("1.5"), std::string("\"x\""),
                                   std::string("true"), std::string("null"), std::string("[]"), "[" + good + "]",
                                   std::string(""), std::string(" "), good + good, good + " x", good + ",",
                                   good.substr(0, good.size() - 1), "{" + good}) {
        spec_event out;
        const auto ec = codec.decode(line, out);
        BOOST_TEST(ec == evlog::make_error_code(evlog::errc::malformed_line), "for " << line);
        const std::string d = disagreement(codec, line);
        BOOST_TEST(d.empty(), d);
    }
    // Whitespace around one object is fine on both paths.
    BOOST_TEST(disagreement(codec, " \t" + good + " \r").empty());
    spec_event out;
    BOOST_TEST(!codec.decode(" " + good + " ", out));
}

BOOST_AUTO_TEST_CASE(DuplicateKeyFallsBackToTheValueTree) {
    // The tree keeps one of a repeated key's values; the direct reader
    // gives up rather than guess which, so the event is the tree's.
    evlog::json_codec<spec_event> codec;
    const std::string id = "\"spec_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\",\"timestamp\":\"2026-01-15T10:00:01Z\"";
    for (const std::string& line :
         {"{\"event_id\":1,\"event_id\":2," + id + ",\"payload\":{\"type\":\"SpecCreated\",\"title\":\"a\"}}",
          "{\"event_id\":1," + id + ",\"payload\":{\"type\":\"SpecCreated\",\"title\":\"a\",\"title\":\"b\"}}",
          "{\"event_id\":1," + id + ",\"payload\":{\"type\":\"SpecCreated\",\"title\":\"a\",\"title\":null}}",
          "{\"event_id\":1," + id + ",\"payload\":{\"type\":\"CardMoved\",\"card_id\":"
              "\"01KF0HJ087AE67Z5NHCJZHQ5XV\",\"order\":2,\"order\":null}}",
          "{\"event_id\":1," + id + ",\"payload\":{\"type\":\"SpecCreated\",\"title\":\"a\",\"tit\\u006ce\":\"b\"}}",
          "{\"event_id\":1," + id + ",\"payload\":{\"type\":\"SpecCreated\",\"type\":\"AgentStepStarted\"}}",
          "{\"event_id\":1," + id + ",\"payload\":{\"type\":\"SnapshotWritten\",\"snapshot_id\":1}," +
              "\"payload\":{\"type\":\"SpecCreated\"}}"}) {
        spec_event direct, tree;
        BOOST_TEST(!codec.decode_tree(line, tree), line);
        BOOST_TEST(!codec.decode(line, direct), line);
        BOOST_TEST(same_event(direct, tree), line);
    }
}

BOOST_AUTO_TEST_CASE(KeysAndStringsInPartsReadAsTheTreeReadsThem) {
    // Boost's parser hands over a key or string with escapes in parts once
    // it outgrows its buffer; the pieces must be joined, for keys too.
    evlog::json_codec<spec_event> codec;
    std::string escaped_title, long_key;
    for (int i = 0; i < 5000; ++i) escaped_title += (i % 7 == 0) ? "\\n\\u00e9\\\"" : "ab";
    for (int i = 0; i < 3000; ++i) long_key += "\\u0078y";
    const std::string env = "{\"event_id\":1,\"spec_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\","
                            "\"timestamp\":\"2026-01-15T10:00:01Z\",";
    for (const std::string& line :
         {env + "\"payload\":{\"type\":\"SpecCreated\",\"title\":\"" + escaped_title + "\"}}",
          env + "\"payload\":{\"type\":\"SpecCreated\",\"" + long_key + "\":\"" + escaped_title +
              "\",\"goal\":\"g\"}}",
          env + "\"payload\":{\"\\u0074ype\":\"Spec\\u0043reated\",\"t\\u0069tle\":\"t\"}}",
          env + "\"" + long_key + "\":[\"" + escaped_title + "\"],\"payload\":{\"type\":\"CardUpdated\","
                "\"card_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\",\"refs\":[\"" + escaped_title + "\",\"\"]}}"}) {
        const std::string d = disagreement(codec, line);
        BOOST_TEST(d.empty(), d.substr(0, 300));
        spec_event out;
        BOOST_TEST(!codec.decode(line, out));
    }
    spec_event out;
    BOOST_REQUIRE(!codec.decode(env + "\"payload\":{\"type\":\"SpecCreated\",\"title\":\"" + escaped_title + "\"}}", out));
    BOOST_TEST(std::get<sp::spec_created>(out.payload).title.size() > 10000);
}

BOOST_AUTO_TEST_CASE(NumbersOutOfRangeOrOfAnotherKindDecodeAsThroughTheValueTree) {
    evlog::json_codec<spec_event> codec;
    const std::string env = "\"spec_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\",\"timestamp\":\"2026-01-15T10:00:01Z\",";
    for (const char* n : {"0", "-0", "-1", "1.0", "1e3", "9223372036854775807", "9223372036854775808",
                          "18446744073709551615", "18446744073709551616", "-9223372036854775809", "1e400",
                          "-1e400", "1e-400", "0.1", "\"1\"", "null"}) {
        const std::string num(n);
        for (const std::string& line :
             {"{\"event_id\":" + num + "," + env + "\"payload\":{\"type\":\"SpecCreated\"}}",
              "{\"event_id\":1," + env + "\"payload\":{\"type\":\"SnapshotWritten\",\"snapshot_id\":" + num + "}}",
              "{\"event_id\":1," + env + "\"payload\":{\"type\":\"CardMoved\",\"card_id\":"
                  "\"01KF0HJ087AE67Z5NHCJZHQ5XV\",\"order\":" + num + "}}"}) {
            const std::string d = disagreement(codec, line);
            BOOST_TEST(d.empty(), d);
        }
    }
}

BOOST_AUTO_TEST_CASE(PayloadTypeNotReadDirectlyOrUnknownDecodesAsThroughTheValueTree) {
    // QuestionAsked and UndoApplied read through the tree; an unknown type
    // keeps its bytes; "type" not first, absent, or not a string.
    evlog::json_codec<spec_event> codec;
    const std::string env = "{\"event_id\":1,\"spec_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\","
                            "\"timestamp\":\"2026-01-15T10:00:01Z\",\"payload\":";
    for (const std::string& payload :
         {std::string("{\"type\":\"UndoApplied\",\"target_event_id\":3,\"inverse_events\":[]}"),
          std::string("{\"type\":\"QuestionAsked\",\"question\":{\"type\":\"Boolean\","
                      "\"question_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\",\"question\":\"q\"}}"),
          std::string("{\"type\":\"FutureThing\",\"x\":[1, 2 ,{}]}"), std::string("{\"title\":\"a\",\"type\":\"SpecCreated\"}"),
          std::string("{\"title\":\"a\"}"), std::string("{}"), std::string("{\"type\":1}"),
          std::string("{\"type\":null}"), std::string("[]"), std::string("null"), std::string("\"SpecCreated\"")}) {
        const std::string line = env + payload + "}";
        const std::string d = disagreement(codec, line);
        BOOST_TEST(d.empty(), d);
    }
    spec_event out;
    BOOST_REQUIRE(!codec.decode(env + "{\"type\":\"FutureThing\",\"x\":[1, 2 ,{}]}}", out));
    BOOST_TEST(std::get<evlog::unknown_payload>(out.payload).raw == "{\"type\":\"FutureThing\",\"x\":[1, 2 ,{}]}");
}

BOOST_AUTO_TEST_CASE(RequiredMemberMissingFromANestedObjectIsTheTreesError) {
    evlog::json_codec<spec_event> codec;
    const std::string env = "{\"event_id\":1,\"spec_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\","
                            "\"timestamp\":\"2026-01-15T10:00:01Z\",\"payload\":";
    const std::string line = env + "{\"type\":\"CardCreated\",\"card\":{\"card_id\":\"01KF0HJ087AE67Z5NHCJZHQ5XV\","
                                   "\"created_at\":\"2026-01-15T10:00:01Z\"}}}";
    spec_event out;
    BOOST_TEST(codec.decode(line, out) == evlog::make_error_code(evlog::errc::missing_field));
    BOOST_TEST(codec.error_detail() == "field \"payload.card.updated_at\"");
    BOOST_TEST(disagreement(codec, line).empty());
}

BOOST_AUTO_TEST_CASE(IdOrTimeTextLikeTheLastOneIsStillParsedForItself) {
    // The codec remembers the last stream id, other id and timestamp it
    // parsed; texts that differ in one character, that move between the
    // envelope and the payload, or that are invalid must not get the
    // remembered value.
    auto line = [](const char* stream, const char* time, const char* card) {
        return std::string(R"({"event_id":1,"spec_id":")") + stream + R"(","timestamp":")" + time +
               R"(","payload":{"type":"CardMoved","card_id":")" + card + R"(","lane":"Plan","order":1}})";
    };
    const char* s1 = "01KF0HJ080R5E052FC5M592SZC";
    const char* s2 = "01KF0HJ080R5E052FC5M592SZD";
    const char* c1 = "01KF0HJ2GA1F4M5VMGGV0Q3EDN";
    const char* t1 = "2026-01-15T10:00:02.314448Z";
    const char* t2 = "2026-01-15T10:00:02.314449Z";
    const std::string lines[] = {
        line(s1, t1, c1), line(s1, t2, c1), line(s2, t2, s1), line(s1, t1, s2),
        line(s1, "2026-13-15T10:00:02.314448Z", c1), // a timestamp as long as t1, invalid
        line("01KF0HJ080R5E052FC5M592SZU", t1, c1),  // a stream id as long as s1, invalid ('U')
        line(s1, t1, "01KF0HJ2GA1F4M5VMGGV0Q3EDU"),  // a card id as long as c1, invalid
        line(s2, t2, c1),
    };
    evlog::json_codec<spec_event> codec;
    for (const auto& l : lines) {
        const std::string d = disagreement(codec, l);
        BOOST_TEST(d.empty(), d);
    }
    spec_event e;
    BOOST_REQUIRE(!codec.decode(lines[2], e));
    BOOST_TEST((e.stream == *evlog::ulid::parse(s2)));
    BOOST_TEST((std::get<sp::card_moved>(e.payload).card_id == *evlog::ulid::parse(s1)));
    BOOST_TEST((e.time == *evlog::timestamp::parse(t2)));
    BOOST_REQUIRE(!codec.decode(lines[3], e));
    BOOST_TEST((e.stream == *evlog::ulid::parse(s1)));
    BOOST_TEST((std::get<sp::card_moved>(e.payload).card_id == *evlog::ulid::parse(s2)));
    BOOST_TEST((e.time == *evlog::timestamp::parse(t1)));
    BOOST_TEST((codec.decode(lines[4], e) == evlog::errc::invalid_timestamp));
    BOOST_TEST((codec.decode(lines[5], e) == evlog::errc::invalid_ulid));
    BOOST_TEST((codec.decode(lines[6], e) == evlog::errc::invalid_ulid));
}

BOOST_AUTO_TEST_SUITE_END()
