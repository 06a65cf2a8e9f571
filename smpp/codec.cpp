// smpp/codec.cpp: decode/encode of every PDU in pdu.hpp. Each body's field layout is
// written ONCE, as a template `layout(io, body)` run with a wire_reader (decode) or a
// wire_writer (encode), so the two directions cannot drift apart. Decoding reads every
// field through the sticky-error reader and checks ok() once; then the TLVs to the end.
//
// Status choices where the spec names none (a C-octet string with no NUL within its max):
// address_range -> ESME_RBINDFAIL (only binds carry it, and the bind simply fails);
// esme_addr and final_date -> ESME_RSYSERR (they only occur in PDUs that are never answered
// with a status: alert_notification, query_sm_resp); a PDU that ends inside an integer field
// -> ESME_RINVCMDLEN (command_length disagrees with the body); sm_length > 0 together with a
// message_payload TLV -> ESME_RINVMSGLEN (the spec requires sm_length 0 then, without naming
// a status). Field *contents* (time formats, TON/NPI values) are checked elsewhere (validity.*).
#include "smpp/codec.hpp"

#include <algorithm>
#include <concepts>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <type_traits>

#include "smpp/tlv.hpp"
#include "smpp/wire_reader.hpp"
#include "smpp/wire_writer.hpp"

