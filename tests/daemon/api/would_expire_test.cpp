// tests/daemon/api/would_expire_test.cpp: the enqueue refusal of deadline-aware routing in the API
// room (daemon/api/http_api.cpp, api_hooks::would_expire) against a real store file behind the
// group-commit writer. The hook stands for the dispatcher's estimate (its own tests:
// tests/daemon/dispatch/deadline_estimate_test.cpp, tests/e2e/deadline_test.cpp): here a
// carrier whose best route takes 60 s. Promises: with refuse_would_expire an OTP whose validity
// is shorter gets 503 would_expire with the estimate and nothing is stored; a longer one is
// accepted; transactional and bulk messages are never asked; the switch off asks nothing.
#include <catch2/catch.hpp>

#include "tests/daemon/api/api_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;

namespace {

/// The daemon's deps with a would_expire hook: 60 s needed on every carrier; records the asks.
class slow_route_deps final : public queue_api_deps {
 public:
  slow_route_deps(api_settings s, std::vector<route_config> const& carriers,
                  queue::group_commit& gc, boost::asio::any_io_executor ex)
      : queue_api_deps(std::move(s), carriers, gc, std::move(ex),
                       {.enqueued = {}, .health = {}, .queue_problem = {}, .metrics = {},
                        .answered = {},
                        .cancel = {}, .carriers = {}, .set_suspended = {}, .degraded = {}, .reload = {},
                        .would_expire = [this](std::string_view carrier, std::chrono::seconds v)
                            -> std::optional<double> {
                          asked.emplace_back(carrier);
                          if (v.count() >= 60) return std::nullopt;
                          return 59.2;
                        }}) {}
  std::vector<std::string> asked;
};

struct refusal_fixture : api_fixture {
  explicit refusal_fixture(bool refuse) {
    cfg.api.refuse_would_expire = refuse;
    slow = std::make_unique<slow_route_deps>(cfg.api, cfg.carriers, *gc, io.get_executor());
  }
  http_response post_to(std::string target, std::string body) {
    http_request req{boost::beast::http::verb::post, target, 11};
    req.set(boost::beast::http::field::content_type, "application/json");
    req.body() = std::move(body);
    req.prepare_payload();
    return run(handle_request(req, *slow));
  }
  std::unique_ptr<slow_route_deps> slow;
};

}  // namespace

TEST_CASE("an OTP no route can deliver in time gets 503 would_expire and nothing is stored") {
  refusal_fixture f(true);
  auto res = f.post_to("/v1/otp", R"({"to":"081234567890","code":"482913","ttl_seconds":30,"idempotency_key":"k1"})");
  INFO(res.body());
  REQUIRE(res.result_int() == 503);
  auto o = body_of(res);
  CHECK(o.at("error").as_string() == "would_expire");
  CHECK(o.at("estimate_seconds").as_int64() == 60);  // rounded up
  CHECK(o.at("validity_seconds").as_int64() == 30);
  CHECK(o.at("message").as_string().find("telkomsel") != std::string::npos);
  CHECK(res.body().find("482913") == std::string::npos);
  CHECK(f.stored() == 0);
  CHECK(f.slow->asked == std::vector<std::string>{"telkomsel"});
  // Enough validity: accepted, and the same idempotency key is a new message (none was kept).
  auto ok = f.post_to("/v1/otp", R"({"to":"081234567890","code":"482913","ttl_seconds":120,"idempotency_key":"k1"})");
  CHECK(ok.result_int() == 202);
  CHECK(f.stored() == 1);
  // Other priorities are never refused this way (nor asked).
  auto tx = f.post_to("/v1/messages", R"({"to":"081234567890","text":"parcel sent","ttl_seconds":30})");
  CHECK(tx.result_int() == 202);
  auto bulk = f.post_to("/v1/messages", R"({"to":"081234567890","text":"promo","priority":"bulk","ttl_seconds":30})");
  CHECK(bulk.result_int() == 202);
  CHECK(f.slow->asked.size() == 2);
  CHECK(f.stored() == 3);
}

TEST_CASE("with refuse_would_expire off nothing is asked and the OTP is accepted") {
  refusal_fixture f(false);
  auto res = f.post_to("/v1/otp", R"({"to":"081234567890","code":"482913","ttl_seconds":30})");
  CHECK(res.result_int() == 202);
  CHECK(f.slow->asked.empty());
  CHECK(f.stored() == 1);
}
