// Helpers for writing payload conversions (tag_invoke) that report which
// field was wrong, and a three-state field for "absent / null / value".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include <boost/json/conversion.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <boost/json/value_to.hpp>

#include <evlog/core/errors.hpp>

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
}

template <class T>
T convert(const boost::json::value& v, std::string_view key) {
    return convert_named<T>(v, [key] { return key; });
}
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

} // namespace evlog::json
