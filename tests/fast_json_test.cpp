// detail::fast_json_reader against Boost.JSON's basic_parser: whatever the
// fast reader accepts, Boost accepts too, with exactly the same calls and
// values; what it does not take it hands back as `unsupported` (the codec
// then asks Boost). Checked on the Go fixtures' lines, on hand-picked edge
// cases, on every one-byte mutation of sample lines and on doubles.
#include <evlog/core/detail/fast_json.hpp>

#include <boost/test/unit_test.hpp>

#include <bit>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>

namespace {

using evlog::detail::fast_json_reader;
using evlog::detail::fast_json_result;

/// Writes down every call, strings joined from their parts, doubles as bits.
struct recorder {
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);
    using ec_t = boost::system::error_code;
    using sv = boost::json::string_view;

    std::vector<std::string> calls;
    std::string part;

    void add(std::string s) { calls.push_back(std::move(s)); }
    bool on_document_begin(ec_t&) { return add("begin"), true; }
    bool on_document_end(ec_t&) { return add("end"), true; }
    bool on_object_begin(ec_t&) { return add("{"), true; }
    bool on_object_end(std::size_t n, ec_t&) { return add("}" + std::to_string(n)), true; }
    bool on_array_begin(ec_t&) { return add("["), true; }
    bool on_array_end(std::size_t n, ec_t&) { return add("]" + std::to_string(n)), true; }
    bool on_key_part(sv s, std::size_t, ec_t&) { return part.append(s.data(), s.size()), true; }
    bool on_key(sv s, std::size_t n, ec_t&) { return whole("k:", s, n); }
    bool on_string_part(sv s, std::size_t, ec_t&) { return part.append(s.data(), s.size()), true; }
    bool on_string(sv s, std::size_t n, ec_t&) { return whole("s:", s, n); }
    bool on_number_part(sv, ec_t&) { return true; }
    bool on_int64(std::int64_t i, sv, ec_t&) { return add("i:" + std::to_string(i)), true; }
    bool on_uint64(std::uint64_t u, sv, ec_t&) { return add("u:" + std::to_string(u)), true; }
    bool on_double(double d, sv, ec_t&) {
        return add("d:" + std::to_string(std::bit_cast<std::uint64_t>(d))), true;
    }
    bool on_bool(bool b, ec_t&) { return add(b ? "true" : "false"), true; }
    bool on_null(ec_t&) { return add("null"), true; }
    bool on_comment_part(sv, ec_t&) { return true; }
    bool on_comment(sv, ec_t&) { return true; }

    bool whole(const char* tag, sv s, std::size_t n) {
        part.append(s.data(), s.size());
        BOOST_REQUIRE_EQUAL(n, part.size()); // the size is the whole string's
        add(tag + part);
        part.clear();
        return true;
    }
};

struct boost_outcome {
    bool ok = false;
    std::vector<std::string> calls;
};

boost_outcome boost_reads(std::string_view text) {
    boost::json::parse_options opt;
    opt.max_depth = 64; // json_codec's
    boost::json::basic_parser<recorder> p(opt);
    boost::system::error_code ec;
    const std::size_t n = p.write_some(false, text.data(), text.size(), ec);
    return {!ec && n == text.size() && p.done(), p.handler().calls};
}

/// The property, for one text; returns what the fast reader said.
fast_json_result check(std::string_view text) {
    fast_json_reader<recorder> fast;
    recorder mine;
    const fast_json_result r = fast.read(text, mine);
    BOOST_TEST_CONTEXT("text: " << text) {
        BOOST_TEST((r != fast_json_result::stopped)); // the recorder never stops
        if (r == fast_json_result::ok) {
            const boost_outcome theirs = boost_reads(text);
            BOOST_TEST(theirs.ok);
            BOOST_TEST(mine.calls == theirs.calls, boost::test_tools::per_element());
        }
    }
    return r;
}

std::vector<std::string> fixture_lines() {
    std::vector<std::string> lines;
    for (const auto& e : std::filesystem::recursive_directory_iterator(EVLOG_TEST_FIXTURES))
        if (e.path().filename() == "events.jsonl") {
            std::ifstream in(e.path(), std::ios::binary);
            for (std::string line; std::getline(in, line);) lines.push_back(line);
        }
    return lines;
}

/// Valid JSON without a negative number or a \u escape of a surrogate.
bool is_plain(const std::string& l) {
    for (const char* bad : {":-", ",-", "[-", ": -", "\\ud", "\\uD"})
        if (l.find(bad) != std::string::npos) return false;
    return boost_reads(l).ok;
}

} // namespace

