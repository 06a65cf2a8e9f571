// tests/bench/loadgen_test.cpp: the load generator's pure parts: its command line (every
// run bounded, bad values refused naming the flag), the requests it makes (mix, numbers,
// bodies) and the percentile maths of its summary.
#include <algorithm>
#include <set>

#include <boost/json.hpp>
#include <catch2/catch.hpp>

#include "bench/loadgen/latency_summary.hpp"
#include "bench/loadgen/loadgen_options.hpp"
#include "bench/loadgen/request_maker.hpp"

using namespace smsgw::loadgen;

namespace {
boost::system::result<options, std::string> parse(std::vector<std::string_view> args) {
  return parse_options(args);
}
}  // namespace

TEST_CASE("loadgen options: defaults are bounded and the socket is required") {
  auto none = parse({});
  REQUIRE_FALSE(none.has_value());
  CHECK(none.error() == "--socket PATH is required");
  auto o = parse({"--socket", "/tmp/x.sock"});
  REQUIRE(o.has_value());
  CHECK(o->count == 1000);
  CHECK(o->duration_s == 60);
  CHECK(o->rate == 0);
  CHECK(o->clients == 4);
  CHECK(o->mix.otp == 100);
  CHECK(o->keep_alive);
}

TEST_CASE("loadgen options: every flag in both spellings") {
  auto o = parse({"--socket=/s", "--clients", "16", "--count=5000", "--duration-s", "2.5", "--rate=300",
                  "--mix", "otp=80,transactional=15,bulk=5", "--prefixes=0812=3,0895", "--numbers",
                  "sequential", "--first-number", "100", "--distinct-numbers", "7", "--subscriber-digits",
                  "9", "--ttl-s", "120", "--message-ttl-s", "600", "--purpose", "login", "--text-bytes",
                  "100", "--no-keep-alive", "--timeout-ms", "500", "--seed", "42", "--label", "surge",
                  "--jsonl", "-", "--ids", "ids.txt", "--summary-json"});
  REQUIRE(o.has_value());
  CHECK(o->socket_path == "/s");
  CHECK(o->clients == 16);
  CHECK(o->count == 5000);
  CHECK(o->duration_s == 2.5);
  CHECK(o->rate == 300);
  CHECK(o->mix.otp == 80);
  CHECK(o->mix.transactional == 15);
  CHECK(o->mix.bulk == 5);
  REQUIRE(o->prefixes.size() == 2);
  CHECK(o->prefixes[0].prefix == "0812");
  CHECK(o->prefixes[0].weight == 3);
  CHECK(o->prefixes[1].weight == 1);
  CHECK(o->order == number_order::sequential);
  CHECK(o->first_number == 100);
  CHECK(o->distinct_numbers == 7);
  CHECK(o->subscriber_digits == 9);
  CHECK(o->ttl_seconds == 120);
  CHECK(o->message_ttl_seconds == 600);
  CHECK(o->purpose == "login");
  CHECK(o->text_bytes == 100);
  CHECK_FALSE(o->keep_alive);
  CHECK(o->timeout_ms == 500);
  CHECK(o->seed == 42);
  CHECK(o->label == "surge");
  CHECK(o->jsonl_path == "-");
  CHECK(o->ids_path == "ids.txt");
  CHECK(o->summary_json);
}

TEST_CASE("loadgen options: bad values are refused naming the flag") {
  auto error_of = [](std::vector<std::string_view> args) {
    args.insert(args.begin(), {"--socket", "/s"});
    auto r = parse_options(args);
    return r ? std::string("accepted") : r.error();
  };
  CHECK(error_of({"--count", "0"}) == "--count: '0' is not a number in 1..100000000");
  CHECK(error_of({"--count", "12x"}).starts_with("--count: '12x'"));
  CHECK(error_of({"--duration-s", "0"}).starts_with("--duration-s:"));
  CHECK(error_of({"--duration-s", "inf"}).starts_with("--duration-s:"));
  CHECK(error_of({"--rate", "-1"}).starts_with("--rate:"));
  CHECK(error_of({"--clients", "0"}).starts_with("--clients:"));
  CHECK(error_of({"--clients"}) == "--clients needs a value");
  CHECK(error_of({"--mix", "otp=0"}) == "--mix: every weight is 0");
  CHECK(error_of({"--mix", "sms=1"}).starts_with("--mix: unknown class 'sms'"));
  CHECK(error_of({"--mix", "otp"}).starts_with("--mix: 'otp' is not CLASS=WEIGHT"));
  CHECK(error_of({"--prefixes", "0212"}).starts_with("--prefixes: '0212' is not a mobile prefix"));
  CHECK(error_of({"--prefixes", "0812=0"}).starts_with("--prefixes: weight of '0812'"));
  CHECK(error_of({"--numbers", "random"}) == "--numbers wants scattered or sequential");
  CHECK(error_of({"--colour", "red"}) == "unknown option --colour");
  CHECK(parse({"--help"}).error() == usage());
}

