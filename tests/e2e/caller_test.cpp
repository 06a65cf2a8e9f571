// tests/e2e/caller_test.cpp: who is calling (issue #14), through the real daemon's socket. The
// history of a message names the uid and pid of the process that asked for it (SO_PEERCRED);
// the allow-lists ([api] send_uids, control_uids) refuse a caller not in them with 403 and let
// one in them through; max_connections_per_uid keeps one uid's slow clients from locking
// everyone else out. Another uid is a forked child that setuid()s to nobody, which only root
// can do: without root those parts are skipped (and say so); the per-uid accounting itself
// is also covered by tests/daemon/api/http_server_test.cpp.
#include <catch2/catch.hpp>

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/e2e/as_other_user.hpp"
#include "tests/e2e/e2e_fixture.hpp"

using namespace smsgw::e2e;

namespace {

/// telkomsel alone (its alternates are not configured).
std::vector<carrier_spec> one_carrier() {
  auto c = five_carriers()[0];
  c.alternates.clear();
  return {c};
}

/// A gateway with one carrier (telkomsel) whose [api] table gets `api_keys` too.
std::unique_ptr<gateway> gateway_with_api(std::string const& api_keys) {
  auto gw = std::make_unique<gateway>(one_carrier(), std::string{}, false);
  auto text = read_file(gw->config_path);
  auto at = text.find("\n[api]\n");
  REQUIRE(at != std::string::npos);
  text.insert(at + 7, api_keys);
  write_file(gw->config_path, text);
  open_to_group(gw->dir.path());
  gw->daemon.start();
  return gw;
}

/// A client that connects and sends half a request line, then nothing: a slow client.
class slow_client {
 public:
  explicit slow_client(std::string const& path) : fd_(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) {
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strncpy(a.sun_path, path.c_str(), sizeof(a.sun_path) - 1);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    if (connected_) connected_ = ::send(fd_, "GET /healthz HT", 15, MSG_NOSIGNAL) == 15;
  }
  ~slow_client() { ::close(fd_); }
  slow_client(slow_client const&) = delete;
  bool connected() const { return connected_; }

 private:
  int fd_;
  bool connected_ = false;
};

}  // namespace

TEST_CASE("the history of a message names the uid and pid of the process that asked", "[e2e][caller]") {
  gateway gw(one_carrier());
  auto r = gw.send_otp("081211113001", "4821");
  REQUIRE(r.status == 202);
  auto id = r.at("id").as_int64();
  auto view = gw.api.get("/v1/messages/" + std::to_string(id));
  REQUIRE(view.status == 200);
  auto const& history = view.at("history").as_array();
  REQUIRE(!history.empty());
  auto const& first = history.at(0).as_object();
  CHECK(first.at("detail") == "enqueued");
  REQUIRE(first.contains("requested_by"));
  CHECK(first.at("requested_by").at("uid").as_int64() == static_cast<std::int64_t>(::getuid()));
  CHECK(first.at("requested_by").at("pid").as_int64() == static_cast<std::int64_t>(::getpid()));
  // Only the enqueue row names a caller: the daemon's own transitions do not.
  gw.wait_final({id});
  auto final_view = gw.api.get("/v1/messages/" + std::to_string(id));
  auto const& h = final_view.at("history").as_array();
  REQUIRE(h.size() > 1);
  for (std::size_t i = 1; i < h.size(); ++i) CHECK_FALSE(h.at(i).as_object().contains("requested_by"));
}

TEST_CASE("allow-lists: a caller outside send_uids and control_uids gets 403, reads stay open", "[e2e][caller]") {
  // Everyone but the test's own uid may send and control: this process is refused.
  auto const other = as_other_user_possible() ? other_uid : ::getuid() + 1;
  auto gw = gateway_with_api(fmt::format("send_uids = [{0}]\ncontrol_uids = [{0}]\n", other));
  auto refused = gw->send_otp("081211113002", "59173");
  CHECK(refused.status == 403);
  CHECK(refused.at("error") == "forbidden");
  CHECK(std::string(refused.at("message").as_string()).find(fmt::format("uid {}", ::getuid())) != std::string::npos);
  CHECK(refused.raw.find("59173") == std::string::npos);
  auto refused_text = gw->api.post("/v1/messages", {{"to", "081211113002"}, {"text", "hello"}});
  CHECK(refused_text.status == 403);
  CHECK(gw->api.get("/healthz").status == 200);
  CHECK(gw->api.get("/v1/messages/1").status == 404);  // a read: allowed, and nothing was stored
  auto reload = gw->api.post("/v1/reload", boost::json::object{});
  CHECK(reload.status == 403);
  // Logged with the uid, never the body.
  auto logs = gw->daemon.logs();
  CHECK(logs.find(fmt::format("/v1/otp refused: uid {} pid {} may not send", ::getuid(), ::getpid())) != std::string::npos);
  CHECK(logs.find("59173") == std::string::npos);

  if (!as_other_user_possible()) {
    WARN("not root: the request as another uid (allowed by send_uids) is not tried");
    return;
  }
  auto sent = request_as(other_uid, gw->socket_path.string(), "POST", "/v1/otp",
                         R"({"to":"081211113003","code":"602817","purpose":"login"})");
  INFO(sent.body);
  REQUIRE(sent.status == 202);
  auto id = boost::json::parse(sent.body).at("id").as_int64();
  auto view = gw->api.get("/v1/messages/" + std::to_string(id));
  REQUIRE(view.status == 200);
  auto const& first = view.at("history").as_array().at(0).as_object();
  CHECK(first.at("requested_by").at("uid").as_int64() == other_uid);
  CHECK(first.at("requested_by").at("pid").as_int64() == sent.pid);
}

TEST_CASE("one uid's slow clients hold at most max_connections_per_uid: its next gets 503, another uid is served", "[e2e][caller]") {
  // The issue's case, scaled down: max_connections 8, 2 per uid; slow clients (half a request
  // line, then silence) stay for read_timeout_ms, far longer than this test.
  auto gw = gateway_with_api("max_connections = 8\nmax_connections_per_uid = 2\nread_timeout_ms = 120000\n");
  std::vector<std::unique_ptr<slow_client>> slow;
  for (int i = 0; i < 2; ++i) {
    slow.push_back(std::make_unique<slow_client>(gw->socket_path.string()));
    REQUIRE(slow.back()->connected());
  }
  // The daemon accepts in order and counts a connection when it accepts it: the next one of
  // this uid is over the cap.
  auto over = gw->api.get("/healthz");
  REQUIRE(over.ok);
  CHECK(over.status == 503);
  CHECK(over.at("error") == "too_many_connections");
  CHECK(std::string(over.at("message").as_string()).find("max_connections_per_uid") != std::string::npos);

  if (!as_other_user_possible()) {
    WARN("not root: a connection from another uid is not tried (http_server_test covers the count)");
    return;
  }
  auto other = request_as(other_uid, gw->socket_path.string(), "GET", "/healthz");
  INFO(other.body);
  CHECK(other.status == 200);
  // Another uid may hold slow clients too, up to its own cap, and is still under max_connections.
  auto other_again = request_as(other_uid, gw->socket_path.string(), "GET", "/healthz");
  CHECK(other_again.status == 200);
}
