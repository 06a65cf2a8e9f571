// tools/torture/torture.cpp: smsgw-torture, the crash torture run (issue #16): N cycles of
//   load → kill -9 at a random moment → restart → check
// against the real smsgw and five tools/smsc-sim carriers on 127.0.0.1 (the e2e tests' set-up,
// tests/e2e/e2e_fixture.hpp: every process is our child, stopped by PID).
//
// Each cycle: C client threads post OTPs (POST /v1/otp, each to its own number and with an
// idempotency key) over the Unix socket as fast as the daemon answers; after a random delay
// the daemon gets SIGKILL. It is restarted on the same queue file and the cycle checks:
//   - every acknowledged request (202) is in the queue: GET /v1/messages/{id} answers it, for
//     the number it was sent to (otherwise it is counted as lost);
//   - each request cut off by the kill is repeated with its key (what a client does): 200 =
//     it had been stored before the kill, 202 = it had not;
//   - every acknowledged OTP reaches a final state (they should all be `delivered`: the
//     simulators deliver everything; a retry goes through the carrier's alternates);
//   - the simulators' records (their log's accepted submit_sm lines, by destination number)
//     hold every delivered message at least once: more than once is a duplicate, counted (the
//     documented trade, docs/daemon.md "kill -9, crashes and the duplicate trade").
// Recovery time: from the restart (exec) to the first 200 of GET /healthz, and to every
// carrier having a bound link again.
// Bounded: at most --cycles cycles (≤ 1000), at most --per-client requests per client and
// cycle, every wait has a deadline, and the whole run stops at --max-seconds.
// Exit 0 when nothing was lost and every acknowledged OTP was delivered; 1 otherwise.
// Prints numbers and ids only: never an OTP code.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;
using std::chrono::milliseconds;

namespace {

constexpr char usage[] = R"(usage: smsgw-torture [options]
  --cycles N         load / kill -9 / restart / check cycles (default 3, at most 1000)
  --clients N        concurrent API clients during the load (default 4, at most 32)
  --per-client N     at most this many requests per client and cycle (default 1000)
  --min-kill-ms N    the kill comes at a random moment between these two
  --max-kill-ms N      (defaults 20 and 1500 ms after the load starts)
  --seed N           random seed (default: from the clock; printed)
  --max-seconds N    stop the whole run after this long (default 1800); a run cut short fails
)";

struct options {
  int cycles = 3;
  int clients = 4;
  int per_client = 1000;
  int min_kill_ms = 20;
  int max_kill_ms = 1500;
  std::uint64_t seed = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  int max_seconds = 1800;
};

[[noreturn]] void bad_usage(std::string const& why) {
  std::fprintf(stderr, "smsgw-torture: %s\n%s", why.c_str(), usage);
  std::exit(2);
}

options parse_args(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      std::fputs(usage, stdout);
      std::exit(0);
    }
    if (i + 1 >= argc) bad_usage(flag + " needs a value");
    std::string v = argv[++i];
    std::uint64_t n = 0;
    try {
      std::size_t used = 0;
      n = std::stoull(v, &used);
      if (used != v.size()) throw std::invalid_argument(v);
    } catch (std::exception const&) {
      bad_usage(flag + ": '" + v + "' is not a number");
    }
    auto in = [&](std::uint64_t lo, std::uint64_t hi) {
      if (n < lo || n > hi) bad_usage(fmt::format("{} must be in [{}, {}]", flag, lo, hi));
      return static_cast<int>(n);
    };
    if (flag == "--cycles") o.cycles = in(1, 1000);
    else if (flag == "--clients") o.clients = in(1, 32);
    else if (flag == "--per-client") o.per_client = in(1, 99999 / 32);
    else if (flag == "--min-kill-ms") o.min_kill_ms = in(0, 60000);
    else if (flag == "--max-kill-ms") o.max_kill_ms = in(0, 60000);
    else if (flag == "--seed") o.seed = n;
    else if (flag == "--max-seconds") o.max_seconds = in(10, 86400);
    else bad_usage("unknown option " + flag);
  }
  if (o.max_kill_ms < o.min_kill_ms) bad_usage("--max-kill-ms is below --min-kill-ms");
  return o;
}

using steady = std::chrono::steady_clock;

/// One request: its key and number; the last 8 digits of the number are unique in the run.
struct request {
  std::string key;
  std::string to;
};

char const* const prefixes[] = {"0812", "0857", "0817", "0896", "0881"};  // the five carriers

request make_request(int cycle, int seq) {
  // cycle (3 digits) and sequence (5 digits) make the number unique over the whole run.
  return {fmt::format("torture-{}-{}", cycle, seq),
          fmt::format("{}{:03d}{:05d}", prefixes[seq % 5], cycle, seq)};
}

std::string tail8(std::string_view number) {
  return std::string(number.size() >= 8 ? number.substr(number.size() - 8) : number);
}

struct acked_message {
  request req;
  std::int64_t id = 0;
};

