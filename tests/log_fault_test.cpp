// Failing system calls under the append log: a failed fdatasync poisons the
// log until it is reopened; a failed or short write is cut back so the file
// holds only whole lines.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <future>
#include <latch>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <evlog/file/fault_file.hpp>

#include "support/log_test_util.hpp"
#include "support/test_events.hpp"

namespace fs = std::filesystem;
using evlog::file_op;
using evtest::ec_of;
using evtest::error_from;
using evtest::event;
using evtest::sys_ec;

namespace {

template <class Fsync, class File = evlog::fault_file>
using fault_log = evlog::basic_append_log<event, Fsync, evlog::repair_truncate_tail, std::mutex, File>;

event note(std::uint64_t id) { return evtest::make_note(id, "note " + std::to_string(id)); }

/// Every way to write to a poisoned log fails with log_poisoned and leaves the file alone.
template <class Log>
void check_poisoned(Log& log, const fs::path& p) {
    BOOST_TEST(log.poisoned());
    const std::string before = evtest::read_file(p);
    const auto last = log.last_id();
    auto a = error_from([&] { log.append(note(last.value_or(0) + 100)); });
    BOOST_REQUIRE(a.has_value());
    BOOST_TEST(a->code() == ec_of(evlog::errc::log_poisoned));
    auto e = evtest::make_note(0, "next");
    auto b = error_from([&] { log.append_next(e); });
    BOOST_REQUIRE(b.has_value());
    BOOST_TEST(b->code() == ec_of(evlog::errc::log_poisoned));
    auto s = error_from([&] { log.sync(); });
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->code() == ec_of(evlog::errc::log_poisoned));
    BOOST_TEST(evtest::read_file(p) == before);
    BOOST_TEST(log.last_id() == last);
}

/// Waits (at most 5 s) for the flusher to poison the log.
template <class Log>
bool wait_poisoned(Log& log) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (!log.poisoned() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return log.poisoned();
}

/// Reopening repairs and the log works again; the report matches the file.
template <class Log>
void check_reopen_works(Log& log, const fs::path& p) {
    log.close();
    BOOST_TEST(!log.is_open());
    const std::string bytes = evtest::read_file(p);
    const auto on_disk = evlog::replay<event, evlog::repair_truncate_tail>(p, [](const event&) {});
    const auto& rep = log.open(p);
    BOOST_TEST(!log.poisoned());
    BOOST_TEST(rep.events_kept == on_disk.events);
    BOOST_TEST(rep.last_id == on_disk.last_id);
    BOOST_TEST(rep.bytes_truncated == on_disk.ignored_tail_bytes);
    BOOST_TEST(rep.end_offset == on_disk.end_offset);
    BOOST_TEST(log.last_id() == rep.last_id);
    auto e = evtest::make_note(0, "after reopen");
    const auto id = log.append_next(e);
    BOOST_TEST(id == rep.last_id.value_or(0) + 1);
    log.close();
    const auto all = evtest::read_all(p);
    BOOST_REQUIRE(!all.empty());
    BOOST_TEST(all.back().id == id);
    BOOST_TEST(evtest::note_text(all.back()) == "after reopen");
}

} // namespace

BOOST_AUTO_TEST_SUITE(LogFault)

// ------------------------------------------------------------------ failed fdatasync

