// daemon/dispatch/dispatcher_source.hpp: one carrier's message_source inside the dispatcher
// (private to dispatcher*.cpp), and source_owner, all a source may ask of its dispatcher.
// Single-threaded on the dispatcher's executor; one taker at a time (the carrier's gate
// guarantees it).
#pragma once

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>


#include "daemon/config/peak_schedule.hpp"
#include "daemon/link/smpp_events.hpp"
#include "daemon/link/wake_signal.hpp"
#include "queue/group_commit.hpp"
#include "queue/message.hpp"
#include "smpp/token_bucket.hpp"

namespace smsgw {

class dispatcher_source;

/// What a source needs of the dispatcher that owns it (the dispatcher implements it).
class source_owner {
 public:
  virtual boost::asio::any_io_executor executor() const = 0;
  virtual queue::group_commit& queue_writer() = 0;
  /// After stop_dequeuing(): hand out nothing more.
  virtual bool stopping() const = 0;
  /// While an operator suspended `carrier`: its source claims and hands out nothing.
  virtual bool suspended(std::string_view carrier) const = 0;
  /// Messages `claimer` just claimed: each goes to the buffer of the source of its route.
  /// `marked`: claimed with their sending mark (claim_for_sending, durable): they go out as
  /// sending_marked (routed as any other: the rare one whose route or deadline sends it to
  /// another carrier's buffer loses its mark, which that carrier's before_send() sets again).
  /// A claimer suspended meanwhile keeps none of them: they are handled as the suspension
  /// handled its buffer, marks cleared.
  virtual void accept_claimed(std::vector<queue::message> msgs, dispatcher_source& claimer,
                              bool marked) = 0;
  /// Just before hand-out: false (and the message recorded as expired) if it must not go out.
  virtual bool still_sendable(outbound_message& m, queue::time_point now) = 0;
  /// A claimed message the queue would not mark as sending (it expired meanwhile).
  virtual void forget_unsent(std::uint64_t ref) = 0;
  /// A claim or sending mark failed in the queue (the queue's message).
  virtual void count_queue_error(std::string_view message) = 0;
  /// The peak-hour rules in force for `carrier` now (the owner sets the carrier's cap when
  /// they change).
  virtual peak_state const& schedule_for(std::string const& carrier) = 0;
  /// The least urgent priority (0 OTP .. 2 bulk) another source may claim for `carrier` now:
  /// its window's, or OTPs only while it is down or its buffer is full.
  virtual int claim_ceiling(std::string const& carrier) = 0;

 protected:
  ~source_owner() = default;
};

class dispatcher_source final : public message_source {
 public:
  /// `keys`: queue carrier keys this source claims from (its own, then those it backs up).
  dispatcher_source(source_owner& owner, std::string carrier, std::vector<std::string> keys);
  /// Withdraws its standing claim, if any (one that already ran: its answer is ignored).
  ~dispatcher_source();
  dispatcher_source(dispatcher_source const&) = delete;
  dispatcher_source& operator=(dispatcher_source const&) = delete;

  boost::asio::awaitable<std::vector<outbound_message>> take(std::size_t max) override {
    return take_for(max, false);
  }
  /// The link can write at once what it gets: when nothing it claims can be held in memory
  /// (may_mark_at_claim), the claim sets the sending mark too, in the same transaction, and
  /// waits for its fsync: one queue round and one commit instead of two of each.
  boost::asio::awaitable<std::vector<outbound_message>> take_writable(std::size_t max) override {
    return take_for(max, true);
  }
  void put_back(outbound_message msg) override { push(std::move(msg)); }
  /// Sets the sending mark of the batch in the queue (one transaction, durable before this
  /// returns): the claim itself does not, so a message claimed but never written is queued
  /// again by crash recovery. Those that expired meanwhile are recorded and dropped.
  boost::asio::awaitable<void> before_send(std::vector<outbound_message>& batch) override;

