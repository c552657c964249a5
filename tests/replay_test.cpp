// Streaming replay: order, positions, resuming, report fields, and what
// each repair policy does with bad lines when only reading.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "support/log_test_util.hpp"
#include "support/test_events.hpp"

namespace fs = std::filesystem;
using evtest::check_where;
using evtest::ec_of;
using evtest::error_from;
using evtest::event;
using evtest::note_line;
using evtest::note_text;

namespace {

struct seen_event {
    std::uint64_t id;
    std::string text;
    evlog::record_position pos;
};

template <class Policy = evlog::repair_strict>
std::pair<evlog::replay_report, std::vector<seen_event>> replay_all(const fs::path& p) {
    std::vector<seen_event> seen;
    auto rep = evlog::replay<event, Policy>(p, [&](const event& e, const evlog::record_position& pos) {
        seen.push_back({e.id, e.is_unknown() ? std::string() : note_text(e), pos});
    });
    return {rep, std::move(seen)};
}

const std::string garbage = "{\"event_id\": oops\n";

} // namespace

BOOST_AUTO_TEST_SUITE(Replay)

BOOST_AUTO_TEST_CASE(ReplayDeliversEveryEventInOrderWithItsPosition) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, evtest::clean_log(5));
    const auto [rep, seen] = replay_all(p);
    BOOST_REQUIRE(seen.size() == 5u);
    std::uint64_t off = 0;
    for (std::uint64_t i = 0; i < 5; ++i) {
        BOOST_TEST_CONTEXT("event " << i + 1) {
            BOOST_TEST(seen[i].id == i + 1);
            BOOST_TEST(seen[i].text == "note " + std::to_string(i + 1));
            BOOST_TEST(seen[i].pos.offset == off);
            BOOST_TEST(seen[i].pos.end == off + note_line(i + 1).size());
            BOOST_TEST(seen[i].pos.line == i + 1);
            off = seen[i].pos.end;
        }
    }
    BOOST_TEST(rep.events == 5u);
    BOOST_TEST(rep.end_offset == off);

    // A one-argument visitor sees the same events.
    std::vector<std::uint64_t> ids;
    evlog::replay<event>(p, [&](const event& e) { ids.push_back(e.id); });
    BOOST_TEST(ids == evtest::iota_ids(1, 5), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(PositionsAddressTheLineBytesExactly) {
    // Blank lines and CRLF shift offsets; every position must still cut out exactly its line.
    const std::string bytes = "\n" + note_line(1) + "  \n" + note_line(2).insert(note_line(2).size() - 1, "\r") +
                              note_line(3);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    const auto [rep, seen] = replay_all(p);
    BOOST_REQUIRE(seen.size() == 3u);
    const std::uint64_t lines[] = {2, 4, 5};
    for (std::size_t i = 0; i < 3; ++i) {
        const auto& pos = seen[i].pos;
        const std::string text = bytes.substr(pos.offset, pos.end - pos.offset);
        BOOST_TEST(text.back() == '\n');
        std::string expect = note_line(i + 1);
        if (i == 1) expect.insert(expect.size() - 1, "\r");
        BOOST_TEST(text == expect);
        BOOST_TEST(pos.line == lines[i]);
    }
    BOOST_TEST(rep.blank == 2u);
    BOOST_TEST(rep.end_offset == bytes.size());
}

BOOST_AUTO_TEST_CASE(ReplayFromEndOffsetSeesOnlyLaterEvents) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    for (std::uint64_t i = 1; i <= 3; ++i) log.append(evtest::make_note(i, "note " + std::to_string(i)));
    const auto first = evlog::replay<event>(p, [](const event&) {});
    BOOST_TEST(first.end_offset == fs::file_size(p));
    BOOST_TEST(first.last_id == std::optional<std::uint64_t>(3));

    for (std::uint64_t i = 4; i <= 6; ++i) log.append(evtest::make_note(i, "note " + std::to_string(i)));
    log.close();

    std::vector<seen_event> later;
    const auto rest = evlog::replay_from<event>(p, first.end_offset, [&](const event& e, const evlog::record_position& pos) {
        later.push_back({e.id, note_text(e), pos});
    });
    BOOST_REQUIRE(later.size() == 3u);
    BOOST_TEST(later[0].id == 4u);
    BOOST_TEST(later[2].id == 6u);
    BOOST_TEST(later[0].pos.offset == first.end_offset); // offsets stay absolute
    BOOST_TEST(later[0].pos.line == 0u);                 // line numbers are unknown from an offset
    BOOST_TEST(later[2].pos.end == fs::file_size(p));
    BOOST_TEST(rest.events == 3u);
    BOOST_TEST(rest.bytes == fs::file_size(p) - first.end_offset);
    BOOST_TEST(rest.end_offset == fs::file_size(p));
    BOOST_TEST(rest.last_id == std::optional<std::uint64_t>(6));

    // Resuming at the very end sees nothing and stays there.
    const auto none = evlog::replay_from<event>(p, rest.end_offset, [](const event&) { BOOST_FAIL("no event expected"); });
    BOOST_TEST(none.events == 0u);
    BOOST_TEST(none.end_offset == rest.end_offset);
    BOOST_TEST(!none.last_id.has_value());
}

