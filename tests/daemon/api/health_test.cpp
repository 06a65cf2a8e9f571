// tests/daemon/api/health_test.cpp: GET /healthz of the daemon's api_deps (queue_api_deps) wired
// to a real dispatcher as daemon/run_daemon.cpp wires it, over a real store file and a carrier
// simulator. While the queue still answers reads but refuses writes (PRAGMA query_only on the
// writer's connection: what a full disk does to claims and commits), /healthz is 503
// "degraded" with the reason, instead of 200 "ok". The carriers' figures are read after the
// queue answered and after the reasons, so a figure is never older than its reason.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json.hpp>

#include "daemon/api/queue_api_deps.hpp"
#include "tests/daemon/dispatch/dispatch_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

http_response call(dispatch_world& w, api_deps& deps, http::verb verb, std::string target,
                   std::string body = {}) {
  http_request req{verb, target, 11};
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  auto fut = asio::co_spawn(w.io, handle_request(req, deps), asio::use_future);
  REQUIRE(w.wait_until([&] { return fut.wait_for(std::chrono::seconds(0)) == std::future_status::ready; }));
  return fut.get();
}

boost::json::object body_of(http_response const& r) {
  INFO(r.body());
  auto v = boost::json::parse(r.body());
  REQUIRE(v.is_object());
  return v.get_object();
}

void set_read_only(dispatch_world& w, bool on) {
  w.gc().run([on](queue::store& s) { s.database().exec(on ? "PRAGMA query_only = ON" : "PRAGMA query_only = OFF"); })
      .get();
}

}  // namespace

TEST_CASE("/healthz is 503 \"degraded\" with the reason while claims fail, ok again after", "[health]") {
  dispatch_world w({sim_spec{"telkomsel", {}}});
  w.start();
  queue_api_deps deps(w.cfg.api, w.cfg.carriers, w.gc(), w.io.get_executor(),
                      {.enqueued = {}, .health = {},
                       .queue_problem = [&] { return w.disp().queue_problem(); },
                       .metrics = {}, .answered = {},
                       .cancel = {}, .carriers = {}, .set_suspended = {}, .degraded = {}, .reload = {}, .would_expire = {}});
  auto ok = call(w, deps, http::verb::get, "/healthz");
  CHECK(ok.result_int() == 200);
  CHECK(body_of(ok).at("status").as_string() == "ok");

  set_read_only(w, true);
  // A message to claim, written through a second connection to the file (the writer's own
  // connection refuses writes now).
  queue::message_id id = 0;
  {
    auto other = queue::store::open(w.db_path);
    REQUIRE(other.has_value());
    auto out = other->enqueue(otp_request(number(1), "telkomsel"));
    REQUIRE(out.has_value());
    id = out->id;
  }
  w.disp().notify("telkomsel");
  REQUIRE(w.wait_until([&] { return w.disp().stats().queue_errors >= 1; }));
  auto bad = call(w, deps, http::verb::get, "/healthz");
  CHECK(bad.result_int() == 503);
  auto o = body_of(bad);
  CHECK(o.at("status").as_string() == "degraded");
  auto reason = std::string(o.at("reason").as_string());
  CHECK(reason.find("the queue refuses the dispatcher's work") != std::string::npos);
  CHECK(reason.find("readonly") != std::string::npos);  // SQLite's own words, via the store
  CHECK(o.at("queue").at("queued").as_int64() == 1);    // reads still work: the counts are there
  CHECK_FALSE(o.contains("bound_links"));               // no health hook given here

  // Writable again: the message goes out; the problem ends queue_problem_window after the
  // last failure (asked with a later "now" instead of waiting for it).
  set_read_only(w, false);
  REQUIRE(w.wait_state(id, queue::state::delivered));
  CHECK_FALSE(w.disp().queue_problem(std::chrono::steady_clock::now() + dispatcher::queue_problem_window));
}

