// Helpers for writing payload conversions (tag_invoke) that report which
// field was wrong, a three-state field for "absent / null / value", and
// json::writer, which payloads may use to write their JSON directly.
#pragma once

#include <algorithm>
#include <bit>
#include <charconv>
#include <cfenv>
#include <cfloat>
#include <cmath>
#include <concepts>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <utility>
#include <vector>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/errors.hpp>
#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>

namespace evlog::json {

/// Thrown by the helpers below; the codec turns it into an error code and
/// a detail naming the field.
class field_error : public std::system_error {
public:
    field_error(errc code, std::string field)
        : std::system_error(make_error_code(code), "field \"" + field + "\""), field_(std::move(field)) {}
    const std::string& field() const noexcept { return field_; }

private:
    std::string field_;
};

/// The object itself, or field_error(wrong_type) naming `what`.
inline const boost::json::object& as_object(const boost::json::value& v, std::string_view what) {
    if (const auto* o = v.if_object()) return *o;
    throw field_error(errc::wrong_type, std::string(what));
}

namespace detail {
/// value_to<T>(v); a failure becomes a field_error naming the field
/// `name()`, which is only called then (so a caller converting many
/// elements builds no names on success).
template <class T, class Name>
T convert_named(const boost::json::value& v, Name&& name) {
    T out = [&] {
        try {
            return boost::json::value_to<T>(v);
        } catch (const field_error& e) {
            throw field_error(static_cast<errc>(e.code().value()), std::string(name()) + "." + e.field());
        } catch (const std::system_error& e) {
            // ulid and timestamp report their own evlog codes; boost reports its own.
            errc code = e.code().category() == error_category() ? static_cast<errc>(e.code().value())
                                                                : errc::wrong_type;
            throw field_error(code, std::string(name()));
        } catch (const std::exception&) {
            throw field_error(errc::wrong_type, std::string(name()));
        }
    }();
    // Boost reads 1e400 as infinity. Go refuses it, and writing it back
    // would give a line that no JSON reader accepts.
    if constexpr (std::is_floating_point_v<T>)
        if (!std::isfinite(out)) throw field_error(errc::wrong_type, std::string(name()));
    return out;
}

template <class T>
T convert(const boost::json::value& v, std::string_view key) {
    return convert_named<T>(v, [key] { return key; });
}

/// Throws evlog::error(errc::bad_argument) naming `what` when `v` holds a
/// NaN or an infinity anywhere: Boost would serialize it as `Infinity`,
/// which no JSON reader accepts.
inline void require_finite(const boost::json::value& v, std::string_view what) {
    switch (v.kind()) {
    case boost::json::kind::double_:
        if (!std::isfinite(v.get_double()))
            throw error(make_error_code(errc::bad_argument),
                        std::string(what) + ": a number is NaN or infinite, which JSON cannot hold");
        break;
    case boost::json::kind::array:
        for (const auto& x : v.get_array()) require_finite(x, what);
        break;
    case boost::json::kind::object:
        for (const auto& kv : v.get_object()) require_finite(kv.value(), what);
        break;
    default: break;
    }
}

/// Whether a JSON string must escape c: a control character, '"' or '\\'.
constexpr bool needs_escape(unsigned char c) noexcept { return c < 0x20 || c == '"' || c == '\\'; }
} // namespace detail

/// A key that must be present and not null.
template <class T>
T required(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) throw field_error(errc::missing_field, std::string(key));
    return detail::convert<T>(*v, key);
}

/// A key that may be absent or null; both read as nullopt.
template <class T>
std::optional<T> optional(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    return detail::convert<T>(*v, key);
}

/// A key that may be absent; absent reads as `fallback`.
template <class T>
T or_default(const boost::json::object& o, std::string_view key, T fallback) {
    const auto* v = o.if_contains(key);
    if (!v || v->is_null()) return fallback;
    return detail::convert<T>(*v, key);
}

