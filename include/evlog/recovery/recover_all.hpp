// Recovering every stream under a home: failures are reported per stream
// and never stop the others; optionally on a small thread pool.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include <evlog/recovery/recover.hpp>
#include <evlog/recovery/storage_manager.hpp>

namespace evlog {

/// One stream's outcome: a result, or the error that stopped it.
template <class State>
struct stream_recovery {
    ulid stream;
    std::optional<recovery_result<State>> result;
    std::error_code error;  ///< set when result is empty
    std::string message;    ///< the error's what()
    bool ok() const noexcept { return result.has_value(); }
};

struct recover_all_options {
    recovery_options per_stream;
    /// 1 recovers in order on the calling thread; more use a pool of that many threads.
    std::size_t threads = 1;
};

/// Recovers every stream the manager lists, in ULID order, through a copy
/// of the manager's File policy. The result has one entry per stream, in
/// the same order, whatever the thread count.
template <recovery_config C, class File>
std::vector<stream_recovery<typename C::state_type>> recover_all(const basic_storage_manager<File>& home,
                                                                 recover_all_options opt = {}) {
    using state_type = typename C::state_type;
    const auto streams = home.list_streams();
    std::vector<stream_recovery<state_type>> out(streams.size());
    auto one = [&](std::size_t i) {
        out[i].stream = streams[i];
        try {
            auto per = opt.per_stream;
            per.stream = streams[i];
            out[i].result = recover<C, File>(home.paths(streams[i]).dir, per, home.file());
        } catch (const std::system_error& e) {
            out[i].error = e.code();
            out[i].message = e.what();
        } catch (const std::exception& e) {
            out[i].error = make_error_code(errc::io_error);
            out[i].message = e.what();
        }
    };
    const std::size_t n = std::min(std::max<std::size_t>(opt.threads, 1), std::max<std::size_t>(streams.size(), 1));
    if (n == 1) {
        for (std::size_t i = 0; i < streams.size(); ++i) one(i);
        return out;
    }
    std::atomic<std::size_t> next{0};
    std::vector<std::jthread> pool;
    for (std::size_t t = 0; t < n; ++t)
        pool.emplace_back([&] {
            for (std::size_t i; (i = next.fetch_add(1)) < streams.size();) one(i);
        });
    pool.clear(); // joins
    return out;
}

} // namespace evlog
