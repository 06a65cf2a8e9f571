// daemon/link/cancellation.hpp: asking whether the calling coroutine was cancelled, without throwing.
// Use `if (was_cancelled(co_await asio::this_coro::cancellation_state))`. It is deliberately
// not a coroutine of its own: with asio's default throw_if_cancelled, co_awaiting any nested
// awaitable (or starting an async operation) after a cancellation throws operation_aborted,
// so a `co_await cancelled()` helper throws exactly when it should answer true, and whatever
// the caller held at that point (a batch of claimed messages) was lost with the exception.
#pragma once

#include <boost/asio/cancellation_state.hpp>

namespace smsgw {

inline bool was_cancelled(boost::asio::cancellation_state const& cs) {
  return cs.cancelled() != boost::asio::cancellation_type::none;
}

}  // namespace smsgw
