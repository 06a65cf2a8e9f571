// daemon/api/event_wake.cpp: see event_wake.hpp.
#include "daemon/api/event_wake.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>

#include "daemon/dispatch/queue_bridge.hpp"

namespace smsgw {

event_wake::event_wake(boost::asio::any_io_executor ex)
    : executor_(std::move(ex)), shared_(std::make_shared<shared>()) {
  shared_->owner = this;
}

event_wake::~event_wake() = default;

void event_wake::notify_from_any_thread() {
  if (shared_->pending.exchange(true)) return;  // one is on its way: it will see these commits
  // Called by the queue's syncer inside its completion round: this wake-up goes to the network
  // thread in the same post as the answers that fsync released (one wake-up, not two).
  detail::post_from_queue(executor_, [weak = std::weak_ptr<shared>(shared_)] {
    auto s = weak.lock();
    if (!s) return;
    s->pending.store(false);  // before notify(): a commit after this point posts again
    s->owner->notify();
  });
}

void event_wake::notify() {
  ++generation_;
  for (auto* t : timers_) t->cancel();
}

void event_wake::close() {
  closed_ = true;
  notify();
}

event_wake::subscription::subscription(event_wake& w, boost::asio::steady_timer& t)
    : wake_(w), timer_(t) {
  wake_.timers_.push_back(&timer_);
}

event_wake::subscription::~subscription() {
  auto& v = wake_.timers_;
  v.erase(std::remove(v.begin(), v.end(), &timer_), v.end());
}

}  // namespace smsgw
