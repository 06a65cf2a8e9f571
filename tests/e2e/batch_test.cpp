// tests/e2e/batch_test.cpp: POST /v1/messages/batch end to end: the real daemon on its Unix
// socket, five smsc-sim carriers. A batch of 1,000 mixed valid and invalid items (past the
// 16 KiB body limit of single requests) gets a correct result per item, is stored with one
// fsync of the queue's WAL (the daemon's own fsync counter, read from GET /metrics while no
// carrier is bound, so nothing else commits), and every valid item is delivered once with a
// receipt after the carriers come back.
#include <catch2/catch.hpp>

#include <regex>

#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// smsgw_queue_fsync_duration_seconds_count from GET /metrics (-1 if not found).
std::int64_t fsyncs(gateway const& gw) {
  auto r = gw.api.get("/metrics");
  std::smatch m;
  static std::regex const line(R"(\nsmsgw_queue_fsync_duration_seconds_count (\d+))");
  if (!r.ok || r.status != 200 || !std::regex_search(r.raw, m, line)) return -1;
  return std::stoll(m[1]);
}

struct planned {
  boost::json::object body;
  int status;          ///< the item's expected status
  std::string field;   ///< for a 400: the field named
};

}  // namespace

TEST_CASE("a batch of 1000 mixed items: per-item results, one fsync, every valid one delivered",
          "[e2e][batch]") {
  gateway gw;
  // Prefixes of the five carriers (queue/msisdn.cpp).
  std::vector<std::string> const prefixes{"0812", "0857", "0817", "0896", "0881"};
  std::vector<planned> plan;
  for (int i = 0; i < 1000; ++i) {
    auto number = fmt::format("{}{:08}", prefixes[static_cast<std::size_t>(i) % 5], 20000000 + i);
    boost::json::object o{{"to", number}, {"text", fmt::format("Pesanan {} sudah dikirim", i)}};
    if (i % 10 == 3) {
      plan.push_back({{{"to", "12345"}, {"text", "x"}}, 400, "to"});
    } else if (i % 25 == 7) {
      o["ttl_seconds"] = 0;
      plan.push_back({o, 400, "ttl_seconds"});
    } else if (i % 50 == 11) {
      o.erase("text");
      plan.push_back({o, 400, "text"});
    } else {
      if (i % 2) o["priority"] = "transactional";  // (bulk would wait out peak-hour windows)
      plan.push_back({o, 202, ""});
    }
  }
  boost::json::array items;
  for (auto const& p : plan) items.push_back(p.body);
  boost::json::object batch{{"messages", items}};
  REQUIRE(boost::json::serialize(batch).size() > 16384);  // past a single request's body_limit

  // No carrier bound: nothing but the batch commits while it is stored.
  for (auto& s : gw.sims) s->kill9();
  for (auto& s : gw.sims) {
    auto const& name = s->spec().name;
    INFO(name);
    REQUIRE(wait_until([&] { return bound_links(gw, name) == 0; }, startup_deadline));
  }
  auto const syncs_before = fsyncs(gw);
  REQUIRE(syncs_before >= 0);
  auto r = gw.api.post("/v1/messages/batch", batch);
  auto const syncs_after = fsyncs(gw);
  INFO(r.error << r.raw.substr(0, 2000));
  REQUIRE(r.ok);
  REQUIRE(r.status == 200);
  CHECK(syncs_after - syncs_before == 1);

  auto const& results = r.at("results").as_array();
  REQUIRE(results.size() == plan.size());
  std::vector<std::int64_t> ids;
  std::map<std::int64_t, std::string> number_of;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    INFO("item " << i << ": " << boost::json::serialize(results[i]));
    CHECK(results[i].at("index").as_int64() == static_cast<std::int64_t>(i));
    REQUIRE(results[i].at("status").as_int64() == plan[i].status);
    if (plan[i].status == 202) {
      ids.push_back(results[i].at("id").as_int64());
      number_of[ids.back()] = "62" + std::string(plan[i].body.at("to").as_string()).substr(1);
    } else {
      CHECK(results[i].at("field").as_string() == plan[i].field);
    }
  }
  CHECK(r.at("accepted").as_int64() == static_cast<std::int64_t>(ids.size()));
  CHECK(r.at("invalid").as_int64() == static_cast<std::int64_t>(plan.size() - ids.size()));
  CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size());
  REQUIRE(ids.size() > 800);

  // The carriers come back: every valid item is delivered, once.
  for (auto& s : gw.sims) s->restart();
  REQUIRE(wait_until([&] { return gw.dlr_lines().size() >= ids.size(); }, std::chrono::milliseconds(120000)));
  auto final = gw.wait_final(ids);
  std::size_t delivered = 0;
  for (auto id : ids) delivered += final[id] == "delivered";
  CHECK(delivered == ids.size());
  std::map<std::string, int> accepted;
  for (auto& s : gw.sims)
    for (auto const& [number, n] : s->accepted_per_number()) accepted[number] += n;
  for (auto id : ids) {
    INFO("id " << id << " number " << number_of[id]);
    CHECK(accepted[number_of[id]] == 1);
  }
  CHECK(accepted.size() == ids.size());  // no invalid item reached a carrier
}

TEST_CASE("the batch body limit is for the batch endpoint only", "[e2e][batch]") {
  gateway gw;
  // A single request as large as a batch may be is still refused by [api] body_limit.
  boost::json::object big{{"to", "081211110001"}, {"text", std::string(20000, 'a')}};
  auto r = gw.api.post("/v1/messages", big);
  INFO(r.error << r.raw);
  REQUIRE(r.ok);
  CHECK(r.status == 413);
}
