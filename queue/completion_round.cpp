// queue/completion_round.cpp: the thread's open round and its at-end work (completion_round.hpp).
#include "queue/completion_round.hpp"

namespace smsgw::queue {

namespace {
thread_local completion_round* open_round = nullptr;
}

completion_round::completion_round() : outer_(open_round) { open_round = this; }

completion_round::~completion_round() {
  open_round = outer_;  // work posted by at_end goes to the outer round, if any, or directly
  for (auto& g : gathered_) {
    try {
      g.at_end();
    } catch (...) {
      // each at_end handles its own failures; the others must still run
    }
  }
}

completion_round* completion_round::current() noexcept { return open_round; }

std::shared_ptr<void> completion_round::find(void const* key) const {
  for (auto const& g : gathered_)
    if (g.key == key) return g.state;
  return nullptr;
}

void completion_round::add(void const* key, std::shared_ptr<void> state,
                           std::function<void()> at_end) {
  gathered_.push_back({key, std::move(state), std::move(at_end)});
}

}  // namespace smsgw::queue
