// The append log: one writer per file, events as JSON lines, durability
// and repair chosen at compile time.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <system_error>
#include <thread>
#include <type_traits>

#include <evlog/core/codec.hpp>
#include <evlog/core/errors.hpp>
#include <evlog/file/posix_file.hpp>
#include <evlog/log/detail/wake_word.hpp>
#include <evlog/log/format.hpp>
#include <evlog/log/fsync_policy.hpp>
#include <evlog/log/repair.hpp>
#include <evlog/log/repair_policy.hpp>

namespace evlog {

struct append_log_options {
    /// Bound on one line, at open's repair scan and at append.
    std::size_t max_line_bytes = format::default_max_line_bytes;
    /// Ids continue after this one even when the file ends lower or holds
    /// nothing: pass recovery's last_event_id when the log starts after a
    /// snapshot (an empty log beside one), or append_next() would hand out
    /// ids the snapshot already covers, and a recovery would skip them.
    std::optional<std::uint64_t> continue_after = std::nullopt;
};

/// An append-only JSONL log of `Event`s.
///
/// Invariants, while open and not poisoned:
///  - the file holds exactly the lines of acknowledged (and, for
///    fsync_never/interval, possibly in-flight) appends after its repaired
///    prefix, each complete and '\n'-terminated;
///  - `last_id()` is the id of the last line written (or
///    `continue_after`, when higher); ids strictly increase;
///  - the process holds an exclusive flock on the file.
/// After a failed fdatasync the log is poisoned: every later append throws
/// errc::log_poisoned, because the kernel may have dropped the dirty pages
/// and a retried fdatasync could report success for data that is gone.
/// Only close() and open() again (which repairs) clear it.
///
/// Thread-safety: all members may be called concurrently when Mutex is a
/// real mutex, except that path(), last_repair() and file() return
/// references that a concurrent open() replaces. With null_mutex, one
/// thread at a time.
template <class Event, fsync_policy FsyncPolicy = fsync_always, repair_policy RepairPolicy = repair_truncate_tail,
          class Mutex = std::mutex, class File = posix_file, class Codec = default_codec_t<Event>>
class basic_append_log {
    static_assert(!(std::is_same_v<Mutex, null_mutex> &&
                    (FsyncPolicy::mode == sync_mode::group || FsyncPolicy::mode == sync_mode::interval)),
                  "fsync_group and fsync_interval need a real Mutex: they involve more than one thread");

public:
    using event_type = Event;
    using fsync_policy_type = FsyncPolicy;
    using repair_policy_type = RepairPolicy;

    basic_append_log() = default;
    explicit basic_append_log(File file) : file_(std::move(file)) {}
    basic_append_log(const basic_append_log&) = delete;
    basic_append_log& operator=(const basic_append_log&) = delete;
    ~basic_append_log();

    /// Creates missing parent directories, opens (creating) the file,
    /// takes an exclusive lock (errc::log_locked if another writer has it),
    /// runs the repair policy, then learns the last id and end offset.
    /// Returns what repair did. Throws evlog::error.
    const repair_report& open(const std::filesystem::path& path, append_log_options opt = {});

    /// Flushes (fdatasync unless poisoned) and releases the file and lock.
    /// Throws if that final fdatasync fails, or if fsync_interval's
    /// background fdatasync failed and no append or sync() has thrown that
    /// yet; the log is closed either way.
    void close();

    /// Appends one event whose id must exceed last_id(). Returns its id once
    /// the fsync policy's promise holds. Throws evlog::error.
    std::uint64_t append(const Event& e) { return append_impl(std::span<const Event>(&e, 1), false); }
    /// Appends events in one write; ids must strictly increase. Returns the last id.
    std::uint64_t append(std::span<const Event> batch) { return append_impl(batch, false); }
    /// Assigns e.id = last_id() + 1, then appends.
    std::uint64_t append_next(Event& e) { return append_impl(std::span<Event>(&e, 1), true); }
    /// Assigns consecutive ids to the batch, then appends it in one write.
    std::uint64_t append_next(std::span<Event> batch) { return append_impl(batch, true); }

    /// fdatasync now, whatever the policy. Throws (and poisons) on failure.
    void sync();

    bool is_open() const { std::lock_guard g(mutex_); return fd_ >= 0; }
    bool poisoned() const { std::lock_guard g(mutex_); return poisoned_; }
    std::optional<std::uint64_t> last_id() const { std::lock_guard g(mutex_); return last_id_; }
    /// Bytes in the file that belong to written appends.
    std::uint64_t end_offset() const { std::lock_guard g(mutex_); return end_offset_; }
    const std::filesystem::path& path() const noexcept { return path_; }
    const repair_report& last_repair() const noexcept { return repair_; }
    File& file() noexcept { return file_; }

private:
    /// A group policy of the user's own without spin_limit sleeps at once.
    static constexpr std::chrono::nanoseconds spin_limit = [] {
        if constexpr (requires { FsyncPolicy::spin_limit; })
            return std::chrono::nanoseconds(FsyncPolicy::spin_limit);
        else
            return std::chrono::nanoseconds::zero();
    }();