namespace smsgw::smpp {
namespace {

using cs = command_status;
using detail::wire_failure;
using detail::wire_reader;
using detail::wire_writer;

template <class B, class... Ts>
concept one_of = (std::same_as<std::remove_const_t<B>, Ts> || ...);

// ---- field layouts, in spec order (docs/smpp.md §Mandatory fields) -----------------------

template <class Io, one_of<generic_nack, unbind, unbind_resp, enquire_link, enquire_link_resp,
                           cancel_sm_resp, replace_sm_resp> B>
void layout(Io&, B&) {}

template <class Io, one_of<bind_transmitter, bind_receiver, bind_transceiver> B>
void layout(Io& io, B& b) {
  io.c_string(b.system_id, 16, "system_id", cs::invsysid);
  io.c_string(b.password, 9, "password", cs::invpaswd);
  io.c_string(b.system_type, 13, "system_type", cs::invsystyp);
  io.u8(b.interface_version, "interface_version");
  io.u8(b.addr_ton, "addr_ton");
  io.u8(b.addr_npi, "addr_npi");
  io.c_string(b.address_range, 41, "address_range", cs::bindfail);
}

template <class Io, one_of<bind_transmitter_resp, bind_receiver_resp, bind_transceiver_resp> B>
void layout(Io& io, B& b) {
  io.c_string(b.system_id, 16, "system_id", cs::invsysid);
}

template <class Io, one_of<outbind> B>
void layout(Io& io, B& b) {
  io.c_string(b.system_id, 16, "system_id", cs::invsysid);
  io.c_string(b.password, 9, "password", cs::invpaswd);
}

template <class Io, one_of<submit_sm, deliver_sm> B>
void layout(Io& io, B& b) {
  io.c_string(b.service_type, 6, "service_type", cs::invsertyp);
  io.u8(b.source_addr_ton, "source_addr_ton");
  io.u8(b.source_addr_npi, "source_addr_npi");
  io.c_string(b.source_addr, 21, "source_addr", cs::invsrcadr);
  io.u8(b.dest_addr_ton, "dest_addr_ton");
  io.u8(b.dest_addr_npi, "dest_addr_npi");
  io.c_string(b.destination_addr, 21, "destination_addr", cs::invdstadr);
  io.u8(b.esm_class, "esm_class");
  io.u8(b.protocol_id, "protocol_id");
  io.u8(b.priority_flag, "priority_flag");
  io.c_string(b.schedule_delivery_time, 17, "schedule_delivery_time", cs::invsched);
  io.c_string(b.validity_period, 17, "validity_period", cs::invexpiry);
  io.u8(b.registered_delivery, "registered_delivery");
  io.u8(b.replace_if_present_flag, "replace_if_present_flag");
  io.u8(b.data_coding, "data_coding");
  io.u8(b.sm_default_msg_id, "sm_default_msg_id");
  io.short_message(b.short_message);
}

template <class Io, one_of<submit_sm_resp, deliver_sm_resp, data_sm_resp> B>
void layout(Io& io, B& b) {
  io.c_string(b.message_id, 65, "message_id", cs::invmsgid);
}

template <class Io, one_of<data_sm> B>
void layout(Io& io, B& b) {
  io.c_string(b.service_type, 6, "service_type", cs::invsertyp);
  io.u8(b.source_addr_ton, "source_addr_ton");
  io.u8(b.source_addr_npi, "source_addr_npi");
  io.c_string(b.source_addr, 65, "source_addr", cs::invsrcadr);
  io.u8(b.dest_addr_ton, "dest_addr_ton");
  io.u8(b.dest_addr_npi, "dest_addr_npi");
  io.c_string(b.destination_addr, 65, "destination_addr", cs::invdstadr);
  io.u8(b.esm_class, "esm_class");
  io.u8(b.registered_delivery, "registered_delivery");
  io.u8(b.data_coding, "data_coding");
}

template <class Io, one_of<query_sm> B>
void layout(Io& io, B& b) {
  io.c_string(b.message_id, 65, "message_id", cs::invmsgid);
  io.u8(b.source_addr_ton, "source_addr_ton");
  io.u8(b.source_addr_npi, "source_addr_npi");
  io.c_string(b.source_addr, 21, "source_addr", cs::invsrcadr);
}

template <class Io, one_of<query_sm_resp> B>
void layout(Io& io, B& b) {
  io.c_string(b.message_id, 65, "message_id", cs::invmsgid);
  io.c_string(b.final_date, 17, "final_date", cs::syserr);
  io.u8(b.message_state, "message_state");
  io.u8(b.error_code, "error_code");
}

template <class Io, one_of<cancel_sm> B>
void layout(Io& io, B& b) {
  io.c_string(b.service_type, 6, "service_type", cs::invsertyp);
  io.c_string(b.message_id, 65, "message_id", cs::invmsgid);
  io.u8(b.source_addr_ton, "source_addr_ton");
  io.u8(b.source_addr_npi, "source_addr_npi");
  io.c_string(b.source_addr, 21, "source_addr", cs::invsrcadr);
  io.u8(b.dest_addr_ton, "dest_addr_ton");
  io.u8(b.dest_addr_npi, "dest_addr_npi");
  io.c_string(b.destination_addr, 21, "destination_addr", cs::invdstadr);
}

template <class Io, one_of<replace_sm> B>
void layout(Io& io, B& b) {
  io.c_string(b.message_id, 65, "message_id", cs::invmsgid);
  io.u8(b.source_addr_ton, "source_addr_ton");
  io.u8(b.source_addr_npi, "source_addr_npi");
  io.c_string(b.source_addr, 21, "source_addr", cs::invsrcadr);
  io.c_string(b.schedule_delivery_time, 17, "schedule_delivery_time", cs::invsched);
  io.c_string(b.validity_period, 17, "validity_period", cs::invexpiry);
  io.u8(b.registered_delivery, "registered_delivery");
  io.u8(b.sm_default_msg_id, "sm_default_msg_id");
  io.short_message(b.short_message);
}

template <class Io, one_of<alert_notification> B>
void layout(Io& io, B& b) {
  io.u8(b.source_addr_ton, "source_addr_ton");
  io.u8(b.source_addr_npi, "source_addr_npi");
  io.c_string(b.source_addr, 65, "source_addr", cs::invsrcadr);
  io.u8(b.esme_addr_ton, "esme_addr_ton");
  io.u8(b.esme_addr_npi, "esme_addr_npi");
  io.c_string(b.esme_addr, 65, "esme_addr", cs::syserr);
}

// ---- helpers ------------------------------------------------------------------------------

codec_error to_codec_error(wire_failure const& f, std::uint32_t id, std::uint32_t seq) {
  return {f.status, id, seq, std::string(f.field), f.offset, f.what};
}

std::string hex16(std::uint16_t v) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%04x", static_cast<unsigned>(v));
  return buf;
}

/// True if `size` octets is a legal value size for TLV `tag` (any size for unknown tags).
bool tlv_size_ok(std::uint16_t tag, std::size_t size) noexcept {
  auto const* s = find_tlv_spec(tag);
  return s == nullptr || (size >= s->min_len && size <= s->max_len);
}

std::string tlv_size_text(std::uint16_t tag, std::size_t size) {
  auto const* s = find_tlv_spec(tag);
  std::string want = s->min_len == s->max_len
                         ? std::to_string(s->min_len)
                         : std::to_string(s->min_len) + ".." + std::to_string(s->max_len);
  return "TLV " + hex16(tag) + " has length " + std::to_string(size) + ", expected " + want;
}

/// How many TLV headers follow, walking their lengths (no validation: read_tlvs does it).
/// Lets read_tlvs allocate the list once instead of growing it.
std::size_t count_tlvs(std::span<std::uint8_t const> rest) noexcept {
  std::size_t n = 0;
  while (rest.size() >= 4) {
    std::size_t const len = (std::size_t{rest[2]} << 8) | rest[3];
    ++n;
    if (len > rest.size() - 4) break;
    rest = rest.subspan(4 + len);
  }
  return n;
}

/// TLVs from the reader's position to the end of the PDU, in wire order.
void read_tlvs(wire_reader& r, tlv_list& tlvs) {
  if (!r.ok() || r.at_end()) return;
  tlvs.reserve(count_tlvs(r.rest()));
  while (r.ok() && !r.at_end()) {
    std::size_t const at = r.offset();
    if (r.remaining() < 4) {
      r.fail(cs::invoptparstream, "tlv",
             "truncated TLV header: " + std::to_string(r.remaining()) + " octets left");
      return;
    }
    std::uint16_t tag = 0;
    std::uint16_t len = 0;
    r.u16(tag, "tlv");
    r.u16(len, "tlv");
    if (len > r.remaining()) {
      r.fail_at(at, cs::invoptparstream, tlv_name(tag),
                "TLV " + hex16(tag) + " value of " + std::to_string(len) +
                    " octets runs past the end of the PDU (" + std::to_string(r.remaining()) +
                    " left)");
      return;
    }
    if (!tlv_size_ok(tag, len)) {
      r.fail_at(at, cs::invparlen, tlv_name(tag), tlv_size_text(tag, len));
      return;
    }
    auto const v = r.take(len, "tlv", cs::invoptparstream);
    auto& t = tlvs.emplace_back();
    t.tag = tag;
    t.value.assign(v.begin(), v.end());
  }
}

template <class B>
constexpr bool carries_short_message = one_of<B, submit_sm, deliver_sm>;

/// sm_length must be 0 when the text travels in message_payload (SMPP 3.4 §5.3.2.32).
template <class Io>
void check_payload_conflict(Io& io, pdu_body const& body, tlv_list const& tlvs) {
  bool const has_sm = std::visit(
      [](auto const& b) {
        if constexpr (carries_short_message<std::decay_t<decltype(b)>>)
          return !b.short_message.empty();
        else
          return false;
      },
      body);
  if (has_sm && find_tlv(tlvs, tag::message_payload) != nullptr)
    io.fail(cs::invmsglen, "message_payload",
            "sm_length must be 0 when a message_payload TLV is present");
}

template <class B>
void read_as(wire_reader& r, pdu& p, bool skip_body) {
  auto& b = p.body.template emplace<B>();
  if (!skip_body) layout(r, b);
}

/// Reads the body for raw command id `id`; false if the id is not one we support.
bool read_body(std::uint32_t id, wire_reader& r, pdu& p, bool skip_body) {
  switch (static_cast<command_id>(id)) {
    case command_id::generic_nack: read_as<generic_nack>(r, p, skip_body); return true;
    case command_id::bind_receiver: read_as<bind_receiver>(r, p, skip_body); return true;
    case command_id::bind_receiver_resp: read_as<bind_receiver_resp>(r, p, skip_body); return true;
    case command_id::bind_transmitter: read_as<bind_transmitter>(r, p, skip_body); return true;
    case command_id::bind_transmitter_resp: read_as<bind_transmitter_resp>(r, p, skip_body); return true;
    case command_id::bind_transceiver: read_as<bind_transceiver>(r, p, skip_body); return true;
    case command_id::bind_transceiver_resp: read_as<bind_transceiver_resp>(r, p, skip_body); return true;
    case command_id::outbind: read_as<outbind>(r, p, skip_body); return true;
    case command_id::unbind: read_as<unbind>(r, p, skip_body); return true;
    case command_id::unbind_resp: read_as<unbind_resp>(r, p, skip_body); return true;
    case command_id::enquire_link: read_as<enquire_link>(r, p, skip_body); return true;
    case command_id::enquire_link_resp: read_as<enquire_link_resp>(r, p, skip_body); return true;
    case command_id::submit_sm: read_as<submit_sm>(r, p, skip_body); return true;
    case command_id::submit_sm_resp: read_as<submit_sm_resp>(r, p, skip_body); return true;
    case command_id::deliver_sm: read_as<deliver_sm>(r, p, skip_body); return true;
    case command_id::deliver_sm_resp: read_as<deliver_sm_resp>(r, p, skip_body); return true;
    case command_id::data_sm: read_as<data_sm>(r, p, skip_body); return true;
    case command_id::data_sm_resp: read_as<data_sm_resp>(r, p, skip_body); return true;
    case command_id::query_sm: read_as<query_sm>(r, p, skip_body); return true;
    case command_id::query_sm_resp: read_as<query_sm_resp>(r, p, skip_body); return true;
    case command_id::cancel_sm: read_as<cancel_sm>(r, p, skip_body); return true;
    case command_id::cancel_sm_resp: read_as<cancel_sm_resp>(r, p, skip_body); return true;
    case command_id::replace_sm: read_as<replace_sm>(r, p, skip_body); return true;
    case command_id::replace_sm_resp: read_as<replace_sm_resp>(r, p, skip_body); return true;
    case command_id::alert_notification: read_as<alert_notification>(r, p, skip_body); return true;
  }
  // Not supported, hence ESME_RINVCMDID: submit_multi (0x21) and its resp (an OTP gateway
  // sends to one number at a time), SMPP 5.0 broadcast_sm/query_broadcast_sm/
  // cancel_broadcast_sm, and anything else the spec does not define.
  return false;
}

void write_tlvs(wire_writer& w, tlv_list const& tlvs) {
  for (auto const& t : tlvs) {
    if (t.value.size() > 0xFFFF) {
      w.fail(cs::invparlen, tlv_name(t.tag),
             "TLV " + hex16(t.tag) + " value of " + std::to_string(t.value.size()) +
                 " octets exceeds 65535");
      return;
    }
    if (!tlv_size_ok(t.tag, t.value.size())) {
      w.fail(cs::invparlen, tlv_name(t.tag), tlv_size_text(t.tag, t.value.size()));
      return;
    }
    w.u16(t.tag);
    w.u16(static_cast<std::uint16_t>(t.value.size()));
    w.octets(t.value);
  }
}

/// decode() after the header checks. Every return names `res`, so it is constructed in the
/// caller's storage (NRVO): a pdu is a few hundred bytes, and moving it into the result
/// would cost about as much as reading the fields.
boost::system::result<pdu, codec_error> decode_checked(std::span<std::uint8_t const> bytes,
                                                        std::uint32_t id, std::uint32_t status,
                                                        std::uint32_t seq) {
  boost::system::result<pdu, codec_error> res(boost::system::in_place_value);
  pdu& p = *res;
  p.status = static_cast<command_status>(status);
  p.sequence_number = seq;
  wire_reader r(bytes, header_size);
  // SMPP 3.4 omits the body of a response whose command_status != 0; v3.3/v5.0 send it.
  // Accept both (docs/smpp.md §Error responses): a 16-octet error response decodes with
  // empty fields.
  bool const skip_body = (id & 0x80000000u) != 0 && status != 0 && r.at_end();
  if (!read_body(id, r, p, skip_body)) [[unlikely]] {
    char buf[64];
    std::snprintf(buf, sizeof buf, "unknown or unsupported command_id 0x%08x",
                  static_cast<unsigned>(id));
    res = codec_error{cs::invcmdid, id, seq, "command_id", 4, buf};
    return res;
  }
  read_tlvs(r, p.tlvs);
  if (r.ok()) check_payload_conflict(r, p.body, p.tlvs);
  if (!r.ok()) [[unlikely]]
    res = to_codec_error(r.failure(), id, seq);
  return res;
}

}  // namespace

