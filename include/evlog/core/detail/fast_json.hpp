// A JSON reader for one complete line that drives a Boost.JSON
// basic_parser handler, for the common shape of event lines only.
//
// Why: Boost's basic_parser is general (it can stop and resume anywhere in
// the input, and copies escaped strings a byte at a time), and it was
// about half of replay's time. Event lines are small, complete and plain,
// so a reader that only takes the plain subset does the same work in a
// fraction of it.
//
// The rule that keeps it safe: it accepts a strict subset of what Boost
// accepts, and for what it accepts it makes exactly the calls Boost's
// basic_parser makes (strings whole, never in parts), with the same
// values. Anything outside the subset returns `unsupported` before the
// handler has been told anything it would not also hear from Boost, and
// the caller then parses the line with Boost. Outside the subset: \u
// escapes of UTF-16 surrogates, negative numbers, numbers whose value
// Boost might round differently (more than 15 significant digits, or a
// decimal exponent beyond ±22), nesting deeper than 32, and every error
// (including invalid UTF-8).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/json/string_view.hpp>
#include <boost/system/error_code.hpp>

namespace evlog::detail {

enum class fast_json_result {
    ok,          ///< the line was read whole; the handler saw every value
    unsupported, ///< outside the subset (or malformed): parse it with Boost instead
    stopped,     ///< the handler returned false (its error code says why)
};

/// Reads one line of JSON into `Handler`, a boost::json::basic_parser
/// handler. Reuses a buffer for escaped strings across lines: keep one per
/// thread, next to the handler.
template <class Handler>
class fast_json_reader {
public:
    static constexpr int max_depth = 32;

    /// Calls h as basic_parser<Handler>::write_some(false, ...) would for
    /// the whole text, or returns unsupported/stopped (see above).
    fast_json_result read(std::string_view text, Handler& h) {
        p_ = text.data();
        end_ = p_ + text.size();
        h_ = &h;
        result_ = fast_json_result::ok;
        if (!h.on_document_begin(ec_)) return fast_json_result::stopped;
        skip_ws();
        if (!value(0)) return result_;
        skip_ws();
        if (p_ != end_) return fast_json_result::unsupported; // trailing bytes: Boost says what
        if (!h.on_document_end(ec_)) return fast_json_result::stopped;
        return fast_json_result::ok;
    }

    /// After `stopped`: the handler's error code.
    const boost::system::error_code& error() const noexcept { return ec_; }

private:
    using string_view = boost::json::string_view;

    bool unsupported() {
        result_ = fast_json_result::unsupported;
        return false;
    }
    bool stopped() {
        result_ = fast_json_result::stopped;
        return false;
    }

    [[gnu::always_inline]] void skip_ws() noexcept {
        if (p_ < end_ && static_cast<unsigned char>(*p_) > ' ') [[likely]] // compact JSON: nothing to skip
            return;
        while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
    }

    bool value(int depth) {
        if (p_ == end_) return unsupported();
        switch (*p_) {
        case '{': return object(depth + 1);
        case '[': return array(depth + 1);
        case '"': {
            std::string_view s;
            if (!string(s)) return false;
            return h_->on_string(string_view(s.data(), s.size()), s.size(), ec_) || stopped();
        }
        case 't': return literal("true", 4) && (h_->on_bool(true, ec_) || stopped());
        case 'f': return literal("false", 5) && (h_->on_bool(false, ec_) || stopped());
        case 'n': return literal("null", 4) && (h_->on_null(ec_) || stopped());
        default:
            if (*p_ >= '0' && *p_ <= '9') return number();
            return unsupported(); // '-', or not JSON
        }
    }

    bool literal(const char* word, std::size_t n) {
        if (static_cast<std::size_t>(end_ - p_) < n || std::memcmp(p_, word, n) != 0) return unsupported();
        p_ += n;
        return true;
    }

    bool object(int depth) {
        if (depth > max_depth) return unsupported();
        if (!h_->on_object_begin(ec_)) return stopped();
        ++p_;
        skip_ws();
        std::size_t n = 0;
        if (p_ < end_ && *p_ == '}') {
            ++p_;
            return h_->on_object_end(0, ec_) || stopped();
        }
        for (;;) {
            if (p_ == end_ || *p_ != '"') return unsupported();
            std::string_view key;
            if (!string(key)) return false;
            if (!h_->on_key(string_view(key.data(), key.size()), key.size(), ec_)) return stopped();
            skip_ws();
            if (p_ == end_ || *p_ != ':') return unsupported();
            ++p_;
            skip_ws();
            if (!value(depth)) return false;
            ++n;
            switch (comma_or('}')) {
            case after::comma: continue;
            case after::close: return h_->on_object_end(n, ec_) || stopped();
            case after::other: return unsupported();
            }
        }
    }

