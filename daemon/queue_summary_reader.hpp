// daemon/queue_summary_reader.hpp: the queue's live summary (messages by state, carrier and
// priority) read through its writer for GET /metrics, waiting a bounded time. A writer that
// does not answer (a stalled disk, a long fsync) must not hang the scrape: the read is left
// in flight and the scrape goes on without it. Later scrapes start no second read: they get
// nothing until that one's answer came, then its answer.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "queue/message.hpp"
#include "queue/store.hpp"

namespace smsgw {
namespace queue {
class group_commit;
}

class queue_summary_reader {
 public:
  struct summary {
    queue::result<std::vector<queue::live_group>> groups;
    queue::time_point at;  ///< the time the summary was computed for
  };

  /// `gc` must outlive this object and every read() in progress.
  queue_summary_reader(queue::group_commit& gc, std::chrono::milliseconds bound)
      : gc_(gc), bound_(bound) {}

  /// The summary at `now`, read through the writer, waiting until `bound` after the read
  /// began; nullopt if no answer came by then (the read stays in flight). With a read
  /// already in flight, no new one: its answer, or nullopt at once if its bound has passed.
  /// Call it on one thread (the network thread); concurrent calls share the read.
  boost::asio::awaitable<std::optional<summary>> read(queue::time_point now);

  /// Whether a read is in flight (its answer not yet taken by a read()).
  bool in_flight() const { return pending_ != nullptr; }

 private:
  struct pending;
  queue::group_commit& gc_;
  std::chrono::milliseconds bound_;
  std::shared_ptr<pending> pending_;
};

}  // namespace smsgw
