// queue/state.hpp: the state machine of a message: which states may follow which. The store
// checks every transition against can_transition(), so a bug in a caller (say, marking a
// delivered message submitted) is refused with invalid_state instead of corrupting history.
//   queued -> in_flight | expired | cancelled | superseded | delivered | undeliverable
//            (a late receipt for an earlier attempt)
//   in_flight -> submitted | queued | outcome_unknown | rejected | expired | cancelled (no
//                sending mark yet: claimed, never written to a socket)
//   submitted -> delivered | undeliverable | queued (no receipt: retry) | no_receipt
//   no_receipt -> delivered | undeliverable (a receipt after all; the only final state that
//                 may change)
//   outcome_unknown -> queued | submitted (late resp) | expired | cancelled | superseded |
//                      delivered | undeliverable (late receipt)
#pragma once

#include "queue/message.hpp"

namespace smsgw::queue {

/// True for delivered, undeliverable, expired, cancelled, superseded, rejected, no_receipt.
constexpr bool is_final(state s) noexcept { return s >= state::delivered; }

/// Whether `from -> to` is a legal transition (see the table above).
bool can_transition(state from, state to) noexcept;

}  // namespace smsgw::queue
