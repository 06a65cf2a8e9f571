// Tests for daemon/api/batch_api.*: POST /v1/messages/batch through handle_request() against a
// real queue store file behind the group-commit writer (tests/daemon/api/api_fixture.hpp).
// Per item: the same checks as POST /v1/messages (a bad item gets its own 400, the rest are
// stored), idempotency keys within and across requests; the valid items are stored in ONE
// transaction with ONE fsync (the writer's counters); a malformed request stores nothing; no
// text is echoed.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include <fmt/format.h>

#include "daemon/api/batch_api.hpp"
#include "tests/daemon/api/api_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

constexpr char secret_text[] = "Tagihan Anda Rp 1.250.000 jatuh tempo";

std::string item(std::string const& to, std::string const& extra = "") {
  return R"({"to":")" + to + R"(","text":")" + secret_text + R"(")" + extra + "}";
}

std::string batch_of(std::vector<std::string> const& items) {
  std::string s = R"({"messages":[)";
  for (std::size_t i = 0; i < items.size(); ++i) s += (i ? "," : "") + items[i];
  return s + "]}";
}

std::uint64_t commits(api_fixture& f) {
  return f.gc->run([](queue::store& s) { return s.commits(); }).get();
}

/// A whole-request refusal: the status, the field, and nothing stored.
void check_whole_refused(api_fixture& f, http_response const& res, unsigned status,
                         std::string const& field) {
  INFO(res.body());
  CHECK(res.result_int() == status);
  auto o = body_of(res);
  CHECK(o.contains("error"));
  CHECK_FALSE(o.contains("results"));
  if (!field.empty()) {
    REQUIRE(o.contains("field"));
    CHECK(o.at("field").as_string() == field);
  }
  CHECK(f.stored() == 0);
}

}  // namespace

TEST_CASE("POST /v1/messages/batch: per-item results, valid items stored in one commit and one fsync") {
  api_fixture f;
  // An earlier single request whose idempotency key a batch item repeats.
  auto first = f.post("/v1/messages", item("081234500000", R"(,"idempotency_key":"inv-0")"));
  REQUIRE(first.result_int() == 202);
  auto const first_id = body_of(first).at("id").as_int64();

  std::vector<std::string> items{
      item("081234500001"),                                           // 0 valid, telkomsel
      item("0857-1234-5002", R"(,"priority":"bulk")"),                // 1 valid, indosat
      R"({"to":"12345","text":"x"})",                                 // 2 bad number
      item("081234500003", R"(,"colour":"red")"),                     // 3 unknown field
      R"({"to":"081234500004"})",                                     // 4 no text
      item("081234500005", R"(,"priority":"otp")"),                   // 5 OTPs go to /v1/otp
      R"("not an object")",                                           // 6 not an object
      item("081234500007", R"(,"idempotency_key":"inv-7")"),          // 7 valid, new key
      item("081234500008", R"(,"idempotency_key":"inv-7")"),          // 8 same key: duplicate of 7
      item("081234500009", R"(,"idempotency_key":"inv-0")"),          // 9 key of the earlier request
      item("081234500010", R"(,"ttl_seconds":0)"),                    // 10 bad ttl
      item("0877-1234-5011"),                                         // 11 valid, xl
  };
  auto const commits_before = commits(f);
  auto const syncs_before = f.gc->stats().syncs;
  auto res = f.post("/v1/messages/batch", batch_of(items));
  INFO(res.body());
  REQUIRE(res.result_int() == 200);
  CHECK(res.body().find(secret_text) == std::string::npos);  // the text is never echoed
  auto o = body_of(res);
  auto const& results = o.at("results").as_array();
  REQUIRE(results.size() == items.size());
  for (std::size_t i = 0; i < results.size(); ++i)
    CHECK(results[i].at("index").as_int64() == static_cast<std::int64_t>(i));
  auto status = [&](std::size_t i) { return results[i].at("status").as_int64(); };
  auto field = [&](std::size_t i) { return std::string(results[i].at("field").as_string()); };

  for (std::size_t i : {0, 1, 7, 11}) {
    INFO("item " << i);
    CHECK(status(i) == 202);
    CHECK(results[i].at("state").as_string() == "queued");
    CHECK(results[i].at("id").as_int64() > first_id);
  }
  CHECK(results[0].at("carrier").as_string() == "telkomsel");
  CHECK(results[1].at("carrier").as_string() == "indosat");
  CHECK(results[11].at("carrier").as_string() == "xl");
  CHECK(status(2) == 400);
  CHECK(field(2) == "to");
  CHECK(status(3) == 400);
  CHECK(field(3) == "colour");
  CHECK(status(4) == 400);
  CHECK(field(4) == "text");
  CHECK(status(5) == 400);
  CHECK(field(5) == "priority");
  CHECK(status(6) == 400);
  CHECK_FALSE(results[6].as_object().contains("id"));
  CHECK(status(8) == 200);
  CHECK(results[8].at("duplicate").as_bool());
  CHECK(results[8].at("id") == results[7].at("id"));
  CHECK(status(9) == 200);
  CHECK(results[9].at("id").as_int64() == first_id);
  CHECK(status(10) == 400);
  CHECK(field(10) == "ttl_seconds");
  CHECK(o.at("accepted").as_int64() == 4);
  CHECK(o.at("duplicates").as_int64() == 2);
  CHECK(o.at("invalid").as_int64() == 6);
  CHECK(o.at("refused").as_int64() == 0);

  // Exactly the valid items are stored (plus the earlier request), each as given.
  CHECK(f.stored() == 1 + 4);
  auto m1 = f.message(results[1].at("id").as_int64());
  CHECK(m1.recipient == "6285712345002");
  CHECK(m1.prio == queue::priority::bulk);
  CHECK(m1.text == secret_text);
  // ONE transaction and ONE fsync for the whole batch (nothing else runs in this fixture).
  CHECK(commits(f) - commits_before == 1);
  CHECK(f.gc->stats().syncs - syncs_before == 1);
  // Each carrier with accepted messages is told once.
  std::multiset<std::string> told(f.deps->notified.begin() + 1, f.deps->notified.end());
  CHECK(told == std::multiset<std::string>{"indosat", "telkomsel", "xl"});
}

