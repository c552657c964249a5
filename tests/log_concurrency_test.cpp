// Many threads appending to one log: nothing lost, nothing doubled, no
// interleaved bytes, per-thread order kept, and group commit coalescing.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <future>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <time.h>

#include <evlog/file/fault_file.hpp>
#include <evlog/log/detail/wake_word.hpp>

#include "support/log_test_util.hpp"
#include "support/test_events.hpp"

namespace fs = std::filesystem;
using evtest::event;

namespace {

/// Parses "t<k>-<i>"; false for anything else.
bool parse_tag(const std::string& s, std::size_t& k, std::size_t& i) {
    if (s.size() < 4 || s[0] != 't') return false;
    const auto dash = s.find('-');
    if (dash == std::string::npos) return false;
    try {
        std::size_t used = 0;
        k = std::stoul(s.substr(1, dash - 1), &used);
        if (used != dash - 1) return false;
        i = std::stoul(s.substr(dash + 1), &used);
        return used == s.size() - dash - 1;
    } catch (...) {
        return false;
    }
}

/// `threads` threads each append_next `per_thread` events "t<k>-<i>", then
/// the file is checked with a strict replay. Each appending thread calls
/// `appended(id)`, if given, after each append.
template <class Log>
void hammer(Log& log, const fs::path& p, std::size_t threads, std::size_t per_thread,
            const std::function<void(std::uint64_t)>& appended = {}) {
    std::vector<std::vector<std::uint64_t>> returned(threads, std::vector<std::uint64_t>(per_thread, 0));
    std::vector<std::size_t> failures(threads, 0);
    {
        std::latch start(static_cast<std::ptrdiff_t>(threads));
        std::vector<std::jthread> pool;
        for (std::size_t k = 0; k < threads; ++k)
            pool.emplace_back([&, k] {
                start.arrive_and_wait();
                for (std::size_t i = 0; i < per_thread; ++i) {
                    auto e = evtest::make_note(0, "t" + std::to_string(k) + "-" + std::to_string(i));
                    try {
                        returned[k][i] = log.append_next(e);
                        if (e.id != returned[k][i]) ++failures[k];
                        if (appended) appended(returned[k][i]);
                    } catch (...) {
                        ++failures[k];
                    }
                }
            });
    }
    for (std::size_t k = 0; k < threads; ++k) BOOST_TEST(failures[k] == 0u, "thread " << k);
    const std::uint64_t total = threads * per_thread;
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(total));
    const auto end = log.end_offset();
    log.close();
    BOOST_TEST(fs::file_size(p) == end);

    // Strict replay: every line parses and ids strictly increase.
    std::vector<std::vector<std::uint64_t>> found(threads, std::vector<std::uint64_t>(per_thread, 0));
    std::uint64_t n = 0, gaps = 0, foreign = 0, dups = 0, last_end = 0, holes = 0;
    const auto rep = evlog::replay<event>(p, [&](const event& e, const evlog::record_position& pos) {
        ++n;
        if (e.id != n) ++gaps;
        if (pos.offset != last_end) ++holes;
        last_end = pos.end;
        std::size_t k = 0, i = 0;
        if (!parse_tag(evtest::note_text(e), k, i) || k >= threads || i >= per_thread) {
            ++foreign;
            return;
        }
        if (found[k][i] != 0) ++dups;
        found[k][i] = e.id;
    });
    BOOST_TEST(n == total);
    BOOST_TEST(rep.events == total);
    BOOST_TEST(rep.blank == 0u);
    BOOST_TEST(gaps == 0u, "ids are not exactly 1.." << total);
    BOOST_TEST(holes == 0u);
    BOOST_TEST(foreign == 0u);
    BOOST_TEST(dups == 0u);
    BOOST_TEST(rep.end_offset == end);

    std::size_t missing = 0, out_of_order = 0, mismatched = 0;
    for (std::size_t k = 0; k < threads; ++k)
        for (std::size_t i = 0; i < per_thread; ++i) {
            if (found[k][i] == 0) ++missing;
            if (i > 0 && found[k][i] <= found[k][i - 1]) ++out_of_order;
            if (found[k][i] != returned[k][i]) ++mismatched;
        }
    BOOST_TEST(missing == 0u);
    BOOST_TEST(out_of_order == 0u, "a thread's events are not in its own order");
    BOOST_TEST(mismatched == 0u, "append_next returned an id other than the one on disk");
}

