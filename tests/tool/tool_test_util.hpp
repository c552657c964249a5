// Running the `evlog` tool as a child process: fork + exec with pipes for
// stdin, stdout and stderr (no shell, so no quoting), its exit status, and
// a line-by-line reader for tests that kill it mid-stream. Plus helpers to
// find lines and byte offsets in the fixture files.
#pragma once

#include <boost/test/unit_test.hpp>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <initializer_list>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include "spec/spec_test_util.hpp"
#include "support/test_events.hpp"

namespace tooltest {

namespace fs = std::filesystem;
using spectest::fixtures;

/// The built tool, build/tools/evlog.
inline fs::path tool() { return fs::path(EVLOG_TOOL_PATH); }

/// How a child ended and what it wrote.
struct result {
    int exit_code = -1; ///< the exit status, or -1 when a signal ended it
    int signal = 0;     ///< the signal that ended it, or 0
    std::string out;    ///< stdout (what process::read_line had not consumed)
    std::string err;    ///< stderr
};

inline std::ostream& operator<<(std::ostream& os, const result& r) {
    os << "exit " << r.exit_code;
    if (r.signal) os << " (signal " << r.signal << ")";
    return os << "\n--- stdout ---\n" << r.out << "--- stderr ---\n" << r.err << "---";
}

/// A running child with its three standard streams on pipes. Input given
/// to feed() is written as the child reads it, while stdout and stderr are
/// drained, so neither side can block the other. The destructor kills and
/// reaps a child still running.
class process {
public:
    /// No child is expected to take this long; a hang fails the test
    /// instead of the whole run.
    static constexpr int hang_guard_ms = 120'000;

