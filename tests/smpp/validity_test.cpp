// tests/smpp/validity_test.cpp: smpp/validity.hpp — SMPP time strings (SMPP 3.4 §7.1,
// docs/smpp.md §Time format): relative OTP validity, absolute times in Indonesian zones
// (WIB +7 h = 28 quarters, WITA +8 h = 32, WIT +9 h = 36), the short SMSC form, round trips
// and rejected values.
#include <catch2/catch.hpp>

#include "smpp/validity.hpp"

using namespace smsgw::smpp;
using namespace std::chrono;

namespace {
sys_seconds utc(int y, unsigned mo, unsigned d, int h, int mi, int s) {
  return sys_days{year{y} / month{mo} / day{d}} + hours{h} + minutes{mi} + seconds{s};
}
}  // namespace

TEST_CASE("relative validity: 5 minutes is 000000000500000R") {
  CHECK(encode_relative_time(minutes{5}).value() == "000000000500000R");
  CHECK(encode_relative_time(seconds{90}).value() == "000000000130000R");
  CHECK(encode_relative_time(hours{49} + seconds{1}).value() == "000002010001000R");
  CHECK(encode_relative_time(days{99} + hours{23}).value() == "000099230000000R");
}

TEST_CASE("relative validity out of range is rejected") {
  CHECK(encode_relative_time(seconds{0}).error() == content_errc::time_out_of_range);
  CHECK(encode_relative_time(seconds{-5}).error() == content_errc::time_out_of_range);
  CHECK(encode_relative_time(days{100}).error() == content_errc::time_out_of_range);
  CHECK(to_command_status(content_errc::time_out_of_range) == command_status::invexpiry);
  CHECK(to_command_status(content_errc::invalid_time, true) == command_status::invsched);
}

TEST_CASE("absolute time: spec example and Indonesian zones") {
  // docs/smpp.md §Time format: 250101120000004+ = 12:00 local at UTC+1 h = 11:00 UTC.
  auto const t = parse_smpp_time("250101120000004+").value();
  CHECK(t.kind == smpp_time::form::absolute);
  CHECK(t.offset_quarters == 4);
  CHECK(t.utc == utc(2025, 1, 1, 11, 0, 0));

  // 2025-11-26 03:00:00 UTC is 10:00 WIB (+7 h = 28 quarters).
  CHECK(encode_absolute_time(utc(2025, 11, 26, 3, 0, 0), 28).value() == "251126100000028+");
  CHECK(encode_absolute_time(utc(2025, 11, 26, 3, 0, 0), 32).value() == "251126110000032+");  // WITA
  CHECK(encode_absolute_time(utc(2025, 11, 26, 3, 0, 0), 36).value() == "251126120000036+");  // WIT
  // Crossing midnight and a negative offset (UTC-3 h = 12 quarters behind).
  CHECK(encode_absolute_time(utc(2025, 12, 31, 20, 30, 0), 28).value() == "260101033000028+");
  CHECK(encode_absolute_time(utc(2025, 1, 1, 1, 0, 0), -12).value() == "241231220000012-");
  // Tenths come from the milliseconds.
  CHECK(encode_absolute_time(utc(2025, 1, 1, 0, 0, 0) + milliseconds{700}, 0).value() == "250101000000700+");
}

TEST_CASE("absolute time round trips") {
  auto const offsets = {0, 1, 28, 32, 36, 48, -1, -20, -48};
  for (int q : offsets) {
    for (auto tp : {utc(2025, 2, 28, 23, 59, 59), utc(2028, 2, 29, 0, 0, 0), utc(2000, 6, 15, 12, 0, 0) + hours{12}}) {
      auto const s = encode_absolute_time(tp, q).value();
      INFO(s);
      auto const back = parse_smpp_time(s).value();
      CHECK(back.utc == tp);
      CHECK(back.offset_quarters == q);
    }
  }
}

TEST_CASE("relative time round trips through resolve") {
  auto const now = utc(2025, 11, 26, 3, 0, 0);
  for (seconds d : {seconds{1}, seconds{300}, seconds{3600 * 25 + 61}, duration_cast<seconds>(days{99})}) {
    auto const s = encode_relative_time(d).value();
    INFO(s);
    auto const t = parse_smpp_time(s).value();
    CHECK(t.kind == smpp_time::form::relative);
    CHECK(resolve_smpp_time(t, now) == now + d);
  }
}

TEST_CASE("relative years and months resolve on the calendar") {
  auto const t = parse_smpp_time("010100000000000R").value();
  CHECK(t.relative == relative_time{1, 1, 0, 0, 0, 0});
  CHECK(resolve_smpp_time(t, utc(2025, 1, 31, 8, 0, 0)) == utc(2026, 2, 28, 8, 0, 0));  // clamped
  auto const m = parse_smpp_time("000100000000000R").value();
  CHECK(resolve_smpp_time(m, utc(2024, 1, 31, 0, 0, 0)) == utc(2024, 2, 29, 0, 0, 0));  // leap year
}

TEST_CASE("short 12-digit form reported by SMSCs") {
  auto const t = parse_smpp_time("251126100005").value();
  CHECK(t.kind == smpp_time::form::short_absolute);
  CHECK(t.utc == utc(2025, 11, 26, 10, 0, 5));
}

TEST_CASE("bad SMPP time strings are rejected") {
  for (char const* bad : {"", "25010112000000+", "2501011200000004+", "250101120000004*", "250101120000049+",
                          "251301120000004+", "250230120000004+", "250101240000004+", "250101126000004+",
                          "250101120060004+", "2501011200a0004+", "000000000500010R", "000000000500100R",
                          "25113210000", "251126100005x", "2511261000056"}) {
    INFO('"' << bad << '"');
    auto const r = parse_smpp_time(bad);
    REQUIRE(r.has_error());
    CHECK(r.error() == content_errc::invalid_time);
  }
}

TEST_CASE("absolute times outside what YY and nn can express are rejected") {
  CHECK(encode_absolute_time(utc(1999, 12, 31, 0, 0, 0), 0).error() == content_errc::time_out_of_range);
  CHECK(encode_absolute_time(utc(2100, 1, 1, 0, 0, 0), 0).error() == content_errc::time_out_of_range);
  CHECK(encode_absolute_time(utc(2025, 1, 1, 0, 0, 0), 49).error() == content_errc::time_out_of_range);
  CHECK(encode_absolute_time(utc(2025, 1, 1, 0, 0, 0), -49).error() == content_errc::time_out_of_range);
}