/// Starts ids.size() threads that append_next one event each: the first
/// is held inside its fdatasync (gf armed here) while the others stage
/// behind it. Returns once all have staged; release gf, then clear pool.
template <class Log>
void stage_behind_held_leader(Log& log, evtest::gated_file& gf, std::vector<std::uint64_t>& ids,
                              std::vector<int>& errors, std::vector<std::jthread>& pool) {
    gf.arm();
    auto run = [&](std::size_t k) {
        auto e = evtest::make_note(0, "t" + std::to_string(k));
        try {
            ids[k] = log.append_next(e);
        } catch (...) {
            ++errors[k];
        }
    };
    pool.emplace_back(run, 0);
    BOOST_REQUIRE(gf.wait_entered());
    for (std::size_t k = 1; k < ids.size(); ++k) pool.emplace_back(run, k);
    // last_id() advances when an append is staged; wait for all of them.
    BOOST_REQUIRE(evtest::wait_for_last_id(log, ids.size()));
}

} // namespace

BOOST_AUTO_TEST_SUITE(LogConcurrency)

BOOST_AUTO_TEST_CASE(GroupCommitLogKeepsEveryConcurrentAppendExactlyOnce) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::group_commit_log<event> log;
    log.open(p);
    hammer(log, p, 8, 10'000);
}

BOOST_AUTO_TEST_CASE(SleepingGroupCommitLogKeepsEveryConcurrentAppendExactlyOnce) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::basic_append_log<event, evlog::fsync_group_sleeping> log;
    log.open(p);
    hammer(log, p, 8, 10'000);
}

BOOST_AUTO_TEST_CASE(UnsyncedLogKeepsEveryConcurrentAppendExactlyOnce) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::unsynced_log<event> log;
    log.open(p);
    hammer(log, p, 8, 10'000);
}

BOOST_AUTO_TEST_CASE(IntervalLogKeepsEveryConcurrentAppendExactlyOnce) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::interval_log<event, 5> log;
    log.open(p);
    hammer(log, p, 8, 2'000);
}

BOOST_AUTO_TEST_CASE(AlwaysSyncedLogKeepsEveryConcurrentAppendExactlyOnce) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    hammer(log, p, 4, 300);
}

BOOST_AUTO_TEST_CASE(ConcurrentAppendsAfterAMissingNewlineWriteItExactlyOnce) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    std::string last = evtest::note_line(1);
    last.pop_back();
    evtest::write_file(p, last);
    evlog::group_commit_log<event> log;
    log.open(p);
    std::latch start(4);
    {
        std::vector<std::jthread> pool;
        for (int k = 0; k < 4; ++k)
            pool.emplace_back([&] {
                start.arrive_and_wait();
                for (int i = 0; i < 50; ++i) {
                    auto e = evtest::make_note(0, "x");
                    log.append_next(e);
                }
            });
    }
    log.close();
    const auto rep = evlog::replay<event>(p, [](const event&) {});
    BOOST_TEST(rep.events == 201u);
    BOOST_TEST(rep.blank == 0u); // exactly one '\n' was added, not one per thread
    BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(201));
}

namespace {
/// A mutex with lock and unlock only (BasicLockable), as a user may bring.
struct basic_lockable_mutex {
    std::mutex m;
    void lock() { m.lock(); }
    void unlock() { m.unlock(); }
};
} // namespace

BOOST_AUTO_TEST_CASE(GroupCommitWorksWithAMutexThatHasNoTryLock) {
    // Appenders try a busy mutex before they sleep on it, where it has try_lock.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, basic_lockable_mutex> log;
    log.open(p);
    hammer(log, p, 4, 50);
}

BOOST_AUTO_TEST_CASE(GroupCommitCoalescesFdatasyncsUnderContention) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, std::mutex, evlog::fault_file> log(ff);
    log.open(p);
    const auto base = ff.count(evlog::file_op::fdatasync);
    constexpr std::size_t threads = 16, per_thread = 200, appends = threads * per_thread;
    hammer(log, p, threads, per_thread);
    const auto used = ff.count(evlog::file_op::fdatasync) - base - 1; // close() syncs once
    BOOST_TEST_MESSAGE(appends << " appends took " << used << " fdatasyncs");
    BOOST_TEST(used >= 1u);
    BOOST_TEST(used < appends / 2, used << " fdatasyncs for " << appends << " appends: no coalescing");
}

