// expect: two payload types share a wire_type
// MUST NOT COMPILE: two payload types share the wire_type "Same", so a
// reader could not tell them apart. evlog::event static_asserts on it.
#include <string_view>
#include <variant>

#include <evlog/core/event.hpp>

struct A {
    static constexpr std::string_view wire_type = "Same";
};
struct B {
    static constexpr std::string_view wire_type = "Same";
};

int main() {
    evlog::event<std::variant<A, B>> e;
    return static_cast<int>(e.id);
}