BOOST_AUTO_TEST_CASE(FailedFdatasyncThrowsAndPoisonsTheLog) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_always> log(ff);
    log.open(p);
    log.append(note(1));
    ff.fail_next(file_op::fdatasync, EIO);
    auto e = error_from([&] { log.append(note(2)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == sys_ec(EIO));
    BOOST_TEST(evtest::what_names(*e, p), e->what());
    check_poisoned(log, p);
    // The next fdatasync would succeed, but the log must not try: it stays poisoned.
    check_poisoned(log, p);
    BOOST_CHECK_NO_THROW(log.close()); // no fdatasync on a poisoned log, so nothing to fail
    check_reopen_works(log, p);
}

BOOST_AUTO_TEST_CASE(FailedFdatasyncInSyncPoisonsTheLog) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_never> log(ff);
    log.open(p);
    log.append(note(1));
    ff.fail_next(file_op::fdatasync, EIO);
    auto e = error_from([&] { log.sync(); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == sys_ec(EIO));
    check_poisoned(log, p);
    const auto syncs = ff.count(file_op::fdatasync);
    log.close();
    BOOST_TEST(ff.count(file_op::fdatasync) == syncs); // close does not retry the fdatasync
    check_reopen_works(log, p);
}

BOOST_AUTO_TEST_CASE(FailedFdatasyncAtCloseThrowsButCloses) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_never> log(ff);
    log.open(p);
    log.append(note(1));
    ff.fail_next(file_op::fdatasync, EIO);
    auto e = error_from([&] { log.close(); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == sys_ec(EIO));
    BOOST_TEST(!log.is_open());
    // The lock is released: another writer can open it.
    evlog::append_log<event> other;
    BOOST_TEST(other.open(p).events_kept == 1u);
}

BOOST_AUTO_TEST_CASE(FailedGroupFdatasyncFailsTheLeaderAndEveryWaitingFollower) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    fault_log<evlog::fsync_group, evtest::gated_file> log(gf);
    log.open(p);
    log.append(note(1));
    gf.arm();

    constexpr std::size_t n = 8;
    std::vector<std::error_code> errors(n);
    std::vector<int> succeeded(n, 0);
    std::vector<std::jthread> pool;
    auto run = [&](std::size_t k) {
        auto e = evtest::make_note(0, "t" + std::to_string(k));
        try {
            log.append_next(e);
            succeeded[k] = 1;
        } catch (const evlog::error& err) {
            errors[k] = err.code();
        }
    };
    pool.emplace_back(run, 0);
    BOOST_REQUIRE(gf.wait_entered()); // the leader is inside fdatasync
    for (std::size_t k = 1; k < n; ++k) pool.emplace_back(run, k);
    BOOST_REQUIRE(evtest::wait_for_last_id(log, 1 + n)); // all followers are staged and waiting
    gf.faults().fail_next(file_op::fdatasync, EIO);
    gf.release();
    pool.clear();

    BOOST_TEST(errors[0] == sys_ec(EIO)); // the leader sees the real cause
    for (std::size_t k = 0; k < n; ++k) {
        BOOST_TEST(succeeded[k] == 0, "thread " << k << " was told its append is durable");
        if (k > 0) BOOST_TEST(errors[k] == ec_of(evlog::errc::log_poisoned), "thread " << k);
    }
    check_poisoned(log, p);
    check_reopen_works(log, p);
}

BOOST_AUTO_TEST_CASE(FailedGroupFdatasyncWithoutContentionPoisons) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_group> log(ff);
    log.open(p);
    log.append(note(1));
    ff.fail_next(file_op::fdatasync, EIO);
    auto e = error_from([&] { log.append(note(2)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == sys_ec(EIO));
    check_poisoned(log, p);
    check_reopen_works(log, p);
}

namespace {
/// An interval log whose flusher's fdatasync failed after one append was
/// acknowledged, and which no call of the program has touched since.
struct flusher_failed {
    evtest::temp_dir d;
    const fs::path p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_interval<5>> log{ff};
    flusher_failed() {
        log.open(p);
        ff.fail_next(file_op::fdatasync, EIO);
        log.append(note(1)); // acknowledged before the flush: the flusher's failure comes later
        BOOST_REQUIRE_MESSAGE(wait_poisoned(log), "the background flusher's failure did not poison the log");
    }
};
} // namespace

BOOST_FIXTURE_TEST_CASE(FailedBackgroundFdatasyncPoisonsAnIntervalLog, flusher_failed) {
    check_poisoned(log, p);
    check_reopen_works(log, p);
}

// ------------------------------------------------------------------ failed and short writes

template <class Fsync>
void short_write_is_cut_back() {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<Fsync> log(ff);
    log.open(p);
    log.append(note(1));
    log.append(note(2));
    const std::string before = evtest::read_file(p);
    const auto end = log.end_offset();

    ff.short_write_nth(file_op::write, ff.count(file_op::write) + 1, 10);
    auto e = error_from([&] { log.append(note(3)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == sys_ec(ENOSPC));
    BOOST_TEST(evtest::read_file(p) == before); // the 10 bytes are gone again
    BOOST_TEST(log.end_offset() == end);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(2));
    BOOST_TEST(!log.poisoned());

    BOOST_TEST(log.append(note(3)) == 3u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(3));
}

BOOST_AUTO_TEST_CASE(ShortWriteIsCutBackAndTheNextAppendSucceeds) {
    BOOST_TEST_CONTEXT("fsync_always") { short_write_is_cut_back<evlog::fsync_always>(); }
    BOOST_TEST_CONTEXT("fsync_never") { short_write_is_cut_back<evlog::fsync_never>(); }
    BOOST_TEST_CONTEXT("fsync_interval") { short_write_is_cut_back<evlog::fsync_interval<1000>>(); }
}

BOOST_AUTO_TEST_CASE(ShortWriteOfABatchCutsBackTheWholeBatch) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_always> log(ff);
    log.open(p);
    log.append(note(1));
    const std::string before = evtest::read_file(p);
    std::vector<event> batch{note(2), note(3), note(4)};
    // Enough for the first event and part of the second.
    ff.short_write_nth(file_op::write, ff.count(file_op::write) + 1, evtest::note_line(2).size() + 7);
    BOOST_CHECK_THROW(log.append(std::span<const event>(batch)), evlog::error);
    BOOST_TEST(evtest::read_file(p) == before);
    BOOST_TEST(log.last_id() == std::optional<std::uint64_t>(1));
    BOOST_TEST(log.append(std::span<const event>(batch)) == 4u);
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(4));
}

