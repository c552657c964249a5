// The test cases both downstream consumers run: a user's program that
// defines its own payload, appends, reopens and replays through the
// installed (or subproject) headers.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <unistd.h>

#include <evlog/evlog.hpp>

namespace consumer {

struct greeted {
    static constexpr std::string_view wire_type = "Greeted";
    std::string name;
};
inline void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const greeted& g) { v = {{"name", g.name}}; }
inline greeted tag_invoke(boost::json::value_to_tag<greeted>, const boost::json::value& v) {
    return {evlog::json::required<std::string>(evlog::json::as_object(v, "payload"), "name")};
}
using event = evlog::event<std::variant<greeted>>;

} // namespace consumer

BOOST_AUTO_TEST_CASE(InstalledHeadersAppendReopenAndReplay) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("evlog-consumer-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    const evlog::ulid stream = evlog::ulid_generator<>{}.next();
    {
        evlog::append_log<consumer::event> log;
        log.open(dir / "events.jsonl");
        for (const char* name : {"ada", "grace"}) {
            consumer::event e;
            e.stream = stream;
            e.time = evlog::timestamp::now();
            e.payload = consumer::greeted{name};
            log.append_next(e);
        }
    }
    std::vector<std::string> names;
    auto report = evlog::replay<consumer::event>(dir / "events.jsonl", [&](const consumer::event& e) {
        BOOST_TEST((e.stream == stream));
        names.push_back(std::get<consumer::greeted>(e.payload).name);
    });
    fs::remove_all(dir);
    BOOST_TEST(report.events == 2u);
    BOOST_TEST(report.last_id.value_or(0) == 2u);
    BOOST_TEST((names == std::vector<std::string>{"ada", "grace"}));
}