TEST_CASE("loadgen requests: the mix decides endpoint and priority, bodies hold no stray fields") {
  auto o = parse({"--socket", "/s", "--mix", "otp=2,transactional=1,bulk=1", "--ttl-s", "120",
                  "--purpose", "login", "--text-bytes", "30"});
  REQUIRE(o.has_value());
  request_maker maker(*o);
  std::map<priority, int> seen;
  for (int i = 0; i < 4000; ++i) {
    auto r = maker.next();
    CHECK(r.index == static_cast<std::uint64_t>(i));
    ++seen[r.prio];
    auto body = boost::json::parse(r.body).as_object();
    CHECK(body.at("to").as_string() == r.to);
    if (r.prio == priority::otp) {
      CHECK(r.target == "/v1/otp");
      CHECK(body.at("code").as_string().size() == 6);
      CHECK(body.at("ttl_seconds").as_int64() == 120);
      CHECK(body.at("purpose").as_string() == "login");
      CHECK(body.size() == 4);
    } else {
      CHECK(r.target == "/v1/messages");
      CHECK(body.at("priority").as_string() == priority_name(r.prio));
      CHECK(body.at("text").as_string().size() == 30);
      CHECK(body.size() == 3);
    }
  }
  // 2:1:1 over 4000 draws: each class within a wide band of its share.
  CHECK(seen[priority::otp] > 1800);
  CHECK(seen[priority::otp] < 2200);
  CHECK(seen[priority::transactional] > 850);
  CHECK(seen[priority::bulk] > 850);
}

TEST_CASE("loadgen requests: the same seed makes the same requests, another seed others") {
  auto a = parse({"--socket", "/s", "--mix", "otp=1,bulk=1", "--prefixes", "0812,0814,0817"});
  auto b = parse({"--socket", "/s", "--mix", "otp=1,bulk=1", "--prefixes", "0812,0814,0817", "--seed", "2"});
  REQUIRE(a.has_value());
  REQUIRE(b.has_value());
  request_maker m1(*a), m2(*a), m3(*b);
  bool differs = false;
  for (int i = 0; i < 100; ++i) {
    auto r1 = m1.next(), r2 = m2.next(), r3 = m3.next();
    CHECK(r1.body == r2.body);
    differs = differs || r1.body != r3.body;
  }
  CHECK(differs);
}

TEST_CASE("loadgen numbers: scattered numbers are distinct and spread over number ranges") {
  std::set<std::uint64_t> numbers, ranges;
  for (std::uint64_t k = 0; k < 100000; ++k) {
    auto n = request_maker::subscriber(k, 8, number_order::scattered);
    CHECK(n < 100000000);
    numbers.insert(n);
    ranges.insert(n / 10000);  // the daemon's default per-prefix range: all but 4 digits
  }
  CHECK(numbers.size() == 100000);
  // 100,000 numbers over at least 5,000 ranges: no range gets near the default 50 per 10 min.
  CHECK(ranges.size() > 5000);
  CHECK(request_maker::subscriber(12345, 8, number_order::sequential) == 12345);
  CHECK(request_maker::subscriber(100000000 + 5, 8, number_order::sequential) == 5);
}

TEST_CASE("loadgen numbers: the prefix, the digits, --first-number and --distinct-numbers") {
  auto o = parse({"--socket", "/s", "--numbers", "sequential", "--first-number", "10", "--distinct-numbers",
                  "3", "--subscriber-digits", "6", "--prefixes", "0895"});
  REQUIRE(o.has_value());
  request_maker maker(*o);
  std::vector<std::string> to;
  for (int i = 0; i < 5; ++i) to.push_back(maker.next().to);
  CHECK(to == std::vector<std::string>{"0895000010", "0895000011", "0895000012", "0895000010", "0895000011"});
}

TEST_CASE("loadgen summary: nearest-rank percentiles") {
  std::vector<double> hundred;
  for (int i = 1; i <= 100; ++i) hundred.push_back(i);
  CHECK(percentile(hundred, 50) == 50);
  CHECK(percentile(hundred, 90) == 90);
  CHECK(percentile(hundred, 99) == 99);
  CHECK(percentile(hundred, 99.9) == 100);
  CHECK(percentile(hundred, 100) == 100);
  CHECK(percentile({}, 50) == 0);
  CHECK(percentile({7}, 1) == 7);
  CHECK(percentile({7}, 99.9) == 7);
  std::vector<double> three{1, 2, 3};
  CHECK(percentile(three, 33) == 1);
  CHECK(percentile(three, 34) == 2);
  CHECK(percentile(three, 67) == 3);
}

TEST_CASE("loadgen summary: accepted rate, statuses and the JSON form") {
  run_summary s;
  s.label = "t";
  s.mode = "paced";
  s.rate = 10;
  s.clients = 2;
  s.sent = 6;
  s.statuses = {{202, 4}, {429, 1}};
  s.transport_errors = 1;
  s.elapsed_s = 2;
  s.accepted_latency_ms = {4, 1, 3, 2};
  CHECK(s.accepted() == 4);
  CHECK(s.accepted_per_s() == 2);
  auto j = boost::json::parse(format_json(s)).as_object();
  CHECK(j.at("accepted").to_number<std::uint64_t>() == 4);
  CHECK(j.at("accepted_per_s").as_double() == 2);
  CHECK(j.at("statuses").at("429").to_number<std::uint64_t>() == 1);
  CHECK(j.at("transport_errors").to_number<std::uint64_t>() == 1);
  CHECK(j.at("latency_ms").at("p50").as_double() == 2);
  CHECK(j.at("latency_ms").at("max").as_double() == 4);
  auto text = format_text(s);
  CHECK(text.find("4 accepted (202) = 2.0 msg/s") != std::string::npos);
  CHECK(text.find("429:1") != std::string::npos);
}
