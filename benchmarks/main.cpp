// evlog-bench: runs each workload's subjects alternately in forked
// children, several repetitions each, and reports medians, the ratio of
// evlog to every other subject, and whether each target was met.
//
//   evlog-bench [--quick] [--filter REGEX] [--subject REGEX] [--json FILE] [--dir DIR] [--reps N] [--list]

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <signal.h>
#include <unistd.h>

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>
#include <boost/json/value.hpp>

#include "bench.hpp"

namespace bench {

void fail_errno(const std::string& what) { throw std::runtime_error(what + ": " + std::strerror(errno)); }

std::uint64_t size_of(const fs::path& p) { return static_cast<std::uint64_t>(fs::file_size(p)); }

void remove_all_quiet(const fs::path& p) {
    std::error_code ec;
    fs::remove_all(p, ec);
}

namespace {

// ---------------------------------------------------------------- running in a child

/// What the child writes to the pipe.
struct wire_result {
    int ok = 0;
    double seconds = 0;
    std::uint64_t events = 0, bytes = 0;
    char error[480] = {};
};

struct child_result {
    measurement m;
    std::uint64_t peak_rss = 0;  ///< ru_maxrss of the child, bytes
    std::string error;           ///< empty on success
};

fs::path g_root;                  // removed on exit and on SIGINT/SIGTERM
volatile pid_t g_child = 0;       // the measurement running now

void on_signal(int sig) {
    // Not async-signal-safe, but the parent only ever waits in read()/wait4() here.
    if (g_child > 0) {
        ::kill(g_child, SIGKILL);
        ::waitpid(g_child, nullptr, 0);
    }
    if (!g_root.empty()) remove_all_quiet(g_root);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
}

/// Runs f in a forked child and returns what it measured plus the child's
/// peak RSS from wait4(). The parent stays small (it never holds event
/// data), so the RSS a child inherits at fork is only the baseline.
template <class F>
child_result run_in_child(F&& f) {
    int fds[2];
    check(::pipe(fds) == 0, "pipe");
    std::fflush(nullptr);
    pid_t pid = ::fork();
    check(pid >= 0, "fork");
    if (pid == 0) {
        std::signal(SIGINT, SIG_DFL);
        std::signal(SIGTERM, SIG_DFL);
        ::close(fds[0]);
        wire_result w;
        try {
            measurement m = f();
            w.ok = 1;
            w.seconds = m.seconds;
            w.events = m.events;
            w.bytes = m.bytes;
        } catch (const std::exception& e) {
            std::snprintf(w.error, sizeof(w.error), "%s", e.what());
        } catch (...) {
            std::snprintf(w.error, sizeof(w.error), "unknown exception");
        }
        const char* p = reinterpret_cast<const char*>(&w);
        std::size_t left = sizeof(w);
        while (left > 0) {
            ssize_t n = ::write(fds[1], p, left);
            if (n <= 0) break;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        ::close(fds[1]);
        std::fflush(nullptr);
        ::_exit(w.ok ? 0 : 1); // no atexit handlers, no destructors of the parent's objects
    }
    g_child = pid;
    ::close(fds[1]);
    wire_result w;
    std::size_t got = 0;
    char* p = reinterpret_cast<char*>(&w);
    while (got < sizeof(w)) {
        ssize_t n = ::read(fds[0], p + got, sizeof(w) - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        got += static_cast<std::size_t>(n);
    }
    ::close(fds[0]);
    int status = 0;
    struct rusage ru {};
    while (::wait4(pid, &status, 0, &ru) < 0 && errno == EINTR) {}
    g_child = 0;
    child_result r;
    r.peak_rss = static_cast<std::uint64_t>(ru.ru_maxrss) * 1024;
    if (got != sizeof(w)) {
        r.error = WIFSIGNALED(status) ? "child killed by signal " + std::to_string(WTERMSIG(status))
                                      : "child exited without a result";
    } else if (!w.ok) {
        r.error = w.error;
    } else {
        r.m = {w.seconds, w.events, w.bytes};
    }
    return r;
}

// ---------------------------------------------------------------- results

struct row {
    std::string workload, subject;
    int samples = 0;
    double events_per_s = 0, mb_per_s = 0, seconds = 0;
    double events = 0;
    std::uint64_t bytes = 0;
    std::uint64_t peak_rss = 0;
    std::string error;
};

double median(std::vector<double> v) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    const std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct results {
    std::vector<row> rows;
    const row* find(const std::string& w, const std::string& s) const {
        for (const auto& r : rows)
            if (r.workload == w && r.subject == s && r.error.empty() && r.samples > 0) return &r;
        return nullptr;
    }
};

// ---------------------------------------------------------------- targets

struct target {
    std::string text;
    /// Measured value and whether it meets the target; nullopt when the
    /// rows it needs are missing.
    std::function<std::optional<std::pair<std::string, bool>>(const results&)> eval;
};

std::string fmt(double v, int prec) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.*f", prec, v);
    return buf;
}

std::string fmt_int(double v) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "%.0f", v);
    std::string s = buf, out;
    int k = 0;
    for (auto it = s.rbegin(); it != s.rend(); ++it) {
        if (k && k % 3 == 0 && *it != '-') out.insert(out.begin(), ',');
        out.insert(out.begin(), *it);
        ++k;
    }
    return out;
}

std::string fmt_mib(std::uint64_t b) { return fmt(static_cast<double>(b) / (1024.0 * 1024.0), 1) + " MiB"; }

std::vector<target> make_targets() {
    std::vector<target> t;
    // throughput(w1,s1) >= k * throughput(w2,s2)
    auto ratio = [&](std::string w1, std::string s1, std::string w2, std::string s2, double k) {
        std::string text = w1 + ": " + s1 + " >= " + fmt(k, k < 1 ? 1 : 0) + " x " +
                           (w1 == w2 ? s2 : s2 + " " + w2) + " (events/s)";
        t.push_back({text, [=](const results& r) -> std::optional<std::pair<std::string, bool>> {
                         auto a = r.find(w1, s1), b = r.find(w2, s2);
                         if (!a || !b || b->events_per_s <= 0) return std::nullopt;
                         double x = a->events_per_s / b->events_per_s;
                         return std::pair{fmt(x, 2) + " x", x >= k};
                     }});
    };
    auto min_rate = [&](std::string w, std::string s, double k) {
        t.push_back({w + ": " + s + " >= " + fmt_int(k) + " events/s",
                     [=](const results& r) -> std::optional<std::pair<std::string, bool>> {
                         auto a = r.find(w, s);
                         if (!a) return std::nullopt;
                         return std::pair{fmt_int(a->events_per_s) + " events/s", a->events_per_s >= k};
                     }});
    };
    auto min_mbps = [&](std::string w, std::string s, double k) {
        t.push_back({w + ": " + s + " >= " + fmt(k, 0) + " MB/s",
                     [=](const results& r) -> std::optional<std::pair<std::string, bool>> {
                         auto a = r.find(w, s);
                         if (!a) return std::nullopt;
                         return std::pair{fmt(a->mb_per_s, 0) + " MB/s", a->mb_per_s >= k};
                     }});
    };
    auto max_rss = [&](std::string w, std::string s, std::uint64_t k) {
        t.push_back({w + ": " + s + " peak RSS <= " + fmt_mib(k),
                     [=](const results& r) -> std::optional<std::pair<std::string, bool>> {
                         auto a = r.find(w, s);
                         if (!a || !a->peak_rss) return std::nullopt;
                         return std::pair{fmt_mib(a->peak_rss), a->peak_rss <= k};
                     }});
    };
    // seconds(w1,s1) <= k * seconds(w2,s2)
    auto max_time = [&](std::string w1, std::string s1, std::string w2, std::string s2, double k) {
        t.push_back({w1 + ": " + s1 + " time <= " + fmt(k, 1) + " x " + s2 + " " + w2,
                     [=](const results& r) -> std::optional<std::pair<std::string, bool>> {
                         auto a = r.find(w1, s1), b = r.find(w2, s2);
                         if (!a || !b || b->seconds <= 0) return std::nullopt;
                         double x = a->seconds / b->seconds;
                         return std::pair{fmt(x, 3) + " x", x <= k};
                     }});
    };
    ratio("append_durable", "evlog", "append_durable", "raw_limit", 0.9);
    ratio("append_group_commit", "evlog", "append_durable", "evlog", 10);
    ratio("append_group_commit", "evlog", "append_group_commit", "raw_limit", 0.5);
    ratio("append_unsynced", "evlog", "append_unsynced", "raw_limit", 0.7);
    ratio("append_unsynced", "evlog", "append_unsynced", "rocksdb", 2);
    ratio("append_unsynced", "evlog", "append_unsynced", "naive", 2);
    ratio("replay", "evlog", "replay", "raw_limit", 0.8);
    min_mbps("replay", "evlog", 500);
    max_rss("replay", "evlog", 64ull << 20);
    max_time("recover_snapshot_90", "evlog", "recover_full", "evlog", 0.2);
    ratio("recover_spec", "evlog", "recover_spec", "naive", 5);
    ratio("index_rebuild", "evlog", "index_rebuild", "naive", 30);
    min_rate("index_rebuild", "evlog", 150000);
    return t;
}

// ---------------------------------------------------------------- output

std::string pad(std::string s, std::size_t w, bool right) {
    if (s.size() >= w) return s;
    return right ? std::string(w - s.size(), ' ') + s : s + std::string(w - s.size(), ' ');
}

void print_table(std::ostream& out, const results& res, const std::vector<std::string>& order) {
    const std::size_t W[] = {20, 14, 13, 9, 9, 11, 10, 9};
    const char* H[] = {"workload", "subject", "events/s", "MB/s", "seconds", "peak RSS", "events", "evlog/x"};
    auto line = [&](const std::vector<std::string>& cells) {
        std::string l = "|";
        for (std::size_t i = 0; i < cells.size(); ++i) {
            l += ' ';
            l += pad(cells[i], W[i], i >= 2);
            l += " |";
        }
        out << l << "\n";
    };
    line({H[0], H[1], H[2], H[3], H[4], H[5], H[6], H[7]});
    std::string sep = "|";
    for (std::size_t i = 0; i < 8; ++i) sep += (i >= 2 ? std::string(W[i] + 1, '-') + ":|" : std::string(W[i] + 2, '-') + "|");
    out << sep << "\n";
    for (const auto& w : order) {
        const row* ev = res.find(w, "evlog");
        for (const auto& r : res.rows) {
            if (r.workload != w) continue;
            if (!r.error.empty()) {
                line({r.workload, r.subject, "FAILED", "", "", "", "", ""});
                continue;
            }
            std::string ratio = "";
            if (r.subject != "evlog" && ev && r.events_per_s > 0) ratio = fmt(ev->events_per_s / r.events_per_s, 2);
            line({r.workload, r.subject, fmt_int(r.events_per_s), r.bytes ? fmt(r.mb_per_s, 1) : "-",
                  fmt(r.seconds, 3), r.peak_rss ? fmt_mib(r.peak_rss) : "-", fmt_int(r.events), ratio});
        }
    }
}

void print_targets(std::ostream& out, const results& res) {
    out << "| target | measured | result |\n|---|---:|---|\n";
    for (const auto& t : make_targets()) {
        auto v = t.eval(res);
        out << "| " << t.text << " | " << (v ? v->first : "-") << " | "
            << (v ? (v->second ? "met" : "**MISSED**") : "not run") << " |\n";
    }
}

void write_json(const fs::path& path, const results& res) {
    std::ofstream f(path);
    if (!f) throw std::runtime_error("cannot write " + path.string());
    auto num = [](double v, int prec) { return fmt(v, prec); };
    std::vector<std::string> lines;
    for (const auto& r : res.rows) {
        if (!r.error.empty() || r.samples == 0) continue;
        // One row per line: readable, and still one JSON array.
        std::string l = "{\"workload\":" + boost::json::serialize(boost::json::value(r.workload)) +
                        ",\"subject\":" + boost::json::serialize(boost::json::value(r.subject));
        l += ",\"events_per_s\":" + (r.events > 0 ? num(r.events_per_s, 1) : std::string("null"));
        l += ",\"mb_per_s\":" + (r.bytes > 0 ? num(r.mb_per_s, 3) : std::string("null"));
        l += ",\"seconds\":" + num(r.seconds, 6);
        l += ",\"peak_rss_bytes\":" + (r.peak_rss ? std::to_string(r.peak_rss) : std::string("null"));
        l += ",\"events\":" + num(r.events, 0) + "}";
        lines.push_back(std::move(l));
    }
    f << "[\n";
    for (std::size_t i = 0; i < lines.size(); ++i) f << "  " << lines[i] << (i + 1 < lines.size() ? ",\n" : "\n");
    f << "]\n";
    if (!f) throw std::runtime_error("cannot write " + path.string());
}

std::string read_first(const char* path, const std::string& key) {
    std::ifstream f(path);
    std::string l;
    while (std::getline(f, l))
        if (l.rfind(key, 0) == 0) {
            auto p = l.find(':');
            if (p != std::string::npos) {
                auto v = l.substr(p + 1);
                v.erase(0, v.find_first_not_of(" \t"));
                return v;
            }
        }
    return "?";
}

std::string fs_type(const fs::path& p) {
    struct statfs s {};
    if (::statfs(p.c_str(), &s) != 0) return "?";
    switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53: return "ext4";
    case 0x01021994: return "tmpfs";
    case 0x58465342: return "xfs";
    case 0x9123683E: return "btrfs";
    case 0x794C7630: return "overlayfs";
    default: {
        char b[32];
        std::snprintf(b, sizeof(b), "0x%lx", static_cast<unsigned long>(s.f_type));
        return b;
    }
    }
}

