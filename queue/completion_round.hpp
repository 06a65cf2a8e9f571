// queue/completion_round.hpp: the completions group_commit runs together (the unsynced ones of
// one writer round, the synced ones one fsync made durable) run inside one completion_round on
// that thread. What they call may gather work to do once, when the round ends: the daemon's
// queue bridge posts everything its completions send to the network thread as ONE handler per
// round (one wake-up of that thread) instead of one each. Outside a round current() is null.
// Not copyable; a round opened inside another hides it until it ends. queue/ knows nothing of
// Asio.
#pragma once

#include <functional>
#include <memory>
#include <utility>
#include <vector>

namespace smsgw::queue {

class completion_round {
 public:
  /// Opens a round on the calling thread (current() until it ends).
  completion_round();
  /// Closes it, then runs the at-end work in the order it was added (an exception from one
  /// is swallowed so that the others still run: each must handle its own failures).
  ~completion_round();
  completion_round(completion_round const&) = delete;
  completion_round& operator=(completion_round const&) = delete;

  /// The round open on this thread, or null.
  static completion_round* current() noexcept;

  /// The state a gatherer keeps for `key` in this round (e.g. one per io_context): empty until
  /// it sets it. `at_end` is added with the state and runs when the round ends.
  std::shared_ptr<void> find(void const* key) const;
  void add(void const* key, std::shared_ptr<void> state, std::function<void()> at_end);

 private:
  struct gathered {
    void const* key;
    std::shared_ptr<void> state;
    std::function<void()> at_end;
  };
  completion_round* outer_;  // the round open on this thread before this one, if any
  std::vector<gathered> gathered_;
};

}  // namespace smsgw::queue