/// A field with three states, as in a partial update: absent (leave it),
/// null (clear it) or a value (set it).
template <class T>
class patch {
public:
    patch() = default;
    static patch clear() { patch p; p.state_ = state::null; return p; }
    static patch set(T v) { patch p; p.state_ = state::value; p.value_ = std::move(v); return p; }

    bool absent() const noexcept { return state_ == state::absent; }
    bool is_null() const noexcept { return state_ == state::null; }
    bool has_value() const noexcept { return state_ == state::value; }
    const T& value() const { return *value_; }

    /// Reads key from o: absent, null or a value.
    static patch read(const boost::json::object& o, std::string_view key) {
        const auto* v = o.if_contains(key);
        if (!v) return {};
        if (v->is_null()) return clear();
        return set(detail::convert<T>(*v, key));
    }

    /// Writes key into o unless absent.
    void write(boost::json::object& o, std::string_view key) const {
        if (state_ == state::null) o[key] = nullptr;
        else if (state_ == state::value) o[key] = boost::json::value_from(*value_, o.storage());
    }

    friend bool operator==(const patch&, const patch&) = default;

private:
    enum class state { absent, null, value };
    state state_ = state::absent;
    std::optional<T> value_;
};

/// Writes key into o only when v holds a value.
template <class T>
void put_optional(boost::json::object& o, std::string_view key, const std::optional<T>& v) {
    if (v) o[key] = boost::json::value_from(*v, o.storage());
}

class writer;

namespace detail {
/// For json_codec's envelope: bytes written as they are that the caller
/// knows hold no newline (constant text checked at compile time, a ULID,
/// a timestamp), so that finish() need not look through the line.
struct writer_access {
    static void raw(writer& w, std::string_view s);
    static void advance(writer& w, std::size_t n) noexcept;
};
} // namespace detail

/// Text that is written over and over, such as a log's next line: size()
/// bytes of text, then spare room that a json::writer fills without
/// zeroing it first. A std::string cut to length after each line has to
/// be resized, which zero-fills the room, before the next one (C++20 has
/// no resize_and_overwrite); here the room is zeroed only when it grows.
class line_buffer {
public:
    const char* data() const noexcept { return room_.data(); }
    std::size_t size() const noexcept { return size_; }
    bool empty() const noexcept { return size_ == 0; }
    std::string_view view() const noexcept { return {room_.data(), size_}; }
    /// Empties the text and keeps the room.
    void clear() noexcept { size_ = 0; }
    /// Cuts the text to its first n bytes (n <= size()).
    void truncate(std::size_t n) noexcept { size_ = n; }
    void push_back(char c) {
        if (size_ == room_.size()) room_.resize(std::max<std::size_t>(2 * size_, 256));
        room_[size_++] = c;
    }
    /// Calls append(std::string&) on the text as a std::string that it
    /// appends to, for code that writes to nothing else.
    template <class Append>
    void append_as_string(Append&& append) {
        room_.resize(size_);
        std::forward<Append>(append)(room_);
        size_ = room_.size();
    }
    void swap(line_buffer& o) noexcept {
        room_.swap(o.room_);
        std::swap(size_, o.size_);
    }

private:
    friend class writer;
    std::string room_; // its size() is the room; the text is its first size_ bytes
    std::size_t size_ = 0;
};

/// Compact JSON text appended to a std::string, byte for byte what
/// boost::json::serializer writes for the same values (same escapes,
/// lowercase `\u00XX`, Boost's text for doubles). Used by json_codec and
/// by payloads that write themselves (see write_members_tag) instead of
/// building a boost::json::value first.
///
/// The string is grown ahead and cut to length by finish(), so each piece
/// costs a bounds check and a copy; the writer keeps its cursor and the
/// end of the room as pointers, so that check reads nothing through the
/// std::string (which every byte written might alias). If the writer is
/// destroyed without finish() (an exception), the string is put back as
/// it was. Commas between members and elements are written by the
/// writer: key(), the value functions and begin_*() add one when something
/// precedes them in the same object or array.
///
/// Written to a line_buffer, the text goes into its spare room, which
/// is grown only when it runs out, and finish() sets its size; without
/// finish() the buffer's text is as it was.
class writer {
public:
    explicit writer(std::string& out)
        : out_(out), start_(out.size()), cur_(out.data() + out.size()), end_(cur_) {}
    explicit writer(line_buffer& out)
        : out_(out.room_), start_(out.size_), cur_(out.room_.data() + out.size_),
          end_(out.room_.data() + out.room_.size()), length_(&out.size_) {}
    writer(const writer&) = delete;
    writer& operator=(const writer&) = delete;
    ~writer() {
        if (!done_ && !length_) out_.resize(start_);
    }

