// tests/queue/rate_limits_test.cpp: queue/rate_limits.hpp on real SQLite files with fake time.
// The story: each limit lets exactly max_count requests through, trips on the last of them,
// refuses until the documented time and not a millisecond less; refused requests change
// nothing; a restart (close, reopen the file) forgets nothing; a number range is limited
// across different numbers; purge removes only what no limit needs; SQLite failures and bad
// input come back as error values. The last cases go through store::enqueue, as the daemon
// does: refused requests are stored nowhere, idempotent repeats do not count.
#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <string>

#include <unistd.h>

#include "queue/rate_limits.hpp"
#include "queue/schema.hpp"
#include "queue/store.hpp"
#include "tests/queue/queue_fixture.hpp"

using namespace smsgw;
using namespace smsgw::queue;
using namespace std::chrono_literals;

namespace {

// A database file of its own per test, removed (with its WAL) before and after.
class temp_db {
 public:
  explicit temp_db(std::string const& name) {
    auto dir = std::filesystem::path(SMSGW_BINARY_DIR) / "test-tmp";
    std::filesystem::create_directories(dir);
    path_ = (dir / ("rate_limits_" + name + "_" + std::to_string(::getpid()) + ".db")).string();
    remove_files();
  }
  ~temp_db() { remove_files(); }
  temp_db(temp_db const&) = delete;
  temp_db& operator=(temp_db const&) = delete;

  /// Opens the file and brings the schema up to date, as the queue does at start.
  sqlite::database open(sqlite::open_options opts = {}) const {
    auto db = sqlite::database::open(path_, opts);
    if (!opts.read_only) migrate(db);
    return db;
  }
  std::string const& path() const { return path_; }

 private:
  void remove_files() const {
    for (char const* suffix : {"", "-wal", "-shm", "-journal"}) {
      std::filesystem::remove(path_ + suffix);
    }
  }
  std::string path_;
};

// 2026-05-28T00:00:00Z; fake time moves only when a test says so.
time_point const t0 = from_ms(1'780'000'000'000);

limits_config only_number(window_limit l) {
  limits_config cfg;
  cfg.per_number = {std::move(l)};
  cfg.per_prefix = {};
  return cfg;
}

rate_limiter make_limiter(sqlite::database& db, limits_config cfg = {}) {
  return rate_limiter::make(db, std::move(cfg)).value();
}

bool allowed(rate_limiter& l, std::string_view msisdn, time_point at) {
  return l.check_and_record(msisdn, at).value().allowed();
}

limit_refusal refusal(rate_limiter& l, std::string_view msisdn, time_point at) {
  auto d = l.check_and_record(msisdn, at).value();
  REQUIRE_FALSE(d.allowed());
  return *d.refusal;
}

std::int64_t rows(sqlite::database& db, std::string_view table) {
  return db.query_int("SELECT count(*) FROM " + std::string(table));
}

constexpr std::string_view number = "6281234567890";

}  // namespace

TEST_CASE("the defaults are the article's limits, named for refusals", "[rate_limits]") {
  temp_db file("defaults");
  auto db = file.open();
  auto limiter = make_limiter(db);
  auto const& cfg = limiter.config();
  REQUIRE(cfg.per_number.size() == 3);
  CHECK(cfg.per_number[0].name == "5 per 15 min");
  CHECK(cfg.per_number[0].cooldown == 30min);
  CHECK(cfg.per_number[1].name == "10 per 1 h");
  CHECK(cfg.per_number[1].cooldown == 1h);
  CHECK(cfg.per_number[2].name == "30 per 24 h");
  CHECK(cfg.per_number[2].cooldown == 24h);
  REQUIRE(cfg.per_prefix.size() == 1);
  CHECK(cfg.per_prefix[0].name == "range 50 per 10 min");
  CHECK(cfg.per_prefix[0].cooldown == 30min);
  CHECK(cfg.prefix_hidden_digits == 4);
}

