// `evlog`: inspect, repair and recover spec stores, as redis-check-aof or
// sqlite3 are for theirs.
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <evlog/core/errors.hpp>

#include "cli.hpp"

namespace evtool {

std::string json_quote(const std::string& s) { return boost::json::serialize(boost::json::value(s)); }

namespace {

struct command {
    const char* name;
    int (*run)(const args&);
    std::vector<std::string> flags;
    const char* usage;
    const char* help;
};

const command commands[] = {
    {"verify", cmd_verify, {"max-line-bytes"}, "verify FILE",
     "Checks every line of an events.jsonl file: envelope, payload, increasing ids, torn tail.\n"
     "Prints `ok N events` and exits 0 when clean; otherwise prints `FILE:LINE: byte OFFSET: REASON`\n"
     "for each problem and exits 1."},
    {"repair", cmd_repair, {"policy"}, "repair FILE [--policy truncate-tail|quarantine]",
     "Repairs FILE under a repair policy (default truncate-tail) and prints one JSON object\n"
     "{\"kept\":N,\"truncated_bytes\":B,\"quarantined\":Q,\"quarantine_file\":PATH_OR_NULL}.\n"
     "Exits 0 when the file is clean afterwards; 1 when the policy refused (the file is untouched)."},
    {"dump", cmd_dump, {"from"}, "dump FILE [--from ID]",
     "Prints the events of FILE (from event ID on), re-encoded as compact JSON lines.\n"
     "A torn final line is ignored; mid-file damage is an error."},
    {"append", cmd_append, {"fsync"}, "append FILE [--fsync always|group|interval|never]",
     "Reads events as JSON lines from stdin and appends them to FILE (default --fsync always).\n"
     "An event_id of 0 takes the next id. After each append returns it prints `ok EVENT_ID`\n"
     "and flushes stdout, so whoever reads it knows exactly what was acknowledged."},
    {"recover", cmd_recover, {"policy"}, "recover SPEC_DIR [--policy truncate-tail|quarantine|strict|skip]",
     "Full recovery: newest valid snapshot, log repair, replay, index check or rebuild.\n"
     "Prints the recovered state in the snapshot layout as one JSON object on stdout and the\n"
     "recovery report on stderr."},
    {"snapshot", cmd_snapshot, {}, "snapshot SPEC_DIR",
     "Recovers SPEC_DIR, then saves a snapshot at its last event (snapshots/state_<id>.json)."},
    {"specs", cmd_specs, {}, "specs HOME",
     "Prints the specs under HOME/specs as a JSON array from each spec's index, newest first."},
    {"cards", cmd_cards, {}, "cards SPEC_DIR",
     "Prints the spec's cards as a JSON array from its index, by sort_order, ties in creation order\n(as the Go daemon lists them)."},
    {"export", cmd_export, {"format"}, "export SPEC_DIR [--format md|yaml|dot|all]",
     "Writes exports/spec.md, spec.yaml and/or spec.dot (default all) after recovering."},
};

void print_usage(std::FILE* out) {
    std::fprintf(out, "usage: evlog COMMAND [ARGS] [--help]\n\ncommands:\n");
    for (const auto& c : commands) std::fprintf(out, "  evlog %s\n", c.usage);
}

} // namespace
} // namespace evtool

int main(int argc, char** argv) {
    using namespace evtool;
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
        print_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? usage_or_io : ok;
    }
    for (const auto& c : commands) {
        if (c.name != std::string(argv[1])) continue;
        try {
            auto a = args::parse(argc, argv, 2, c.flags);
            if (a.help) {
                std::printf("usage: evlog %s\n\n%s\n", c.usage, c.help);
                return ok;
            }
            return c.run(a);
        } catch (const usage_error& e) {
            std::fprintf(stderr, "evlog %s: %s\nusage: evlog %s\n", c.name, e.what(), c.usage);
            return usage_or_io;
        } catch (const evlog::error& e) {
            std::fprintf(stderr, "evlog %s: %s\n", c.name, e.what());
            // Bad stored bytes are "bad data"; a failed system call is an I/O error.
            return e.code().category() == evlog::error_category() && e.code() != evlog::errc::io_error &&
                           e.code() != evlog::errc::log_locked && e.code() != evlog::errc::invalid_name
                       ? bad_data
                       : usage_or_io;
        } catch (const std::exception& e) {
            std::fprintf(stderr, "evlog %s: %s\n", c.name, e.what());
            return usage_or_io;
        }
    }
    std::fprintf(stderr, "evlog: unknown command '%s'\n", argv[1]);
    print_usage(stderr);
    return usage_or_io;
}
