// tests/smpp/command_status_test.cpp: command_status as a std::error_code: spec names,
// texts with hex codes, values from docs/smpp.md §command_status (including the two that
// other tables get wrong), and the temporary / credential classification.
#include <catch2/catch.hpp>

#include "smpp/command_status.hpp"

using namespace smsgw::smpp;

TEST_CASE("values match the spec table") {
  CHECK(static_cast<std::uint32_t>(command_status::invcmdlen) == 0x02);
  CHECK(static_cast<std::uint32_t>(command_status::invcmdid) == 0x03);
  CHECK(static_cast<std::uint32_t>(command_status::invsertyp) == 0x15);  // not 0x16
  CHECK(static_cast<std::uint32_t>(command_status::invsystyp) == 0x53);  // not 0x4D
  CHECK(static_cast<std::uint32_t>(command_status::throttled) == 0x58);
  CHECK(static_cast<std::uint32_t>(command_status::invoptparstream) == 0xC0);
  CHECK(static_cast<std::uint32_t>(command_status::invparlen) == 0xC2);
  CHECK(static_cast<std::uint32_t>(command_status::unknownerr) == 0xFF);
}

TEST_CASE("names are the spec's") {
  CHECK(command_status_name(command_status::ok) == "ESME_ROK");
  CHECK(command_status_name(command_status::throttled) == "ESME_RTHROTTLED");
  CHECK(command_status_name(command_status::alybnd) == "ESME_RALYBND");
  CHECK(command_status_name(command_status::x_t_appn) == "ESME_RX_T_APPN");
  CHECK(command_status_name(static_cast<command_status>(0x400)) == "ESME_UNKNOWN");
}

TEST_CASE("error_code integration: category, message with hex code, comparison") {
  std::error_code const ec = command_status::throttled;
  CHECK(ec.category() == command_status_category());
  CHECK(std::string(ec.category().name()) == "smpp.command_status");
  CHECK(ec.value() == 0x58);
  CHECK(ec.message() == "over the SMSC's rate limit (temporary, slow down) (ESME_RTHROTTLED, 0x00000058)");
  CHECK(ec == command_status::throttled);
  CHECK(ec != command_status::msgqful);
  std::error_code const vendor = make_error_code(static_cast<command_status>(0x400));
  CHECK(vendor.message() == "unknown command_status (ESME_UNKNOWN, 0x00000400)");
  // ESME_ROK is a value 0 error_code: it tests false, like "no error".
  CHECK_FALSE(make_error_code(command_status::ok));
}

TEST_CASE("temporary statuses are retried, the rest reject") {
  for (auto s : {command_status::throttled, command_status::msgqful, command_status::syserr,
                 command_status::x_t_appn})
    CHECK(is_temporary(s));
  for (auto s : {command_status::invdstadr, command_status::submitfail, command_status::invmsglen,
                 command_status::x_p_appn, command_status::ok})
    CHECK_FALSE(is_temporary(s));
}

TEST_CASE("credential errors stop fast reconnects") {
  CHECK(is_credential_error(command_status::invpaswd));
  CHECK(is_credential_error(command_status::invsysid));
  CHECK(is_credential_error(command_status::invsystyp));
  CHECK_FALSE(is_credential_error(command_status::bindfail));
  CHECK_FALSE(is_credential_error(command_status::throttled));
}