    // ---------------------------------------------------------------- structure

    void begin_object() { open('{'); }
    void end_object() { close('}'); }
    void begin_array() { open('['); }
    void end_array() { close(']'); }
    /// `"k":`, after a comma when a member precedes it.
    void key(std::string_view k) {
        char* d = reserve(plain_room(k.size(), 4));
        if (need_comma_) *d++ = ',';
        d = write_escaped(d, k, 1);
        *d++ = ':';
        cur_ = d;
        need_comma_ = false;
    }

    /// A key written as a literal, e.g. `w.key("card_id")`: the same bytes
    /// as key(std::string_view(k)), up to the first NUL as for any C
    /// string, but for a literal the length and the check for characters
    /// to escape are done by the compiler.
    template <std::size_t N>
    [[gnu::always_inline]] void key(const char (&k)[N]) {
        const std::size_t n = std::char_traits<char>::length(k);
        for (std::size_t i = 0; i < n; ++i)
            if (detail::needs_escape(static_cast<unsigned char>(k[i]))) [[unlikely]]
                return key(std::string_view(k, n));
        char* d = reserve(n + 4);
        if (need_comma_) *d++ = ',';
        *d++ = '"';
        std::memcpy(d, k, n);
        d += n;
        *d++ = '"';
        *d++ = ':';
        cur_ = d;
        need_comma_ = false;
    }

    // ---------------------------------------------------------------- values

    void string(std::string_view s) {
        char* d = reserve(plain_room(s.size(), 3));
        if (need_comma_) *d++ = ',';
        cur_ = write_escaped(d, s, 0);
        need_comma_ = true;
    }
    template <std::integral Int>
        requires(!std::same_as<Int, bool>)
    void number(Int v) {
        char* d = reserve(25);
        if (need_comma_) *d++ = ',';
        cur_ = std::to_chars(d, d + 24, v).ptr;
        need_comma_ = true;
    }
    /// Boost.JSON's text for a double (e.g. `1.225E1`): the shortest
    /// digits that read back exactly (both use Ryu), in its exponent form.
    /// Doubles that are short decimals (0.25, 12.5, 3) skip Ryu.
    /// Throws evlog::error(errc::bad_argument) for NaN and infinities:
    /// JSON has no spelling for them (Boost writes `Infinity`, which no
    /// JSON reader, Go's included, accepts), so a line holding one would be
    /// a corrupt line in the log.
    void number(double d) {
        if (!std::isfinite(d)) throw_not_finite();
        comma();
        if (d == 0) {
            // Zeros: Boost's spellings (0E0, -0E0).
            boost::json::value v(d);
            boost::json::serializer sr;
            sr.reset(&v);
            char buf[64];
            while (!sr.done()) append_bytes(sr.read(buf, sizeof(buf)));
        } else if (char* const out = reserve(32); const std::size_t n = short_decimal(d, out)) {
            cur_ = out + n;
        } else {
            char buf[40];
            const auto r = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
            const char* e = static_cast<const char*>(std::memchr(buf, 'e', static_cast<std::size_t>(r.ptr - buf)));
            char* o = out;
            const auto mant = static_cast<std::size_t>(e - buf);
            std::memcpy(o, buf, mant); // d.ddd, as Boost writes it
            o += mant;
            *o++ = 'E';
            const char* x = e + 1;
            if (*x == '-') *o++ = '-';
            ++x;                                // the sign
            while (*x == '0' && x + 1 < r.ptr) ++x; // "e+07" is "E7"
            while (x < r.ptr) *o++ = *x++;
            cur_ = o;
        }
        need_comma_ = true;
    }
    void boolean(bool b) {
        comma();
        if (b) append_bytes("true");
        else append_bytes("false");
        need_comma_ = true;
    }
    void null() {
        comma();
        append_bytes("null");
        need_comma_ = true;
    }
    /// A ULID as its 26-character string.
    void string(const ulid& u) {
        char* d = reserve(29);
        if (need_comma_) *d++ = ',';
        *d++ = '"';
        u.write(d);
        d += 26;
        *d++ = '"';
        cur_ = d;
        need_comma_ = true;
    }
    /// A timestamp as its RFC 3339 string.
    void string(const timestamp& t) {
        char* d = reserve(40);
        if (need_comma_) *d++ = ',';
        *d++ = '"';
        d += t.write(d);
        *d++ = '"';
        cur_ = d;
        need_comma_ = true;
    }
    /// Text that is already one JSON value, written as it is (and
    /// checked by finish(), as raw() is).
    void json_text(std::string_view text) {
        comma();
        raw(text);
        need_comma_ = true;
    }