BOOST_AUTO_TEST_CASE(ReplayFromEndOffsetWorksAfterTheMissingNewlineIsWritten) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    std::string bytes = evtest::clean_log(2);
    bytes.pop_back();
    evtest::write_file(p, bytes);
    const auto first = evlog::replay<event>(p, [](const event&) {});
    BOOST_TEST(first.end_offset == bytes.size());
    {
        evlog::append_log<event> log;
        log.open(p);
        log.append(evtest::make_note(3, "note 3"));
    }
    std::vector<std::uint64_t> ids;
    const auto rest = evlog::replay_from<event>(p, first.end_offset, [&](const event& e) { ids.push_back(e.id); });
    BOOST_TEST(ids == std::vector<std::uint64_t>{3}, boost::test_tools::per_element());
    BOOST_TEST(rest.end_offset == fs::file_size(p));
}

BOOST_AUTO_TEST_CASE(ReportCountsEventsUnknownBlankBytesAndLastId) {
    const std::string unknown =
        R"({"event_id":3,"stream_id":"01KF0HJ087AE67Z5NHCJZHQ5XV","timestamp":"2026-01-15T10:00:01.623456Z","payload":{"type":"Later","v":1}})"
        "\n";
    const std::string body = note_line(1) + "\n" + note_line(2) + " \t\n" + unknown + note_line(4);
    const std::string bytes = body + "\n\n";
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    const auto [rep, seen] = replay_all(p);
    BOOST_TEST(rep.events == 4u);
    BOOST_TEST(rep.unknown == 1u);
    BOOST_TEST(rep.skipped == 0u);
    BOOST_TEST(rep.blank == 4u);
    BOOST_TEST(rep.bytes == bytes.size());
    BOOST_TEST(rep.ignored_tail_bytes == 0u);
    BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(4));
    BOOST_TEST(rep.end_offset == body.size()); // past the last event, not past the trailing blank lines
    BOOST_REQUIRE(seen.size() == 4u);
    BOOST_TEST(seen[2].id == 3u); // unknown events are delivered too

    // Empty file: an empty report.
    evtest::write_file(p, "");
    const auto [empty, none] = replay_all(p);
    BOOST_TEST(empty.events == 0u);
    BOOST_TEST(empty.bytes == 0u);
    BOOST_TEST(empty.end_offset == 0u);
    BOOST_TEST(!empty.last_id.has_value());
    BOOST_TEST(none.empty());
}

BOOST_AUTO_TEST_CASE(SkipAndQuarantineReplayCountAndSkipBadLinesWithoutWriting) {
    const std::string bytes = note_line(1) + garbage + note_line(2) + garbage + note_line(3) + "torn{";
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    {
        const auto [rep, seen] = replay_all<evlog::repair_skip>(p);
        BOOST_TEST(rep.skipped == 3u);
        BOOST_TEST(rep.events == 3u);
        BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(3));
        BOOST_REQUIRE(seen.size() == 3u);
        BOOST_TEST(seen[2].pos.line == 5u);
    }
    {
        const auto [rep, seen] = replay_all<evlog::repair_quarantine>(p);
        BOOST_TEST(rep.skipped == 3u);
        BOOST_TEST(rep.events == 3u);
    }
    BOOST_TEST(evtest::read_file(p) == bytes);
    BOOST_TEST(!fs::exists(evlog::quarantine_path(p)));
}