std::string codec_error::message() const {
  std::string m;
  m.reserve(field.size() + what.size() + 48);
  if (!field.empty()) m.append(field).append(" at ");
  m.append("offset ").append(std::to_string(offset)).append(": ").append(what);
  m.append(" (").append(command_status_name(status)).append(")");
  return m;
}

void throw_exception_from_error(codec_error const& e, boost::source_location const&) {
  throw std::runtime_error("SMPP codec: " + e.message());
}

boost::system::result<pdu, codec_error> decode(std::span<std::uint8_t const> bytes) {
  if (bytes.size() < header_size) {
    codec_error e{cs::invcmdlen, 0, 0, "command_length", 0,
                  "PDU of " + std::to_string(bytes.size()) +
                      " octets is shorter than the 16-octet header"};
    if (bytes.size() >= 8) e.command_id = wire_reader::load_u32(bytes.data() + 4);
    return e;
  }
  std::uint32_t const length = wire_reader::load_u32(bytes.data());
  std::uint32_t const id = wire_reader::load_u32(bytes.data() + 4);
  std::uint32_t const status = wire_reader::load_u32(bytes.data() + 8);
  std::uint32_t const seq = wire_reader::load_u32(bytes.data() + 12);
  if (length < header_size || length != bytes.size()) {
    return codec_error{cs::invcmdlen, id, seq, "command_length", 0,
                       "command_length " + std::to_string(length) +
                           (length < header_size ? " is below the 16-octet minimum"
                                                 : " disagrees with the " +
                                                       std::to_string(bytes.size()) +
                                                       " octets given")};
  }

  return decode_checked(bytes, id, status, seq);
}

