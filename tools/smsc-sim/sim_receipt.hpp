// tools/smsc-sim/sim_receipt.hpp: what the simulator remembers about a message until its
// delivery receipt is acknowledged, and how that becomes a deliver_sm (esm_class 0x04).
// The receipt text follows the de-facto Appendix B format (docs/smpp.md §Receipt text); the
// TLVs are receipted_message_id + message_state (+ network_error_code for failures).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "smpp/pdu.hpp"
#include "tools/smsc-sim/sim_config.hpp"

namespace smsgw::sim {

/// One receipt owed to an account.
struct receipt_job {
  std::string system_id;           ///< account whose receiver/transceiver binds get it
  std::uint64_t message_number = 0;
  outcome result = outcome::delivrd;
  std::uint8_t source_addr_ton = 0;  ///< of the original submit_sm (becomes the destination)
  std::uint8_t source_addr_npi = 0;
  std::string source_addr;
  std::uint8_t dest_addr_ton = 0;
  std::uint8_t dest_addr_npi = 0;
  std::string destination_addr;
  std::string text_excerpt;        ///< first <= 20 printable characters of the message
  std::chrono::system_clock::time_point submitted;
  std::uint32_t attempts = 0;      ///< deliver_sm sent so far
};

/// "id:0704643073 sub:001 dlvrd:001 submit date:2611260101 done date:2611260101 stat:DELIVRD err:000 text:Kode OTP 1234".
std::string receipt_text(receipt_job const& job, sim_config const& cfg,
                         std::chrono::system_clock::time_point done);

/// The deliver_sm carrying the receipt, in the form cfg.receipts asks for.
/// sequence_number is left 0 for the sender to fill in.
smpp::pdu make_receipt_pdu(receipt_job const& job, sim_config const& cfg,
                           std::chrono::system_clock::time_point done);

/// First <= 20 characters of a submit_sm's text for the receipt's "text:" field: GSM7/ASCII/
/// Latin-1 bytes after any UDH, non-printable ones as '.'; empty for UCS-2 and binary.
std::string text_excerpt(smpp::submit_sm const& sm);

}  // namespace smsgw::sim