TEST_CASE("each default limit trips at exactly max_count and refuses until cooldown ends",
          "[rate_limits]") {
  // Each limit alone: max_count requests spread over half its window are all accepted; the
  // last one trips the limit; the next is refused until (last accepted + cooldown).
  auto limit = GENERATE(from_range(limits_config::default_number_limits()));
  limit.name = "";
  CAPTURE(limit.max_count, limit.window.count());
  temp_db file("each_limit");
  auto db = file.open();
  auto limiter = make_limiter(db, only_number(limit));
  auto const step = limit.window / (2 * limit.max_count);

  time_point t = t0;
  for (std::uint32_t i = 0; i < limit.max_count; ++i, t += step) {
    CAPTURE(i);
    REQUIRE(allowed(limiter, number, t));
  }
  auto const last = t - step;
  auto r = refusal(limiter, number, t);
  CHECK(r.limit == limiter.config().per_number[0].name);
  CHECK(r.retry_after == last + limit.cooldown);
  CHECK_FALSE(limiter.check(number, r.retry_after - 1ms).value().allowed());
  CHECK(allowed(limiter, number, r.retry_after));
  CHECK(rows(db, "rate_number_events") == limit.max_count + 1);
}

TEST_CASE("with the default set, a resend storm meets 15 min, then 1 h, then 24 h",
          "[rate_limits]") {
  temp_db file("storm");
  auto db = file.open();
  auto limiter = make_limiter(db);

  // Five requests a minute apart: all accepted, the fifth trips "5 per 15 min".
  for (int i = 0; i < 5; ++i) REQUIRE(allowed(limiter, number, t0 + i * 1min));
  auto r = refusal(limiter, number, t0 + 5min);
  CHECK(r.limit == "5 per 15 min");
  CHECK(r.retry_after == t0 + 4min + 30min);

  // Back at 34 min: five more; the tenth within the hour trips "10 per 1 h" (until 38 + 60),
  // which outlasts the 15-min cooldown it also trips (until 38 + 30): the later one is named.
  for (int i = 0; i < 5; ++i) REQUIRE(allowed(limiter, number, t0 + 34min + i * 1min));
  r = refusal(limiter, number, t0 + 39min);
  CHECK(r.limit == "10 per 1 h");
  CHECK(r.retry_after == t0 + 98min);
  CHECK_FALSE(limiter.check(number, t0 + 98min - 1ms).value().allowed());

  // Keep coming back at each retry_after: 30 accepted within 24 h trips "30 per 24 h".
  time_point t = t0 + 98min;
  int accepted = 10;
  time_point last_accepted{};
  while (accepted < 30) {
    auto d = limiter.check_and_record(number, t).value();
    if (d.allowed()) {
      ++accepted;
      last_accepted = t;
      t += 1min;
    } else {
      REQUIRE(d.refusal->retry_after > t);
      t = d.refusal->retry_after;
    }
    REQUIRE(t < t0 + 24h);  // the 30th request comes well within the first day
  }
  r = refusal(limiter, number, last_accepted + 1min);
  CHECK(r.limit == "30 per 24 h");
  CHECK(r.retry_after == last_accepted + 24h);
  CHECK(rows(db, "rate_number_events") == 30);
}

TEST_CASE("refused requests neither count nor extend the cooldown", "[rate_limits]") {
  temp_db file("refused");
  auto db = file.open();
  auto limiter = make_limiter(db);
  for (int i = 0; i < 5; ++i) REQUIRE(allowed(limiter, number, t0 + i * 1s));
  auto const until = t0 + 4s + 30min;
  // A user hammering "resend" through the whole cooldown: 200 refusals, all with the same
  // retry_after, nothing recorded.
  for (int i = 0; i < 200; ++i) {
    auto r = refusal(limiter, number, t0 + 5s + i * 9s);
    REQUIRE(r.retry_after == until);
  }
  CHECK(rows(db, "rate_number_events") == 5);
  CHECK(rows(db, "rate_prefix_events") == 5);
  CHECK(allowed(limiter, number, until));
}