BOOST_AUTO_TEST_CASE(GroupCommitMakesWaitingFollowersDurableWithOneFdatasync) {
    // Hold the leader inside its fdatasync until 7 followers have staged behind it:
    // then exactly one more write and one more fdatasync must cover all seven.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, std::mutex, evtest::gated_file> log(gf);
    log.open(p);
    const auto syncs0 = gf.faults().count(evlog::file_op::fdatasync);
    const auto writes0 = gf.faults().count(evlog::file_op::write);
    std::vector<std::uint64_t> ids(8, 0);
    std::vector<int> errors(8, 0);
    std::vector<std::jthread> pool;
    stage_behind_held_leader(log, gf, ids, errors, pool);
    BOOST_TEST(gf.faults().count(evlog::file_op::write) == writes0 + 1); // followers wait, they do not write
    gf.release();
    pool.clear();

    for (std::size_t k = 0; k < 8; ++k) BOOST_TEST(errors[k] == 0, "thread " << k);
    BOOST_TEST(ids[0] == 1u);
    std::vector<std::uint64_t> sorted = ids;
    std::sort(sorted.begin(), sorted.end());
    BOOST_TEST(sorted == evtest::iota_ids(1, 8), boost::test_tools::per_element());
    BOOST_TEST(gf.faults().count(evlog::file_op::fdatasync) == syncs0 + 2);
    BOOST_TEST(gf.faults().count(evlog::file_op::write) == writes0 + 2);
    log.close();
    BOOST_TEST(evtest::read_all(p).size() == 8u);
}

namespace {

/// A std::mutex that counts how often it is taken, for the test below.
std::atomic<int> counted_acquisitions{0};
struct counting_mutex {
    std::mutex m;
    void lock() {
        m.lock();
        ++counted_acquisitions;
    }
    bool try_lock() {
        if (!m.try_lock()) return false;
        ++counted_acquisitions;
        return true;
    }
    void unlock() { m.unlock(); }
};

} // namespace

BOOST_AUTO_TEST_CASE(FollowersWokenByTheirBatchReturnWithoutRetakingTheMutex) {
    // Batch 1 is one leader held in its fdatasync while 7 followers stage; batch 2 is those
    // 7, its fdatasync slowed to 50 ms. From the release on, the mutex is taken by batch 1's
    // leader after its fdatasync (1), by the 7 followers it wakes, which are not yet durable
    // (7), and by batch 2's leader after its fdatasync (1): 9. When woken followers took the
    // mutex back before looking at their ticket (a condition variable's wait), batch 2's six
    // followers took it once more each: 15. With dozens of threads per fdatasync, those
    // wake-ups queue on the mutex one by one before the next batch can form.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, counting_mutex, evtest::gated_file>
        log(gf);
    log.open(p);
    const auto syncs0 = gf.faults().count(evlog::file_op::fdatasync);
    std::vector<std::uint64_t> ids(8, 0);
    std::vector<int> errors(8, 0);
    std::vector<std::jthread> pool;
    stage_behind_held_leader(log, gf, ids, errors, pool);
    gf.set_sync_delay(std::chrono::milliseconds(50));
    const int before = counted_acquisitions.load();
    gf.release();
    pool.clear();
    const int taken = counted_acquisitions.load() - before;

    for (std::size_t k = 0; k < 8; ++k) BOOST_TEST(errors[k] == 0, "thread " << k);
    BOOST_TEST(gf.faults().count(evlog::file_op::fdatasync) == syncs0 + 2);
    BOOST_TEST_MESSAGE("the mutex was taken " << taken << " times after the release");
    BOOST_TEST(taken <= 11, taken << " acquisitions for 2 batches of 1 and 7: woken followers retake the mutex");
    log.close();
    BOOST_TEST(evtest::read_all(p).size() == 8u);
}

namespace {

/// A mutex whose try_lock fails a set number of times, as if another
/// appender held it, and which records whether lock() (a sleep) was used.
std::atomic<int> busy_try_locks{0}, sleeping_locks{0};
struct busy_mutex {
    std::mutex m;
    void lock() {
        ++sleeping_locks;
        m.lock();
    }
    bool try_lock() {
        if (busy_try_locks > 0) {
            --busy_try_locks;
            return false;
        }
        return m.try_lock();
    }
    void unlock() { m.unlock(); }
};

} // namespace

BOOST_AUTO_TEST_CASE(GroupAppenderTriesABusyMutexBeforeSleepingOnIt) {
    // An appender holds the mutex for about a microsecond; sleeping on it and being
    // woken costs several times that. So an append that finds it busy a few times
    // must keep trying, not go straight to lock().
    evtest::temp_dir d;
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, busy_mutex> log;
    log.open(d / "events.jsonl");
    auto e = evtest::make_note(0, "one");
    busy_try_locks = 20;
    sleeping_locks = 0;
    BOOST_TEST(log.append_next(e) == 1u);
    BOOST_TEST(busy_try_locks.load() == 0, "the append did not try the mutex again");
    BOOST_TEST(sleeping_locks.load() == 0, "the append slept on a mutex that was busy only briefly");
    log.close();
}