    // ---------------------------------------------------------------- raw bytes
    //
    // Compact JSON holds no raw newline (a string's is escaped), and the
    // log's line format depends on it. The values above cannot write one;
    // bytes written as they are can, so finish() looks for one in the
    // text when any went through raw(), json_text(), put() or advance().

    /// Room for n more bytes at the cursor; the caller then advance()s.
    char* reserve(std::size_t n) {
        if (static_cast<std::size_t>(end_ - cur_) < n) [[unlikely]]
            grow(n);
        return cur_;
    }
    void advance(std::size_t n) noexcept {
        cur_ += n;
        unchecked_ = true;
    }
    void raw(std::string_view s) {
        append_bytes(s);
        unchecked_ = true;
    }
    /// A literal's bytes: only one holding a newline leaves finish() a
    /// check to make, which the compiler works out.
    template <std::size_t N>
    [[gnu::always_inline]] void literal(const char (&s)[N]) {
        for (std::size_t i = 0; i + 1 < N; ++i)
            if (s[i] == '\n') unchecked_ = true;
        append_bytes(std::string_view(s, N - 1));
    }
    void put(char c) {
        append_byte(c);
        if (c == '\n') unchecked_ = true;
    }
    /// Whether the next member or element needs a comma before it; set it
    /// after writing the start of an object by hand.
    void set_need_comma(bool b) noexcept { need_comma_ = b; }

    /// A quoted, escaped JSON string, with no comma handling.
    void escaped(std::string_view s) {
        char* d = reserve(plain_room(s.size(), 2));
        cur_ = write_escaped(d, s, 0);
    }

    /// Cuts the string to what was written (sets a line_buffer's size).
    /// Throws evlog::error(errc::bad_argument) if bytes written as they
    /// are put a raw newline in the text; the writer, not finished, then
    /// puts the text back as it was when it is destroyed.
    void finish() {
        if (unchecked_) [[unlikely]]
            check_no_raw_newline();
        const auto n = static_cast<std::size_t>(cur_ - out_.data());
        if (length_) *length_ = n;
        else out_.resize(n);
        done_ = true;
    }

private:
    friend struct detail::writer_access;

    void append_bytes(std::string_view s) {
        if (s.empty()) return;
        std::memcpy(reserve(s.size()), s.data(), s.size());
        cur_ += s.size();
    }
    void append_byte(char c) {
        *reserve(1) = c;
        ++cur_;
    }
    [[gnu::noinline]] void check_no_raw_newline() const {
        const char* const begin = out_.data() + start_;
        if (const void* nl = std::memchr(begin, '\n', static_cast<std::size_t>(cur_ - begin)))
            throw error(make_error_code(errc::bad_argument),
                        "json::writer: text written as it is holds a raw newline, at byte " +
                            std::to_string(static_cast<const char*>(nl) - begin) +
                            "; compact JSON has none, and a log line must not");
    }
    void comma() {
        if (need_comma_) append_byte(',');
    }
    void open(char c) {
        char* d = reserve(2);
        if (need_comma_) *d++ = ',';
        *d++ = c;
        cur_ = d;
        need_comma_ = false;
    }
    void close(char c) {
        append_byte(c);
        need_comma_ = true;
    }

