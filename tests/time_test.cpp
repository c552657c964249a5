// RFC 3339 timestamps, byte-identical to Go's time.Time marshalling in UTC.
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdint>
#include <limits>
#include <string>
#include <system_error>
#include <thread>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/time.hpp>

namespace {

constexpr std::int64_t sec = 1'000'000'000;
// 2026-01-15T10:00:01Z, computed with Python's calendar.timegm.
constexpr std::int64_t base = 1768471201 * sec;

std::string fmt(std::int64_t unix_nanos) { return evlog::timestamp::from_unix_nanos(unix_nanos).str(); }

std::int64_t parsed(std::string_view s) {
    auto t = evlog::timestamp::parse(s);
    BOOST_TEST_REQUIRE(t.has_value(), "does not parse: " << s);
    return t->unix_nanos();
}

bool rejects(std::string_view s) { return !evlog::timestamp::parse(s).has_value(); }

/// write() as it was before its per-thread date cache and digit pairs:
/// the calendar for every call, one digit at a time.
std::string reference_str(std::int64_t ns) {
    using namespace std::chrono;
    std::int64_t total_secs = ns / sec, nanos = ns % sec;
    if (nanos < 0) { nanos += sec; --total_secs; }
    std::int64_t days = total_secs / 86400, secs = total_secs % 86400;
    if (secs < 0) { secs += 86400; --days; }
    const year_month_day ymd{sys_days(std::chrono::days(days))};
    auto put = [](std::string& out, long v, int width) {
        std::string d(static_cast<std::size_t>(width), '0');
        for (int k = width - 1; k >= 0; --k, v /= 10) d[static_cast<std::size_t>(k)] = static_cast<char>('0' + v % 10);
        out += d;
    };
    std::string out;
    put(out, static_cast<int>(ymd.year()), 4);
    out += '-';
    put(out, static_cast<long>(static_cast<unsigned>(ymd.month())), 2);
    out += '-';
    put(out, static_cast<long>(static_cast<unsigned>(ymd.day())), 2);
    out += 'T';
    put(out, static_cast<long>(secs / 3600), 2);
    out += ':';
    put(out, static_cast<long>(secs / 60 % 60), 2);
    out += ':';
    put(out, static_cast<long>(secs % 60), 2);
    if (nanos != 0) {
        out += '.';
        std::string f;
        put(f, static_cast<long>(nanos), 9);
        while (f.back() == '0') f.pop_back();
        out += f;
    }
    return out + 'Z';
}

/// A small deterministic generator (splitmix64).
struct rng {
    std::uint64_t s;
    std::uint64_t next() {
        std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    std::uint64_t below(std::uint64_t n) { return next() % n; }
};

} // namespace

BOOST_AUTO_TEST_SUITE(Time)

BOOST_AUTO_TEST_CASE(GoMicrosecondTimestampRoundTripsByteIdentically) {
    const std::string s = "2026-01-15T10:00:01.623456Z";
    BOOST_TEST(parsed(s) == base + 623'456'000);
    BOOST_TEST(evlog::timestamp::parse(s)->str() == s);
    BOOST_TEST(fmt(base + 623'456'000) == s);
}

BOOST_AUTO_TEST_CASE(FractionTrailingZerosAreTrimmed) {
    BOOST_TEST(fmt(base + 500'000'000) == "2026-01-15T10:00:01.5Z");
    BOOST_TEST(fmt(base + 120'000'000) == "2026-01-15T10:00:01.12Z");
    BOOST_TEST(fmt(base + 1'000) == "2026-01-15T10:00:01.000001Z");
}

BOOST_AUTO_TEST_CASE(ZeroFractionIsOmitted) {
    BOOST_TEST(fmt(base) == "2026-01-15T10:00:01Z");
    BOOST_TEST(fmt(0) == "1970-01-01T00:00:00Z");
    // A fraction of all zeros on input still formats without one.
    BOOST_TEST(evlog::timestamp::parse("2026-01-15T10:00:01.000Z")->str() == "2026-01-15T10:00:01Z");
}

BOOST_AUTO_TEST_CASE(NanosecondFractionWritesNineDigits) {
    BOOST_TEST(fmt(base + 123'456'789) == "2026-01-15T10:00:01.123456789Z");
    BOOST_TEST(fmt(base + 1) == "2026-01-15T10:00:01.000000001Z");
    BOOST_TEST(parsed("2026-01-15T10:00:01.000000001Z") == base + 1);
}

BOOST_AUTO_TEST_CASE(PositiveOffsetIsConvertedToUtc) {
    BOOST_TEST(parsed("2026-01-15T11:00:01+01:00") == base);
    BOOST_TEST(evlog::timestamp::parse("2026-01-15T11:00:01.25+01:00")->str() == "2026-01-15T10:00:01.25Z");
}

BOOST_AUTO_TEST_CASE(NegativeOffsetIsConvertedToUtc) {
    BOOST_TEST(parsed("2026-01-15T04:30:01-05:30") == base);
    BOOST_TEST(parsed("2026-01-15T10:00:01+00:00") == base);
    BOOST_TEST(parsed("2026-01-15T10:00:01-00:00") == base);
}

BOOST_AUTO_TEST_CASE(OffsetCanMoveTheDateAcrossMidnight) {
    BOOST_TEST(evlog::timestamp::parse("2026-01-01T00:30:00+01:00")->str() == "2025-12-31T23:30:00Z");
    BOOST_TEST(evlog::timestamp::parse("2025-12-31T23:30:00-05:00")->str() == "2026-01-01T04:30:00Z");
}

BOOST_AUTO_TEST_CASE(LowercaseTAndZAreAccepted) {
    BOOST_TEST(parsed("2026-01-15t10:00:01.5z") == base + 500'000'000);
    BOOST_TEST(parsed("2026-01-15t10:00:01Z") == base);
}

BOOST_AUTO_TEST_CASE(GarbageIsRejected) {
    BOOST_TEST(rejects(""));
    BOOST_TEST(rejects("garbage"));
    BOOST_TEST(rejects("2026"));
    BOOST_TEST(rejects("2026-01-15"));
    BOOST_TEST(rejects("2026-01-15T10:00"));
    BOOST_TEST(rejects("20260115T100001Z"));
    BOOST_TEST(rejects("2026/01/15T10:00:01Z"));
    BOOST_TEST(rejects("2026-01-15 10:00:01Z"));
    BOOST_TEST(rejects("2026-1-15T10:00:01Z"));
    BOOST_TEST(rejects("2026-01-15T10:00:01ZZ"));
    BOOST_TEST(rejects("2026-01-15T10:00:01Z "));
    BOOST_TEST(rejects(" 2026-01-15T10:00:01Z"));
    BOOST_TEST(rejects("+2026-01-15T10:00:01Z"));
    BOOST_TEST(rejects("2026-01-15T1a:00:01Z"));
}

BOOST_AUTO_TEST_CASE(MissingZoneIsRejected) {
    BOOST_TEST(rejects("2026-01-15T10:00:01"));
    BOOST_TEST(rejects("2026-01-15T10:00:01.5"));
}

BOOST_AUTO_TEST_CASE(MalformedOffsetIsRejected) {
    BOOST_TEST(rejects("2026-01-15T10:00:01+0100"));
    BOOST_TEST(rejects("2026-01-15T10:00:01+1:00"));
    BOOST_TEST(rejects("2026-01-15T10:00:01+01"));
    BOOST_TEST(rejects("2026-01-15T10:00:01+24:00"));
    BOOST_TEST(rejects("2026-01-15T10:00:01+01:60"));
    BOOST_TEST(rejects("2026-01-15T10:00:01+01:00Z"));
}

BOOST_AUTO_TEST_CASE(ImpossibleCalendarDateIsRejected) {
    BOOST_TEST(rejects("2026-02-30T00:00:00Z"));
    BOOST_TEST(rejects("2026-02-29T00:00:00Z")); // not a leap year
    BOOST_TEST(rejects("1900-02-29T00:00:00Z")); // century, not a leap year
    BOOST_TEST(rejects("2026-04-31T00:00:00Z"));
    BOOST_TEST(rejects("2026-13-01T00:00:00Z"));
    BOOST_TEST(rejects("2026-00-10T00:00:00Z"));
    BOOST_TEST(rejects("2026-01-00T00:00:00Z"));
    BOOST_TEST(rejects("2026-01-32T00:00:00Z"));
    BOOST_TEST(!rejects("2024-02-29T00:00:00Z"));
    BOOST_TEST(!rejects("2000-02-29T00:00:00Z"));
}

BOOST_AUTO_TEST_CASE(OutOfRangeTimeOfDayIsRejected) {
    BOOST_TEST(rejects("2026-01-15T24:00:00Z"));
    BOOST_TEST(rejects("2026-01-15T10:60:00Z"));
    BOOST_TEST(rejects("2026-01-15T10:00:60Z"));
    BOOST_TEST(!rejects("2026-01-15T23:59:59Z"));
}

BOOST_AUTO_TEST_CASE(EmptyFractionIsRejected) {
    BOOST_TEST(rejects("2026-01-15T10:00:01.Z"));
    BOOST_TEST(rejects("2026-01-15T10:00:01.+01:00"));
    BOOST_TEST(rejects("2026-01-15T10:00:01."));
}

BOOST_AUTO_TEST_CASE(FractionBeyondNanosecondsIsTruncated) {
    BOOST_TEST(parsed("2026-01-15T10:00:01.1234567899Z") == base + 123'456'789);
    BOOST_TEST(parsed("2026-01-15T10:00:01.999999999999999Z") == base + 999'999'999);
    BOOST_TEST(evlog::timestamp::parse("2026-01-15T10:00:01.1234567899Z")->str() ==
               "2026-01-15T10:00:01.123456789Z");
}

BOOST_AUTO_TEST_CASE(TimeBeforeEpochFormatsAndParses) {
    BOOST_TEST(fmt(-500'000'000) == "1969-12-31T23:59:59.5Z");
    BOOST_TEST(parsed("1969-12-31T23:59:59.5Z") == -500'000'000);
    BOOST_TEST(fmt(-1) == "1969-12-31T23:59:59.999999999Z");
    BOOST_TEST(parsed("1969-12-31T23:59:59.999999999Z") == -1);
    BOOST_TEST(fmt(-2208988800 * sec) == "1900-01-01T00:00:00Z");
    BOOST_TEST(parsed("1900-01-01T00:00:00Z") == -2208988800 * sec);
}

BOOST_AUTO_TEST_CASE(ExtremesOfTheNanosecondRangeRoundTrip) {
    constexpr std::int64_t max = INT64_MAX, min = INT64_MIN;
    BOOST_TEST(fmt(max) == "2262-04-11T23:47:16.854775807Z");
    BOOST_TEST(parsed("2262-04-11T23:47:16.854775807Z") == max);
    BOOST_TEST(fmt(min) == "1677-09-21T00:12:43.145224192Z");
    BOOST_TEST(parsed("1677-09-21T00:12:43.145224192Z") == min);
}

BOOST_AUTO_TEST_CASE(TimeOutsideTheNanosecondRangeIsRejectedNotWrapped) {
    // int64 nanoseconds cover 1677..2262; anything outside used to overflow silently.
    BOOST_TEST(rejects("2262-04-11T23:47:16.854775808Z"));
    BOOST_TEST(rejects("1677-09-21T00:12:43.145224191Z"));
    BOOST_TEST(rejects("0001-01-01T00:00:00Z")); // Go's zero time
    BOOST_TEST(rejects("9999-12-31T23:59:59Z"));
    BOOST_TEST(rejects("2262-04-11T23:47:16.854775807-00:01")); // in range only before the offset
}

BOOST_AUTO_TEST_CASE(WriteReturnsTheNumberOfCharactersWritten) {
    char buf[40];
    auto t = evlog::timestamp::from_unix_nanos(base + 123'456'789);
    std::size_t n = t.write(buf);
    BOOST_TEST(n == std::string("2026-01-15T10:00:01.123456789Z").size());
    BOOST_TEST(std::string(buf, n) == "2026-01-15T10:00:01.123456789Z");
}

BOOST_AUTO_TEST_CASE(OrderingFollowsTime) {
    auto a = *evlog::timestamp::parse("2026-01-15T10:00:01Z");
    auto b = *evlog::timestamp::parse("2026-01-15T10:00:01.000000001Z");
    auto c = *evlog::timestamp::parse("2026-01-15T10:00:00.5+00:00");
    BOOST_TEST((c < a));
    BOOST_TEST((a < b));
    BOOST_TEST((a == *evlog::timestamp::parse("2026-01-15T11:00:01+01:00")));
}

BOOST_AUTO_TEST_CASE(JsonConversionWritesAndReadsTheString) {
    auto t = evlog::timestamp::from_unix_nanos(base + 623'456'000);
    boost::json::value v = boost::json::value_from(t);
    BOOST_TEST_REQUIRE(v.is_string());
    BOOST_TEST(v.as_string() == "2026-01-15T10:00:01.623456Z");
    BOOST_TEST((boost::json::value_to<evlog::timestamp>(v) == t));
}

BOOST_AUTO_TEST_CASE(JsonConversionOfBadValueThrowsInvalidTimestamp) {
    for (const boost::json::value& bad : {boost::json::value("yesterday"), boost::json::value("2026-02-30T00:00:00Z"),
                                          boost::json::value(1768471201), boost::json::value(nullptr)}) {
        try {
            (void)boost::json::value_to<evlog::timestamp>(bad);
            BOOST_ERROR("no exception");
        } catch (const std::system_error& e) {
            BOOST_TEST((e.code() == evlog::errc::invalid_timestamp));
        }
    }
}

BOOST_AUTO_TEST_CASE(WriteAgreesWithTheDigitByDigitReferenceAcrossDaysAndRange) {
    // Random instants over the whole range, and runs on the same day and
    // the next (the per-thread date cache must follow each change of day).
    rng r{17};
    const std::int64_t lo = std::numeric_limits<std::int64_t>::min(), hi = std::numeric_limits<std::int64_t>::max();
    for (std::int64_t ns : {lo, lo + 1, hi, hi - 1, std::int64_t{0}, std::int64_t{-1}, std::int64_t{1}, -sec, base}) {
        BOOST_TEST(fmt(ns) == reference_str(ns));
    }
    for (int i = 0; i < 300000; ++i) {
        std::int64_t ns = static_cast<std::int64_t>(r.next());
        if (i % 3 == 1) ns = base + static_cast<std::int64_t>(r.below(3 * 86400)) * sec; // nearby days
        if (i % 5 == 0) ns -= ns % 1000;                                                // microseconds
        if (fmt(ns) != reference_str(ns)) {
            BOOST_TEST(fmt(ns) == reference_str(ns), "at " << ns);
            break;
        }
    }
}

BOOST_AUTO_TEST_CASE(AnInstantWrittenAgainIsItsOwnTextNotTheLastOnes) {
    // write() keeps the last instant's text per thread. Instants one
    // nanosecond, one microsecond or one second apart, of every length
    // (no fraction to nine digits), must not be taken for each other,
    // before or after being written again.
    rng r{23};
    const std::int64_t steps[] = {1, 10, 1000, 1000000, sec, 86400 * sec};
    for (int i = 0; i < 100000; ++i) {
        std::int64_t ns = static_cast<std::int64_t>(r.next() >> 2) - (std::int64_t{1} << 61);
        ns -= ns % static_cast<std::int64_t>(std::int64_t{1} << (r.below(10) * 3)) % sec;
        const std::int64_t other = ns + steps[r.below(6)];
        for (std::int64_t x : {ns, ns, other, ns, other, other}) {
            if (fmt(x) != reference_str(x)) {
                BOOST_TEST(fmt(x) == reference_str(x), "at " << x);
                return;
            }
        }
    }
    // A thread's first instant, whatever it is, is written for itself.
    for (std::int64_t first : {std::int64_t{0}, std::numeric_limits<std::int64_t>::min(), base}) {
        std::string got;
        std::thread([&] { got = fmt(first); }).join();
        BOOST_TEST(got == reference_str(first));
    }
}

BOOST_AUTO_TEST_CASE(ZuluFastPathAcceptsAndRejectsAsTheGeneralParser) {
    // parse() reads `...Z` on a fast path and `...z` on the general one,
    // which takes both: they must agree on every string, valid or not.
    rng r{29};
    const std::string alphabet = "0123456789-:.TtZz+ /a";
    int accepted = 0, rejected = 0;
    for (int i = 0; i < 400000; ++i) {
        std::string s = fmt(static_cast<std::int64_t>(r.next()));
        if (r.below(3) == 0) { // more fraction digits than nanoseconds hold
            s.pop_back();
            if (s.find('.') == std::string::npos) s += '.';
            s += std::string(r.below(12), static_cast<char>('0' + r.below(10))) + "Z";
        }
        for (std::uint64_t k = r.below(3); k > 0; --k) {
            const auto at = r.below(s.size());
            const char c = alphabet[r.below(alphabet.size())];
            switch (r.below(3)) {
            case 0: s[at] = c; break;
            case 1: s.insert(s.begin() + static_cast<long>(at), c); break;
            default: s.erase(at, 1); break;
            }
        }
        if (s.empty() || s.back() != 'Z') continue;
        std::string lower = s;
        lower.back() = 'z';
        const auto fast = evlog::timestamp::parse(s), general = evlog::timestamp::parse(lower);
        if (fast != general) {
            BOOST_TEST(false, "\"" << s << "\" and \"" << lower << "\" parse differently");
            break;
        }
        (fast ? accepted : rejected) += 1;
    }
    BOOST_TEST(accepted > 10000);
    BOOST_TEST(rejected > 10000);
}

BOOST_AUTO_TEST_SUITE_END()
