// Classifies each line of a log as blank, a good event or a bad line. The
// one place that decides what "bad" means, shared by replay and repair.
#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <system_error>
#include <utility>

#include <evlog/core/codec.hpp>
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
    scanner(File& file, int fd, const std::filesystem::path& path, Codec& codec, std::uint64_t start,
            std::uint64_t first_line, std::size_t max_line_bytes, std::optional<std::uint64_t> last_id = {})
        : reader_(file, fd, path, start, first_line, max_line_bytes), codec_(codec), confirmed_id_(last_id) {}

    /// False at the end. A good line's event is moved into `ev`.
    bool next(scanned_line& out, Event& ev) {
        while (queue_.empty() || (held_ && held_index_ == 0)) {
            if (!read_one()) {
                held_ = false; // the end confirms the held line
                if (queue_.empty()) return false;
                break;
            }
        }
        auto& front = queue_.front();
        out = std::move(front.line);
        if (front.event) ev = std::move(*front.event);
        queue_.pop_front();
        if (held_) --held_index_;
        return true;
    }

    /// Bytes consumed so far (the reader may be ahead of what was yielded).
    std::uint64_t offset() const noexcept { return reader_.offset(); }

private:
    struct item {
        scanned_line line;
        std::optional<Event> event;
    };

    // Reads and classifies one line into the queue. False at the end.
    bool read_one() {
        item it;
        if (!reader_.next(it.line.line)) return false;
        auto& s = it.line;
        const auto text = s.line.text;
        if (is_blank(text)) {
            push(std::move(it));
            return true;
        }
        s.kind = line_kind::bad;
        if (is_all_nul(text)) {
            s.reason = make_error_code(errc::nul_bytes);
            s.detail = std::to_string(text.size()) + " NUL bytes";
            push(std::move(it));
            return true;
        }
        it.event.emplace();
        if (auto ec = codec_.decode(text, *it.event)) {
            // An unterminated line that does not parse is what a crash mid-write leaves.
            s.reason = (!s.line.terminated && ec == errc::malformed_line) ? make_error_code(errc::torn_line) : ec;
            s.detail = std::string(codec_.error_detail());
            it.event.reset();
            push(std::move(it));
            return true;
        }
        const std::uint64_t id = it.event->id;
        if (held_) {
            auto& held = queue_[held_index_];
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
                held.event.reset();
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
        queue_.push_back(std::move(it));
        held_ = true;
        held_index_ = queue_.size() - 1;
        return true;
    }

    static void mark_out_of_order(item& it, std::uint64_t after) {
        it.line.kind = line_kind::bad;
        it.line.reason = make_error_code(errc::id_not_increasing);
        it.line.detail = "event_id " + std::to_string(it.event->id) + " after " + std::to_string(after);
        it.event.reset();
    }

    void push(item&& it) {
        // Only the line just read may keep a view into the reader's buffer,
        // and it is yielded only if nothing waits before it.
        if (!queue_.empty()) it.line.line.text = {};
        queue_.push_back(std::move(it));
    }

    line_reader<File> reader_;
    Codec& codec_;
    std::optional<std::uint64_t> confirmed_id_; // id of the last good line known to be good
    std::deque<item> queue_;
    bool held_ = false;          // queue_[held_index_] is a good line awaiting confirmation
    std::size_t held_index_ = 0;
};

} // namespace evlog::detail
