// daemon/api/control_deps.hpp: what the operator endpoints (issue #14) need of the daemon:
// cancel a message, each carrier's status object, the queued backlog, suspend or resume a
// carrier. api_deps::control() gives it (nullptr: those endpoints answer 404).
#pragma once

#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>

#include "queue/error.hpp"
#include "queue/message.hpp"
#include "queue/store.hpp"

namespace smsgw {

class control_deps {
 public:
  virtual ~control_deps() = default;
  /// DELETE /v1/messages/{id}: cancelled if never written to a socket (see
  /// queue::store::cancel_unsent); `who` = the X-Operator header ('' if none).
  virtual boost::asio::awaitable<queue::result<queue::cancel_outcome>> cancel(queue::message_id id,
                                                                              std::string who) = 0;
  /// Every configured carrier's status object (daemon/carrier_status.hpp), in config order.
  virtual boost::json::array carriers() = 0;
  /// Queued messages per carrier and priority (one grouped query on the queue thread).
  virtual boost::asio::awaitable<queue::result<std::vector<queue::backlog_group>>> backlog() = 0;
  /// Suspends or resumes a carrier (recorded in the queue, then applied); invalid_argument
  /// for an unknown carrier.
  virtual boost::asio::awaitable<queue::result<void>> set_suspended(std::string carrier, bool suspended,
                                                                    std::string who) = 0;
};

}  // namespace smsgw
