// queue/retention.cpp: housekeeping the daemon runs periodically: expire_due() ends messages
// whose expiry passed while waiting (queued or outcome_unknown) and turns stale held receipts
// into orphans; purge() deletes old finished messages, their history, old receipts and the
// per-number limit events no limit can need any more in small transactions, so the single
// writer is never held for long (senders keep going).
#include "queue/store_impl.hpp"

#include <fmt/format.h>

namespace smsgw::queue {

result<std::size_t> store::expire_due(time_point now) {
  auto expired = expire_due_messages(now);
  if (!expired) return expired.error();
  return expired->size();
}

result<std::vector<message>> store::expire_due_messages(time_point now) {
  return guarded("expire_due", [&] {
    auto const now_ms = to_ms(now);
    sqlite::transaction tx(impl_->db);
    std::vector<message_id> ids;
    {
      // messages_live (schema step 1): the states before submitted, by expiry.
      sqlite::statement st(impl_->db, sql_text<
          "SELECT id FROM messages WHERE state <= {state::outcome_unknown} "
          "AND state IN ({state::queued}, {state::outcome_unknown}) AND expires_at <= ?1 "
          "ORDER BY id">);
      st.bind(1, now_ms);
      while (st.step()) ids.push_back(st.column_int64(0));
    }
    for (auto id : ids) {
      row r = impl_->load(id);
      r.detail = r.st == state::queued ? "expired while queued"
                                       : "expired while its outcome was unknown";
      impl_->transition(r, state::expired, now_ms);
    }
    sqlite::statement orphan(impl_->db, sql_text<
        "UPDATE receipts SET status = {receipt_status::orphan}, resolved_at = ?1 "
        "WHERE status = {receipt_status::pending} AND received_at <= ?2">);
    orphan.bind(1, now_ms).bind(2, now_ms - impl_->opts.receipt_hold.count()).run();
    std::vector<message> expired;
    expired.reserve(ids.size());
    for (auto id : ids) {
      if (auto m = impl_->read(id)) expired.push_back(std::move(*m));
    }
    tx.commit();
    return expired;
  });
}

result<std::vector<unreceipted>> store::settle_unreceipted(time_point now,
                                                           std::chrono::milliseconds grace,
                                                           std::size_t max) {
  return guarded("settle_unreceipted", [&] {
    auto& s = *impl_;
    auto const now_ms = to_ms(now);
    sqlite::transaction tx(s.db);
    std::vector<message_id> ids;
    {
      // messages_receipt_due (schema step 11): the submitted ones, by deadline.
      sqlite::statement st(s.db, sql_text<
          "SELECT id FROM messages INDEXED BY messages_receipt_due "
          "WHERE state = {state::submitted} AND receipt_due_at <= ?1 "
          "ORDER BY receipt_due_at LIMIT ?2">);
      st.bind(1, now_ms).bind(2, static_cast<std::int64_t>(max));
      while (st.step()) ids.push_back(st.column_int64(0));
    }
    sqlite::statement later(s.db, "UPDATE messages SET receipt_due_at = ?2 WHERE id = ?1");
    std::vector<unreceipted> out;
    for (auto id : ids) {
      row r = s.load(id);
      auto const via = r.via_carrier.empty() ? r.carrier : r.via_carrier;
      auto const why = fmt::format("no receipt from {} for attempt {}", via, r.attempts);
      r.silent_routes = add_route(r.silent_routes, via);  // written by the retry or the final state
      if (auto plan = s.ask_retry(r, retry_reason::no_receipt, why, now_ms)) {
        plan->detail = fmt::format("{}; {}", why, plan->detail);
        s.apply_retry(r, *plan, now_ms);  // its SMSC id goes to earlier_attempts
      } else if (now_ms >= r.expires_at + grace.count()) {
        r.detail = fmt::format("{} by its validity + {} s", why,
                               std::chrono::duration_cast<std::chrono::seconds>(grace).count());
        s.transition(r, state::no_receipt, now_ms);
      } else {
        // Not retried: waits for a late receipt until its validity + grace.
        later.bind(1, id).bind(2, r.expires_at + grace.count()).run();
        later.reset();
        continue;
      }
      if (auto m = s.read(id)) out.push_back(unreceipted{std::move(*m)});
    }
    tx.commit();
    return out;
  });
}

result<std::size_t> store::purge(time_point older_than, std::size_t batch_size,
                                 std::size_t max_batches) {
  return guarded("purge", [&] {
    if (batch_size == 0) fail(errc::invalid_argument, "batch_size must be positive");
    auto const cutoff = to_ms(older_than);
    auto const limit = static_cast<std::int64_t>(batch_size);
    std::size_t total = 0;
    auto& db = impl_->db;
    // Both tables are walked in rowid order from a cursor (ids grow with time: no index on
    // the age is kept up to date on every write), `batch_size` rows per transaction, and the
    // walk of a table ends at its first row created at or after the cutoff. Rows passed over
    // (live messages, held receipts, messages changed since the cutoff) are looked at again
    // by the next purge() call only.
    sqlite::statement walk_msg(db, sql_text<
        "SELECT id, state >= {state::submitted} AND updated_at < ?1, created_at < ?1 "
        "FROM messages WHERE id > ?2 ORDER BY id LIMIT ?3">);
    sqlite::statement walk_receipts(db, sql_text<
        "SELECT id, status <> {receipt_status::pending}, received_at < ?1 FROM receipts "
        "WHERE id > ?2 ORDER BY id LIMIT ?3">);
    sqlite::statement del_msg(db, "DELETE FROM messages WHERE id = ?1");
    // A message's history rows, along its chain (schema step 7).
    sqlite::statement del_events(db,
        "DELETE FROM events WHERE id IN (WITH RECURSIVE chain(id) AS ("
        "SELECT last_event FROM messages WHERE id = ?1 UNION ALL SELECT events.prev FROM "
        "events JOIN chain ON events.id = chain.id WHERE events.prev IS NOT NULL) "
        "SELECT id FROM chain)");
    sqlite::statement del_receipt(db, "DELETE FROM receipts WHERE id = ?1");
    // The newest history key deleted so far (schema step 14): a message's last_event is the
    // largest key of its chain. Keys are never handed out again below it, and event streams
    // resuming below it are told outcomes may be missing.
    sqlite::statement note_purged(db,
        "UPDATE events_purged SET through = max(through, coalesce((SELECT last_event FROM "
        "messages WHERE id = ?1), 0)) WHERE id = 1");
    // The largest message id deleted (schema step 16): new ids are handed out above it.
    sqlite::statement note_messages_purged(db,
        "UPDATE messages_purged SET through = max(through, ?1) WHERE id = 1");
    // Its attempts whose response never came (schema step 9): kept while the message is.
    sqlite::statement del_unanswered(db, "DELETE FROM unanswered_submits WHERE message_id = ?1");
    // Its earlier attempts' SMSC ids (schema step 11).
    sqlite::statement del_earlier(db, "DELETE FROM earlier_attempts WHERE message_id = ?1");
    // One step of a walk: the ids to delete among the next `limit` rows after `cursor`.
    auto step = [&](sqlite::statement& walk, std::int64_t& cursor, bool& done) {
      std::vector<std::int64_t> ids;
      if (done) return ids;
      walk.bind(1, cutoff).bind(2, cursor).bind(3, limit);
      std::int64_t seen = 0;
      while (walk.step()) {
        ++seen;
        if (walk.column_int64(2) == 0) {  // created after the cutoff: so are all later ones
          done = true;
          break;
        }
        cursor = walk.column_int64(0);
        if (walk.column_int64(1) != 0) ids.push_back(cursor);
      }
      walk.reset();
      if (seen < limit) done = true;
      return ids;
    };
    std::int64_t msg_cursor = 0, receipt_cursor = 0;
    bool msg_done = false, receipts_done = false;
    for (std::size_t batch = 0; batch < max_batches; ++batch) {
      sqlite::transaction tx(db);
      auto ids = step(walk_msg, msg_cursor, msg_done);
      for (auto id : ids) {
        note_purged.bind(1, id).run();
        del_events.bind(1, id).run();
        del_unanswered.bind(1, id).run();
        del_earlier.bind(1, id).run();
        del_msg.bind(1, id).run();
      }
      if (!ids.empty()) note_messages_purged.bind(1, ids.back()).run();  // ids ascend
      auto receipt_ids = step(walk_receipts, receipt_cursor, receipts_done);
      for (auto id : receipt_ids) del_receipt.bind(1, id).run();
      // Limit events older than the longest window + cooldown before the cutoff (older_than
      // is never later than now, so none of them can count against a later request).
      std::size_t limit_events_deleted = 0;
      if (impl_->limiter) {
        auto n = impl_->limiter->purge(older_than, batch_size);
        if (!n) throw failure{n.error()};  // the transaction rolls back
        limit_events_deleted = *n;
      }
      tx.commit();
      total += ids.size();
      if (msg_done && receipts_done && limit_events_deleted == 0) break;
    }
    return total;
  });
}

}  // namespace smsgw::queue
