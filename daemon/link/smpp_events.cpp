// daemon/link/smpp_events.cpp: deliver_ack (hops to the link's executor before touching the link,
// so the queue thread may answer receipts directly) and link_state names.
#include "daemon/link/smpp_events.hpp"

#include <boost/asio/post.hpp>

namespace smsgw {

void deliver_ack::operator()(smpp::command_status status) {
  if (!executor_) return;
  boost::asio::post(executor_, [target = std::move(target_), seq = sequence_number_, status] {
    // Locked on the link's thread: if the connection still exists, it stays alive meanwhile.
    if (auto sink = target.lock()) (*sink)(seq, status);
  });
  executor_ = {};
}

std::string_view to_string(link_state s) noexcept {
  switch (s) {
    case link_state::connecting: return "connecting";
    case link_state::binding: return "binding";
    case link_state::bound: return "bound";
    case link_state::closing: return "closing";
    case link_state::disconnected: return "disconnected";
    case link_state::stopped: return "stopped";
  }
  return "unknown";
}

}  // namespace smsgw