TEST_CASE("check() only reads, check_and_record() records only what it allows",
          "[rate_limits]") {
  temp_db file("check_only");
  auto db = file.open();
  auto limiter = make_limiter(db, only_number({2, 1min, 1min, "2 per min"}));
  for (int i = 0; i < 10; ++i) CHECK(limiter.check(number, t0).value().allowed());
  CHECK(rows(db, "rate_number_events") == 0);
  CHECK(allowed(limiter, number, t0));
  CHECK(allowed(limiter, number, t0));  // the same millisecond twice counts twice
  auto r = limiter.check(number, t0).value();
  REQUIRE_FALSE(r.allowed());
  CHECK(r.refusal->limit == "2 per min");
  CHECK(r.refusal->retry_after == t0 + 1min);
}

TEST_CASE("a sliding window without cooldown refuses until the oldest request slides out",
          "[rate_limits]") {
  temp_db file("sliding");
  auto db = file.open();
  auto limiter = make_limiter(db, only_number({3, 10min, 0ms, ""}));
  REQUIRE(allowed(limiter, number, t0));
  REQUIRE(allowed(limiter, number, t0 + 1min));
  REQUIRE(allowed(limiter, number, t0 + 2min));
  auto r = refusal(limiter, number, t0 + 3min);
  CHECK(r.limit == "3 per 10 min");
  CHECK(r.retry_after == t0 + 10min);            // the request at t0 leaves the window
  REQUIRE(allowed(limiter, number, t0 + 10min));
  CHECK(refusal(limiter, number, t0 + 10min + 30s).retry_after == t0 + 11min);
}

TEST_CASE("a request exactly one window later is outside the window", "[rate_limits]") {
  // The window ending at T is (T - window, T]: a request at t0 no longer counts at t0 + window,
  // so two requests exactly 10 min apart never trip "2 per 10 min".
  temp_db file("window_edge");
  auto db = file.open();
  auto limiter = make_limiter(db, only_number({2, 10min, 1h, ""}));
  REQUIRE(allowed(limiter, number, t0));
  REQUIRE(allowed(limiter, number, t0 + 10min));
  CHECK(limiter.check(number, t0 + 10min + 1ms).value().allowed());
  REQUIRE(allowed(limiter, number, t0 + 20min - 1ms));  // 2 in (t0 + 10 min - 1 ms, ...]: trips
  CHECK(refusal(limiter, number, t0 + 20min).retry_after == t0 + 80min - 1ms);
}

TEST_CASE("a cooldown shorter than the window still waits for room in the window",
          "[rate_limits]") {
  temp_db file("short_cooldown");
  auto db = file.open();
  auto limiter = make_limiter(db, only_number({3, 10min, 2min, ""}));
  for (int i = 0; i < 3; ++i) REQUIRE(allowed(limiter, number, t0 + i * 1min));
  CHECK(refusal(limiter, number, t0 + 3min).retry_after == t0 + 10min);  // not 2 + 2 = 4 min
  CHECK(allowed(limiter, number, t0 + 10min));
}

TEST_CASE("limits survive a restart: close the file, reopen it, still refused",
          "[rate_limits]") {
  temp_db file("restart");
  {
    auto db = file.open();
    auto limiter = make_limiter(db);
    for (int i = 0; i < 5; ++i) REQUIRE(allowed(limiter, number, t0 + i * 1min));
  }  // limiter and connection closed: the daemon restarted
  auto db = file.open();
  auto limiter = make_limiter(db);
  auto r = refusal(limiter, number, t0 + 10min);
  CHECK(r.limit == "5 per 15 min");
  CHECK(r.retry_after == t0 + 34min);
  CHECK(allowed(limiter, number, t0 + 34min));
}

