// tools/memory-source/priority_source.cpp: see priority_source.hpp. `ready_` is a "not empty" signal; a
// taker that leaves messages behind re-signals so the next waiter wakes too.
#include "tools/memory-source/priority_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw {

void priority_source::push(outbound_message msg) {
  auto key = std::pair{msg.priority, msg.ref};
  messages_.insert_or_assign(key, std::move(msg));
  ready_.notify();
}

boost::asio::awaitable<std::vector<outbound_message>> priority_source::take(std::size_t max) {
  std::vector<outbound_message> out;
  auto cs = co_await boost::asio::this_coro::cancellation_state;
  while (messages_.empty()) {
    if (cs.cancelled() != boost::asio::cancellation_type::none) co_return out;  // nothing taken
    co_await ready_.wait();
  }
  out.reserve(std::min(max, messages_.size()));
  while (out.size() < max && !messages_.empty()) {
    out.push_back(std::move(messages_.extract(messages_.begin()).mapped()));
  }
  if (!messages_.empty()) ready_.notify();
  co_return out;
}

}  // namespace smsgw
