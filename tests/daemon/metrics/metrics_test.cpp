// tests/daemon/metrics/metrics_test.cpp: the metrics room on its own: every family it can
// produce passes `promtool check metrics`; series exist at 0 before their first event; totals
// read at scrape time raise counters and never lower them; the queue's fsync totals become a
// proper histogram; the queue gauges follow the queue (a group that empties reads 0, a queue
// that does not answer reads up 0); events add up on one series per label set.
#include <catch2/catch.hpp>

#include <array>
#include <string>
#include <vector>

#include "daemon/metrics/metrics.hpp"
#include "tests/tools/ops_util.hpp"

using smsgw::metrics;
using smsgw::receipt_kind;

namespace {

/// The value on the line `series value`, or -1 if there is no such line.
double value_of(std::string const& text, std::string const& series) {
  auto const needle = "\n" + series + " ";
  auto at = ("\n" + text).find(needle);
  if (at == std::string::npos) return -1;
  auto const start = at + needle.size() - 1;  // "\n" prepended: offsets shift by one
  return std::stod(text.substr(start, text.find('\n', start) - start));
}

}  // namespace

TEST_CASE("every metric family passes promtool check metrics", "[metrics]") {
  REQUIRE(smsgw::ops_test::have_command("promtool"));
  metrics m({"telkomsel", "xl"});
  m.submit("telkomsel", "telkomsel", "accepted");
  m.submit("telkomsel", "xl", "refused");
  m.submit("xl", "xl", "unknown");
  m.submit_latency("telkomsel", 0.042);
  m.receipt("telkomsel", "telkomsel", receipt_kind::delivered);
  m.receipt("xl", "xl", receipt_kind::rejected);
  m.receipt_latency("telkomsel", 3.5);
  m.receipt_unmatched("xl");
  m.retry("refused");
  m.reroute("refused");
  m.reroute("route_down");
  m.outcome("delivered", "telkomsel", "otp");
  m.outcome("expired", "xl", "bulk");
  m.api_response("/v1/otp", 202, 0.0012);
  m.api_response("", 404, 0.00001);
  m.set_queue({.up = true,
               .groups = {{"queued", "telkomsel", "otp", 4}, {"in_flight", "xl", "bulk", 2}},
               .oldest_queued_otp_age_seconds = 12.5,
               .max_otp_validity_used = 0.25});
  m.set_carrier({.name = "telkomsel", .bound_links = 2, .links = 2, .cap = 50,
                 .current_rate = 25, .window = "weekday-morning", .throttled = 3, .rate_cuts = 1});
  std::array<double, 3> bounds{0.001, 0.01, 0.1};
  std::array<std::uint64_t, 4> buckets{5, 3, 1, 1};
  m.set_commits({.bounds = bounds, .buckets = buckets, .sync_seconds = 0.75,
                 .sync_failures = 1, .enqueue_commit_failures = 2, .hosted_rounds = 40,
                 .checkpoints = 5});
  m.set_totals({.claimed = 9, .receipts_held = 1, .delivers_ignored = 2, .expired_unsent = 1,
                .dispatch_queue_errors = 1, .api_rejected = 3, .api_too_large = 1,
                .api_bad_http = 1});
  auto const text = m.text();

  smsgw::ops_test::temp_dir dir;
  auto file = dir.path() / "metrics.txt";
  smsgw::ops_test::spit(file, text);
  auto r = smsgw::ops_test::run_command("promtool check metrics < " + file.string());
  INFO(text << r.output);
  CHECK(r.exit_code == 0);
  CHECK(r.output.empty());  // no lint complaint either

  CHECK(value_of(text, R"(smsgw_submits_total{carrier="telkomsel",result="refused",route="xl"})") == 1);
  CHECK(value_of(text, R"(smsgw_api_responses_total{endpoint="none",status="404"})") == 1);
  CHECK(value_of(text, R"(smsgw_api_responses_total{endpoint="transport",status="503"})") == 3);
  CHECK(value_of(text, R"(smsgw_queue_messages{carrier="telkomsel",priority="otp",state="queued"})") == 4);
  CHECK(value_of(text, R"(smsgw_queue_messages{carrier="xl",priority="bulk",state="in_flight"})") == 2);
  CHECK(value_of(text, R"(smsgw_queue_fsync_duration_seconds_count)") == 10);
  CHECK(value_of(text, R"(smsgw_queue_fsync_duration_seconds_bucket{le="0.01"})") == 8);
  CHECK(value_of(text, R"(smsgw_queue_fsync_duration_seconds_bucket{le="+Inf"})") == 10);
  CHECK(value_of(text, R"(smsgw_queue_fsync_duration_seconds_sum)") == 0.75);
  CHECK(value_of(text, R"(smsgw_queue_commit_failures_total)") == 2);
  CHECK(value_of(text, R"(smsgw_queue_hosted_rounds_total)") == 40);
  CHECK(value_of(text, R"(smsgw_queue_checkpoints_total)") == 5);
}

