// daemon/metrics_scrape.hpp: GET /metrics as the daemon answers it: the state the metrics show
// is read at scrape time (the queue through its writer, the carriers' links and token
// buckets, the dispatcher's and the API server's totals), set in `metrics`, then serialised.
// Here because only daemon/ sees all of those rooms.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "daemon/metrics/metrics.hpp"
#include "daemon/queue_summary_reader.hpp"
#include "queue/message.hpp"

namespace smsgw {

class carrier;
class dispatcher;
class http_server;
namespace queue {
class group_commit;
}

class metrics_scrape {
 public:
  /// Everything must outlive this object; call scrape() on the network thread.
  metrics_scrape(metrics& m, queue::group_commit& gc,
                 std::vector<std::unique_ptr<carrier>> const& carriers, dispatcher const& disp,
                 http_server const& api)
      : metrics_(m), gc_(gc), queue_reader_(gc, kQueueReadBound), carriers_(carriers),
        disp_(disp), api_(api) {}

  /// The metrics text, with the state read now. The queue is read at most once a second
  /// (one walk of its messages_live index through the writer): scrapes closer together
  /// reuse the last read. A queue that does not answer within kQueueReadBound reads as
  /// smsgw_queue_up 0 (its gauges keep their last values) until it answers.
  boost::asio::awaitable<std::string> scrape();

  /// Well inside Prometheus's default scrape timeout (10 s).
  static constexpr std::chrono::milliseconds kQueueReadBound{2000};

 private:
  metrics& metrics_;
  queue::group_commit& gc_;
  queue_summary_reader queue_reader_;
  std::vector<std::unique_ptr<carrier>> const& carriers_;
  dispatcher const& disp_;
  http_server const& api_;
  std::optional<std::chrono::steady_clock::time_point> last_queue_read_;
};

}  // namespace smsgw