    explicit process(const std::vector<std::string>& argv, const std::optional<fs::path>& cwd = std::nullopt) {
        ignore_sigpipe();
        int in[2], out[2], err[2];
        if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
            throw std::runtime_error(std::string("pipe2: ") + std::strerror(errno));
        // Everything the child needs is built before fork: after it, the child
        // only makes async-signal-safe calls.
        std::vector<char*> args;
        for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
        args.push_back(nullptr);
        const std::string dir = cwd ? cwd->string() : std::string();
        pid_ = ::fork();
        if (pid_ < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
        if (pid_ == 0) {
            struct sigaction dfl {};
            dfl.sa_handler = SIG_DFL;
            ::sigaction(SIGPIPE, &dfl, nullptr); // an ignored signal stays ignored across exec
            if (::dup2(in[0], 0) < 0 || ::dup2(out[1], 1) < 0 || ::dup2(err[1], 2) < 0) ::_exit(126);
            if (!dir.empty() && ::chdir(dir.c_str()) != 0) ::_exit(126);
            ::execv(args[0], args.data());
            ::_exit(127);
        }
        ::close(in[0]);
        ::close(out[1]);
        ::close(err[1]);
        in_ = in[1];
        out_ = out[0];
        err_ = err[0];
        ::fcntl(in_, F_SETFL, ::fcntl(in_, F_GETFL) | O_NONBLOCK);
    }

    ~process() {
        if (pid_ > 0) {
            ::kill(pid_, SIGKILL);
            int st = 0;
            ::waitpid(pid_, &st, 0);
        }
        for (int fd : {in_, out_, err_})
            if (fd >= 0) ::close(fd);
    }

    process(const process&) = delete;
    process& operator=(const process&) = delete;

    /// Queues bytes for the child's stdin.
    void feed(const std::string& bytes) { pending_ += bytes; }

    /// Closes stdin once the queued bytes are written: the child sees EOF.
    void close_input() {
        close_after_ = true;
        if (pending_.empty()) close_fd(in_);
    }

    /// The next line of stdout without its '\n', or nullopt at EOF.
    std::optional<std::string> read_line() {
        for (;;) {
            if (auto nl = out_buf_.find('\n'); nl != std::string::npos) {
                std::string line = out_buf_.substr(0, nl);
                out_buf_.erase(0, nl + 1);
                return line;
            }
            if (out_ < 0) return std::nullopt;
            pump();
        }
    }

    void kill(int sig = SIGKILL) {
        if (pid_ > 0) ::kill(pid_, sig);
    }

    /// Closes stdin (after the queued input), reads stdout and stderr to
    /// EOF and reaps the child.
    result finish() {
        close_input();
        while (out_ >= 0 || err_ >= 0) pump();
        int st = 0;
        while (::waitpid(pid_, &st, 0) < 0)
            if (errno != EINTR) throw std::runtime_error(std::string("waitpid: ") + std::strerror(errno));
        pid_ = -1;
        result r;
        if (WIFEXITED(st)) r.exit_code = WEXITSTATUS(st);
        if (WIFSIGNALED(st)) r.signal = WTERMSIG(st);
        r.out = std::move(out_buf_);
        r.err = std::move(err_buf_);
        return r;
    }

private:
    static void ignore_sigpipe() {
        // Writing to a child that has exited must be EPIPE, not death.
        static const bool once = [] {
            std::signal(SIGPIPE, SIG_IGN);
            return true;
        }();
        (void)once;
    }

    static void close_fd(int& fd) {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }

    /// One round: waits until a stream is ready, then moves bytes.
    void pump() {
        pollfd fds[3];
        int n = 0;
        int i_out = -1, i_err = -1, i_in = -1;
        if (out_ >= 0) fds[i_out = n++] = {out_, POLLIN, 0};
        if (err_ >= 0) fds[i_err = n++] = {err_, POLLIN, 0};
        if (in_ >= 0 && !pending_.empty()) fds[i_in = n++] = {in_, POLLOUT, 0};
        if (n == 0) return;
        int ready = ::poll(fds, static_cast<nfds_t>(n), hang_guard_ms);
        if (ready < 0) {
            if (errno == EINTR) return;
            throw std::runtime_error(std::string("poll: ") + std::strerror(errno));
        }
        if (ready == 0) throw std::runtime_error("the evlog child did not answer: is it hung?");
        auto drain = [](int& fd, std::string& into) {
            char buf[65536];
            ssize_t got = ::read(fd, buf, sizeof buf);
            if (got > 0) into.append(buf, static_cast<std::size_t>(got));
            else if (got == 0 || errno != EINTR) close_fd(fd);
        };
        if (i_out >= 0 && fds[i_out].revents) drain(out_, out_buf_);
        if (i_err >= 0 && fds[i_err].revents) drain(err_, err_buf_);
        if (i_in >= 0 && fds[i_in].revents) {
            ssize_t put = ::write(in_, pending_.data(), pending_.size());
            if (put > 0) {
                pending_.erase(0, static_cast<std::size_t>(put));
            } else if (put < 0 && errno != EAGAIN && errno != EINTR) {
                pending_.clear(); // EPIPE: the child stopped reading
                close_fd(in_);
            }
            if (pending_.empty() && close_after_) close_fd(in_);
        }
    }

    pid_t pid_ = -1;
    int in_ = -1, out_ = -1, err_ = -1;
    std::string pending_;
    bool close_after_ = false;
    std::string out_buf_, err_buf_;
};

/// What run_tool() is given besides the arguments.
struct options {
    std::string input;            ///< stdin, closed after it (empty: EOF at once)
    std::optional<fs::path> cwd;  ///< the child's working directory
};

inline options with_stdin(std::string input) {
    options o;
    o.input = std::move(input);
    return o;
}

inline options in_dir(fs::path cwd) {
    options o;
    o.cwd = std::move(cwd);
    return o;
}

/// Runs `evlog ARGS...` to completion.
inline result run_tool(const std::vector<std::string>& args, const options& o = {}) {
    std::vector<std::string> argv{tool().string()};
    argv.insert(argv.end(), args.begin(), args.end());
    process p(argv, o.cwd);
    p.feed(o.input);
    return p.finish();
}

// ------------------------------------------------------------------ files

/// One line of a file: 1-based number, byte offset of its first byte, the
/// text without '\n', and whether a '\n' ended it.
struct file_line {
    std::uint64_t number = 0;
    std::uint64_t offset = 0;
    std::string text;
    bool terminated = false;
};

inline std::vector<file_line> split_lines(const std::string& bytes) {
    std::vector<file_line> out;
    std::size_t start = 0;
    while (start < bytes.size()) {
        auto nl = bytes.find('\n', start);
        const bool term = nl != std::string::npos;
        if (!term) nl = bytes.size();
        out.push_back({out.size() + 1, start, bytes.substr(start, nl - start), term});
        start = nl + 1;
    }
    return out;
}

inline std::vector<file_line> file_lines(const fs::path& p) { return split_lines(evtest::read_file(p)); }

/// The line as JSON, or nullopt when it does not parse.
inline std::optional<boost::json::value> parse_line(const std::string& text) {
    boost::json::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (ec) return std::nullopt;
    return v;
}

/// The event lines of a log: lines that parse as an object with an event_id.
inline std::vector<boost::json::object> events_of(const std::vector<file_line>& lines) {
    std::vector<boost::json::object> out;
    for (const auto& l : lines)
        if (auto v = parse_line(l.text); v && v->is_object() && v->as_object().contains("event_id"))
            out.push_back(v->as_object());
    return out;
}

inline std::uint64_t id_of(const boost::json::object& e) { return e.at("event_id").to_number<std::uint64_t>(); }

/// Lines of tool output, without their newlines.
inline std::vector<std::string> output_lines(const std::string& out) {
    std::vector<std::string> v;
    for (auto& l : split_lines(out)) v.push_back(std::move(l.text));
    return v;
}

/// The ids `evlog dump FILE` prints (the test fails when dump does).
inline std::vector<std::uint64_t> dumped_ids(const fs::path& log) {
    const auto r = run_tool({"dump", log.string()});
    BOOST_TEST_REQUIRE(r.exit_code == 0, r);
    std::vector<std::uint64_t> ids;
    for (const auto& l : output_lines(r.out)) {
        auto v = parse_line(l);
        BOOST_TEST_REQUIRE(v.has_value(), "dump printed a line that is not JSON: " << l);
        ids.push_back(id_of(v->as_object()));
    }
    return ids;
}

/// `src` copied (recursively) to `dst`.
inline fs::path copy_tree(const fs::path& src, const fs::path& dst) {
    fs::create_directories(dst.parent_path());
    fs::copy(src, dst, fs::copy_options::recursive);
    return dst;
}

/// The fixture spec directories with what the Go code recovered from them.
struct fixture_spec_dir {
    std::string id;
    fs::path dir;      ///< home/specs/<id> in the fixtures (read only)
    fs::path expected; ///< expected/<id>
};

inline std::vector<fixture_spec_dir> fixture_spec_dirs() {
    std::vector<fixture_spec_dir> out;
    for (const char* id : {"01KF0HJ087AE67Z5NHCJZHQ5XV", "01KF0HJ0CKBDTB5R99E1F2EFR5"})
        out.push_back({id, fixtures() / "home/specs" / id, fixtures() / "expected" / id});
    const std::string b = "01KH7AW3FQSY4M8ADMPT4GDV4G";
    out.push_back({b, fixtures() / "barnstormer/home/specs" / b, fixtures() / "barnstormer/expected" / b});
    return out;
}

inline fs::path damaged(const std::string& variant) { return fixtures() / "damaged" / variant; }

/// A spec directory in `tmp`, named as the Go code named it when it
/// recovered `variant`, holding that variant's damaged log.
inline fs::path damaged_spec_dir(const evtest::temp_dir& tmp, const std::string& variant) {
    const auto expected = spectest::load_json(damaged(variant) / "expected.json");
    const fs::path dir = tmp.path() / std::string(expected.at("recover_spec_dir_basename").as_string());
    fs::create_directories(dir);
    fs::copy_file(damaged(variant) / "input.events.jsonl", dir / "events.jsonl");
    return dir;
}

/// The `state` of a snapshot-layout document, without agent-step message ids.
inline boost::json::value comparable_state(const boost::json::value& doc) {
    return spectest::without_step_message_ids(doc.at("state"));
}

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

} // namespace tooltest
