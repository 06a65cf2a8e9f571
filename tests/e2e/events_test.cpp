// tests/e2e/events_test.cpp: GET /v1/events end to end, through the daemon's socket, with
// smsc-sim carriers (one answering 20 % UNDELIV, so OTPs are retried through the other):
// every outcome of a load reaches a stream once and in order, a consumer that reconnects
// mid-load with Last-Event-ID misses none and sees none twice, filters hold, a consumer that
// stops reading is cut off with a last `cutoff` event (the stream closed long before the
// load's outcomes were all sent: the daemon did not buffer them) and resumes from it, a
// graceful stop ends streams with `shutdown`, and streams past events_max_streams get 503.
// The expected outcomes are the messages' histories (GET /v1/messages/{id}) read once every
// message is final. Nothing is timed: every wait is bounded and polls.
#include <catch2/catch.hpp>

#include <atomic>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "tests/e2e/e2e_fixture.hpp"
#include "tests/support/sse_client.hpp"

using namespace smsgw::e2e;
using smsgw::test::sse_client;
using smsgw::test::sse_event;

namespace {

std::vector<carrier_spec> two_carriers() {
  return {
      {"telkomsel", {"--id-format", "hex", "--outcomes", "DELIVRD=80,UNDELIV=20"}, "same", {"indosat"}},
      {"indosat", {"--id-format", "dec"}, "same", {"telkomsel"}},
  };
}

/// One outcome as the stream and the history both describe it.
struct step {
  std::string from, to;
  std::int64_t attempt = 0, at_ms = 0;
  bool operator==(step const&) const = default;
};

/// What a stream delivered: outcome events by message, and every event id once seen.
struct received {
  std::map<std::int64_t, std::vector<step>> by_message;
  std::vector<std::int64_t> ids;  // outcome event ids, in arrival order
  std::size_t outcomes = 0;
};

/// Adds an outcome event to `r`; what is wrong with it, "" if nothing (no Catch2 macros:
/// readers run on threads of their own).
std::string add(received& r, sse_event const& e) {
  if (e.event != "outcome") return "unexpected event " + e.event + ": " + e.data;
  auto d = e.json();
  if (!d.is_object()) return "data is not a JSON object: " + e.data;
  auto const id = d.at("id").as_int64();
  if (e.id != std::to_string(id)) return "id: " + e.id + " but data.id " + std::to_string(id);
  r.ids.push_back(id);
  ++r.outcomes;
  r.by_message[d.at("message_id").as_int64()].push_back(
      {std::string(d.at("from").as_string()), std::string(d.at("state").as_string()),
       d.at("attempt").as_int64(), d.at("at_ms").as_int64()});
  return "";
}

void take(received& r, sse_event const& e) {
  auto problem = add(r, e);
  INFO(problem);
  REQUIRE(problem.empty());
}

/// Reads a stream on a thread of its own while the test goes on (a consumer that keeps up),
/// until finish(n) says how many outcomes it must get (bounded by 180 s in all).
class reader {
 public:
  explicit reader(sse_client& c) : c_(c), thread_([this] { run(); }) {}
  ~reader() {
    want_ = 0;
    if (thread_.joinable()) thread_.join();
  }
  /// Waits until `want` outcomes were read (or the stream ended, or the time ran out).
  received const& finish(std::size_t want) {
    want_ = want;
    thread_.join();
    return r_;
  }
  std::vector<std::string> const& problems() const noexcept { return problems_; }

