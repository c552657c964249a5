// Classifies each line of a log as blank, a good event or a bad line. The
// one place that decides what "bad" means, shared by replay and repair.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include <evlog/core/codec.hpp>
#include <evlog/log/detail/line_decoder.hpp>
#include <evlog/log/detail/line_reader.hpp>

namespace evlog::detail {

enum class line_kind { blank, good, bad };

/// One classified line. `line.text` is valid only for the line the
/// scanner has just read; lines it held back carry an empty text.
struct scanned_line {
    raw_line line;
    line_kind kind = line_kind::blank;
    std::error_code reason; ///< for bad lines
    std::string detail;     ///< for bad lines
};

/// Yields lines in file order. Ids must strictly increase; when one does
/// not, the scanner decides which line breaks the sequence by looking one
/// good line ahead: in `… 10, 1000, 11, 12 …` the 1000 is the bad one (a
/// single outlier), while in `… 10, 11, 11 …` or `… 10, 11, 5, 12 …` the
/// later line is. So a good line is yielded only once the next good line
/// (or the end of the file) confirms it; bad and blank lines after it wait
/// with it, keeping file order.
template <class Event, class Codec, class File>
class scanner {
public:
    /// With `parallel_batch_bytes` > 0, lines are decoded in batches of
    /// about that size, every other one on a helper thread
    /// (parallel_line_decoder); the lines, verdicts and events are the same.
    scanner(File& file, int fd, const std::filesystem::path& path, Codec& codec, std::uint64_t start,
            std::uint64_t first_line, std::size_t max_line_bytes, std::optional<std::uint64_t> last_id = {},
            std::size_t parallel_batch_bytes = 0)
        : confirmed_id_(last_id) {
        if (parallel_batch_bytes > 0)
            parallel_.emplace(file, fd, path, codec, start, first_line, max_line_bytes, parallel_batch_bytes);
        else
            serial_.emplace(file, fd, path, codec, start, first_line, max_line_bytes);
    }

    /// False at the end. For a good line `ev` points at its event, which
    /// stays valid until the next call.
    bool next(scanned_line& out, const Event*& ev) {
        while (size() == 0 || (held_ && held_index_ == 0)) {
            if (!read_one()) {
                held_ = false; // the end confirms the held line
                if (size() == 0) return false;
                break;
            }
        }
        auto& front = queue_[head_];
        out = std::move(front.line);
        ev = front.event;
        pop_front();
        if (held_) --held_index_;
        return true;
    }

    /// Bytes consumed so far (the reader may be ahead of what was yielded).
    std::uint64_t offset() const noexcept { return serial_ ? serial_->offset() : parallel_->offset(); }

private:
    struct item {
        scanned_line line;
        Event* event = nullptr; ///< a good line's event
    };

    // The queue is a vector from head_ on: lines go through it one at a
    // time, and a deque would allocate and free a block every few lines.
    std::size_t size() const noexcept { return queue_.size() - head_; }
    item& at(std::size_t i) noexcept { return queue_[head_ + i]; }
    void pop_front() noexcept {
        if (++head_ == queue_.size()) {
            queue_.clear();
            head_ = 0;
        }
    }

    // Reads and classifies one line into the queue. False at the end.
    bool read_one() {
        item it;
        // The only event alive here is the held line's (whatever was yielded
        // before it is done with: the caller has called next() again), so
        // the other of the two scratch events is free. The parallel decoder
        // leaves events in its batches and points at them instead.
        Event& scratch = events_[held_ && at(held_index_).event == &events_[0] ? 1 : 0];
        if (held_ && held_index_ + 1 != size()) own_held();
        Event* decoded = nullptr;
        if (!(serial_ ? serial_->next(it.line.line, verdict_, scratch, decoded)
                      : parallel_->next(it.line.line, verdict_, scratch, decoded)))
            return false;
        auto& s = it.line;
        if (verdict_.k == line_verdict::kind::blank) {
            push(std::move(it));
            return true;
        }
        if (verdict_.k == line_verdict::kind::bad) {
            s.kind = line_kind::bad;
            s.reason = verdict_.reason;
            s.detail = std::move(verdict_.detail);
            push(std::move(it));
            return true;
        }
        it.event = decoded;
        const std::uint64_t id = decoded->id;
        if (held_) {
            auto& held = at(held_index_);
            const std::uint64_t held_id = held.event->id;
            if (id > held_id) {
                confirmed_id_ = held_id; // the held line is confirmed good
            } else if (id < held_id && (!confirmed_id_ || id > *confirmed_id_)) {
                // The held line is the outlier: this one fits after the line before it.
                held.line.kind = line_kind::bad;
                held.line.reason = make_error_code(errc::id_not_increasing);
                held.line.detail = "event_id " + std::to_string(held_id) + " is out of sequence (" +
                                   (confirmed_id_ ? std::to_string(*confirmed_id_) : std::string("start")) +
                                   " before it, " + std::to_string(id) + " after it)";
                held.event = nullptr;
            } else {
                mark_out_of_order(it, held_id);
                push(std::move(it));
                return true;
            }
        } else if (confirmed_id_ && id <= *confirmed_id_) {
            mark_out_of_order(it, *confirmed_id_);
            push(std::move(it));
            return true;
        }
        s.kind = line_kind::good;
        s.line.text = {};
        push_back(std::move(it));
        held_ = true;
        held_index_ = size() - 1;
        return true;
    }

    /// The parallel decoder's events live in its batches, which it reuses
    /// once the lines after them have been read out; a held line with
    /// others queued behind it may wait longer, so its event moves here.
    void own_held() {
        item& h = at(held_index_);
        if (h.event == &events_[0] || h.event == &events_[1]) return;
        events_[0] = std::move(*h.event);
        h.event = &events_[0];
    }

    void mark_out_of_order(item& it, std::uint64_t after) {
        it.line.kind = line_kind::bad;
        it.line.reason = make_error_code(errc::id_not_increasing);
        it.line.detail = "event_id " + std::to_string(it.event->id) + " after " + std::to_string(after);
        it.event = nullptr;
    }

    void push(item&& it) {
        // Only the line just read may keep a view into the reader's buffer,
        // and it is yielded only if nothing waits before it.
        if (size() != 0) it.line.line.text = {};
        push_back(std::move(it));
    }

    void push_back(item&& it) {
        if (head_ >= 16 && head_ >= size()) { // mostly yielded lines: drop them
            queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
            head_ = 0;
        }
        queue_.push_back(std::move(it));
    }

    std::optional<serial_line_decoder<Event, Codec, File>> serial_;
    std::optional<parallel_line_decoder<Event, Codec, File>> parallel_;
    line_verdict verdict_;
    std::optional<std::uint64_t> confirmed_id_; // id of the last good line known to be good
    std::vector<item> queue_;
    std::size_t head_ = 0;
    Event events_[2]; // the serial decoder's scratch
    bool held_ = false;          // queue_[held_index_] is a good line awaiting confirmation
    std::size_t held_index_ = 0;
};

} // namespace evlog::detail