TEST_CASE("a number range is limited across different numbers", "[rate_limits]") {
  // SMS pumping walks a range: 6281234560000..6281234569999 share the key 628123456.
  temp_db file("range");
  auto db = file.open();
  auto limiter = make_limiter(db);
  auto in_range = [](int i) { return "628123456" + std::to_string(1000 + i); };
  for (int i = 0; i < 50; ++i) {
    CAPTURE(i);
    REQUIRE(allowed(limiter, in_range(i), t0 + i * 5s));  // each number only once
  }
  auto const last = t0 + 49 * 5s;
  auto r = refusal(limiter, in_range(50), t0 + 250s);
  CHECK(r.limit == "range 50 per 10 min");
  CHECK(r.retry_after == last + 30min);
  // A number that already asked once is refused too, and so is a fresh one in the range.
  CHECK(refusal(limiter, in_range(0), t0 + 251s).limit == "range 50 per 10 min");
  // The neighbouring range (628123457xxxx) and other lengths are untouched.
  CHECK(allowed(limiter, "6281234571000", t0 + 252s));
  CHECK(allowed(limiter, "628123456100", t0 + 253s));  // 12 digits: key 62812345
  CHECK(allowed(limiter, in_range(51), last + 30min));
}

TEST_CASE("the range size follows prefix_hidden_digits", "[rate_limits]") {
  CHECK(msisdn_prefix("6281234567890", 4) == "628123456");
  CHECK(msisdn_prefix("6281234567890", 2) == "62812345678");
  CHECK(msisdn_prefix("62811123456", 4) == "6281112");

  temp_db file("hidden_digits");
  auto db = file.open();
  limits_config cfg;
  cfg.per_number = {};
  cfg.per_prefix = {{2, 1h, 1h, ""}};
  cfg.prefix_hidden_digits = 2;  // ranges of 100 numbers
  auto limiter = make_limiter(db, cfg);
  REQUIRE(allowed(limiter, "6281234567800", t0));
  REQUIRE(allowed(limiter, "6281234567899", t0));
  CHECK_FALSE(limiter.check("6281234567850", t0).value().allowed());
  CHECK(limiter.check("6281234567950", t0).value().allowed());  // next hundred
  CHECK(rows(db, "rate_number_events") == 0);  // no number limits: nothing recorded for them
}

TEST_CASE("inside the caller's transaction: a rollback undoes the recorded request",
          "[rate_limits]") {
  temp_db file("transaction");
  auto db = file.open();
  auto limiter = make_limiter(db, only_number({1, 1h, 1h, ""}));
  {
    sqlite::transaction tx(db);  // the queue's enqueue transaction, which then fails
    REQUIRE(allowed(limiter, number, t0));
    CHECK_FALSE(limiter.check(number, t0).value().allowed());  // visible inside it
  }  // rolled back
  CHECK(limiter.check(number, t0).value().allowed());
  {
    sqlite::transaction tx(db);
    REQUIRE(allowed(limiter, number, t0));
    tx.commit();
  }
  CHECK_FALSE(limiter.check(number, t0 + 59min).value().allowed());
}

TEST_CASE("purge deletes only events no limit can need, oldest first, in batches",
          "[rate_limits]") {
  temp_db file("purge");
  auto db = file.open();
  auto limiter = make_limiter(db);  // horizons: number 24 h + 24 h, range 10 min + 30 min
  // 20 numbers once each, an hour apart, spread over 6 ranges.
  for (int i = 0; i < 20; ++i) {
    auto n = "62812345" + std::to_string(60000 + i * 1000 + i);
    REQUIRE(allowed(limiter, n, t0 + i * 1h));
  }
  auto const now = t0 + 19h;
  // Range events older than 40 min: all but the last (at 19 h). Number events: none yet.
  CHECK(limiter.purge(now, 5).value() == 5);
  CHECK(rows(db, "rate_prefix_events") == 15);
  while (limiter.purge(now, 5).value() > 0) {
  }
  CHECK(rows(db, "rate_prefix_events") == 1);
  CHECK(rows(db, "rate_number_events") == 20);
  // 48 h after the 10th (t0 + 9 h), the first 10 number events are gone.
  CHECK(limiter.purge(t0 + 9h + 48h, 100).value() == 10 + 1);
  CHECK(rows(db, "rate_number_events") == 10);
  CHECK(rows(db, "rate_prefix_events") == 0);
}

