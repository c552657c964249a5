// The step before the scanner: each line of the file, classified on its own
// (blank, all NUL, or what the codec makes of it). A line's class depends on
// its text alone, so it can be worked out ahead and on another thread; the
// scanner then applies the rules that need the lines around it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <exception>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <thread>
#include <vector>

#include <evlog/core/errors.hpp>
#include <evlog/log/detail/line_reader.hpp>

namespace evlog::detail {

/// What a line is, judged on its own.
struct line_verdict {
    enum class kind : std::uint8_t { blank, good, bad } k = kind::blank;
    std::error_code reason; ///< for bad lines
    std::string detail;     ///< for bad lines
};

/// Classifies one line; a good line's event goes into `ev`.
template <class Event, class Codec>
void classify_line(std::string_view text, bool terminated, Codec& codec, line_verdict& v, Event& ev) {
    v.reason = {};
    v.detail.clear();
    if (is_blank(text)) {
        v.k = line_verdict::kind::blank;
        return;
    }
    v.k = line_verdict::kind::bad;
    if (is_all_nul(text)) {
        v.reason = make_error_code(errc::nul_bytes);
        v.detail = std::to_string(text.size()) + " NUL bytes";
        return;
    }
    if (auto ec = codec.decode(text, ev)) {
        // An unterminated line that does not parse is what a crash mid-write leaves.
        v.reason = (!terminated && ec == errc::malformed_line) ? make_error_code(errc::torn_line) : ec;
        v.detail = std::string(codec.error_detail());
        return;
    }
    v.k = line_verdict::kind::good;
}

/// Reads and classifies lines one at a time, on the caller's thread.
template <class Event, class Codec, class File>
class serial_line_decoder {
public:
    serial_line_decoder(File& file, int fd, const std::filesystem::path& path, Codec& codec, std::uint64_t start,
                        std::uint64_t first_line, std::size_t max_line_bytes)
        : reader_(file, fd, path, start, first_line, max_line_bytes), codec_(codec) {}

    /// False at the end. `line.text` is valid until the next call; a good
    /// line's event is decoded into `scratch`, and `where` points at it.
    bool next(raw_line& line, line_verdict& v, Event& scratch, Event*& where) {
        if (!reader_.next(line)) return false;
        classify_line(line.text, line.terminated, codec_, v, scratch);
        where = &scratch;
        return true;
    }
    /// Just past the last line returned.
    std::uint64_t offset() const noexcept { return reader_.offset(); }

private:
    line_reader<File> reader_;
    Codec& codec_;
};

/// Reads the file on the caller's thread straight into a ring of batches,
/// one read of about `batch_bytes` each (a batch keeps the buffer its lines
/// were read into, so their bytes are never copied), and decodes them on
/// two threads: every third batch on the
/// caller's (which also reads and runs the visitor), the others on one
/// helper, except that the caller, rather than wait for the helper,
/// decodes any of the helper's batches it has not started. A slot is thus
/// mostly decoded by the same thread, so the strings of its events are
/// mostly freed by the thread that allocated them (events handed from one
/// thread to the other made both queue on the allocator).
/// Lines come out in file order, with the same verdicts and events as
/// serial_line_decoder, and a read error or an overlong line is thrown
/// after every line before it has been returned, as there.
///
/// Lifetime: a line's text and event stay where they are until the batch
/// after theirs has been read out (the scanner holds one line back).
/// Memory: the ring's six batches, their events included.
///
/// The helper thread only decodes (with its own Codec); it never touches
/// the file. It starts with the second batch, so a small file starts none,
/// and it is joined by the destructor, also when the caller stops early.
template <class Event, class Codec, class File>
class parallel_line_decoder {
public:
    parallel_line_decoder(File& file, int fd, const std::filesystem::path& path, Codec& codec, std::uint64_t start,
                          std::uint64_t first_line, std::size_t max_line_bytes, std::size_t batch_bytes)
        : reader_(file, fd, path, start, first_line, max_line_bytes, batch_bytes), codec_(codec), offset_(start) {}
    parallel_line_decoder(const parallel_line_decoder&) = delete;
    parallel_line_decoder& operator=(const parallel_line_decoder&) = delete;
    ~parallel_line_decoder() {
        if (!helper_.joinable()) return;
        {
            std::lock_guard lk(mutex_);
            stop_ = true;
        }
        cv_.notify_all();
        helper_.join();
    }

    /// As serial_line_decoder::next; `where` points into the batch.
    bool next(raw_line& line, line_verdict& v, Event&, Event*& where) {
        for (;;) {
            if (ready_) {
                batch& b = ring_[head_];
                if (pos_ < b.lines.size()) {
                    entry& e = b.lines[pos_++];
                    line = e.line;
                    v = std::move(e.verdict);
                    if (v.k == line_verdict::kind::good) where = &b.events[e.event];
                    offset_ = line.end;
                    return true;
                }
                if (b.error) std::rethrow_exception(std::exchange(b.error, nullptr));
                if (b.last) return false;
                std::lock_guard lk(mutex_);
                // The batch before this one is done with (its last line was
                // held back at most until this batch's first): reuse it.
                batch& before = ring_[(head_ + ring_size - 1) % ring_size];
                if (before.state == batch_state::retired) before.state = batch_state::empty;
                b.state = batch_state::retired;
                head_ = (head_ + 1) % ring_size;
                ready_ = false;
                pos_ = 0;
            }
            top_up();
            take_head();
            ready_ = true;
        }
    }
    std::uint64_t offset() const noexcept { return offset_; }

private:
    static constexpr std::size_t ring_size = 6;
    enum class batch_state : std::uint8_t { empty, filled, decoding, decoded, retired };
    static bool callers(std::size_t slot) noexcept { return slot % 3 == 0; }

