// tools/smsc-sim/sim_config.hpp: everything a simulated carrier SMSC can be told: accounts,
// message-id formats, receipt delay/form/outcome mix, and the faults it injects.
// Design decision: `faults` is a separate value that can be swapped at run time
// (simulator::set_faults) while `sim_config` is fixed when the simulator starts.
// Parsers for the command-line spellings live here too, so tests can use them.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "smpp/command_status.hpp"

namespace smsgw::sim {

/// How a message id is written: upper-case hex ("2A00001F") or 10-digit decimal ("0704643103").
enum class id_format { hex, dec };

/// Where the receipt's id and state travel: the Appendix B text, the TLVs
/// (receipted_message_id + message_state), or both.
enum class receipt_form { text, tlv, both };

/// Final outcome the simulated network reports for a message; `none` = no receipt at all.
enum class outcome { delivrd, undeliv, rejectd, expired, none };

/// Weights (not necessarily summing to 100) of each outcome.
struct outcome_mix {
  unsigned delivrd = 100;
  unsigned undeliv = 0;
  unsigned rejectd = 0;
  unsigned expired = 0;
  unsigned none = 0;
  unsigned total() const noexcept { return delivrd + undeliv + rejectd + expired + none; }
};

/// A malformed PDU the simulator can send to its client.
enum class malformed_kind {
  none,
  bad_length,          ///< 16-octet header whose command_length says 10 (< 16): framing is lost
  unknown_command_id,  ///< well-framed header-only PDU with command_id 0x000000FF
  truncated_tlv,       ///< a deliver_sm whose last TLV claims more octets than the PDU holds
  giant_length,        ///< a header announcing command_length 0x7FFFFFF0 (and never the body)
};

/// Faults, all off by default. Counting faults ("after N submits") count per connection.
struct faults {
  std::optional<smpp::command_status> refuse_binds;  ///< answer every bind with this status
  std::uint32_t close_after_submits = 0;  ///< close the socket when the Nth submit_sm arrives, unanswered (0 = never)
  std::uint32_t close_max_times = 0;      ///< how many connections that fault may kill (0 = unlimited)
  bool stall = false;                     ///< read everything, answer nothing (not even enquire_link)
  double throttle_rate = 0.0;             ///< fraction of submit_sm answered ESME_RTHROTTLED (random, seeded)
  std::uint32_t throttle_every = 0;       ///< every Nth submit_sm (simulator-wide) answered ESME_RTHROTTLED
  bool receipt_before_resp = false;       ///< send the receipt at once, before the submit_sm_resp
  std::optional<smpp::command_status> refuse_submits;  ///< answer every submit_sm with this status (a permanent refusal)
  malformed_kind malformed = malformed_kind::none;  ///< send this once per connection...
  std::uint32_t malformed_after_submits = 0;        ///< ...after this many submit_sm (0 = right after bind_resp)
};

/// An ESME account the simulator accepts binds for.
struct account {
  std::string system_id;
  std::string password;
};

/// The simulator's fixed configuration (a carrier).
struct sim_config {
  std::string name = "sim";                    ///< carrier name, used in logs
  std::string bind_address = "127.0.0.1";
  std::uint16_t port = 0;                      ///< 0 = ephemeral; simulator::port() tells the real one
  std::vector<account> accounts{{"smsgw", "secret"}};
  std::string smsc_system_id = "SMSCSIM";      ///< system_id in bind_*_resp (max 15 chars)
  std::uint32_t max_binds_per_account = 0;     ///< further binds get ESME_RALYBND (0 = unlimited)
  id_format resp_id_format = id_format::hex;   ///< message_id in submit_sm_resp
  id_format receipt_id_format = id_format::hex;  ///< id in the receipt (text and TLV)
  std::uint64_t first_message_id = 0x2A000000; ///< ids count up from here
  std::chrono::milliseconds receipt_delay{200};
  receipt_form receipts = receipt_form::both;
  outcome_mix outcomes;
  std::string rejectd_err = "069";             ///< err: code of REJECTD, standing for "spam filtered"
  std::string undeliv_err = "001";             ///< err: code of UNDELIV
  std::chrono::milliseconds deliver_resp_timeout{5000};  ///< wait for deliver_sm_resp, then redeliver
  std::chrono::milliseconds redelivery_delay{500};       ///< after ESME_RX_T_APPN or a timeout
  std::uint32_t max_deliveries = 4;            ///< attempts per receipt before it is dropped
  std::chrono::milliseconds enquire_link_interval{0};    ///< simulator sends enquire_link (0 = never)
  std::uint32_t max_recorded_submits = 100000; ///< submits kept for submits(); later ones only counted
  std::uint64_t seed = 1;                      ///< outcome and throttle draws are deterministic per seed
  /// The carrier's own cap: submit_sm beyond this many per second (a token bucket over all
  /// binds) are answered ESME_RTHROTTLED, as a carrier enforcing its contract does. 0 = none.
  double max_submits_per_s = 0;
  double max_submits_burst = 0;                ///< the bucket's depth; 0 = one second's worth
  /// --submit-times: append "DESTINATION_ADDR REALTIME_US" per submit_sm received to this
  /// file (submit_times.hpp), written at least every submit_times_flush and at stop. "" = none.
  std::string submit_times_path;
  std::chrono::milliseconds submit_times_flush{50};
  faults initial_faults;
};

/// Parses "DELIVRD=90,UNDELIV=5,REJECTD=3,EXPIRED=1,NONE=1" (names case-insensitive, missing = 0).
std::optional<outcome_mix> parse_outcomes(std::string_view text, std::string& error);

/// Parses "hex" / "dec".
std::optional<id_format> parse_id_format(std::string_view text);

/// Parses "text" / "tlv" / "both".
std::optional<receipt_form> parse_receipt_form(std::string_view text);

/// Parses "bad_length" / "unknown_command_id" / "truncated_tlv" / "giant_length".
std::optional<malformed_kind> parse_malformed_kind(std::string_view text);

/// Parses a command_status given as "ESME_RINVPASWD", "RINVPASWD" (any case) or "0x0E" / "14".
std::optional<smpp::command_status> parse_command_status(std::string_view text);

/// "DELIVRD", "UNDELIV", "REJECTD", "EXPIRED", "NONE".
std::string_view outcome_name(outcome o) noexcept;

/// message_state TLV value (docs/smpp.md §message_state) of an outcome; 0 for none.
std::uint8_t outcome_message_state(outcome o) noexcept;

/// Formats a message id number per `f`.
std::string format_message_id(std::uint64_t n, id_format f);

}  // namespace smsgw::sim