BOOST_AUTO_TEST_CASE(TruncateTailReplayIgnoresATornTailWithoutCuttingIt) {
    const std::string clean = evtest::clean_log(3);
    const std::string torn = note_line(4).substr(0, 61);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, clean + torn);
    const auto [rep, seen] = replay_all<evlog::repair_truncate_tail>(p);
    BOOST_TEST(seen.size() == 3u);
    BOOST_TEST(rep.events == 3u);
    BOOST_TEST(rep.ignored_tail_bytes == torn.size());
    BOOST_TEST(rep.end_offset == clean.size());
    BOOST_TEST(rep.bytes == clean.size() + torn.size());
    BOOST_TEST(rep.skipped == 0u);
    BOOST_TEST(evtest::read_file(p) == clean + torn);

    // A NUL run at the end is a tail too, also after a bad line.
    const std::string nul_tail = garbage + std::string(512, '\0');
    evtest::write_file(p, clean + nul_tail);
    const auto [rep2, seen2] = replay_all<evlog::repair_truncate_tail>(p);
    BOOST_TEST(rep2.events == 3u);
    BOOST_TEST(rep2.ignored_tail_bytes == nul_tail.size());
}

BOOST_AUTO_TEST_CASE(TruncateTailReplayThrowsMidFileCorruptionForABadMiddleLine) {
    const std::string before = note_line(1) + note_line(2);
    const std::string bytes = before + garbage + note_line(3);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    std::vector<std::uint64_t> ids;
    auto e = error_from([&] {
        evlog::replay<event, evlog::repair_truncate_tail>(p, [&](const event& ev) { ids.push_back(ev.id); });
    });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::mid_file_corruption));
    check_where(*e, p, 3, before.size());
    BOOST_TEST(ids.size() <= 2u); // nothing after the bad line was delivered
    BOOST_TEST(evtest::read_file(p) == bytes);

    // Blank lines after a bad line do not make it mid-file.
    evtest::write_file(p, before + garbage + "\n  \n");
    const auto [rep, seen] = replay_all<evlog::repair_truncate_tail>(p);
    BOOST_TEST(rep.events == 2u);
    BOOST_TEST(rep.ignored_tail_bytes == garbage.size() + 4);
}

BOOST_AUTO_TEST_CASE(StrictReplayThrowsOnATornTail) {
    const std::string clean = evtest::clean_log(3);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, clean + note_line(4).substr(0, 10));
    auto e = error_from([&] { evlog::replay<event>(p, [](const event&) {}); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == ec_of(evlog::errc::torn_line));
    check_where(*e, p, 4, clean.size());

    // And on a bad middle line, with its own reason.
    evtest::write_file(p, note_line(1) + garbage + note_line(2));
    auto m = error_from([&] { evlog::replay<event>(p, [](const event&) {}); });
    BOOST_REQUIRE(m.has_value());
    BOOST_TEST(m->code() == ec_of(evlog::errc::malformed_line));
    check_where(*m, p, 2, note_line(1).size());
}

BOOST_AUTO_TEST_CASE(ReplayReadsALogThatAWriterHoldsOpen) {
    // Readers take no lock: replay works while a writer holds the log's exclusive lock.
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evlog::append_log<event> log;
    log.open(p);
    log.append(evtest::make_note(1, "note 1"));
    log.append(evtest::make_note(2, "note 2"));
    const auto [rep, seen] = replay_all(p);
    BOOST_TEST(rep.events == 2u);
    BOOST_TEST(rep.end_offset == log.end_offset());
    log.append(evtest::make_note(3, "note 3"));
    const auto rest = evlog::replay_from<event>(p, rep.end_offset, [](const event& e) { BOOST_TEST(e.id == 3u); });
    BOOST_TEST(rest.events == 1u);
}