  void push(outbound_message m);
  void wake();
  std::string const& carrier() const noexcept { return carrier_; }
  /// The queue carrier keys claimed from the next claim on (a reload changed alternates).
  void set_keys(std::vector<std::string> keys) { keys_ = std::move(keys); }
  std::size_t buffered() const noexcept { return buffer_.size(); }
  /// A standing claim ran in the queue and its messages (marked) have not arrived yet: the
  /// source must not be dropped (a reload that removed its carrier keeps it until then).
  bool standing_claim_pending() const noexcept { return standing_ran_; }
  /// Withdraws the standing claim if it has not run (after take()'s wait; at stop); if it
  /// has, its messages come through accept_claimed and take() waits for them instead of
  /// claiming again (standing_claim_pending()).
  void withdraw_standing();
  /// OTPs in the buffer (deadline-aware routing: the OTPs ahead of one routed here).
  std::size_t buffered_otps() const noexcept { return otps_; }
  /// The least urgent priority this source may claim now: every class up to it has a share in
  /// the peak-hour window in force, and none of a capped class still waits in the buffer.
  int ceiling();
  /// Empties the buffer (graceful stop: these were claimed but never written to a link).
  std::vector<outbound_message> drain();
  /// Takes the buffered messages of one priority class out of the buffer (failover).
  std::vector<outbound_message> drain_priority(int priority);
  /// Drops message `ref` (of `priority`) from the buffer (cancelled); false if not in it.
  bool remove(int priority, std::uint64_t ref) { return buffer_.erase({priority, ref}) > 0; }

 private:
  /// Hands out in (priority, ref) order what the peak-hour rules let go now; what they hold
  /// stays in the buffer (dropped, recorded expired, once its validity runs out).
  std::vector<outbound_message> pop(std::size_t max);
  /// Erases one buffered message (keeps otps_ right); the next position.
  std::map<std::pair<int, std::uint64_t>, outbound_message>::iterator erase(
      std::map<std::pair<int, std::uint64_t>, outbound_message>::iterator it);
  /// Takes the rules in force (owner_.schedule_for); new rules = new per-class buckets.
  void apply_schedule();
  /// How long until a capped class held in the buffer may go (at most the poll interval).
  std::chrono::nanoseconds class_wait() const;
  boost::asio::awaitable<std::vector<outbound_message>> take_for(std::size_t max, bool writable);
  /// Whether a claim now may set the sending mark (the caller can write at once): it claims
  /// only its own carrier's messages (it backs up no other), no peak-hour share holds back
  /// a class it may claim (a class token bucket would keep some in the buffer), and its last
  /// claim found the queue drained (a low rate; under a backlog the mark stays apart, after
  /// the carrier's gate is released, so that its binds' marks share an fsync).
  bool may_mark_at_claim();
  /// `mark`: claim_for_sending of this carrier's own key, durable before it returns.
  boost::asio::awaitable<std::vector<queue::message>> claim(std::size_t max, bool mark);
  /// While take() waits with a link that can write `max` at once: a claim_for_sending of up
  /// to `max` stands by with the queue writer and runs in the round that commits the next
  /// enqueue for this carrier (group_commit::run_then_after_enqueue). The enqueue, the claim
  /// and its sending mark then share one fsync, and their answers one post: no claim round
  /// trip per message at a low rate. Its messages arrive (marked) through accept_claimed.
  void stand_by(std::size_t max);
  /// What a standing claim found, and group_commit::enqueue_commits() when it ran.
  struct standing_answer {
    std::vector<queue::message> messages;
    std::uint64_t enqueue_commits = 0;
  };
  /// The standing claim's answer, on the network thread.
  void standing_claimed(queue::result<standing_answer> r);

  source_owner& owner_;
  std::string carrier_;
  std::vector<std::string> keys_;
  std::map<std::pair<int, std::uint64_t>, outbound_message> buffer_;
  std::size_t otps_ = 0;  // buffered messages of priority 0 (OTP)
  wake_signal wake_;
  // The last claim found fewer than it asked for and no wake-up or poll came since: the next
  // take() waits instead of asking the queue again (it would find nothing: one queue round
  // per message saved at low rates).
  bool claimed_all_ = false;
  bool accepting_own_claim_ = false;  // inside take(): owner_.accept_claimed of our own claim
  bool backlog_ = false;  // the last claim got all it asked for: more may be waiting
  std::uint64_t standing_id_ = 0;  // a standing claim with the queue writer (0: none)
  std::size_t standing_max_ = 0;   // what it asks for
  // The last standing claim came back short (it took everything claimable up to its class
  // ceiling) when the queue's enqueue_commits() was this: while that has not moved, the next
  // take() stands by again without a claim of its own, which would find nothing (at a low
  // rate: one queue round per message saved, and the lazy work it would drag into an fsync).
  // Used by the next take() only.
  std::optional<std::uint64_t> drained_at_;
  bool standing_ran_ = false;  // it ran; its answer has not come yet
  // Lets a standing claim's answer that comes after this source is gone do nothing.
  std::shared_ptr<dispatcher_source*> self_ = std::make_shared<dispatcher_source*>(this);
  peak_state rules_;  // the peak-hour rules last applied
  bool have_rules_ = false;
  // Per priority class with a share strictly between 0 and 1: share x cap segments/s.
  std::array<std::optional<smpp::token_bucket>, traffic_classes> class_bucket_;
};

}  // namespace smsgw
