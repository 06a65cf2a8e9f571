// queue/outcome_feed.cpp: store::outcomes_after(), the paging query of the outcome feed
// (queue/outcome_feed.hpp). It walks the history's primary key from `after` (a range scan:
// no index to keep up to date on the hot path) and joins each row's message for its carrier,
// priority and purpose. Rows that are not outcomes still advance scanned_through, so a
// stream never reads them twice.
#include "queue/store_impl.hpp"

#include <algorithm>

namespace smsgw::queue {

result<outcome_page> store::outcomes_after(event_key after, std::size_t max_rows) {
  return guarded("outcomes_after", [&] {
    if (max_rows == 0) fail(errc::invalid_argument, "max_rows must be positive");
    auto& db = impl_->db;
    // No transaction (a read-only COMMIT would count as a commit for group_commit): the
    // store has one connection and one thread, so nothing commits between the two reads.
    outcome_page page;
    page.scanned_through = after;
    sqlite::statement rows(db,
        "SELECT e.id, e.message_id, e.at, e.from_state, e.to_state, e.attempt, e.route, "
        "e.detail, m.carrier, m.priority, m.purpose FROM events e "
        "LEFT JOIN messages m ON m.id = e.message_id WHERE e.id > ?1 ORDER BY e.id LIMIT ?2");
    rows.bind(1, after).bind(2, static_cast<std::int64_t>(max_rows));
    while (rows.step()) {
      page.scanned_through = rows.column_int64(0);
      std::optional<state> from;
      if (!rows.is_null(3)) from = static_cast<state>(rows.column_int64(3));
      auto const to = static_cast<state>(rows.column_int64(4));
      if (!is_outcome(from, to)) continue;
      outcome o;
      o.key = page.scanned_through;
      o.id = rows.column_int64(1);
      o.at = from_ms(rows.column_int64(2));
      o.from = *from;
      o.to = to;
      o.attempt = static_cast<int>(rows.column_int64(5));
      o.route = rows.column_string(6);
      o.detail = rows.column_string(7);
      if (!rows.is_null(8)) {
        o.carrier = rows.column_string(8);
        o.prio = static_cast<priority>(rows.column_int64(9));
        o.purpose = rows.column_string(10);
      }
      page.outcomes.push_back(std::move(o));
    }
    sqlite::statement marks(db,
        "SELECT coalesce((SELECT max(id) FROM events), 0), "
        "coalesce((SELECT through FROM events_purged WHERE id = 1), 0)");
    marks.step();
    page.purged_through = marks.column_int64(1);
    page.head = std::max(marks.column_int64(0), page.purged_through);
    marks.reset();
    return page;
  });
}

}  // namespace smsgw::queue
