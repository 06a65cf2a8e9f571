// daemon/dispatch/dispatcher_source.hpp: one carrier's message_source inside the dispatcher (private
// to dispatcher*.cpp). Single-threaded on the dispatcher's executor; one taker at a time (the
// carrier's gate guarantees it).
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>


#include "daemon/link/smpp_events.hpp"
#include "daemon/link/wake_signal.hpp"
#include "queue/message.hpp"

namespace smsgw {

class dispatcher;

class dispatcher_source final : public message_source {
 public:
  /// `keys`: queue carrier keys this source claims from (its own, then those it backs up).
  dispatcher_source(dispatcher& owner, std::string carrier, std::vector<std::string> keys);

  boost::asio::awaitable<std::vector<outbound_message>> take(std::size_t max) override;
  void put_back(outbound_message msg) override { push(std::move(msg)); }
  /// Sets the sending mark of the batch in the queue (one transaction, durable before this
  /// returns): the claim itself does not, so a message claimed but never written is queued
  /// again by crash recovery. Those that expired meanwhile are recorded and dropped.
  boost::asio::awaitable<void> before_send(std::vector<outbound_message>& batch) override;

  void push(outbound_message m);
  void wake();
  std::string const& carrier() const noexcept { return carrier_; }
  std::size_t buffered() const noexcept { return buffer_.size(); }
  /// Empties the buffer (graceful stop: these were claimed but never written to a link).
  std::vector<outbound_message> drain();

 private:
  std::vector<outbound_message> pop(std::size_t max);
  boost::asio::awaitable<std::vector<queue::message>> claim(std::size_t max);

  dispatcher& owner_;
  std::string carrier_;
  std::vector<std::string> keys_;
  std::map<std::pair<int, std::uint64_t>, outbound_message> buffer_;
  wake_signal wake_;
};

}  // namespace smsgw
