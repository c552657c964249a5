// Exports of a spec's state: Markdown names every card, YAML keeps its
// structure whatever the strings hold, DOT has a cluster per lane and an
// edge per ref, and write_exports replaces files atomically.
#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdint>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <evlog/file/fault_file.hpp>
#include <evlog/spec/exports.hpp>
#include <evlog/spec/reducer.hpp>

#include "spec/spec_test_util.hpp"
#include "support/log_test_util.hpp"

namespace {

namespace fs = std::filesystem;
namespace spec = evlog::spec;

const evlog::ulid scratch_id = *evlog::ulid::parse("01KJP0000SSSSSSSSSSSSSSSSS");

/// The states the exports are checked on: every fixture's and the scratch one.
std::vector<std::pair<std::string, spec::spec_state>> states() {
    std::vector<std::pair<std::string, spec::spec_state>> out;
    for (const auto& f : spectest::clean_specs()) out.emplace_back(f.name, spectest::fold(f.log));
    auto s = spec::initial_state(scratch_id);
    for (const auto& e : spectest::all_kinds_events(scratch_id)) spec::apply(s, e);
    out.emplace_back("scratch", std::move(s));
    return out;
}

/// A state whose strings try to break out of their quotes: quotes, newlines,
/// `: ` and `- `, `#`, backslashes, control characters, DEL, C1 controls,
/// U+2028, and a card in a lane the lane list does not name.
spec::spec_state hostile_state() {
    auto s = spec::initial_state(scratch_id);
    s.core.title = "Title \"quoted\"\n: broken: yes\n- item";
    s.core.one_liner = "# not a comment";
    s.core.goal = "back\\slash \\\" and \t tab";
    s.core.notes = std::string("nul-free controls \x01\x1f, DEL \x7f, C1 \xc2\x85 \xc2\x9b, LS \xe2\x80\xa8 end");
    s.lanes = {"Ideas", "Lane: \"odd\"\n- x", "Spec"};
    const char* titles[] = {"\"\n:", "a: b\n  c: d", "}\n];{", "tab\there \\n not a newline"};
    const char* lanes[] = {"Ideas", "Lane: \"odd\"\n- x", "Archive \"x\"", "Spec"};
    const char* ids[] = {"01KJP0000AAAAAAAAAAAAAAAAA", "01KJP0000BBBBBBBBBBBBBBBBB", "01KJP0000CCCCCCCCCCCCCCCCC",
                         "01KJP0000DDDDDDDDDDDDDDDDD"};
    for (int i = 0; i < 4; ++i) {
        spec::card c;
        c.card_id = *evlog::ulid::parse(ids[i]);
        c.card_type = i % 2 ? "task\n#x" : "idea";
        c.title = titles[i];
        if (i != 2) c.body = std::string("body ") + titles[i] + "\x7f";
        c.lane = lanes[i];
        c.order = i - 1.5;
        c.refs = {ids[(i + 1) % 4], "ref \"with\" quotes\n"};
        s.cards.emplace(c.card_id, c);
    }
    return s;
}

/// The lanes an export must show: the state's, then any a card names.
std::vector<std::string> lanes_of(const spec::spec_state& s) {
    std::vector<std::string> out = s.lanes;
    for (const auto& [id, c] : s.cards)
        if (std::find(out.begin(), out.end(), c.lane) == out.end()) out.push_back(c.lane);
    return out;
}

// ------------------------------------------------------------------ YAML

/// Appends code point `cp` as UTF-8.
void put_utf8(std::string& out, std::uint32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

/// The next UTF-8 code point of `s` at `i`, or -1 when the bytes are not UTF-8.
long next_code_point(std::string_view s, std::size_t& i) {
    const auto b = static_cast<unsigned char>(s[i]);
    int n = b < 0x80 ? 0 : (b >> 5) == 6 ? 1 : (b >> 4) == 14 ? 2 : (b >> 3) == 30 ? 3 : -1;
    if (n < 0 || i + static_cast<std::size_t>(n) >= s.size() + (n == 0)) return -1;
    long cp = n == 0 ? b : b & (0x3F >> n);
    for (int k = 1; k <= n; ++k) {
        const auto c = static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]);
        if ((c >> 6) != 2) return -1;
        cp = (cp << 6) | (c & 0x3F);
    }
    i += static_cast<std::size_t>(n) + 1;
    return cp;
}

