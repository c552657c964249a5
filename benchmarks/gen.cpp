#include "gen.hpp"

#include <array>
#include <charconv>
#include <span>

#include <evlog/log/append_log.hpp>

namespace bench {

namespace {

constexpr std::int64_t start_ns = 1'768'471'200'000'000'000; // 2026-01-15T10:00:00Z

constexpr std::array<std::string_view, 48> words = {
    "the",      "card",     "spec",   "agent",    "should",  "store",   "events",   "in",
    "order",    "and",      "replay", "them",     "after",   "a",       "crash",    "with",
    "snapshot", "index",    "query",  "board",    "lane",    "plan",    "review",   "risk",
    "user",     "can",      "undo",   "every",    "change",  "without", "losing",   "data",
    "latency",  "budget",   "fsync",  "batch",    "writer",  "reader",  "schema",   "migrate",
    "offline",  "sync",     "export", "markdown", "draft",   "goal",    "question", "answer"};
constexpr std::array<std::string_view, 5> card_types = {"idea", "task", "risk", "constraint", "decision"};
constexpr std::array<std::string_view, 3> lanes = {"Ideas", "Plan", "Spec"};
constexpr std::array<std::string_view, 4> authors = {"human", "agent", "manager-01", "agent:planner-07"};

} // namespace

evlog::ulid make_ulid(std::uint64_t ms, rng& r) {
    evlog::ulid::bytes_type b{};
    for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(ms >> (8 * (5 - i)));
    std::uint64_t a = r.next(), c = r.next();
    for (int i = 0; i < 8; ++i) b[static_cast<std::size_t>(6 + i)] = static_cast<std::uint8_t>(a >> (8 * i));
    b[14] = static_cast<std::uint8_t>(c);
    b[15] = static_cast<std::uint8_t>(c >> 8);
    return evlog::ulid(b);
}

spec_generator::spec_generator(std::uint64_t seed) : r_(seed), now_ns_(start_ns) {
    spec_ = make_ulid(static_cast<std::uint64_t>(now_ns_ / 1'000'000), r_);
}

std::string spec_generator::text(std::size_t min_len, std::size_t max_len, bool prose) {
    const std::size_t len = r_.between(min_len, max_len);
    std::string s;
    s.reserve(len + 16);
    bool cap = true;
    while (s.size() < len) {
        if (!s.empty()) s += ' ';
        std::string_view w = words[r_.below(words.size())];
        if (cap && prose) {
            s += static_cast<char>(w[0] - 'a' + 'A');
            s.append(w.substr(1));
            cap = false;
        } else {
            s.append(w);
        }
        if (prose) {
            const auto k = r_.below(40);
            if (k == 0) { s += ".\n"; cap = true; }          // a line break, escaped on the wire
            else if (k == 1) { s += ". \"Quoted\""; }         // quotes, escaped too
            else if (k < 6) { s += '.'; cap = true; }
        }
    }
    s.resize(len);
    if (!s.empty() && s.back() == ' ') s.back() = '.';
    return s;
}

const evlog::ulid& spec_generator::some_card() {
    // Mostly recent cards, sometimes any card: a board people work on.
    const std::size_t n = cards_.size();
    if (n > 64 && r_.below(4) != 0) return cards_[n - 1 - r_.below(64)];
    return cards_[r_.below(n)];
}

void spec_generator::next(spec_event& e) {
    namespace sp = evlog::spec;
    now_ns_ += static_cast<std::int64_t>(r_.between(200'000, 3'000'000)) * 1000; // 0.2–3 s, whole microseconds
    const auto now = evlog::timestamp::from_unix_nanos(now_ns_);
    const auto ms = static_cast<std::uint64_t>(now_ns_ / 1'000'000);
    e.id = ++id_;
    e.stream = spec_;
    e.time = now;
    const auto pick = id_ == 1 ? 0 : r_.below(10);
    if (pick == 0) {
        sp::card c;
        c.card_id = make_ulid(ms, r_);
        c.card_type = std::string(card_types[r_.below(card_types.size())]);
        c.title = text(20, 50, false);
        if (r_.below(5) != 0) c.body = text(30, 95, true);
        c.lane = std::string(lanes[r_.below(lanes.size())]);
        c.order = static_cast<double>(r_.below(40)) / 2;
        for (auto k = r_.below(3); k > 0; --k) c.refs.push_back("REQ-" + std::to_string(r_.between(100, 999)));
        c.created_at = now;
        c.updated_at = now;
        c.created_by = std::string(authors[r_.below(authors.size())]);
        c.updated_by = c.created_by;
        cards_.push_back(c.card_id);
        e.payload = sp::card_created{std::move(c)};
    } else if (pick <= 3) {
        sp::card_updated u;
        u.card_id = some_card();
        const bool clear_body = r_.below(10) == 0;
        if (clear_body || r_.below(2) == 0) u.title = evlog::json::patch<std::string>::set(text(20, 50, false));
        if (clear_body) u.body = evlog::json::patch<std::string>::clear();
        else u.body = evlog::json::patch<std::string>::set(text(100, 230, true));
        if (r_.below(10) == 0)
            u.refs = evlog::json::patch<std::vector<std::string>>::set({"REQ-" + std::to_string(r_.between(100, 999))});
        u.updated_by = evlog::json::patch<std::string>::set(std::string(authors[r_.below(authors.size())]));
        e.payload = std::move(u);
    } else if (pick <= 6) {
        sp::card_moved m;
        m.card_id = some_card();
        m.lane = std::string(lanes[r_.below(lanes.size())]);
        m.order = static_cast<double>(r_.below(200)) / 4;
        m.updated_by = std::string(authors[r_.below(authors.size())]);
        e.payload = std::move(m);
    } else {
        sp::transcript_message msg;
        msg.message_id = make_ulid(ms, r_);
        msg.sender = r_.below(2) ? "human" : "agent";
        msg.content = text(40, 260, true);
        msg.kind = "Chat";
        msg.timestamp = now;
        e.payload = sp::transcript_appended{std::move(msg)};
    }
}

std::uint64_t write_spec_log(const std::string& path, std::uint64_t n, std::uint64_t seed) {
    spec_generator g(seed);
    evlog::unsynced_log_st<spec_event> log;
    log.open(path);
    std::vector<spec_event> batch(1024);
    for (std::uint64_t done = 0; done < n;) {
        const std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(batch.size(), n - done));
        for (std::size_t i = 0; i < k; ++i) g.next(batch[i]);
        log.append(std::span<const spec_event>(batch.data(), k));
        done += k;
    }
    const auto size = log.end_offset();
    log.close();
    return size;
}

// ---------------------------------------------------------------- accounts

namespace {
std::string account_name(std::size_t i) {
    char buf[16] = "acct-";
    auto r = std::to_chars(buf + 5, buf + sizeof(buf), 100000 + i); // fixed width: acct-1NNNNN
    return std::string(buf, r.ptr);
}
std::size_t account_index(const std::string& name) {
    std::size_t i = 0;
    if (name.size() > 5) std::from_chars(name.data() + 5, name.data() + name.size(), i);
    return (i - 100000) % accounts_count;
}
} // namespace

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const deposited& p) {
    v = {{"type", deposited::wire_type}, {"account", p.account}, {"cents", p.cents}};
}
deposited tag_invoke(boost::json::value_to_tag<deposited>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::required<std::string>(o, "account"), evlog::json::required<std::int64_t>(o, "cents")};
}
void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const withdrawn& p) {
    v = {{"type", withdrawn::wire_type}, {"account", p.account}, {"cents", p.cents}};
}
withdrawn tag_invoke(boost::json::value_to_tag<withdrawn>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "payload");
    return {evlog::json::required<std::string>(o, "account"), evlog::json::required<std::int64_t>(o, "cents")};
}

