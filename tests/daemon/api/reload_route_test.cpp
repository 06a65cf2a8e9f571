// tests/daemon/api/reload_route_test.cpp: POST /v1/reload as the API routes it (the daemon's
// queue_api_deps with its reload hook): 200 with the changes and what needs a restart, 422
// invalid_config with the hook's FILE:LINE: KEY message, 404 without a hook, 405 for GET,
// 400 with a body other than {}; the answer is reported under the endpoint "/v1/reload".
#include "tests/daemon/api/api_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace http = boost::beast::http;

namespace {

/// queue_api_deps whose reload hook answers `answer` (no hook when `with_hook` is false).
class reload_deps final : public queue_api_deps {
 public:
  reload_deps(api_fixture& f, bool with_hook)
      : queue_api_deps(f.cfg.api, f.cfg.carriers, *f.gc, f.io.get_executor(),
                       {.enqueued = {},
                        .health = {},
                        .queue_problem = {},
                        .metrics = {},
                        .answered = [this](std::string_view e, int s, std::chrono::steady_clock::duration) {
                          endpoints.emplace_back(e);
                          statuses.push_back(s);
                        },
                        .cancel = {}, .carriers = {}, .set_suspended = {}, .degraded = {},
                        .reload = with_hook ? std::function<boost::asio::awaitable<reload_answer>()>(
                                                  [this]() -> boost::asio::awaitable<reload_answer> {
                                                    ++reloads;
                                                    co_return answer;
                                                  })
                                            : nullptr,
                        .would_expire = {}}) {}
  reload_answer answer;
  int reloads = 0;
  std::vector<std::string> endpoints;
  std::vector<int> statuses;
};

http_response call(api_fixture& f, api_deps& d, http::verb method, std::string body = {}) {
  http_request req{method, "/v1/reload", 11};
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.prepare_payload();
  return f.run(handle_request(req, d));
}

}  // namespace

TEST_CASE("POST /v1/reload answers the changes of an applied reload") {
  api_fixture f;
  reload_deps d(f, true);
  d.answer = {.applied = true,
              .changes = {"carrier telkomsel: throughput 200 -> 50"},
              .needs_restart = {"[queue] db_path /a -> /b (needs a restart; the running value stays)"},
              .message = {}};
  auto res = call(f, d, http::verb::post);
  CHECK(res.result_int() == 200);
  auto o = body_of(res);
  CHECK(o.at("status") == "reloaded");
  REQUIRE(o.at("changes").as_array().size() == 1);
  CHECK(o.at("changes").as_array()[0] == "carrier telkomsel: throughput 200 -> 50");
  CHECK(o.at("needs_restart").as_array().size() == 1);
  CHECK(d.reloads == 1);
  REQUIRE(d.endpoints.size() == 1);
  CHECK(d.endpoints[0] == "/v1/reload");
  CHECK(d.statuses[0] == 200);
  // {} as a body is the same request.
  CHECK(call(f, d, http::verb::post, "{}").result_int() == 200);
  CHECK(d.reloads == 2);
}

TEST_CASE("POST /v1/reload answers 422 invalid_config with the FILE:LINE: KEY message") {
  api_fixture f;
  reload_deps d(f, true);
  d.answer = {.applied = false, .changes = {}, .needs_restart = {},
              .message = "/etc/smsgw/smsgw.toml:7: carrier[0].throughput: must be > 0"};
  auto res = call(f, d, http::verb::post);
  CHECK(res.result_int() == 422);
  auto o = body_of(res);
  CHECK(o.at("error") == "invalid_config");
  CHECK(o.at("message") == "/etc/smsgw/smsgw.toml:7: carrier[0].throughput: must be > 0");
}

TEST_CASE("POST /v1/reload: no hook 404, GET 405, a body 400 and no reload") {
  api_fixture f;
  reload_deps none(f, false);
  CHECK(call(f, none, http::verb::post).result_int() == 404);
  reload_deps d(f, true);
  auto get = call(f, d, http::verb::get);
  CHECK(get.result_int() == 405);
  CHECK(get[http::field::allow] == "POST");
  CHECK(call(f, d, http::verb::post, R"({"now":true})").result_int() == 400);
  CHECK(d.reloads == 0);
}