BOOST_AUTO_TEST_CASE(YieldBudgetIsNoneBeforeTheFirstBatchAndAfterASlowOne) {
    using namespace std::chrono_literals;
    BOOST_TEST(evlog::detail::yield_budget(0ns, 1ms).count() == 0);    // no batch yet: nothing to go by
    BOOST_TEST(evlog::detail::yield_budget(2ms, 1ms).count() == 0);    // a slow device: sleep at once
    BOOST_TEST(evlog::detail::yield_budget(300us, 0ns).count() == 0);  // fsync_group_sleeping
    BOOST_TEST(evlog::detail::yield_budget(300us, 1ms) == std::chrono::nanoseconds(1ms));
    BOOST_TEST(evlog::detail::yield_budget(1ms, 1ms) == std::chrono::nanoseconds(1ms));
}

BOOST_AUTO_TEST_CASE(YieldWhileGivesUpOnceItsBudgetHasPassed) {
    evlog::detail::wake_word w;
    const auto seen = w.load();
    BOOST_TEST(!w.yield_while(seen, std::chrono::milliseconds(5)));
    BOOST_TEST(!w.yield_while(seen, std::chrono::nanoseconds::zero()));
}

BOOST_AUTO_TEST_CASE(YieldWhileReturnsOnceTheWordChanges) {
    evlog::detail::wake_word w;
    const auto seen = w.load();
    std::jthread bumper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        w.bump();
    });
    BOOST_TEST(w.yield_while(seen, std::chrono::seconds(60)));
    BOOST_TEST(w.load() != seen);
}

namespace {

std::chrono::nanoseconds thread_cpu_time() {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
}

/// The CPU time that an append spends waiting behind a leader held in its
/// fdatasync for `hold`, after a first batch (one append alone) whose
/// fdatasync took at least `first_batch`.
template <class Policy>
std::chrono::nanoseconds waiter_cpu_behind_held_batch(std::chrono::milliseconds first_batch,
                                                      std::chrono::milliseconds hold) {
    evtest::temp_dir d;
    evtest::gated_file gf;
    evlog::basic_append_log<event, Policy, evlog::repair_truncate_tail, std::mutex, evtest::gated_file> log(gf);
    log.open(d / "events.jsonl");
    gf.set_sync_delay(first_batch);
    auto first = evtest::make_note(0, "first");
    log.append_next(first);
    gf.set_sync_delay(std::chrono::microseconds(0));
    gf.arm();
    std::jthread leader([&] {
        auto e = evtest::make_note(0, "leader");
        log.append_next(e);
    });
    BOOST_REQUIRE(gf.wait_entered());
    std::chrono::nanoseconds cpu{};
    std::jthread waiter([&] {
        auto e = evtest::make_note(0, "waiter");
        const auto c0 = thread_cpu_time();
        log.append_next(e);
        cpu = thread_cpu_time() - c0;
    });
    BOOST_REQUIRE(evtest::wait_for_last_id(log, 3)); // staged: it waits from here
    std::this_thread::sleep_for(hold);
    gf.release();
    leader.join();
    waiter.join();
    log.close();
    BOOST_TEST(evtest::read_all(d / "events.jsonl").size() == 3u);
    return cpu;
}

} // namespace

BOOST_AUTO_TEST_CASE(WaiterBehindAFastBatchYieldsInsteadOfSleeping) {
    // The last batch took 20 ms, within this policy's 1 s limit: the waiter yields for the
    // 100 ms the leader is held, on a CPU when nothing else wants it, instead of sleeping.
    // Sleeping would cost it well under a millisecond of CPU.
    using namespace std::chrono_literals;
    const auto cpu = waiter_cpu_behind_held_batch<evlog::fsync_group_t<1'000'000>>(20ms, 100ms);
    BOOST_TEST_MESSAGE("waiter CPU: " << cpu.count() / 1000 << " us");
    BOOST_TEST(cpu >= std::chrono::nanoseconds(10ms), "the waiter slept instead of yielding");
}

