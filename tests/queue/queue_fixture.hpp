// tests/queue/queue_fixture.hpp: shared by the queue tests: a fresh directory under the system
// temp dir per test (removed afterwards), fake time, and a valid OTP request to start from.
// Everything runs against real SQLite files in that directory.
#pragma once

#include "queue/schema.hpp"
#include "queue/store.hpp"
#include "tests/support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <random>
#include <string>

namespace smsgw::queue::test {

using smsgw::test::temp_dir;

/// A fixed, readable fake "now": 2026-01-01T00:00:00Z.
inline time_point t0() { return from_ms(1'767'225'600'000); }
inline time_point at(std::chrono::milliseconds offset) { return t0() + offset; }

inline enqueue_request otp(std::string recipient = "6281234567890",
                           std::string purpose = "login", time_point now = t0()) {
  enqueue_request r;
  r.recipient = std::move(recipient);
  r.sender = "ACME";
  r.text = "Your code is 123456";
  r.prio = priority::otp;
  r.purpose = std::move(purpose);
  r.carrier = "telkomsel";
  r.now = now;
  return r;
}

inline store open_store(std::string const& path, time_point now = t0(),
                        store_options opts = {}) {
  auto s = store::open(path, std::move(opts), now);
  if (!s) FAIL("open: " << s.error().message);
  return std::move(*s);
}

/// Number of receipts rows with status `st`.
inline std::int64_t receipts_with_status(store& s, receipt_status st) {
  smsgw::sqlite::statement q(s.database(), "SELECT count(*) FROM receipts WHERE status = ?1");
  q.bind(1, static_cast<std::int64_t>(st));
  q.step();
  return q.column_int64(0);
}

inline message_id enqueue_ok(store& s, enqueue_request const& r) {
  auto res = s.enqueue(r);
  if (!res) FAIL("enqueue: " << res.error().message);
  REQUIRE(res->what == enqueue_outcome::kind::accepted);
  return res->id;
}

/// A database file as the build of schema `version` left it (migrations 1..version applied,
/// user_version set): for upgrade tests, which then write rows the old way.
inline smsgw::sqlite::database database_at_version(std::string const& path, int version) {
  auto db = smsgw::sqlite::database::open(path);
  for (auto const& step : migrations()) {
    if (step.version > version) break;
    db.exec(step.sql);
  }
  db.exec("PRAGMA user_version=" + std::to_string(version));
  return db;
}

}  // namespace smsgw::queue::test

// Catch prints a result as "value" or its error message (boost's operator<< would need T to
// be printable).
namespace Catch {
template <class T>
struct StringMaker<boost::system::result<T, smsgw::queue::error>> {
  static std::string convert(boost::system::result<T, smsgw::queue::error> const& r) {
    return r.has_value() ? std::string("value") : "error: " + r.error().message;
  }
};
}  // namespace Catch
