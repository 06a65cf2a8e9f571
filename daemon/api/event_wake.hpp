// daemon/api/event_wake.hpp: wakes the open GET /v1/events streams when the queue made new
// commits durable. The queue's syncer thread calls notify_from_any_thread() (coalesced: at
// most one wake-up waits in the network thread's queue however many fsyncs come), the network
// thread bumps a generation number and cancels the timer each waiting stream sleeps on. A
// stream remembers the generation before it reads; finding nothing new, it sleeps only if the
// generation has not moved since (no lost wake-up). close() (graceful stop) wakes every
// stream for good.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

namespace smsgw {

class event_wake {
 public:
  explicit event_wake(boost::asio::any_io_executor ex);
  ~event_wake();
  event_wake(event_wake const&) = delete;
  event_wake& operator=(event_wake const&) = delete;

  /// Any thread: notify() on the executor soon. Safe after this object is gone from the
  /// executor's point of view (the posted wake-up then does nothing).
  void notify_from_any_thread();
  /// Executor thread: a new generation; every subscribed timer is cancelled.
  void notify();
  std::uint64_t generation() const noexcept { return generation_; }
  /// Executor thread: streams should end (the daemon stops). Also notifies.
  void close();
  bool closed() const noexcept { return closed_; }

  /// While alive, `timer` is cancelled by every notify() and close().
  class subscription {
   public:
    subscription(event_wake& w, boost::asio::steady_timer& t);
    ~subscription();
    subscription(subscription const&) = delete;
    subscription& operator=(subscription const&) = delete;

   private:
    event_wake& wake_;
    boost::asio::steady_timer& timer_;
  };

 private:
  /// What a posted wake-up holds (weakly): the owner, and whether one is already posted.
  struct shared {
    event_wake* owner;
    std::atomic<bool> pending{false};
  };
  boost::asio::any_io_executor executor_;
  std::shared_ptr<shared> shared_;
  std::vector<boost::asio::steady_timer*> timers_;
  std::uint64_t generation_ = 0;
  bool closed_ = false;
};

}  // namespace smsgw