TEST_CASE("/healthz is 503 \"degraded\" after a refused enqueue commit", "[health]") {
  dispatch_world w({sim_spec{"telkomsel", {}}});
  w.start();
  queue_api_deps deps(w.cfg.api, w.cfg.carriers, w.gc(), w.io.get_executor());
  set_read_only(w, true);
  auto r = call(w, deps, http::verb::post, "/v1/otp",
                R"({"to":"081234567890","code":"123456","purpose":"login"})");
  CHECK(r.result_int() == 503);
  auto h = call(w, deps, http::verb::get, "/healthz");
  CHECK(h.result_int() == 503);
  auto o = body_of(h);
  CHECK(o.at("status").as_string() == "degraded");
  CHECK(std::string(o.at("reason").as_string()).find("the queue refused an enqueue") != std::string::npos);
  set_read_only(w, false);
}

TEST_CASE("/healthz answers 503 degraded \"queue did not answer\" while the queue thread is stuck, not hang", "[health]") {
  dispatch_world w({sim_spec{"telkomsel", {}}});
  w.start();
  queue_api_deps deps(w.cfg.api, w.cfg.carriers, w.gc(), w.io.get_executor(),
                      {.enqueued = {}, .health = {}, .queue_problem = {}, .metrics = {}, .answered = {},
                       .cancel = {}, .carriers = {}, .set_suspended = {},
                       .degraded = [] { return std::vector<std::string>{"a reason of the daemon"}; },
                       .reload = {}, .would_expire = {}});
  // The queue writer busy with a task that waits for us: every queue call waits behind it.
  std::promise<void> release;
  auto released = release.get_future().share();
  auto stuck = w.gc().run([released](queue::store&) { released.wait(); });
  auto h = call(w, deps, http::verb::get, "/healthz");
  CHECK(h.result_int() == 503);
  auto o = body_of(h);
  CHECK(o.at("status").as_string() == "degraded");
  CHECK_FALSE(o.contains("queue"));
  auto const& reasons = o.at("reasons").as_array();
  REQUIRE(reasons.size() == 2);
  CHECK(std::string(reasons[0].as_string()).find("the queue did not answer within 2 s") != std::string::npos);
  CHECK(reasons[1].as_string() == "a reason of the daemon");
  CHECK(o.at("reason") == reasons[0]);
  release.set_value();
  stuck.get();
  // The queue answers again (after the stuck call's late answer, which is dropped).
  auto again = body_of(call(w, deps, http::verb::get, "/healthz"));
  CHECK(again.at("queue").at("queued").as_int64() == 0);
  CHECK(again.at("reasons").as_array().size() == 1);
}

TEST_CASE("/healthz reads the carriers' figures after the queue answered and after the reasons",
          "[health]") {
  // A reason such as "no bound link for 1 s" and the figure beside it ("unbound_for_ms") are
  // read from the clock each: the figure read first, before a slow queue answer, said 999 ms
  // beside a reason of 1 s. Here the queue answers late; the order of the reads is recorded.
  dispatch_world w({sim_spec{"telkomsel", {}}});
  w.start();
  std::atomic<bool> queue_released{false};
  int seq = 0, health_at = 0, reasons_at = 0;
  bool health_after_queue = false;
  queue_api_deps deps(w.cfg.api, w.cfg.carriers, w.gc(), w.io.get_executor(),
                      {.enqueued = {},
                       .health = [&] {
                         health_at = ++seq;
                         health_after_queue = queue_released.load();
                         return boost::json::object{{"carriers", "figures"}};
                       },
                       .queue_problem = {}, .metrics = {}, .answered = {},
                       .cancel = {}, .carriers = {}, .set_suspended = {},
                       .degraded = [&] {
                         reasons_at = ++seq;
                         return std::vector<std::string>{"carrier x has had no bound link for 1 s"};
                       },
                       .reload = {}, .would_expire = {}});
  std::promise<void> release;
  auto released = release.get_future().share();
  auto busy = w.gc().run([released](queue::store&) { released.wait(); });
  std::thread releaser([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    queue_released = true;
    release.set_value();
  });
  auto h = call(w, deps, http::verb::get, "/healthz");
  releaser.join();
  busy.get();
  CHECK(h.result_int() == 503);
  auto o = body_of(h);
  CHECK(o.at("carriers").as_string() == "figures");
  CHECK(o.at("queue").at("queued").as_int64() == 0);  // the queue did answer, late
  CHECK(health_after_queue);
  CHECK(reasons_at == 1);
  CHECK(health_at == 2);
}
