// A walk through evlog: define payloads, append durably from several
// threads, crash mid-write, reopen (repair), and fold the log into state.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <thread>
#include <vector>

#include <unistd.h>

#include <evlog/evlog.hpp>

namespace bank {

struct deposited {
    static constexpr std::string_view wire_type = "Deposited";
    std::string account;
    std::int64_t cents = 0;
};
struct withdrawn {
    static constexpr std::string_view wire_type = "Withdrawn";
    std::string account;
    std::int64_t cents = 0;
};

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const deposited& p) {
    v = {{"account", p.account}, {"cents", p.cents}};
}
deposited tag_invoke(boost::json::value_to_tag<deposited>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::required<std::string>(o, "account"), evlog::json::required<std::int64_t>(o, "cents")};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const withdrawn& p) {
    v = {{"account", p.account}, {"cents", p.cents}};
}
withdrawn tag_invoke(boost::json::value_to_tag<withdrawn>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::required<std::string>(o, "account"), evlog::json::required<std::int64_t>(o, "cents")};
}

using event = evlog::event<std::variant<deposited, withdrawn>>;

} // namespace bank

int main() {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("evlog-demo-" + std::to_string(::getpid()));
    const fs::path path = dir / "accounts" / "events.jsonl";
    const evlog::ulid stream = evlog::ulid_generator<>{}.next();

    // 1. Four threads append 2,500 deposits each; group commit makes each
    //    durable before append returns, sharing fdatasyncs between threads.
    {
        evlog::group_commit_log<bank::event> log;
        log.open(path);
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < 2500; ++i) {
                    bank::event e;
                    e.stream = stream;
                    e.time = evlog::timestamp::now();
                    e.payload = bank::deposited{"acct-" + std::to_string(t), 100};
                    log.append_next(e);
                }
            });
        for (auto& th : threads) th.join();
        bank::event w;
        w.stream = stream;
        w.time = evlog::timestamp::now();
        w.payload = bank::withdrawn{"acct-0", 2500};
        log.append_next(w);
        std::cout << "appended " << *log.last_id() << " events, " << log.end_offset() << " bytes\n";
    }

    // 2. A crash mid-write leaves a torn final line.
    std::ofstream(path, std::ios::app) << R"({"event_id":10002,"stream_id":")" << stream.str() << R"(","timest)";

    // 3. Reopening repairs: the torn tail is cut, and kept in quarantine.
    {
        evlog::append_log<bank::event> log;
        const auto& rep = log.open(path);
        std::cout << "repair: kept " << rep.events_kept << " events, truncated " << rep.bytes_truncated
                  << " bytes into " << rep.quarantine_file.value_or("(none)") << "\n";
    }

    // 4. Fold the log into balances, streaming: memory stays bounded by the longest line.
    std::map<std::string, std::int64_t> balance;
    auto report = evlog::replay<bank::event>(path, [&](const bank::event& e) {
        std::visit(
            [&](const auto& p) {
                using T = std::decay_t<decltype(p)>;
                if constexpr (std::is_same_v<T, bank::deposited>) balance[p.account] += p.cents;
                else if constexpr (std::is_same_v<T, bank::withdrawn>) balance[p.account] -= p.cents;
            },
            e.payload);
    });
    std::cout << "replayed " << report.events << " events (" << report.bytes << " bytes), last id "
              << report.last_id.value_or(0) << "\n";
    for (const auto& [account, cents] : balance) std::cout << "  " << account << ": " << cents << " cents\n";

    fs::remove_all(dir);
}