TEST_CASE("series of configured carriers exist at 0 before any event", "[metrics]") {
  metrics m({"indosat"});
  auto const text = m.text();
  for (auto const* o : {"delivered", "undeliverable", "rejected", "filtered", "no_receipt"}) {
    INFO(o);
    CHECK(value_of(text, std::string(R"(smsgw_receipt_outcomes_total{carrier="indosat",outcome=")") +
                             o + R"(",route="indosat"})") == 0);
  }
  CHECK(value_of(text, R"(smsgw_submits_total{carrier="indosat",result="accepted",route="indosat"})") == 0);
  CHECK(value_of(text, R"(smsgw_retries_total{reason="failed_receipt"})") == 0);
  CHECK(value_of(text, R"(smsgw_reroutes_total{reason="route_down"})") == 0);
  CHECK(value_of(text, R"(smsgw_carrier_bound_links{carrier="indosat"})") == 0);
  CHECK(value_of(text, R"(smsgw_queue_messages{carrier="indosat",priority="otp",state="queued"})") == 0);
  CHECK(value_of(text, R"(smsgw_message_outcomes_total{carrier="indosat",priority="otp",state="expired"})") == 0);
}

TEST_CASE("totals read at scrape time raise counters and never lower them", "[metrics]") {
  metrics m({"tri"});
  auto throttled = [&](std::uint64_t total) {
    m.set_carrier({.name = "tri", .bound_links = 1, .links = 1, .cap = 10, .current_rate = 10,
                   .window = "", .throttled = total, .rate_cuts = 0});
    return value_of(m.text(), R"(smsgw_throttle_responses_total{carrier="tri"})");
  };
  CHECK(throttled(5) == 5);
  CHECK(throttled(3) == 5);
  CHECK(throttled(8) == 8);
}

TEST_CASE("each carrier has one peak window series: the window in force, none outside", "[metrics]") {
  metrics m({"xl"});
  auto in = [&](std::string_view window) {
    m.set_carrier({.name = "xl", .bound_links = 1, .links = 1, .cap = 5, .current_rate = 5,
                   .window = window, .throttled = 0, .rate_cuts = 0});
    return m.text();
  };
  auto during = in("morning");
  CHECK(value_of(during, R"(smsgw_carrier_peak_window{carrier="xl",window="morning"})") == 1);
  CHECK(during.find(R"(smsgw_carrier_peak_window{carrier="xl",window="none"})") == std::string::npos);
  auto after = in("");
  CHECK(value_of(after, R"(smsgw_carrier_peak_window{carrier="xl",window="none"})") == 1);
  CHECK(after.find(R"(window="morning")") == std::string::npos);  // the ended window's series went
  CHECK(value_of(after, R"(smsgw_carrier_throughput_cap_segments_per_second{carrier="xl"})") == 5);
}

TEST_CASE("a retired carrier's state series go, its counters stay, and it comes back when shown again", "[metrics]") {
  metrics m({"xl", "tri", "indosat"});  // indosat: configured at start, never shown, retired
  auto show = [&](std::string_view name, std::size_t bound) {
    m.set_carrier({.name = name, .bound_links = bound, .links = 2, .cap = 5, .current_rate = 4,
                   .window = "morning", .throttled = 3, .rate_cuts = 1});
  };
  show("xl", 2);
  show("tri", 1);
  m.submit("xl", "xl", "accepted");
  std::vector<std::string> const configured{"tri"};
  m.keep_carriers(configured);  // xl retired after a reload
  auto const text = m.text();
  for (auto const* family : {"smsgw_carrier_bound_links", "smsgw_carrier_links",
                             "smsgw_carrier_throughput_cap_segments_per_second",
                             "smsgw_carrier_throughput_segments_per_second"}) {
    INFO(family);
    CHECK(text.find(std::string(family) + R"({carrier="xl"})") == std::string::npos);
    CHECK(value_of(text, std::string(family) + R"({carrier="tri"})") > 0);  // the other stays
  }
  CHECK(text.find(R"(smsgw_carrier_peak_window{carrier="xl")") == std::string::npos);
  CHECK(value_of(text, R"(smsgw_carrier_peak_window{carrier="tri",window="morning"})") == 1);
  // What it did stays counted.
  CHECK(value_of(text, R"(smsgw_submits_total{carrier="xl",result="accepted",route="xl"})") == 1);
  CHECK(text.find(R"(smsgw_carrier_bound_links{carrier="indosat"})") == std::string::npos);
  m.keep_carriers(configured);  // again: nothing changes
  CHECK(value_of(m.text(), R"(smsgw_carrier_bound_links{carrier="tri"})") == 1);

  show("xl", 1);  // configured again
  auto const again = m.text();
  CHECK(value_of(again, R"(smsgw_carrier_bound_links{carrier="xl"})") == 1);
  CHECK(value_of(again, R"(smsgw_carrier_peak_window{carrier="xl",window="morning"})") == 1);
}

