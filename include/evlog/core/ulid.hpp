// ULIDs: 128-bit identifiers, 48-bit millisecond time + 80 random bits,
// written as 26 characters of Crockford base32.
#pragma once

#include <array>
#include <chrono>
#include <compare>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <boost/json/conversion.hpp>
#include <boost/json/value.hpp>

#include <evlog/core/errors.hpp>

namespace evlog {

/// A ULID. The bytes are big-endian, so byte order is time order.
class ulid {
public:
    using bytes_type = std::array<std::uint8_t, 16>;

    constexpr ulid() = default;
    constexpr explicit ulid(const bytes_type& b) : bytes_(b) {}

    /// Parses 26 Crockford base32 characters, case-insensitively. Rejects a
    /// wrong length, characters outside the alphabet (including I, L, O, U,
    /// which Crockford reserves) and a first character above '7', which
    /// would overflow 128 bits.
    static std::optional<ulid> parse(std::string_view s) noexcept {
        if (s.size() != 26) return std::nullopt;
        bytes_type b{};
        // Accumulate 5 bits per character into a 130-bit big-endian number;
        // the top two bits must be zero, which is the first-char <= '7' rule.
        int first = decode_char(s[0]);
        if (first < 0 || first > 7) return std::nullopt;
        std::uint64_t hi = 0; // bits above the low 64
        std::uint64_t lo = static_cast<std::uint64_t>(first);
        for (std::size_t i = 1; i < 26; ++i) {
            int v = decode_char(s[i]);
            if (v < 0) return std::nullopt;
            hi = (hi << 5) | (lo >> 59);
            lo = (lo << 5) | static_cast<std::uint64_t>(v);
        }
        for (int i = 0; i < 8; ++i) {
            b[7 - i] = static_cast<std::uint8_t>(hi >> (8 * i));
            b[15 - i] = static_cast<std::uint8_t>(lo >> (8 * i));
        }
        return ulid(b);
    }

    /// Uppercase Crockford base32, always 26 characters.
    std::string str() const {
        std::string out(26, '0');
        write(out.data());
        return out;
    }

    /// Writes exactly 26 characters to out.
    void write(char* out) const noexcept {
        static constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        std::uint64_t hi = 0, lo = 0;
        for (int i = 0; i < 8; ++i) {
            hi = (hi << 8) | bytes_[static_cast<std::size_t>(i)];
            lo = (lo << 8) | bytes_[static_cast<std::size_t>(i + 8)];
        }
        for (int i = 25; i >= 0; --i) {
            out[i] = alphabet[lo & 31];
            lo = (lo >> 5) | (hi << 59);
            hi >>= 5;
        }
    }

    /// Milliseconds since the Unix epoch held in the top 48 bits.
    std::uint64_t time_ms() const noexcept {
        std::uint64_t t = 0;
        for (std::size_t i = 0; i < 6; ++i) t = (t << 8) | bytes_[i];
        return t;
    }

    const bytes_type& bytes() const noexcept { return bytes_; }
    bool is_nil() const noexcept { return *this == ulid{}; }

    friend constexpr auto operator<=>(const ulid&, const ulid&) = default;

private:
    static constexpr int decode_char(char c) noexcept {
        if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
        if (c >= '0' && c <= '9') return c - '0';
        switch (c) {
        case 'A': return 10; case 'B': return 11; case 'C': return 12; case 'D': return 13;
        case 'E': return 14; case 'F': return 15; case 'G': return 16; case 'H': return 17;
        case 'J': return 18; case 'K': return 19; case 'M': return 20; case 'N': return 21;
        case 'P': return 22; case 'Q': return 23; case 'R': return 24; case 'S': return 25;
        case 'T': return 26; case 'V': return 27; case 'W': return 28; case 'X': return 29;
        case 'Y': return 30; case 'Z': return 31;
        default: return -1;
        }
    }

    bytes_type bytes_{};
};

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const ulid& u) {
    v = u.str();
}

/// Throws std::system_error(errc::invalid_ulid) for anything but a valid ULID string.
inline ulid tag_invoke(boost::json::value_to_tag<ulid>, const boost::json::value& v) {
    if (const auto* s = v.if_string())
        if (auto u = ulid::parse(*s)) return *u;
    throw std::system_error(make_error_code(errc::invalid_ulid));
}

/// The wall clock in milliseconds; the default clock policy.
struct system_ms_clock {
    std::uint64_t now_ms() const {
        using namespace std::chrono;
        return static_cast<std::uint64_t>(
            duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
    }
};

/// Randomness from a Mersenne twister seeded by std::random_device; the
/// default randomness policy. ULIDs need uniqueness, not secrecy.
class mt_random {
public:
    mt_random() : engine_(std::random_device{}()) {}
    explicit mt_random(std::uint64_t seed) : engine_(seed) {}
    std::uint64_t next() { return engine_(); }

private:
    std::mt19937_64 engine_;
};

/// Generates ULIDs that strictly increase even within one millisecond (the
/// spec's monotonic mode), and even when the clock steps backwards: then the
/// last time is kept and the random part incremented.
///
/// Clock: `now_ms() -> uint64_t`. Random: `next() -> uint64_t`. Both are
/// policies so tests can make the sequence deterministic. Not thread-safe.
template <class Clock = system_ms_clock, class Random = mt_random>
class ulid_generator {
public:
    ulid_generator() = default;
    ulid_generator(Clock clock, Random random) : clock_(std::move(clock)), random_(std::move(random)) {}

    ulid next() {
        std::uint64_t now = clock_.now_ms() & ((std::uint64_t{1} << 48) - 1);
        if (has_last_ && now <= last_ms_) {
            // Increment the 80-bit random part; overflow would break ordering.
            if (++rand_lo_ == 0 && ++rand_hi_ > 0xFFFF) {
                rand_hi_ = 0;
                ++last_ms_;
            }
            rand_hi_ &= 0xFFFF;
        } else {
            last_ms_ = now;
            rand_lo_ = random_.next();
            rand_hi_ = random_.next() & 0xFFFF;
            has_last_ = true;
        }
        ulid::bytes_type b{};
        for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(last_ms_ >> (8 * (5 - i)));
        b[6] = static_cast<std::uint8_t>(rand_hi_ >> 8);
        b[7] = static_cast<std::uint8_t>(rand_hi_);
        for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(8 + i)] = static_cast<std::uint8_t>(rand_lo_ >> (8 * (7 - i)));
        return ulid(b);
    }

private:
    Clock clock_{};
    Random random_{};
    bool has_last_ = false;
    std::uint64_t last_ms_ = 0;
    std::uint64_t rand_hi_ = 0; // top 16 of the 80 random bits
    std::uint64_t rand_lo_ = 0; // low 64
};

} // namespace evlog

template <>
struct std::hash<evlog::ulid> {
    std::size_t operator()(const evlog::ulid& u) const noexcept {
        std::uint64_t h = 1469598103934665603ull;
        for (auto b : u.bytes()) h = (h ^ b) * 1099511628211ull;
        return static_cast<std::size_t>(h);
    }
};