TEST_CASE("POST /v1/messages/batch: a malformed request is refused whole and stores nothing") {
  api_fixture f;
  check_whole_refused(f, f.post("/v1/messages/batch", "[]"), 400, "");
  check_whole_refused(f, f.post("/v1/messages/batch", R"({"message":[]})"), 400, "message");
  check_whole_refused(f, f.post("/v1/messages/batch", R"({"messages":{}})"), 400, "messages");
  check_whole_refused(f, f.post("/v1/messages/batch", R"({"messages":[]})"), 400, "messages");
  check_whole_refused(f, f.post("/v1/messages/batch", R"({"messages":[],"messages":[]})"), 400, "messages");
  check_whole_refused(f, f.post("/v1/messages/batch", R"({"messages":[{"to":[[[["deep"]]]]}]})"), 400, "");
  std::vector<std::string> too_many(max_batch_messages + 1, item("081234500001"));
  check_whole_refused(f, f.post("/v1/messages/batch", batch_of(too_many)), 400, "messages");
  check_whole_refused(f, f.call(http::verb::post, "/v1/messages/batch", batch_of({item("081234500001")}), "text/plain"),
                      415, "Content-Type");
  auto get = f.get("/v1/messages/batch");
  CHECK(get.result_int() == 405);
  CHECK(get[http::field::allow] == "POST");
  CHECK(f.stored() == 0);
}

TEST_CASE("POST /v1/messages/batch: 1,000 messages in one request are all stored") {
  api_fixture f;
  std::vector<std::string> items;
  for (std::size_t i = 0; i < max_batch_messages; ++i)
    items.push_back(item(fmt::format("0812{:08}", i), fmt::format(R"(,"idempotency_key":"k{}")", i)));
  auto const syncs_before = f.gc->stats().syncs;
  auto res = f.post("/v1/messages/batch", batch_of(items));
  REQUIRE(res.result_int() == 200);
  auto o = body_of(res);
  CHECK(o.at("accepted").as_int64() == static_cast<std::int64_t>(max_batch_messages));
  std::set<std::int64_t> ids;
  for (auto const& r : o.at("results").as_array()) {
    CHECK(r.at("status").as_int64() == 202);
    ids.insert(r.at("id").as_int64());
  }
  CHECK(ids.size() == max_batch_messages);
  CHECK(f.stored() == static_cast<std::int64_t>(max_batch_messages));
  CHECK(f.gc->stats().syncs - syncs_before == 1);
  // The same batch again: every item is its key's duplicate, nothing new stored.
  auto again = body_of(f.post("/v1/messages/batch", batch_of(items)));
  CHECK(again.at("duplicates").as_int64() == static_cast<std::int64_t>(max_batch_messages));
  CHECK(f.stored() == static_cast<std::int64_t>(max_batch_messages));
}
