// UTC timestamps with nanosecond precision and their RFC 3339 wire form,
// byte-identical to what Go's time.Time marshals for a UTC time.
#pragma once

#include <chrono>
#include <compare>
#include <cstdint>
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
        // Split in integers: near the low end of the range, days in
        // nanoseconds would overflow.
        std::int64_t ns = unix_nanos();
        std::int64_t total_secs = ns / 1'000'000'000, nanos = ns % 1'000'000'000;
        if (nanos < 0) { nanos += 1'000'000'000; --total_secs; }
        std::int64_t day_count = total_secs / 86400, secs = total_secs % 86400; // secs: time of day
        if (secs < 0) { secs += 86400; --day_count; }
        year_month_day ymd{sys_days(std::chrono::days(day_count))};
        char* p = out;
        put(p, static_cast<int>(ymd.year()), 4);
        *p++ = '-';
        put(p, static_cast<int>(static_cast<unsigned>(ymd.month())), 2);
        *p++ = '-';
        put(p, static_cast<int>(static_cast<unsigned>(ymd.day())), 2);
        *p++ = 'T';
        put(p, static_cast<int>(secs / 3600), 2);
        *p++ = ':';
        put(p, static_cast<int>(secs / 60 % 60), 2);
        *p++ = ':';
        put(p, static_cast<int>(secs % 60), 2);
        if (nanos != 0) {
            *p++ = '.';
            char frac[9];
            for (int i = 8; i >= 0; --i) {
                frac[i] = static_cast<char>('0' + nanos % 10);
                nanos /= 10;
            }
            int n = 9;
            while (frac[n - 1] == '0') --n;
            for (int i = 0; i < n; ++i) *p++ = frac[i];
        }
        *p++ = 'Z';
        return static_cast<std::size_t>(p - out);
    }

    /// Parses RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`. An offset
    /// is converted to UTC. Fractions beyond nanoseconds are truncated, as Go does.
    /// Times outside what int64 nanoseconds hold (1677-09-21 to 2262-04-11) are rejected.
    static std::optional<timestamp> parse(std::string_view s) noexcept {
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

    friend constexpr auto operator<=>(const timestamp&, const timestamp&) = default;

private:
    static void put(char*& p, int v, int width) noexcept {
        for (int k = width - 1; k >= 0; --k) {
            p[k] = static_cast<char>('0' + v % 10);
            v /= 10;
        }
        p += width;
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