    bool array(int depth) {
        if (depth > max_depth) return unsupported();
        if (!h_->on_array_begin(ec_)) return stopped();
        ++p_;
        skip_ws();
        std::size_t n = 0;
        if (p_ < end_ && *p_ == ']') {
            ++p_;
            return h_->on_array_end(0, ec_) || stopped();
        }
        for (;;) {
            if (!value(depth)) return false;
            ++n;
            switch (comma_or(']')) {
            case after::comma: continue;
            case after::close: return h_->on_array_end(n, ec_) || stopped();
            case after::other: return unsupported();
            }
        }
    }

    enum class after { comma, close, other };

    /// After a member or element: a comma (skipped, with the whitespace
    /// after it), the closing bracket (skipped), or anything else.
    [[gnu::always_inline]] after comma_or(char close) {
        skip_ws();
        if (p_ == end_) return after::other;
        if (*p_ == ',') {
            ++p_;
            skip_ws();
            return after::comma;
        }
        if (*p_ != close) return after::other;
        ++p_;
        return after::close;
    }

    /// At '"': the string's value, a view into the line when it has no
    /// escapes and into scratch_ otherwise.
    /// Inline for the common case, a string with nothing to unescape or
    /// check: most strings are keys and short values, for which the call
    /// cost about a fifth of the reading.
    [[gnu::always_inline]] bool string(std::string_view& out) {
        const char* const begin = ++p_;
        const char* q = plain_run(begin);
        if (q < end_ && *q == '"') [[likely]] {
            out = std::string_view(begin, static_cast<std::size_t>(q - begin));
            p_ = q + 1;
            return true;
        }
        return string_rest(begin, q, out);
    }

    /// The rest of a string from q on, where plain_run stopped at a byte
    /// that is not the closing quote.
    [[gnu::noinline]] bool string_rest(const char* const begin, const char* q, std::string_view& out) {
        bool escaped = false;
        const char* run = begin; // not yet copied to scratch_ (when escaped)
        for (;;) {
            if (q == end_) return unsupported();
            const auto c = static_cast<unsigned char>(*q);
            if (c == '"') break;
            if (c >= 0x80) {
                const std::size_t n = utf8_length(q);
                if (n == 0) return unsupported(); // Boost reports invalid UTF-8
                q += n;
            } else if (c == '\\') {
                if (!escaped) scratch_.clear();
                escaped = true;
                scratch_.append(run, q);
                if (!unescape(q)) return unsupported();
                run = q;
            } else {
                return unsupported(); // a control character: an error
            }
            q = plain_run(q);
        }
        if (escaped) {
            scratch_.append(run, q);
            out = scratch_;
        } else {
            out = std::string_view(begin, static_cast<std::size_t>(q - begin));
        }
        p_ = q + 1;
        return true;
    }

    /// At '\\': appends what the escape stands for to scratch_ and moves q
    /// past it. False for a malformed escape and for \u escapes of UTF-16
    /// surrogates (Boost pairs them or reports them).
    bool unescape(const char*& q) {
        if (end_ - q < 2) return false;
        switch (q[1]) {
        case '"': scratch_ += '"'; break;
        case '\\': scratch_ += '\\'; break;
        case '/': scratch_ += '/'; break;
        case 'b': scratch_ += '\b'; break;
        case 'f': scratch_ += '\f'; break;
        case 'n': scratch_ += '\n'; break;
        case 'r': scratch_ += '\r'; break;
        case 't': scratch_ += '\t'; break;
        case 'u': {
            if (end_ - q < 6) return false;
            unsigned cp = 0;
            for (int i = 2; i < 6; ++i) {
                const int d = hex_digit(static_cast<unsigned char>(q[i]));
                if (d < 0) return false;
                cp = cp * 16 + static_cast<unsigned>(d);
            }
            if (cp >= 0xD800 && cp <= 0xDFFF) return false;
            append_utf8(cp);
            q += 6;
            return true;
        }
        default: return false;
        }
        q += 2;
        return true;
    }

    static int hex_digit(unsigned char c) noexcept {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        return -1;
    }

    /// A code point below 0x10000 that is not a surrogate, as UTF-8.
    void append_utf8(unsigned cp) {
        if (cp < 0x80) {
            scratch_ += static_cast<char>(cp);
        } else if (cp < 0x800) {
            scratch_ += static_cast<char>(0xC0 | (cp >> 6));
            scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
        } else {
            scratch_ += static_cast<char>(0xE0 | (cp >> 12));
            scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
            scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
        }
    }

