// Template bodies of basic_append_log. Included by log/append_log.hpp.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstring>
#include <thread>

#include <fcntl.h>

#include <evlog/file/io.hpp>

namespace evlog {

#define EVLOG_APPEND_LOG_TEMPLATE                                                                  \
    template <class Event, fsync_policy FsyncPolicy, repair_policy RepairPolicy, class Mutex, class File, \
              class Codec>
#define EVLOG_APPEND_LOG basic_append_log<Event, FsyncPolicy, RepairPolicy, Mutex, File, Codec>

EVLOG_APPEND_LOG_TEMPLATE
EVLOG_APPEND_LOG::~basic_append_log() {
    try {
        close();
    } catch (...) {
        // A destructor cannot report; callers who care call close() themselves.
    }
}

EVLOG_APPEND_LOG_TEMPLATE
const repair_report& EVLOG_APPEND_LOG::open(const std::filesystem::path& path, append_log_options opt) {
    std::unique_lock lk(mutex_);
    // Group-commit appenders of the last generation may still be on their
    // way out (woken by close(), not yet run). durable_ tells them whether
    // their event made it, so the tickets restart only once they have left.
    while (appenders_ > 0 && fd_ < 0) {
        lk.unlock();
        std::this_thread::sleep_for(std::chrono::microseconds(50));
        lk.lock();
    }
    if (fd_ >= 0) throw error(make_error_code(errc::bad_argument), "log is already open: " + path_.string());
    const auto dir = path.parent_path();
    // The directory's entry in its parent, and the log's in the directory,
    // are fsynced on every open, not only by the open that creates them: an
    // open that created one may have failed at that fsync, and a retry
    // cannot tell. Two directory fsyncs are cheap next to an open's repair.
    make_dirs_durably(file_, dir, dir.has_parent_path() ? dir.parent_path() : dir);
    int fd = -1;
    if (auto ec = file_.open(path, O_RDWR | O_CREAT | O_APPEND, 0644, fd)) throw error(ec, "open " + path.string());
    struct guard {
        File& f;
        int fd;
        ~guard() { if (fd >= 0) f.close(fd); }
    } g{file_, fd};
    lock_exclusive(file_, fd, path);
    if (auto ec = file_.fsync_dir(dir)) throw error(ec, "fsync directory " + dir.string());

    repair_report rep = detail::repair_fd<Event, RepairPolicy, File, Codec>(file_, fd, path, {opt.max_line_bytes});
    if (rep.rewritten) {
        // Quarantine replaced the file; our descriptor and lock belong to the old inode.
        int nfd = -1;
        if (auto ec = file_.open(path, O_RDWR | O_APPEND, 0644, nfd)) throw error(ec, "reopen " + path.string());
        file_.close(g.fd);
        g.fd = nfd;
        lock_exclusive(file_, nfd, path);
    }
    bool needs_newline = false;
    if (rep.end_offset > 0) {
        char last = '\n';
        std::size_t got = 0;
        if (auto ec = file_.pread(g.fd, &last, 1, rep.end_offset - 1, got)) throw error(ec, "read " + path.string());
        needs_newline = got == 1 && last != '\n';
    }

    fd_ = g.fd;
    g.fd = -1;
    path_ = path;
    opt_ = opt;
    repair_ = std::move(rep);
    last_id_ = repair_.last_id;
    if (opt.continue_after && (!last_id_ || *last_id_ < *opt.continue_after)) last_id_ = opt.continue_after;
    end_offset_ = repair_.end_offset;
    needs_newline_ = needs_newline;
    poisoned_ = false;
    poison_cause_ = {};
    pending_.clear();
    staged_ = durable_ = 0;
    last_batch_ = {};
    dirty_ = false;
    flusher_failed_unreported_ = false;
    if constexpr (FsyncPolicy::mode == sync_mode::interval) {
        try {
            flusher_ = std::jthread([this](std::stop_token st) { flusher_loop(st); });
        } catch (...) { // no thread to start: not open without its flusher
            file_.close(fd_);
            fd_ = -1;
            throw;
        }
    }
    return repair_;
}

EVLOG_APPEND_LOG_TEMPLATE
void EVLOG_APPEND_LOG::close() {
    // The flusher takes the mutex, so stop it before taking it for the
    // close. Taken out under the mutex: a concurrent close() must not join
    // it too, nor an open() in between start another in its place.
    std::jthread flusher;
    {
        std::lock_guard g(mutex_);
        flusher = std::move(flusher_);
    }
    if (flusher.joinable()) {
        flusher.request_stop();
        flusher.join();
    }
    std::unique_lock lk(mutex_);
    if constexpr (FsyncPolicy::mode == sync_mode::group) {
        // Let the batch in flight finish, and let nothing start meanwhile:
        // appenders that keep coming would otherwise keep a leader active.
        closing_ = true;
        fill_cv_.notify_all();
        while (leader_active_) { // the leader bumps done_word_ whenever it lets go
            const std::uint32_t seen = done_word_.load();
            lk.unlock();
            done_word_.wait_while(seen);
            lk.lock();
        }
    }
    const bool flusher_failed = poisoned_ && flusher_failed_unreported_;
    if (auto ec = close_locked())
        throw error(ec, std::string(flusher_failed ? "background fdatasync failed before the close: "
                                                   : "fdatasync at close ") +
                            path_.string());
}

EVLOG_APPEND_LOG_TEMPLATE
std::error_code EVLOG_APPEND_LOG::close_locked() {
    closing_ = false;
    if (fd_ < 0) return {};
    std::error_code ec;
    if (!poisoned_ && FsyncPolicy::mode != sync_mode::always) ec = file_.fdatasync(fd_);
    // The flusher's failure, if no append or sync() has thrown it: the
    // close is the caller's last chance to hear that data was lost.
    if (poisoned_ && flusher_failed_unreported_) ec = poison_cause_;
    flusher_failed_unreported_ = false;
    file_.close(fd_);
    fd_ = -1;
    ++generation_; // group-commit followers still waiting must not be served by a later open
    poisoned_ = false;
    pending_.clear();
    if constexpr (FsyncPolicy::mode == sync_mode::group) wake_waiters_locked(); // they see the new generation
    return ec;
}

EVLOG_APPEND_LOG_TEMPLATE
void EVLOG_APPEND_LOG::throw_not_writable_locked() const {
    if (fd_ < 0) throw error(make_error_code(errc::log_closed), path_.string());
    if (poisoned_) {
        flusher_failed_unreported_ = false;
        throw error(make_error_code(errc::log_poisoned), "earlier failure: " + poison_cause_.message(),
                    location{path_, 0, end_offset_});
    }
    throw error(make_error_code(errc::log_closed), "closing: " + path_.string());
}

EVLOG_APPEND_LOG_TEMPLATE
template <class Call>
std::error_code EVLOG_APPEND_LOG::poison_on_throw_locked(Call&& call) {
    try {
        return call();
    } catch (...) {
        // A File that throws: what reached the file, or the disk, is unknown.
        poison_locked(make_error_code(errc::io_error));
        throw;
    }
}

EVLOG_APPEND_LOG_TEMPLATE
void EVLOG_APPEND_LOG::poison_locked(std::error_code ec) {
    poisoned_ = true;
    poison_cause_ = ec;
    pending_.clear();
    if constexpr (FsyncPolicy::mode == sync_mode::group) fill_cv_.notify_all(); // a leader waiting to fill stops
}

EVLOG_APPEND_LOG_TEMPLATE
template <class Span>
std::optional<std::uint64_t> EVLOG_APPEND_LOG::encode_locked(Span batch, bool assign, json::line_buffer& out) {
    const std::size_t mark = out.size();
    std::optional<std::uint64_t> id = last_id_;
    try {
        for (auto& e : batch) {
            if constexpr (!std::is_const_v<std::remove_reference_t<decltype(e)>>)
                if (assign) e.id = id.value_or(0) + 1;
            if (e.id <= id.value_or(0))
                throw error(make_error_code(errc::id_not_increasing),
                            "event_id " + std::to_string(e.id) + " after " + std::to_string(id.value_or(0)));
            const std::size_t start = out.size();
            try {
                if constexpr (requires { codec_.encode(e, out); })
                    codec_.encode(e, out);
                else
                    out.append_as_string([&](std::string& s) { codec_.encode(e, s); });
            } catch (const error& x) {
                if (x.where()) throw;
                throw error(x.code(), "event " + std::to_string(e.id) + ": " + x.detail()); // which one, in a batch
            }
            const std::size_t len = out.size() - start;
            if (len > opt_.max_line_bytes)
                throw error(make_error_code(errc::line_too_long),
                            "event " + std::to_string(e.id) + " encodes to " + std::to_string(len) + " bytes");
            if constexpr (!codec_refuses_raw_newlines)
                if (std::memchr(out.data() + start, '\n', len))
                    throw error(make_error_code(errc::bad_argument),
                                "event " + std::to_string(e.id) + " encodes to text with a raw newline");
            out.push_back('\n');
            id = e.id;
        }
    } catch (...) {
        out.truncate(mark);
        throw;
    }
    return id;
}

EVLOG_APPEND_LOG_TEMPLATE
std::error_code EVLOG_APPEND_LOG::write_locked(const json::line_buffer& bytes) {
    // One write() so a batch reaches the file whole or, after the cut below, not at all.
    std::size_t done = 0;
    std::error_code ec = poison_on_throw_locked([&] { return file_.write(fd_, bytes.data(), bytes.size(), done); });
    if (!ec && done == bytes.size()) return {};
    if (!ec) ec = std::error_code(ENOSPC, std::system_category()); // a short write to a regular file
    try {
        if (auto tec = file_.ftruncate(fd_, end_offset_)) poison_locked(tec);
    } catch (...) {
        // A File that throws: whether the torn bytes are gone is unknown,
        // and a later append would land behind them.
        poison_locked(make_error_code(errc::io_error));
        throw;
    }
    return ec;
}

EVLOG_APPEND_LOG_TEMPLATE
template <class Span>
std::uint64_t EVLOG_APPEND_LOG::append_impl(Span batch, bool assign) {
    if (batch.empty()) throw error(make_error_code(errc::bad_argument), "empty batch");
    std::unique_lock lk(mutex_, std::defer_lock);
    if constexpr (FsyncPolicy::mode == sync_mode::group)
        detail::lock_spinning(lk);
    else
        lk.lock();
    check_writable_locked();

    if constexpr (FsyncPolicy::mode == sync_mode::group) {
        const std::size_t mark = pending_.size();
        if (needs_newline_) pending_.push_back('\n');
        std::optional<std::uint64_t> last;
        try {
            last = encode_locked(batch, assign, pending_);
        } catch (...) {
            pending_.truncate(mark);
            throw;
        }
        needs_newline_ = false;
        last_id_ = last;
        const std::uint64_t ticket = staged_ + 1;
        staged_ = ticket;
        const std::uint64_t generation = generation_;
        // Counted from staging until return, so that a leader can wait for
        // threads the last batch released to stage again (below).
        ++appenders_;
        struct leave_guard {
            basic_append_log& log;
            bool counted = true;
            void leave(bool locked) {
                counted = false;
                log.leave_group(locked);
            }
            ~leave_guard() {
                if (counted) log.leave_group(true); // every throw below leaves with the mutex held
            }
        } leaving{*this};
        // Completing the cohort of a leader that waits for it to fill, we
        // lead in its place rather than have it write: its wake-up would
        // come behind every thread still on its way to sleep. It wakes
        // while we write and waits as a follower.
        bool leading = false;
        if (filling_ && cohort_staged_locked()) {
            filling_ = false;
            ++fills_taken_;
            leading = true;
        }
        while (durable_ < ticket) {
            // close() dropped our staged bytes (and a later open() restarts the tickets).
            if (generation_ != generation)
                throw error(make_error_code(errc::log_closed),
                            "closed before the append was durable: " + path_.string());
            if (poisoned_) check_writable_locked();
            if (!leading && (leader_active_ || closing_)) {
                const std::uint32_t seen = done_word_.load();
                const auto budget = detail::yield_budget(last_batch_, spin_limit);
                lk.unlock();
                if (!done_word_.yield_while(seen, budget)) done_word_.wait_while(seen);
                if (durable_unlocked(ticket, generation)) { // the common case: no mutex on the way out
                    leaving.leave(false);
                    return *last;
                }
                detail::lock_spinning(lk);
                continue;
            }
            // Lead: take everything staged so far and make it durable with one write and one fdatasync.
            if (leading) {
                // leader_active_ is already set, by the leader we displaced.
                // The count of appenders misses threads between their return
                // from append() and their next call; that leader's wake-up
                // gave them the time to stage. One yield gives it them
                // without a sleep.
                leading = false;
                lk.unlock();
                fill_cv_.notify_all();
                std::this_thread::yield();
                detail::lock_spinning(lk);
            } else {
                leader_active_ = true;
                if (!fill_cohort_locked(lk)) continue; // the appender that completed the cohort leads; we follow
            }
            if (poisoned_) { // sync() failed while we waited: the loop throws
                leader_active_ = false;
                wake_waiters_locked();
                continue;
            }
            json::line_buffer writing;
            writing.swap(pending_);
            const std::uint64_t upto = staged_;
            const int fd = fd_;
            lk.unlock();
            std::error_code ec;
            bool write_failed = false;
            const auto t0 = std::chrono::steady_clock::now();
            try {
                std::size_t done = 0;
                ec = file_.write(fd, writing.data(), writing.size(), done);
                if (!ec && done != writing.size()) ec = std::error_code(ENOSPC, std::system_category());
                write_failed = bool(ec);
                if (!ec) ec = file_.fdatasync(fd);
            } catch (...) {
                // A File that throws: what reached the file is unknown.
                lk.lock();
                leader_active_ = false;
                poison_locked(make_error_code(errc::io_error));
                wake_waiters_locked();
                throw;
            }
            const auto took = std::chrono::steady_clock::now() - t0;
            detail::lock_spinning(lk); // stagers of the next batch hold it briefly
            leader_active_ = false;
            last_batch_ = took;
            if (!ec && poisoned_) {
                // A sync() failed while we wrote: its fdatasync may have taken
                // the error that covered our pages, and ours then succeeds
                // for data the kernel dropped. Not durable.
                wake_waiters_locked();
                check_writable_locked();
            }
            if (ec) {
                // Ids of staged events are spent; only a reopen (and repair)
                // makes the log consistent. Poisoned before the cut, which
                // a File may throw from.
                poison_locked(ec);
                wake_waiters_locked();
                if (write_failed) file_.ftruncate(fd_, end_offset_);
                throw error(ec, std::string(write_failed ? "write " : "fdatasync ") + path_.string() +
                                    "; the log refuses writes until reopened");
            }
            durable_ = upto;
            end_offset_ += writing.size();
            if (pending_.empty()) {
                writing.clear();
                pending_.swap(writing); // keep the capacity for the next batch
            }
            // Our own ticket is in this batch: return. Wake the batch after
            // letting go of the mutex, so that they do not wake only to wait for it.
            done_word_.bump();
            leaving.leave(true);
            lk.unlock();
            done_word_.wake_all();
            return *last;
        }
        return *last;
    } else {
        scratch_.clear();
        if (needs_newline_) scratch_.push_back('\n');
        const auto last = encode_locked(batch, assign, scratch_);
        if (auto ec = write_locked(scratch_)) throw error(ec, "write " + path_.string(), location{path_, 0, end_offset_});
        needs_newline_ = false;
        end_offset_ += scratch_.size();
        last_id_ = last;
        if constexpr (FsyncPolicy::mode == sync_mode::always) {
            if (auto ec = poison_on_throw_locked([&] { return file_.fdatasync(fd_); })) {
                poison_locked(ec);
                throw error(ec, "fdatasync " + path_.string() + "; the log refuses writes until reopened");
            }
        } else if constexpr (FsyncPolicy::mode == sync_mode::interval) {
            dirty_ = true;
        }
        return *last;
    }
}

EVLOG_APPEND_LOG_TEMPLATE
template <class Lock>
bool EVLOG_APPEND_LOG::fill_cohort_locked(Lock& lk) {
    if (appenders_ <= 1 || cohort_staged_locked()) return true;
    // Some threads inside append() have not staged: typically the ones the
    // last batch just released, on their way out and, if they append in a
    // loop, back in. Without waiting for them the batches of N looping
    // threads split into two cohorts that alternate, N/2 per fdatasync.
    // Wait until they have staged or left, at most as long as the last
    // batch took and at most 1 ms.
    filling_ = true;
    const std::uint64_t taken = fills_taken_;
    fill_cv_.wait_for(lk, std::min<std::chrono::nanoseconds>(last_batch_, std::chrono::milliseconds(1)),
                      [&] { return fills_taken_ != taken || cohort_staged_locked() || closing_ || poisoned_; });
    if (fills_taken_ != taken) return false; // it cleared filling_
    filling_ = false;
    return true;
}

EVLOG_APPEND_LOG_TEMPLATE
void EVLOG_APPEND_LOG::leave_group(bool locked) {
    // Sequentially consistent throughout: a leader sets filling_ and then
    // reads appenders_; we write appenders_ and then read filling_, so at
    // least one of us sees the other and the leader is not left waiting.
    const std::size_t left = --appenders_;
    if (!filling_ || staged_ - durable_ < left) return;
    if (locked) {
        fill_cv_.notify_all();
    } else {
        // Take the mutex once so that the leader is either asleep (and
        // woken here) or yet to test its condition (and sees our count).
        std::lock_guard g(mutex_);
        fill_cv_.notify_all();
    }
}

EVLOG_APPEND_LOG_TEMPLATE
void EVLOG_APPEND_LOG::sync() {
    // The mutex stays held through the fdatasync, although appenders then
    // wait for it. Both share one file description, and the kernel reports
    // a writeback error to only one of the fdatasyncs on it: a group
    // commit leader whose own fdatasync succeeded must not see the mutex
    // (and call its batch durable) until a failing sync() has poisoned the log.
    std::unique_lock lk(mutex_);
    // Nor may sync() succeed while the flusher's fdatasync, which runs without
    // the mutex, may be taking the error that covers the same pages.
    if constexpr (FsyncPolicy::mode == sync_mode::interval) cv_.wait(lk, [&] { return !flushing_; });
    check_writable_locked();
    dirty_ = false;
    if (auto ec = poison_on_throw_locked([&] { return file_.fdatasync(fd_); })) {
        poison_locked(ec);
        throw error(ec, "fdatasync " + path_.string() + "; the log refuses writes until reopened");
    }
}

EVLOG_APPEND_LOG_TEMPLATE
void EVLOG_APPEND_LOG::flusher_loop(std::stop_token st) {
    if constexpr (FsyncPolicy::mode == sync_mode::interval) {
        std::unique_lock lk(mutex_);
        while (!st.stop_requested()) {
            cv_.wait_for(lk, st, FsyncPolicy::period, [] { return false; });
            if (st.stop_requested()) break;
            if (!dirty_ || poisoned_ || fd_ < 0) continue;
            dirty_ = false;
            const int fd = fd_;
            flushing_ = true;
            lk.unlock();
            std::error_code ec;
            try {
                ec = file_.fdatasync(fd);
            } catch (...) { // a File that throws: nobody here to catch it
                ec = make_error_code(errc::io_error);
            }
            lk.lock();
            flushing_ = false;
            if (ec) {
                poison_locked(ec);
                flusher_failed_unreported_ = true; // the next append, sync() or close() throws it
            }
            cv_.notify_all(); // a sync() waits for us
        }
    } else {
        (void)st;
    }
}

#undef EVLOG_APPEND_LOG_TEMPLATE
#undef EVLOG_APPEND_LOG

} // namespace evlog