/// What the clients of one cycle saw.
struct load_result {
  std::mutex mu;
  std::vector<acked_message> acked;
  std::vector<request> cut_off;      ///< no whole answer: the daemon died under it
  std::vector<std::string> refusals;  ///< answered, but not 202/200
};

boost::json::object otp_body(request const& r, std::mt19937_64& rng) {
  // A random code, never printed; the message is identified by its number.
  return {{"to", r.to}, {"code", fmt::format("{:06d}", rng() % 1000000)}, {"purpose", "login"},
          {"ttl_seconds", 300}, {"idempotency_key", r.key}};
}

/// Posts OTPs one after another until `stop`, the first transport failure, `max` requests or
/// the deadline. Sequence numbers come from `next_seq`, shared by the cycle's clients.
void client_loop(api_client const& api, int cycle, int max, std::atomic<int>& next_seq,
                 std::atomic<bool>& stop, load_result& out, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  auto deadline = steady::now() + std::chrono::seconds(60);
  for (int n = 0; n < max && !stop && steady::now() < deadline; ++n) {
    auto req = make_request(cycle, next_seq++);
    auto r = api.post("/v1/otp", otp_body(req, rng));
    std::lock_guard lock(out.mu);
    if (!r.ok) {
      out.cut_off.push_back(std::move(req));
      return;
    }
    if (r.status != 202 || !r.at("id").is_int64()) {
      out.refusals.push_back(fmt::format("{}: {} {}", req.key, r.status, r.raw));
      continue;
    }
    out.acked.push_back({std::move(req), r.at("id").as_int64()});
  }
}

/// Accepted submit_sm per number tail, from the simulators' logs since the last call.
class sim_records {
 public:
  explicit sim_records(gateway& gw) : gw_(gw) {}
  /// Reads what the simulators logged since the previous call.
  void update() {
    static std::regex const accepted(R"(submit_sm smsgw \S* -> (\d+) dc=)");
    for (auto& s : gw_.sims) {
      auto text = read_file(s->log_path());
      auto& off = offsets_[s->spec().name];
      auto end = text.rfind('\n');
      if (end == std::string::npos || end + 1 <= off) continue;
      auto chunk = text.substr(off, end + 1 - off);
      off = end + 1;
      for (std::sregex_iterator it(chunk.begin(), chunk.end(), accepted), e; it != e; ++it)
        ++count_[tail8((*it)[1].str())];
    }
  }
  int submits(std::string const& to) const {
    auto it = count_.find(tail8(to));
    return it == count_.end() ? 0 : it->second;
  }

 private:
  gateway& gw_;
  std::map<std::string, std::size_t> offsets_;
  std::map<std::string, int> count_;
};

struct totals {
  long acked = 0, cut_off = 0, cut_off_stored = 0, lost = 0, not_delivered = 0, duplicates = 0,
       missing_at_smsc = 0, refusals = 0;
  std::vector<double> recovery_ms, links_ms;
};

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  auto i = static_cast<std::size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

