// Shared plumbing of the `evlog` command: arguments, exit codes, output,
// and a progress bar on stderr when it is a terminal.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <unistd.h>

namespace evtool {

/// 0 success; 1 the data is bad or a policy refused; 2 usage or I/O error.
enum exit_code { ok = 0, bad_data = 1, usage_or_io = 2 };

/// Thrown for a malformed command line; main prints it with the usage.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// `command POSITIONAL... [--flag VALUE]...`, with flags known in advance.
struct args {
    std::vector<std::string> positional;
    std::map<std::string, std::string> flags;
    bool help = false;

    static args parse(int argc, char** argv, int first, const std::vector<std::string>& known_flags) {
        args a;
        for (int i = first; i < argc; ++i) {
            std::string s = argv[i];
            if (s == "--help" || s == "-h") {
                a.help = true;
            } else if (s.rfind("--", 0) == 0) {
                auto eq = s.find('=');
                std::string name = s.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
                bool known = false;
                for (const auto& k : known_flags) known = known || k == name;
                if (!known) throw usage_error("unknown option --" + name);
                if (eq != std::string::npos) a.flags[name] = s.substr(eq + 1);
                else if (i + 1 < argc) a.flags[name] = argv[++i];
                else throw usage_error("--" + name + " needs a value");
            } else {
                a.positional.push_back(s);
            }
        }
        return a;
    }

    std::string flag(const std::string& name, std::string fallback) const {
        auto it = flags.find(name);
        return it == flags.end() ? fallback : it->second;
    }
    const std::string& need(std::size_t i, const char* what) const {
        if (i >= positional.size()) throw usage_error(std::string("missing ") + what);
        return positional[i];
    }
};

/// Progress of a long operation, drawn on stderr only when it is a terminal.
class progress {
public:
    progress(std::string label, std::uint64_t total)
        : label_(std::move(label)), total_(total), enabled_(::isatty(2) && total > 0) {}
    ~progress() {
        if (enabled_ && drawn_) std::fprintf(stderr, "\r%*s\r", 60, "");
    }
    void update(std::uint64_t done) {
        if (!enabled_) return;
        int pct = static_cast<int>(done * 100 / total_);
        if (pct == last_) return;
        last_ = pct;
        drawn_ = true;
        int bar = pct * 30 / 100;
        std::fprintf(stderr, "\r%s [%.*s%*s] %3d%%", label_.c_str(), bar, "##############################", 30 - bar, "", pct);
        std::fflush(stderr);
    }

private:
    std::string label_;
    std::uint64_t total_;
    bool enabled_;
    bool drawn_ = false;
    int last_ = -1;
};

/// A JSON string literal for `s` (used where a whole value tree is overkill).
std::string json_quote(const std::string& s);

int cmd_verify(const args&);
int cmd_repair(const args&);
int cmd_dump(const args&);
int cmd_append(const args&);
int cmd_recover(const args&);
int cmd_snapshot(const args&);
int cmd_specs(const args&);
int cmd_cards(const args&);
int cmd_export(const args&);

} // namespace evtool
