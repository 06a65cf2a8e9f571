// daemon/queue_summary_reader.cpp: see queue_summary_reader.hpp.
#include "daemon/queue_summary_reader.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "daemon/dispatch/queue_bridge.hpp"
#include "queue/group_commit.hpp"

namespace smsgw {

namespace asio = boost::asio;

/// A read in flight: the writer's answer lands here (on the network thread) and cancels the
/// timer the waiting scrapes wait on. Shared with the answer's callback, so that a reader
/// gone first leaves it nothing dangling.
struct queue_summary_reader::pending {
  explicit pending(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::optional<summary> answer;
};

asio::awaitable<std::optional<queue_summary_reader::summary>> queue_summary_reader::read(
    queue::time_point now) {
  auto p = pending_;
  if (!p) {
    p = pending_ = std::make_shared<pending>(co_await asio::this_coro::executor);
    p->timer.expires_after(bound_);
    queue_post(
        gc_, p->timer.get_executor(), [now](queue::store& s) { return s.live_summary(now); },
        [p, now](queue::result<std::vector<queue::live_group>> r) {
          p->answer = summary{std::move(r), now};
          p->timer.cancel();  // the scrapes waiting for it go on now
        });
  }
  // Waits until the answer cancels the timer, or the bound expires (for a read that was
  // already in flight: the bound counted from when it was started).
  if (!p->answer) co_await p->timer.async_wait(asio::as_tuple(asio::use_awaitable));
  if (!p->answer) co_return std::nullopt;
  if (pending_ == p) pending_.reset();  // taken: the next read() starts a new one
  co_return p->answer;
}

}  // namespace smsgw