TEST_CASE("the queue's fsync totals become histogram increments", "[metrics]") {
  metrics m({});
  std::array<double, 2> bounds{0.001, 0.01};
  std::array<std::uint64_t, 3> first{2, 1, 0}, later{4, 1, 1};
  metrics::commit_view c;
  c.bounds = bounds;
  c.buckets = first;
  c.sync_seconds = 0.004;
  m.set_commits(c);
  m.set_commits(c);  // nothing new
  auto text = m.text();
  CHECK(value_of(text, "smsgw_queue_fsync_duration_seconds_count") == 3);
  CHECK(value_of(text, R"(smsgw_queue_fsync_duration_seconds_bucket{le="0.001"})") == 2);
  c.buckets = later;
  c.sync_seconds = 0.5;
  m.set_commits(c);
  text = m.text();
  CHECK(value_of(text, "smsgw_queue_fsync_duration_seconds_count") == 6);
  CHECK(value_of(text, R"(smsgw_queue_fsync_duration_seconds_bucket{le="0.001"})") == 4);
  CHECK(value_of(text, R"(smsgw_queue_fsync_duration_seconds_bucket{le="0.01"})") == 5);
  CHECK(value_of(text, "smsgw_queue_fsync_duration_seconds_sum") == Approx(0.5));
}

TEST_CASE("queue gauges follow the queue and read up 0 when it does not answer", "[metrics]") {
  metrics m({"xl"});
  std::string const queued = R"(smsgw_queue_messages{carrier="xl",priority="otp",state="queued"})";
  m.set_queue({.up = true, .groups = {{"queued", "xl", "otp", 7}},
               .oldest_queued_otp_age_seconds = 30, .max_otp_validity_used = 0.1});
  CHECK(value_of(m.text(), queued) == 7);
  CHECK(value_of(m.text(), "smsgw_queue_up") == 1);
  metrics::queue_view empty;
  empty.up = true;
  m.set_queue(empty);
  CHECK(value_of(m.text(), queued) == 0);
  CHECK(value_of(m.text(), "smsgw_queue_oldest_otp_age_seconds") == 0);
  metrics::queue_view down;  // up = false
  m.set_queue(down);
  CHECK(value_of(m.text(), "smsgw_queue_up") == 0);
}

TEST_CASE("events add up on one series per label set, as Family::Add would give", "[metrics]") {
  metrics m({"telkomsel"});
  // A series made at start (a configured carrier) is the one the events then count on.
  for (int i = 0; i < 3; ++i) m.submit("telkomsel", "telkomsel", "accepted");
  // Label values whose concatenations are equal stay two series.
  m.submit("ab", "c", "accepted");
  m.submit("a", "bc", "accepted");
  m.submit("a", "bc", "accepted");
  m.submit_latency("telkomsel", 0.02);
  m.submit_latency("telkomsel", 0.2);
  m.outcome("delivered", "telkomsel", "otp");
  m.outcome("delivered", "telkomsel", "otp");
  m.api_response("/v1/otp", 202, 0.001);
  m.api_response("/v1/otp", 202, 0.002);
  m.api_response("/v1/otp", 429, 0.001);
  m.api_response("", 404, 0.001);
  auto const text = m.text();
  INFO(text);
  CHECK(value_of(text, R"(smsgw_submits_total{carrier="telkomsel",result="accepted",route="telkomsel"})") == 3);
  CHECK(value_of(text, R"(smsgw_submits_total{carrier="ab",result="accepted",route="c"})") == 1);
  CHECK(value_of(text, R"(smsgw_submits_total{carrier="a",result="accepted",route="bc"})") == 2);
  CHECK(value_of(text, R"(smsgw_submit_latency_seconds_count{route="telkomsel"})") == 2);
  CHECK(value_of(text, R"(smsgw_submit_latency_seconds_bucket{route="telkomsel",le="0.025"})") == 1);
  CHECK(value_of(text, R"(smsgw_submit_latency_seconds_bucket{route="telkomsel",le="0.25"})") == 2);
  CHECK(value_of(text, R"(smsgw_message_outcomes_total{carrier="telkomsel",priority="otp",state="delivered"})") == 2);
  CHECK(value_of(text, R"(smsgw_api_responses_total{endpoint="/v1/otp",status="202"})") == 2);
  CHECK(value_of(text, R"(smsgw_api_responses_total{endpoint="/v1/otp",status="429"})") == 1);
  CHECK(value_of(text, R"(smsgw_api_responses_total{endpoint="none",status="404"})") == 1);
  CHECK(value_of(text, R"(smsgw_api_request_duration_seconds_count{endpoint="/v1/otp"})") == 3);
}