    [[noreturn]] static void throw_not_finite() {
        throw error(make_error_code(errc::bad_argument), "a number is NaN or infinite, which JSON cannot hold");
    }
    /// Makes room for n bytes at the cursor: at least doubles what this
    /// writer holds, so a line costs a few reallocations at most. std::string
    /// throws std::length_error rather than wrap around when the sum is
    /// too large (pos <= size() <= max_size(), and max_size() is far
    /// below SIZE_MAX / 2).
    [[gnu::noinline]] void grow(std::size_t n) {
        const auto pos = static_cast<std::size_t>(cur_ - out_.data());
        const std::size_t more = std::max<std::size_t>({n, 1024, out_.size() - start_});
        if (more > out_.max_size() - pos) throw std::length_error("evlog::json::writer: line too long");
        out_.resize(pos + more);
        cur_ = out_.data() + pos;
        end_ = out_.data() + out_.size();
    }

    /// Boost's text for d (finite, not zero) written at out, which has room
    /// for 32 bytes, when d is the double nearest to m * 10^-k for an
    /// integer m < 10^15 and 0 <= k <= 22; else 0 and nothing written.
    /// A decimal of at most 15 significant digits is the only one of at most
    /// 15 that reads as its double (DBL_DIG), so it is also the shortest
    /// that does: the digits Ryu writes, found without it.
    static std::size_t short_decimal(double d, char* out) noexcept {
#if FLT_EVAL_METHOD == 0 && !defined(__FAST_MATH__)
        // The test m / 10^k == |d| stands for "m * 10^-k reads as |d|" only
        // when division rounds to nearest, as reading does.
#if defined(__SSE2__)
        if ((_mm_getcsr() & 0x6000) != 0) return 0;
#else
        if (std::fegetround() != FE_TONEAREST) return 0;
#endif
        static constexpr double pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                           1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
        const double a = std::fabs(d);
        std::uint64_t m = 0;
        int k = 0;
        for (;; ++k) {
            if (k > 22) return 0;
            const double scaled = a * pow10[k]; // rounded: m is only a guess, checked below
            if (!(scaled < 1e15)) return 0;
            m = static_cast<std::uint64_t>(scaled + 0.5);
            if (static_cast<double>(m) / pow10[k] == a) break; // m and 10^k are exact
        }
        int exp10 = -k; // d = m * 10^exp10, m > 0
        while (m % 10 == 0) {
            m /= 10;
            ++exp10;
        }
        char digits[20] = {};
        const auto nd = static_cast<int>(std::to_chars(digits, digits + sizeof(digits), m).ptr - digits);
        exp10 += nd - 1; // as d.ddd * 10^exp10
        char* o = out;
        if (d < 0) *o++ = '-';
        *o++ = digits[0];
        if (nd > 1) {
            *o++ = '.';
            std::memcpy(o, digits + 1, static_cast<std::size_t>(nd - 1));
            o += nd - 1;
        }
        *o++ = 'E';
        if (exp10 < 0) {
            *o++ = '-';
            exp10 = -exp10;
        }
        o = std::to_chars(o, o + 3, exp10).ptr;
        return static_cast<std::size_t>(o - out);
#else
        (void)d;
        (void)out;
        return 0;
#endif
    }

    /// n bytes plus `extra`, the room a string needs while it has nothing
    /// to escape. Throws instead of letting the sum wrap.
    static std::size_t plain_room(std::size_t n, std::size_t extra) {
        if (n > std::size_t(-1) - extra) throw std::length_error("evlog::json::writer: string too long");
        return n + extra;
    }

