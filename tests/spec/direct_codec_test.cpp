// The spec payloads' direct path in json_codec. Writing
// (json::write_members_tag) gives the same bytes as their value_from
// conversions serialized by Boost.JSON, for every payload type, every state
// of optional and patched fields, strings with every byte value and awkward
// doubles.
#include <boost/test/unit_test.hpp>

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

/// What the codec wrote before payloads could write themselves: the
/// envelope and the payload's value tree, serialized by Boost.JSON.
std::string via_tree(const spec_event& e) {
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
    return boost::json::serialize(o);
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

} // namespace

BOOST_AUTO_TEST_SUITE(DirectCodecEncode)

BOOST_AUTO_TEST_CASE(DirectEncodeWritesTheBytesTheValueTreeWrites) {
    evlog::json_codec<spec_event> codec;
    gen g(42); // any bytes in strings, infinities and NaN among the doubles
    std::string line;
    for (int i = 0; i < 50000; ++i) {
        const spec_event e = g.event();
        line.clear();
        codec.encode(e, line);
        const std::string expected = via_tree(e);
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
    // An inverse event kept as raw JSON that is not JSON: value_from throws
    // half way through the line.
    evlog::json_codec<spec_event> codec;
    spec_event e;
    e.id = 9;
    e.stream = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    e.payload = sp::undo_applied{3, {sp::inverse_event{evlog::unknown_payload{"X", "{not json"}}}};
    std::string out = "kept\n";
    out.reserve(4096); // no reallocation to hide a partial write
    BOOST_CHECK_THROW(codec.encode(e, out), std::exception);
    BOOST_TEST(out == "kept\n");
    // And the codec still works afterwards.
    e.payload = sp::snapshot_written{4};
    codec.encode(e, out);
    BOOST_TEST(out == "kept\n" + via_tree(e));
}

BOOST_AUTO_TEST_CASE(DoublesAreWrittenAsBoostWritesThem) {
    gen g(11);
    std::string out;
    for (int i = 0; i < 1000000; ++i) {
        double d;
        const std::uint64_t bits = g.next();
        std::memcpy(&d, &bits, sizeof(d));
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
    for (double d : {0.0, -0.0, 5e-324, -5e-324, 1.7976931348623157e308, 1e-7, 1e21, 1e22, 123456789012345680.0,
                     std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
        out.clear();
        evlog::json::writer w(out);
        w.number(d);
        w.finish();
        BOOST_TEST(out == boost::json::serialize(boost::json::value(d)));
    }
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
    for (const auto& s : inputs) {
        std::string out;
        evlog::json::writer w(out);
        w.begin_object();
        w.key(s);
        w.string(s);
        w.end_object();
        w.finish();
        boost::json::object o;
        o[s] = s;
        BOOST_TEST(out == boost::json::serialize(o));
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
