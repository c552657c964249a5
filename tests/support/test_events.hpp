// Payload types, a temp directory and file helpers shared by the tests.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>
#include <variant>
#include <vector>

#include <unistd.h>

#include <evlog/evlog.hpp>

namespace evtest {

struct note_added {
    static constexpr std::string_view wire_type = "NoteAdded";
    std::string text;
    friend bool operator==(const note_added&, const note_added&) = default;
};

struct counter_bumped {
    static constexpr std::string_view wire_type = "CounterBumped";
    std::int64_t by = 0;
    std::optional<std::string> reason;
    friend bool operator==(const counter_bumped&, const counter_bumped&) = default;
};

inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const note_added& p) {
    v = {{"text", p.text}};
}
inline note_added tag_invoke(boost::json::value_to_tag<note_added>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::required<std::string>(o, "text")};
}
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const counter_bumped& p) {
    boost::json::object o;
    o["by"] = p.by;
    evlog::json::put_optional(o, "reason", p.reason);
    v = std::move(o);
}
inline counter_bumped tag_invoke(boost::json::value_to_tag<counter_bumped>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::required<std::int64_t>(o, "by"), evlog::json::optional<std::string>(o, "reason")};
}

using payloads = std::variant<note_added, counter_bumped>;
using event = evlog::event<payloads>;

inline const evlog::ulid stream_a = *evlog::ulid::parse("01KF0HJ087AE67Z5NHCJZHQ5XV");
inline const evlog::ulid stream_b = *evlog::ulid::parse("01KF0HJ0CKBDTB5R99E1F2EFR5");

/// An event with a fixed time, so encoded lines are reproducible.
inline event make_note(std::uint64_t id, std::string text, evlog::ulid stream = stream_a) {
    event e;
    e.id = id;
    e.stream = stream;
    e.time = *evlog::timestamp::parse("2026-01-15T10:00:01.623456Z");
    e.payload = note_added{std::move(text)};
    return e;
}

/// The line the default codec writes for `e`, with its newline.
inline std::string line_of(const event& e) {
    evlog::json_codec<event> c;
    std::string s;
    c.encode(e, s);
    s += '\n';
    return s;
}

/// A fresh directory under the system temp dir, removed on destruction.
class temp_dir {
public:
    temp_dir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("evlog-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::permissions(path_, std::filesystem::perms::owner_all, std::filesystem::perm_options::add, ec);
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;
    const std::filesystem::path& path() const { return path_; }
    std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

private:
    std::filesystem::path path_;
};

inline std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

inline void write_file(const std::filesystem::path& p, const std::string& bytes) {
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary | std::ios::trunc);
    out << bytes;
}

/// `n` notes with ids 1..n as the file bytes a clean log would hold.
inline std::string clean_log(std::uint64_t n) {
    std::string s;
    for (std::uint64_t i = 1; i <= n; ++i) s += line_of(make_note(i, "note " + std::to_string(i)));
    return s;
}

/// Every event of a file, read with the strict policy.
inline std::vector<event> read_all(const std::filesystem::path& p) {
    std::vector<event> out;
    evlog::replay<event>(p, [&](const event& e) { out.push_back(e); });
    return out;
}

} // namespace evtest
