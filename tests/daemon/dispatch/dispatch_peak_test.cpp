// tests/daemon/dispatch/dispatch_peak_test.cpp: peak-hour windows through the real message path
// (SQLite file, dispatcher, carrier, simulator on 127.0.0.1) with the dispatcher's wall clock
// injected: the carrier's cap changes at the window's edge, bulk held by a window waits queued
// (never claimed) while OTPs go, and goes once the clock passes the window's end; a capped
// bulk share still goes; held bulk expires at its validity, never sent.
// No test waits for the time of day: the clock is a variable the test moves.
#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include "tests/daemon/dispatch/dispatch_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
using namespace std::chrono;
using queue::state;

namespace {

system_clock::time_point utc(int y, unsigned m, unsigned d, int hh, int mm, int ss = 0) {
  return sys_days{year{y} / month{m} / day{d}} + hours{hh} + minutes{mm} + seconds{ss};
}

/// Monday 7 Dec 2026, 09:00-11:00 WIB = 02:00-04:00 UTC.
auto const window_start = utc(2026, 12, 7, 2, 0);
auto const window_end = utc(2026, 12, 7, 4, 0);

peak_schedule morning(std::optional<double> cap, double transactional, double bulk) {
  peak_window w;
  w.days = 0x1f;  // Mon-Fri
  w.start = hours(9);
  w.end = hours(11);
  w.throughput = cap;
  w.transactional_share = transactional;
  w.bulk_share = bulk;
  w.name = "test morning";
  return peak_schedule{{w}};
}

/// Starts the world, then points the dispatcher at `clock` and the carriers' caps at the
/// dispatcher, as run_daemon does.
void start_with_clock(dispatch_world& w, system_clock::time_point& clock) {
  w.start();
  w.disp().set_wall_clock([&clock] { return clock; });
  w.disp().on_cap_change([&w](std::string const& name, double cap) {
    for (auto& c : w.carriers)
      if (c->config().name == name) c->set_throughput_cap(cap);
  });
  w.disp().refresh_schedules();
}

queue::enqueue_request bulk_request(int n, std::chrono::milliseconds validity = minutes(30)) {
  auto r = otp_request(number(n), "tsel", validity);
  r.prio = queue::priority::bulk;
  r.text = "Promo " + std::to_string(n);
  return r;
}

}  // namespace

TEST_CASE("the carrier's cap changes at the window's edge, by the injected clock", "[dispatcher][peak]") {
  dispatch_world w({sim_spec{"tsel", {}}});
  w.cfg.carriers[0].link.throttle.rate = 200;
  w.cfg.carriers[0].peak = morning(5.0, 1.0, 0.0);
  auto clock = window_start - seconds(1);  // 08:59:59 WIB
  start_with_clock(w, clock);
  auto& tsel = *w.carriers[0];
  CHECK(tsel.throughput_cap() == 200);
  CHECK_FALSE(w.disp().current_peak("tsel").window);
  CHECK(w.disp().current_peak("tsel").until == window_start);

  clock = window_start;  // 09:00:00 WIB
  w.disp().refresh_schedules();
  CHECK(tsel.throughput_cap() == 5);
  CHECK(tsel.current_rate() == 5);
  auto in = w.disp().current_peak("tsel");
  REQUIRE(in.window == std::optional<std::size_t>(0));
  CHECK(in.share[2] == 0.0);
  CHECK(in.until == window_end);

  // OTPs go at the window's cap.
  auto id = w.enqueue(otp_request(number(1), "tsel"));
  REQUIRE(w.wait_state(id, state::delivered));

  clock = window_end - seconds(1);
  w.disp().refresh_schedules();
  CHECK(tsel.throughput_cap() == 5);
  clock = window_end;  // 11:00:00 WIB
  w.disp().refresh_schedules();
  CHECK(tsel.throughput_cap() == 200);
  CHECK(tsel.current_rate() == 200);
  CHECK_FALSE(w.disp().current_peak("tsel").window);
}

TEST_CASE("bulk waits queued inside the window while OTPs go, and goes after it", "[dispatcher][peak]") {
  dispatch_world w({sim_spec{"tsel", {}}});
  w.cfg.carriers[0].peak = morning(std::nullopt, 1.0, 0.0);  // bulk paused, cap unchanged
  auto clock = window_start + minutes(30);  // 09:30 WIB
  start_with_clock(w, clock);

  // Bulk first (older), then an OTP: one claim would take both if bulk were allowed.
  auto bulk = w.enqueue(bulk_request(1));
  auto otp = w.enqueue(otp_request(number(2), "tsel"));
  REQUIRE(w.wait_state(otp, state::delivered));
  CHECK(w.get(bulk).st == state::queued);  // never claimed: not even in memory
  // A second OTP round: claims came and went, the bulk is still held.
  auto otp2 = w.enqueue(otp_request(number(3), "tsel"));
  REQUIRE(w.wait_state(otp2, state::delivered));
  CHECK(w.get(bulk).st == state::queued);
  CHECK(w.submits_to("tsel", number(1)).empty());
  CHECK(w.get(bulk).attempts == 0);

  // 11:00 WIB: the window is over, the bulk goes without another enqueue.
  clock = window_end;
  REQUIRE(w.wait_state(bulk, state::delivered));
  CHECK(w.submits_to("tsel", number(1)).size() == 1);
  // Both OTPs reached the SMSC before the bulk message.
  auto all = w.sim("tsel").submits();
  REQUIRE(all.size() == 3);
  CHECK(all.back().sm.destination_addr == number(1));
}

TEST_CASE("capped bulk and transactional shares still go inside the window", "[dispatcher][peak]") {
  dispatch_world w({sim_spec{"tsel", {}}});
  w.cfg.carriers[0].link.throttle.rate = 200;
  // Transactional paused would also hold bulk (validation refuses bulk > 0 with transactional
  // 0); here transactional is capped at 50%, bulk at 10% of a 40/s window cap.
  w.cfg.carriers[0].peak = morning(40.0, 0.5, 0.1);
  auto clock = window_start + minutes(5);
  start_with_clock(w, clock);
  std::vector<queue::message_id> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(w.enqueue(bulk_request(100 + i)));
  auto tx = otp_request(number(200), "tsel");
  tx.prio = queue::priority::transactional;
  ids.push_back(w.enqueue(std::move(tx)));
  auto otp = w.enqueue(otp_request(number(300), "tsel"));
  REQUIRE(w.wait_state(otp, state::delivered));
  for (auto id : ids) {
    INFO(id);
    CHECK(w.wait_state(id, state::delivered));
  }
  CHECK(w.carriers[0]->throughput_cap() == 40);
}

TEST_CASE("bulk held by a window expires at its validity and is never sent", "[dispatcher][peak]") {
  dispatch_world w({sim_spec{"tsel", {}}});
  w.cfg.carriers[0].peak = morning(std::nullopt, 1.0, 0.0);
  auto clock = window_start;
  start_with_clock(w, clock);
  boost::asio::co_spawn(w.io, w.disp().run_housekeeping(), boost::asio::detached);
  auto bulk = w.enqueue(bulk_request(1, seconds(1)));
  REQUIRE(w.wait_state(bulk, state::expired));
  CHECK(w.submits_to("tsel", number(1)).empty());
  REQUIRE(w.wait_dlr(bulk, "expired"));
}
