// daemon/dispatch/transition_batcher.hpp: group commit for the links' reports. Submit results
// (mark_submitted) and delivery receipts (apply_receipts) that arrive while the queue writer is
// busy are gathered on the network thread and handed to the store together next: one writer
// task, one transaction (each kind a savepoint of it, so one kind's failure leaves the other's
// work), at most max_batch items, in arrival order.
// Both kinds share ONE FIFO and one writer task, submit results first: a receipt is never
// committed before a submit result that arrived ahead of it. Assumes one network thread (no locks).
// A flush of submit results alone is answered without waiting for an fsync (nothing acts on a
// plain "submitted"; the next durable work syncs it), one with receipts after its fsync.
// Submit results whose transaction failed as a whole (read-only file, full disk, I/O, busy) are
// not answered with the error: they go back to the head of the FIFO and are committed again
// after a pause (retry_pause, doubling up to max_retry_pause). Nothing else would ever record
// them: the SMSC accepted the message and sends no second submit_sm_resp. Only a graceful stop
// (drained()) gives up on them after one more try (the message stays in_flight with its sending
// mark: outcome_unknown at the next start, as after a crash).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include "queue/group_commit.hpp"

namespace smsgw {

/// What the batcher handed to the store: a test or a metric sees how well reports coalesce.
struct transition_batcher_stats {
  std::uint64_t flushes = 0;          ///< writer tasks posted
  std::uint64_t submit_batches = 0;   ///< mark_submitted_batch calls (one transaction each)
  std::uint64_t receipt_batches = 0;  ///< apply_receipts calls (one transaction each)
  std::uint64_t submits = 0;          ///< submit results handed over
  std::uint64_t receipts = 0;         ///< receipts handed over
  std::size_t largest = 0;            ///< most items in one flush
  std::uint64_t submit_retries = 0;   ///< failed submit transactions put back for another try
};

class transition_batcher {
 public:
  /// The message's state after its mark_submitted: submitted, the usual case; or, if a
  /// receipt held for it (it overtook the submit_sm_resp) was applied by it, the message as
  /// stored then (final, or queued again by the retry policy) and that receipt's detail
  /// ("stat:X err:Y"). As mark_submitted_batch returns it (no read of its own).
  using submitted_message = queue::submitted_message;
  /// The message as above, or why this one submission was refused (the others are unaffected).
  using submit_answer = queue::result<submitted_message>;
  /// What apply_receipts did with one receipt, and the matched message as stored after it
  /// (none for a duplicate: it changed nothing), as apply_receipts returns them.
  using receipt_record = queue::recorded_receipt;
  /// An error: the batch's transaction failed and NONE of its receipts was recorded.
  using receipt_answer = queue::result<receipt_record>;

  /// One flush's results, computed on the writer thread (public for the writer task only).
  struct answers {
    std::vector<submit_answer> submits;
    std::vector<receipt_answer> receipts;
    /// mark_submitted_batch failed as a whole (its transaction rolled back, nothing recorded);
    /// not set when it refused single items (not_found, invalid_state: a retry cannot help).
    std::optional<queue::error> submit_batch_error;
  };

  /// The first pause before failed submit results are committed again, and the longest.
  static constexpr std::chrono::milliseconds retry_pause{50};
  static constexpr std::chrono::milliseconds max_retry_pause{1000};

  /// `gc` must outlive the batcher; callbacks run on `ex`. `max_batch` bounds one flush.
  /// `submit_linger` > 0: a submit result arriving while nothing is pending or being committed
  /// waits up to that long for company (more submit results, or a receipt, which flushes at
  /// once), so that at low rates several share one transaction: nothing waits for a plain
  /// submit result (see flush()). 0: flushed at once.
  /// `writer_linger` > 0: a flush is handed to the writer as lazy work
  /// (group_commit::run_then_lazy): it waits up to that long for other work (an enqueue) to
  /// share the writer's round and fsync, then a timer here kicks the writer
  /// (group_commit::kick), so that at a low rate a receipt costs no fsync and no wake-ups of
  /// its own; its deliver_sm_resp waits that long at most. 0: at once.
  transition_batcher(queue::group_commit& gc, boost::asio::any_io_executor ex,
                     std::size_t max_batch = 1000,
                     std::chrono::milliseconds submit_linger = std::chrono::milliseconds(0),
                     std::chrono::milliseconds writer_linger = std::chrono::milliseconds(0));
  transition_batcher(transition_batcher const&) = delete;
  transition_batcher& operator=(transition_batcher const&) = delete;

  /// Records a submit_sm_resp OK; `done` runs on the network thread after the commit.
  void submitted(queue::submission sub, std::function<void(submit_answer)> done);
  /// Records a receipt; `done` runs after the commit (answer deliver_sm_resp only then).
  /// carrier and smsc_message_id must not be empty: the store refuses a whole batch for one.
  void receipt(queue::receipt rcpt, std::function<void(receipt_answer)> done);

  /// Completes once nothing is pending or being committed. For a graceful stop, after the
  /// links stopped reporting (else it may wait as long as reports keep coming).
  boost::asio::awaitable<void> drained();
  bool idle() const noexcept { return !busy_ && pending_.empty(); }
  bool lingering() const noexcept { return lingering_; }
  /// Failed submit results wait for their next try (retry_timer_).
  bool retrying() const noexcept { return retrying_; }
  transition_batcher_stats const& stats() const noexcept { return stats_; }

 private:
  struct pending_submit {
    queue::submission sub;
    std::function<void(submit_answer)> done;
  };
  struct pending_receipt {
    queue::receipt rcpt;
    std::function<void(receipt_answer)> done;
  };
  using pending = std::variant<pending_submit, pending_receipt>;
  struct batch;

  void push(pending p);
  void flush();
  /// Stops a linger (if any) and flushes now, unless a flush is with the writer.
  void flush_now();
  void answer(batch& b, queue::result<answers> r);
  /// Answers `b`, except its submit results if their transaction failed in a way a later try
  /// may not (put back at the head of pending_, flushed again after a pause).
  void settle(batch& b, queue::result<answers> r);
  void retry_later();
  /// Answers `b` with `r` once an fsync covers what its (unsynced) commit wrote.
  void durable_then(std::shared_ptr<batch> b, queue::result<answers> r);

  queue::group_commit& gc_;
  boost::asio::any_io_executor executor_;
  std::size_t max_batch_;
  std::chrono::milliseconds submit_linger_;
  std::chrono::milliseconds writer_linger_;
  boost::asio::steady_timer linger_timer_;
  std::deque<pending> pending_;
  std::size_t receipts_pending_ = 0;  // receipts in pending_
  bool busy_ = false;  // a flush is with the writer; its completion starts the next
  bool lingering_ = false;  // submit results wait for linger_timer_ (not busy_)
  boost::asio::steady_timer retry_timer_;
  boost::asio::steady_timer kick_timer_;  // a lazy flush waited writer_linger_: kick the writer
  std::chrono::milliseconds next_retry_pause_ = retry_pause;
  bool retrying_ = false;  // busy_ too: failed submit results wait for retry_timer_
  bool retried_flush_ = false;  // the next flush is a retry's: not lazy
  std::vector<std::function<void()>> drain_waiters_;
  transition_batcher_stats stats_;
};

}  // namespace smsgw
