// Streams the lines of a file in large chunks. Memory stays bounded by
// max(chunk, longest line), never by the file.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <evlog/core/errors.hpp>
#include <evlog/file/posix_file.hpp>
#include <evlog/log/format.hpp>

namespace evlog::detail {

/// One line as found in the file.
struct raw_line {
    std::string_view text;   ///< without '\n' and without a '\r' before it
    std::uint64_t offset = 0;///< of the first byte
    std::uint64_t end = 0;   ///< just past the '\n', or past the last byte if none
    std::uint64_t number = 0;///< 1-based when the reader started at the file's start
    bool terminated = false; ///< ended with '\n'
};

inline bool is_blank(std::string_view s) noexcept {
    return std::all_of(s.begin(), s.end(), [](char c) { return c == ' ' || c == '\t' || c == '\r'; });
}

inline bool is_all_nul(std::string_view s) noexcept {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c == '\0'; });
}

/// Reads lines with pread from `start` on. Lifetime: a returned line's text
/// is valid until the next call to next() or refill(), or, once its buffer
/// is handed over, for as long as the keeper keeps it.
template <class File>
class line_reader {
public:
    line_reader(File& file, int fd, std::filesystem::path path, std::uint64_t start = 0,
                std::uint64_t first_line_number = 1, std::size_t max_line_bytes = format::default_max_line_bytes,
                std::size_t chunk = format::default_read_chunk)
        : file_(file), fd_(fd), path_(std::move(path)), file_pos_(start), next_number_(first_line_number),
          max_line_(max_line_bytes), chunk_(std::max<std::size_t>(chunk, 64)) {
        buf_.resize(chunk_);
    }

    /// False at the end of the file. Throws evlog::error on a read failure
    /// or a line longer than max_line_bytes.
    bool next(raw_line& out) {
        for (;;) {
            if (next_buffered(out)) return true;
            if (eof_) return false;
            fill();
        }
    }

    /// As next(), but only from the bytes already read: false when they
    /// hold no whole line (then refill()), and at the end of the file.
    /// Lines are views into the buffer, which no call but refill() moves.
    bool next_buffered(raw_line& out) {
        const char* b = buf_.data() + pos_;
        const std::size_t avail = len_ - pos_;
        if (const void* nl = std::memchr(b, '\n', avail)) {
            const std::size_t n = static_cast<std::size_t>(static_cast<const char*>(nl) - b);
            check_length(n);
            emit(out, std::string_view(b, n), n + 1, true);
            return true;
        }
        check_length(avail);
        if (!eof_ || avail == 0) return false;
        emit(out, std::string_view(b, avail), avail, false);
        return true;
    }
    /// Reads more after the partial line, which it first moves to the
    /// front (so earlier lines' views into the buffer become invalid).
    void refill() { fill(); }
    /// Every byte of the file has been handed out.
    bool at_end() const noexcept { return eof_ && pos_ == len_; }

    /// Gives the buffer, and with it the views of the lines read from it,
    /// to `keeper`, and goes on in `keeper`'s old storage with the partial
    /// line copied over: the lines' bytes are read once and never copied,
    /// and stay valid while the reader reads on.
    void hand_over(std::vector<char>& keeper) {
        std::vector<char> next = std::move(keeper);
        const std::size_t keep = len_ - pos_;
        if (next.size() < std::max(chunk_, keep)) next.resize(std::max(chunk_, keep));
        std::memcpy(next.data(), buf_.data() + pos_, keep);
        keeper = std::move(buf_);
        buf_ = std::move(next);
        pos_ = 0;
        len_ = keep;
    }

    /// Bytes consumed so far, i.e. the offset of the next line.
    std::uint64_t offset() const noexcept { return file_pos_ - (len_ - pos_); }

private:
    void check_length(std::size_t n) const {
        if (n > max_line_) {
            std::uint64_t at = offset();
            throw error(make_error_code(errc::line_too_long),
                        "line is longer than max_line_bytes (" + std::to_string(max_line_) + ")",
                        location{path_, next_number_, at});
        }
    }

    void emit(raw_line& out, std::string_view text, std::size_t consumed, bool terminated) {
        out.offset = offset();
        out.end = out.offset + consumed;
        out.number = next_number_ ? next_number_++ : 0;
        out.terminated = terminated;
        if (terminated && !text.empty() && text.back() == '\r') text.remove_suffix(1);
        out.text = text;
        pos_ += consumed;
    }

    void fill() {
        // Keep the partial line, move it to the front, grow only if one line fills the buffer.
        std::size_t keep = len_ - pos_;
        if (pos_ > 0) {
            std::memmove(buf_.data(), buf_.data() + pos_, keep);
            pos_ = 0;
            len_ = keep;
        }
        if (buf_.size() - len_ < chunk_ / 2) buf_.resize(std::max(buf_.size() * 2, len_ + chunk_));
        std::size_t got = 0;
        if (auto ec = file_.pread(fd_, buf_.data() + len_, buf_.size() - len_, file_pos_, got))
            throw error(ec, "read " + path_.string(), location{path_, 0, file_pos_});
        if (got == 0) eof_ = true;
        len_ += got;
        file_pos_ += got;
    }

    File& file_;
    int fd_;
    std::filesystem::path path_;
    std::uint64_t file_pos_;     // file offset of buf_[len_]
    std::uint64_t next_number_;  // 0: line numbers unknown (reading from an offset)
    std::size_t max_line_;
    std::size_t chunk_;
    std::vector<char> buf_;
    std::size_t pos_ = 0, len_ = 0;
    bool eof_ = false;
};

} // namespace evlog::detail
