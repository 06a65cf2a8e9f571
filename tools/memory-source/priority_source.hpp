// tools/memory-source/priority_source.hpp: an in-memory message_source ordered by (priority, ref): the
// most urgent, then oldest, first. Tests and the benchmark feed carriers with it, and the
// daemon's dispatcher can use it as the carrier-side buffer it fills from the queue.
// Design decision: put_back() is just an insert, so a throttled or unsent message regains
// its exact place (an OTP taken before bulk is taken before bulk again).
// Single-threaded: call everything on the carrier's executor.
#pragma once

#include <cstddef>
#include <map>
#include <utility>
#include <vector>


#include "daemon/link/smpp_events.hpp"
#include "daemon/link/wake_signal.hpp"

namespace smsgw {

class priority_source final : public message_source {
 public:
  explicit priority_source(boost::asio::any_io_executor ex) : ready_(std::move(ex)) {}

  /// Adds a message; wakes a waiting take(). A message with a ref already held replaces it.
  void push(outbound_message msg);

  boost::asio::awaitable<std::vector<outbound_message>> take(std::size_t max) override;
  void put_back(outbound_message msg) override { push(std::move(msg)); }

  std::size_t size() const noexcept { return messages_.size(); }
  bool empty() const noexcept { return messages_.empty(); }

 private:
  std::map<std::pair<int, std::uint64_t>, outbound_message> messages_;
  wake_signal ready_;
};

}  // namespace smsgw