void tag_invoke(boost::json::value_from_tag, boost::json::value& v, const accounts_state& s) {
    boost::json::array a;
    a.reserve(s.balances.size());
    for (auto b : s.balances) a.push_back(b);
    v = {{"balances", std::move(a)}, {"events", s.events}};
}
accounts_state tag_invoke(boost::json::value_to_tag<accounts_state>, const boost::json::value& v) {
    const auto& o = evlog::json::as_object(v, "state");
    accounts_state s;
    s.balances = evlog::json::required<std::vector<std::int64_t>>(o, "balances");
    s.balances.resize(accounts_count);
    s.events = evlog::json::required<std::uint64_t>(o, "events");
    return s;
}

void apply_account(accounts_state& s, const account_event& e) {
    if (const auto* d = std::get_if<deposited>(&e.payload)) s.balances[account_index(d->account)] += d->cents;
    else if (const auto* w = std::get_if<withdrawn>(&e.payload)) s.balances[account_index(w->account)] -= w->cents;
    ++s.events;
}

evlog::ulid accounts_stream() {
    rng r(99);
    return make_ulid(static_cast<std::uint64_t>(start_ns / 1'000'000), r);
}

account_generator::account_generator(evlog::ulid stream, std::uint64_t seed)
    : r_(seed), stream_(stream), now_ns_(start_ns) {}

void account_generator::next(account_event& e) {
    now_ns_ += static_cast<std::int64_t>(r_.between(1'000, 2'000'000)) * 1000;
    e.id = ++id_;
    e.stream = stream_;
    e.time = evlog::timestamp::from_unix_nanos(now_ns_);
    std::string acct = account_name(static_cast<std::size_t>(r_.below(accounts_count)));
    const auto cents = static_cast<std::int64_t>(r_.between(1, 500'000));
    if (r_.below(3) == 0) e.payload = withdrawn{std::move(acct), cents};
    else e.payload = deposited{std::move(acct), cents};
}

} // namespace bench
