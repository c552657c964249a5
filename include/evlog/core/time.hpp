// UTC timestamps with nanosecond precision and their RFC 3339 wire form,
// byte-identical to what Go's time.Time marshals for a UTC time.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>

#include <evlog/core/errors.hpp>

namespace evlog {

/// A point in UTC time with nanosecond precision. A distinct type (not a
/// bare time_point) so that its JSON conversion is found by ADL.
class timestamp {
public:
    using clock = std::chrono::system_clock;
    using duration = std::chrono::nanoseconds;
    using time_point = std::chrono::time_point<clock, duration>;

    constexpr timestamp() = default;
    constexpr explicit timestamp(time_point tp) : tp_(tp) {}

    static timestamp now() { return timestamp(std::chrono::time_point_cast<duration>(clock::now())); }
    static constexpr timestamp from_unix_nanos(std::int64_t ns) { return timestamp(time_point(duration(ns))); }

    constexpr time_point time() const { return tp_; }
    constexpr std::int64_t unix_nanos() const { return tp_.time_since_epoch().count(); }

    /// RFC 3339 in UTC as Go writes it: `2026-01-15T10:00:01.623456Z`, the
    /// fraction's trailing zeros trimmed and no fraction when it is zero.
    std::string str() const {
        char buf[40];
        return std::string(buf, write(buf));
    }

    /// Writes at most 35 characters to out and returns how many.
    std::size_t write(char* out) const noexcept {
        using namespace std::chrono;
        // The last instant written and its text, and the date of the last
        // day, per thread: a line's timestamps mostly repeat its envelope's
        // (created_at, a message's time), the timestamps of a log mostly
        // fall on few days, and the calendar is the costly part.
        struct last_text {
            std::int64_t ns = 0;
            std::uint8_t size = 0; // 0: nothing written yet
            char text[31] = {};
            std::int64_t day = std::numeric_limits<std::int64_t>::min();
            char date[10] = {};
        };
        static thread_local last_text cache;
        const std::int64_t ns = unix_nanos();
        if (ns == cache.ns && cache.size != 0) {
            // 20 to 30 characters: two copies of 16 that overlap.
            const std::size_t n = cache.size;
            std::memcpy(out, cache.text, 16);
            std::memcpy(out + n - 16, cache.text + n - 16, 16);
            return n;
        }
        // Split in integers: near the low end of the range, days in
        // nanoseconds would overflow.
        std::int64_t total_secs = ns / 1'000'000'000, nanos = ns % 1'000'000'000;
        if (nanos < 0) { nanos += 1'000'000'000; --total_secs; }
        std::int64_t day_count = total_secs / 86400, secs = total_secs % 86400; // secs: time of day
        if (secs < 0) { secs += 86400; --day_count; }
        if (cache.day != day_count) {
            year_month_day ymd{sys_days(std::chrono::days(day_count))};
            const int y = static_cast<int>(ymd.year());
            char* d = cache.date;
            put2(d, y / 100);
            put2(d + 2, y % 100);
            d[4] = '-';
            put2(d + 5, static_cast<int>(static_cast<unsigned>(ymd.month())));
            d[7] = '-';
            put2(d + 8, static_cast<int>(static_cast<unsigned>(ymd.day())));
            cache.day = day_count;
        }
        char* p = out;
        std::memcpy(p, cache.date, 10);
        p[10] = 'T';
        const int s = static_cast<int>(secs);
        put2(p + 11, s / 3600);
        p[13] = ':';
        put2(p + 14, s / 60 % 60);
        p[16] = ':';
        put2(p + 17, s % 60);
        p += 19;
        if (nanos != 0) {
            // Nine digits, then the trailing zeros cut.
            *p = '.';
            const auto n = static_cast<std::uint32_t>(nanos);
            const std::uint32_t hi = n / 10'000'000, mid = n / 100'000 % 100, lo = n % 100'000;
            put2(p + 1, static_cast<int>(hi));
            put2(p + 3, static_cast<int>(mid));
            put2(p + 5, static_cast<int>(lo / 1000));
            put2(p + 7, static_cast<int>(lo / 10 % 100));
            p[9] = static_cast<char>('0' + lo % 10);
            p += 10;
            while (p[-1] == '0') --p;
        }
        *p++ = 'Z';
        const auto n = static_cast<std::size_t>(p - out);
        // 20 to 30 characters, as above: fixed-size copies stay inline.
        std::memcpy(cache.text, out, 16);
        std::memcpy(cache.text + n - 16, out + n - 16, 16);
        cache.size = static_cast<std::uint8_t>(n);
        cache.ns = ns;
        return n;
    }

    /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. An offset
    /// is converted to UTC. Fractions beyond nanoseconds are truncated, as Go does.
    /// Times outside what int64 nanoseconds hold (1677-09-21 to 2262-04-11) are rejected.
    static std::optional<timestamp> parse(std::string_view s) noexcept {
        // What Go and this class write, `YYYY-MM-DDTHH:MM:SS[.f…]Z`, without the general parser's steps.
        if (s.size() >= 20 && s[4] == '-' && s[7] == '-' && s[10] == 'T' && s[13] == ':' && s[16] == ':' &&
            s.back() == 'Z') {
            const char* p = s.data();
            std::uint32_t bad = 0;
            auto d2 = [&](std::size_t at) {
                const auto a = static_cast<std::uint32_t>(static_cast<unsigned char>(p[at]) - '0');
                const auto b = static_cast<std::uint32_t>(static_cast<unsigned char>(p[at + 1]) - '0');
                bad |= (a > 9) | (b > 9);
                return static_cast<int>(a * 10 + b);
            };
            const int Y = d2(0) * 100 + d2(2), M = d2(5), D = d2(8), h = d2(11), m = d2(14), sec = d2(17);
            std::int64_t nanos = 0;
            const std::size_t end = s.size() - 1; // the 'Z'
            if (end > 19) {
                if (p[19] != '.' || end == 20) return std::nullopt;
                std::size_t i = 20;
                for (; i < end && i < 29; ++i) {
                    const auto c = static_cast<std::uint32_t>(static_cast<unsigned char>(p[i]) - '0');
                    bad |= c > 9;
                    nanos = nanos * 10 + c;
                }
                for (std::size_t k = i; k < 29; ++k) nanos *= 10;
                for (; i < end; ++i) bad |= static_cast<std::uint32_t>(static_cast<unsigned char>(p[i]) - '0') > 9;
            }
            if (bad) return std::nullopt;
            return from_fields(Y, M, D, h, m, sec, nanos, 0);
        }
        using namespace std::chrono;
        std::size_t i = 0;
        auto num = [&](int digits, int& out) {
            if (i + static_cast<std::size_t>(digits) > s.size()) return false;
            out = 0;
            for (int k = 0; k < digits; ++k) {
                char c = s[i++];
                if (c < '0' || c > '9') return false;
                out = out * 10 + (c - '0');
            }
            return true;
        };
        auto lit = [&](char a, char b) {
            if (i < s.size() && (s[i] == a || s[i] == b)) { ++i; return true; }
            return false;
        };
        int Y, M, D, h, m, sec;
        if (!num(4, Y) || !lit('-', '-') || !num(2, M) || !lit('-', '-') || !num(2, D) ||
            !lit('T', 't') || !num(2, h) || !lit(':', ':') || !num(2, m) || !lit(':', ':') ||
            !num(2, sec))
            return std::nullopt;
        std::int64_t nanos = 0;
        if (lit('.', '.')) {
            int digits = 0;
            while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
                if (digits < 9) nanos = nanos * 10 + (s[i] - '0');
                ++digits;
                ++i;
            }
            if (digits == 0) return std::nullopt;
            for (int k = digits; k < 9; ++k) nanos *= 10;
        }
        int offset_min = 0;
        if (lit('Z', 'z')) {
        } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            int sign = s[i++] == '-' ? -1 : 1;
            int oh, om;
            if (!num(2, oh) || !lit(':', ':') || !num(2, om) || oh > 23 || om > 59) return std::nullopt;
            offset_min = sign * (oh * 60 + om);
        } else {
            return std::nullopt;
        }
        if (i != s.size()) return std::nullopt;
        return from_fields(Y, M, D, h, m, sec, nanos, offset_min);
    }

