// smpp/receipt.hpp: delivery receipts (DLRs) from deliver_sm / data_sm, and their text form.
// TLVs (receipted_message_id 0x001E, message_state 0x0427, network_error_code 0x0423) win over
// the text `id:… sub:… dlvrd:… submit date:… done date:… stat:… err:… text:…`, which is parsed
// by keys, not position, tolerating case, spacing, missing fields and 10/12-digit dates; nothing
// after `text:` is ever read as a key. Pure functions; rules and variants in docs/receipts.md.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "smpp/pdu.hpp"
#include "smpp/text.hpp"

namespace smsgw::smpp {

/// message_state (TLV 0x0427, query_sm_resp): docs/smpp.md §message_state. 0 and 9 are SMPP 5.0
/// only.
enum class message_state : std::uint8_t {
  scheduled = 0,
  enroute = 1,
  delivered = 2,
  expired = 3,
  deleted = 4,
  undeliverable = 5,
  accepted = 6,
  unknown = 7,
  rejected = 8,
  skipped = 9,
};

/// The DLR `stat:` word for a state: "DELIVRD", "UNDELIV", "ACCEPTD", ...
std::string_view stat_text(message_state s) noexcept;

/// State of a `stat:` word, case-insensitive, also accepting long spellings (DELIVERED,
/// UNDELIVERABLE, UNDELIVERED, ACCEPTED, REJECTED); nullopt if unrecognised.
std::optional<message_state> message_state_from_stat(std::string_view stat) noexcept;

/// deliver_sm message type: `esm_class & 0x3C` (never just `& 0x04`).
constexpr std::uint8_t esm_message_type(std::uint8_t esm_class) noexcept { return esm_class & 0x3C; }
inline constexpr std::uint8_t esm_type_smsc_receipt = 0x04;
inline constexpr std::uint8_t esm_type_intermediate = 0x20;
/// True for an SMSC delivery receipt (0x04) or an intermediate notification (0x20).
constexpr bool is_receipt(std::uint8_t esm_class) noexcept {
  return esm_message_type(esm_class) == esm_type_smsc_receipt || esm_message_type(esm_class) == esm_type_intermediate;
}

/// What ACCEPTD means on a route: the spec says final, Kannel treats it as intermediate,
/// Jasmin as success. Default: intermediate (non-final), so a later DELIVRD still counts.
enum class accepted_policy : std::uint8_t { intermediate, final_success, final_failure };

struct receipt_options {
  accepted_policy accepted = accepted_policy::intermediate;
  bool require_receipt_esm_class = true;  ///< false: parse even if esm_class type is not 0x04/0x20
};

/// A DLR date as written: YYMMDDhhmm or YYMMDDhhmmss (year = 2000 + YY). Local to the SMSC.
struct receipt_date {
  std::uint16_t year = 0;
  std::uint8_t month = 0, day = 0, hour = 0, minute = 0;
  std::optional<std::uint8_t> second;  ///< absent in the 10-digit form
  friend bool operator==(receipt_date const&, receipt_date const&) = default;
};

/// 10 or 12 digits with valid ranges, else nullopt.
std::optional<receipt_date> parse_receipt_date(std::string_view digits) noexcept;

/// Fields of a receipt text exactly as found (trimmed), each absent if its key is missing.
struct receipt_text_fields {
  std::optional<std::string> id, sub, dlvrd, submit_date, done_date, stat, err, text;
  friend bool operator==(receipt_text_fields const&, receipt_text_fields const&) = default;
};

/// Parses a receipt text by keys (case-insensitive; `submit date`, `submit_date`, `submitdate`
/// all accepted; spaces before ':' allowed). Keys must start a word. The first occurrence of a
/// key wins; everything after `text:` is the text value.
receipt_text_fields parse_receipt_text(std::string_view text);

/// network_error_code TLV (0x0423): network type (1 = ANSI-136, 2 = IS-95, 3 = GSM, ...) + error.
struct network_error {
  std::uint8_t network_type = 0;
  std::uint16_t error_code = 0;
  friend bool operator==(network_error const&, network_error const&) = default;
};

struct delivery_receipt {
  std::string message_id;        ///< raw id: receipted_message_id TLV if non-empty, else text `id:`
  message_state state = message_state::unknown;
  bool is_final = true;          ///< false for ENROUTE, SCHEDULED, ACCEPTD (by policy) and esm type 0x20
  bool success = false;          ///< final and delivered (or ACCEPTD under final_success)
  bool intermediate = false;     ///< esm_class type 0x20 (intermediate delivery notification)
  bool id_from_tlv = false;
  bool state_from_tlv = false;
  std::string stat;              ///< raw `stat:` word ("" if the text had none)
  std::string err;               ///< raw `err:` value, carrier-specific, may be hex ("" if absent)
  std::optional<network_error> network_error_code;
  std::optional<receipt_date> submit_date, done_date;  ///< nullopt if absent or malformed (raw in fields)
  std::string text;              ///< `text:` value ("" if absent)
  receipt_text_fields fields;    ///< everything the text said, raw (also when TLVs won)
};

/// Receipt from a deliver_sm (text from short_message, or message_payload when sm_length is 0).
/// Errors: not_a_receipt (esm_class, unless options say otherwise), receipt_missing_id,
/// receipt_missing_state. Text in data_coding 8 is decoded as UCS-2; other text is kept
/// if it is valid UTF-8, else read as Latin-1 (never as GSM7: '_' and '@' in ids stay intact).
content_result<delivery_receipt> parse_receipt(deliver_sm const& sm, tlv_list const& tlvs,
                                               receipt_options const& options = {});
/// Receipt from a data_sm (text, if any, from message_payload).
content_result<delivery_receipt> parse_receipt(data_sm const& sm, tlv_list const& tlvs,
                                               receipt_options const& options = {});

/// Input for format_receipt_text(); dates already formatted (see format_receipt_date).
struct receipt_text_input {
  std::string id;
  unsigned sub = 1;
  unsigned dlvrd = 1;
  std::string submit_date;  ///< YYMMDDhhmm or YYMMDDhhmmss
  std::string done_date;
  message_state state = message_state::delivered;
  std::string err = "000";
  std::string text;         ///< the first 20 characters are kept, as SMSCs do
};

/// The standard text: "id:X sub:001 dlvrd:001 submit date:2501011200 done date:2501011201
/// stat:DELIVRD err:000 text:Kode OTP Anda 48291" (sub/dlvrd as 3 digits, capped at 999).
std::string format_receipt_text(receipt_text_input const& in);

/// YYMMDDhhmm (or YYMMDDhhmmss) of `t` as given — shift to the SMSC's zone before calling.
std::string format_receipt_date(std::chrono::sys_seconds t, bool with_seconds = false);

}  // namespace smsgw::smpp
