// tests/daemon/link/tls_test.cpp: the link over TLS. A test CA, server and client certificates are
// made at test time with the openssl CLI in a temp dir; a small TLS-terminating proxy on
// 127.0.0.1 (its own thread) forwards to the plain-TCP simulator. Checks: a trusted chain
// with a matching name binds (IP SAN and DNS name + SNI), a wrong CA or a wrong host name is
// refused, and a proxy that demands a client certificate gets ours.
#include <catch2/catch.hpp>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "tests/daemon/link/link_fixture.hpp"

using namespace smsgw;
using namespace smsgw::test;
namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using namespace asio::experimental::awaitable_operators;

namespace {

/// A temp dir with ca.pem, other-ca.pem, server.{pem,key} (CN/SAN localhost + 127.0.0.1)
/// and client.{pem,key}, all made by the openssl CLI.
struct test_pki {
  std::filesystem::path dir;
  test_pki() {
    char tmpl[] = "/tmp/smsgw-tls-XXXXXX";
    dir = ::mkdtemp(tmpl);
    std::ofstream(dir / "san.ext") << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    std::string const d = dir.string();
    std::string const key = "-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
    std::string script =
        "set -e; cd '" + d + "'; " +
        "openssl req -x509 " + key + " -keyout ca.key -out ca.pem -days 2 -subj '/CN=smsgw test CA'; " +
        "openssl req -x509 " + key + " -keyout other-ca.key -out other-ca.pem -days 2 -subj '/CN=other CA'; " +
        "openssl req " + key + " -keyout server.key -out server.csr -subj '/CN=localhost'; " +
        "openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out server.pem "
        "-days 2 -extfile san.ext; " +
        "openssl req " + key + " -keyout client.key -out client.csr -subj '/CN=smsgw client'; " +
        "openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out client.pem -days 2";
    std::string const cmd = "sh -c \"" + script + "\" >/dev/null 2>&1";
    if (std::system(cmd.c_str()) != 0) throw std::runtime_error("openssl CLI failed in " + d);
  }
  ~test_pki() {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  std::string file(char const* name) const { return (dir / name).string(); }
};

/// TLS on the outside, plain TCP to the simulator on the inside; one thread of its own.
class tls_proxy {
 public:
  tls_proxy(test_pki const& pki, std::uint16_t upstream, bool require_client_cert)
      : ctx_(ssl::context::tls_server), acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}),
        upstream_(upstream) {
    ctx_.use_certificate_chain_file(pki.file("server.pem"));
    ctx_.use_private_key_file(pki.file("server.key"), ssl::context::pem);
    if (require_client_cert) {
      ctx_.load_verify_file(pki.file("ca.pem"));
      ctx_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    }
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }
  ~tls_proxy() {
    io_.stop();
    thread_.join();
  }
  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string last_sni() {
    std::lock_guard lock(mutex_);
    return sni_;
  }
  std::atomic<int> handshakes_ok{0};
  std::atomic<int> handshakes_failed{0};

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      asio::co_spawn(io_, serve(std::move(socket)), asio::detached);
    }
  }
  asio::awaitable<void> serve(tcp::socket socket) {
    ssl::stream<tcp::socket> outside(std::move(socket), ctx_);
    auto [ec] = co_await outside.async_handshake(ssl::stream_base::server,
                                                 asio::as_tuple(asio::use_awaitable));
    if (ec) {
      ++handshakes_failed;
      co_return;
    }
    ++handshakes_ok;
    if (char const* name = SSL_get_servername(outside.native_handle(), TLSEXT_NAMETYPE_host_name)) {
      std::lock_guard lock(mutex_);
      sni_ = name;
    }
    tcp::socket inside(io_);
    auto [cec] = co_await inside.async_connect({asio::ip::make_address("127.0.0.1"), upstream_},
                                               asio::as_tuple(asio::use_awaitable));
    if (cec) co_return;
    co_await (pump(outside, inside) || pump(inside, outside));
  }
  template <class From, class To>
  static asio::awaitable<void> pump(From& from, To& to) {
    std::array<char, 16384> buf;
    for (;;) {
      auto [ec, n] = co_await from.async_read_some(asio::buffer(buf), asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      auto [wec, w] = co_await asio::async_write(to, asio::buffer(buf.data(), n),
                                                 asio::as_tuple(asio::use_awaitable));
      if (wec) co_return;
    }
  }

  asio::io_context io_{1};
  ssl::context ctx_;
  tcp::acceptor acceptor_;
  std::uint16_t upstream_;
  std::thread thread_;
  std::mutex mutex_;
  std::string sni_;
};

