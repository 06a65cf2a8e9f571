// queue/receipt_latency_history.cpp: the submit -> final receipt latencies of the newest
// attempts, read back from the history (events) so that the daemon's per-carrier learner
// (deadline-aware routing) starts a restart where it left off instead of from its prior.
#include "queue/store_impl.hpp"

#include <algorithm>

namespace smsgw::queue {
namespace {

// e: the attempt's end (a receipt, or settling without one); p: the row before it of the same
// message, the attempt's acceptance (submitted). The walk starts at the head of events and
// goes back at most ?2 rows: ids grow with time, so these are the newest.
constexpr std::string_view k_latencies = sql_text<
    "SELECT m.via_carrier, e.at - p.at, e.at "
    "FROM events AS e "
    "JOIN events AS p ON p.id = e.prev "
    "JOIN messages AS m ON m.id = e.message_id "
    "WHERE e.id > (SELECT coalesce(max(id), 0) FROM events) - ?2 "
    "AND e.from_state = {state::submitted} "
    "AND e.to_state IN ({state::delivered}, {state::undeliverable}, {state::no_receipt}) "
    "AND p.to_state = {state::submitted} "
    "ORDER BY e.id DESC LIMIT ?1">;

}  // namespace

result<std::vector<receipt_latency_sample>> store::receipt_latencies(std::size_t max_samples,
                                                                     std::size_t max_rows) {
  return guarded("receipt_latencies", [&] {
    std::vector<receipt_latency_sample> out;
    sqlite::statement st(impl_->db, k_latencies);
    st.bind(1, static_cast<std::int64_t>(max_samples)).bind(2, static_cast<std::int64_t>(max_rows));
    // As recorded: a clock stepped back between the two rows gives a negative latency, which
    // the learner counts as 0 (receipt_latency_learner::learn bounds every sample).
    while (st.step())
      out.push_back({st.column_string(0), std::chrono::milliseconds(st.column_int64(1)),
                     from_ms(st.column_int64(2))});
    std::reverse(out.begin(), out.end());  // oldest first: the order they were learnt in
    return out;
  });
}

}  // namespace smsgw::queue