bool all_bound(gateway const& gw) {
  for (auto const& s : gw.sims)
    if (bound_links(gw, s->spec().name) < 1) return false;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  auto const opt = parse_args(argc, argv);
  auto const run_deadline = steady::now() + std::chrono::seconds(opt.max_seconds);
  std::mt19937_64 rng(opt.seed);
  std::printf("smsgw-torture: %d cycles, %d clients (≤ %d requests each), kill at %d..%d ms, seed %llu\n",
              opt.cycles, opt.clients, opt.per_client, opt.min_kill_ms, opt.max_kill_ms,
              static_cast<unsigned long long>(opt.seed));
  std::fflush(stdout);

  totals t;
  int done = 0;
  try {
    gateway gw;  // five simulators, the daemon on a queue in a temp dir
    sim_records records(gw);
    wait_until([&] { return all_bound(gw); }, startup_deadline, milliseconds(50));

    for (int cycle = 0; cycle < opt.cycles; ++cycle) {
      if (steady::now() >= run_deadline) {
        std::printf("smsgw-torture: --max-seconds reached after %d cycles\n", cycle);
        break;
      }
      // Load, and the kill at a random moment of it.
      load_result load;
      std::atomic<int> next_seq{0};
      std::atomic<bool> stop{false};
      std::vector<std::thread> clients;
      for (int c = 0; c < opt.clients; ++c)
        clients.emplace_back(client_loop, std::cref(gw.api), cycle, opt.per_client, std::ref(next_seq),
                             std::ref(stop), std::ref(load), rng());
      auto kill_after = milliseconds(std::uniform_int_distribution<int>(opt.min_kill_ms, opt.max_kill_ms)(rng));
      std::this_thread::sleep_for(kill_after);
      gw.daemon.kill9();
      stop = true;
      for (auto& th : clients) th.join();

      // Restart on the same queue and time the recovery.
      auto restarted = steady::now();
      gw.daemon.start();
      bool healthy = wait_until([&] {
        auto r = gw.api.get("/healthz");
        return r.ok && r.status == 200;
      }, startup_deadline, milliseconds(5));
      double recovery = std::chrono::duration<double, std::milli>(steady::now() - restarted).count();
      bool bound = wait_until([&] { return all_bound(gw); }, startup_deadline, milliseconds(10));
      double links = std::chrono::duration<double, std::milli>(steady::now() - restarted).count();
      if (!healthy || !bound) throw std::runtime_error(fmt::format("cycle {}: no recovery ({}): {}", cycle,
                                                                   healthy ? "links" : "healthz", gw.daemon.logs()));
      t.recovery_ms.push_back(recovery);
      t.links_ms.push_back(links);

      // Every acknowledged id is in the queue, for its number.
      long lost = 0;
      for (auto const& a : load.acked) {
        auto r = gw.api.get("/v1/messages/" + std::to_string(a.id));
        bool ok = r.ok && r.status == 200 && r.at("to").is_string() &&
                  tail8(std::string(r.at("to").as_string())) == tail8(a.req.to);
        if (!ok) {
          ++lost;
          std::printf("  LOST: %s id %lld: %d %s\n", a.req.key.c_str(), static_cast<long long>(a.id), r.status,
                      r.ok ? r.raw.c_str() : r.error.c_str());
        }
      }
      // Requests cut off by the kill: repeated with the same key.
      long stored_before = 0;
      for (auto const& req : load.cut_off) {
        auto r = gw.api.post("/v1/otp", otp_body(req, rng));
        if (!r.ok || (r.status != 200 && r.status != 202) || !r.at("id").is_int64()) {
          load.refusals.push_back(fmt::format("{} repeated: {} {}", req.key, r.status, r.ok ? r.raw : r.error));
          continue;
        }
        if (r.status == 200) ++stored_before;
        load.acked.push_back({req, r.at("id").as_int64()});
      }
      for (auto const& s : load.refusals) std::printf("  REFUSED: %s\n", s.c_str());

      // Every acknowledged OTP ends, delivered; the simulators have it, maybe twice.
      std::vector<std::int64_t> ids;
      for (auto const& a : load.acked) ids.push_back(a.id);
      auto final = gw.wait_final(ids, delivery_deadline * 2);
      records.update();
      std::map<std::string, int> states;
      long not_delivered = 0, dups = 0, missing = 0;
      for (auto const& a : load.acked) {
        auto const& st = final[a.id];
        ++states[st.empty() ? "?" : st];
        if (st != "delivered") {
          ++not_delivered;
          std::printf("  NOT DELIVERED: %s id %lld state '%s'\n", a.req.key.c_str(),
                      static_cast<long long>(a.id), st.c_str());
        }
        int n = records.submits(a.req.to);
        if (n == 0 && st == "delivered") {
          ++missing;
          std::printf("  DELIVERED BUT NOT AT ANY SMSC: %s id %lld\n", a.req.key.c_str(), static_cast<long long>(a.id));
        }
        if (n > 1) dups += n - 1;
      }
      std::string st_text;
      for (auto const& [s, n] : states) st_text += fmt::format(" {}={}", s, n);
      std::printf("cycle %3d: kill at %4lld ms, acked %4zu (cut off %zu, %ld stored before the kill), "
                  "lost %ld, duplicates %ld, recovery %.0f ms (links %.0f ms), final:%s\n",
                  cycle, static_cast<long long>(kill_after.count()), load.acked.size(), load.cut_off.size(),
                  stored_before, lost, dups, recovery, links, st_text.c_str());
      std::fflush(stdout);
      t.acked += static_cast<long>(load.acked.size());
      t.cut_off += static_cast<long>(load.cut_off.size());
      t.cut_off_stored += stored_before;
      t.lost += lost;
      t.not_delivered += not_delivered;
      t.duplicates += dups;
      t.missing_at_smsc += missing;
      t.refusals += static_cast<long>(load.refusals.size());
      ++done;
    }
  } catch (std::exception const& e) {
    std::printf("smsgw-torture: FAILED: %s\n", e.what());
    return 1;
  }

  std::printf("smsgw-torture: %d of %d cycles; acknowledged %ld (cut off by the kill %ld, of which %ld "
              "had been stored); lost %ld; not delivered %ld; delivered but not at any SMSC %ld; "
              "refused %ld; duplicate submits %ld; recovery (restart to /healthz 200) median %.0f ms, "
              "p95 %.0f ms, max %.0f ms; to all carriers bound median %.0f ms, max %.0f ms\n",
              done, opt.cycles, t.acked, t.cut_off, t.cut_off_stored, t.lost, t.not_delivered,
              t.missing_at_smsc, t.refusals, t.duplicates, percentile(t.recovery_ms, 0.5),
              percentile(t.recovery_ms, 0.95), percentile(t.recovery_ms, 1.0), percentile(t.links_ms, 0.5),
              percentile(t.links_ms, 1.0));
  bool pass = done == opt.cycles && t.lost == 0 && t.not_delivered == 0 && t.missing_at_smsc == 0 &&
              t.refusals == 0;
  std::printf("smsgw-torture: %s\n", pass ? "PASS" : "FAIL");
  return pass ? 0 : 1;
}
