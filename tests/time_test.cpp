// RFC 3339 timestamps, byte-identical to Go's time.Time marshalling in UTC.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

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

BOOST_AUTO_TEST_SUITE_END()