    /// The room n bytes escaped need, plus `extra`: every byte may become
    /// six (\u00XX). Throws instead of letting n * 6 wrap.
    static std::size_t escaped_room(std::size_t n, std::size_t extra) {
        if (n > (std::size_t(-1) - extra) / 6) throw std::length_error("evlog::json::writer: string too long");
        return n * 6 + extra;
    }

    /// Writes `"s"` escaped at d, which has room for s.size() + 2 + `after`
    /// bytes; returns the end. Strings seldom hold a byte to escape, so the
    /// room escapes may take (six bytes for each byte left) is made when
    /// the first is met, which may move the buffer: only the pointer
    /// returned is valid afterwards.
    char* write_escaped(char* d, std::string_view s, std::size_t after) {
        // Control characters: the escape letter, or 'u' for \u00XX (Boost.JSON's table).
        static constexpr char esc[32] = {'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'b', 't', 'n', 'u', 'f', 'r', 'u', 'u',
                                         'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u', 'u'};
        static constexpr char hex[] = "0123456789abcdef";
        *d++ = '"';
        const char* p = s.data();
        const char* const end = p + s.size();
        bool roomy = false;
        for (;;) {
            d = copy_plain(d, p, end);
            if (p == end) break;
            if (!roomy) {
                cur_ = d;
                d = reserve(escaped_room(static_cast<std::size_t>(end - p), 1 + after));
                roomy = true;
            }
            const auto c = static_cast<unsigned char>(*p++);
            *d++ = '\\';
            if (c >= 0x20) {
                *d++ = static_cast<char>(c);
            } else if (esc[c] != 'u') {
                *d++ = esc[c];
            } else {
                const char u[5] = {'u', '0', '0', hex[c >> 4], hex[c & 15]};
                std::memcpy(d, u, 5);
                d += 5;
            }
        }
        *d++ = '"';
        return d;
    }

    /// Copies the bytes from p up to the first that a JSON string must
    /// escape (a control character, '"' or '\\') or to end, to d; advances p
    /// to that byte and returns the end of the copy. There is room at d for
    /// end - p bytes. Blocks are stored whole before they are checked:
    /// what lands past the byte to escape is in room that the rest of the
    /// string overwrites or finish() cuts off. The bytes before p are not
    /// read: what precedes them in d may have been escaped.
    static char* copy_plain(char* d, const char*& p, const char* end) noexcept {
        const char* q = p;
#if defined(__SSE2__)
        if (end - q >= 16) {
            for (;;) {
                const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(q));
                _mm_storeu_si128(reinterpret_cast<__m128i*>(d), x);
                if (const unsigned hit = special16(x)) return advance_to(d, p, q, __builtin_ctz(hit));
                q += 16;
                d += 16;
                if (end - q < 16) break;
            }
            if (q == end) return advance_to(d, p, q, 0);
            // The last sixteen bytes, overlapping some just copied as they were.
            const auto back = 16 - static_cast<int>(end - q);
            const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(end - 16));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(d - back), x);
            const unsigned hit = special16(x) >> back;
            return advance_to(d, p, q, hit ? __builtin_ctz(hit) : 16 - back);
        }
#endif
        if constexpr (std::endian::native == std::endian::little) {
            if (end - q >= 8) {
                for (;;) {
                    std::uint64_t x;
                    std::memcpy(&x, q, 8);
                    std::memcpy(d, &x, 8);
                    if (const std::uint64_t hit = special8(x)) return advance_to(d, p, q, __builtin_ctzll(hit) / 8);
                    q += 8;
                    d += 8;
                    if (end - q < 8) break;
                }
                if (q == end) return advance_to(d, p, q, 0);
                const auto back = 8 - static_cast<int>(end - q);
                std::uint64_t x;
                std::memcpy(&x, end - 8, 8);
                std::memcpy(d - back, &x, 8);
                const std::uint64_t hit = special8(x) >> (8 * back);
                return advance_to(d, p, q, hit ? __builtin_ctzll(hit) / 8 : 8 - back);
            }
        }
        for (; q < end && !detail::needs_escape(static_cast<unsigned char>(*q)); ++q) *d++ = *q;
        p = q;
        return d;
    }

    static char* advance_to(char* d, const char*& p, const char* q, int k) noexcept {
        p = q + k;
        return d + k;
    }

