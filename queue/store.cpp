// queue/store.cpp: opening the store (migrations, then crash recovery), the transition
// primitives of store_impl.hpp, and the read-only queries (get, history, counts).
// Crash recovery decides from `sending_at`: an in_flight message with it set may have reached
// the SMSC and becomes outcome_unknown; one without it was never handed to a link and is
// simply queued again. See docs/queue.md "Crash recovery".
#include "queue/store_impl.hpp"

#include "queue/schema.hpp"
#include "queue/state.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>

namespace smsgw::queue {

void fail(errc code, std::string message) { throw failure{error{code, std::move(message)}}; }

store::impl::impl(sqlite::database d, store_options o)
    : db(std::move(d)), opts(std::move(o)), sql_store(db), sql_enqueue(db), sql_claim(db),
      sql_receipts(db) {
  // next_event_ids() reads max(id) once per transaction: forget it when one ends.
  // commits counts those that changed a row, for group_commit (is there anything new to
  // sync?): a write transaction that changed nothing (a claim that found nothing, housekeeping
  // with nothing due) writes no WAL frame, and an fsync for it would wait for nothing.
  sqlite3_commit_hook(db.handle(), [](void* p) {
    auto* self = static_cast<impl*>(p);
    self->next_event_id = 0;
    self->next_msg_id = 0;
    auto const changes = sqlite3_total_changes64(self->db.handle());
    if (changes != self->changes_at_commit) {
      self->changes_at_commit = changes;
      ++self->commits;
    }
    return 0;  // go on with the commit
  }, this);
  sqlite3_rollback_hook(db.handle(), [](void* self) {
    static_cast<impl*>(self)->next_event_id = 0;
    static_cast<impl*>(self)->next_msg_id = 0;
  }, this);
}

constexpr std::string_view k_load_row =
    "SELECT state, route, not_before, attempts, sending_at, smsc_message_id, detail, "
    "history_len, expires_at, carrier, via_carrier, last_event, filtered_routes, silent_routes "
    "FROM messages "
    "WHERE id = ?1";

row store::impl::load(message_id id) {
  auto& load_row = sql_store.load_row;
  load_row.bind(1, id);
  if (!load_row.step()) {
    load_row.reset();
    fail(errc::not_found, fmt::format("no message {}", id));
  }
  row r;
  r.id = id;
  r.st = static_cast<state>(load_row.column_int64(0));
  r.route = load_row.column_string(1);
  r.not_before = load_row.column_int64(2);
  r.attempts = static_cast<int>(load_row.column_int64(3));
  if (!load_row.is_null(4)) r.sending_at = load_row.column_int64(4);
  if (!load_row.is_null(5)) r.smsc_message_id = load_row.column_string(5);
  r.detail = load_row.column_string(6);
  r.history_len = load_row.column_int64(7);
  r.last_event = load_row.is_null(11) ? 0 : load_row.column_int64(11);
  r.expires_at = load_row.column_int64(8);
  r.carrier = load_row.column_string(9);
  r.via_carrier = load_row.column_string(10);
  r.filtered_routes = load_row.column_string(12);
  r.silent_routes = load_row.column_string(13);
  load_row.reset();
  return r;
}

// State-changing UPDATEs say OR FAIL: an error stops the statement without undoing its
// earlier rows, which spares SQLite a statement journal per UPDATE (the history trigger
// makes each one a multi-write; ~5,400 instructions each, callgrind). Harmless because any
// SQLite error fails the whole operation and its transaction is rolled back.
// Entering submitted here (a late response, an id settled from its receipt): the receipt
// deadline is the expiry (schema step 11); CASE, not a function (see claim.cpp).
constexpr std::string_view k_write_row = sql_text<
    "UPDATE OR FAIL messages SET state = ?2, updated_at = ?3, route = ?4, not_before = ?5, "
    "attempts = ?6, sending_at = ?7, smsc_message_id = ?8, detail = ?9, history_len = ?10, "
    "via_carrier = ?11, last_event = ?12, filtered_routes = ?13, silent_routes = ?14, "
    "receipt_due_at = CASE WHEN ?2 = {state::submitted} AND state <> {state::submitted} "
    "THEN expires_at ELSE receipt_due_at END WHERE id = ?1">;

// Schema step 11: a submitted attempt the message leaves for a retry, so its late receipt
// still matches after the next attempt records its own SMSC id.
constexpr std::string_view k_record_earlier =
    "INSERT OR IGNORE INTO earlier_attempts (smsc_message_id, via_carrier, message_id, attempt) "
    "VALUES (?1, ?2, ?3, ?4)";

std::string add_route(std::string_view routes, std::string_view route) {
  std::string out(routes);
  if (route.empty()) return out;
  std::string_view rest = routes;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    if (rest.substr(0, comma) == route) return out;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (!out.empty()) out += ',';
  out += route;
  return out;
}

// Schema step 9. Read before the row is rewritten: the attempt's sending mark and route.
constexpr std::string_view k_record_unanswered = sql_text<
    "INSERT OR IGNORE INTO unanswered_submits (message_id, attempt, recipient, carrier, "
    "route, sent_at, given_up_at) SELECT id, attempts, recipient, carrier, route, "
    "sending_at, ?2 FROM messages WHERE id = ?1 AND state = {state::in_flight} "
    "AND sending_at IS NOT NULL">;

void store::impl::transition(row& r, state to, std::int64_t now_ms) {
  if (!can_transition(r.st, to)) {
    fail(errc::invalid_state, fmt::format("message {} is {}, cannot become {}", r.id,
                                          to_string(r.st), to_string(to)));
  }
  auto& write_row = sql_store.write_row;
  write_row.bind(1, r.id).bind(2, static_cast<std::int64_t>(to)).bind(3, now_ms);
  write_row.bind(4, r.route).bind(5, r.not_before).bind(6, std::int64_t{r.attempts});
  if (r.sending_at) write_row.bind(7, *r.sending_at); else write_row.bind_null(7);
  if (r.smsc_message_id) write_row.bind(8, *r.smsc_message_id); else write_row.bind_null(8);
  write_row.bind(9, r.detail).bind(10, r.history_len + 1).bind(11, r.via_carrier);
  write_row.bind(13, r.filtered_routes).bind(14, r.silent_routes);
  if (r.st == state::submitted && to == state::queued && r.smsc_message_id &&
      !r.smsc_message_id->empty()) {
    sql_store.record_earlier.bind(1, *r.smsc_message_id)
        .bind(2, r.via_carrier.empty() ? r.carrier : r.via_carrier)
        .bind(3, r.id).bind(4, std::int64_t{r.attempts}).run();
  }
  if (r.st == state::in_flight && to != state::submitted && to != state::rejected) {
    // An attempt handed to a link (sending mark in the row) that ends without a response:
    // remembered so that its receipt can still be matched by number (schema step 9). Only on
    // these rare paths; the fast ones (claim, submitted, receipts) do not come here.
    sql_store.record_unanswered.bind(1, r.id).bind(2, now_ms).run();
  }
  auto const event_id = next_event_ids();
  write_row.bind(12, event_id);
  write_row.run();  // the messages_history trigger writes the event (schema steps 4, 7)
  r.st = to;
  ++r.history_len;
  r.last_event = event_id;
}

// Above every key written and every key purge deleted (schema step 14): keys are never reused.
constexpr std::string_view k_max_event_id =
    "SELECT max(coalesce((SELECT max(id) FROM events), 0), "
    "coalesce((SELECT through FROM events_purged WHERE id = 1), 0))";

std::int64_t store::impl::next_event_ids(std::int64_t count) {
  if (next_event_id == 0) {
    auto& max_event_id = sql_store.max_event_id;
    max_event_id.step();
    next_event_id = max_event_id.column_int64(0) + 1;
    max_event_id.reset();
  }
  auto first = next_event_id;
  next_event_id += count;
  return first;
}

// Above every id stored and every id purge deleted (schema step 16): ids are never reused.
constexpr std::string_view k_max_message_id =
    "SELECT max(coalesce((SELECT max(id) FROM messages), 0), "
    "coalesce((SELECT through FROM messages_purged WHERE id = 1), 0))";

message_id store::impl::next_message_id() {
  if (next_msg_id == 0) {
    auto& max_message_id = sql_store.max_message_id;
    max_message_id.step();
    next_msg_id = max_message_id.column_int64(0) + 1;
    max_message_id.reset();
  }
  return next_msg_id++;
}

constexpr std::string_view k_insert_event =
    "INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, attempt, route, "
    "smsc_message_id, detail) VALUES (?10, ?1, ?11, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)";
// The enqueue's row (seq 0, no previous row): with the caller's uid and pid (schema step 13).
constexpr std::string_view k_insert_first_event =
    "INSERT INTO events (id, message_id, prev, seq, at, from_state, to_state, attempt, route, "
    "smsc_message_id, detail, requester_uid, requester_pid) "
    "VALUES (?4, ?1, NULL, 0, ?2, NULL, ?5, 0, ?3, NULL, 'enqueued', ?6, ?7)";
constexpr std::string_view k_set_last_event =
    "UPDATE messages SET last_event = ?2, history_len = ?3 WHERE id = ?1";

void store::impl::insert_event(row& r, std::int64_t at,
                               std::optional<std::string_view> smsc_message_id,
                               std::string_view detail) {
  auto const event_id = next_event_ids();
  auto& st = sql_store.insert_event;
  st.bind(1, r.id).bind(2, r.history_len).bind(3, at);
  st.bind(4, static_cast<std::int64_t>(r.st)).bind(5, static_cast<std::int64_t>(r.st));
  st.bind(6, std::int64_t{r.attempts}).bind(7, r.route);
  if (smsc_message_id) st.bind(8, *smsc_message_id); else st.bind_null(8);
  st.bind(9, detail).bind(10, event_id);
  if (r.last_event != 0) st.bind(11, r.last_event); else st.bind_null(11);
  st.run();
  ++r.history_len;
  r.last_event = event_id;
  sql_store.set_last_event.bind(1, r.id).bind(2, r.last_event).bind(3, r.history_len).run();
}

void store::impl::insert_first_event(message_id id, std::int64_t at, std::string_view route,
                                     std::int64_t event_id, std::optional<std::int64_t> uid,
                                     std::optional<std::int64_t> pid) {
  auto& ev = sql_store.insert_first_event;
  ev.bind(1, id).bind(2, at).bind_unowned(3, route).bind(4, event_id);
  ev.bind(5, static_cast<std::int64_t>(state::queued));
  if (uid) ev.bind(6, *uid); else ev.bind_null(6);
  if (pid) ev.bind(7, *pid); else ev.bind_null(7);
  ev.run();
}

// k_message_columns is put in when it is prepared (store_statements).
constexpr std::string_view k_select_message = "SELECT {} FROM messages WHERE id = ?1";

std::optional<message> store::impl::read(message_id id) {
  auto& st = sql_store.select_message;
  st.bind(1, id);
  std::optional<message> m;
  if (st.step()) m = read_message(st);
  st.reset();
  return m;
}

std::optional<retry_plan> store::impl::ask_retry(row const& r, retry_reason why,
                                                 std::optional<std::string_view> receipt_detail,
                                                 std::int64_t now_ms) {
  if (!opts.retry) return std::nullopt;
  auto stored = read(r.id);
  if (!stored) fail(errc::not_found, fmt::format("no message {}", r.id));
  message m = std::move(*stored);
  // The row may hold changes not written yet (the caller's transition writes them).
  m.st = r.st;
  m.attempts = r.attempts;
  m.route = r.route;
  m.via_carrier = r.via_carrier;
  m.smsc_message_id = r.smsc_message_id.value_or("");
  m.detail = receipt_detail ? std::string(*receipt_detail) : r.detail;
  m.filtered_routes = r.filtered_routes;
  m.silent_routes = r.silent_routes;
  std::optional<retry_plan> plan;
  try {
    plan = opts.retry(m, why);
  } catch (std::exception const& e) {
    throw policy_error(fmt::format("retry policy for message {}: {}", r.id, e.what()));
  }
  if (!plan) return std::nullopt;
  plan->not_before = from_ms(std::max(to_ms(plan->not_before), now_ms));
  if (to_ms(plan->not_before) >= r.expires_at) return std::nullopt;
  return plan;
}

void store::impl::apply_retry(row& r, retry_plan const& plan, std::int64_t now_ms) {
  r.route = plan.route;
  r.not_before = to_ms(plan.not_before);
  r.sending_at.reset();
  r.detail = fmt::format("retry via {}: {}", plan.route.empty() ? r.carrier : plan.route,
                         plan.detail);
  transition(r, state::queued, now_ms);
}

void store::impl::fail_or_retry(row& r, std::string_view prefix, std::string_view detail,
                                std::int64_t now_ms) {
  bool const filtered = is_filtered_detail(detail);
  if (filtered) r.filtered_routes = add_route(r.filtered_routes, r.via_carrier.empty() ? r.carrier : r.via_carrier);
  auto const why = filtered ? retry_reason::filtered_receipt : retry_reason::failed_receipt;
  if (auto plan = ask_retry(r, why, detail, now_ms)) {
    // Two history rows: the receipt (state kept: submitted), then the retry.
    insert_event(r, now_ms, r.smsc_message_id,
                 fmt::format("{}: {} ({}; retried)", prefix, detail,
                             filtered ? "filtered" : "undeliverable"));
    apply_retry(r, *plan, now_ms);
    return;
  }
  r.detail = fmt::format("{}: {}", prefix, detail);
  transition(r, state::undeliverable, now_ms);
}

message read_message(sqlite::statement const& st) {
  message m;
  m.id = st.column_int64(0);
  m.recipient = st.column_string(1);
  m.sender = st.column_string(2);
  m.text = st.column_string(3);
  m.prio = static_cast<priority>(st.column_int64(4));
  m.purpose = st.column_string(5);
  m.idempotency_key = st.column_string(6);
  m.carrier = st.column_string(7);
  m.route = st.column_string(8);
  m.st = static_cast<state>(st.column_int64(9));
  m.created_at = from_ms(st.column_int64(10));
  m.expires_at = from_ms(st.column_int64(11));
  m.not_before = from_ms(st.column_int64(12));
  m.updated_at = from_ms(st.column_int64(13));
  m.attempts = static_cast<int>(st.column_int64(14));
  if (!st.is_null(15)) m.sending_at = from_ms(st.column_int64(15));
  m.smsc_message_id = st.column_string(16);
  m.detail = st.column_string(17);
  m.via_carrier = st.column_string(18);
  m.filtered_routes = st.column_string(19);
  m.silent_routes = st.column_string(20);
  return m;
}

void store::impl::recover(std::int64_t now_ms) {
  sqlite::transaction tx(db);
  std::vector<message_id> ids;
  {
    // messages_live (schema step 1): the in_flight ones.
    sqlite::statement st(db, sql_text<"SELECT id FROM messages WHERE state <= "
                                      "{state::outcome_unknown} AND state = {state::in_flight} "
                                      "ORDER BY id">);
    while (st.step()) ids.push_back(st.column_int64(0));
  }
  for (auto id : ids) {
    row r = load(id);
    if (r.sending_at) {
      r.detail = "recovery: was being sent when smsgw stopped; may have reached the SMSC";
      transition(r, state::outcome_unknown, now_ms);
      ++recovery.outcome_unknown;
      if (auto plan = ask_retry(r, retry_reason::recovered_unknown, std::nullopt, now_ms)) {
        apply_retry(r, *plan, now_ms);
        ++recovery.retried;
      }
    } else {
      r.detail = "recovery: claimed but never handed to a link";
      transition(r, state::queued, now_ms);
      ++recovery.requeued;
    }
  }
  tx.commit();
}

result<store> store::open(std::string const& path, store_options opts, time_point now) {
  try {
    auto db = sqlite::database::open(path, opts.sqlite);
    auto const version_before = db.query_int("PRAGMA user_version");
    migrate(db);
    // A file just created or upgraded: the migrations' frames (the schema pages, rewritten by
    // every step) go from the WAL into the file, so the first work does not start behind some
    // 250 KiB of them (a file-size limit was reached before the first message).
    if (db.query_int("PRAGMA user_version") != version_before)
      db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
    auto p = std::make_unique<impl>(std::move(db), std::move(opts));
    if (p->opts.limits) {
      auto limiter = rate_limiter::make(p->db, *p->opts.limits);
      if (!limiter) return limiter.error();
      p->limiter.emplace(std::move(*limiter));
    }
    if (!p->opts.sqlite.read_only) p->recover(to_ms(now));
    return store(std::move(p));
  } catch (sqlite::error const& e) {
    return from_sqlite(e, "open queue");
  } catch (failure const& e) {
    return e.err;
  } catch (policy_error const& e) {
    return error{errc::internal, fmt::format("open queue {}: {}", path, e.what())};
  } catch (std::runtime_error const& e) {
    return error{errc::schema_too_new, fmt::format("open queue {}: {}", path, e.what())};
  }
}

store::store(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
store::store(store&&) noexcept = default;
store& store::operator=(store&&) noexcept = default;
store::~store() = default;

recovery_report const& store::last_recovery() const noexcept { return impl_->recovery; }

result<void> store::set_limits(std::optional<limits_config> limits) {
  return guarded("set_limits", [&] {
    if (!limits) {
      impl_->limiter.reset();
      impl_->opts.limits.reset();
      return;
    }
    auto limiter = rate_limiter::make(impl_->db, *limits);
    if (!limiter) throw failure{limiter.error()};
    impl_->limiter.emplace(std::move(*limiter));
    impl_->opts.limits = std::move(limits);
  });
}

void store::set_retry_policy(retry_policy policy) { impl_->opts.retry = std::move(policy); }

result<std::int64_t> store::count_unfinished_for(std::string_view carrier) {
  return guarded("count_unfinished_for", [&] {
    std::int64_t n = 0;
    // The partial index's own condition (state <= outcome_unknown) spelled out, so SQLite
    // may use it; outcome_unknown itself waits for an operator, not for the carrier.
    sqlite::statement live(impl_->db,
        sql_text<"SELECT count(*) FROM messages INDEXED BY messages_live "
                 "WHERE state <= {state::outcome_unknown} AND state <> {state::outcome_unknown} "
                 "AND (carrier = ?1 OR route = ?1)">);
    live.bind(1, carrier);
    if (live.step()) n += live.column_int64(0);
    sqlite::statement submitted(impl_->db,
        sql_text<"SELECT count(*) FROM messages INDEXED BY messages_receipt_due "
                 "WHERE state = {state::submitted} AND (carrier = ?1 OR via_carrier = ?1)">);
    submitted.bind(1, carrier);
    if (submitted.step()) n += submitted.column_int64(0);
    return n;
  });
}
sqlite::database& store::database() noexcept { return impl_->db; }
std::uint64_t store::commits() const noexcept { return impl_->commits; }

result<message> store::get(message_id id) {
  return guarded("get", [&] {
    auto m = impl_->read(id);
    if (!m) fail(errc::not_found, fmt::format("no message {}", id));
    return std::move(*m);
  });
}

result<std::vector<event>> store::history(message_id id) {
  return guarded("history", [&] {
    // The message's rows, newest first along the chain (schema step 7), then put in order.
    sqlite::statement st(impl_->db,
        "WITH RECURSIVE chain(id) AS (SELECT last_event FROM messages WHERE id = ?1 "
        "UNION ALL SELECT events.prev FROM events JOIN chain ON events.id = chain.id "
        "WHERE events.prev IS NOT NULL) "
        "SELECT seq, at, from_state, to_state, attempt, route, smsc_message_id, detail, "
        "requester_uid, requester_pid FROM events WHERE id IN chain ORDER BY seq");
    st.bind(1, id);
    std::vector<event> out;
    while (st.step()) {
      event e;
      e.seq = st.column_int64(0);
      e.at = from_ms(st.column_int64(1));
      if (!st.is_null(2)) e.from = static_cast<state>(st.column_int64(2));
      e.to = static_cast<state>(st.column_int64(3));
      e.attempt = static_cast<int>(st.column_int64(4));
      e.route = st.column_string(5);
      e.smsc_message_id = st.column_string(6);
      e.detail = st.column_string(7);
      if (!st.is_null(8)) e.requester_uid = st.column_int64(8);
      if (!st.is_null(9)) e.requester_pid = st.column_int64(9);
      out.push_back(std::move(e));
    }
    if (out.empty()) fail(errc::not_found, fmt::format("no message {}", id));
    return out;
  });
}

result<std::array<std::int64_t, k_state_count>> store::count_by_state() {
  return guarded("count_by_state", [&] {
    std::array<std::int64_t, k_state_count> counts{};
    sqlite::statement st(impl_->db, "SELECT state, count(*) FROM messages GROUP BY state");
    while (st.step()) {
      auto s = st.column_int64(0);
      if (s >= 0 && s < static_cast<std::int64_t>(k_state_count)) counts[static_cast<std::size_t>(s)] = st.column_int64(1);
    }
    return counts;
  });
}

result<std::array<std::int64_t, 3>> store::count_waiting() {
  return guarded("count_waiting", [&] {
    std::array<std::int64_t, 3> counts{};
    sqlite::statement st(impl_->db,
        sql_text<"SELECT state, count(*) FROM messages INDEXED BY messages_live "
                 "WHERE state <= {state::outcome_unknown} GROUP BY state">);
    while (st.step()) {
      auto s = st.column_int64(0);
      if (s >= 0 && s < 3) counts[static_cast<std::size_t>(s)] = st.column_int64(1);
    }
    return counts;
  });
}

result<std::int64_t> store::count_queued_otps(std::string_view carrier) {
  return guarded("count_queued_otps", [&] {
    // Says state = queued as messages_due does (schema step 1), so that SQLite uses it.
    sqlite::statement st(impl_->db,
        sql_text<"SELECT count(*) FROM messages INDEXED BY messages_due WHERE carrier = ?1 "
                 "AND priority = {priority::otp} AND state = {state::queued}">);
    st.bind(1, carrier);
    std::int64_t n = 0;
    if (st.step()) n = st.column_int64(0);
    return n;
  });
}

result<std::vector<live_group>> store::live_summary(time_point now) {
  return guarded("live_summary", [&] {
    std::vector<live_group> out;
    // Validity used in parts per million (integer arithmetic in SQL, 0.0001 % resolution).
    sqlite::statement st(impl_->db,
        sql_text<"SELECT state, carrier, priority, count(*), min(created_at), "
                 "max((?1 - created_at) * 1000000 / max(expires_at - created_at, 1)) "
                 "FROM messages INDEXED BY messages_live "
                 "WHERE state <= {state::outcome_unknown} GROUP BY state, carrier, priority">);
    st.bind(1, to_ms(now));
    while (st.step()) {
      live_group g;
      g.st = static_cast<state>(st.column_int64(0));
      g.carrier = st.column_string(1);
      g.prio = static_cast<priority>(st.column_int64(2));
      g.count = st.column_int64(3);
      g.oldest_created = from_ms(st.column_int64(4));
      g.max_validity_used = static_cast<double>(st.column_int64(5)) / 1e6;
      out.push_back(std::move(g));
    }
    return out;
  });
}

store_statements::store_statements(sqlite::database& db)
    : load_row(db, k_load_row), write_row(db, k_write_row), insert_event(db, k_insert_event),
      insert_first_event(db, k_insert_first_event),
      set_last_event(db, k_set_last_event), max_event_id(db, k_max_event_id),
      max_message_id(db, k_max_message_id),
      select_message(db, fmt::format(k_select_message, k_message_columns)),
      record_unanswered(db, k_record_unanswered), record_earlier(db, k_record_earlier) {}

}  // namespace smsgw::queue