carrier_config tls_carrier(std::uint16_t port, test_pki const& pki) {
  auto cfg = carrier_config_for(port);
  cfg.tls.enabled = true;
  cfg.tls.ca_file = pki.file("ca.pem");
  return cfg;
}

}  // namespace

TEST_CASE("TLS: a trusted chain with a matching name binds and carries traffic", "[tls]") {
  test_pki pki;
  sim::simulator_thread smsc(sim_config_for_tests());
  tls_proxy proxy(pki, smsc.port(), false);
  asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  for (std::uint64_t ref = 1; ref <= 5; ++ref) source.push(make_message(ref));
  auto cfg = tls_carrier(proxy.port(), pki);

  SECTION("IP address checked against the certificate's IP SAN, no SNI") {}
  SECTION("host name localhost, sent as SNI") {
    cfg.host = "localhost";
    cfg.tls.server_name = "localhost";
  }
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return events.ok_results() == 5 && events.delivers.size() == 5; }));
  if (cfg.tls.server_name == "localhost") CHECK(proxy.last_sni() == "localhost");
  if (cfg.tls.server_name.empty()) CHECK(proxy.last_sni().empty());
  REQUIRE(stop_carrier(io, c));
  CHECK(smsc.sim().counters().unbinds_received == 1);
}

TEST_CASE("TLS: an untrusted CA or a wrong host name is refused", "[tls]") {
  test_pki pki;
  sim::simulator_thread smsc(sim_config_for_tests());
  tls_proxy proxy(pki, smsc.port(), false);
  asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  source.push(make_message(1));
  auto cfg = tls_carrier(proxy.port(), pki);
  SECTION("wrong CA") { cfg.tls.ca_file = pki.file("other-ca.pem"); }
  SECTION("wrong host name") { cfg.tls.server_name = "smsc.other.example"; }
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  REQUIRE(run_until(io, [&] { return c.links().front()->stats().connect_failures >= 2; }));
  CHECK(c.links().front()->stats().connects == 0);
  CHECK(smsc.sim().counters().binds_ok == 0);
  CHECK(events.results.empty());
  CHECK(source.size() == 1);
  REQUIRE(stop_carrier(io, c));
}

TEST_CASE("TLS: a client certificate is presented when the SMSC demands one", "[tls]") {
  test_pki pki;
  sim::simulator_thread smsc(sim_config_for_tests());
  tls_proxy proxy(pki, smsc.port(), true);
  asio::io_context io(1);
  recording_events events;
  priority_source source(io.get_executor());
  source.push(make_message(1));
  auto cfg = tls_carrier(proxy.port(), pki);
  bool const with_cert = GENERATE(true, false);
  if (with_cert) {
    cfg.tls.cert_file = pki.file("client.pem");
    cfg.tls.key_file = pki.file("client.key");
  }
  carrier c(io.get_executor(), cfg, events, source);
  REQUIRE_FALSE(c.start());
  if (with_cert) {
    REQUIRE(run_until(io, [&] { return events.ok_results() == 1; }));
  } else {
    REQUIRE(run_until(io, [&] { return proxy.handshakes_failed >= 2; }));
    CHECK(smsc.sim().counters().binds_ok == 0);
  }
  REQUIRE(stop_carrier(io, c));
}