BOOST_AUTO_TEST_CASE(EnospcWriteIsCutBackAndTheNextAppendSucceeds) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_always> log(ff);
    log.open(p);
    log.append(note(1));
    const std::string before = evtest::read_file(p);
    const auto syncs = ff.count(file_op::fdatasync);
    ff.fail_next(file_op::write, ENOSPC);
    auto e = error_from([&] { log.append(note(2)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == sys_ec(ENOSPC));
    BOOST_TEST(evtest::what_names(*e, p), e->what());
    BOOST_TEST(evtest::read_file(p) == before);
    BOOST_TEST(ff.count(file_op::fdatasync) == syncs); // nothing written, nothing to sync
    BOOST_TEST(!log.poisoned());
    BOOST_TEST(log.append(note(2)) == 2u);
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(2));
}

BOOST_AUTO_TEST_CASE(ShortWriteAfterAMissingNewlineKeepsTheNewlinePending) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    std::string bytes = evtest::clean_log(1);
    bytes.pop_back();
    evtest::write_file(p, bytes);
    evlog::fault_file ff;
    fault_log<evlog::fsync_always> log(ff);
    log.open(p);
    // Only the '\n' the log owed reaches the file; it is cut back with the rest.
    ff.short_write_nth(file_op::write, ff.count(file_op::write) + 1, 1);
    BOOST_CHECK_THROW(log.append(note(2)), evlog::error);
    BOOST_TEST(evtest::read_file(p) == bytes);
    BOOST_TEST(log.append(note(2)) == 2u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(2));
}

