// tests/daemon/api/event_format_test.cpp: the text of GET /v1/events (daemon/api/event_format.*),
// pure: what a request asks for (Last-Event-ID over after=, state and carrier filters, every
// refusal naming its field) and the exact Server-Sent Events lines written for each kind of
// event (docs/daemon.md shows the same text).
#include <catch2/catch.hpp>

#include <boost/json.hpp>

#include "daemon/api/event_format.hpp"

using namespace smsgw;
using namespace std::chrono_literals;

namespace {

bool configured(std::string_view c) { return c == "telkomsel" || c == "indosat"; }

event_request ok(std::string_view target, std::optional<std::string_view> last = std::nullopt) {
  auto r = parse_event_request(target, last, configured);
  if (auto const* e = std::get_if<event_request_error>(&r)) FAIL(e->field << ": " << e->message);
  return std::get<event_request>(r);
}

event_request_error refused(std::string_view target, std::optional<std::string_view> last = std::nullopt) {
  auto r = parse_event_request(target, last, configured);
  REQUIRE(std::holds_alternative<event_request_error>(r));
  return std::get<event_request_error>(r);
}

queue::outcome delivered() {
  queue::outcome o;
  o.key = 1240;
  o.id = 57;
  o.at = queue::from_ms(1796294267512);
  o.from = queue::state::submitted;
  o.to = queue::state::delivered;
  o.attempt = 1;
  o.route = "";
  o.detail = "receipt: stat:DELIVRD err:000";
  o.carrier = "telkomsel";
  o.prio = queue::priority::otp;
  o.purpose = "login";
  return o;
}

}  // namespace

TEST_CASE("an event stream request starts at the current end, after= or Last-Event-ID, the header winning") {
  CHECK(!ok("/v1/events").after);
  CHECK(ok("/v1/events?after=0").after == 0);
  CHECK(ok("/v1/events?after=1234").after == 1234);
  CHECK(ok("/v1/events?after=5", "77").after == 77);
  CHECK(ok("/v1/events", "9223372036854775807").after == 9223372036854775807);
  CHECK(refused("/v1/events?after=-1").field == "after");
  CHECK(refused("/v1/events?after=12x").field == "after");
  CHECK(refused("/v1/events?after=").field == "after");
  CHECK(refused("/v1/events?after=99999999999999999999").field == "after");
  CHECK(refused("/v1/events", "abc").field == "Last-Event-ID");
  CHECK(refused("/v1/events", "").field == "Last-Event-ID");
}

TEST_CASE("an event stream filter takes streamed state names and configured carriers, comma-separated or repeated") {
  auto r = ok("/v1/events?state=delivered,undeliverable&state=expired&carrier=telkomsel%2Cindosat");
  CHECK(r.filter.states == std::vector<queue::state>{queue::state::delivered, queue::state::undeliverable,
                                                      queue::state::expired});
  CHECK(r.filter.carriers == std::vector<std::string>{"telkomsel", "indosat"});
  auto e = refused("/v1/events?state=delivered,bogus");
  CHECK(e.field == "state");
  CHECK(e.message == "unknown state \"bogus\"");
  CHECK(refused("/v1/events?state=in_flight").field == "state");
  CHECK(refused("/v1/events?state=").field == "state");
  auto c = refused("/v1/events?carrier=xl");
  CHECK(c.field == "carrier");
  CHECK(c.message == "no carrier \"xl\" is configured");
  auto u = refused("/v1/events?colour=red");
  CHECK(u.field == "colour");
  CHECK(refused("/v1/events?state=deliv%2").field == "state");

  auto o = delivered();
  event_filter none;
  CHECK(none.matches(o));
  CHECK(r.filter.matches(o));
  event_filter only_expired{{queue::state::expired}, {}};
  CHECK(!only_expired.matches(o));
  event_filter only_indosat{{}, {"indosat"}};
  CHECK(!only_indosat.matches(o));
}

TEST_CASE("an outcome is one SSE event: id, event outcome, one line of JSON data, an empty line") {
  std::string out;
  append_outcome_event(out, delivered());
  CHECK(out ==
        "id: 1240\n"
        "event: outcome\n"
        "data: {\"id\":1240,\"message_id\":57,\"state\":\"delivered\",\"from\":\"submitted\","
        "\"final\":true,\"carrier\":\"telkomsel\",\"route\":\"telkomsel\",\"attempt\":1,"
        "\"priority\":\"otp\",\"purpose\":\"login\",\"at_ms\":1796294267512,"
        "\"at\":\"2026-12-03T10:37:47.512Z\",\"detail\":\"receipt: stat:DELIVRD err:000\"}\n"
        "\n");
  // A detail with a line break stays on the data line (JSON escapes it).
  auto o = delivered();
  o.detail = "two\nlines";
  o.route = "indosat";
  o.to = queue::state::queued;
  std::string two;
  append_outcome_event(two, o);
  CHECK(std::count(two.begin(), two.end(), '\n') == 4);
  CHECK(two.find("\"detail\":\"two\\nlines\"") != std::string::npos);
  CHECK(two.find("\"route\":\"indosat\"") != std::string::npos);
  CHECK(two.find("\"final\":false") != std::string::npos);
}

TEST_CASE("the control events of a stream carry the position to resume from") {
  CHECK(stream_preamble(1234) == "retry: 2000\n: smsgw events after 1234\n\n");
  CHECK(heartbeat_comment() == ": keepalive\n\n");
  CHECK(cutoff_event(1302, 10000ms) ==
        "id: 1302\nevent: cutoff\ndata: {\"reason\":\"slow_consumer\",\"resume_after\":1302,"
        "\"message\":\"the stream did not drain within 10000 ms (events_stall_timeout_ms); "
        "reconnect with Last-Event-ID: 1302\"}\n\n");
  CHECK(shutdown_event(40) ==
        "id: 40\nevent: shutdown\ndata: {\"resume_after\":40,\"message\":\"smsgw is stopping; "
        "reconnect with Last-Event-ID: 40\"}\n\n");
  CHECK(gap_event(12, 5000) ==
        "event: gap\ndata: {\"after\":12,\"purged_through\":5000,\"message\":\"outcomes after 12 "
        "up to 5000 may have been purged ([queue] retention_hours); continuing with the oldest "
        "retained\"}\n\n");
  auto err = error_event(7, "queue_unavailable", "io_error: disk I/O error");
  CHECK(err.starts_with("id: 7\nevent: error\ndata: {"));
  CHECK(err.find("\"error\":\"queue_unavailable\"") != std::string::npos);
  CHECK(iso_utc_ms(queue::from_ms(0)) == "1970-01-01T00:00:00.000Z");
  CHECK(iso_utc_ms(queue::from_ms(1796294267005)) == "2026-12-03T10:37:47.005Z");
}
