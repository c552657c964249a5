// Deterministic inputs: spec-store events (CardCreated, CardUpdated,
// CardMoved, TranscriptAppended) and the small "accounts" domain the
// recovery workloads use, with its state, fold and recovery config.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <evlog/core/event.hpp>
#include <evlog/core/json.hpp>
#include <evlog/core/time.hpp>
#include <evlog/core/ulid.hpp>
#include <evlog/index/null_index.hpp>
#include <evlog/recovery/recover.hpp>
#include <evlog/snapshot/snapshot_store.hpp>
#include <evlog/spec/payloads.hpp>

namespace bench {

using evlog::spec::spec_event;

/// splitmix64: small, fast, and the same sequence everywhere.
class rng {
public:
    explicit rng(std::uint64_t seed) : s_(seed) {}
    std::uint64_t next() {
        std::uint64_t z = (s_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, n).
    std::uint64_t below(std::uint64_t n) { return next() % n; }
    /// Uniform in [lo, hi].
    std::uint64_t between(std::uint64_t lo, std::uint64_t hi) { return lo + below(hi - lo + 1); }

private:
    std::uint64_t s_;
};

/// A ULID with the given millisecond time and random bits from `r`.
evlog::ulid make_ulid(std::uint64_t ms, rng& r);

/// Event ids 1, 2, 3, … of one spec. The mix, by event count: 10 %
/// CardCreated, 30 % CardUpdated, 30 % CardMoved, 30 % TranscriptAppended;
/// the first event is a CardCreated so every update names a real card.
/// Lines are 290–580 bytes except CardMoved (about 220: it carries little),
/// 360 on average.
class spec_generator {
public:
    explicit spec_generator(std::uint64_t seed = 1);
    const evlog::ulid& spec_id() const noexcept { return spec_; }
    /// The next event, id = previous + 1.
    void next(spec_event& e);
    spec_event next() {
        spec_event e;
        next(e);
        return e;
    }

private:
    std::string text(std::size_t min_len, std::size_t max_len, bool prose);
    const evlog::ulid& some_card();

    rng r_;
    evlog::ulid spec_;
    std::uint64_t id_ = 0;
    std::int64_t now_ns_;
    std::vector<evlog::ulid> cards_;
};

/// The spec events 1..n as JSON lines, written with evlog's unsynced log.
/// Returns the file's size.
std::uint64_t write_spec_log(const std::string& path, std::uint64_t n, std::uint64_t seed = 1);

// ---------------------------------------------------------------- accounts

/// A deposit into one of `accounts_count` accounts ("acct-00042").
struct deposited {
    static constexpr std::string_view wire_type = "Deposited";
    std::string account;
    std::int64_t cents = 0;
};
struct withdrawn {
    static constexpr std::string_view wire_type = "Withdrawn";
    std::string account;
    std::int64_t cents = 0;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const deposited& p);
deposited tag_invoke(boost::json::value_to_tag<deposited>, const boost::json::value& v);
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const withdrawn& p);
withdrawn tag_invoke(boost::json::value_to_tag<withdrawn>, const boost::json::value& v);

using account_event = evlog::event<std::variant<deposited, withdrawn>>;

inline constexpr std::size_t accounts_count = 10'000;

/// 10,000 balances: the small state.
struct accounts_state {
    std::vector<std::int64_t> balances = std::vector<std::int64_t>(accounts_count, 0);
    std::uint64_t events = 0;
    friend bool operator==(const accounts_state&, const accounts_state&) = default;
};
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const accounts_state& s);
accounts_state tag_invoke(boost::json::value_to_tag<accounts_state>, const boost::json::value& v);

void apply_account(accounts_state& s, const account_event& e);

/// The recovery config the recover_* workloads hand to evlog::recover.
struct accounts_config {
    using event_type = account_event;
    using state_type = accounts_state;
    using repair_policy = evlog::repair_truncate_tail;
    using snapshot_store_type = evlog::snapshot_store<accounts_state>;
    using index_type = evlog::null_index<account_event>;
    static state_type initial_state(const std::optional<evlog::ulid>&) { return {}; }
    static void apply(state_type& s, const event_type& e) { apply_account(s, e); }
    static index_type open_index(const evlog::stream_paths&) { return {}; }
};
static_assert(evlog::recovery_config<accounts_config>);

/// Deposits and withdrawals 1..n of stream `stream`.
class account_generator {
public:
    explicit account_generator(evlog::ulid stream, std::uint64_t seed = 7);
    void next(account_event& e);

private:
    rng r_;
    evlog::ulid stream_;
    std::uint64_t id_ = 0;
    std::int64_t now_ns_;
};

/// The stream id the accounts workloads use (their directory's name).
evlog::ulid accounts_stream();

} // namespace bench
