// The harness's shared vocabulary: what a workload and a subject are, what
// one measurement reports, and small helpers every workload uses.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace bench {

namespace fs = std::filesystem;

/// What one measurement (one subject, one repetition) reports. Filled in a
/// forked child; the parent adds the peak RSS from wait4().
struct measurement {
    double seconds = 0;          ///< the timed part only
    std::uint64_t events = 0;    ///< events handled in that time
    std::uint64_t bytes = 0;     ///< the events' size as JSON lines (same for every subject)
};

/// Handed to a subject's run function, in the child.
struct run_context {
    fs::path work;     ///< the workload's directory (setup's files are here)
    fs::path scratch;  ///< a fresh empty directory for this measurement only
    int rep = 0;
};

struct subject {
    std::string name;
    std::function<measurement(const run_context&)> run;
};

struct workload {
    std::string name;
    std::string what;   ///< one line for --list and the report
    int reps = 3;
    /// Runs once, in a child, before the repetitions: writes input files to `work`.
    std::function<void(const fs::path& work)> setup;
    std::vector<subject> subjects;
};

/// Settings every workload factory sees.
struct config {
    bool quick = false;
    int reps_override = 0;   ///< --reps N (0: the workload's own)
    /// Divides the event counts (20 for --quick).
    std::uint64_t scale = 1;
    std::uint64_t n(std::uint64_t full) const { return full / scale ? full / scale : 1; }
    int reps(int full, int quick_reps) const {
        if (reps_override > 0) return reps_override;
        return quick ? quick_reps : full;
    }
    /// Cap on the timed part of subjects that need a system call sequence
    /// per event (naive, sqlite and rocksdb durable appends, naive index
    /// rebuild): they stop at the cap and report events done / time.
    double cap_s(double full) const { return quick ? full / 8 : full; }
};

using workload_list = std::vector<workload>;

// Factories, one per source file.
void add_append_workloads(workload_list&, const config&);
void add_replay_workloads(workload_list&, const config&);
void add_recover_workloads(workload_list&, const config&);
void add_spec_workloads(workload_list&, const config&);
/// Names of subjects this build lacks and why (e.g. rocksdb not found).
std::vector<std::string> missing_pieces();

// ---------------------------------------------------------------- helpers

class stopwatch {
public:
    void start() { t0_ = std::chrono::steady_clock::now(); running_ = true; }
    void stop() {
        if (!running_) return;
        total_ += std::chrono::steady_clock::now() - t0_;
        running_ = false;
    }
    double seconds() const { return std::chrono::duration<double>(total_).count(); }
    /// Seconds since start() plus what was accumulated, while running.
    double elapsed() const {
        auto t = total_;
        if (running_) t += std::chrono::steady_clock::now() - t0_;
        return std::chrono::duration<double>(t).count();
    }

private:
    std::chrono::steady_clock::time_point t0_{};
    std::chrono::steady_clock::duration total_{};
    bool running_ = false;
};

/// Throws std::runtime_error with errno's text.
[[noreturn]] void fail_errno(const std::string& what);
inline void check(bool ok, const std::string& what) {
    if (!ok) fail_errno(what);
}

std::uint64_t size_of(const fs::path& p);
/// Removes a file or directory tree; ignores a missing one.
void remove_all_quiet(const fs::path& p);

} // namespace bench
