// daemon/priority_source.cpp: see priority_source.hpp. The channel is a one-slot "not empty"
// signal; a taker that leaves messages behind re-signals so the next waiter wakes too.
#include "daemon/priority_source.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace smsgw {

void priority_source::push(outbound_message msg) {
  auto key = std::pair{msg.priority, msg.ref};
  messages_.insert_or_assign(key, std::move(msg));
  ready_.try_send(boost::system::error_code{});
}

boost::asio::awaitable<std::vector<outbound_message>> priority_source::take(std::size_t max) {
  std::vector<outbound_message> out;
  while (messages_.empty()) {
    auto [ec] = co_await ready_.async_receive(boost::asio::as_tuple(boost::asio::use_awaitable));
    if (ec) co_return out;  // cancelled: nothing taken
  }
  out.reserve(std::min(max, messages_.size()));
  while (out.size() < max && !messages_.empty()) {
    out.push_back(std::move(messages_.extract(messages_.begin()).mapped()));
  }
  if (!messages_.empty()) ready_.try_send(boost::system::error_code{});
  co_return out;
}

}  // namespace smsgw