#if defined(__SSE2__)
    /// Bit i set when byte i of x needs escaping.
    static unsigned special16(__m128i x) noexcept {
        const __m128i quote = _mm_set1_epi8('"'), backslash = _mm_set1_epi8('\\'), ctl = _mm_set1_epi8(0x1f);
        const __m128i hit = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(x, quote), _mm_cmpeq_epi8(x, backslash)),
                                         _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x));
        return static_cast<unsigned>(_mm_movemask_epi8(hit));
    }
#endif

    /// The top bit of byte i set when byte i of x (little-endian) needs
    /// escaping, exactly: each test adds within the low seven bits of a
    /// byte, so no carry crosses into the next.
    static std::uint64_t special8(std::uint64_t x) noexcept {
        constexpr std::uint64_t ones = 0x0101010101010101ull, low7 = ones * 0x7f, top = ones * 0x80;
        const auto zero = [](std::uint64_t y) { return ~(((y & low7) + low7) | y); }; // top bit: the byte is 0
        const std::uint64_t ctl = ~(((x & low7) + ones * (0x80 - 0x20)) | x);          // top bit: the byte < 0x20
        return (ctl | zero(x ^ (ones * '"')) | zero(x ^ (ones * '\\'))) & top;
    }

    std::string& out_;
    std::size_t start_;
    char* cur_; // the cursor, in out_
    char* end_; // out_.data() + out_.size()
    std::size_t* length_ = nullptr; // a line_buffer's size, set by finish()
    bool done_ = false;
    bool unchecked_ = false; // bytes written as they are: finish() looks for a raw newline
    bool need_comma_ = false;
};

inline void detail::writer_access::raw(writer& w, std::string_view s) { w.append_bytes(s); }
inline void detail::writer_access::advance(writer& w, std::size_t n) noexcept { w.cur_ += n; }

/// The tag of a payload's direct writer. A payload type T may provide
///
///     void tag_invoke(evlog::json::write_members_tag, evlog::json::writer& w, const T& p);
///
/// writing, with w.key() and the value functions, every member of its JSON
/// object except "type", in the order and with exactly the values its
/// value_from conversion (tag_invoke with boost::json::value_from_tag)
/// gives. json_codec then writes the payload straight into the line
/// instead of building a boost::json::value first; the bytes must not
/// change, which tests can check by comparing the two paths. Without it
/// the codec uses value_from.
struct write_members_tag {};

template <class T>
concept writes_members = requires(writer& w, const T& p) { tag_invoke(write_members_tag{}, w, p); };

// ---------------------------------------------------------------- direct reading

