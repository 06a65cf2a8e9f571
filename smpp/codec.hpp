// smpp/codec.hpp: pure encode/decode of whole PDUs (no I/O, no clocks, no logging).
// decode() is strict: it validates command_length against the bytes given, every C-octet
// string's max size and NUL, sm_length, TLV framing and the lengths of known TLVs, and
// returns a codec_error carrying the command_status to answer with. It never reads out of
// bounds and never throws on peer input. Unknown TLVs are kept in pdu::tlvs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/system/result.hpp>

#include "smpp/command_status.hpp"
#include "smpp/pdu.hpp"

namespace smsgw::smpp {

inline constexpr std::size_t header_size = 16;

/// Why a PDU could not be decoded (or encoded), with enough context to answer the peer
/// (status, command_id, sequence_number) and to tell an operator where it went wrong.
struct codec_error {
  command_status status = command_status::syserr;  ///< what to answer with (e.g. RINVCMDLEN)
  std::uint32_t command_id = 0;                     ///< raw command_id, 0 if the header was short
  std::uint32_t sequence_number = 0;                ///< raw sequence_number, 0 if unknown
  std::string field;                                ///< spec name of the offending field, e.g. "source_addr"
  std::size_t offset = 0;                           ///< byte offset into the PDU where it failed
  std::string what;                                 ///< human text, e.g. "C-octet string exceeds 21 octets"

  /// "source_addr at offset 27: C-octet string exceeds 21 octets (ESME_RINVSRCADR)".
  std::string message() const;
};

/// Lets boost::system::result<T, codec_error>::value() throw (std::runtime_error with message()).
[[noreturn]] void throw_exception_from_error(codec_error const& e, boost::source_location const& loc);

/// Decodes exactly one whole PDU (`bytes.size()` must equal its command_length).
boost::system::result<pdu, codec_error> decode(std::span<std::uint8_t const> bytes);

/// Appends the wire form of `p` to `out`, command_length filled in. Fails (and appends
/// nothing) if a field exceeds its spec size, e.g. a 10-character password.
/// A response with command_status != 0 whose body fields are all empty/zero and that has
/// no TLVs is sent as the 16-octet header only (SMPP 3.4); see encode_options to send the
/// body anyway.
std::optional<codec_error> encode(pdu const& p, std::vector<std::uint8_t>& out);

struct encode_options {
  /// Send the (empty) body of error responses too, e.g. submit_sm_resp with a single 0x00
  /// message_id (17 octets), as SMPP 3.3/5.0 peers expect.
  bool error_response_body = false;
};
std::optional<codec_error> encode(pdu const& p, std::vector<std::uint8_t>& out,
                                  encode_options const& options);

/// Overwrites the sequence_number of the encoded PDU that starts at `pdu_bytes` (its header:
/// at least 16 octets), for a PDU encoded before its sequence number was known. False (and
/// nothing written) if `pdu_bytes` is shorter than a header.
bool patch_sequence_number(std::span<std::uint8_t> pdu_bytes, std::uint32_t sequence_number);

/// Builds the generic_nack to send for a decode error (status and sequence_number echoed).
pdu make_generic_nack(codec_error const& e);

}  // namespace smsgw::smpp
