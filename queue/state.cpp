// queue/state.cpp: names of states, priorities and receipt statuses, and the transition table
// of state.hpp as code. The names are what the HTTP API and logs show; keep them stable.
#include "queue/state.hpp"

namespace smsgw::queue {

std::string_view to_string(state s) noexcept {
  switch (s) {
    case state::queued: return "queued";
    case state::in_flight: return "in_flight";
    case state::submitted: return "submitted";
    case state::outcome_unknown: return "outcome_unknown";
    case state::delivered: return "delivered";
    case state::undeliverable: return "undeliverable";
    case state::expired: return "expired";
    case state::cancelled: return "cancelled";
    case state::superseded: return "superseded";
    case state::rejected: return "rejected";
    case state::no_receipt: return "no_receipt";
  }
  return "unknown";
}

std::string_view to_string(priority p) noexcept {
  switch (p) {
    case priority::otp: return "otp";
    case priority::transactional: return "transactional";
    case priority::bulk: return "bulk";
  }
  return "unknown";
}

std::string_view to_string(receipt_status s) noexcept {
  switch (s) {
    case receipt_status::applied: return "applied";
    case receipt_status::pending: return "pending";
    case receipt_status::orphan: return "orphan";
    case receipt_status::duplicate: return "duplicate";
  }
  return "unknown";
}

bool can_transition(state from, state to) noexcept {
  using enum state;
  switch (from) {
    case queued:
      return to == in_flight || to == expired || to == cancelled || to == superseded ||
             to == delivered || to == undeliverable;
    case in_flight:
      // cancelled: only while still in a buffer, never written (store::cancel_unsent checks
      // the sending mark).
      return to == submitted || to == queued || to == outcome_unknown || to == rejected ||
             to == expired || to == cancelled;
    case submitted:
      return to == delivered || to == undeliverable || to == queued || to == no_receipt;
    case outcome_unknown:
      return to == queued || to == submitted || to == expired || to == cancelled ||
             to == superseded || to == delivered || to == undeliverable;
    case no_receipt:
      return to == delivered || to == undeliverable;  // a receipt after all
    default:
      return false;  // final states are final
  }
}

}  // namespace smsgw::queue
