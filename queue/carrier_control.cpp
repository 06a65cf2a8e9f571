// queue/carrier_control.cpp: what an operator controls through the queue (issue #14): cancel a
// message never written to a socket, a carrier's suspension flag (schema step 12, read at
// start), and the queued backlog per carrier and priority for GET /v1/carriers.
#include "queue/store_impl.hpp"

#include "queue/state.hpp"

#include <fmt/format.h>

namespace smsgw::queue {

result<cancel_outcome> store::cancel_unsent(message_id id, std::string_view detail, time_point now) {
  return guarded("cancel", [&] {
    sqlite::transaction tx(impl_->db);
    row r = impl_->load(id);
    // The sending mark is set, durably, before a link writes the submit_sm (mark_sending): a
    // message without it has surely not reached a socket; one with it may have.
    bool const unsent = r.st == state::queued || (r.st == state::in_flight && !r.sending_at);
    if (unsent) {
      r.detail = std::string(detail);
      impl_->transition(r, state::cancelled, to_ms(now));
      tx.commit();
    }
    auto m = impl_->read(id);
    if (!m) fail(errc::not_found, fmt::format("message {} not found", id));
    return cancel_outcome{unsent, std::move(*m)};
  });
}

result<std::vector<backlog_group>> store::queued_backlog() {
  return guarded("queued_backlog", [&] {
    std::vector<backlog_group> out;
    // messages_due holds exactly the queued messages, keyed (carrier, priority, id): a covering
    // walk of it, no table row read.
    sqlite::statement st(impl_->db,
        sql_text<"SELECT carrier, priority, count(*) FROM messages INDEXED BY messages_due "
                 "WHERE state = {state::queued} GROUP BY carrier, priority">);
    while (st.step())
      out.push_back({st.column_string(0), static_cast<priority>(st.column_int64(1)), st.column_int64(2)});
    return out;
  });
}

result<void> store::set_carrier_suspended(std::string_view carrier, bool suspended,
                                          std::string_view by, time_point now) {
  return guarded("set_carrier_suspended", [&] {
    if (carrier.empty()) fail(errc::invalid_argument, "empty carrier name");
    sqlite::transaction tx(impl_->db);
    sqlite::statement st(impl_->db,
        "INSERT INTO carrier_control (carrier, suspended, changed_at, changed_by) "
        "VALUES (?1, ?2, ?3, ?4) ON CONFLICT (carrier) DO UPDATE SET "
        "suspended = excluded.suspended, changed_at = excluded.changed_at, "
        "changed_by = excluded.changed_by");
    st.bind(1, carrier).bind(2, std::int64_t{suspended ? 1 : 0}).bind(3, to_ms(now)).bind(4, by);
    st.run();
    tx.commit();
  });
}

result<std::vector<carrier_control>> store::carrier_controls() {
  return guarded("carrier_controls", [&] {
    std::vector<carrier_control> out;
    sqlite::statement st(impl_->db,
        "SELECT carrier, suspended, changed_at, changed_by FROM carrier_control ORDER BY carrier");
    while (st.step())
      out.push_back({st.column_string(0), st.column_int64(1) != 0, from_ms(st.column_int64(2)),
                     st.column_string(3)});
    return out;
  });
}

}  // namespace smsgw::queue
