// smpp/framer.hpp: splits a TCP byte stream into whole PDUs using command_length only
// (docs/smpp.md §Framing and header). Bytes arrive in arbitrary chunks, down to one octet at
// a time.
// Design decision: one growable buffer that the network reader fills in place
// (prepare()/commit(), like beast::flat_buffer) or copies into (feed()); whole PDUs come back
// as views into it, so framing costs no allocation per PDU once the buffer has grown to the
// largest PDU seen. A command_length < 16 or > max is rejected as soon as its 4 octets are
// seen, before any body arrives; framing is then lost for good and the connection must be
// closed (after sending generic_nack/ESME_RINVCMDLEN if the sequence_number is known).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include <boost/system/result.hpp>

#include "smpp/command_status.hpp"
#include "smpp/pdu.hpp"

namespace smsgw::smpp {

/// Why the stream cannot be framed any more. Sticky: every later next() returns it again.
struct framer_error {
  command_status status = command_status::invcmdlen;  ///< always ESME_RINVCMDLEN today
  std::uint32_t command_length = 0;                   ///< the offending value
  std::size_t max_command_length = 0;                 ///< the limit in force
  /// command_id / sequence_number of the bad header, when its first 16 octets were
  /// buffered at the time the length was rejected (lets the caller send generic_nack).
  std::optional<std::uint32_t> command_id;
  std::optional<std::uint32_t> sequence_number;

  /// "command_length 2147483657 outside 16..65536 (ESME_RINVCMDLEN); framing lost".
  std::string message() const;
};

[[noreturn]] void throw_exception_from_error(framer_error const& e,
                                             boost::source_location const& loc);

/// The generic_nack to send before closing (sequence_number 0 if it was not known).
pdu make_generic_nack(framer_error const& e);

class framer {
 public:
  static constexpr std::size_t default_max_command_length = 64 * 1024;

  /// Throws std::invalid_argument if max_command_length < 16 (a configuration error).
  explicit framer(std::size_t max_command_length = default_max_command_length);

  /// A writable region of at least `n` octets at the end of the buffered data (n == 0 is
  /// fine). Read into it, then commit() what was written. Invalidates spans from next().
  std::span<std::uint8_t> prepare(std::size_t n);
  /// Marks the first `n` octets of the last prepare() region as received.
  void commit(std::size_t n) noexcept;
  /// Copies `bytes` in: prepare() + memcpy + commit(). Invalidates spans from next().
  void feed(std::span<std::uint8_t const> bytes);

  /// The next whole PDU (command_length octets, header included), an EMPTY span if more
  /// bytes are needed, or the framing error. Returned spans stay valid until the next
  /// prepare()/feed(), so a caller may drain several PDUs before decoding them.
  /// Once it has failed, bytes fed are discarded and every call returns the same error.
  boost::system::result<std::span<std::uint8_t const>, framer_error> next();

  bool failed() const noexcept { return error_.has_value(); }
  /// Octets received but not yet returned by next().
  std::size_t buffered() const noexcept { return end_ - begin_; }
  std::size_t max_command_length() const noexcept { return max_; }
  /// Size of the internal buffer: grows to fit the largest PDU plus one read, then stays.
  std::size_t capacity() const noexcept { return capacity_; }

 private:
  std::size_t max_;
  std::unique_ptr<std::uint8_t[]> buf_;  // uninitialised storage; only [begin_, end_) is data
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::optional<framer_error> error_;
};

}  // namespace smsgw::smpp