 private:
  void run() {
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(180);
    while (r_.outcomes < want_ && std::chrono::steady_clock::now() < deadline) {
      auto e = c_.next(std::chrono::seconds(1));
      if (!e) {
        if (c_.ended()) break;
        continue;
      }
      if (auto p = add(r_, *e); !p.empty()) {
        problems_.push_back(p);
        break;
      }
    }
  }
  sse_client& c_;
  received r_;
  std::atomic<std::size_t> want_{std::numeric_limits<std::size_t>::max()};
  std::vector<std::string> problems_;
  std::thread thread_;
};

/// The outcomes of each message from its history: state changes but the enqueue and claims.
std::map<std::int64_t, std::vector<step>> expected_outcomes(gateway const& gw,
                                                            std::vector<std::int64_t> const& ids,
                                                            std::map<std::int64_t, std::string>* carrier = nullptr) {
  std::map<std::int64_t, std::vector<step>> out;
  for (auto id : ids) {
    auto r = gw.api.get("/v1/messages/" + std::to_string(id));
    REQUIRE(r.status == 200);
    if (carrier) (*carrier)[id] = std::string(r.at("carrier").as_string());
    auto& steps = out[id];
    for (auto const& h : r.at("history").as_array()) {
      if (h.at("from").is_null()) continue;
      std::string from(h.at("from").as_string()), to(h.at("to").as_string());
      if (from == to || to == "in_flight") continue;
      steps.push_back({from, to, h.at("attempt").as_int64(), h.at("at_ms").as_int64()});
    }
  }
  return out;
}

std::size_t total(std::map<std::int64_t, std::vector<step>> const& m) {
  std::size_t n = 0;
  for (auto const& [id, s] : m) n += s.size();
  return n;
}

/// Reads outcome events until `r` holds `want` of them (bounded); false if the stream ended
/// or went quiet for 30 s first.
bool read_until(sse_client& c, received& r, std::size_t want) {
  while (r.outcomes < want) {
    auto e = c.next(std::chrono::seconds(30));
    if (!e) return false;
    take(r, *e);
  }
  return true;
}

/// Sends `n` OTPs; the ids of those accepted, and what went wrong with the others in
/// `problems` (no Catch2 macros: it may run on a thread of its own).
std::vector<std::int64_t> send_otps(gateway const& gw, int n, int first, std::vector<std::string>& problems) {
  std::vector<std::int64_t> ids;
  for (int i = 0; i < n; ++i) {
    // Distinct numbers (no supersede), half telkomsel (0812), half indosat (0857).
    auto to = fmt::format("{}{:07}", i % 2 ? "0857" : "0812", first + i);
    auto r = gw.send_otp(to, fmt::format("{:06}", 100000 + i));
    if (r.status != 202) problems.push_back(to + ": " + r.error + r.raw);
    else ids.push_back(r.at("id").as_int64());
  }
  return ids;
}

std::vector<std::int64_t> send_otps(gateway const& gw, int n, int first) {
  std::vector<std::string> problems;
  auto ids = send_otps(gw, n, first, problems);
  std::string all;
  for (auto const& p : problems) all += p + "\n";
  INFO(all);
  REQUIRE(ids.size() == static_cast<std::size_t>(n));
  return ids;
}

/// The gateway with some [api] keys set, started.
std::unique_ptr<gateway> gateway_with_api_keys(std::string const& keys) {
  auto gw = std::make_unique<gateway>(two_carriers(), "", false);
  auto text = read_file(gw->config_path);
  auto at = text.find("[api]\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + 6, keys);
  write_file(gw->config_path, text);
  gw->daemon.start();
  return gw;
}

}  // namespace

TEST_CASE("every outcome reaches an event stream once and in order, and a consumer reconnecting mid-load with Last-Event-ID misses none and sees none twice", "[e2e]") {
  gateway gw(two_carriers());
  sse_client whole(gw.socket_path.string(), "/v1/events?after=0");
  sse_client first(gw.socket_path.string(), "/v1/events?after=0");
  sse_client filtered(gw.socket_path.string(), "/v1/events?after=0&state=delivered&carrier=telkomsel");
  REQUIRE(whole.status() == 200);
  CHECK(whole.head().find("Content-Type: text/event-stream") != std::string::npos);
  REQUIRE(first.status() == 200);
  REQUIRE(filtered.status() == 200);
  // Two consumers that keep up, each on its own thread.
  reader whole_reader(whole), filtered_reader(filtered);

  // Mid-load: the first consumer reads 40 outcomes of the first 80 OTPs (which have at least
  // 160) and goes; the other 80 OTPs are sent after it left, while it reconnects.
  auto ids = send_otps(gw, 80, 1000);
  received a;
  REQUIRE(read_until(first, a, 40));
  first.close();
  std::vector<std::string> load_problems;
  std::vector<std::int64_t> more;
  std::thread load([&] { more = send_otps(gw, 80, 2000, load_problems); });
  auto const last_seen = a.ids.back();
  sse_client second(gw.socket_path.string(), "/v1/events?after=0",
                    {"Last-Event-ID: " + std::to_string(last_seen)});
  REQUIRE(second.status() == 200);
  reader second_reader(second);
  load.join();
  CHECK(load_problems.empty());
  REQUIRE(more.size() == 80);
  ids.insert(ids.end(), more.begin(), more.end());

  auto final = gw.wait_final(ids);
  std::map<std::int64_t, std::string> carrier;
  auto expected = expected_outcomes(gw, ids, &carrier);
  auto const want = total(expected);
  REQUIRE(want >= 2 * ids.size());  // at least submitted + a final state each
  std::size_t retried = 0;
  for (auto const& [id, steps] : expected)
    for (auto const& s : steps) retried += s.to == "queued";
  INFO("outcomes expected: " << want << ", retries among them: " << retried);

  // The reconnected consumer: every outcome after the last id it saw; both parts together
  // are every outcome exactly once.
  auto const& b = second_reader.finish(want - a.outcomes);
  CHECK(second_reader.problems().empty());
  REQUIRE(b.outcomes == want - a.outcomes);
  std::vector<std::int64_t> both = a.ids;
  both.insert(both.end(), b.ids.begin(), b.ids.end());
  CHECK(std::set<std::int64_t>(both.begin(), both.end()).size() == both.size());  // none twice
  CHECK(both.size() == want);                                                     // none missed
  CHECK(std::is_sorted(both.begin(), both.end()));
  CHECK(b.ids.front() > last_seen);
  received joined = a;
  for (auto& [id, steps] : b.by_message)
    joined.by_message[id].insert(joined.by_message[id].end(), steps.begin(), steps.end());
  for (auto id : ids) {
    INFO("message " << id << " ended " << final[id]);
    CHECK(joined.by_message[id] == expected[id]);
  }

  // The consumer that stayed: the same outcomes, once, in order.
  auto const& w = whole_reader.finish(want);
  CHECK(whole_reader.problems().empty());
  REQUIRE(w.outcomes == want);
  CHECK(std::set<std::int64_t>(w.ids.begin(), w.ids.end()).size() == want);
  CHECK(w.ids == both);
  for (auto id : ids) CHECK(w.by_message.at(id) == expected[id]);

  // The filtered consumer: exactly the telkomsel messages' deliveries.
  std::size_t want_filtered = 0;
  for (auto const& [id, steps] : expected)
    for (auto const& s : steps) want_filtered += s.to == "delivered" && carrier[id] == "telkomsel";
  REQUIRE(want_filtered > 0);
  auto const& f = filtered_reader.finish(want_filtered);
  CHECK(filtered_reader.problems().empty());
  REQUIRE(f.outcomes == want_filtered);
  for (auto const& [id, steps] : f.by_message) {
    CHECK(carrier.at(id) == "telkomsel");
    for (auto const& s : steps) CHECK(s.to == "delivered");
  }
  CHECK(std::set<std::int64_t>(f.ids.begin(), f.ids.end()).size() == want_filtered);
  // Nothing more is pending on any stream: the next thing each gets is the daemon's stop.
  gw.daemon.stop();
  for (auto* c : {&whole, &second, &filtered}) {
    auto e = c->next();
    REQUIRE(e);
    CHECK(e->event == "shutdown");
    CHECK(!c->next());
    CHECK(c->ended());
  }
}

TEST_CASE("a consumer that stops reading is cut off with a last cutoff event and resumes from it without losing or repeating an outcome", "[e2e]") {
  auto gw = gateway_with_api_keys("events_stall_timeout_ms = 500\n");
  sse_client slow(gw->socket_path.string(), "/v1/events?after=0");
  // It reads nothing (not even the response head) while 300 OTPs go through.
  auto ids = send_otps(*gw, 300, 5000);
  auto final = gw->wait_final(ids);
  auto expected = expected_outcomes(*gw, ids);
  auto const want = total(expected);
  // The daemon closes its side once the socket took nothing for 500 ms (bounded wait).
  REQUIRE(slow.wait_closed_unread(std::chrono::seconds(120)));

  REQUIRE(slow.status() == 200);
  received part;
  std::optional<sse_event> last;
  while (auto e = slow.next()) {
    if (e->event != "outcome") {
      last = e;
      break;
    }
    take(part, *e);
  }
  REQUIRE(last);
  CHECK(last->event == "cutoff");
  auto d = last->json();
  CHECK(d.at("reason") == "slow_consumer");
  auto const resume = d.at("resume_after").as_int64();
  CHECK(last->id == std::to_string(resume));
  CHECK(!slow.next());
  CHECK(slow.ended());
  // Bounded: what the daemon had written before the cut is a small part of the outcomes.
  INFO("outcomes before the cut: " << part.outcomes << " of " << want);
  CHECK(part.outcomes < want / 2);
  if (!part.ids.empty()) CHECK(part.ids.back() <= resume);

  sse_client again(gw->socket_path.string(), "/v1/events", {"Last-Event-ID: " + std::to_string(resume)});
  REQUIRE(again.status() == 200);
  received rest;
  REQUIRE(read_until(again, rest, want - part.outcomes));
  std::vector<std::int64_t> both = part.ids;
  both.insert(both.end(), rest.ids.begin(), rest.ids.end());
  CHECK(std::set<std::int64_t>(both.begin(), both.end()).size() == want);
  CHECK(both.size() == want);
  for (auto& [id, steps] : rest.by_message)
    part.by_message[id].insert(part.by_message[id].end(), steps.begin(), steps.end());
  for (auto id : ids) {
    INFO("message " << id << " ended " << final[id]);
    CHECK(part.by_message[id] == expected[id]);
  }
  // The daemon is still healthy.
  CHECK(gw->api.get("/healthz").status == 200);
}

TEST_CASE("idle event streams get heartbeats, streams past events_max_streams get 503 and a bad filter 400", "[e2e]") {
  auto gw = gateway_with_api_keys("events_max_streams = 2\nevents_heartbeat_ms = 1000\nread_timeout_ms = 200\n");
  // A position this queue never gave (past its newest event): said, not skipped. (Before
  // the streams below take the slots: the position is checked after the cap.)
  auto future = gw->api.get("/v1/events?after=999999");
  CHECK(future.status == 400);
  CHECK(future.at("field") == "after");

  sse_client one(gw->socket_path.string(), "/v1/events");
  sse_client two(gw->socket_path.string(), "/v1/events");
  REQUIRE(one.status() == 200);
  REQUIRE(two.status() == 200);
  // An idle stream gets heartbeats (a comment line), and the read deadline of requests
  // (read_timeout_ms) does not end it.
  CHECK(one.read_until_text(": smsgw events after 0\n\n: keepalive\n\n: keepalive\n\n"));
  {
    sse_client three(gw->socket_path.string(), "/v1/events");
    CHECK(three.status() == 503);
    // The body may still be arriving: read until the connection ends.
    while (three.next(std::chrono::seconds(5))) {
    }
    CHECK(three.body().find("too_many_streams") != std::string::npos);
  }
  two.close();
  // The slot comes back once the daemon sees the consumer go (bounded wait, polling).
  CHECK(wait_until([&] {
    sse_client again(gw->socket_path.string(), "/v1/events");
    return again.status() == 200;
  }, std::chrono::seconds(30), std::chrono::milliseconds(100)));

  auto bad = gw->api.get("/v1/events?state=delivered,bogus");
  CHECK(bad.status == 400);
  CHECK(bad.at("field") == "state");
  auto bad_id = gw->api.get("/v1/events?after=12x");
  CHECK(bad_id.status == 400);
  CHECK(bad_id.at("field") == "after");
  auto post = gw->api.post("/v1/events", {});
  CHECK(post.status == 405);
}
