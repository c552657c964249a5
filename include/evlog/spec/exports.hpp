// Exports of a spec's state into `exports/`: Markdown (spec.md, what the Go
// daemon writes), YAML (spec.yaml) and Graphviz DOT (spec.dot). Exports are
// derived files like the index: each is replaced atomically and can be
// written again from the log at any time.
#pragma once

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <evlog/core/errors.hpp>
#include <evlog/file/atomic_file.hpp>
#include <evlog/file/posix_file.hpp>
#include <evlog/spec/state.hpp>
#include <evlog/spec/types.hpp>

namespace evlog::spec {

/// Which exports to write; combine with |.
enum class export_format : unsigned { markdown = 1, yaml = 2, dot = 4, all = 7 };

constexpr export_format operator|(export_format a, export_format b) {
    return static_cast<export_format>(static_cast<unsigned>(a) | static_cast<unsigned>(b));
}
constexpr bool has(export_format set, export_format f) {
    return (static_cast<unsigned>(set) & static_cast<unsigned>(f)) != 0;
}

namespace detail {

/// The lane's cards in index order (list_cards): by order, cards of equal
/// order in the order the log last (re)created them (created_before).
inline std::vector<const card*> lane_cards(const spec_state& s, std::string_view lane) {
    std::vector<const card*> out;
    for (const auto& [id, c] : s.cards)
        if (c.lane == lane) out.push_back(&c);
    std::stable_sort(out.begin(), out.end(), [&s](const card* a, const card* b) {
        if (a->order != b->order) return a->order < b->order;
        return created_before(s, *a, *b);
    });
    return out;
}

/// Lanes in state order, then any lane a card names that the list lacks,
/// so that no card is left out of an export.
inline std::vector<std::string> all_lanes(const spec_state& s) {
    std::vector<std::string> lanes = s.lanes;
    for (const auto& [id, c] : s.cards)
        if (std::find(lanes.begin(), lanes.end(), c.lane) == lanes.end()) lanes.push_back(c.lane);
    return lanes;
}

/// A JSON string literal made a valid YAML double-quoted scalar: YAML
/// forbids DEL and the C1 controls raw even inside quotes, and YAML 1.1
/// readers take NEL (U+0085), U+2028 and U+2029 for line breaks, so those
/// are written as \uXXXX escapes, which both languages read alike.
inline std::string yaml_quoted(std::string_view s) {
    const std::string json = boost::json::serialize(boost::json::string(s));
    std::string out;
    out.reserve(json.size());
    const auto escape = [&](unsigned cp) {
        constexpr char hex[] = "0123456789ABCDEF";
        out += "\\u";
        for (int shift = 12; shift >= 0; shift -= 4) out += hex[(cp >> shift) & 0xF];
    };
    const auto byte = [&](std::size_t i) { return i < json.size() ? static_cast<unsigned char>(json[i]) : 0u; };
    for (std::size_t i = 0; i < json.size(); ++i) {
        const unsigned b = byte(i);
        if (b == 0x7F) {
            escape(0x7F);
        } else if (b == 0xC2 && byte(i + 1) >= 0x80 && byte(i + 1) <= 0x9F) { // U+0080..U+009F
            escape(byte(i + 1));
            i += 1;
        } else if (b == 0xE2 && byte(i + 1) == 0x80 && (byte(i + 2) == 0xA8 || byte(i + 2) == 0xA9)) {
            escape(0x2028 + (byte(i + 2) - 0xA8));
            i += 2;
        } else {
            out += json[i];
        }
    }
    return out;
}

/// A float as YAML 1.1 and 1.2 readers both take it for a number: whole
/// values as integers, others in shortest round-trip form with a '.' in
/// the mantissa (YAML 1.1 reads "5E-1" or "1e+20" as strings).
inline std::string yaml_number(double d) {
    if (std::isnan(d)) return ".nan";
    if (std::isinf(d)) return d < 0 ? "-.inf" : ".inf";
    if (auto v = number_like_go(d); v.is_int64()) return std::to_string(v.get_int64());
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, d);
    std::string s(buf, res.ptr);
    const auto e = s.find_first_of("eE");
    if (s.find('.') == std::string::npos) s.insert(e == std::string::npos ? s.size() : e, ".0");
    return s;
}

inline std::string dot_quoted(std::string_view s) {
    std::string out = "\"";
    for (char ch : s) {
        if (ch == '"' || ch == '\\') out += '\\';
        if (ch == '\n') {
            out += "\\n";
            continue;
        }
        out += ch;
    }
    return out + "\"";
}

} // namespace detail