BOOST_AUTO_TEST_CASE(WaiterBehindASlowBatchSleepsWithoutBurningCpu) {
    // The last batch took 20 ms, over fsync_group's 1 ms limit: a slow device, where
    // yielding for a whole fdatasync would only burn CPU. The waiter sleeps at once.
    using namespace std::chrono_literals;
    const auto cpu = waiter_cpu_behind_held_batch<evlog::fsync_group>(20ms, 100ms);
    BOOST_TEST_MESSAGE("waiter CPU: " << cpu.count() / 1000 << " us");
    BOOST_TEST(cpu < std::chrono::nanoseconds(10ms), "the waiter yielded behind a slow batch");
}

BOOST_AUTO_TEST_CASE(SleepingGroupPolicyWaiterNeverYields) {
    using namespace std::chrono_literals;
    const auto cpu = waiter_cpu_behind_held_batch<evlog::fsync_group_sleeping>(0ms, 100ms);
    BOOST_TEST_MESSAGE("waiter CPU: " << cpu.count() / 1000 << " us");
    BOOST_TEST(cpu < std::chrono::nanoseconds(10ms), "fsync_group_sleeping's waiter yielded");
}

BOOST_AUTO_TEST_CASE(CloseWhileAFollowerWaitsFailsItWithLogClosedOrMakesItDurable) {
    // A follower staged behind a leader, and close() waiting for that leader: whichever of
    // them runs first, the follower must either be durable in the file or be told log_closed.
    // Repeated because which one runs first is up to the scheduler.
    for (int round = 0; round < 20; ++round) {
        BOOST_TEST_CONTEXT("round " << round) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::gated_file gf;
            evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, std::mutex,
                                    evtest::gated_file>
                log(gf);
            log.open(p);
            gf.arm();
            std::optional<evlog::error> leader_err, follower_err;
            std::uint64_t follower_id = 0;
            std::jthread leader([&] {
                auto e = evtest::make_note(0, "leader");
                leader_err = evtest::error_from([&] { log.append_next(e); });
            });
            BOOST_REQUIRE(gf.wait_entered());
            std::jthread follower([&] {
                auto e = evtest::make_note(0, "follower");
                follower_err = evtest::error_from([&] { follower_id = log.append_next(e); });
            });
            BOOST_REQUIRE(evtest::wait_for_last_id(log, 2));
            std::optional<evlog::error> close_err;
            std::jthread closer([&] { close_err = evtest::error_from([&] { log.close(); }); });
            std::this_thread::sleep_for(std::chrono::milliseconds(2)); // let close() start waiting; not asserted
            gf.release();
            leader.join();
            follower.join();
            closer.join();

            BOOST_TEST(!leader_err.has_value());
            BOOST_TEST(!close_err.has_value());
            BOOST_TEST(!log.is_open());
            const auto all = evtest::read_all(p);
            if (follower_err) {
                BOOST_TEST(follower_err->code() == evtest::ec_of(evlog::errc::log_closed), follower_err->what());
                BOOST_TEST(all.size() == 1u);
            } else {
                BOOST_TEST(follower_id == 2u);
                BOOST_REQUIRE(all.size() == 2u);
                BOOST_TEST(evtest::note_text(all[1]) == "follower");
            }
            // The log is usable again after reopening.
            BOOST_TEST(log.open(p).events_kept == all.size());
            BOOST_TEST(!log.poisoned());
        }
    }
}

BOOST_AUTO_TEST_CASE(LoopingAppendersShareOneFdatasyncPerRound) {
    // Threads appending in a loop behind an fdatasync that takes 2 ms: a batch should hold
    // (nearly) all of them, about per_thread fdatasyncs in all. When a new leader did not
    // wait for the cohort the last batch released, the threads split into two halves that
    // took turns: about 2 * per_thread. The bound sits between the two, with room for a
    // loaded machine where a released thread misses the leader's (bounded) wait.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    gf.set_sync_delay(std::chrono::milliseconds(2));
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, std::mutex, evtest::gated_file> log(gf);
    log.open(p);
    const auto base = gf.faults().count(evlog::file_op::fdatasync);
    constexpr std::size_t threads = 16, per_thread = 40;
    hammer(log, p, threads, per_thread);
    const auto used = gf.faults().count(evlog::file_op::fdatasync) - base - 1; // close() syncs once
    BOOST_TEST_MESSAGE(threads << " threads x " << per_thread << " appends took " << used << " fdatasyncs");
    BOOST_TEST(used <= per_thread * 3 / 2, used << " fdatasyncs for " << per_thread << " rounds of " << threads
                                                 << " threads: batches do not hold the whole cohort");
}

namespace {

/// A gated_file that records, for every write, the thread that made it and
/// the ids of the lines in it.
struct writer_recording_file : evtest::gated_file {
    struct batch {
        std::thread::id writer;
        std::vector<std::uint64_t> ids;
    };
    struct record {
        std::mutex m;
        std::vector<batch> batches;
    };
    std::shared_ptr<record> rec = std::make_shared<record>();