    /// Whether the codec vouches that no line it writes holds a raw
    /// newline (json_codec does); for any other, each line is looked through.
    static constexpr bool codec_refuses_raw_newlines = [] {
        if constexpr (requires { Codec::refuses_raw_newlines; })
            return bool(Codec::refuses_raw_newlines);
        else
            return false;
    }();

    template <class Span>
    std::uint64_t append_impl(Span batch, bool assign);
    template <class Span>
    std::optional<std::uint64_t> encode_locked(Span batch, bool assign, json::line_buffer& out);
    /// Throws unless open, not poisoned and not closing. Inline, as every
    /// append passes it; the throwing is out of line.
    void check_writable_locked() const {
        if (fd_ < 0 || poisoned_ || closing_) [[unlikely]]
            throw_not_writable_locked();
    }
    [[noreturn, gnu::noinline]] void throw_not_writable_locked() const;
    std::error_code write_locked(const json::line_buffer& bytes);
    void poison_locked(std::error_code ec);
    /// Runs a File call; if it throws, poisons the log and rethrows.
    template <class Call>
    std::error_code poison_on_throw_locked(Call&& call);
    void flusher_loop(std::stop_token st);
    std::error_code close_locked();
    bool cohort_staged_locked() const noexcept { return staged_ - durable_ >= appenders_; }
    /// Whether `ticket` of `generation` is durable, read without the mutex.
    bool durable_unlocked(std::uint64_t ticket, std::uint64_t generation) const noexcept {
        // Generation before and after: a close and reopen in between restart the tickets.
        return generation_.load() == generation && durable_.load() >= ticket && generation_.load() == generation;
    }
    /// A new leader waits, briefly, for the appenders the last batch
    /// released to stage again. False if one of them completed the cohort
    /// and leads in our place.
    template <class Lock>
    bool fill_cohort_locked(Lock& lk);
    /// An appender on its way out of append(). Wakes a filling leader if
    /// this completes its cohort; `locked` says whether we hold the mutex.
    void leave_group(bool locked);
    void wake_waiters_locked() noexcept {
        done_word_.bump();
        done_word_.wake_all();
    }

    File file_{};
    Codec codec_;
    mutable Mutex mutex_;
    std::condition_variable_any cv_;   // interval: wake the flusher
    // std::condition_variable where the mutex allows it: _any adds a mutex of its own to every wait.
    using group_cv = std::conditional_t<std::is_same_v<Mutex, std::mutex>, std::condition_variable,
                                        std::condition_variable_any>;
    int fd_ = -1;
    std::filesystem::path path_;
    append_log_options opt_;
    repair_report repair_;
    std::optional<std::uint64_t> last_id_;
    std::uint64_t end_offset_ = 0;
    bool needs_newline_ = false;
    bool poisoned_ = false;
    std::error_code poison_cause_;
    json::line_buffer scratch_;
    // fsync_group state. The atomics are written under the mutex, except
    // appenders_, which an appender leaving without it decrements; waiters
    // woken by done_word_ read them without it (see leave_group()).
    json::line_buffer pending_;
    std::atomic<std::uint64_t> staged_ = 0, durable_ = 0;
    std::atomic<std::uint64_t> generation_ = 0; // bumped by every close
    bool leader_active_ = false;
    bool closing_ = false;         // close() waits for the leader: no new appends, no new leader
    std::atomic<std::size_t> appenders_ = 0; // threads between staging and returning from append
    std::atomic<bool> filling_ = false;      // the leader waits (fill_cv_) for the appenders_ to stage
    std::uint64_t fills_taken_ = 0;          // bumped when an appender completes the cohort and leads instead
    std::chrono::nanoseconds last_batch_{0}; // how long the last write + fdatasync took
    detail::wake_word done_word_;  // a batch is done, the leader is gone, or the log closed
    group_cv fill_cv_;             // every appender has staged, one took over, or the log is closing or poisoned
    // fsync_interval state
    bool dirty_ = false;
    bool flushing_ = false;        // the flusher is in its fdatasync, without the mutex
    mutable bool flusher_failed_unreported_ = false; // it poisoned the log; nothing has thrown that yet
    std::jthread flusher_;
};

/// The common choices, named as spdlog names its sinks.
template <class Event, class Repair = repair_truncate_tail>
using append_log = basic_append_log<Event, fsync_always, Repair>;
template <class Event, class Repair = repair_truncate_tail>
using append_log_st = basic_append_log<Event, fsync_always, Repair, null_mutex>;
template <class Event, class Repair = repair_truncate_tail>
using group_commit_log = basic_append_log<Event, fsync_group, Repair>;
template <class Event, unsigned Ms = 1000, class Repair = repair_truncate_tail>
using interval_log = basic_append_log<Event, fsync_interval<Ms>, Repair>;
template <class Event, class Repair = repair_truncate_tail>
using unsynced_log = basic_append_log<Event, fsync_never, Repair>;
template <class Event, class Repair = repair_truncate_tail>
using unsynced_log_st = basic_append_log<Event, fsync_never, Repair, null_mutex>;

} // namespace evlog

#include <evlog/log/impl/append_log.hpp>