std::optional<codec_error> encode(pdu const& p, std::vector<std::uint8_t>& out) {
  return encode(p, out, encode_options{});
}

std::optional<codec_error> encode(pdu const& p, std::vector<std::uint8_t>& out,
                                  encode_options const& options) {
  auto const id = static_cast<std::uint32_t>(p.id());
  // One reservation up front (bodies are < 320 octets plus TLVs), growing geometrically so
  // that appending many PDUs to one buffer stays amortised O(1).
  std::size_t want = out.size() + header_size + 320;
  for (auto const& t : p.tlvs) want += 4 + t.value.size();
  if (out.capacity() < want) out.reserve(std::max(want, out.capacity() * 2));
  wire_writer w(out);
  w.u32(0);  // command_length, patched below
  w.u32(id);
  w.u32(static_cast<std::uint32_t>(p.status));
  w.u32(p.sequence_number);
  std::visit(
      [&](auto const& b) {
        using B = std::decay_t<decltype(b)>;
        // Header only, as SMPP 3.4 sends error responses -- unless TLVs follow: then the
        // (empty) mandatory fields must precede them or the peer would misparse the TLVs.
        bool const omit = is_response(B::id) && p.status != cs::ok &&
                          !options.error_response_body && p.tlvs.empty() && b == B{};
        if (!omit) layout(w, b);
      },
      p.body);
  write_tlvs(w, p.tlvs);
  check_payload_conflict(w, p.body, p.tlvs);
  if (w.ok() && w.offset() > std::numeric_limits<std::uint32_t>::max())
    w.fail(cs::invcmdlen, "command_length", "PDU exceeds 2^32-1 octets");
  if (!w.ok()) {
    auto e = to_codec_error(w.failure(), id, p.sequence_number);
    out.resize(w.start());
    return e;
  }
  w.patch_u32(0, static_cast<std::uint32_t>(w.offset()));
  return std::nullopt;
}

bool patch_sequence_number(std::span<std::uint8_t> pdu_bytes, std::uint32_t sequence_number) {
  // Header: command_length, command_id, command_status, sequence_number (4 octets each, big
  // endian): the sequence number is octets 12..15.
  constexpr std::size_t offset = 12;
  if (pdu_bytes.size() < offset + 4) return false;
  for (std::size_t i = 0; i < 4; ++i)
    pdu_bytes[offset + i] = static_cast<std::uint8_t>(sequence_number >> (24 - 8 * i));
  return true;
}

pdu make_generic_nack(codec_error const& e) {
  pdu p;
  p.status = e.status;
  p.sequence_number = e.sequence_number;
  p.body = generic_nack{};
  return p;
}

}  // namespace smsgw::smpp