BOOST_AUTO_TEST_CASE(FailedTruncateAfterAFailedWritePoisonsTheLog) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_always> log(ff);
    log.open(p);
    log.append(note(1));
    const std::string before = evtest::read_file(p);
    ff.short_write_nth(file_op::write, ff.count(file_op::write) + 1, 10);
    ff.fail_next(file_op::ftruncate, EIO);
    auto e = error_from([&] { log.append(note(2)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(evtest::read_file(p) == before + evtest::note_line(2).substr(0, 10)); // the torn bytes stayed
    check_poisoned(log, p);

    // Reopening cuts the torn bytes and the log continues.
    log.close();
    const auto& rep = log.open(p);
    BOOST_TEST(rep.bytes_truncated == 10u);
    BOOST_TEST(evtest::read_file(p) == before);
    BOOST_TEST(log.append(note(2)) == 2u);
    log.close();
    BOOST_TEST(evtest::read_file(p) == evtest::clean_log(2));
}

BOOST_AUTO_TEST_CASE(FailedGroupWriteIsCutBackAndPoisons) {
    // In group commit a failed write spends the ids of everyone in the batch: the log refuses
    // further writes until reopened, and the file holds only whole lines.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::fault_file ff;
    fault_log<evlog::fsync_group> log(ff);
    log.open(p);
    log.append(note(1));
    const std::string before = evtest::read_file(p);
    ff.short_write_nth(file_op::write, ff.count(file_op::write) + 1, 10);
    auto e = error_from([&] { log.append(note(2)); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == sys_ec(ENOSPC));
    BOOST_TEST(evtest::read_file(p) == before);
    check_poisoned(log, p);
    check_reopen_works(log, p);
}

// ------------------------------------------------------------------ group commit under load

BOOST_AUTO_TEST_CASE(FdatasyncFailureWhileFollowersWaitPoisonsEveryone) {
    // Looping appenders, batches of many, and the sixth fdatasync fails: the appends that
    // return are exactly those a successful fdatasync covered, the leader of the failed batch
    // gets EIO, everyone else (its followers and every later append) log_poisoned.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    gf.set_sync_delay(std::chrono::microseconds(500));
    fault_log<evlog::fsync_group, evtest::gated_file> log(gf);
    log.open(p);
    gf.faults().fail_nth(file_op::fdatasync, gf.faults().count(file_op::fdatasync) + 6, EIO);
    constexpr std::size_t threads = 12;
    std::vector<std::vector<std::uint64_t>> returned(threads);
    std::vector<std::error_code> stopped_by(threads);
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
                    }
                }
            });
    }
    // What the trace says is durable: the lines of each write a successful fdatasync followed.
    std::uint64_t durable = 0, written = 0, failed_batch = 0;
    bool failed = false;
    for (const auto& c : gf.faults().trace()) {
        if (c.op == file_op::write) written += static_cast<std::uint64_t>(std::count(c.data.begin(), c.data.end(), '\n'));
        if (c.op != file_op::fdatasync) continue;
        if (c.result) {
            failed = true;
            failed_batch = written;
            break;
        }
        durable += written;
        written = 0;
    }
    BOOST_REQUIRE(failed);
    BOOST_TEST_MESSAGE("the failed batch held " << failed_batch << " appends");
    BOOST_WARN_MESSAGE(failed_batch > 1, "the failed batch had no followers this time");
    std::vector<std::uint64_t> ok;
    std::size_t eio = 0, poisoned = 0;
    for (std::size_t k = 0; k < threads; ++k) {
        ok.insert(ok.end(), returned[k].begin(), returned[k].end());
        if (stopped_by[k] == sys_ec(EIO)) ++eio;
        else if (stopped_by[k] == ec_of(evlog::errc::log_poisoned)) ++poisoned;
        else BOOST_ERROR("thread " << k << " stopped by " << stopped_by[k].message());
    }
    std::sort(ok.begin(), ok.end());
    BOOST_TEST(ok == evtest::iota_ids(1, durable), boost::test_tools::per_element());
    BOOST_TEST(eio == 1u);
    BOOST_TEST(poisoned == threads - 1);
    check_poisoned(log, p);
    check_reopen_works(log, p);
}

BOOST_AUTO_TEST_CASE(SyncFailureWhileALeaderWritesFailsItsBatch) {
    // sync()'s fdatasync runs while a group-commit leader is between its write and its own
    // fdatasync, and fails: the kernel may have dropped the leader's pages with that error,
    // and the leader's fdatasync then succeeds for nothing. The batch must not be durable.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    fault_log<evlog::fsync_group, evtest::gated_file> log(gf);
    log.open(p);
    log.append(note(1));
    gf.arm();
    std::optional<evlog::error> leader_err;
    std::jthread leader([&] { leader_err = error_from([&] { log.append(note(2)); }); });
    BOOST_REQUIRE(gf.wait_entered()); // written, not yet synced
    gf.faults().fail_next(file_op::fdatasync, EIO);
    auto s = error_from([&] { log.sync(); });
    BOOST_REQUIRE(s.has_value());
    BOOST_TEST(s->code() == sys_ec(EIO));
    gf.release();
    leader.join();
    BOOST_REQUIRE_MESSAGE(leader_err.has_value(), "append reported durable after a concurrent fdatasync failed");
    BOOST_TEST(leader_err->code() == ec_of(evlog::errc::log_poisoned));
    check_poisoned(log, p);
    check_reopen_works(log, p);
}

namespace {
/// gated_file whose next write, fdatasync or ftruncate, once told, throws
/// instead of returning (the fdatasync after it has run). Copies share the flags.
struct throwing_file : evtest::gated_file {
    struct flags {
        std::atomic<bool> write{false}, fdatasync{false}, ftruncate{false};
    };
    std::shared_ptr<flags> throw_next = std::make_shared<flags>();

