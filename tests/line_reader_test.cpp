// detail::line_reader's buffered reading and buffer hand-over, which the
// parallel decoder uses to keep each batch's lines where they were read.
#include <evlog/log/detail/line_reader.hpp>

#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <fcntl.h>

#include <evlog/file/posix_file.hpp>

#include "support/test_events.hpp"

namespace fs = std::filesystem;

namespace {

/// "line <i> " padded with dots to `width` bytes, then '\n'.
std::string numbered_lines(int n, std::size_t width) {
    std::string s;
    for (int i = 1; i <= n; ++i) {
        std::string l = "line " + std::to_string(i) + " ";
        l.resize(width, '.');
        s += l + '\n';
    }
    return s;
}

struct open_file {
    evlog::posix_file file;
    int fd = -1;
    explicit open_file(const fs::path& p) { BOOST_REQUIRE(!file.open(p, O_RDONLY, 0, fd)); }
    ~open_file() { file.close(fd); }
};

} // namespace

BOOST_AUTO_TEST_SUITE(LineReader)

BOOST_AUTO_TEST_CASE(HandedOverLinesStayIntactWhileTheReaderReadsOn) {
    // Lines of 40 bytes read 100 bytes at a time: each read ends inside a
    // line, whose start must move to the reader's next buffer while the
    // lines handed over keep their bytes.
    evtest::temp_dir d;
    const auto p = d / "lines.txt";
    const std::string text = numbered_lines(50, 39);
    evtest::write_file(p, text);
    open_file f(p);
    evlog::detail::line_reader<evlog::posix_file> reader(f.file, f.fd, p, 0, 1, 1000, 100);

    std::vector<std::vector<char>> kept;
    std::vector<evlog::detail::raw_line> seen;
    evlog::detail::raw_line l;
    while (!reader.at_end()) {
        const std::size_t before = seen.size();
        while (reader.next_buffered(l)) seen.push_back(l);
        if (seen.size() == before) {
            reader.refill();
            continue;
        }
        reader.hand_over(kept.emplace_back());
    }
    BOOST_TEST(kept.size() > 10u); // many hand-overs, each ending inside a line
    BOOST_REQUIRE(seen.size() == 50u);
    for (std::size_t i = 0; i < seen.size(); ++i) {
        BOOST_TEST_CONTEXT("line " << i + 1) {
            BOOST_TEST(seen[i].text == std::string_view(text).substr(i * 40, 39));
            BOOST_TEST(seen[i].offset == i * 40);
            BOOST_TEST(seen[i].end == (i + 1) * 40);
            BOOST_TEST(seen[i].number == i + 1);
            BOOST_TEST(seen[i].terminated);
        }
    }
}

BOOST_AUTO_TEST_CASE(BufferedReadNeverReadsAndGivesAnUnterminatedTailOnlyAtTheEnd) {
    evtest::temp_dir d;
    const auto p = d / "lines.txt";
    evtest::write_file(p, "one\ntwo\nthree");
    open_file f(p);
    evlog::detail::line_reader<evlog::posix_file> reader(f.file, f.fd, p, 0, 1, 1000, 64);
    evlog::detail::raw_line l;
    BOOST_TEST(!reader.next_buffered(l)); // nothing read yet, and it does not read
    BOOST_TEST(!reader.at_end());
    reader.refill();
    BOOST_REQUIRE(reader.next_buffered(l));
    BOOST_TEST(l.text == "one");
    BOOST_REQUIRE(reader.next_buffered(l));
    BOOST_TEST(l.text == "two");
    BOOST_TEST(!reader.next_buffered(l)); // "three" may continue: only the end of the file says
    reader.refill();
    BOOST_REQUIRE(reader.next_buffered(l));
    BOOST_TEST(l.text == "three");
    BOOST_TEST(!l.terminated);
    BOOST_TEST(reader.at_end());
}

BOOST_AUTO_TEST_CASE(BufferedReadThrowsForAPartialLineAlreadyPastTheLimit) {
    evtest::temp_dir d;
    const auto p = d / "lines.txt";
    evtest::write_file(p, "short\n" + std::string(300, 'x') + "\n");
    open_file f(p);
    evlog::detail::line_reader<evlog::posix_file> reader(f.file, f.fd, p, 0, 1, 100, 200);
    evlog::detail::raw_line l;
    reader.refill();
    BOOST_REQUIRE(reader.next_buffered(l));
    BOOST_TEST(l.text == "short");
    try {
        reader.next_buffered(l);
        BOOST_FAIL("no error for 194 bytes of a line limited to 100");
    } catch (const evlog::error& e) {
        BOOST_TEST(e.code() == evlog::make_error_code(evlog::errc::line_too_long));
        BOOST_REQUIRE(e.where().has_value());
        BOOST_TEST(e.where()->line == 2u);
        BOOST_TEST(e.where()->offset == 6u);
    }
}

BOOST_AUTO_TEST_SUITE_END()
