// smpp/wire_writer.hpp: big-endian writer appending one PDU to a caller's vector, the mirror
// of wire_reader (same method names, const inputs) so a single field-layout description in
// codec.cpp drives both directions. It validates sizes as it goes with a sticky error; the
// encoder truncates the vector back to where it started if !ok(), so a failed encode
// appends nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smpp/wire_reader.hpp"

namespace smsgw::smpp::detail {

class wire_writer {
 public:
  explicit wire_writer(std::vector<std::uint8_t>& out) noexcept
      : out_(out), start_(out.size()) {}

  bool ok() const noexcept { return !failed_; }
  /// Offset from the start of this PDU.
  std::size_t offset() const noexcept { return out_.size() - start_; }
  std::size_t start() const noexcept { return start_; }
  wire_failure const& failure() const noexcept { return failure_; }

  void fail(command_status status, std::string_view field, std::string what) {
    if (failed_) return;
    failed_ = true;
    failure_ = {status, field, offset(), std::move(what)};
  }

  void u8(std::uint8_t const& v, std::string_view = {}) { out_.push_back(v); }
  void u16(std::uint16_t const& v, std::string_view = {}) {
    out_.push_back(static_cast<std::uint8_t>(v >> 8));
    out_.push_back(static_cast<std::uint8_t>(v));
  }
  void u32(std::uint32_t const& v, std::string_view = {}) {
    std::uint8_t const b[4] = {static_cast<std::uint8_t>(v >> 24),
                               static_cast<std::uint8_t>(v >> 16),
                               static_cast<std::uint8_t>(v >> 8), static_cast<std::uint8_t>(v)};
    out_.insert(out_.end(), b, b + 4);
  }

  /// Writes `s` and its NUL; fails with `status` if that exceeds `max` octets or if `s`
  /// contains a NUL (the peer would read a shorter string than we meant).
  void c_string(std::string const& s, std::size_t max, std::string_view field,
                command_status status) {
    if (failed_) return;
    if (s.size() + 1 > max) {
      fail(status, field,
           "value of " + std::to_string(s.size()) + " characters exceeds the C-octet string max of " +
               std::to_string(max) + " octets (including NUL)");
      return;
    }
    if (s.find('\0') != std::string::npos) {
      fail(status, field, "value contains a NUL character");
      return;
    }
    out_.insert(out_.end(), s.begin(), s.end());
    out_.push_back(0);
  }

  /// sm_length then short_message; at most 254 octets.
  void short_message(std::vector<std::uint8_t> const& sm) {
    if (failed_) return;
    if (sm.size() > 254) {
      fail(command_status::invmsglen, "short_message",
           "short_message of " + std::to_string(sm.size()) +
               " octets exceeds 254 (use message_payload)");
      return;
    }
    out_.push_back(static_cast<std::uint8_t>(sm.size()));
    out_.insert(out_.end(), sm.begin(), sm.end());
  }

  void octets(std::span<std::uint8_t const> b) { out_.insert(out_.end(), b.begin(), b.end()); }

  /// Overwrites 4 octets at PDU offset `at` (used for command_length once it is known).
  void patch_u32(std::size_t at, std::uint32_t v) noexcept {
    auto* p = out_.data() + start_ + at;
    p[0] = static_cast<std::uint8_t>(v >> 24);
    p[1] = static_cast<std::uint8_t>(v >> 16);
    p[2] = static_cast<std::uint8_t>(v >> 8);
    p[3] = static_cast<std::uint8_t>(v);
  }

 private:
  std::vector<std::uint8_t>& out_;
  std::size_t start_;
  bool failed_ = false;
  wire_failure failure_;
};

}  // namespace smsgw::smpp::detail