/// spec.md: title, one-liner, goal, the optional core texts, then each lane
/// with its cards.
inline std::string render_markdown(const spec_state& s) {
    const auto& c = s.core;
    std::string out = "# " + c.title + "\n\n";
    if (!c.one_liner.empty()) out += "_" + c.one_liner + "_\n\n";
    out += "## Goal\n\n" + c.goal + "\n\n";
    const std::pair<const char*, const std::optional<std::string>*> texts[] = {
        {"Description", &c.description}, {"Constraints", &c.constraints},
        {"Success criteria", &c.success_criteria}, {"Risks", &c.risks}, {"Notes", &c.notes}};
    for (const auto& [heading, text] : texts)
        if (*text) out += std::string("## ") + heading + "\n\n" + **text + "\n\n";
    for (const auto& lane : detail::all_lanes(s)) {
        out += "## " + lane + "\n\n";
        auto cards = detail::lane_cards(s, lane);
        if (cards.empty()) out += "_(no cards)_\n\n";
        for (const card* k : cards) {
            out += "### " + k->title + " (" + k->card_type + ")\n\n";
            if (k->body) out += *k->body + "\n\n";
            if (!k->refs.empty()) {
                out += "Refs:";
                for (const auto& r : k->refs) out += " " + r;
                out += "\n\n";
            }
        }
    }
    return out;
}

/// spec.yaml: the core and the lanes with their cards; every string is
/// double-quoted so that no text can change the document's structure.
inline std::string render_yaml(const spec_state& s) {
    const auto quoted = [](std::string_view v) { return detail::yaml_quoted(v); };
    const auto& c = s.core;
    std::string out = "spec_id: " + quoted(c.spec_id.str()) + "\n";
    out += "title: " + quoted(c.title) + "\none_liner: " + quoted(c.one_liner) + "\ngoal: " + quoted(c.goal) + "\n";
    const std::pair<const char*, const std::optional<std::string>*> texts[] = {
        {"description", &c.description}, {"constraints", &c.constraints},
        {"success_criteria", &c.success_criteria}, {"risks", &c.risks}, {"notes", &c.notes}};
    for (const auto& [key, text] : texts)
        if (*text) out += std::string(key) + ": " + quoted(**text) + "\n";
    out += "created_at: " + quoted(c.created_at.str()) + "\nupdated_at: " + quoted(c.updated_at.str()) + "\n";
    out += "last_event_id: " + std::to_string(s.last_event_id) + "\nlanes:\n";
    for (const auto& lane : detail::all_lanes(s)) {
        out += "  - name: " + quoted(lane) + "\n";
        auto cards = detail::lane_cards(s, lane);
        out += cards.empty() ? "    cards: []\n" : "    cards:\n";
        for (const card* k : cards) {
            out += "      - card_id: " + quoted(k->card_id.str()) + "\n";
            out += "        card_type: " + quoted(k->card_type) + "\n";
            out += "        title: " + quoted(k->title) + "\n";
            out += "        body: " + (k->body ? quoted(*k->body) : std::string("null")) + "\n";
            out += "        order: " + detail::yaml_number(k->order) + "\n";
            out += "        refs: [";
            for (std::size_t i = 0; i < k->refs.size(); ++i) out += (i ? ", " : "") + quoted(k->refs[i]);
            out += "]\n";
        }
    }
    return out;
}

/// spec.dot: one cluster per lane, one node per card, an edge per ref.
/// A ref that names no card gets a plain-text node, so it is not lost.
inline std::string render_dot(const spec_state& s) {
    using detail::dot_quoted;
    std::string out = "digraph spec {\n  label=" + dot_quoted(s.core.title) + ";\n  rankdir=LR;\n  node [shape=box];\n";
    std::size_t n = 0;
    for (const auto& lane : detail::all_lanes(s)) {
        out += "  subgraph cluster_" + std::to_string(n++) + " {\n    label=" + dot_quoted(lane) + ";\n";
        for (const card* k : detail::lane_cards(s, lane))
            out += "    " + dot_quoted(k->card_id.str()) + " [label=" + dot_quoted(k->title + "\n(" + k->card_type + ")") +
                   "];\n";
        out += "  }\n";
    }
    for (const auto& [id, k] : s.cards)
        for (const auto& r : k.refs) {
            auto target = ulid::parse(r);
            if (!target || !s.cards.contains(*target))
                out += "  " + dot_quoted("ref:" + r) + " [shape=plaintext, label=" + dot_quoted(r) + "];\n";
            out += "  " + dot_quoted(id.str()) + " -> " +
                   dot_quoted(target && s.cards.contains(*target) ? target->str() : "ref:" + r) + ";\n";
        }
    return out + "}\n";
}

/// Writes the chosen exports into `dir` (created if missing), each file
/// replaced atomically. Returns the paths written. Throws evlog::error.
template <class File = posix_file>
std::vector<std::filesystem::path> write_exports(const std::filesystem::path& dir, const spec_state& s,
                                                 export_format formats = export_format::all, File file = {}) {
    if (auto ec = file.mkdirs(dir)) throw error(ec, "create directory " + dir.string());
    std::vector<std::filesystem::path> written;
    auto put = [&](export_format f, const char* name, std::string (*render)(const spec_state&)) {
        if (!has(formats, f)) return;
        auto target = dir / name;
        atomic_file<File> out(file, target, dir / (std::string(".") + name + ".tmp"));
        out.write(render(s));
        out.commit();
        written.push_back(target);
    };
    put(export_format::markdown, "spec.md", render_markdown);
    put(export_format::yaml, "spec.yaml", render_yaml);
    put(export_format::dot, "spec.dot", render_dot);
    return written;
}

} // namespace evlog::spec
