// smpp/text.hpp: UTF-8 text <-> SMPP short_message bytes. Chooses the smallest encoding
// (GSM 03.38 7-bit, then optionally Latin-1, then UCS-2 = UTF-16BE), splits long texts into
// concatenated parts (UDH 8- or 16-bit reference, SAR TLVs, or one message_payload) and decodes
// received bytes back to UTF-8. Pure functions: no I/O, no clocks; errors are content_errc
// values. A part never splits a GSM escape pair or a UTF-16 surrogate pair. See docs/text.md.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "smpp/content_errc.hpp"

namespace smsgw::smpp {

enum class text_encoding : std::uint8_t {
  gsm7,    ///< GSM 03.38 default alphabet + extension table (data_coding per route, default 0)
  ascii,   ///< IA5 / ASCII (data_coding 1); chosen only when forced
  latin1,  ///< ISO-8859-1 (data_coding 3); chosen only when text_options::allow_latin1
  ucs2,    ///< UTF-16BE (data_coding 8), surrogate pairs for characters above U+FFFF
};

enum class split_mode : std::uint8_t {
  udh8,     ///< concatenated SMS, UDH 05 00 03 RR TT NN; parts of 153 septets / 134 octets / 67 UCS-2 units
  udh16,    ///< concatenated SMS, UDH 06 08 04 RRRR TT NN; parts of 152 / 133 / 66
  sar,      ///< no UDH: the caller adds sar_msg_ref_num / sar_total_segments / sar_segment_seqnum
            ///< TLVs (1-based seqnum = index + 1); parts sized like udh8 since the SMSC adds a UDH on air
  payload,  ///< one PDU, the whole text in the message_payload TLV (sm_length 0), no UDH, <= 65535 octets
  single,   ///< must fit one short_message (160 / 140 / 70) or encode_text fails with too_long
};

/// ESM class bit the caller must OR into esm_class when encoded_text::udhi is true.
inline constexpr std::uint8_t esm_class_udhi = 0x40;

struct text_options {
  bool allow_latin1 = false;             ///< consider Latin-1 between GSM7 and UCS-2 (many SMSCs mishandle it)
  std::optional<text_encoding> force;    ///< use exactly this encoding; not_representable if it cannot
  std::uint8_t gsm7_data_coding = 0x00;  ///< data_coding sent with GSM7 (0 = SMSC default; some want 0xF1)
  bool gsm7_packed = false;              ///< pack GSM7 into 7-bit octets (default: one septet per octet)
  split_mode split = split_mode::udh8;
  std::uint16_t reference = 0;           ///< concat reference (udh8 uses the low 8 bits); keep unique per destination
  std::size_t max_segments = 255;        ///< more parts than this -> too_long (hard limit 255)
};

struct encoded_text {
  text_encoding encoding = text_encoding::gsm7;
  std::uint8_t data_coding = 0;
  bool udhi = false;     ///< true: every segment starts with a UDH; OR esm_class_udhi into esm_class
  bool payload = false;  ///< true: segments[0] goes into message_payload (TLV 0x0424), sm_length 0
  std::size_t units = 0; ///< whole text length in septets (GSM7, ESC pairs count 2), octets or UTF-16 units
  std::vector<std::vector<std::uint8_t>> segments;  ///< exact short_message bytes of each part, UDH included
};

/// Encodes `utf8` for submit_sm. Fails with invalid_utf8 (ill-formed input, never silently
/// repaired), not_representable (forced encoding) or too_long (segments > max_segments, payload
/// > 65535 octets, or split_mode::single overflow). Empty text yields one empty GSM7 segment.
content_result<encoded_text> encode_text(std::string_view utf8, text_options const& options = {});

/// Concatenation info from a UDH (IEI 0x00 8-bit ref or 0x08 16-bit ref).
struct concat_info {
  std::uint16_t reference = 0;
  std::uint8_t total = 0;   ///< TT
  std::uint8_t seqnum = 0;  ///< NN, 1-based
  bool ref16 = false;
  friend bool operator==(concat_info const&, concat_info const&) = default;
};

struct decode_options {
  text_encoding data_coding_0 = text_encoding::gsm7;  ///< what data_coding 0 means on this route
  bool gsm7_packed = false;                           ///< GSM7 arrives packed (route option)
};

struct decoded_text {
  std::string text;  ///< UTF-8
  text_encoding encoding = text_encoding::gsm7;
  std::vector<std::uint8_t> udh;      ///< raw UDH including its length octet; empty when udhi is false
  std::optional<concat_info> concat;  ///< from the UDH, when it carries a concat element
  std::size_t replaced = 0;           ///< characters replaced by U+FFFD (or dropped lone ESCs)
};

/// Decodes received short_message / message_payload bytes. Tolerant: bad UTF-16 (lone
/// surrogates, odd trailing octet), GSM7 octets above 0x7F and non-ASCII IA5 octets become
/// U+FFFD (counted in `replaced`). Errors: unsupported_data_coding (binary 2/4, 0xF4-class 8-bit,
/// compressed and other alphabets) and bad_udh (UDHI set, UDH length past the data).
content_result<decoded_text> decode_text(std::span<std::uint8_t const> bytes, std::uint8_t data_coding,
                                         bool udhi, decode_options const& options = {});

/// The text alphabet a data_coding value denotes, or nullopt for binary/unsupported ones.
std::optional<text_encoding> encoding_of(std::uint8_t data_coding, decode_options const& options = {}) noexcept;

/// Concat info of a whole UDH (length octet first), or nullopt if none/malformed.
std::optional<concat_info> parse_concat_udh(std::span<std::uint8_t const> udh) noexcept;

/// True if every character of `utf8` is in the GSM 03.38 basic or extension table
/// (false for invalid UTF-8).
bool is_gsm7_text(std::string_view utf8);

}  // namespace smsgw::smpp
