// smpp/framer.cpp: buffer management for the stream framer. The buffer grows
// geometrically and is compacted (unconsumed tail moved to the front) only when prepare()
// needs room, so the copying is amortised O(1) per octet.
#include "smpp/framer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace smsgw::smpp {
namespace {

constexpr std::size_t min_header = 16;

std::uint32_t load_u32(std::uint8_t const* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) |
         (std::uint32_t{p[2]} << 8) | std::uint32_t{p[3]};
}

}  // namespace

std::string framer_error::message() const {
  std::string m = "command_length " + std::to_string(command_length) + " outside 16.." +
                  std::to_string(max_command_length) + " (" +
                  std::string(command_status_name(status)) + "); framing lost";
  if (sequence_number) m += ", sequence_number " + std::to_string(*sequence_number);
  return m;
}

void throw_exception_from_error(framer_error const& e, boost::source_location const&) {
  throw std::runtime_error("SMPP framer: " + e.message());
}

pdu make_generic_nack(framer_error const& e) {
  pdu p;
  p.status = e.status;
  p.sequence_number = e.sequence_number.value_or(0);
  p.body = generic_nack{};
  return p;
}

framer::framer(std::size_t max_command_length) : max_(max_command_length) {
  if (max_ < min_header)
    throw std::invalid_argument("framer: max_command_length must be >= 16, got " +
                                std::to_string(max_));
}

std::span<std::uint8_t> framer::prepare(std::size_t n) {
  if (begin_ == end_) begin_ = end_ = 0;
  if (capacity_ - end_ < n) {
    std::size_t const live = end_ - begin_;
    if (capacity_ - live >= n && begin_ > 0) {
      std::memmove(buf_.get(), buf_.get() + begin_, live);
    } else {
      std::size_t const want = std::max({live + n, capacity_ * 2, std::size_t{4096}});
      auto fresh = std::make_unique_for_overwrite<std::uint8_t[]>(want);
      if (live > 0) std::memcpy(fresh.get(), buf_.get() + begin_, live);
      buf_ = std::move(fresh);
      capacity_ = want;
    }
    begin_ = 0;
    end_ = live;
  }
  return {buf_.get() + end_, capacity_ - end_};
}

void framer::commit(std::size_t n) noexcept {
  if (error_) return;  // framing is lost: nothing after the bad header means anything
  end_ += std::min(n, capacity_ - end_);
}

void framer::feed(std::span<std::uint8_t const> bytes) {
  if (error_ || bytes.empty()) return;
  auto const room = prepare(bytes.size());
  std::memcpy(room.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

boost::system::result<std::span<std::uint8_t const>, framer_error> framer::next() {
  if (error_) return *error_;
  std::size_t const avail = end_ - begin_;
  if (avail < 4) return std::span<std::uint8_t const>{};
  std::uint8_t const* p = buf_.get() + begin_;
  std::uint32_t const length = load_u32(p);
  if (length < min_header || length > max_) {
    framer_error e;
    e.command_length = length;
    e.max_command_length = max_;
    if (avail >= 8) e.command_id = load_u32(p + 4);
    if (avail >= min_header) e.sequence_number = load_u32(p + 12);
    error_ = e;
    begin_ = end_ = 0;
    return e;
  }
  if (avail < length) return std::span<std::uint8_t const>{};
  begin_ += length;
  return std::span<std::uint8_t const>(p, length);
}

}  // namespace smsgw::smpp