/// Where the value of one member goes when json_codec decodes a line
/// without building a boost::json::value tree. A payload type T opts in
/// with two functions found by ADL:
///
///     evlog::json::slot tag_invoke(evlog::json::read_member_tag, T& p, std::string_view key);
///     constexpr std::uint32_t tag_invoke(evlog::json::required_members_tag, const T*);
///
/// The first maps a key to a slot (slot::ignore() for keys T does not
/// read); each known key gets its own bit (0..31), and the second says
/// which bits must have been seen. Each slot kind reads exactly as the
/// helpers above read through value_to (or_default, optional, patch,
/// required), so the decoded payload is the one the value tree gives; T
/// starts default-constructed, which must equal what value_to gives for
/// absent members. Anything a slot does not accept (a wrong type, a null
/// where the tree path would throw, a repeated key, a missing required
/// member) makes the codec decode the line again through the value tree,
/// which then reports the error exactly as before.
struct slot {
    enum class kind : std::uint8_t {
        ignore,            ///< any value, skipped (a key T does not read)
        fail,              ///< this key makes the direct path give up
        text,              ///< std::string: a string; null leaves it (or_default)
        optional_text,     ///< std::optional<std::string>: null is nullopt
        patch_text,        ///< patch<std::string>: null clears
        text_array,        ///< std::vector<std::string>: null is empty (read as absent)
        patch_text_array,  ///< patch<std::vector<std::string>>: null clears
        number,            ///< double from any number; null leaves it (or_default)
        unsigned_int,      ///< std::uint64_t from a non-negative integer (required)
        id,                ///< ulid from its string (required)
        time,              ///< timestamp from its string (required)
        object,            ///< a nested object read by its own slots (required)
        payload_type,      ///< the codec's: a payload's "type"
    };
    kind k = kind::ignore;
    std::int8_t bit = -1; ///< the member's bit, -1 for none
    void* target = nullptr;
    /// For objects: the nested type's key lookup and required bits. The
    /// lookup writes its slot into `out` rather than returning it: a
    /// returned slot is read back as one wide load from the narrow stores
    /// that built it, which stalls store forwarding on every key.
    void (*member)(void* target, std::string_view key, slot& out) = nullptr;
    std::uint32_t required = 0;

    static slot ignore() { return {}; }
    static slot fail() { return {kind::fail}; }
    static slot text(std::string& t, int bit) { return {kind::text, static_cast<std::int8_t>(bit), &t}; }
    static slot optional_text(std::optional<std::string>& t, int bit) {
        return {kind::optional_text, static_cast<std::int8_t>(bit), &t};
    }
    static slot patch_text(patch<std::string>& t, int bit) {
        return {kind::patch_text, static_cast<std::int8_t>(bit), &t};
    }
    static slot text_array(std::vector<std::string>& t, int bit) {
        return {kind::text_array, static_cast<std::int8_t>(bit), &t};
    }
    static slot patch_text_array(patch<std::vector<std::string>>& t, int bit) {
        return {kind::patch_text_array, static_cast<std::int8_t>(bit), &t};
    }
    static slot number(double& t, int bit) { return {kind::number, static_cast<std::int8_t>(bit), &t}; }
    static slot unsigned_int(std::uint64_t& t, int bit) {
        return {kind::unsigned_int, static_cast<std::int8_t>(bit), &t};
    }
    static slot id(ulid& t, int bit) { return {kind::id, static_cast<std::int8_t>(bit), &t}; }
    static slot time(timestamp& t, int bit) { return {kind::time, static_cast<std::int8_t>(bit), &t}; }
    template <class T>
    static slot object(T& t, int bit);
};

struct read_member_tag {};
struct required_members_tag {};

template <class T>
concept reads_members = requires(T& p, std::string_view key) {
    { tag_invoke(read_member_tag{}, p, key) } -> std::same_as<slot>;
    { tag_invoke(required_members_tag{}, static_cast<const T*>(nullptr)) } -> std::convertible_to<std::uint32_t>;
};

template <class T>
slot slot::object(T& t, int bit) {
    static_assert(reads_members<T>, "a nested object needs read_member_tag and required_members_tag");
    slot s{kind::object, static_cast<std::int8_t>(bit), &t};
    s.member = [](void* target, std::string_view key, slot& out) {
        out = tag_invoke(read_member_tag{}, *static_cast<T*>(target), key);
    };
    s.required = tag_invoke(required_members_tag{}, static_cast<const T*>(nullptr));
    return s;
}

/// The mask of the given bits, for required_members_tag.
/// Bits are 0..31; another is an error (at compile time when constant).
constexpr std::uint32_t bits(std::initializer_list<int> b) {
    std::uint32_t m = 0;
    for (int x : b) {
        if (x < 0 || x > 31) throw std::out_of_range("evlog::json::bits: a member bit is 0..31");
        m |= std::uint32_t{1} << x;
    }
    return m;
}

} // namespace evlog::json