    std::error_code write(int fd, const char* d, std::size_t n, std::size_t& done) {
        if (throw_next->write.exchange(false)) throw std::runtime_error("write threw");
        return evtest::gated_file::write(fd, d, n, done);
    }
    std::error_code fdatasync(int fd) {
        auto ec = evtest::gated_file::fdatasync(fd);
        if (throw_next->fdatasync.exchange(false)) throw std::runtime_error("fdatasync threw");
        return ec;
    }
    std::error_code ftruncate(int fd, std::uint64_t size) {
        if (throw_next->ftruncate.exchange(false)) throw std::runtime_error("ftruncate threw");
        return evtest::gated_file::ftruncate(fd, size);
    }
};
static_assert(evlog::file_policy<throwing_file>);

/// A File call that throws: the exception reaches the caller and the log is
/// poisoned, since what reached the file or the disk is unknown; a later
/// append must not build on it. `arm` tells `tf` what to do to the call.
template <class Fsync, class Arm, class Call>
void throwing_call_poisons(Arm arm, Call call) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    throwing_file tf;
    fault_log<Fsync, throwing_file> log(tf);
    log.open(p);
    log.append(note(1));
    arm(tf);
    BOOST_CHECK_THROW(call(log), std::runtime_error);
    BOOST_TEST(log.poisoned(), "a File call that threw left the log writable");
    check_poisoned(log, p);
    check_reopen_works(log, p);
}

/// A write that tears, then an ftruncate that throws: the torn bytes may
/// still be there, and a later append would land behind them.
void tear_then_throw_from_the_cut(throwing_file& tf) {
    tf.faults().short_write_nth(file_op::write, tf.faults().count(file_op::write) + 1, 10);
    tf.throw_next->ftruncate = true;
}
const auto append_second = [](auto& log) { log.append(note(2)); };
} // namespace

BOOST_AUTO_TEST_CASE(CutThatThrowsAfterATornWritePoisonsTheLog) {
    const auto arm = tear_then_throw_from_the_cut;
    BOOST_TEST_CONTEXT("fsync_always") { throwing_call_poisons<evlog::fsync_always>(arm, append_second); }
    BOOST_TEST_CONTEXT("fsync_never") { throwing_call_poisons<evlog::fsync_never>(arm, append_second); }
}

BOOST_AUTO_TEST_CASE(CutThatThrowsAfterATornGroupWritePoisonsTheLog) {
    throwing_call_poisons<evlog::fsync_group>(tear_then_throw_from_the_cut, append_second);
}

BOOST_AUTO_TEST_CASE(ThrowingFileInALeaderPoisonsAndWakesTheFollowers) {
    // A File policy that throws from the leader's unlocked fdatasync: the leader's exception
    // propagates, the followers waiting on it are woken with log_poisoned (not left waiting
    // for a leader that is gone), and close() does not wait forever either.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    throwing_file tf;
    fault_log<evlog::fsync_group, throwing_file> log(tf);
    log.open(p);
    log.append(note(1));
    tf.arm();
    constexpr std::size_t n = 4;
    std::vector<std::optional<evlog::error>> errors(n);
    std::optional<std::string> leader_what;
    std::vector<std::jthread> pool;
    pool.emplace_back([&] {
        try {
            log.append(note(2));
        } catch (const std::runtime_error& e) {
            leader_what = e.what();
        }
    });
    BOOST_REQUIRE(tf.wait_entered());
    for (std::size_t k = 1; k < n; ++k)
        pool.emplace_back([&, k] {
            auto e = evtest::make_note(0, "t" + std::to_string(k));
            errors[k] = error_from([&] { log.append_next(e); });
        });
    BOOST_REQUIRE(evtest::wait_for_last_id(log, 1 + n));
    tf.throw_next->fdatasync = true;
    tf.release();
    pool.clear();
    BOOST_REQUIRE_MESSAGE(leader_what.has_value(), "the leader's exception did not reach it");
    BOOST_TEST(*leader_what == "fdatasync threw");
    for (std::size_t k = 1; k < n; ++k) {
        BOOST_REQUIRE_MESSAGE(errors[k].has_value(), "thread " << k << " was told its append is durable");
        BOOST_TEST(errors[k]->code() == ec_of(evlog::errc::log_poisoned), "thread " << k);
    }
    check_poisoned(log, p);
    check_reopen_works(log, p);
}


BOOST_AUTO_TEST_CASE(WriteThatThrowsPoisonsTheLog) {
    auto arm = [](throwing_file& tf) { tf.throw_next->write = true; };
    BOOST_TEST_CONTEXT("fsync_always") { throwing_call_poisons<evlog::fsync_always>(arm, append_second); }
    BOOST_TEST_CONTEXT("fsync_never") { throwing_call_poisons<evlog::fsync_never>(arm, append_second); }
}

