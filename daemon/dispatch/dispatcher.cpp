// daemon/dispatch/dispatcher.cpp: what the dispatcher does with the links' reports. Every queue write
// is posted to the queue thread (queue_post; submit results and receipts through the
// transition batcher, many per transaction) and its follow-up (DLR log line, deliver_sm_resp,
// retry) runs back on the network thread. A report about a ref we never handed out (a bug or a
// late report after restart) is logged and recorded nowhere.
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/dispatch/dispatcher_source.hpp"

#include <algorithm>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "daemon/dispatch/queue_bridge.hpp"
#include "queue/msisdn.hpp"
#include "queue/state.hpp"
#include "smpp/message_id.hpp"
#include "smpp/receipt.hpp"

namespace smsgw {

namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;

namespace {
/// Submit results + receipts per transaction at most: a burst's first reports must not wait
/// for one huge commit, and one transaction must not grow without bound.
constexpr std::size_t max_transition_batch = 1000;
/// How long a lone submit result waits for others to share its transaction
/// (transition_batcher's submit_linger): at a low rate it then shares the transaction of its
/// own or another message's receipt, which arrives within that time at most SMSCs. A shared
/// transaction that fails does not lose it: the batcher commits failed submit results again
/// (dispatch_restart_test, "deliver_sm_resp is OK only after the receipt is committed").
constexpr std::chrono::milliseconds submit_linger{20};
/// How long a flush of reports (transition_batcher's writer_linger) may wait in the queue
/// writer for other work: at a low rate it then rides in the next enqueue's round and fsync
/// (about 1 fsync per message at 200 msg/s instead of 2); a receipt's deliver_sm_resp waits
/// that long at most; under load nothing waits (the writer always has other work).
constexpr std::chrono::milliseconds writer_linger{10};

double seconds_between(queue::time_point from, queue::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

/// How a final receipt is counted: its state after it, and for a failed one whether the
/// carrier's config classed it filtered (issue #13 §4), else its stat word.
receipt_kind receipt_kind_of(queue::message const& m, std::string_view detail) {
  if (m.st == queue::state::delivered) return receipt_kind::delivered;
  if (detail.find("class:filtered") != std::string_view::npos) return receipt_kind::filtered;
  return detail.find("stat:REJECTD") != std::string_view::npos ? receipt_kind::rejected
                                                              : receipt_kind::undeliverable;
}

/// A receipt's submit date as the queue matches it (SMSC wall-clock time, zone unknown).
std::optional<queue::receipt_submit_date> submit_date_of(std::optional<smpp::receipt_date> const& d) {
  if (!d) return std::nullopt;
  using namespace std::chrono;
  auto const day_start = sys_days{year{d->year} / month{d->month} / day{d->day}};
  queue::receipt_submit_date out;
  out.local = time_point_cast<queue::clock::duration>(
      day_start + hours{d->hour} + minutes{d->minute} + seconds{d->second.value_or(0)});
  out.resolution = d->second ? milliseconds(seconds(1)) : milliseconds(minutes(1));
  return out;
}

/// The handset's number a receipt is about (its source_addr), normalised as the queue stores
/// recipients; '' if it is not a number the queue could hold.
std::string receipt_number(std::string_view source_addr) {
  auto n = queue::normalise_msisdn(source_addr);
  return n ? std::move(*n) : std::string();
}

}  // namespace

std::string_view receipt_err(std::string_view detail) noexcept {
  auto const at = detail.find("err:");
  if (at == std::string_view::npos) return {};
  auto err = detail.substr(at + 4);
  err = err.substr(0, err.find(' '));
  return err == "-" ? std::string_view{} : err;
}

dispatcher::dispatcher(asio::any_io_executor ex, queue::group_commit& gc,
                       daemon_config const& config, dlr_log& log, retry_settings retry)
    : executor_(std::move(ex)), gc_(gc), config_(&config), log_(log),
      routes_(make_route_table(config)), retry_(retry), stop_signal_(executor_),
      transitions_(gc, executor_, max_transition_batch, submit_linger, writer_linger) {
  make_sources();
}

namespace {
/// The queue carrier keys `carrier`'s source claims: its own, then those it backs up.
std::vector<std::string> claim_keys(daemon_config const& cfg, std::string const& carrier) {
  std::vector<std::string> keys{carrier};
  for (auto const& other : cfg.carriers) {
    for (auto const& alt : other.alternates)
      if (alt == carrier) keys.push_back(other.link.name);
  }
  return keys;
}
}  // namespace

void dispatcher::make_sources() {
  for (auto const& c : config_->carriers) {
    queued_otps_.try_emplace(c.link.name, 0);
    auto keys = claim_keys(*config_, c.link.name);
    if (auto it = sources_.find(c.link.name); it != sources_.end()) {
      it->second->set_keys(std::move(keys));
      continue;
    }
    auto& owner = static_cast<source_owner&>(*this);  // a private base: convert it here
    sources_.emplace(c.link.name, std::make_unique<dispatcher_source>(owner, c.link.name, keys));
    unbound_since_[c.link.name] = std::chrono::steady_clock::now();
  }
}

void dispatcher::apply_config(std::shared_ptr<daemon_config const> config) {
  config_holder_ = std::move(config);
  config_ = config_holder_.get();
  routes_ = make_route_table(*config_);
  retry_ = config_->retry;
  make_sources();
  for (auto it = sources_.begin(); it != sources_.end();) {
    if (!config_->find_carrier(it->first)) it->second->withdraw_standing();
    if (config_->find_carrier(it->first) || it->second->buffered() > 0 ||
        it->second->standing_claim_pending()) {
      ++it;
      continue;
    }
    it = sources_.erase(it);
  }
  peak_.clear();  // every carrier's windows and cap looked at again, its cap listener told
  refresh_schedules();
  for (auto& [name, s] : sources_) s->wake();
}

std::size_t dispatcher::holding(std::string_view carrier) const {
  std::size_t n = 0;
  for (auto const& [ref, m] : handed_out_) {
    auto const& route = m.route.empty() ? m.carrier : m.route;
    if (route == carrier || m.carrier == carrier) ++n;
  }
  return n;  // (buffered messages are handed out too: claimed, not yet answered)
}

dispatcher::~dispatcher() = default;

message_source& dispatcher::source_for(std::string const& carrier) {
  return *sources_.at(carrier);
}

void dispatcher::notify(std::string_view carrier) {
  if (auto it = sources_.find(carrier); it != sources_.end()) it->second->wake();
}

void dispatcher::stop_dequeuing() {
  stopping_ = true;
  for (auto& [name, s] : sources_) {
    s->withdraw_standing();  // no claim runs for an enqueue any more
    s->wake();
  }
  stop_signal_.notify();
}

asio::awaitable<void> dispatcher::run_housekeeping() {
  asio::steady_timer timer(executor_);
  // The first tick purges too: a daemon restarted more often than hourly must still purge.
  std::optional<std::chrono::steady_clock::time_point> last_purge;
  while (!stopping_) {
    refresh_schedules();  // caps follow the windows even while a carrier has nothing to send
    timer.expires_after(config_->queue.housekeeping_interval);
    co_await (timer.async_wait(asio::as_tuple(asio::use_awaitable)) ||
              stop_signal_.wait());
    if (stopping_) break;
    auto const tick = std::chrono::steady_clock::now();
    bool purge = !last_purge || tick - *last_purge > std::chrono::hours(1);
    if (purge) last_purge = tick;
    auto retention = config_->queue.retention;
    auto grace = std::chrono::duration_cast<std::chrono::milliseconds>(config_->queue.no_receipt_grace);
    struct outcome {
      std::vector<queue::held_receipt_resolution> held;
      std::vector<queue::message> expired;
      std::vector<queue::unreceipted> unreceipted;
      std::vector<std::pair<std::string, std::int64_t>> queued_otps;
    };
    std::vector<std::string> keys;
    for (auto const& [key, n] : queued_otps_) keys.push_back(key);
    auto work = [grace, keys](queue::store& s) -> queue::result<outcome> {
      auto now = queue::clock::now();
      // Held receipts first: one may settle a message whose submit_sm_resp was lost, and
      // those whose hold ran out are reported here (expire_due would orphan them silently).
      auto held = s.resolve_held_receipts(now);
      if (!held) return held.error();
      auto expired = s.expire_due_messages(now);
      if (!expired) return expired.error();
      // Submitted messages whose receipt did not come in time: retried on the next route,
      // or, past their validity + grace, no_receipt (final).
      auto unreceipted = s.settle_unreceipted(now, grace);
      if (!unreceipted) return unreceipted.error();
      // The OTP backlog of each carrier (deadline-aware routing, /healthz).
      std::vector<std::pair<std::string, std::int64_t>> queued;
      for (auto const& k : keys) {
        auto n = s.count_queued_otps(k);
        if (!n) return n.error();
        queued.emplace_back(k, *n);
      }
      return outcome{std::move(*held), std::move(*expired), std::move(*unreceipted),
                     std::move(queued)};
    };
    auto r = co_await queue_call(gc_, std::move(work));
    if (!r) {
      note_queue_error(r.error().message);
      spdlog::error("housekeeping: {}", r.error().message);
      continue;
    }
    if (purge) co_await purge_in_batches(queue::clock::now() - retention);
    for (auto const& [key, n] : r->queued_otps) queued_otps_[key] = n;
    if (config_->deadline.enabled) reroute_buffered_by_deadline();
    for (auto const& h : r->held) {
      if (h.msg) {
        log_receipt_outcome(*h.msg, h.detail, h.carrier);
      } else {
        ++stats_.receipts_unmatched;
        if (metrics_) metrics_->receipt_unmatched(h.carrier);
        log_.write({queue::clock::now(), 0, h.carrier, "", queue::to_string(h.status),
                    receipt_err(h.detail), "smsc_id=" + h.smsc_message_id});
      }
    }
    if (!r->expired.empty())
      spdlog::info("housekeeping: {} message(s) expired unsent", r->expired.size());
    // Each one a DLR line: an OTP that expired waiting (no bound link, a retry too late) is
    // exactly what an operator tailing the log must see.
    for (auto const& m : r->expired) log_final(m, queue::to_string(m.st), "", m.detail);
    auto const now = queue::clock::now();
    for (auto const& u : r->unreceipted) {
      auto const& m = u.msg;
      // A receipt that never came took at least this long: learnt as such, so a carrier that
      // sends no receipts stops looking fast to deadline-aware routing (its prior is short).
      latency_.receipt(m.id, m.via_carrier, now);
      if (metrics_) metrics_->receipt(m.carrier, m.via_carrier, receipt_kind::no_receipt);
      // The line names the route that sent no receipt (via_carrier), not the next one.
      log_final(m, queue::to_string(m.st), "", m.detail, m.via_carrier);
      if (m.st == queue::state::queued) {
        ++stats_.retried;
        ++stats_.receipt_timeouts;
        count_retry("no_receipt", m.via_carrier, m.route.empty() ? m.carrier : m.route);
        spdlog::info("message {}: no receipt from {} in time; retried via {}", m.id,
                     m.via_carrier, m.route);
        notify(m.route.empty() ? m.carrier : m.route);
      } else {
        ++stats_.no_receipt;
      }
    }
  }
}

asio::awaitable<void> dispatcher::purge_in_batches(queue::time_point older_than) {
  // One batch per writer task: the writer runs a round's work in one transaction, so a purge
  // of the whole backlog in one task would be one unbounded transaction (a WAL that cannot
  // reset meanwhile, and every enqueue of its round failing with it on a full disk).
  constexpr std::size_t batch = 500;
  for (int i = 0; i < 100000; ++i) {  // bounded: 50 million messages an hour at most
    auto p = co_await queue_call(gc_, [older_than](queue::store& s) {
      return s.purge(older_than, batch, 1);
    });
    if (!p) {
      note_queue_error(p.error().message);
      spdlog::error("housekeeping: purge: {}", p.error().message);
      co_return;
    }
    if (*p < batch) co_return;
  }
}

asio::awaitable<std::size_t> dispatcher::release_unsent() {
  // Reports the links made before they stopped may still wait in the batcher: committed
  // before the daemon stops the queue writer, or a submitted message would come back after
  // a restart as "outcome unknown" and a receipt already answered OK would be lost.
  co_await transitions_.drained();
  // A standing claim that ran before stop_dequeuing() withdrew it: its answer (its messages,
  // marked) comes before the answer of any work posted now (answers come in order).
  if (std::any_of(sources_.begin(), sources_.end(),
                  [](auto const& s) { return s.second->standing_claim_pending(); })) {
    co_await queue_call(gc_, [](queue::store&) -> queue::result<bool> { return true; });
  }
  std::vector<std::pair<queue::message_id, std::string>> unsent;
  for (auto& [name, source] : sources_) {
    for (auto& out : source->drain()) {
      auto it = handed_out_.find(out.ref);
      if (it == handed_out_.end()) continue;
      auto const& m = it->second;
      unsent.emplace_back(m.id, m.route.empty() ? m.carrier : m.route);
      handed_out_.erase(it);
    }
  }
  if (unsent.empty()) co_return 0;
  auto work = [unsent](queue::store& s) -> queue::result<std::size_t> {
    auto const now = queue::clock::now();
    std::size_t n = 0;
    for (auto const& [id, route] : unsent) {
      // Never written to a link: not an attempt that may have reached the SMSC.
      if (s.requeue(id, route, now, "claimed but not sent before the daemon stopped", now)) ++n;
    }
    return n;
  };
  auto r = co_await queue_call(gc_, std::move(work));
  if (!r) {
    spdlog::error("stopping: returning {} unsent message(s) to the queue: {}", unsent.size(),
                  r.error().message);
    co_return 0;
  }
  spdlog::info("stopping: {} claimed but unsent message(s) returned to the queue", *r);
  co_return *r;
}

void dispatcher::accept_claimed(std::vector<queue::message> msgs, dispatcher_source& claimer,
                                bool marked) {
  auto now = queue::clock::now();
  std::vector<queue::message_id> unmark;
  // Suspended while its claim was in the queue (a standing claim that had already run, or a
  // claim awaited in take()): what it claimed is handled as the suspension handled its buffer.
  bool const claimer_suspended = suspended(claimer.carrier());
  for (auto& m : msgs) {
    ++stats_.claimed;
    if (m.prio == queue::priority::otp) {
      if (auto q = queued_otps_.find(m.carrier); q != queued_otps_.end() && q->second > 0) --q->second;
    }
    dispatcher_source* chosen = &source_of(m, claimer);
    if (m.prio == queue::priority::otp && config_->deadline.enabled) {
      if (auto* better = deadline_route(m, *chosen, now)) chosen = better;
    }
    dispatcher_source& target = *chosen;
    // No sender named in the request: the registered sender of the carrier that sends it
    // (an alternate's SMSC may reject or filter the home carrier's).
    bool const named = !m.sender.empty();
    if (!named) {
      auto const* rc = config_->find_carrier(target.carrier());
      m.sender = rc ? rc->sender : route_config{}.sender;
    }
    auto out = make_outbound(m, now);
    if (!named) m.sender.clear();  // so a failover to another carrier uses that one's sender
    if (!out) {
      auto id = m.id;
      auto why = out.error();
      spdlog::error("message {}: {}", id, why);
      queue_post(gc_, executor_, [id, why](queue::store& s) {
        return s.mark_rejected(id, why, queue::clock::now());
      }, [](queue::result<void>) {});
      log_final(m, "rejected", "", why);
      continue;
    }
    // Marked by the claim for the claimer's links, but another carrier will write it: the
    // mark comes off (that carrier's before_send() sets it again), so a crash meanwhile
    // requeues it instead of calling it outcome_unknown (issue #13 §5).
    // A suspended claimer writes nothing: its marks come off too.
    bool const diverted = marked && (&target != &claimer || claimer_suspended);
    if (diverted) unmark.push_back(m.id);
    out->sending_marked = marked && !diverted;  // before_send() has nothing left to record
    handed_out_[static_cast<std::uint64_t>(m.id)] = std::move(m);
    target.push(std::move(*out));
  }
  if (!unmark.empty()) {
    // Queued before any before_send() of the new carrier (one writer, in order).
    queue_post(gc_, executor_, [ids = std::move(unmark)](queue::store& s) {
      return s.clear_sending_marks(ids);
    }, [](queue::result<std::size_t> r) {
      if (!r) spdlog::error("clearing sending marks: {}", r.error().message);
    });
  }
  if (claimer_suspended) {
    // Its OTPs go to an alternate that is up (or wait, unmarked, for one or the resume), its
    // other messages back to the queue: after the marks came off (one writer, in order).
    fail_over_buffered(claimer.carrier(), true);
    requeue_buffered_non_otp(claimer.carrier());
  }
}

// The source of the message's route. An OTP routed to a carrier with no bound link (its retry
// went to an alternate that is down) goes with the claimer, which is up (it is asking) and is
// one of its routes (its home or an alternate): in the route's buffer it would wait unseen.
bool retry_left_route(queue::message const& m, std::string_view route) noexcept {
  std::string_view const planned = m.route.empty() ? m.carrier : m.route;
  if (planned != route && route_listed(m.silent_routes, route)) return true;
  return m.attempts > 1 && !m.via_carrier.empty() && m.via_carrier == route && planned != route;
}

bool route_listed(std::string_view routes, std::string_view route) noexcept {
  while (!routes.empty()) {
    auto comma = routes.find(',');
    if (routes.substr(0, comma) == route) return true;
    if (comma == std::string_view::npos) break;
    routes.remove_prefix(comma + 1);
  }
  return false;
}

dispatcher_source& dispatcher::source_of(queue::message const& m, dispatcher_source& claimer) {
  auto const& route = m.route.empty() ? m.carrier : m.route;
  auto it = sources_.find(route);
  if (it == sources_.end()) return claimer;
  // Never through a carrier that filtered it (issue #13), nor back through the route its
  // last attempt used when the retry moved it away from there (no receipt, undeliverable):
  // it waits for its route instead (or deadline routing and failover move it).
  if (m.prio == queue::priority::otp && it->second.get() != &claimer && !is_up(route) &&
      !route_listed(m.filtered_routes, claimer.carrier()) &&
      !retry_left_route(m, claimer.carrier())) {
    spdlog::info("message {}: route {} has no bound link; via {}", m.id, route, claimer.carrier());
    if (metrics_) metrics_->reroute("route_down");
    return claimer;
  }
  return *it->second;
}

bool dispatcher::still_sendable(outbound_message& out, queue::time_point now) {
  auto it = handed_out_.find(out.ref);
  if (it == handed_out_.end()) return true;  // not ours to judge (never happens in the daemon)
  if (refresh_validity(out, it->second.expires_at, now)) return true;
  ++stats_.expired_unsent;
  queue::message m = std::move(it->second);
  handed_out_.erase(it);
  auto const id = m.id;
  auto const expires_at = m.expires_at;
  std::string const route = m.route.empty() ? m.carrier : m.route;
  spdlog::info("message {}: validity ran out while waiting for a link; not sent", id);
  // requeue with a not_before at its expiry: the queue records it as expired, never sent.
  queue_post(gc_, executor_,
      [id, route, expires_at](queue::store& s) {
        return s.requeue(id, route, expires_at, "validity ran out while waiting for a link",
                         queue::clock::now());
      },
      [this, m = std::move(m)](queue::result<queue::state> r) {
        if (!r) {
          note_queue_error(r.error().message);
          spdlog::error("expire {}: {}", m.id, r.error().message);
          return;
        }
        log_final(m, queue::to_string(*r), "", "validity ran out while waiting for a link");
      });
  return false;
}

void dispatcher::forget_unsent(std::uint64_t ref) {
  // Refused because an operator's cancel won the race with the sending mark: that cancel's
  // answer records it (dispatcher::cancel), not as expired.
  if (cancelling_.contains(static_cast<queue::message_id>(ref))) return;
  auto it = handed_out_.find(ref);
  if (it == handed_out_.end()) return;
  queue::message m = std::move(it->second);
  handed_out_.erase(it);
  ++stats_.expired_unsent;
  spdlog::info("message {}: validity ran out before it could be written; not sent", m.id);
  log_final(m, queue::to_string(queue::state::expired), "", "expired before it could be sent");
}

dispatcher::peak_view dispatcher::peak_in_force(std::string_view carrier) const {
  auto const* rc = config_->find_carrier(carrier);
  auto it = peak_.find(carrier);
  if (!rc) return {};
  if (it == peak_.end()) return {"", rc->link.throttle.rate};
  auto const& st = it->second.rules;
  std::string window;
  if (st.window && *st.window < rc->peak.windows.size()) window = rc->peak.windows[*st.window].name;
  return {std::move(window), st.cap};
}

peak_state const& dispatcher::schedule_for(std::string const& carrier) {
  static peak_state const unscheduled{};
  auto const* rc = config_->find_carrier(carrier);
  if (!rc) return unscheduled;
  auto const now = wall_clock_();
  auto it = peak_.find(carrier);
  // Until its next edge the answer cannot change: no recomputation on every take.
  if (it != peak_.end() && now >= it->second.at && now < it->second.rules.until)
    return it->second.rules;
  auto st = peak_state_at(rc->peak, rc->link.throttle.rate, now);
  bool const first = it == peak_.end();
  if (first) it = peak_.emplace(carrier, peak_entry{st, now}).first;
  if (first || !st.same_rules(it->second.rules)) {
    if (st.window) {
      auto const& w = rc->peak.windows[*st.window];
      spdlog::info("carrier {}: peak window \"{}\" ({} WIB): cap {:.2f} segments/s, transactional "
                   "{:.0f}%, bulk {}", carrier, w.name, describe(w), st.cap, 100 * st.share[1],
                   st.share[2] > 0 ? fmt::format("{:.0f}%", 100 * st.share[2]) : std::string("paused"));
    } else if (!first) {
      spdlog::info("carrier {}: peak window over: cap {:.2f} segments/s, every class", carrier, st.cap);
    }
    if (cap_listener_) cap_listener_(carrier, st.cap);
    // A claim standing by took the old rules' classes: withdrawn now, not when its source
    // next runs (it claims again under the new rules).
    if (auto s = sources_.find(carrier); s != sources_.end()) s->second->withdraw_standing();
    notify(carrier);  // held-back classes may go now
  }
  it->second = peak_entry{st, now};
  return it->second.rules;
}

int dispatcher::claim_ceiling(std::string const& carrier) {
  auto it = sources_.find(carrier);
  if (it == sources_.end()) return static_cast<int>(traffic_classes) - 1;
  // What another source claims for `carrier` goes to this carrier's buffer (unless it is an
  // OTP and the carrier is down: then the claimer sends it). So while the carrier has no
  // bound link, or its buffer already holds a few windows' worth, others claim only its
  // OTPs: its other traffic waits queued in the database, not in memory without bound.
  auto const otp = static_cast<int>(queue::priority::otp);
  if (!is_up(carrier)) return otp;
  if (auto const* rc = config_->find_carrier(carrier)) {
    auto const enough = std::size_t{4} * rc->link.window * rc->link.binds;
    if (it->second->buffered() >= enough) return otp;
  }
  return it->second->ceiling();
}

void dispatcher::refresh_schedules() {
  for (auto const& c : config_->carriers) schedule_for(c.link.name);
}

bool dispatcher::is_up(std::string_view carrier) const {
  auto it = bound_.find(carrier);
  return it != bound_.end() && !it->second.empty() && !suspended(carrier);
}

void dispatcher::log_final(queue::message const& m, std::string_view state, std::string_view err,
                           std::string_view detail, std::string_view carrier) {
  if (carrier.empty()) carrier = m.route.empty() ? m.carrier : m.route;
  log_.write({queue::clock::now(), m.id, carrier, m.recipient, state, err, detail});
  // Every line but "queued" (a retry follows) is the end of the message, or of its sending.
  if (metrics_ && state != queue::to_string(queue::state::queued))
    metrics_->outcome(state, m.carrier, queue::to_string(m.prio));
}

void dispatcher::count_retry(std::string_view reason, std::string_view from_route,
                             std::string_view to_route) {
  if (!metrics_) return;
  metrics_->retry(reason);
  if (!from_route.empty() && from_route != to_route) metrics_->reroute(reason);
}

void dispatcher::count_receipt(queue::message const& m, std::string_view route,
                               std::string_view detail,
                               std::optional<queue::time_point> submitted_at) {
  // Learnt per route for deadline-aware routing, and observed for metrics. (submitted_at:
  // a message submitted before a restart still teaches its route's pace.)
  auto const latency = latency_.receipt(m.id, route, queue::clock::now(), submitted_at);
  if (!metrics_) return;
  metrics_->receipt(m.carrier, route, receipt_kind_of(m, detail));
  if (latency) metrics_->receipt_latency(route, *latency);
}

void dispatcher::log_receipt_outcome(queue::message const& m, std::string_view receipt_detail,
                                     std::string_view carrier,
                                     std::optional<queue::time_point> submitted_at) {
  // A failed receipt the store's retry policy requeued: logged as such ("queued", with the
  // plan in detail); the final line comes with the next attempt's receipt.
  bool const retried = m.st == queue::state::queued;
  // The route the receipt came from: its SMSC issued the id (via_carrier).
  std::string_view const receipt_route = !carrier.empty() ? carrier
      : !m.via_carrier.empty() ? std::string_view(m.via_carrier) : std::string_view(m.carrier);
  count_receipt(m, receipt_route, receipt_detail, submitted_at);
  log_final(m, queue::to_string(m.st), receipt_err(receipt_detail),
            retried ? fmt::format("{}; {}", receipt_detail, m.detail) : std::string(receipt_detail),
            carrier);
  if (retried) {
    ++stats_.retried;
    auto const reason = receipt_detail.find("class:filtered") != std::string_view::npos
                            ? "filtered" : "failed_receipt";
    count_retry(reason, receipt_route, m.route.empty() ? m.carrier : m.route);
    notify(m.route.empty() ? m.carrier : m.route);
  }
}

void dispatcher::on_submit_result(link_identity const& link, std::uint64_t ref,
                                  std::string_view message_id, smpp::command_status status) {
  auto it = handed_out_.find(ref);
  if (it == handed_out_.end()) {
    spdlog::warn("{}: submit result for unknown ref {}", link.bind, ref);
    return;
  }
  auto const* rc = config_->find_carrier(link.carrier);
  if (status != smpp::command_status::ok) {
    ++stats_.rejected;
    if (metrics_) metrics_->submit(it->second.carrier, link.carrier, "refused");
    auto detail = fmt::format("submit_sm_resp {}: {} (0x{:08x})", link.carrier,
                              smpp::make_error_code(status).message(),
                              static_cast<std::uint32_t>(status));
    bool const filtered = rc && std::find(rc->filtered_submit_statuses.begin(),
                                          rc->filtered_submit_statuses.end(),
                                          static_cast<std::uint32_t>(status)) !=
                                    rc->filtered_submit_statuses.end();
    if (filtered) {
      ++stats_.filtered;
      detail = fmt::format("{} {}", detail, queue::k_filtered_class);
    }
    retry_or_fail(ref, link.carrier, detail, filtered ? retry_cause::filtered : retry_cause::refused);
    return;
  }
  ++stats_.submitted;
  auto const accepted_at = queue::clock::now();
  latency_.submitted(it->second.id, accepted_at);
  if (metrics_) {
    metrics_->submit(it->second.carrier, link.carrier, "accepted");
    metrics_->submit_latency(link.carrier, seconds_between(it->second.created_at, accepted_at));
  }
  auto key = smpp::message_id_key(message_id, smpp::message_id_side::submit_sm_resp,
                                  rc ? rc->id_format : smpp::message_id_format::same);
  queue::message m = std::move(it->second);
  handed_out_.erase(it);
  m.route = link.carrier;
  // via_carrier = the link's carrier: its SMSC issued the id and will send the receipt.
  // The answer is its state after (and then the message): a receipt held for it may have made
  // it final.
  queue::submission sub{m.id, link.carrier, std::move(key), link.carrier};
  // No final receipt by then: retried on the next route (housekeeping; the store caps it at
  // the expiry). 0 = no timeout: it waits until its validity + grace.
  if (rc) {
    auto const timeout = m.prio == queue::priority::otp ? rc->receipt_timeout
                         : m.prio == queue::priority::transactional ? rc->transactional_receipt_timeout
                                                                    : std::chrono::milliseconds(0);
    if (timeout.count() > 0) sub.receipt_due = queue::clock::now() + timeout;
  }
  transitions_.submitted(std::move(sub),
      [this, m = std::move(m)](transition_batcher::submit_answer r) {
        if (!r) {
          note_queue_error(r.error().message);
          spdlog::error("mark_submitted {}: {}", m.id, r.error().message);
          return;
        }
        // Submitted: its receipt is still to come (the usual case). Anything else was done
        // by a receipt held for it: that receipt's line, with its err code, is written now.
        if (r->st == queue::state::submitted || !r->settled) return;
        auto const& settled = *r->settled;
        log_receipt_outcome(settled, r->held_receipt.empty() ? std::string_view(settled.detail)
                                                             : std::string_view(r->held_receipt));
      });
}

void dispatcher::on_outcome_unknown(link_identity const& link, std::uint64_t ref,
                                    std::string_view why) {
  ++stats_.unknown;
  if (auto it = handed_out_.find(ref); metrics_ && it != handed_out_.end())
    metrics_->submit(it->second.carrier, link.carrier, "unknown");
  retry_or_fail(ref, link.carrier, fmt::format("outcome unknown on {}: {}", link.bind, why),
                retry_cause::outcome_unknown);
}

// What retry_policy plans (requeue on its route), or else the end of this attempt: rejected
// (final) after a refusal, outcome_unknown (an operator's call: a resend may duplicate) else.
void dispatcher::retry_or_fail(std::uint64_t ref, std::string const& used_route,
                               std::string detail, retry_cause why) {
  auto it = handed_out_.find(ref);
  if (it == handed_out_.end()) {
    spdlog::warn("{}: report for unknown ref {}: {}", used_route, ref, detail);
    return;
  }
  queue::message m = std::move(it->second);
  handed_out_.erase(it);
  m.route = used_route;
  // Filtered: never through this route again (stored with the message).
  std::string const filtered_route = why == retry_cause::filtered ? used_route : std::string();
  if (!filtered_route.empty()) {
    m.filtered_routes = m.filtered_routes.empty() ? filtered_route
                                                  : m.filtered_routes + "," + filtered_route;
  }
  auto plan = plan_retry(m, why, routes_, retry_, queue::clock::now());
  if (plan) detail = fmt::format("{}; {}", detail, plan->detail);
  auto id = m.id;
  spdlog::warn("message {}: {}", id, detail);
  bool unknown = why == retry_cause::outcome_unknown;
  queue_post(gc_, executor_,
      [id, plan, detail, unknown, filtered_route](queue::store& s) -> queue::result<queue::state> {
        auto now = queue::clock::now();
        if (plan) return s.requeue(id, plan->route, plan->not_before, detail, now, filtered_route);
        auto r = unknown ? s.mark_outcome_unknown(id, detail, now)
                 : filtered_route.empty() ? s.mark_rejected(id, detail, now)
                                          : s.mark_rejected_filtered(id, detail, filtered_route, now);
        if (!r) return r.error();
        return unknown ? queue::state::outcome_unknown : queue::state::rejected;
      },
      [this, m = std::move(m), plan, detail, unknown](queue::result<queue::state> r) {
        if (!r) {
          note_queue_error(r.error().message);
          spdlog::error("retry/fail {}: {}", m.id, r.error().message);
          return;
        }
        if (*r == queue::state::queued) {
          ++stats_.retried;
          count_retry(unknown ? "outcome_unknown" : "refused", m.route, plan->route);
          notify(plan->route);
        } else {
          log_final(m, queue::to_string(*r), "", detail);
        }
      });
}

void dispatcher::on_deliver(link_identity const& link, smpp::pdu const& p, deliver_ack ack) {
  smpp::content_result<smpp::delivery_receipt> rcpt = make_error_code(smpp::content_errc::not_a_receipt);
  if (auto const* d = std::get_if<smpp::deliver_sm>(&p.body)) rcpt = smpp::parse_receipt(*d, p.tlvs);
  else if (auto const* ds = std::get_if<smpp::data_sm>(&p.body)) rcpt = smpp::parse_receipt(*ds, p.tlvs);
  if (!rcpt) {
    // An MO message or a receipt we cannot read: nothing to record; answering OK stops the
    // SMSC from redelivering something we would never understand.
    ++stats_.mo_ignored;
    spdlog::info("{}: deliver ignored ({})", link.bind, rcpt.error().message());
    ack(smpp::command_status::ok);
    return;
  }
  if (!rcpt->is_final) {
    ack(smpp::command_status::ok);
    return;
  }
  auto const* rc = config_->find_carrier(link.carrier);
  auto key = smpp::message_id_key(rcpt->message_id, smpp::message_id_side::receipt,
                                  rc ? rc->id_format : smpp::message_id_format::same);
  if (key.empty()) {
    // An id of blanks: as unreadable as a missing one, and the store would refuse the whole
    // batch it joins. Redelivery cannot make it readable: answered OK like any unreadable one.
    ++stats_.mo_ignored;
    spdlog::info("{}: deliver ignored (receipt without a message id)", link.bind);
    ack(smpp::command_status::ok);
    return;
  }
  ++stats_.receipts;
  auto outcome = rcpt->success ? queue::receipt_outcome::delivered : queue::receipt_outcome::undeliverable;
  auto detail = fmt::format("stat:{} err:{}", rcpt->stat.empty() ? smpp::stat_text(rcpt->state) : rcpt->stat,
                            rcpt->err.empty() ? "-" : rcpt->err);
  // An err: code the carrier's config lists as "filtered" (spam): classed so in the detail
  // (history, DLR line); the store then never sends it through this carrier again.
  if (!rcpt->success && rc && !rcpt->err.empty() &&
      std::find(rc->filtered_errors.begin(), rc->filtered_errors.end(), rcpt->err) !=
          rc->filtered_errors.end()) {
    ++stats_.filtered;
    detail = fmt::format("{} {}", detail, queue::k_filtered_class);
  }
  // With the number and submit date, a receipt whose submit_sm_resp was lost (its id was
  // never learnt) can still settle its message (queue/receipts.cpp).
  queue::receipt q{link.carrier, key, outcome, detail};
  if (auto const* d = std::get_if<smpp::deliver_sm>(&p.body)) q.recipient = receipt_number(d->source_addr);
  else if (auto const* ds = std::get_if<smpp::data_sm>(&p.body)) q.recipient = receipt_number(ds->source_addr);
  q.submit_date = submit_date_of(rcpt->submit_date);
  // An error answer means the whole batch was not recorded: each receipt in it asks the SMSC
  // to redeliver; none is answered OK before the commit that recorded it.
  transitions_.receipt(std::move(q),
      [this, ack, err = rcpt->err, detail, link_carrier = link.carrier,
       key](transition_batcher::receipt_answer r) mutable {
        if (!r) {
          note_queue_error(r.error().message);
          spdlog::error("apply_receipt {} {}: {}", link_carrier, key, r.error().message);
          ack(smpp::command_status::x_t_appn);  // not recorded: ask the SMSC to redeliver later
          return;
        }
        ack(smpp::command_status::ok);  // committed: now the SMSC may forget it
        auto const& res = r->res;
        auto const& m = r->msg;
        if (res.status == queue::receipt_status::duplicate) return;
        if (res.status == queue::receipt_status::pending) {
          // Held until its submit_sm_resp is recorded (it overtook it): not an outcome yet.
          // Its line comes when it is applied (with the real id), or as an orphan when its
          // hold runs out (housekeeping).
          ++stats_.receipts_held;
          spdlog::debug("{}: receipt {} held until its submit_sm_resp", link_carrier, key);
          return;
        }
        if (res.earlier_attempt_kept && m) {
          // The late receipt of an attempt the message has moved on from (a retry after no
          // receipt in time): in its history, not an outcome, so no DLR line.
          spdlog::info("message {}: late receipt of an earlier attempt via {} recorded ({})",
                       m->id, link_carrier, detail);
          return;
        }
        if (!m) {
          ++stats_.receipts_unmatched;
          if (metrics_) metrics_->receipt_unmatched(link_carrier);
          log_.write({queue::clock::now(), 0, link_carrier, "", queue::to_string(res.status), err,
                      "smsc_id=" + key});
          return;
        }
        log_receipt_outcome(*m, detail, link_carrier, r->submitted_at);
      });
}

void dispatcher::on_link_state(link_identity const& link, link_state state,
                               std::string_view detail) {
  // A carrier is up while one of its submitting binds is bound ("-rx" binds of a
  // transmitter_receiver pair only receive: daemon/link/carrier.cpp names them so).
  // Up for routing also needs no operator's suspension (is_up): a suspended carrier's binds
  // coming and going change nothing for routing.
  auto& binds = bound_[link.carrier];
  bool const was_up = is_up(link.carrier);
  if (state == link_state::bound && !link.bind.ends_with("-rx")) binds.insert(link.bind);
  else binds.erase(link.bind);
  (void)detail;  // the link itself logs every change (smsc_link::set_state): not twice
  bool const up = is_up(link.carrier);
  auto const now = std::chrono::steady_clock::now();
  if (binds.empty()) unbound_since_.try_emplace(link.carrier, now);  // for /healthz
  else unbound_since_.erase(link.carrier);
  if (was_up && !up && !stopping_) {
    down_since_[link.carrier] = now;
    auto const* rc = config_->find_carrier(link.carrier);
    auto delay = rc ? rc->failover_after : std::chrono::milliseconds(5000);
    asio::co_spawn(executor_, fail_over_after(link.carrier, now, delay), asio::detached);
  } else if (!was_up && up) {
    came_up(link.carrier, now);
  }
}

void dispatcher::came_up(std::string_view carrier, std::chrono::steady_clock::time_point now) {
  if (auto it = down_since_.find(carrier); it != down_since_.end()) down_since_.erase(it);
  // Carriers down for longer than their failover_after (or suspended) whose OTPs found no
  // alternate up then: this one may be it.
  for (auto const& [name, since] : down_since_) {
    auto const* rc = config_->find_carrier(name);
    if (suspended(name)) fail_over_buffered(name, true);
    else if (rc && now - since >= rc->failover_after) fail_over_buffered(name);
  }
}

asio::awaitable<void> dispatcher::fail_over_after(std::string carrier,
                                                  std::chrono::steady_clock::time_point since,
                                                  std::chrono::milliseconds delay) {
  asio::steady_timer timer(executor_);
  timer.expires_after(delay);
  co_await (timer.async_wait(asio::as_tuple(asio::use_awaitable)) || stop_signal_.wait());
  if (stopping_) co_return;
  auto it = down_since_.find(carrier);
  if (it == down_since_.end() || it->second != since) co_return;  // up again, or a newer drop
  fail_over_buffered(carrier);
}

void dispatcher::fail_over_buffered(std::string_view carrier, bool suspended) {
  auto home = sources_.find(carrier);
  auto const* rc = config_->find_carrier(carrier);
  if (home == sources_.end() || rc == nullptr) return;
  auto otps = home->second->drain_priority(static_cast<int>(queue::priority::otp));
  if (otps.empty()) return;
  // The first alternate that is up, did not class the message as filtered and is not the
  // route a retry just moved it away from.
  auto target_for = [&](outbound_message const& out) -> dispatcher_source* {
    auto h = handed_out_.find(out.ref);
    for (auto const& alt : rc->alternates) {
      auto it = sources_.find(alt);
      if (it == sources_.end() || !is_up(alt)) continue;
      if (h != handed_out_.end() && (route_listed(h->second.filtered_routes, alt) ||
                                     retry_left_route(h->second, alt)))
        continue;
      return it->second.get();
    }
    return nullptr;
  };
  std::map<std::string, std::size_t, std::less<>> moved;  // alternate -> OTPs
  std::size_t stayed = 0;
  for (auto& m : otps) {
    if (auto* target = target_for(m)) {
      ++moved[target->carrier()];
      auto h = handed_out_.find(m.ref);
      auto const* alt = config_->find_carrier(target->carrier());
      if (h != handed_out_.end() && h->second.sender.empty() && alt) set_sender(m.submit, alt->sender);
      target->push(std::move(m));
    } else {
      ++stayed;
      home->second->push(std::move(m));
    }
  }
  auto const why = suspended ? std::string("suspended by an operator")
                              : fmt::format("no bound link for {} ms", rc->failover_after.count());
  for (auto const& [alt, n] : moved) {
    stats_.failed_over += n;
    spdlog::info("carrier {}: {}: {} OTP(s) from its buffer go via {}", carrier, why, n, alt);
  }
  if (!moved.empty()) ++stats_.failovers;
  if (stayed > 0) {
    spdlog::warn("carrier {}: {} and no alternate up for {} OTP(s): they wait in its buffer",
                 carrier, why, stayed);
  }
}

void dispatcher::note_queue_error(std::string_view message) {
  ++stats_.queue_errors;
  auto const now = std::chrono::steady_clock::now();
  if (!last_queue_error_at_ || now - *last_queue_error_at_ >= queue_problem_window) {
    queue_errors_in_window_ = 0;
    first_queue_error_at_ = now;
  }
  ++queue_errors_in_window_;
  last_queue_error_at_ = now;
  last_queue_error_ = std::string(message);
}

std::optional<std::string> dispatcher::queue_problem(std::chrono::steady_clock::time_point now) const {
  if (!last_queue_error_at_ || now - *last_queue_error_at_ >= queue_problem_window) return std::nullopt;
  auto secs = [&](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(now - t).count();
  };
  return fmt::format("the queue refuses the dispatcher's work (claims, sending marks, results, "
                     "receipts): {} failure(s) in the last {} s, the latest {} s ago: {}",
                     queue_errors_in_window_, secs(first_queue_error_at_), secs(*last_queue_error_at_),
                     last_queue_error_);
}

}  // namespace smsgw
