// tests/daemon/api/metrics_route_test.cpp: GET /metrics as the API routes it (the daemon's
// queue_api_deps with its metrics hooks): the text the hook gives, as text/plain version
// 0.0.4; 404 without a hook; 405 for another method; every answer reported to the `answered`
// hook with its endpoint (never the raw path) and status.
#include "tests/daemon/api/api_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace http = boost::beast::http;

namespace {

struct answer {
  std::string endpoint;
  int status;
};

/// queue_api_deps with the two metrics hooks, recording every answer.
class metrics_deps final : public queue_api_deps {
 public:
  metrics_deps(api_fixture& f, bool with_text)
      : queue_api_deps(f.cfg.api, f.cfg.carriers, *f.gc, f.io.get_executor(),
                       {.enqueued = {},
                        .health = {},
                        .queue_problem = {},
                        .metrics = with_text ? std::function<boost::asio::awaitable<std::string>()>(
                                                   [this]() -> boost::asio::awaitable<std::string> {
                                                     ++scrapes;
                                                     co_return "# TYPE x_total counter\nx_total 1\n";
                                                   })
                                             : nullptr,
                        .answered = [this](std::string_view e, int s,
                                           std::chrono::steady_clock::duration) {
                          answers.push_back({std::string(e), s});
                        },
                        .cancel = {}, .carriers = {}, .set_suspended = {}, .degraded = {}}) {}
  int scrapes = 0;
  std::vector<answer> answers;
};

http_response call(api_fixture& f, api_deps& d, http::verb method, std::string target) {
  http_request req{method, target, 11};
  req.prepare_payload();
  return f.run(handle_request(req, d));
}

}  // namespace

TEST_CASE("GET /metrics answers the hook's text as Prometheus text format") {
  api_fixture f;
  metrics_deps d(f, true);
  auto res = call(f, d, http::verb::get, "/metrics");
  CHECK(res.result_int() == 200);
  CHECK(res[http::field::content_type] == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(res.body() == "# TYPE x_total counter\nx_total 1\n");
  CHECK(d.scrapes == 1);
  REQUIRE(d.answers.size() == 1);
  CHECK(d.answers[0].endpoint == "/metrics");
  CHECK(d.answers[0].status == 200);
}

TEST_CASE("GET /metrics without a metrics hook is 404, another method 405") {
  api_fixture f;
  metrics_deps d(f, false);
  CHECK(call(f, d, http::verb::get, "/metrics").result_int() == 404);
  auto res = call(f, d, http::verb::post, "/metrics");
  CHECK(res.result_int() == 405);
  CHECK(res[http::field::allow] == "GET");
}

TEST_CASE("every answer is reported with its endpoint, never the raw path") {
  api_fixture f;
  metrics_deps d(f, true);
  call(f, d, http::verb::get, "/v1/messages/12345");
  call(f, d, http::verb::get, "/secret/081234567890?code=482913");
  call(f, d, http::verb::get, "/healthz");
  REQUIRE(d.answers.size() == 3);
  CHECK(d.answers[0].endpoint == "/v1/messages/{id}");
  CHECK(d.answers[0].status == 404);
  CHECK(d.answers[1].endpoint == "");
  CHECK(d.answers[1].status == 404);
  CHECK(d.answers[2].endpoint == "/healthz");
  CHECK(d.answers[2].status == 200);
}
