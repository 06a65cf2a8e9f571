// tests/daemon/api/event_stream_test.cpp: GET /v1/events through the daemon's HTTP server on a
// real Unix socket, over a real queue file: a consumer resuming behind what retention purged
// is told so (event: gap) and then gets the retained outcomes after its position; one at the
// current position gets no gap; the server's stop() ends the stream with event: shutdown and
// the position to resume from.
#include <catch2/catch.hpp>

#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include "daemon/api/http_server.hpp"
#include "queue/store.hpp"
#include "tests/daemon/api/api_fixture.hpp"
#include "tests/support/sse_client.hpp"

using namespace smsgw;
using namespace smsgw::test;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

/// The daemon's server on its own thread, over the api_fixture's queue.
struct stream_fixture : api_fixture {
  std::unique_ptr<http_server> server;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> guard;
  std::thread thread;

  std::string const& path() const { return cfg.api.socket_path; }
  void start() {
    server = std::make_unique<http_server>(io.get_executor(), cfg.api, *deps);
    REQUIRE(!server->listen());
    asio::co_spawn(io, server->run(), asio::detached);
    guard.emplace(io.get_executor());
    thread = std::thread([this] { io.run(); });
  }
  void stop() {
    if (!thread.joinable()) return;
    asio::post(io, [this] { server->stop(); });
    guard.reset();
    thread.join();
  }
  ~stream_fixture() { stop(); }

  /// An OTP taken to submitted (and delivered if `deliver`) at `at`, through the writer.
  queue::message_id through(std::string const& to, queue::time_point at, bool deliver) {
    auto id = gc->run([&](queue::store& s) -> queue::result<queue::message_id> {
      queue::enqueue_request r;
      r.recipient = to;
      r.text = "Kode 123456";
      r.prio = queue::priority::otp;
      r.purpose = "login";
      r.carrier = "telkomsel";
      r.now = at;
      auto e = s.enqueue(r);
      if (!e) return e.error();
      auto c = s.claim("telkomsel", 10, at);
      if (!c) return c.error();
      std::vector<queue::message_id> ids{e->id};
      if (auto m = s.mark_sending(ids, at); !m) return m.error();
      if (auto m = s.mark_submitted(e->id, "telkomsel", "id" + to, at); !m) return m.error();
      if (deliver) {
        auto rc = s.apply_receipt("telkomsel", "id" + to, queue::receipt_outcome::delivered,
                                  "stat:DELIVRD err:000", at);
        if (!rc) return rc.error();
      }
      return e->id;
    }).get();
    REQUIRE(id.has_value());
    return *id;
  }
};

}  // namespace

TEST_CASE("a consumer resuming behind what retention purged gets a gap event, then the retained outcomes after its position") {
  stream_fixture f;
  f.through("6281211110001", t0(), true);
  f.through("6281211110002", t0(), true);
  auto head = f.gc->run([](queue::store& s) { return s.outcomes_after(0, 100); }).get();
  REQUIRE(head.has_value());
  REQUIRE(head->outcomes.size() == 4);
  auto const first_key = head->outcomes.front().key;
  auto const purged = f.gc->run([](queue::store& s) { return s.purge(t0() + 1h, 100); }).get();
  REQUIRE(purged.has_value());
  REQUIRE(*purged == 2);
  auto const kept = f.through("6281211110003", t0() + 2h, false);
  f.start();

  sse_client behind(f.path(), "/v1/events", {"Last-Event-ID: " + std::to_string(first_key)});
  REQUIRE(behind.status() == 200);
  auto gap = behind.next();
  REQUIRE(gap);
  CHECK(gap->event == "gap");
  CHECK(gap->id.empty());
  auto g = gap->json();
  CHECK(g.at("after").as_int64() == first_key);
  CHECK(g.at("purged_through").as_int64() == head->head);
  auto next = behind.next();
  REQUIRE(next);
  CHECK(next->event == "outcome");
  CHECK(next->json().at("message_id").as_int64() == kept);
  CHECK(next->json().at("state") == "submitted");
  CHECK(std::stoll(next->id) > head->head);

  // At the purge mark or past it: nothing is missing, no gap.
  sse_client current(f.path(), "/v1/events?after=" + std::to_string(head->head));
  REQUIRE(current.status() == 200);
  auto first = current.next();
  REQUIRE(first);
  CHECK(first->event == "outcome");
  CHECK(first->json().at("message_id").as_int64() == kept);

  // The server's stop ends both streams with the position to resume from.
  f.stop();
  for (auto* c : {&behind, &current}) {
    auto e = c->next();
    REQUIRE(e);
    CHECK(e->event == "shutdown");
    CHECK(e->json().at("resume_after").as_int64() == std::stoll(next->id));
    CHECK(e->id == next->id);
    CHECK(!c->next());
    CHECK(c->ended());
  }
}