BOOST_AUTO_TEST_CASE(FdatasyncThatThrowsPoisonsTheLog) {
    auto arm = [](throwing_file& tf) { tf.throw_next->fdatasync = true; };
    BOOST_TEST_CONTEXT("fsync_always append") {
        throwing_call_poisons<evlog::fsync_always>(arm, append_second);
    }
    BOOST_TEST_CONTEXT("sync() under fsync_never") {
        throwing_call_poisons<evlog::fsync_never>(arm, [](auto& log) {
            log.append(note(2));
            log.sync();
        });
    }
}

BOOST_AUTO_TEST_CASE(FlusherFdatasyncThatThrowsPoisonsAndCloseReportsIt) {
    // The flusher has no caller to throw to; its exception used to leave its thread
    // (std::terminate). Now it poisons the log, and close() throws what nobody heard.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    throwing_file tf;
    fault_log<evlog::fsync_interval<5>, throwing_file> log(tf);
    log.open(p);
    tf.throw_next->fdatasync = true;
    log.append(note(1));
    BOOST_REQUIRE(wait_poisoned(log));
    auto e = error_from([&] { log.close(); });
    BOOST_REQUIRE_MESSAGE(e.has_value(), "close() reported success after the flusher's fdatasync threw");
    BOOST_TEST(e->code() == ec_of(evlog::errc::io_error), e->what());
    BOOST_TEST(!log.is_open());
}

BOOST_FIXTURE_TEST_CASE(CloseAfterAnUnreportedBackgroundFdatasyncFailureThrows, flusher_failed) {
    // The flusher's fdatasync failed and poisoned the log; the program appends nothing more
    // and closes. close() skipped its fdatasync (poisoned) and returned normally, so the
    // log's one failure was reported to nobody and the shutdown looked durable.
    auto e = error_from([&] { log.close(); });
    BOOST_REQUIRE_MESSAGE(e.has_value(), "close() reported success although the flusher's fdatasync failed");
    BOOST_TEST(e->code() == sys_ec(EIO), e->what());
    BOOST_TEST(!log.is_open());
    // Once reported (here by the close), it is not reported again.
    log.open(p);
    log.append(note(2));
    BOOST_CHECK_NO_THROW(log.close());
}

BOOST_AUTO_TEST_CASE(SyncWaitsForTheFlushersFdatasyncAndFailsWithIt) {
    // The flusher runs its fdatasync without the mutex. A sync() that ran meanwhile could
    // succeed while the flusher's fdatasync took the writeback error that covered the same
    // pages (the kernel reports it to one of them): sync() reported lost data durable.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::gated_file gf;
    fault_log<evlog::fsync_interval<5>, evtest::gated_file> log(gf);
    log.open(p);
    gf.arm();
    log.append(note(1));              // dirty: the flusher's next fdatasync stops at the gate
    BOOST_REQUIRE(gf.wait_entered()); // the flusher is in its fdatasync, without the mutex
    auto syncing = std::async(std::launch::async, [&] { return error_from([&] { log.sync(); }); });
    BOOST_TEST((syncing.wait_for(std::chrono::milliseconds(100)) == std::future_status::timeout),
               "sync() did not wait for the flusher's fdatasync");
    gf.faults().fail_next(file_op::fdatasync, EIO); // the flusher's fdatasync fails
    gf.release();
    const auto e = syncing.get();
    BOOST_REQUIRE_MESSAGE(e.has_value(), "sync() succeeded while a concurrent fdatasync of the same pages failed");
    BOOST_TEST(e->code() == ec_of(evlog::errc::log_poisoned), e->what());
    BOOST_TEST(log.poisoned());
}

BOOST_AUTO_TEST_CASE(ConcurrentClosesOfAnIntervalLogStopItsFlusherOnce) {
    // close() took the flusher out of the log without the mutex: two closes could both
    // join it (std::system_error, or worse).
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    fault_log<evlog::fsync_interval<1000>> log;
    for (int round = 0; round < 200; ++round) {
        log.open(p);
        std::latch go(2);
        std::optional<std::string> failure;
        std::mutex m;
        auto closer = [&] {
            go.arrive_and_wait();
            try {
                log.close();
            } catch (const std::exception& ex) {
                std::lock_guard g(m);
                failure = ex.what();
            }
        };
        {
            std::jthread a(closer), b(closer);
        }
        BOOST_REQUIRE_MESSAGE(!failure.has_value(), "round " << round << ": " << failure.value_or(""));
        BOOST_REQUIRE(!log.is_open());
    }
}

BOOST_AUTO_TEST_SUITE_END()
