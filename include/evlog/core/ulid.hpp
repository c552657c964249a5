// ULIDs: 128-bit identifiers, 48-bit millisecond time + 80 random bits,
// written as 26 characters of Crockford base32.
#pragma once

#include <array>
#include <bit>
#include <chrono>
#include <compare>
#include <cstdint>
#include <cstring>
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
        // The 130-bit big-endian number the 26 characters spell has its top
        // two bits zero (the first character is at most '7'). Characters
        // 0..12 give bits 65..127, character 13 bits 60..64, characters
        // 14..25 bits 0..59. An invalid character decodes to -1, which sets
        // every bit of `bad`.
        const int first = decode_char(s[0]);
        if (first < 0 || first > 7) return std::nullopt;
        int bad = 0;
        std::uint64_t top = static_cast<std::uint64_t>(first);
        for (std::size_t i = 1; i < 13; ++i) {
            const int v = decode_char(s[i]);
            bad |= v;
            top = (top << 5) | static_cast<std::uint64_t>(v & 31);
        }
        const int mid = decode_char(s[13]);
        bad |= mid;
        std::uint64_t low = 0;
        for (std::size_t i = 14; i < 26; ++i) {
            const int v = decode_char(s[i]);
            bad |= v;
            low = (low << 5) | static_cast<std::uint64_t>(v & 31);
        }
        if (bad < 0) return std::nullopt;
        const std::uint64_t hi = (top << 1) | (static_cast<std::uint64_t>(mid & 31) >> 4);
        const std::uint64_t lo = (static_cast<std::uint64_t>(mid & 15) << 60) | low;
        bytes_type b{};
        for (int i = 0; i < 8; ++i) {
            b[static_cast<std::size_t>(7 - i)] = static_cast<std::uint8_t>(hi >> (8 * i));
            b[static_cast<std::size_t>(15 - i)] = static_cast<std::uint8_t>(lo >> (8 * i));
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
        // Two characters (ten bits) per lookup: 130 bits are 13 pairs.
        static constexpr auto pairs = [] {
            constexpr char alphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
            std::array<char, 2048> t{};
            for (std::size_t i = 0; i < 1024; ++i) {
                t[2 * i] = alphabet[i >> 5];
                t[2 * i + 1] = alphabet[i & 31];
            }
            return t;
        }();
        const std::uint64_t hi = load_be(0), lo = load_be(8);
        // Characters 24 - 2r and 25 - 2r hold bits 10r..10r+9 of the
        // 130-bit number hi:lo (its top two bits are zero): pairs 0..5 from
        // lo, pair 6 straddling both halves, pairs 7..12 from hi.
        const auto put = [&](int r, std::uint64_t v) { std::memcpy(out + 24 - 2 * r, &pairs[2 * v], 2); };
        for (int r = 0; r < 6; ++r) put(r, (lo >> (10 * r)) & 1023);
        put(6, (lo >> 60) | ((hi & 63) << 4));
        for (int r = 7; r < 13; ++r) put(r, (hi >> (10 * r - 64)) & 1023);
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
    /// The value of a Crockford base32 character (either case), -1 for any other.
    static int decode_char(char c) noexcept {
        static constexpr auto table = [] {
            std::array<std::int8_t, 256> t{};
            for (auto& x : t) x = -1;
            constexpr std::string_view alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
            for (std::size_t i = 0; i < alphabet.size(); ++i) {
                const char a = alphabet[i];
                t[static_cast<unsigned char>(a)] = static_cast<std::int8_t>(i);
                if (a >= 'A' && a <= 'Z') t[static_cast<unsigned char>(a - 'A' + 'a')] = static_cast<std::int8_t>(i);
            }
            return t;
        }();
        return table[static_cast<unsigned char>(c)];
    }

    /// Bytes at..at+7 as a big-endian number.
    std::uint64_t load_be(std::size_t at) const noexcept {
        std::uint64_t v = 0;
        if constexpr (std::endian::native == std::endian::little) {
            std::memcpy(&v, bytes_.data() + at, 8);
            v = __builtin_bswap64(v);
        } else if constexpr (std::endian::native == std::endian::big) {
            std::memcpy(&v, bytes_.data() + at, 8);
        } else {
            for (std::size_t i = 0; i < 8; ++i) v = (v << 8) | bytes_[at + i];
        }
        return v;
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