TEST_CASE("purge keeps what an active cooldown needs", "[rate_limits]") {
  temp_db file("purge_keeps");
  auto db = file.open();
  auto limiter = make_limiter(db);
  for (int i = 0; i < 30; ++i) {  // a day's worth, paced to trip only the daily limit
    REQUIRE(allowed(limiter, number, t0 + i * 30min));
  }
  auto const last = t0 + 29 * 30min;
  auto const later = last + 20h;
  while (limiter.purge(later, 7).value() > 0) {
  }
  CHECK(rows(db, "rate_number_events") == 30);  // within 24 h + 24 h: all still needed
  auto r = refusal(limiter, number, later);
  CHECK(r.limit == "30 per 24 h");
  CHECK(r.retry_after == last + 24h);
}

TEST_CASE("bad input and bad config are error values", "[rate_limits]") {
  temp_db file("bad_input");
  auto db = file.open();
  auto limiter = make_limiter(db);
  for (std::string_view bad : {"081234567890", "+6281234567890", "", "6281234567890123",
                               "62812345678x0", "6221520779"}) {
    CAPTURE(bad);
    auto d = limiter.check_and_record(bad, t0);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().code == errc::invalid_argument);
  }
  CHECK(rows(db, "rate_number_events") == 0);

  auto bad_config = [&](limits_config cfg, std::string_view fragment) {
    auto l = rate_limiter::make(db, std::move(cfg));
    REQUIRE_FALSE(l.has_value());
    CHECK(l.error().code == errc::invalid_argument);
    CHECK_THAT(l.error().message, Catch::Contains(std::string(fragment)));
  };
  bad_config(only_number({0, 1min, 0ms, ""}), "per_number[0]: max_count");
  bad_config(only_number({10001, 1min, 0ms, ""}), "max_count");
  bad_config(only_number({1, 0ms, 0ms, ""}), "window must be > 0");
  bad_config(only_number({1, 1min, -1ms, ""}), "cooldown must be >= 0");
  bad_config(only_number({1, 24h * 300, 24h * 100, ""}), "exceed a year");
  bad_config(only_number({1, std::chrono::milliseconds::max(), 1ms, ""}), "exceed a year");
  bad_config(only_number({1, 1ms, std::chrono::milliseconds::max(), ""}), "exceed a year");
  limits_config c;
  c.prefix_hidden_digits = 0;
  bad_config(c, "prefix_hidden_digits");
  c.prefix_hidden_digits = 7;
  bad_config(c, "prefix_hidden_digits");
  c = {};
  c.per_prefix[0].window = 0ms;
  bad_config(c, "per_prefix[0]");
  CHECK_FALSE(validate(limits_config{}).has_value());
}

TEST_CASE("SQLite failures come back as error values", "[rate_limits]") {
  SECTION("tables missing: the schema was not migrated") {
    temp_db file("no_schema");
    auto db = sqlite::database::open(file.path());
    auto l = rate_limiter::make(db, {});
    REQUIRE_FALSE(l.has_value());
    CHECK_THAT(l.error().message, Catch::Contains("rate_number_events"));
  }
  SECTION("read-only database: checks work, recording fails cleanly") {
    temp_db file("read_only");
    {
      auto db = file.open();
      auto limiter = make_limiter(db);
      REQUIRE(allowed(limiter, number, t0));
    }
    sqlite::open_options ro;
    ro.read_only = true;
    auto db = file.open(ro);
    auto limiter = make_limiter(db);
    CHECK(limiter.check(number, t0).value().allowed());
    auto d = limiter.check_and_record(number, t0);
    REQUIRE_FALSE(d.has_value());
    CHECK(d.error().code == errc::read_only);
    CHECK_THAT(d.error().message, Catch::Contains("check_and_record"));
  }
}