BOOST_AUTO_TEST_CASE(ReplayOfAMissingFileIsAnErrorNamingThePath) {
    evtest::temp_dir d;
    const auto p = d / "nope.jsonl";
    auto e = error_from([&] { evlog::replay<event>(p, [](const event&) {}); });
    BOOST_REQUIRE(e.has_value());
    BOOST_TEST(e->code() == evtest::sys_ec(ENOENT));
    BOOST_TEST(evtest::what_names(*e, p), e->what());
    BOOST_TEST(!fs::exists(p));
}

BOOST_AUTO_TEST_CASE(VisitorExceptionStopsReplayAndPropagates) {
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, evtest::clean_log(5));
    int calls = 0;
    BOOST_CHECK_THROW(evlog::replay<event>(p,
                                           [&](const event& e) {
                                               ++calls;
                                               if (e.id == 3) throw std::runtime_error("stop");
                                           }),
                      std::runtime_error);
    BOOST_TEST(calls == 3);
}

BOOST_AUTO_TEST_CASE(ReplayStreamsAFileMuchLargerThanTheReadChunk) {
    // 200k small events, ~30 MB: many read chunks, lines straddling every chunk boundary.
    constexpr std::uint64_t n = 200'000;
    std::string bytes;
    {
        evlog::json_codec<event> codec;
        for (std::uint64_t i = 1; i <= n; ++i) {
            codec.encode(evtest::make_note(i, "e" + std::to_string(i)), bytes);
            bytes += '\n';
        }
    }
    BOOST_REQUIRE(bytes.size() > 20 * evlog::format::default_read_chunk);
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);

    std::uint64_t count = 0, expect_offset = 0, bad_order = 0, bad_pos = 0, bad_text = 0;
    const auto rep = evlog::replay<event>(p, [&](const event& e, const evlog::record_position& pos) {
        ++count;
        if (e.id != count) ++bad_order;
        if (pos.offset != expect_offset || pos.line != count || bytes[pos.end - 1] != '\n') ++bad_pos;
        if (note_text(e) != "e" + std::to_string(count)) ++bad_text;
        expect_offset = pos.end;
    });
    BOOST_TEST(count == n);
    BOOST_TEST(bad_order == 0u);
    BOOST_TEST(bad_pos == 0u);
    BOOST_TEST(bad_text == 0u);
    BOOST_TEST(rep.events == n);
    BOOST_TEST(rep.bytes == bytes.size());
    BOOST_TEST(rep.end_offset == bytes.size());
    BOOST_TEST(rep.last_id == std::optional<std::uint64_t>(n));

    // Resuming from the middle of a chunk gives the rest.
    const std::uint64_t half = bytes.find("{\"event_id\":100001,");
    BOOST_REQUIRE(half != std::string::npos);
    std::uint64_t rest = 0, first_id = 0;
    evlog::replay_from<event>(p, half, [&](const event& e) {
        if (!rest++) first_id = e.id;
    });
    BOOST_TEST(rest == n - 100'000);
    BOOST_TEST(first_id == 100'001u);
}

BOOST_AUTO_TEST_CASE(ReplayHandlesLinesLongerThanTheReadChunk) {
    // Lines of 1.5 and 3 chunks between short ones: the buffer must grow and keep each line whole.
    const std::size_t chunk = evlog::format::default_read_chunk;
    std::vector<std::string> texts = {"a", std::string(chunk + chunk / 2, 'b'), "c", std::string(3 * chunk, 'd'), "e"};
    std::string bytes;
    for (std::size_t i = 0; i < texts.size(); ++i) bytes += evtest::line_of(evtest::make_note(i + 1, texts[i]));
    evtest::temp_dir d;
    const auto p = d / "events.jsonl";
    evtest::write_file(p, bytes);
    std::vector<std::string> got;
    const auto rep = evlog::replay<event>(p, [&](const event& e) { got.push_back(note_text(e)); });
    BOOST_REQUIRE(got.size() == texts.size());
    for (std::size_t i = 0; i < texts.size(); ++i) BOOST_TEST((got[i] == texts[i]), "event " << i + 1);
    BOOST_TEST(rep.bytes == bytes.size());
}

BOOST_AUTO_TEST_SUITE_END()