    friend constexpr auto operator<=>(const timestamp&, const timestamp&) = default;

private:
    /// The instant of a parsed date, time, fraction and offset, if valid and in range.
    static std::optional<timestamp> from_fields(int Y, int M, int D, int h, int m, int sec, std::int64_t nanos,
                                                int offset_min) noexcept {
        using namespace std::chrono;
        year_month_day ymd{year(Y), month(static_cast<unsigned>(M)), day(static_cast<unsigned>(D))};
        if (!ymd.ok() || h > 23 || m > 59 || sec > 59) return std::nullopt;
        // Only about 1678..2262 fits in int64 nanoseconds; reject rather than overflow.
        std::int64_t secs = static_cast<std::int64_t>(sys_days(ymd).time_since_epoch().count()) * 86400 +
                            h * 3600 + m * 60 + sec - std::int64_t{offset_min} * 60;
        if (secs < 0 && nanos > 0) { // keep the product in range at the low end
            ++secs;
            nanos -= 1'000'000'000;
        }
        std::int64_t total = 0;
        if (__builtin_mul_overflow(secs, std::int64_t{1'000'000'000}, &total) ||
            __builtin_add_overflow(total, nanos, &total))
            return std::nullopt;
        return from_unix_nanos(total);
    }

    /// Two digits of v (0..99).
    static void put2(char* p, int v) noexcept {
        static constexpr char pairs[] = "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
                                        "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
                                        "8081828384858687888990919293949596979899";
        p[0] = pairs[2 * v];
        p[1] = pairs[2 * v + 1];
    }

    time_point tp_{};
};

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const timestamp& t) {
    v = t.str();
}

/// Throws std::system_error(errc::invalid_timestamp) for anything but an RFC 3339 string.
inline timestamp tag_invoke(boost::json::value_to_tag<timestamp>, const boost::json::value& v) {
    if (const auto* s = v.if_string())
        if (auto t = timestamp::parse(*s)) return *t;
    throw std::system_error(make_error_code(errc::invalid_timestamp));
}

} // namespace evlog
