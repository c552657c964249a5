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

    /// False at the end. `line.text` is valid until the next call.
    bool next(raw_line& line, line_verdict& v, Event& ev) {
        if (!reader_.next(line)) return false;
        classify_line(line.text, line.terminated, codec_, v, ev);
        return true;
    }
    /// Just past the last line returned.
    std::uint64_t offset() const noexcept { return reader_.offset(); }

private:
    line_reader<File> reader_;
    Codec& codec_;
};

/// Reads lines on the caller's thread into batches of about `batch_bytes`
/// and decodes every other batch on one helper thread, while the caller
/// decodes the batch before it: replay's decoding, most of its time, then
/// runs on two cores. Lines come out in file order, with the same verdicts
/// and events as serial_line_decoder, and a read error or an overlong line
/// is thrown after every line before it has been returned, as there.
/// Memory: two batches, their events included.
///
/// The helper thread only decodes (with its own Codec); it never touches
/// the file. It starts with the second batch, so a small file starts none,
/// and it is joined by the destructor, also when the caller stops early.
template <class Event, class Codec, class File>
class parallel_line_decoder {
public:
    parallel_line_decoder(File& file, int fd, const std::filesystem::path& path, Codec& codec, std::uint64_t start,
                          std::uint64_t first_line, std::size_t max_line_bytes, std::size_t batch_bytes)
        : reader_(file, fd, path, start, first_line, max_line_bytes), codec_(codec), batch_bytes_(batch_bytes),
          offset_(start) {}
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

    bool next(raw_line& line, line_verdict& v, Event& ev) {
        for (;;) {
            batch& b = batches_[current_];
            if (pos_ < b.lines.size()) {
                entry& e = b.lines[pos_++];
                line = e.line;
                line.text = std::string_view(b.bytes.data() + e.text_at, e.line.text.size());
                v = std::move(e.verdict);
                if (v.k == line_verdict::kind::good) ev = std::move(b.events[e.event]);
                offset_ = line.end;
                return true;
            }
            if (b.error) std::rethrow_exception(std::exchange(b.error, nullptr));
            if (!advance()) return false;
        }
    }
    std::uint64_t offset() const noexcept { return offset_; }

private:
    struct entry {
        raw_line line; // text: only its size; the bytes are at text_at in the batch
        std::size_t text_at = 0;
        line_verdict verdict;
        std::size_t event = 0;
    };
    struct batch {
        std::string bytes;
        std::vector<entry> lines;
        std::vector<Event> events;
        std::exception_ptr error; ///< thrown once its lines are out
        bool last = false;        ///< nothing after it
    };

    /// Moves to the next batch, filling and decoding as needed. False at the end.
    bool advance() {
        batch& done = batches_[current_];
        if (done.last) return false;
        pos_ = 0;
        if (current_ == 0 && !started_) {
            // The first call: fill batch 0 (below), and batch 1 for the helper.
        } else if (current_ == 0) {
            current_ = 1; // batch 1 was handed to the helper: wait for it
            wait_decoded();
            return true;
        }
        // Refill both: 0 for us, 1 for the helper, if the file goes on.
        started_ = true;
        current_ = 0;
        fill(batches_[0]);
        if (!batches_[0].last) {
            fill(batches_[1]);
            hand_over();
        }
        decode(batches_[0], codec_);
        if (batches_[0].last) return !batches_[0].lines.empty() || batches_[0].error;
        return true;
    }

    void fill(batch& b) {
        b.bytes.clear();
        b.lines.clear();
        b.error = nullptr;
        b.last = false;
        raw_line l;
        try {
            while (b.bytes.size() < batch_bytes_) {
                if (!reader_.next(l)) {
                    b.last = true;
                    return;
                }
                entry& e = b.lines.emplace_back();
                e.line = l;
                e.text_at = b.bytes.size();
                b.bytes.append(l.text);
            }
        } catch (...) {
            b.error = std::current_exception(); // after the lines before it, as the serial reader would
            b.last = true;
        }
    }

    static void decode(batch& b, Codec& codec) {
        if (b.events.size() < b.lines.size()) b.events.resize(b.lines.size());
        std::size_t n = 0;
        for (entry& e : b.lines) {
            const std::string_view text(b.bytes.data() + e.text_at, e.line.text.size());
            classify_line(text, e.line.terminated, codec, e.verdict, b.events[n]);
            if (e.verdict.k == line_verdict::kind::good) e.event = n++;
        }
    }

    void hand_over() {
        {
            std::lock_guard lk(mutex_);
            pending_ = true;
        }
        if (!helper_.joinable()) helper_ = std::thread([this] { helper_loop(); });
        else cv_.notify_all();
    }

    void wait_decoded() {
        std::unique_lock lk(mutex_);
        cv_.wait(lk, [&] { return !pending_; });
        if (helper_error_) std::rethrow_exception(std::exchange(helper_error_, nullptr));
    }

    void helper_loop() {
        Codec codec;
        std::unique_lock lk(mutex_);
        for (;;) {
            cv_.wait(lk, [&] { return pending_ || stop_; });
            if (stop_) return;
            lk.unlock();
            std::exception_ptr err;
            try {
                decode(batches_[1], codec);
            } catch (...) {
                err = std::current_exception(); // memory: the caller rethrows it
            }
            lk.lock();
            helper_error_ = err;
            pending_ = false;
            cv_.notify_all();
        }
    }

    line_reader<File> reader_;
    Codec& codec_;
    std::size_t batch_bytes_;
    std::uint64_t offset_;
    batch batches_[2];
    int current_ = 0;
    std::size_t pos_ = 0;
    bool started_ = false;

    std::mutex mutex_;
    std::condition_variable cv_;
    bool pending_ = false; // batch 1 is the helper's until it clears this
    bool stop_ = false;
    std::exception_ptr helper_error_;
    std::thread helper_;
};

} // namespace evlog::detail
