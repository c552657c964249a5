// ULID parsing, formatting, ordering, JSON conversion and the monotonic generator.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/ulid.hpp>

namespace {

/// A clock the test steers through a pointer, since the generator owns its copy.
struct fake_clock {
    const std::uint64_t* now;
    std::uint64_t now_ms() const { return *now; }
};

/// Returns the same value every call.
struct fixed_random {
    std::uint64_t value;
    std::uint64_t next() { return value; }
};

/// Returns 0, 1, 2, ... so a fresh draw is distinguishable from an increment.
struct counting_random {
    std::uint64_t n = 0;
    std::uint64_t next() { return n++; }
};

evlog::ulid make(std::uint64_t ms, std::uint16_t rand_hi, std::uint64_t rand_lo) {
    evlog::ulid::bytes_type b{};
    for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
    b[6] = static_cast<std::uint8_t>(rand_hi >> 8);
    b[7] = static_cast<std::uint8_t>(rand_hi);
    for (int i = 0; i < 8; ++i)
        b[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(rand_lo >> (8 * (7 - i)));
    return evlog::ulid(b);
}

/// parse() and write() as they were before the table and the split into
/// halves: five bits at a time through a 130-bit number.
std::optional<evlog::ulid> reference_parse(std::string_view s) {
    static const std::string alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    if (s.size() != 26) return std::nullopt;
    std::uint64_t hi = 0, lo = 0;
    for (std::size_t i = 0; i < 26; ++i) {
        char c = s[i];
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        const auto v = alphabet.find(c);
        if (v == std::string::npos || (i == 0 && v > 7)) return std::nullopt;
        hi = (hi << 5) | (lo >> 59);
        lo = (lo << 5) | v;
    }
    evlog::ulid::bytes_type b{};
    for (int i = 0; i < 8; ++i) {
        b[static_cast<std::size_t>(7 - i)] = static_cast<std::uint8_t>(hi >> (8 * i));
        b[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(lo >> (8 * i));
    }
    return evlog::ulid(b);
}

std::string reference_str(const evlog::ulid& u) {
    static const char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    std::uint64_t hi = 0, lo = 0;
    for (std::size_t i = 0; i < 8; ++i) {
        hi = (hi << 8) | u.bytes()[i];
        lo = (lo << 8) | u.bytes()[i + 8];
    }
    std::string out(26, '0');
    for (int i = 25; i >= 0; --i) {
        out[static_cast<std::size_t>(i)] = alphabet[lo & 31];
        lo = (lo >> 5) | (hi << 59);
        hi >>= 5;
    }
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(Ulid)

BOOST_AUTO_TEST_CASE(ParseThenFormatRoundTrips) {
    for (std::string s : {"01ARZ3NDEKTSV4RRFFQ69G5FAV", "01KF0HJ087AE67Z5NHCJZHQ5XV",
                          "00000000000000000000000000", "00000000000000000000000001",
                          "7ZZZZZZZZZZZZZZZZZZZZZZZZZ"}) {
        auto u = evlog::ulid::parse(s);
        BOOST_TEST_REQUIRE(u.has_value(), s);
        BOOST_TEST(u->str() == s);
    }
}

BOOST_AUTO_TEST_CASE(FormatPutsBitsInTheRightCharacters) {
    // time 0x0123456789AB, random 0xFEDC BA9876543210ABCD; computed independently.
    auto u = make(0x0123456789AB, 0xFEDC, 0xBA9876543210ABCD);
    BOOST_TEST(u.str() == "014D2PF2DBZVEBN63PAGS11AYD");
    BOOST_TEST((evlog::ulid::parse("014D2PF2DBZVEBN63PAGS11AYD") == u));
}

BOOST_AUTO_TEST_CASE(NilUlidFormatsAsAllZeros) {
    evlog::ulid u;
    BOOST_TEST(u.is_nil());
    BOOST_TEST(u.str() == std::string(26, '0'));
    BOOST_TEST(!evlog::ulid::parse("00000000000000000000000001")->is_nil());
}

BOOST_AUTO_TEST_CASE(LowercaseParsesAndFormatsUppercase) {
    auto lower = evlog::ulid::parse("01arz3ndektsv4rrffq69g5fav");
    auto mixed = evlog::ulid::parse("01ArZ3nDeKtSv4RrFfQ69g5FaV");
    auto upper = evlog::ulid::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    BOOST_TEST_REQUIRE(lower.has_value());
    BOOST_TEST_REQUIRE(mixed.has_value());
    BOOST_TEST((*lower == *upper));
    BOOST_TEST((*mixed == *upper));
    BOOST_TEST(lower->str() == "01ARZ3NDEKTSV4RRFFQ69G5FAV");
}

BOOST_AUTO_TEST_CASE(UlidOfWrongLengthIsRejected) {
    BOOST_TEST(!evlog::ulid::parse("").has_value());
    BOOST_TEST(!evlog::ulid::parse("01ARZ3NDEKTSV4RRFFQ69G5FA").has_value());   // 25
    BOOST_TEST(!evlog::ulid::parse("01ARZ3NDEKTSV4RRFFQ69G5FAVV").has_value()); // 27
    BOOST_TEST(!evlog::ulid::parse(" 01ARZ3NDEKTSV4RRFFQ69G5FAV").has_value());
}

BOOST_AUTO_TEST_CASE(UlidWithCharactersOutsideCrockfordBase32IsRejected) {
    const std::string good = "01ARZ3NDEKTSV4RRFFQ69G5FAV";
    for (char bad : {'I', 'L', 'O', 'U', 'i', 'l', 'o', 'u', '-', '_', ' ', '.', '!', '\0', '{', '@', '['}) {
        std::string s = good;
        s[13] = bad;
        BOOST_TEST(!evlog::ulid::parse(s).has_value(), "char " << int(bad));
        s = good;
        s[25] = bad;
        BOOST_TEST(!evlog::ulid::parse(s).has_value(), "last char " << int(bad));
    }
}

BOOST_AUTO_TEST_CASE(UlidWithFirstCharAboveSevenIsRejected) {
    for (char first : {'8', '9', 'A', 'Z', 'z'})
        BOOST_TEST(!evlog::ulid::parse(std::string(1, first) + "ZZZZZZZZZZZZZZZZZZZZZZZZZ").has_value(),
                   "first " << first);
    BOOST_TEST(evlog::ulid::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ").has_value());
}

BOOST_AUTO_TEST_CASE(MaxUlidParsesToAllOnes) {
    auto u = evlog::ulid::parse("7ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    BOOST_TEST_REQUIRE(u.has_value());
    for (auto b : u->bytes()) BOOST_TEST(b == 0xFF);
    BOOST_TEST(u->time_ms() == (std::uint64_t{1} << 48) - 1);
}

BOOST_AUTO_TEST_CASE(TimeMsIsTheTopFortyEightBits) {
    BOOST_TEST(evlog::ulid::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV")->time_ms() == 1469922850259ull);
    BOOST_TEST(make(0x0123456789AB, 0xFFFF, ~0ull).time_ms() == 0x0123456789ABull);
    BOOST_TEST(evlog::ulid{}.time_ms() == 0u);
}

BOOST_AUTO_TEST_CASE(OrderingFollowsTimeThenRandomness) {
    auto a = make(1000, 0xFFFF, ~0ull);
    auto b = make(1001, 0, 0);
    auto c = make(1001, 0, 1);
    auto d = make(1001, 1, 0);
    BOOST_TEST((a < b));
    BOOST_TEST((b < c));
    BOOST_TEST((c < d)); // rand_hi outranks rand_lo
    BOOST_TEST((a == make(1000, 0xFFFF, ~0ull)));
    // String order matches value order (ULIDs sort lexicographically).
    BOOST_TEST((a.str() < b.str()));
    BOOST_TEST((c.str() < d.str()));
}

BOOST_AUTO_TEST_CASE(EqualUlidsHashEqually) {
    auto a = *evlog::ulid::parse("01ARZ3NDEKTSV4RRFFQ69G5FAV");
    auto b = *evlog::ulid::parse("01arz3ndektsv4rrffq69g5fav");
    BOOST_TEST(std::hash<evlog::ulid>{}(a) == std::hash<evlog::ulid>{}(b));
}

BOOST_AUTO_TEST_CASE(GeneratorUsesClockAndRandomPolicies) {
    std::uint64_t now = 0x0123456789AB;
    evlog::ulid_generator<fake_clock, fixed_random> gen(fake_clock{&now}, fixed_random{0x1122334455667788});
    auto u = gen.next();
    BOOST_TEST(u.time_ms() == now);
    // rand_lo from the first draw, rand_hi is the low 16 bits of the second.
    BOOST_TEST((u == make(now, 0x7788, 0x1122334455667788)));
}

BOOST_AUTO_TEST_CASE(GeneratorIsStrictlyMonotonicWithinOneMillisecond) {
    std::uint64_t now = 5000;
    evlog::ulid_generator<fake_clock, counting_random> gen(fake_clock{&now}, counting_random{});
    auto prev = gen.next();
    for (int i = 0; i < 1000; ++i) {
        auto u = gen.next();
        BOOST_TEST_REQUIRE((prev < u));
        BOOST_TEST(u.time_ms() == 5000u);
        prev = u;
    }
    // Within the millisecond the random part is incremented, not redrawn.
    BOOST_TEST((prev == make(5000, 1, 1000)));
}

BOOST_AUTO_TEST_CASE(GeneratorDrawsFreshRandomnessWhenTheClockAdvances) {
    std::uint64_t now = 5000;
    evlog::ulid_generator<fake_clock, counting_random> gen(fake_clock{&now}, counting_random{});
    auto a = gen.next(); // draws 0, 1
    now = 5001;
    auto b = gen.next(); // draws 2, 3
    BOOST_TEST((a == make(5000, 1, 0)));
    BOOST_TEST((b == make(5001, 3, 2)));
}

BOOST_AUTO_TEST_CASE(GeneratorStaysMonotonicWhenTheClockGoesBackwards) {
    std::uint64_t now = 10'000;
    evlog::ulid_generator<fake_clock, fixed_random> gen(fake_clock{&now}, fixed_random{0xFFFF'FFFF'FFFF'0000});
    auto a = gen.next();
    now = 9'000;
    auto b = gen.next();
    now = 1;
    auto c = gen.next();
    BOOST_TEST((a < b));
    BOOST_TEST((b < c));
    // The last time is kept rather than going back with the clock.
    BOOST_TEST(b.time_ms() == 10'000u);
    BOOST_TEST(c.time_ms() == 10'000u);
    now = 10'001;
    auto d = gen.next();
    BOOST_TEST((c < d));
    BOOST_TEST(d.time_ms() == 10'001u);
}

BOOST_AUTO_TEST_CASE(GeneratorStaysMonotonicAcrossRandomOverflow) {
    std::uint64_t now = 7777;
    evlog::ulid_generator<fake_clock, fixed_random> gen(fake_clock{&now}, fixed_random{~0ull});
    auto a = gen.next();
    BOOST_TEST((a == make(7777, 0xFFFF, ~0ull))); // all 80 random bits set
    auto b = gen.next();                           // increment overflows 80 bits
    BOOST_TEST((a < b));
    BOOST_TEST((b == make(7778, 0, 0)));
    auto c = gen.next(); // clock still at 7777, behind the bumped time
    BOOST_TEST((b < c));
    BOOST_TEST((c == make(7778, 0, 1)));
}

BOOST_AUTO_TEST_CASE(GeneratorCarriesFromLowIntoHighRandomBits) {
    std::uint64_t now = 42;
    // First draw (low 64 bits) all ones, second (high 16 bits) 5.
    struct two_draws {
        int n = 0;
        std::uint64_t next() { return n++ == 0 ? ~0ull : 0x0005; }
    };
    evlog::ulid_generator<fake_clock, two_draws> g2(fake_clock{&now}, two_draws{});
    auto a = g2.next();
    auto b = g2.next();
    BOOST_TEST((a == make(42, 5, ~0ull)));
    BOOST_TEST((b == make(42, 6, 0)));
    BOOST_TEST((a < b));
}

BOOST_AUTO_TEST_CASE(JsonConversionWritesAndReadsTheString) {
    auto u = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
    boost::json::value v = boost::json::value_from(u);
    BOOST_TEST_REQUIRE(v.is_string());
    BOOST_TEST(v.as_string() == "01KF0HJ087AE67Z5NHCJZHQ5XV");
    BOOST_TEST((boost::json::value_to<evlog::ulid>(v) == u));
    BOOST_TEST((boost::json::value_to<evlog::ulid>(boost::json::value("01kf0hj087ae67z5nhcjzhq5xv")) == u));
}

BOOST_AUTO_TEST_CASE(JsonConversionOfBadValueThrowsInvalidUlid) {
    for (const boost::json::value& bad :
         {boost::json::value("not-a-ulid"), boost::json::value("01KF0HJ087AE67Z5NHCJZHQ5XU"),
          boost::json::value("8ZZZZZZZZZZZZZZZZZZZZZZZZZ"), boost::json::value(42), boost::json::value(nullptr)}) {
        try {
            (void)boost::json::value_to<evlog::ulid>(bad);
            BOOST_ERROR("no exception for " << boost::json::serialize(bad));
        } catch (const std::system_error& e) {
            BOOST_TEST((e.code() == evlog::errc::invalid_ulid));
        }
    }
}

BOOST_AUTO_TEST_CASE(ParseAndWriteAgreeWithTheFiveBitsAtATimeReference) {
    // Random ids both ways, and random 26-character strings (valid
    // characters in either case, some invalid, some first characters above
    // '7') through parse.
    std::uint64_t s = 5;
    auto next = [&s] {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    };
    const std::string chars = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyzILOUilou-_ \x80\xff";
    int valid = 0;
    for (int i = 0; i < 200000; ++i) {
        evlog::ulid::bytes_type b{};
        for (auto& x : b) x = static_cast<std::uint8_t>(next());
        const evlog::ulid u(b);
        if (u.str() != reference_str(u) || evlog::ulid::parse(u.str()) != u) {
            BOOST_TEST(u.str() == reference_str(u));
            break;
        }
        std::string t(26, '0');
        for (auto& c : t) c = chars[next() % (next() % 8 == 0 ? chars.size() : 32)];
        if (evlog::ulid::parse(t) != reference_parse(t)) {
            BOOST_TEST(false, "parse differs on " << t);
            break;
        }
        valid += reference_parse(t).has_value();
    }
    BOOST_TEST(valid > 10000);
}

BOOST_AUTO_TEST_CASE(EachBitAndEachByteLandsInItsCharacterAcrossTheTenBitPairs) {
    // write() looks up two characters (ten bits) at a time, the pair at
    // bits 60..69 straddling the two 64-bit halves: a bit in the wrong pair,
    // or one lost at a seam, shows up in a single-bit id.
    for (std::size_t bit = 0; bit < 128; ++bit) {
        evlog::ulid::bytes_type b{};
        b[15 - bit / 8] = static_cast<std::uint8_t>(1u << (bit % 8));
        const evlog::ulid u(b);
        BOOST_TEST(u.str() == reference_str(u), "bit " << bit);
    }
    for (std::size_t at = 0; at < 16; ++at) {
        for (int v : {0x01, 0x80, 0xff, 0x5a}) {
            evlog::ulid::bytes_type b{};
            b[at] = static_cast<std::uint8_t>(v);
            const evlog::ulid u(b);
            BOOST_TEST(u.str() == reference_str(u), "byte " << at << " = " << v);
            b.fill(0xff);
            b[at] = static_cast<std::uint8_t>(~v);
            const evlog::ulid w(b);
            BOOST_TEST(w.str() == reference_str(w), "byte " << at << " = " << (~v & 0xff) << " among 0xff");
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
