// Tests for daemon/api/access_policy.* and its use by handle_request(): which kind each endpoint
// is (read, send, control; other changes fail closed to control), the allow-lists by uid, by
// primary and by supplementary group, and the 403 a refused caller gets, with nothing stored.
// The caller's credentials are given as the transport would read them (SO_PEERCRED); the
// end-to-end tests (tests/e2e/caller_test.cpp) check the real socket.
#include <catch2/catch.hpp>

#include "daemon/api/access_policy.hpp"
#include "tests/daemon/api/api_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace http = boost::beast::http;

namespace {

peer_credentials peer(std::uint32_t uid, std::uint32_t gid, std::vector<std::uint32_t> groups = {}) {
  peer_credentials p;
  p.uid = uid;
  p.gid = gid;
  p.pid = 4242;
  p.groups = std::move(groups);
  return p;
}

}  // namespace

TEST_CASE("endpoints are classed read, send or control by method and path") {
  CHECK(classify(http::verb::get, "/healthz") == access_kind::read);
  CHECK(classify(http::verb::get, "/metrics") == access_kind::read);
  CHECK(classify(http::verb::get, "/v1/messages/12") == access_kind::read);
  CHECK(classify(http::verb::get, "/v1/carriers") == access_kind::read);
  CHECK(classify(http::verb::get, "/v1/events") == access_kind::read);
  CHECK(classify(http::verb::post, "/v1/otp") == access_kind::send);
  CHECK(classify(http::verb::post, "/v1/messages") == access_kind::send);
  CHECK(classify(http::verb::post, "/v1/messages/batch") == access_kind::send);
  CHECK(classify(http::verb::delete_, "/v1/messages/12") == access_kind::control);
  CHECK(classify(http::verb::post, "/v1/carriers/telkomsel/suspend") == access_kind::control);
  CHECK(classify(http::verb::post, "/v1/carriers/telkomsel/resume") == access_kind::control);
  CHECK(classify(http::verb::post, "/v1/reload") == access_kind::control);
  // Any other change (an endpoint added later and not classed here) fails closed.
  CHECK(classify(http::verb::put, "/v1/otp") == access_kind::control);
  CHECK(classify(http::verb::post, "/v1/something-new") == access_kind::control);
}

TEST_CASE("allow-lists: empty lets everyone, else the uid, primary gid or a supplementary group") {
  api_settings s;
  CHECK(allowed(s, access_kind::send, peer(1000, 1000)));
  CHECK(allowed(s, access_kind::control, peer_credentials{}));  // nothing configured: as before
  s.send_uids = {1001};
  s.control_gids = {50};
  CHECK(allowed(s, access_kind::send, peer(1001, 1001)));
  CHECK_FALSE(allowed(s, access_kind::send, peer(1000, 1000)));
  CHECK_FALSE(allowed(s, access_kind::send, peer(1000, 50)));  // gid 50 is for control only
  CHECK(allowed(s, access_kind::control, peer(1000, 50)));
  CHECK(allowed(s, access_kind::control, peer(1000, 1000, {20, 50})));
  CHECK_FALSE(allowed(s, access_kind::control, peer(1001, 1001, {20})));
  CHECK_FALSE(allowed(s, access_kind::send, peer_credentials{}));  // unknown caller, list set
  CHECK(allowed(s, access_kind::read, peer_credentials{}));  // reads are everyone's
  CHECK(allowed(s, access_kind::read, peer(1000, 1000)));
}

TEST_CASE("a caller outside send_uids gets 403 forbidden and nothing is stored") {
  api_fixture f;
  f.cfg.api.send_uids = {1001};
  f.cfg.api.control_uids = {1001};
  f.rebuild_deps();
  auto otp = [&](peer_credentials p) {
    http_request req{http::verb::post, "/v1/otp", 11};
    req.set(http::field::content_type, "application/json");
    req.body() = R"({"to":"081234567890","code":"736251","purpose":"login"})";
    req.prepare_payload();
    return f.run(handle_request(req, *f.deps, std::move(p)));
  };
  auto refused = otp(peer(1000, 1000));
  CHECK(refused.result_int() == 403);
  auto body = body_of(refused);
  CHECK(body.at("error") == "forbidden");
  CHECK(std::string(body.at("message").as_string()).find("uid 1000") != std::string::npos);
  CHECK(refused.body().find("736251") == std::string::npos);
  CHECK(f.stored() == 0);
  auto accepted = otp(peer(1001, 1001));
  CHECK(accepted.result_int() == 202);
  CHECK(f.stored() == 1);
  // Reads stay open; a control request from outside control_uids is refused before routing.
  http_request get{http::verb::get, "/healthz", 11};
  CHECK(f.run(handle_request(get, *f.deps, peer(1000, 1000))).result_int() == 200);
  http_request reload{http::verb::post, "/v1/reload", 11};
  CHECK(f.run(handle_request(reload, *f.deps, peer(1000, 1000))).result_int() == 403);
  http_request cancel{http::verb::delete_, "/v1/messages/1", 11};
  CHECK(f.run(handle_request(cancel, *f.deps, peer(1000, 1000))).result_int() == 403);
}

TEST_CASE("the caller's uid and pid are in the enqueue row of GET /v1/messages/{id}") {
  api_fixture f;
  http_request req{http::verb::post, "/v1/otp", 11};
  req.set(http::field::content_type, "application/json");
  req.body() = R"({"to":"081234567890","code":"736251","purpose":"login"})";
  req.prepare_payload();
  auto res = f.run(handle_request(req, *f.deps, peer(1234, 1234)));
  REQUIRE(res.result_int() == 202);
  auto id = body_of(res).at("id").as_int64();
  auto view = body_of(f.get("/v1/messages/" + std::to_string(id)));
  auto const& first = view.at("history").as_array().at(0).as_object();
  CHECK(first.at("requested_by").at("uid") == 1234);
  CHECK(first.at("requested_by").at("pid") == 4242);
  // Without credentials (an in-process caller): no requested_by at all.
  auto anon = f.post("/v1/otp", R"({"to":"081234567891","code":"736251","purpose":"login"})");
  REQUIRE(anon.result_int() == 202);
  auto v2 = body_of(f.get("/v1/messages/" + std::to_string(body_of(anon).at("id").as_int64())));
  CHECK_FALSE(v2.at("history").as_array().at(0).as_object().contains("requested_by"));
}