void usage(std::ostream& o) {
    o << "usage: evlog-bench [--quick] [--filter REGEX] [--subject REGEX] [--json FILE] [--dir DIR] [--reps N] [--list]\n"
         "  --quick         event counts / 20, fewer repetitions (under a minute)\n"
         "  --filter REGEX  run the workloads whose name matches (std::regex_search)\n"
         "  --subject REGEX run only the subjects whose name matches (e.g. for a profiler)\n"
         "  --json FILE     write the median rows as a JSON array\n"
         "  --dir DIR       put temporary files in a fresh directory under DIR (default: $TMPDIR or /tmp)\n"
         "  --reps N        repetitions per subject (default: per workload)\n"
         "  --list          list the workloads and exit\n";
}

} // namespace
} // namespace bench

int main(int argc, char** argv) {
    using namespace bench;
    config cfg;
    std::optional<std::string> filter, subject_filter, json_path;
    fs::path dir_base;
    bool list = false;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << "evlog-bench: " << a << " needs a value\n";
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--quick") cfg.quick = true;
        else if (a == "--filter") filter = value();
        else if (a == "--subject") subject_filter = value();
        else if (a == "--json") json_path = value();
        else if (a == "--dir") dir_base = value();
        else if (a == "--reps") cfg.reps_override = std::atoi(value().c_str());
        else if (a == "--list") list = true;
        else if (a == "-h" || a == "--help") { usage(std::cout); return 0; }
        else { usage(std::cerr); return 2; }
    }
    if (cfg.quick) cfg.scale = 20;

    workload_list all;
    add_append_workloads(all, cfg);
    add_replay_workloads(all, cfg);
    add_recover_workloads(all, cfg);
    add_spec_workloads(all, cfg);

    std::vector<workload*> chosen;
    try {
        std::regex re(filter.value_or(""));
        std::regex sre(subject_filter.value_or(""));
        for (auto& w : all) {
            if (filter && !std::regex_search(w.name, re)) continue;
            if (subject_filter)
                std::erase_if(w.subjects, [&](const subject& s) { return !std::regex_search(s.name, sre); });
            if (!w.subjects.empty()) chosen.push_back(&w);
        }
    } catch (const std::regex_error& e) {
        std::cerr << "evlog-bench: bad --filter or --subject: " << e.what() << "\n";
        return 2;
    }
    if (list) {
        for (auto& w : all) {
            std::cout << w.name << ": " << w.what << "\n    subjects:";
            for (auto& s : w.subjects) std::cout << " " << s.name;
            std::cout << "\n";
        }
        for (const auto& m : missing_pieces()) std::cout << "not in this build: " << m << "\n";
        return 0;
    }

    if (dir_base.empty()) {
        const char* t = std::getenv("TMPDIR");
        dir_base = t && *t ? t : "/tmp";
    }
    std::string tmpl = (dir_base / "evlog-bench.XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) {
        std::cerr << "evlog-bench: cannot create a directory under " << dir_base << ": " << std::strerror(errno) << "\n";
        return 2;
    }
    g_root = tmpl;
    std::signal(SIGINT, on_signal);
    std::signal(SIGTERM, on_signal);

    struct utsname un {};
    ::uname(&un);
    std::ostringstream head;
    head << "machine: " << read_first("/proc/cpuinfo", "model name") << ", " << ::sysconf(_SC_NPROCESSORS_ONLN)
         << " cores, " << read_first("/proc/meminfo", "MemTotal") << " RAM, Linux " << un.release << "\n"
         << "files:   " << g_root.string() << " (" << fs_type(g_root) << ")\n"
         << "mode:    " << (cfg.quick ? "--quick (event counts / 20)" : "default") << "\n";
    for (const auto& m : missing_pieces()) head << "missing: " << m << "\n";
    std::cerr << head.str();

    // The RSS every child starts with: the parent's pages at fork.
    auto base = run_in_child([] { return measurement{}; });
    std::cerr << "fork baseline peak RSS: " << fmt_mib(base.peak_rss) << "\n\n";

    results res;
    std::vector<std::string> order;
    bool any_failed = false;
    const auto t_all = std::chrono::steady_clock::now();
    for (workload* w : chosen) {
        order.push_back(w->name);
        const fs::path work = g_root / w->name;
        fs::create_directories(work);
        const auto t0 = std::chrono::steady_clock::now();
        if (w->setup) {
            auto s = run_in_child([&] {
                w->setup(work);
                return measurement{};
            });
            if (!s.error.empty()) {
                std::cerr << "[" << w->name << "] setup FAILED: " << s.error << "\n";
                for (auto& sub : w->subjects) res.rows.push_back({w->name, sub.name, 0, 0, 0, 0, 0, 0, 0, "setup failed"});
                any_failed = true;
                remove_all_quiet(work);
                continue;
            }
            std::cerr << "[" << w->name << "] setup "
                      << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1) << " s\n";
        }
        const std::size_t ns = w->subjects.size();
        std::vector<std::vector<child_result>> samples(ns);
        std::vector<std::string> errors(ns);
        for (int rep = 0; rep < w->reps; ++rep) {
            for (std::size_t k = 0; k < ns; ++k) {
                const std::size_t si = (k + static_cast<std::size_t>(rep)) % ns; // rotate the order each repetition
                auto& sub = w->subjects[si];
                if (!errors[si].empty()) continue;
                const fs::path scratch = work / ("run-" + sub.name + "-" + std::to_string(rep));
                fs::create_directories(scratch);
                auto r = run_in_child([&] { return sub.run(run_context{work, scratch, rep}); });
                remove_all_quiet(scratch);
                // Outside the timer: the writeback, journal commits and block
                // freeing this run left behind would otherwise overlap the
                // next subject's measurement.
                ::sync();
                if (!r.error.empty()) {
                    std::cerr << "[" << w->name << "] " << sub.name << " FAILED: " << r.error << "\n";
                    errors[si] = r.error;
                    any_failed = true;
                    continue;
                }
                std::cerr << "[" << w->name << "] rep " << rep + 1 << "/" << w->reps << " " << pad(sub.name, 14, false)
                          << pad(fmt_int(r.m.seconds > 0 ? static_cast<double>(r.m.events) / r.m.seconds : 0), 12, true)
                          << " events/s  " << fmt(r.m.seconds, 3) << " s  " << fmt_mib(r.peak_rss) << "\n";
                samples[si].push_back(r);
            }
        }
        for (std::size_t si = 0; si < ns; ++si) {
            row rw;
            rw.workload = w->name;
            rw.subject = w->subjects[si].name;
            rw.error = errors[si];
            std::vector<double> rate, mbps, secs, evs;
            for (const auto& c : samples[si]) {
                const double s = c.m.seconds > 0 ? c.m.seconds : 1e-9;
                rate.push_back(static_cast<double>(c.m.events) / s);
                mbps.push_back(static_cast<double>(c.m.bytes) / s / 1e6);
                secs.push_back(c.m.seconds);
                evs.push_back(static_cast<double>(c.m.events));
                rw.bytes = std::max(rw.bytes, c.m.bytes);
                rw.peak_rss = std::max(rw.peak_rss, c.peak_rss);
            }
            rw.samples = static_cast<int>(samples[si].size());
            rw.events_per_s = median(rate);
            rw.mb_per_s = median(mbps);
            rw.seconds = median(secs);
            rw.events = median(evs);
            res.rows.push_back(rw);
        }
        remove_all_quiet(work);
        std::cerr << "[" << w->name << "] done in "
                  << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(), 1) << " s\n\n";
    }
    remove_all_quiet(g_root);
    g_root.clear();

    std::cout << head.str() << "run:     " << (cfg.quick ? "--quick, " : "") << "median of each subject's repetitions, "
              << fmt(std::chrono::duration<double>(std::chrono::steady_clock::now() - t_all).count(), 0)
              << " s in all; evlog/x = evlog events/s / subject events/s\n\n";
    print_table(std::cout, res, order);
    std::cout << "\n";
    print_targets(std::cout, res);
    if (json_path) {
        try {
            write_json(*json_path, res);
        } catch (const std::exception& e) {
            std::cerr << "evlog-bench: " << e.what() << "\n";
            return 1;
        }
    }
    return any_failed ? 1 : 0;
}