    struct entry {
        raw_line line; // text: a view into the batch's bytes
        line_verdict verdict;
        std::size_t event = 0;
    };
    struct batch {
        batch_state state = batch_state::empty; ///< guarded by mutex_; the rest belongs to whoever the state says
        std::vector<char> bytes; ///< the reader's buffer its lines were read into
        std::vector<entry> lines;
        std::vector<Event> events;
        std::exception_ptr error; ///< thrown once its lines are out
        bool last = false;        ///< nothing after it
    };

    /// Reads into every empty batch from the head on, in ring order, until
    /// the file ends. Only the caller fills, and only empty batches.
    void top_up() {
        for (std::size_t i = 0; i < ring_size && !read_all_; ++i) {
            batch& b = ring_[(head_ + i) % ring_size];
            {
                std::lock_guard lk(mutex_);
                if (b.state != batch_state::empty) continue;
            }
            fill(b);
            read_all_ = b.last;
            {
                std::lock_guard lk(mutex_);
                b.state = batch_state::filled;
            }
            if (!callers((head_ + i) % ring_size)) {
                if (!helper_.joinable()) {
                    helper_codec_.emplace(); // here, so that a failure is the caller's exception
                    helper_ = std::thread([this] { helper_loop(); });
                }
                else cv_.notify_all();
            }
        }
    }

    /// Makes the head batch decoded: decodes it here if no thread has
    /// started it, else decodes other filled batches until the helper is
    /// done with it, and waits only when there are none. Without that each
    /// thread sat idle while the other decoded the batch it needed next,
    /// and the fixed split left the helper with more work than the caller.
    void take_head() {
        batch& b = ring_[head_];
        std::unique_lock lk(mutex_);
        if (b.state == batch_state::filled) decode_here(b, lk);
        while (b.state != batch_state::decoded) {
            if (batch* other = work_for_caller_locked()) decode_here(*other, lk);
            else cv_.wait(lk);
        }
        if (helper_error_) std::rethrow_exception(std::exchange(helper_error_, nullptr));
    }

    /// Decodes a filled batch on this thread.
    void decode_here(batch& b, std::unique_lock<std::mutex>& lk) {
        b.state = batch_state::decoding;
        lk.unlock();
        decode(b, codec_);
        lk.lock();
        b.state = batch_state::decoded;
    }

    /// A filled batch for the caller to decode while it waits: its own
    /// first one from the head on, else the helper's last one, which the
    /// helper, taking its batches in ring order, would reach last. Null if
    /// none.
    batch* work_for_caller_locked() {
        batch* helpers_last = nullptr;
        for (std::size_t i = 0; i < ring_size; ++i) {
            const std::size_t slot = (head_ + i) % ring_size;
            if (ring_[slot].state != batch_state::filled) continue;
            if (callers(slot)) return &ring_[slot];
            helpers_last = &ring_[slot];
        }
        return helpers_last;
    }

    /// The whole lines of one read (about batch_bytes, or one longer line),
    /// left where they were read: the batch takes the reader's buffer.
    void fill(batch& b) {
        b.lines.clear();
        b.error = nullptr;
        b.last = false;
        raw_line l;
        try {
            for (;;) {
                while (reader_.next_buffered(l)) b.lines.emplace_back().line = l;
                if (reader_.at_end()) {
                    b.last = true;
                    break;
                }
                if (!b.lines.empty()) break;
                reader_.refill(); // only while no line points into the buffer
            }
            reader_.hand_over(b.bytes);
        } catch (...) {
            b.error = std::current_exception(); // after the lines before it, as the serial reader would
            b.last = true;
        }
    }

    static void decode(batch& b, Codec& codec) {
        if (b.events.size() < b.lines.size()) b.events.resize(b.lines.size());
        std::size_t n = 0;
        for (entry& e : b.lines) {
            classify_line(e.line.text, e.line.terminated, codec, e.verdict, b.events[n]);
            if (e.verdict.k == line_verdict::kind::good) e.event = n++;
        }
    }

    /// The helper's oldest filled batch, in ring order from the head; null if none.
    batch* oldest_filled_locked() {
        for (std::size_t i = 0; i < ring_size; ++i) {
            const std::size_t slot = (head_ + i) % ring_size;
            if (!callers(slot) && ring_[slot].state == batch_state::filled) return &ring_[slot];
        }
        return nullptr;
    }

    void helper_loop() {
        Codec& codec = *helper_codec_;
        std::unique_lock lk(mutex_);
        for (;;) {
            batch* b = nullptr;
            cv_.wait(lk, [&] { return stop_ || (b = oldest_filled_locked()) != nullptr; });
            if (stop_) return;
            b->state = batch_state::decoding;
            lk.unlock();
            try {
                decode(*b, codec);
            } catch (...) {
                lk.lock();
                helper_error_ = std::current_exception(); // memory: the caller rethrows it
                b->state = batch_state::decoded;
                cv_.notify_all();
                continue;
            }
            lk.lock();
            b->state = batch_state::decoded;
            cv_.notify_all();
        }
    }

    line_reader<File> reader_;
    Codec& codec_;
    std::uint64_t offset_;
    batch ring_[ring_size];
    std::size_t head_ = 0; // the batch whose lines go out now; written under mutex_
    std::size_t pos_ = 0;  // the next of its lines
    bool ready_ = false;   // the head batch is decoded
    bool read_all_ = false;

    std::mutex mutex_;
    std::condition_variable cv_;
    bool stop_ = false;
    std::exception_ptr helper_error_;
    std::optional<Codec> helper_codec_;
    std::thread helper_; // last: joined before the members it uses go
};

} // namespace evlog::detail
