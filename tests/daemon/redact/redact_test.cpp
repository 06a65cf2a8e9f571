// Tests for daemon/redact/redact.hpp: OTP codes and passwords never reach a log in clear.
#include <catch2/catch.hpp>

#include "daemon/redact/redact.hpp"

using smsgw::redact_text;

TEST_CASE("redact_text masks every run of three or more digits") {
  CHECK(redact_text("Kode OTP Anda 123456. Jangan berikan") == "Kode OTP Anda ******. Jangan berikan");
  CHECK(redact_text("code 12 and 9876") == "code 12 and ****");
  CHECK(redact_text("4821") == "****");
  CHECK(redact_text("") == "");
  CHECK(redact_text("no digits") == "no digits");
}

TEST_CASE("redact_password hides the value and its length") {
  CHECK(smsgw::redact_password("secret") == "***");
  CHECK(smsgw::redact_password("") == "***");
}