    std::error_code write(int fd, const char* d, std::size_t n, std::size_t& done) {
        batch b{std::this_thread::get_id(), {}};
        constexpr std::string_view prefix = "{\"event_id\":";
        const std::string_view bytes(d, n);
        for (std::size_t at = bytes.find(prefix); at != std::string_view::npos; at = bytes.find(prefix, at + 1)) {
            std::uint64_t id = 0;
            std::from_chars(bytes.data() + at + prefix.size(), bytes.data() + bytes.size(), id);
            b.ids.push_back(id);
        }
        {
            std::lock_guard g(rec->m);
            rec->batches.push_back(std::move(b));
        }
        return gated_file::write(fd, d, n, done);
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(AppenderThatCompletesTheCohortWritesItInsteadOfWakingTheFillingLeader) {
    // Looping appenders behind a 2 ms fdatasync: each round, the first to stage again
    // becomes leader and waits for the rest. When the last of them stages, the batch is
    // ready; if the waiting leader must first be woken, its wake-up comes behind every
    // thread still on its way to sleep. So the appender that completes the batch writes
    // it: the writer is then not the thread whose event is the batch's first. When the
    // waiting leader always wrote, it was that thread in (nearly) every batch.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    writer_recording_file wf;
    wf.set_sync_delay(std::chrono::milliseconds(2));
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, std::mutex, writer_recording_file>
        log(wf);
    log.open(p);
    constexpr std::size_t threads = 8, per_thread = 30;
    std::mutex owners_m;
    std::map<std::uint64_t, std::thread::id> owner;
    hammer(log, p, threads, per_thread, [&](std::uint64_t id) {
        std::lock_guard g(owners_m);
        owner[id] = std::this_thread::get_id();
    });
    BOOST_REQUIRE(owner.size() == threads * per_thread);
    std::size_t shared = 0, written_by_first = 0;
    for (const auto& b : log.file().rec->batches) {
        if (b.ids.size() < 2) continue;
        ++shared;
        if (owner.at(b.ids.front()) == b.writer) ++written_by_first;
    }
    BOOST_TEST_MESSAGE(written_by_first << " of " << shared << " batches written by the thread of their first event");
    BOOST_REQUIRE(shared >= per_thread / 2);
    BOOST_TEST(written_by_first * 2 < shared, written_by_first << " of " << shared
                                                 << " batches were written by their first stager, the waiting leader");
}

BOOST_AUTO_TEST_CASE(AppendWhileCloseWaitsForTheBatchInFlightIsLogClosed) {
    // close() waits for the leader inside its fdatasync. Meanwhile nothing new may start:
    // an append (or sync) fails with log_closed at once instead of staging a batch that
    // would keep close() waiting (appenders in a loop could keep it waiting indefinitely).
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, std::mutex, evtest::gated_file> log(gf);
    log.open(p);
    gf.arm();
    std::optional<evlog::error> leader_err, close_err;
    std::jthread leader([&] {
        auto e = evtest::make_note(0, "leader");
        leader_err = evtest::error_from([&] { log.append_next(e); });
    });
    BOOST_REQUIRE(gf.wait_entered());
    std::jthread closer([&] { close_err = evtest::error_from([&] { log.close(); }); });
    // sync() does not stage anything: poll it until it says close() has begun.
    bool closing = false;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (!closing && std::chrono::steady_clock::now() < deadline) {
        auto s = evtest::error_from([&] { log.sync(); });
        closing = s && s->code() == evtest::ec_of(evlog::errc::log_closed);
        if (!closing) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    BOOST_REQUIRE_MESSAGE(closing, "close() waiting for the leader still lets work start");
    auto e = evtest::make_note(0, "late");
    auto late = evtest::error_from([&] { log.append_next(e); }); // must not block: the leader is still gated
    BOOST_REQUIRE(late.has_value());
    BOOST_TEST(late->code() == evtest::ec_of(evlog::errc::log_closed));
    gf.release();
    leader.join();
    closer.join();
    BOOST_TEST(!leader_err.has_value()); // the batch in flight finishes normally
    BOOST_TEST(!close_err.has_value());
    const auto all = evtest::read_all(p);
    BOOST_REQUIRE(all.size() == 1u);
    BOOST_TEST(evtest::note_text(all[0]) == "leader");
}

BOOST_AUTO_TEST_CASE(CloseUnderLoopingAppendersReturnsAndFailsEveryLaterAppend) {
    // Threads append in a loop (slow fdatasync, so new leaders often wait for their cohort)
    // until close(): close() must return although appenders keep coming, every append it
    // cut off fails with log_closed, and exactly the appends that returned are in the file.
    for (int round = 0; round < 5; ++round) {
        BOOST_TEST_CONTEXT("round " << round) {
            evtest::temp_dir d;
            const auto p = d / "events.jsonl";
            evtest::gated_file gf;
            gf.set_sync_delay(std::chrono::microseconds(500));
            evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, std::mutex,
                                    evtest::gated_file>
                log(gf);
            log.open(p);
            constexpr std::size_t threads = 12;
            std::vector<std::vector<std::uint64_t>> returned(threads);
            std::vector<std::error_code> stopped_by(threads);
            std::vector<std::string> other_errors(threads);
            {
                std::vector<std::jthread> pool;
                for (std::size_t k = 0; k < threads; ++k)
                    pool.emplace_back([&, k] {
                        for (;;) {
                            auto e = evtest::make_note(0, "t" + std::to_string(k));
                            try {
                                returned[k].push_back(log.append_next(e));
                            } catch (const evlog::error& err) {
                                stopped_by[k] = err.code();
                                return;
                            } catch (const std::exception& ex) {
                                other_errors[k] = ex.what();
                                return;
                            }
                        }
                    });
                const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
                while (log.last_id().value_or(0) < 50 && std::chrono::steady_clock::now() < deadline)
                    std::this_thread::sleep_for(std::chrono::milliseconds(1));
                auto closed = std::async(std::launch::async, [&] { log.close(); });
                BOOST_REQUIRE_MESSAGE(closed.wait_for(std::chrono::seconds(30)) == std::future_status::ready,
                                      "close() starved by looping appenders");
                closed.get();
            }
            std::vector<std::uint64_t> ok;
            for (std::size_t k = 0; k < threads; ++k) {
                BOOST_TEST(stopped_by[k] == evtest::ec_of(evlog::errc::log_closed), "thread " << k);
                BOOST_TEST(other_errors[k].empty(), "thread " << k << ": " << other_errors[k]);
                ok.insert(ok.end(), returned[k].begin(), returned[k].end());
            }
            std::sort(ok.begin(), ok.end());
            const auto all = evtest::read_all(p);
            BOOST_TEST(evtest::ids_of(all) == ok, boost::test_tools::per_element());
            BOOST_TEST(ok == evtest::iota_ids(1, ok.size()), boost::test_tools::per_element());
            BOOST_TEST(log.open(p).events_kept == all.size());
            auto e = evtest::make_note(0, "after reopen");
            BOOST_TEST(log.append_next(e) == all.size() + 1);
        }
    }
}

namespace {

/// A mutex that parks the threads marked as its victims, when armed,
/// before they take it (lock() and try_lock() alike) or right after they
/// let go of it, so that a test can run other calls meanwhile.
struct stall_mutex {
    std::mutex m;
    static inline thread_local bool victim = false;
    static inline std::mutex gate_m;
    static inline std::condition_variable gate_cv;
    static inline bool on_lock = false, after_unlock = false, stalled = false;

    static void arm(bool& flag) {
        std::lock_guard g(gate_m);
        flag = true;
        stalled = false;
    }
    /// Waits until a victim is parked; false after 10 s.
    static bool wait_stalled() {
        std::unique_lock g(gate_m);
        return gate_cv.wait_for(g, std::chrono::seconds(10), [] { return stalled; });
    }
    static void release() {
        {
            std::lock_guard g(gate_m);
            on_lock = after_unlock = false;
        }
        gate_cv.notify_all();
    }

    void lock() {
        if (victim) park(on_lock);
        m.lock();
    }
    bool try_lock() {
        if (victim) {
            std::lock_guard g(gate_m);
            if (on_lock) return false;
        }
        return m.try_lock();
    }
    void unlock() {
        m.unlock();
        if (victim) park(after_unlock);
    }

private:
    static void park(const bool& flag) {
        std::unique_lock g(gate_m);
        if (!flag) return;
        stalled = true;
        gate_cv.notify_all();
        gate_cv.wait(g, [&] { return !flag; });
    }
};

} // namespace

BOOST_AUTO_TEST_CASE(FollowerOfAFailedBatchIsNotToldDurableByTheNextOpen) {
    // A follower staged behind a leader whose fdatasync fails. Woken, it wants the mutex
    // back; meanwhile close() drops its bytes, and open() and two new appends would take
    // the restarted tickets past its own. It must fail (log_closed), not return an id whose
    // line is another thread's: open() waits until it has left. When open() restarted the
    // tickets at once, the follower saw its ticket "durable" and returned success.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, stall_mutex, evtest::gated_file>
        log(gf);
    log.open(p);
    gf.arm();
    gf.faults().fail_next(evlog::file_op::fdatasync, EIO);
    std::jthread leader([&] {
        auto e = evtest::make_note(0, "leader");
        (void)evtest::error_from([&] { log.append_next(e); });
    });
    BOOST_REQUIRE(gf.wait_entered());
    std::optional<evlog::error> follower_err;
    std::uint64_t follower_id = 0;
    std::jthread follower([&] {
        stall_mutex::victim = true;
        auto e = evtest::make_note(0, "follower");
        follower_err = evtest::error_from([&] { follower_id = log.append_next(e); });
    });
    BOOST_REQUIRE(evtest::wait_for_last_id(log, 2));
    stall_mutex::arm(stall_mutex::on_lock);
    std::this_thread::sleep_for(std::chrono::milliseconds(2)); // the follower sleeps on the batch
    gf.release();                                                // whose fdatasync fails: poisoned
    leader.join();
    BOOST_REQUIRE(stall_mutex::wait_stalled()); // the follower, woken, wants the mutex back
    std::vector<std::uint64_t> later_ids;
    std::jthread reopener([&] {
        log.close();
        log.open(p);
        for (int k = 0; k < 2; ++k) {
            auto e = evtest::make_note(0, "after" + std::to_string(k));
            later_ids.push_back(log.append_next(e));
        }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // time for open() and the appends, if they do not wait
    stall_mutex::release();
    follower.join();
    reopener.join();
    log.close();

    BOOST_TEST(follower_err.has_value(), "the follower's append returned id " << follower_id
                                                                             << " but its line is not in the file");
    if (follower_err) BOOST_TEST(follower_err->code() == evtest::ec_of(evlog::errc::log_closed), follower_err->what());
    bool written = false;
    for (const auto& e : evtest::read_all(p)) written = written || evtest::note_text(e) == "follower";
    BOOST_TEST(!written);
    BOOST_TEST(later_ids.size() == 2u);
}

BOOST_AUTO_TEST_CASE(FollowerOfADurableBatchIsNotToldLogClosedByTheNextOpen) {
    // A follower whose batch is durable, but which has not yet looked: close() runs first,
    // and open() would restart the tickets. It must return its id, not throw log_closed
    // for a line that is in the file: open() waits until it has left. When open()
    // restarted the tickets at once, the follower found its ticket past the new ones
    // and took its event for dropped.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    evlog::basic_append_log<event, evlog::fsync_group, evlog::repair_truncate_tail, stall_mutex, evtest::gated_file>
        log(gf);
    log.open(p);
    gf.arm();
    std::jthread leader([&] { // batch 1, held in its fdatasync
        auto e = evtest::make_note(0, "leader");
        log.append_next(e);
    });
    BOOST_REQUIRE(gf.wait_entered());
    stall_mutex::arm(stall_mutex::after_unlock);
    std::optional<evlog::error> follower_err;
    std::uint64_t follower_id = 0;
    std::jthread follower([&] { // stages into batch 2, then parks before it sleeps
        stall_mutex::victim = true;
        auto e = evtest::make_note(0, "follower");
        follower_err = evtest::error_from([&] { follower_id = log.append_next(e); });
    });
    BOOST_REQUIRE(stall_mutex::wait_stalled());
    std::jthread other([&] { // stages into batch 2 and, when batch 1 is done, writes it
        auto e = evtest::make_note(0, "other");
        log.append_next(e);
    });
    BOOST_REQUIRE(evtest::wait_for_last_id(log, 3));
    gf.release();
    leader.join();
    other.join(); // batch 2, the follower's event in it, is durable
    log.close();
    std::jthread reopener([&] { log.open(p); });
    std::this_thread::sleep_for(std::chrono::milliseconds(50)); // time for open(), if it does not wait
    stall_mutex::release();
    follower.join();
    reopener.join();
    log.close();

    bool written = false;
    for (const auto& e : evtest::read_all(p)) written = written || evtest::note_text(e) == "follower";
    BOOST_REQUIRE(written);
    BOOST_TEST(!follower_err.has_value(), "the follower's line is in the file, but its append threw: "
                                              << (follower_err ? follower_err->what() : ""));
    BOOST_TEST(follower_id >= 2u);
}

BOOST_AUTO_TEST_SUITE_END()