// --- Through the queue: the limits as store::enqueue applies them -----------------------------

namespace {

store_options with_limits() {
  store_options o;
  o.limits = limits_config{};
  return o;
}

enqueue_outcome enqueue(store& s, enqueue_request const& r) {
  auto out = s.enqueue(r);
  if (!out) FAIL("enqueue: " << out.error().message);
  return std::move(*out);
}

std::int64_t messages(store& s) {
  auto counts = s.count_by_state().value();
  std::int64_t n = 0;
  for (auto c : counts) n += c;
  return n;
}

}  // namespace

TEST_CASE("store: the 6th OTP in 15 min is refused, stored nowhere, and says when",
          "[rate_limits][store]") {
  queue::test::temp_dir dir;
  auto s = queue::test::open_store(dir.file(), t0, with_limits());
  for (int i = 0; i < 5; ++i) {
    auto out = enqueue(s, queue::test::otp("6281234567890", "login", t0 + i * 1min));
    REQUIRE(out.what == enqueue_outcome::kind::accepted);
  }
  auto out = enqueue(s, queue::test::otp("6281234567890", "login", t0 + 5min));
  REQUIRE(out.what == enqueue_outcome::kind::refused);
  REQUIRE(out.refusal.has_value());
  CHECK(out.refusal->limit == "5 per 15 min");
  CHECK(out.refusal->retry_after == t0 + 34min);
  CHECK(messages(s) == 5);
  // Another number is unaffected.
  CHECK(enqueue(s, queue::test::otp("6281234567891", "login", t0 + 5min)).what ==
        enqueue_outcome::kind::accepted);
}

TEST_CASE("store: an idempotent repeat is not a new request", "[rate_limits][store]") {
  queue::test::temp_dir dir;
  auto s = queue::test::open_store(dir.file(), t0, with_limits());
  auto first = queue::test::otp("6281234567890", "login", t0);
  first.idempotency_key = "req-1";
  REQUIRE(enqueue(s, first).what == enqueue_outcome::kind::accepted);
  for (int i = 1; i <= 10; ++i) {  // the caller retries its HTTP call ten times
    auto again = first;
    again.now = t0 + i * 1s;
    REQUIRE(enqueue(s, again).what == enqueue_outcome::kind::duplicate);
  }
  for (int i = 1; i < 5; ++i) {  // four genuinely new requests: 5 in total
    REQUIRE(enqueue(s, queue::test::otp("6281234567890", "login", t0 + i * 1min)).what ==
            enqueue_outcome::kind::accepted);
  }
  CHECK(enqueue(s, queue::test::otp("6281234567890", "login", t0 + 5min)).what ==
        enqueue_outcome::kind::refused);
}

TEST_CASE("store: limits apply within one group-commit batch and after a restart",
          "[rate_limits][store]") {
  queue::test::temp_dir dir;
  {
    auto s = queue::test::open_store(dir.file(), t0, with_limits());
    std::vector<enqueue_request> batch;
    for (int i = 0; i < 7; ++i) {
      batch.push_back(queue::test::otp("6281234567890", "p" + std::to_string(i), t0 + i * 1s));
    }
    auto outs = s.enqueue_batch(batch).value();
    REQUIRE(outs.size() == 7);
    for (int i = 0; i < 7; ++i) {
      CAPTURE(i);
      CHECK(outs[static_cast<std::size_t>(i)].value().what ==
            (i < 5 ? enqueue_outcome::kind::accepted : enqueue_outcome::kind::refused));
    }
  }
  auto s = queue::test::open_store(dir.file(), t0 + 10min, with_limits());
  auto out = enqueue(s, queue::test::otp("6281234567890", "login", t0 + 10min));
  REQUIRE(out.what == enqueue_outcome::kind::refused);
  CHECK(out.refusal->retry_after == t0 + 4s + 30min);
  CHECK(enqueue(s, queue::test::otp("6281234567890", "login", t0 + 4s + 30min)).what ==
        enqueue_outcome::kind::accepted);
}