BOOST_AUTO_TEST_SUITE(fast_json)

BOOST_AUTO_TEST_CASE(GoFixtureLinesReadAsBoostReadsThem) {
    const auto lines = fixture_lines();
    BOOST_REQUIRE_GT(lines.size(), 20u);
    std::size_t fast = 0;
    for (const auto& l : lines) fast += check(l) == fast_json_result::ok;
    // The fast path must actually carry the common case, or replay is slow
    // without any test noticing: every valid line outside what it hands
    // back (negative numbers, surrogate escapes) is taken, and the Go
    // fixtures have non-ASCII text and \u escapes (Go writes <, > and &
    // as \u003c, \u003e, \u0026).
    std::size_t plain = 0;
    for (const auto& l : lines) plain += is_plain(l);
    BOOST_TEST(fast == plain);
    BOOST_TEST(fast > lines.size() / 2);
}

BOOST_AUTO_TEST_CASE(EdgeCasesAreReadAsBoostReadsThemOrHandedBack) {
    const char* texts[] = {
        R"({})", R"([])", R"({"a":{}})", R"({"a":[]})", R"([[[]]])", R"( { "a" : 1 , "b" : [ 1 , 2 ] } )",
        "\t{\"a\":\r\n1}\n", R"({"a":true,"b":false,"c":null})", R"("text")", R"(1)", R"(true)", R"(null)",
        R"({"k":"a\"b\\c\/d\be\ff\ng\rh\ti"})", R"({"k":"\u0041"})", R"({"k":"\ud83d\ude00"})", R"({"k":"\ud83d"})",
        R"({"a\"b":1})", R"({"":""})", "{\"k\":\"\xc3\xa9\"}", "{\"k\":\"\xff\"}", "{\"k\":\"a\x01\"}",
        "{\"k\":\"a\x7f\"}",
        // numbers
        R"([0])", R"([0.5])", R"([4.75E0])", R"([1e22])", R"([1e23])", R"([1E+2])", R"([1e-22])", R"([1.5e-23])",
        R"([123456789012345678])", R"([1234567890123456789])", R"([18446744073709551616])",
        R"([999999999999999])", R"([9999999999999999.0])", R"([0.000000000000001])", R"([1.7976931348623157E308])",
        R"([5E-324])", R"([0.1])", R"([0.30000000000000004])", R"([100000000000000000000000])", R"([1e0])",
        R"([0e5])", R"([0.0])", R"([-0])", R"([-1])", R"([-1.5])", R"([01])", R"([00])", R"([.5])", R"([1.])",
        R"([1e])", R"([1e+])", R"([1.e5])", R"([+1])", R"([1x])", R"([1 2])", R"([1,])", R"({"a":1,})",
        R"({"a" 1})", R"({a:1})", R"({"a":1}})", R"({"a":1} x)", R"([1]])", R"(tru)", R"(nul)", R"(falsey)",
        R"({"a":"unterminated)", R"({"a":)", R"({"a")", R"({)", R"([)", "", " ", R"(/*c*/{})", R"({"a":1}//c)",
    };
    for (const char* t : texts) check(t);
    // Some of them must be taken, or the comparison above checks nothing.
    BOOST_TEST((check(R"({"k":"a\"b\\c\/d\be\ff\ng\rh\ti","n":[0,4.75E0,1e22,123456789012345678]})") ==
                fast_json_result::ok));
    BOOST_TEST((check(R"({"k":"\u0041\u00e9\u20AC\u003c\u0000x"})") == fast_json_result::ok));
    BOOST_TEST((check("{\"k\":\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"}") == fast_json_result::ok));
    // And some must be handed back: things the fast reader does not do.
    BOOST_TEST((check(R"({"k":"\ud83d\ude00"})") == fast_json_result::unsupported));
    BOOST_TEST((check(R"([-1])") == fast_json_result::unsupported));
    BOOST_TEST((check(R"([1e23])") == fast_json_result::unsupported));
    BOOST_TEST((check(R"({"a":1,})") == fast_json_result::unsupported));
}

BOOST_AUTO_TEST_CASE(Utf8IsTakenExactlyWhereBoostTakesIt) {
    // Every lead byte with every second byte, and for three- and four-byte
    // forms the edges of the continuation range in the later bytes.
    const unsigned edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
    std::size_t taken = 0, boost_ok = 0;
    auto one = [&](std::string bytes) {
        const std::string text = "[\"a" + bytes + "b\"]";
        const bool fast = check(text) == fast_json_result::ok;
        const bool theirs = boost_reads(text).ok;
        BOOST_TEST(fast == theirs, "bytes of " << text.size() << ": fast " << fast << ", Boost " << theirs);
        taken += fast;
        boost_ok += theirs;
    };
    for (unsigned lead = 0x80; lead <= 0xFF; ++lead)
        for (unsigned second = 0; second <= 0xFF; ++second) {
            if (second == '"' || second == '\\' || second < 0x20) continue; // not about UTF-8
            const std::string two{static_cast<char>(lead), static_cast<char>(second)};
            one(two);
            if (lead < 0xE0) continue;
            for (unsigned third : edges) {
                if (third == 0) continue;
                one(two + static_cast<char>(third));
                if (lead < 0xF0) continue;
                for (unsigned fourth : edges)
                    if (fourth != 0) one(two + static_cast<char>(third) + static_cast<char>(fourth));
            }
        }
    BOOST_TEST(taken > 1000u);
    BOOST_TEST(boost_ok == taken);
}

BOOST_AUTO_TEST_CASE(UnicodeEscapesAreTakenOutsideSurrogates) {
    for (unsigned cp = 0; cp <= 0xFFFF; cp += (cp < 0x900 ? 1 : 7)) {
        char esc[8];
        std::snprintf(esc, sizeof(esc), cp % 2 ? "\\u%04x" : "\\u%04X", cp);
        const auto r = check(std::string("[\"") + esc + "\"]");
        if (cp >= 0xD800 && cp <= 0xDFFF) BOOST_TEST((r == fast_json_result::unsupported));
        else BOOST_TEST((r == fast_json_result::ok), "cp " << cp);
    }
    for (const char* bad : {R"(["\u12"])", R"(["\u12G4"])", R"(["\x41"])", R"(["\"])"})
        BOOST_TEST((check(bad) == fast_json_result::unsupported));
}

BOOST_AUTO_TEST_CASE(NestingDeeperThanTheLimitIsHandedBack) {
    const int limit = fast_json_reader<recorder>::max_depth;
    const std::string ok(static_cast<std::size_t>(limit), '['), close(static_cast<std::size_t>(limit), ']');
    BOOST_TEST((check(ok + close) == fast_json_result::ok));
    BOOST_TEST((check("[" + ok + close + "]") == fast_json_result::unsupported));
}

BOOST_AUTO_TEST_CASE(EveryOneByteMutationOfALineIsReadAsBoostReadsItOrHandedBack) {
    auto lines = fixture_lines();
    lines.resize(std::min<std::size_t>(lines.size(), 12));
    lines.push_back(R"({"event_id":7,"x":[1,0.25,2.5E-1,true,false,null,{"y":"a\nb"}],"z":"q\"r"})");
    const std::string bytes = std::string("{}[],:\".0123456789eE+-\\/ tfnul\x01\x7f\x80\xc3") + '\0';
    std::size_t taken = 0, total = 0;
    for (const auto& line : lines) {
        for (std::size_t i = 0; i < line.size(); ++i) {
            std::string cut = line.substr(0, i);
            taken += check(cut) == fast_json_result::ok;
            std::string del = line;
            del.erase(i, 1);
            taken += check(del) == fast_json_result::ok;
            for (char b : bytes) {
                std::string rep = line;
                rep[i] = b;
                taken += check(rep) == fast_json_result::ok;
                total += 1;
            }
        }
    }
    BOOST_TEST(taken > total / 20); // many mutations are still valid JSON and taken
}

BOOST_AUTO_TEST_CASE(DoublesAreBitForBitBoostsWhereverTheyAreTaken) {
    std::mt19937_64 rng(42);
    std::size_t taken = 0;
    for (int i = 0; i < 20000; ++i) {
        const std::uint64_t m = rng() % 1'000'000'000'000'000ull >> (rng() % 50);
        const int frac = static_cast<int>(rng() % 8);
        const int exp = static_cast<int>(rng() % 51) - 25;
        std::string digits = std::to_string(m);
        std::string text = "[";
        if (frac > 0 && static_cast<int>(digits.size()) > frac)
            text += digits.substr(0, digits.size() - static_cast<std::size_t>(frac)) + "." +
                    digits.substr(digits.size() - static_cast<std::size_t>(frac));
        else
            text += digits + ".0";
        text += (i % 2 ? "E" : "e") + std::to_string(exp) + "]";
        taken += check(text) == fast_json_result::ok;
    }
    BOOST_TEST(taken > 5000u);
}

BOOST_AUTO_TEST_SUITE_END()