    /// The length of the well-formed UTF-8 sequence at p (RFC 3629: no
    /// overlong forms, no surrogates, nothing above U+10FFFF), or 0.
    std::size_t utf8_length(const char* p) const noexcept {
        const auto b = [&](std::size_t i) { return static_cast<unsigned char>(p[i]); };
        const auto cont = [&](std::size_t i) { return (b(i) & 0xC0) == 0x80; };
        const auto room = static_cast<std::size_t>(end_ - p);
        const unsigned c = b(0);
        if (c >= 0xC2 && c <= 0xDF) return room >= 2 && cont(1) ? 2 : 0;
        if (c >= 0xE0 && c <= 0xEF) {
            if (room < 3 || !cont(1) || !cont(2)) return 0;
            if (c == 0xE0 && b(1) < 0xA0) return 0; // overlong
            if (c == 0xED && b(1) > 0x9F) return 0; // a surrogate
            return 3;
        }
        if (c >= 0xF0 && c <= 0xF4) {
            if (room < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
            if (c == 0xF0 && b(1) < 0x90) return 0; // overlong
            if (c == 0xF4 && b(1) > 0x8F) return 0; // above U+10FFFF
            return 4;
        }
        return 0;
    }

    /// The first byte at or after p that is '"', '\\', a control character
    /// or not ASCII, or end_.
    [[gnu::always_inline]] const char* plain_run(const char* p) const noexcept {
#if defined(__SSE2__)
        // A signed compare below 0x20 catches both control characters and
        // bytes >= 0x80 (negative as signed chars).
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), space = _mm_set1_epi8(0x20);
        while (end_ - p >= 16) {
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
            const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                             _mm_cmplt_epi8(x, space));
            if (const int mask = _mm_movemask_epi8(hit)) return p + __builtin_ctz(static_cast<unsigned>(mask));
            p += 16;
        }
#endif
        for (; p < end_; ++p) {
            const auto c = static_cast<unsigned char>(*p);
            if (c < 0x20 || c >= 0x80 || c == '"' || c == '\\') return p;
        }
        return end_;
    }

    /// A non-negative number. Integers of up to 18 digits are exact in
    /// both readers. A number with a fraction or an exponent is taken only
    /// when its digits m fit in 15 and its decimal exponent e in ±22: then
    /// m and 10^|e| are exact doubles and m·10^e (or m/10^-e) is one
    /// correctly rounded operation, the one Boost's dec_to_float performs,
    /// so the double is bit for bit Boost's.
    bool number() {
        const char* const begin = p_;
        std::uint64_t m = 0;
        int digits = 0;
        if (*p_ == '0') {
            ++p_;
            if (p_ < end_ && *p_ >= '0' && *p_ <= '9') return unsupported(); // a leading zero: an error
        } else {
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
                if (++digits > 18) return unsupported();
                m = m * 10 + static_cast<unsigned>(*p_++ - '0');
            }
        }
        const bool fraction = p_ < end_ && *p_ == '.';
        const bool exponent = p_ < end_ && (*p_ == 'e' || *p_ == 'E');
        if (!fraction && !exponent) {
            const string_view text(begin, static_cast<std::size_t>(p_ - begin));
            return h_->on_int64(static_cast<std::int64_t>(m), text, ec_) || stopped();
        }
        int e = 0;
        if (fraction) {
            ++p_;
            const char* const first = p_;
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
                m = m * 10 + static_cast<unsigned>(*p_++ - '0');
                --e;
                if (++digits > 18) return unsupported();
            }
            if (p_ == first) return unsupported(); // "1." is an error
        }
        if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
            ++p_;
            bool neg = false;
            if (p_ < end_ && (*p_ == '+' || *p_ == '-')) neg = *p_++ == '-';
            const char* const first = p_;
            int x = 0;
            while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
                x = x * 10 + (*p_++ - '0');
                if (x > 1000) return unsupported();
            }
            if (p_ == first) return unsupported(); // "1e" is an error
            e += neg ? -x : x;
        }
        if (m >= 1'000'000'000'000'000ull || e < -22 || e > 22) return unsupported();
        static constexpr double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                           1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        const double x = static_cast<double>(m);
        const double d = e < 0 ? x / pow10[-e] : x * pow10[e];
        const string_view text(begin, static_cast<std::size_t>(p_ - begin));
        return h_->on_double(d, text, ec_) || stopped();
    }

    const char* p_ = nullptr;
    const char* end_ = nullptr;
    Handler* h_ = nullptr;
    fast_json_result result_ = fast_json_result::ok;
    boost::system::error_code ec_;
    std::string scratch_; // an escaped string's value
};

} // namespace evlog::detail
