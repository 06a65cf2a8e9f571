// smpp/wire_reader.hpp: bounds-checked big-endian reader over the bytes of one PDU, with a
// sticky error: decoders read every field unconditionally and check ok() once at the end, with
// no nested ifs. After the first failure every read is a no-op that yields 0 or an empty value
// and does not advance, so the first failure (field, offset, status) is the one reported.
// Nothing here allocates except the output strings/vectors, whose sizes are bounded by the
// bytes actually present.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "smpp/command_status.hpp"

namespace smsgw::smpp::detail {

/// The first thing that went wrong while reading or writing a PDU.
struct wire_failure {
  command_status status = command_status::ok;
  std::string_view field;  ///< spec name; always a string literal
  std::size_t offset = 0;  ///< byte offset into the PDU
  std::string what;
};

class wire_reader {
 public:
  explicit wire_reader(std::span<std::uint8_t const> bytes, std::size_t pos = 0) noexcept
      : bytes_(bytes), pos_(pos) {}

  bool ok() const noexcept { return !failed_; }
  std::size_t offset() const noexcept { return pos_; }
  std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  bool at_end() const noexcept { return pos_ == bytes_.size(); }
  wire_failure const& failure() const noexcept { return failure_; }
  /// The unread octets (a view; does not advance).
  std::span<std::uint8_t const> rest() const noexcept { return bytes_.subspan(pos_); }

  /// Records a failure at the current offset unless one is already recorded.
  void fail(command_status status, std::string_view field, std::string what) {
    fail_at(pos_, status, field, std::move(what));
  }
  /// Records a failure at PDU offset `at` unless one is already recorded.
  void fail_at(std::size_t at, command_status status, std::string_view field, std::string what) {
    if (failed_) return;
    failed_ = true;
    failure_ = {status, field, at, std::move(what)};
  }

  // Integers. A PDU that ends inside an integer field has a command_length that disagrees
  // with its body, hence ESME_RINVCMDLEN.
  void u8(std::uint8_t& v, std::string_view field) {
    v = 0;
    if (!need(1, field, command_status::invcmdlen)) return;
    v = bytes_[pos_++];
  }
  void u16(std::uint16_t& v, std::string_view field) {
    v = 0;
    if (!need(2, field, command_status::invcmdlen)) return;
    v = static_cast<std::uint16_t>((bytes_[pos_] << 8) | bytes_[pos_ + 1]);
    pos_ += 2;
  }
  void u32(std::uint32_t& v, std::string_view field) {
    v = 0;
    if (!need(4, field, command_status::invcmdlen)) return;
    v = load_u32(bytes_.data() + pos_);
    pos_ += 4;
  }

  /// A C-octet string of at most `max` octets including its NUL. Fails with `status` if
  /// no NUL occurs within `max` octets or before the end of the PDU.
  void c_string(std::string& out, std::size_t max, std::string_view field,
                command_status status) {
    out.clear();
    if (failed_) return;
    std::size_t const window = remaining() < max ? remaining() : max;
    auto const* begin = bytes_.data() + pos_;
    auto const* nul = static_cast<std::uint8_t const*>(std::memchr(begin, 0, window));
    if (nul == nullptr) [[unlikely]] {
      fail_c_string(window, max, field, status);
      return;
    }
    auto const len = static_cast<std::size_t>(nul - begin);
    out.assign(reinterpret_cast<char const*>(begin), len);
    pos_ += len + 1;
  }

  /// sm_length (1 octet) followed by that many octets of short_message.
  void short_message(std::vector<std::uint8_t>& out) {
    out.clear();
    std::uint8_t sm_length = 0;
    u8(sm_length, "sm_length");
    if (failed_) return;
    if (sm_length > 254 || sm_length > remaining()) [[unlikely]] {
      fail_sm_length(sm_length);
      return;
    }
    out.assign(bytes_.data() + pos_, bytes_.data() + pos_ + sm_length);
    pos_ += sm_length;
  }

  /// `n` raw octets as a view into the PDU (empty on failure).
  std::span<std::uint8_t const> take(std::size_t n, std::string_view field,
                                     command_status status) {
    if (!need(n, field, status)) return {};
    auto const s = bytes_.subspan(pos_, n);
    pos_ += n;
    return s;
  }

  static std::uint32_t load_u32(std::uint8_t const* p) noexcept {
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
           (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
  }

 private:
  // Fast path inline; the failure text is built out of line so the hot reads stay small.
  bool need(std::size_t n, std::string_view field, command_status status) {
    if (!failed_ && remaining() >= n) [[likely]]
      return true;
    fail_short(n, field, status);
    return false;
  }

  [[gnu::cold, gnu::noinline]] void fail_short(std::size_t n, std::string_view field,
                                               command_status status) {
    fail(status, field,
         "needs " + std::to_string(n) + " octets but only " + std::to_string(remaining()) +
             " remain in the PDU");
  }

  [[gnu::cold, gnu::noinline]] void fail_c_string(std::size_t window, std::size_t max,
                                                  std::string_view field,
                                                  command_status status) {
    fail(status, field,
         window < max ? "C-octet string not terminated before the end of the PDU"
                      : "C-octet string exceeds " + std::to_string(max) +
                            " octets (including NUL)");
  }

  [[gnu::cold, gnu::noinline]] void fail_sm_length(std::size_t sm_length) {
    fail_at(pos_ - 1, command_status::invmsglen, "sm_length",
            sm_length > 254 ? "sm_length " + std::to_string(sm_length) + " exceeds 254"
                            : "sm_length " + std::to_string(sm_length) +
                                  " runs past the end of the PDU (" +
                                  std::to_string(remaining()) + " octets left)");
  }

  std::span<std::uint8_t const> bytes_;
  std::size_t pos_ = 0;
  bool failed_ = false;
  wire_failure failure_;
};

}  // namespace smsgw::smpp::detail