/// YAML 1.2 c-printable, less what a YAML 1.1 reader (PyYAML, libyaml)
/// takes for a line break inside quotes, NEL, U+2028 and U+2029: raw, they
/// would be folded into spaces.
bool yaml_printable(long cp) {
    return cp == 0x09 || (cp >= 0x20 && cp <= 0x7E) || (cp >= 0xA0 && cp <= 0xD7FF && cp != 0x2028 && cp != 0x2029) ||
           (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

/// Reads a YAML double-quoted scalar at `s[i]` by the YAML 1.2 rules,
/// moving `i` past it. Fails the test (and returns nullopt) on a raw
/// character YAML forbids, an escape YAML lacks, or a missing closing quote.
std::optional<std::string> read_yaml_quoted(std::string_view s, std::size_t& i) {
    if (i >= s.size() || s[i] != '"') return std::nullopt;
    std::string out;
    for (++i; i < s.size();) {
        const char ch = s[i];
        if (ch == '"') {
            ++i;
            return out;
        }
        if (ch != '\\') {
            const std::size_t at = i;
            const long cp = next_code_point(s, i);
            BOOST_TEST_REQUIRE(cp >= 0, "bad UTF-8 at byte " << at);
            if (!yaml_printable(cp)) {
                BOOST_ERROR("raw character U+" << std::hex << cp << " is not allowed in YAML: " << s);
                return std::nullopt;
            }
            out.append(s.substr(at, i - at));
            continue;
        }
        if (++i >= s.size()) return std::nullopt;
        const char e = s[i++];
        const auto hex = [&](int digits) -> std::optional<std::uint32_t> {
            if (i + static_cast<std::size_t>(digits) > s.size()) return std::nullopt;
            std::uint32_t v = 0;
            for (int k = 0; k < digits; ++k) {
                const char h = s[i++];
                if (!std::isxdigit(static_cast<unsigned char>(h))) return std::nullopt;
                v = v * 16 + static_cast<std::uint32_t>(std::isdigit(static_cast<unsigned char>(h)) ? h - '0' : (std::tolower(h) - 'a' + 10));
            }
            return v;
        };
        std::optional<std::uint32_t> cp;
        switch (e) {
        case '0': cp = 0; break;
        case 'a': cp = 7; break;
        case 'b': cp = 8; break;
        case 't': case '\t': cp = 9; break;
        case 'n': cp = 10; break;
        case 'v': cp = 11; break;
        case 'f': cp = 12; break;
        case 'r': cp = 13; break;
        case 'e': cp = 27; break;
        case ' ': cp = 32; break;
        case '"': cp = 34; break;
        case '/': cp = 47; break;
        case '\\': cp = 92; break;
        case 'N': cp = 0x85; break;
        case '_': cp = 0xA0; break;
        case 'L': cp = 0x2028; break;
        case 'P': cp = 0x2029; break;
        case 'x': cp = hex(2); break;
        case 'u': {
            cp = hex(4);
            // JSON writes astral characters as surrogate pairs; YAML reads them so too.
            if (cp && *cp >= 0xD800 && *cp < 0xDC00 && s.substr(i, 2) == "\\u") {
                i += 2;
                auto lo = hex(4);
                if (!lo) return std::nullopt;
                cp = 0x10000 + ((*cp - 0xD800) << 10) + (*lo - 0xDC00);
            }
            break;
        }
        case 'U': cp = hex(8); break;
        default: BOOST_ERROR("\\" << e << " is not a YAML escape: " << s); return std::nullopt;
        }
        if (!cp) return std::nullopt;
        put_utf8(out, *cp);
    }
    BOOST_ERROR("unterminated quoted scalar: " << s);
    return std::nullopt;
}

/// A YAML flow value as the exporter writes them: a quoted scalar, a
/// number, null, or a flow sequence of quoted scalars. Quoted scalars are
/// decoded into `strings`.
bool read_yaml_value(std::string_view v, std::vector<std::string>& strings) {
    static const std::regex plain(R"(null|-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?)");
    if (v.front() != '"' && v.front() != '[') return std::regex_match(v.begin(), v.end(), plain);
    std::size_t i = 0;
    if (v.front() == '"') {
        auto s = read_yaml_quoted(v, i);
        if (!s || i != v.size()) return false;
        strings.push_back(*s);
        return true;
    }
    if (v.front() != '[' || v.back() != ']') return false;
    i = 1;
    while (i < v.size() - 1) {
        auto s = read_yaml_quoted(v, i);
        if (!s) return false;
        strings.push_back(*s);
        if (v.substr(i, 2) == ", ") i += 2;
        else if (i != v.size() - 1) return false;
    }
    return true;
}

/// Parses the exporter's YAML by its grammar: every line is `indent key:`,
/// `indent key: value` or `indent - key: value`, indents match nesting, and
/// values read by read_yaml_value. Returns each key path with its decoded
/// strings, e.g. "lanes.cards.title" -> every card title in order.
std::map<std::string, std::vector<std::string>> parse_export_yaml(const std::string& yaml) {
    std::map<std::string, std::vector<std::string>> out;
    std::vector<std::string> path; // the open block keys
    std::size_t n = 0, a = 0;
    for (std::size_t b; (b = yaml.find('\n', a)) != std::string::npos; a = b + 1) {
        const std::string_view line(yaml.data() + a, b - a);
        ++n;
        std::size_t i = line.find_first_not_of(' ');
        BOOST_TEST_REQUIRE(i != std::string_view::npos, "line " << n << " is empty");
        std::size_t indent = i;
        if (line.substr(i, 2) == "- ") {
            i += 2;
            indent += 2;
        }
        const std::size_t key_end = line.find_first_not_of("abcdefghijklmnopqrstuvwxyz_", i);
        BOOST_TEST_REQUIRE((key_end != std::string_view::npos && key_end > i && line[key_end] == ':'),
                           "line " << n << " breaks the structure: " << line);
        const std::string key(line.substr(i, key_end - i));
        // Block nesting: 0 top level, 4 a lane's keys, 8 a card's keys.
        const std::size_t depth = indent == 0 ? 0 : indent == 4 ? 1 : indent == 8 ? 2 : 99;
        BOOST_TEST_REQUIRE(depth <= path.size(), "line " << n << " is indented past its block: " << line);
        path.resize(depth);
        std::string full;
        for (const auto& p : path) full += p + ".";
        full += key;
        if (key_end + 1 == line.size()) {
            path.push_back(key); // a block follows
            continue;
        }
        BOOST_TEST_REQUIRE((line.substr(key_end, 2) == ": " && key_end + 2 < line.size()),
                           "line " << n << " breaks the structure: " << line);
        BOOST_TEST_REQUIRE(read_yaml_value(line.substr(key_end + 2), out[full]),
                           "line " << n << " has a value YAML reads otherwise: " << line);
    }
    BOOST_TEST(a == yaml.size(), "the document does not end with a newline");
    return out;
}

// ------------------------------------------------------------------- DOT

/// The DOT document's tokens outside quoted strings must balance braces and
/// each quoted string must close on its line: a title cannot end a string.
void check_dot_strings_balanced(const std::string& dot) {
    int depth = 0;
    bool in_string = false;
    for (std::size_t i = 0; i < dot.size(); ++i) {
        const char c = dot[i];
        if (in_string) {
            if (c == '\\') {
                ++i;
            } else if (c == '"') {
                in_string = false;
            } else {
                BOOST_TEST_REQUIRE(c != '\n', "a string runs past its line at byte " << i);
            }
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{') {
            ++depth;
        } else if (c == '}') {
            BOOST_TEST_REQUIRE(--depth >= 0);
        }
    }
    BOOST_TEST(!in_string);
    BOOST_TEST(depth == 0);
}

/// A DOT quoted string as the exporter must write it.
std::string dot_q(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n') out += "\\n";
        else out += c;
    }
    return out + "\"";
}

std::size_t count_of(const std::string& hay, const std::string& needle) {
    std::size_t n = 0;
    for (auto at = hay.find(needle); at != std::string::npos; at = hay.find(needle, at + needle.size())) ++n;
    return n;
}

std::vector<std::string> dir_listing(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

} // namespace

BOOST_AUTO_TEST_SUITE(spec_exports)

BOOST_AUTO_TEST_CASE(EveryCardTitleAppearsInMarkdown) {
    for (const auto& [name, s] : states()) {
        BOOST_TEST_CONTEXT(name) {
            BOOST_TEST_REQUIRE(!s.cards.empty());
            const auto md = spec::render_markdown(s);
            BOOST_TEST(md.rfind("# " + s.core.title + "\n", 0) == 0u);
            for (const auto& [id, c] : s.cards) {
                BOOST_TEST(md.find("### " + c.title + " (" + c.card_type + ")\n") != std::string::npos, c.title);
                if (c.body) BOOST_TEST(md.find(*c.body) != std::string::npos, *c.body);
            }
            for (const auto& lane : lanes_of(s)) BOOST_TEST(count_of(md, "\n## " + lane + "\n") == 1u, lane);
        }
    }
}

BOOST_AUTO_TEST_CASE(CardInUnlistedLaneIsStillExported) {
    const auto s = hostile_state();
    const auto& archived = s.cards.at(*evlog::ulid::parse("01KJP0000CCCCCCCCCCCCCCCCC"));
    BOOST_TEST_REQUIRE((std::find(s.lanes.begin(), s.lanes.end(), archived.lane) == s.lanes.end()));
    BOOST_TEST(spec::render_markdown(s).find("## " + archived.lane + "\n") != std::string::npos);
    BOOST_TEST(spec::render_dot(s).find("label=" + dot_q(archived.lane) + ";") != std::string::npos);
    const auto yaml = parse_export_yaml(spec::render_yaml(s));
    const auto& names = yaml.at("lanes.name");
    BOOST_TEST((std::find(names.begin(), names.end(), archived.lane) != names.end()));
}

BOOST_AUTO_TEST_CASE(YamlKeepsStructureAndStringsOfEveryState) {
    auto all = states();
    all.emplace_back("hostile", hostile_state());
    for (const auto& [name, s] : all) {
        BOOST_TEST_CONTEXT(name) {
            const auto yaml = parse_export_yaml(spec::render_yaml(s));
            BOOST_TEST(yaml.at("title") == std::vector<std::string>{s.core.title}, boost::test_tools::per_element());
            BOOST_TEST(yaml.at("goal") == std::vector<std::string>{s.core.goal}, boost::test_tools::per_element());
            if (s.core.notes) BOOST_TEST(yaml.at("notes") == std::vector<std::string>{*s.core.notes}, boost::test_tools::per_element());
            BOOST_TEST(yaml.at("lanes.name") == lanes_of(s), boost::test_tools::per_element());
            // Cards in export order: lane by lane, by order, ties in the
            // order the log last (re)created them (the index's order).
            std::vector<std::string> titles, bodies;
            for (const auto& lane : lanes_of(s)) {
                std::vector<const spec::card*> in_lane;
                for (const auto& [id, c] : s.cards)
                    if (c.lane == lane) in_lane.push_back(&c);
                std::sort(in_lane.begin(), in_lane.end(), [&s](auto* a, auto* b) {
                    return a->order != b->order ? a->order < b->order : spec::created_before(s, *a, *b);
                });
                for (const auto* c : in_lane) {
                    titles.push_back(c->title);
                    if (c->body) bodies.push_back(*c->body);
                }
            }
            if (!titles.empty()) {
                BOOST_TEST(yaml.at("lanes.cards.title") == titles, boost::test_tools::per_element());
                BOOST_TEST(yaml.at("lanes.cards.card_id").size() == s.cards.size());
            }
            if (!bodies.empty()) BOOST_TEST(yaml.at("lanes.cards.body") == bodies, boost::test_tools::per_element());
        }
    }
}

// The pieces a title would need to escape its quotes, one at a time.
BOOST_AUTO_TEST_CASE(YamlTitleWithQuoteNewlineColonStaysOneScalar) {
    for (const char* title : {"\"\n:", "\"", "\n", ": ", "\\", "\"\\\"", "- a", "#", "'single'", "\t"}) {
        BOOST_TEST_CONTEXT(title) {
            auto s = spec::initial_state(scratch_id);
            s.core.title = title;
            const auto text = spec::render_yaml(s);
            const auto yaml = parse_export_yaml(text);
            BOOST_TEST(yaml.at("title") == std::vector<std::string>{title}, boost::test_tools::per_element());
            BOOST_TEST(count_of(text, "\ntitle: ") == 1u);
        }
    }
}

// YAML forbids some characters even inside quotes (DEL, C1 controls): a
// strict parser refuses the whole document unless they are escaped. NEL,
// U+2028 and U+2029 raw would be read as line breaks by YAML 1.1 readers.
BOOST_AUTO_TEST_CASE(YamlOrderIsANumberForYaml11ReadersToo) {
    // YAML 1.1 (PyYAML) reads "5E-1" and "1e+20" as strings: the mantissa needs a '.'.
    using evlog::spec::detail::yaml_number;
    BOOST_TEST(yaml_number(0.5) == "0.5");
    BOOST_TEST(yaml_number(-3.25) == "-3.25");
    BOOST_TEST(yaml_number(2.0) == "2");
    BOOST_TEST(yaml_number(1e20) == "1.0e+20");
    BOOST_TEST(yaml_number(1.5e-7) == "1.5e-07");
    const std::regex yaml11_float(R"(^[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?$)");
    for (double d : {0.5, -3.25, 1e20, 1.5e-7, 123.456})
        BOOST_TEST(std::regex_match(yaml_number(d), yaml11_float), yaml_number(d));
}

BOOST_AUTO_TEST_CASE(YamlEscapesCharactersYamlForbidsRaw) {
    for (const char* text : {"\x7f", "\xc2\x80", "\xc2\x85", "\xc2\x9b", "\xc2\x9f", "\xe2\x80\xa8", "\xe2\x80\xa9", "\x01",
                             "\x1b"}) {
        BOOST_TEST_CONTEXT(boost::json::serialize(boost::json::string(text))) {
            auto s = spec::initial_state(scratch_id);
            s.core.title = std::string("a") + text + "b";
            const auto yaml = parse_export_yaml(spec::render_yaml(s));
            BOOST_TEST(yaml.at("title") == std::vector<std::string>{s.core.title}, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_CASE(DotHasOneClusterPerLaneAndAnEdgePerRef) {
    auto all = states();
    all.emplace_back("hostile", hostile_state());
    for (const auto& [name, s] : all) {
        BOOST_TEST_CONTEXT(name) {
            const auto dot = spec::render_dot(s);
            check_dot_strings_balanced(dot);
            const auto lanes = lanes_of(s);
            BOOST_TEST(count_of(dot, "subgraph cluster_") == lanes.size());
            for (std::size_t i = 0; i < lanes.size(); ++i)
                BOOST_TEST(dot.find("subgraph cluster_" + std::to_string(i) + " {\n    label=" + dot_q(lanes[i]) + ";\n") !=
                               std::string::npos,
                           lanes[i]);
            std::size_t refs = 0;
            for (const auto& [id, c] : s.cards) {
                BOOST_TEST(count_of(dot, "    " + dot_q(id.str()) + " [label=") == 1u, "node " << id.str());
                for (const auto& r : c.refs) {
                    ++refs;
                    const auto target = evlog::ulid::parse(r);
                    if (target && s.cards.contains(*target)) {
                        BOOST_TEST(dot.find("  " + dot_q(id.str()) + " -> " + dot_q(r) + ";\n") != std::string::npos, r);
                    } else {
                        BOOST_TEST(dot.find("  " + dot_q(id.str()) + " -> " + dot_q("ref:" + r) + ";\n") != std::string::npos, r);
                        BOOST_TEST(dot.find("  " + dot_q("ref:" + r) + " [shape=plaintext") != std::string::npos, r);
                    }
                }
            }
            BOOST_TEST(count_of(dot, " -> ") == refs);
        }
    }
}

BOOST_AUTO_TEST_CASE(DotEdgeNamesExistingCardOfScratchState) {
    // Card B of the scratch events refs card A, which exists.
    const auto s = states().back().second;
    std::size_t to_cards = 0;
    for (const auto& [id, c] : s.cards)
        for (const auto& r : c.refs)
            if (auto t = evlog::ulid::parse(r); t && s.cards.contains(*t)) ++to_cards;
    BOOST_TEST_REQUIRE(to_cards >= 1u);
}

BOOST_AUTO_TEST_CASE(WriteExportsCreatesMissingExportsDir) {
    evtest::temp_dir tmp;
    const auto dir = tmp / "specs/01KJP0000SSSSSSSSSSSSSSSSS/exports";
    const auto s = hostile_state();
    const auto written = spec::write_exports(dir, s);
    BOOST_TEST_REQUIRE(written.size() == 3u);
    BOOST_TEST(evtest::read_file(dir / "spec.md") == spec::render_markdown(s));
    BOOST_TEST(evtest::read_file(dir / "spec.yaml") == spec::render_yaml(s));
    BOOST_TEST(evtest::read_file(dir / "spec.dot") == spec::render_dot(s));
    BOOST_TEST(dir_listing(dir) == (std::vector<std::string>{"spec.dot", "spec.md", "spec.yaml"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(WriteExportsWritesOnlyChosenFormats) {
    evtest::temp_dir tmp;
    const auto s = hostile_state();
    const auto written = spec::write_exports(tmp.path(), s, spec::export_format::markdown | spec::export_format::dot);
    BOOST_TEST_REQUIRE(written.size() == 2u);
    BOOST_TEST(dir_listing(tmp.path()) == (std::vector<std::string>{"spec.dot", "spec.md"}), boost::test_tools::per_element());
}

// A reader holding the old file keeps reading the old bytes: the file is
// replaced by a rename, never rewritten in place, and no temp file stays.
BOOST_AUTO_TEST_CASE(WriteExportsReplacesFilesAtomicallyLeavingNoTemp) {
    evtest::temp_dir tmp;
    const auto dir = tmp / "exports";
    evtest::write_file(dir / "spec.md", "old markdown\n");
    fs::create_hard_link(dir / "spec.md", tmp / "reader.md");
    const auto s = spectest::fold(spectest::clean_specs().front().log);
    spec::write_exports(dir, s, spec::export_format::markdown);
    BOOST_TEST(evtest::read_file(dir / "spec.md") == spec::render_markdown(s));
    BOOST_TEST(evtest::read_file(tmp / "reader.md") == "old markdown\n");
    BOOST_TEST(dir_listing(dir) == std::vector<std::string>{"spec.md"}, boost::test_tools::per_element());

    // Again over the file it wrote: same result.
    spec::write_exports(dir, s, spec::export_format::all);
    BOOST_TEST(dir_listing(dir) == (std::vector<std::string>{"spec.dot", "spec.md", "spec.yaml"}),
               boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(FailedExportLeavesPreviousFileAndNoTemp) {
    for (const auto op : {evlog::file_op::write, evlog::file_op::fdatasync, evlog::file_op::rename}) {
        BOOST_TEST_CONTEXT("failing op " << static_cast<int>(op)) {
            evtest::temp_dir tmp;
            const auto dir = tmp / "exports";
            evtest::write_file(dir / "spec.md", "old markdown\n");
            evlog::fault_file ff;
            ff.fail_next(op, EIO);
            const auto s = hostile_state();
            const auto e = evtest::error_from([&] { spec::write_exports(dir, s, spec::export_format::markdown, ff); });
            BOOST_TEST_REQUIRE(e.has_value());
            BOOST_TEST(e->code() == evtest::sys_ec(EIO));
            BOOST_TEST((evtest::what_names(*e, dir / ".spec.md.tmp") || evtest::what_names(*e, dir / "spec.md")), e->what());
            BOOST_TEST(evtest::read_file(dir / "spec.md") == "old markdown\n");
            BOOST_TEST(dir_listing(dir) == std::vector<std::string>{"spec.md"}, boost::test_tools::per_element());
        }
    }
}

BOOST_AUTO_TEST_SUITE_END()
