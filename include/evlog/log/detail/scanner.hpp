// Classifies each line of a log as blank, a good event or a bad line. The
// one place that decides what "bad" means, shared by replay and repair.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <system_error>

#include <evlog/core/codec.hpp>
#include <evlog/log/detail/line_reader.hpp>

namespace evlog::detail {

enum class line_kind { blank, good, bad };

struct scanned_line {
    raw_line line;
    line_kind kind = line_kind::blank;
    std::error_code reason; ///< for bad lines
    std::string detail;     ///< for bad lines
};

template <class Event, class Codec, class File>
class scanner {
public:
    scanner(File& file, int fd, const std::filesystem::path& path, Codec& codec, std::uint64_t start,
            std::uint64_t first_line, std::size_t max_line_bytes, std::optional<std::uint64_t> last_id = {})
        : reader_(file, fd, path, start, first_line, max_line_bytes), codec_(codec), last_id_(last_id) {}

    /// False at the end. A good line is decoded into `ev`.
    bool next(scanned_line& out, Event& ev) {
        if (!reader_.next(out.line)) return false;
        const auto text = out.line.text;
        if (is_blank(text)) {
            out.kind = line_kind::blank;
            return true;
        }
        out.kind = line_kind::bad;
        if (is_all_nul(text)) {
            out.reason = make_error_code(errc::nul_bytes);
            out.detail = std::to_string(text.size()) + " NUL bytes";
            return true;
        }
        if (auto ec = codec_.decode(text, ev)) {
            // An unterminated line that does not parse is what a crash mid-write leaves.
            out.reason = (!out.line.terminated && ec == errc::malformed_line) ? make_error_code(errc::torn_line) : ec;
            out.detail = std::string(codec_.error_detail());
            return true;
        }
        if (last_id_ && ev.id <= *last_id_) {
            out.reason = make_error_code(errc::id_not_increasing);
            out.detail = "event_id " + std::to_string(ev.id) + " after " + std::to_string(*last_id_);
            return true;
        }
        last_id_ = ev.id;
        out.kind = line_kind::good;
        return true;
    }

    std::optional<std::uint64_t> last_id() const noexcept { return last_id_; }
    std::uint64_t offset() const noexcept { return reader_.offset(); }

private:
    line_reader<File> reader_;
    Codec& codec_;
    std::optional<std::uint64_t> last_id_;
};

} // namespace evlog::detail
