// smpp/tlv.hpp: small typed accessors over a pdu's tlv_list (find by tag, read u8/u16/u32/
// C-string/octets, append builders) and the table of TLV sizes the codec enforces.
// Design decision: the list stays raw (tag + value) so unknown TLVs round-trip verbatim;
// accessors return std::nullopt both when the tag is absent and when its value has the wrong
// size, so callers never read a malformed value. Lists are short (< 10), so lookups scan.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "smpp/pdu.hpp"

namespace smsgw::smpp {

/// What the spec says about a known TLV's value size (octets on the wire, NUL included).
struct tlv_spec {
  std::uint16_t tag = 0;
  std::string_view name;     ///< spec name, e.g. "message_state"
  std::uint16_t min_len = 0;
  std::uint16_t max_len = 0;  ///< == min_len for fixed-size integers
};

/// The spec entry for `tag`, or nullptr for tags we do not know (vendor TLVs etc.).
tlv_spec const* find_tlv_spec(std::uint16_t tag) noexcept;

/// The spec name of `tag`, or "tlv" when unknown.
std::string_view tlv_name(std::uint16_t tag) noexcept;

/// The first TLV with `tag`, or nullptr.
tlv const* find_tlv(tlv_list const& tlvs, std::uint16_t tag) noexcept;

/// Integer values (big-endian); nullopt if absent or if the value is not exactly 1/2/4 octets.
std::optional<std::uint8_t> get_u8(tlv_list const& tlvs, std::uint16_t tag) noexcept;
std::optional<std::uint16_t> get_u16(tlv_list const& tlvs, std::uint16_t tag) noexcept;
std::optional<std::uint32_t> get_u32(tlv_list const& tlvs, std::uint16_t tag) noexcept;

/// A C-octet-string value up to its first NUL. A missing terminating NUL is tolerated
/// (some SMSCs send receipted_message_id without one); nullopt only if absent.
std::optional<std::string> get_c_string(tlv_list const& tlvs, std::uint16_t tag);

/// Raw value octets (e.g. message_payload); a view into the list, nullopt if absent.
std::optional<std::span<std::uint8_t const>> get_octets(tlv_list const& tlvs,
                                                        std::uint16_t tag) noexcept;

/// Builders: append a TLV at the end of the list (wire order is list order).
void add_u8(tlv_list& tlvs, std::uint16_t tag, std::uint8_t v);
void add_u16(tlv_list& tlvs, std::uint16_t tag, std::uint16_t v);
void add_u32(tlv_list& tlvs, std::uint16_t tag, std::uint32_t v);
/// Appends `s` plus a terminating NUL.
void add_c_string(tlv_list& tlvs, std::uint16_t tag, std::string_view s);
void add_octets(tlv_list& tlvs, std::uint16_t tag, std::span<std::uint8_t const> v);

/// Removes every TLV with `tag`; returns how many were removed.
std::size_t remove_tlv(tlv_list& tlvs, std::uint16_t tag);

}  // namespace smsgw::smpp
