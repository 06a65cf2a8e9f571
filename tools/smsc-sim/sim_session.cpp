// tools/smsc-sim/sim_session.cpp: one ESME connection: framing, bind/submit/receipt
// handling and the per-connection faults. A PDU whose command_length cannot be trusted ends
// the connection after a generic_nack (framing is lost); any other malformed PDU gets a
// generic_nack and the session carries on (docs/smpp.md §Malformed PDUs and generic_nack).
#include "tools/smsc-sim/sim_session.hpp"

#include <cstring>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "daemon/redact/redact.hpp"
#include "smpp/codec.hpp"

namespace smsgw::sim::detail {
namespace asio = boost::asio;
using namespace asio::experimental::awaitable_operators;
namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);
/// Largest PDU accepted from a client: a 64 KiB message_payload plus headers.
constexpr std::uint32_t max_pdu_size = 70000;

std::uint32_t load_be32(std::uint8_t const* p) noexcept {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
         std::uint32_t{p[3]};
}

void store_be32(std::vector<std::uint8_t>& out, std::uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(v >> shift));
}

/// Header-only bytes with whatever command_length we are told to lie about.
std::vector<std::uint8_t> raw_header(std::uint32_t length, std::uint32_t id, std::uint32_t seq) {
  std::vector<std::uint8_t> out;
  store_be32(out, length);
  store_be32(out, id);
  store_be32(out, 0);
  store_be32(out, seq);
  return out;
}

/// A deliver_sm (mobile-originated "hi") whose trailing message_state TLV says 5 octets but
/// the PDU ends after 1.
std::vector<std::uint8_t> truncated_tlv_pdu(std::uint32_t seq) {
  smpp::pdu p;
  p.sequence_number = seq;
  smpp::deliver_sm dsm;
  dsm.source_addr = "6281200000000";
  dsm.destination_addr = "SIM";
  dsm.short_message = {'h', 'i'};
  p.body = dsm;
  std::vector<std::uint8_t> out;
  if (smpp::encode(p, out)) return raw_header(16, 0x05, seq);
  std::uint8_t const tlv_head[] = {0x04, 0x27, 0x00, 0x05, 0x02};  // tag, length 5, one octet
  out.insert(out.end(), std::begin(tlv_head), std::end(tlv_head));
  auto len = static_cast<std::uint32_t>(out.size());
  for (int i = 0; i < 4; ++i) out[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(len >> (24 - 8 * i));
  return out;
}

/// Message text as it may be logged: 8-bit codings shown (digit runs masked), others summarised.
std::string loggable_text(smpp::submit_sm const& sm) {
  std::size_t start = 0;
  if ((sm.esm_class & 0x40) != 0 && !sm.short_message.empty())
    start = std::min(sm.short_message.size(), std::size_t{sm.short_message[0]} + 1);
  auto n = sm.short_message.size() - start;
  if (sm.data_coding != 0 && sm.data_coding != 1 && sm.data_coding != 3)
    return fmt::format("<data_coding {} {} octets>", sm.data_coding, n);
  std::string text;
  for (std::size_t i = start; i < sm.short_message.size(); ++i) {
    auto c = sm.short_message[i];
    text.push_back(c >= 0x20 && c < 0x7F ? static_cast<char>(c) : '.');
  }
  return "'" + redact_text(text) + "'";
}

template <class Resp>
smpp::pdu_body bind_resp_body(std::string system_id) {
  Resp r;
  r.system_id = std::move(system_id);
  return r;
}

}  // namespace

sim_session::sim_session(asio::ip::tcp::socket socket, std::shared_ptr<sim_core> core,
                         std::uint64_t connection_id)
    : socket_(std::move(socket)), core_(std::move(core)), connection_id_(connection_id),
      wake_(socket_.get_executor()) {
  boost::system::error_code ec;
  auto ep = socket_.remote_endpoint(ec);
  peer_ = ec ? std::string("?") : fmt::format("{}:{}", ep.address().to_string(), ep.port());
}

std::string sim_session::log_prefix() const {
  return fmt::format("[{}] #{} {}", core_->config().name, connection_id_, peer_);
}

asio::awaitable<void> sim_session::run() {
  auto self = shared_from_this();
  if (core_->config().enquire_link_interval.count() > 0)
    co_await (read_pdus() || write_pdus() || keepalive());
  else
    co_await (read_pdus() || write_pdus());
  state_ = state::closing;
  leave_bound_state();
  boost::system::error_code ignored;
  socket_.close(ignored);
  // Receipts sent on this connection and not acknowledged go to another bind later.
  auto pending = std::move(outstanding_);
  outstanding_.clear();
  for (auto& [seq, job] : pending) core_->redeliver(std::move(job), "connection closed");
  core_->with_observed([](observed& o) { ++o.counters.connections_closed; });
  spdlog::info("{} connection closed ({} submit_sm on it)", log_prefix(), submits_);
  core_->forget(self);
}

asio::awaitable<void> sim_session::read_pdus() {
  std::vector<std::uint8_t> buf(64 * 1024);
  std::size_t used = 0;
  for (;;) {
    auto [ec, n] = co_await socket_.async_read_some(
        asio::buffer(buf.data() + used, buf.size() - used), tuple_awaitable);
    if (ec || aborted_) {
      if (ec && ec != asio::error::eof && ec != asio::error::operation_aborted)
        spdlog::info("{} read: {}", log_prefix(), ec.message());
      co_return;
    }
    used += n;
    std::size_t off = 0;
    while (used - off >= 4 && !close_after_flush_) {
      auto len = load_be32(buf.data() + off);
      if (len < smpp::header_size || len > max_pdu_size) {
        spdlog::warn("{} command_length {} out of range [16, {}]: generic_nack and close",
                     log_prefix(), len, max_pdu_size);
        core_->with_observed([](observed& o) { ++o.counters.decode_errors; });
        smpp::pdu nack;
        nack.status = smpp::command_status::invcmdlen;
        nack.sequence_number = used - off >= 16 ? load_be32(buf.data() + off + 12) : 0;
        nack.body = smpp::generic_nack{};
        send(nack);
        close_after_flush_ = true;  // the writer flushes the nack, then shuts down
        break;
      }
      if (used - off < len) break;
      on_frame({buf.data() + off, len});
      if (aborted_) co_return;
      off += len;
    }
    if (close_after_flush_) off = used;  // nothing more is read once we are closing
    std::memmove(buf.data(), buf.data() + off, used - off);
    used -= off;
    if (used >= 4 && load_be32(buf.data()) > buf.size()) buf.resize(load_be32(buf.data()));
    if (used == buf.size()) buf.resize(buf.size() * 2);
  }
}

asio::awaitable<void> sim_session::write_pdus() {
  std::vector<std::uint8_t> buf;
  for (;;) {
    if (outbox_.empty()) {
      if (close_after_flush_) {
        boost::system::error_code ignored;
        socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ignored);
        co_return;
      }
      if (!co_await wake_.wait()) co_return;
      continue;
    }
    buf.clear();
    buf.swap(outbox_);
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(buf), tuple_awaitable);
    if (ec) {
      if (ec != asio::error::operation_aborted)
        spdlog::info("{} write: {}", log_prefix(), ec.message());
      co_return;
    }
  }
}

asio::awaitable<void> sim_session::keepalive() {
  asio::steady_timer timer(socket_.get_executor());
  for (;;) {
    timer.expires_after(core_->config().enquire_link_interval);
    auto [ec] = co_await timer.async_wait(tuple_awaitable);
    if (ec) co_return;
    if (bound() && !core_->with_observed([](observed& o) { return o.current.stall; })) enquire_link();
  }
}

void sim_session::send(smpp::pdu const& p) {
  if (auto err = smpp::encode(p, outbox_)) {
    spdlog::error("{} encode {}: {}", log_prefix(), smpp::command_name(p.id()), err->message());
    return;
  }
  wake_.notify();
}

std::uint32_t sim_session::send_request(smpp::pdu p) {
  p.sequence_number = next_sequence_;
  next_sequence_ = next_sequence_ >= 0x7FFFFFFFu ? 1 : next_sequence_ + 1;
  send(p);
  return p.sequence_number;
}

void sim_session::send_raw(std::span<std::uint8_t const> bytes) {
  outbox_.insert(outbox_.end(), bytes.begin(), bytes.end());
  wake_.notify();
}

void sim_session::reply(smpp::pdu const& request, smpp::pdu_body body, smpp::command_status status) {
  smpp::pdu resp;
  resp.status = status;
  resp.sequence_number = request.sequence_number;
  resp.body = std::move(body);
  send(resp);
}

void sim_session::on_frame(std::span<std::uint8_t const> frame) {
  auto decoded = smpp::decode(frame);
  if (!decoded) {
    core_->with_observed([](observed& o) { ++o.counters.decode_errors; });
    spdlog::warn("{} malformed PDU: {}", log_prefix(), decoded.error().message());
    if (!core_->with_observed([](observed& o) { return o.current.stall; }))
      send(smpp::make_generic_nack(decoded.error()));
    return;
  }
  on_pdu(*decoded);
}

void sim_session::on_pdu(smpp::pdu& p) {
  using smpp::command_id;
  auto id = p.id();
  if (!smpp::is_response(id) && core_->with_observed([](observed& o) {
        if (o.current.stall) ++o.counters.stalled_pdus;
        return o.current.stall;
      }))
    return;  // stalled: read, never answer
  switch (id) {
    case command_id::bind_transmitter:
    case command_id::bind_receiver:
    case command_id::bind_transceiver: on_bind(p); return;
    case command_id::submit_sm: on_submit(p); return;
    case command_id::deliver_sm_resp: on_deliver_sm_resp(p); return;
    case command_id::unbind: on_unbind(p); return;
    case command_id::unbind_resp:
      close_after_flush_ = true;
      wake_.notify();
      return;
    case command_id::enquire_link:
      core_->with_observed([](observed& o) { ++o.counters.enquire_links_received; });
      reply(p, smpp::enquire_link_resp{});
      return;
    case command_id::enquire_link_resp:
      core_->with_observed([](observed& o) { ++o.counters.enquire_link_resps_received; });
      return;
    case command_id::generic_nack: {
      bool ours = outstanding_.erase(p.sequence_number) > 0;
      core_->with_observed([&](observed& o) {
        ++o.counters.generic_nacks_received;
        if (ours) ++o.counters.receipts_rejected;
      });
      spdlog::info("{} generic_nack {} for sequence_number {}", log_prefix(),
                   smpp::command_status_name(p.status), p.sequence_number);
      return;
    }
    default: break;
  }
  if (smpp::is_response(id)) {
    core_->with_observed([](observed& o) { ++o.counters.stray_resps; });
    return;
  }
  spdlog::info("{} {} not supported: generic_nack ESME_RINVCMDID", log_prefix(), smpp::command_name(id));
  smpp::pdu nack;
  nack.status = smpp::command_status::invcmdid;
  nack.sequence_number = p.sequence_number;
  nack.body = smpp::generic_nack{};
  send(nack);
}

void sim_session::on_bind(smpp::pdu& p) {
  using smpp::command_status;
  std::string system_id, password;
  std::visit([&](auto const& b) {
    if constexpr (requires { b.password; b.address_range; }) {
      system_id = b.system_id;
      password = b.password;
    }
  }, p.body);
  auto id = p.id();
  auto const& cfg = core_->config();
  auto f = core_->with_observed([](observed& o) { return o.current; });
  auto status = command_status::ok;
  if (state_ != state::open) {
    status = command_status::alybnd;
  } else if (f.refuse_binds) {
    status = *f.refuse_binds;
  } else if (core_->with_observed([](observed& o) { return std::chrono::steady_clock::now() < o.binds_down_until; })) {
    status = command_status::bindfail;  // drop_binds(): the front end is down
  } else {
    auto acc = std::find_if(cfg.accounts.begin(), cfg.accounts.end(),
                            [&](account const& a) { return a.system_id == system_id; });
    if (acc == cfg.accounts.end()) status = command_status::invsysid;
    else if (acc->password != password) status = command_status::invpaswd;
  }
  if (status == command_status::ok) {
    // Admit the bind and count it under the lock, so concurrent binds see each other.
    status = core_->with_observed([&](observed& o) {
      auto& count = o.binds[system_id];
      if (cfg.max_binds_per_account != 0 && count.active >= cfg.max_binds_per_account)
        return command_status::alybnd;
      ++count.active;
      count.max = std::max(count.max, count.active);
      ++o.counters.binds_ok;
      ++o.counters.binds_active;
      return command_status::ok;
    });
  }
  smpp::pdu_body body;
  std::string resp_system_id = status == command_status::ok ? cfg.smsc_system_id : std::string();
  if (id == smpp::command_id::bind_transmitter)
    body = bind_resp_body<smpp::bind_transmitter_resp>(resp_system_id);
  else if (id == smpp::command_id::bind_receiver)
    body = bind_resp_body<smpp::bind_receiver_resp>(resp_system_id);
  else
    body = bind_resp_body<smpp::bind_transceiver_resp>(resp_system_id);
  if (status != command_status::ok) {
    core_->with_observed([](observed& o) { ++o.counters.binds_refused; });
    spdlog::info("{} {} system_id={}: refused {}", log_prefix(), smpp::command_name(id), system_id,
                 smpp::command_status_name(status));
    reply(p, std::move(body), status);
    return;
  }
  counted_bind_ = true;
  system_id_ = system_id;
  state_ = id == smpp::command_id::bind_transmitter ? state::bound_tx
           : id == smpp::command_id::bind_receiver  ? state::bound_rx
                                                    : state::bound_trx;
  smpp::pdu resp;
  resp.sequence_number = p.sequence_number;
  resp.body = std::move(body);
  resp.tlvs.push_back(smpp::tlv{smpp::tag::sc_interface_version, {0x34}});
  send(resp);
  spdlog::info("{} {} system_id={} password={}: ok ({} binds of {})", log_prefix(),
               smpp::command_name(id), system_id, redact_password(password),
               core_->with_observed([&](observed& o) { return o.binds[system_id].active; }),
               system_id);
  if (receives()) core_->flush_parked(system_id_);
  maybe_send_malformed(f);
}

void sim_session::on_submit(smpp::pdu& p) {
  using smpp::command_status;
  auto& sm = std::get<smpp::submit_sm>(p.body);
  auto const& cfg = core_->config();
  ++submits_;
  core_->note_submit(sm.destination_addr);
  received_submit rec{connection_id_, system_id_, sm, p.tlvs, command_status::ok, {}, true};
  auto f = core_->with_observed([&](observed& o) {
    ++o.counters.submits_received;
    return o.current;
  });
  auto record = [&] {
    core_->with_observed([&](observed& o) {
      if (rec.answered && rec.status == command_status::ok) ++o.counters.submits_ok;
      else if (rec.answered && rec.status == command_status::throttled) ++o.counters.submits_throttled;
      else if (rec.answered) ++o.counters.submits_rejected;
      if (o.submits.size() < cfg.max_recorded_submits) o.submits.push_back(std::move(rec));
    });
  };

  if (f.close_after_submits != 0 && submits_ >= f.close_after_submits &&
      core_->with_observed([&](observed& o) {
        if (f.close_max_times != 0 && o.fault_closes_left == 0) return false;
        if (o.fault_closes_left > 0) --o.fault_closes_left;
        ++o.counters.fault_closes;
        return true;
      })) {
    rec.answered = false;
    record();
    spdlog::warn("{} fault: closing the connection at submit_sm #{} (unanswered)", log_prefix(), submits_);
    close();
    return;
  }
  if (state_ != state::bound_tx && state_ != state::bound_trx) rec.status = command_status::invbndsts;
  else if (core_->draw_throttle(f)) rec.status = command_status::throttled;
  else if (sm.destination_addr.empty()) rec.status = command_status::invdstadr;
  else if (f.refuse_submits) rec.status = *f.refuse_submits;
  if (rec.status != command_status::ok) {
    spdlog::info("{} submit_sm {} -> {}: {}", log_prefix(), sm.destination_addr,
                 smpp::command_status_name(rec.status), loggable_text(sm));
    reply(p, smpp::submit_sm_resp{}, rec.status);
    record();
    maybe_send_malformed(f);
    return;
  }

  auto number = core_->next_message_number();
  rec.message_id = format_message_id(number, cfg.resp_id_format);
  auto result = core_->draw_outcome();
  auto rd = sm.registered_delivery & 0x03;
  bool wants_receipt = result != outcome::none &&
                       (rd == 1 || (rd == 2 && result != outcome::delivrd));
  receipt_job job{system_id_, number, result, sm.source_addr_ton, sm.source_addr_npi,
                  sm.source_addr, sm.dest_addr_ton, sm.dest_addr_npi, sm.destination_addr,
                  text_excerpt(sm), std::chrono::system_clock::now(), 0};
  spdlog::info("{} submit_sm {} {} -> {} dc={} esm_class=0x{:02x} {}: id {} ({}{})", log_prefix(),
               system_id_, sm.source_addr, sm.destination_addr, sm.data_coding, sm.esm_class,
               loggable_text(sm), rec.message_id, outcome_name(result),
               wants_receipt ? "" : ", no receipt");
  if (wants_receipt) core_->with_observed([](observed& o) { ++o.counters.receipts_scheduled; });
  smpp::submit_sm_resp resp;
  resp.message_id = rec.message_id;
  if (wants_receipt && f.receipt_before_resp) {
    core_->route_receipt(std::move(job));  // the receipt overtakes the response
    reply(p, std::move(resp));
  } else {
    reply(p, std::move(resp));
    if (wants_receipt) core_->schedule_receipt(std::move(job), cfg.receipt_delay);
  }
  record();
  maybe_send_malformed(f);
}

void sim_session::on_deliver_sm_resp(smpp::pdu const& p) {
  auto job = take_outstanding(p.sequence_number);
  if (!job) {
    core_->with_observed([](observed& o) { ++o.counters.stray_resps; });
    return;
  }
  auto id = format_message_id(job->message_number, core_->config().receipt_id_format);
  if (p.status == smpp::command_status::ok) {
    core_->with_observed([](observed& o) { ++o.counters.receipts_acked; });
    spdlog::debug("{} receipt {} acknowledged", log_prefix(), id);
  } else if (p.status == smpp::command_status::x_t_appn) {
    core_->with_observed([](observed& o) { ++o.counters.receipts_retry_requested; });
    core_->redeliver(std::move(*job), "ESME_RX_T_APPN");
  } else {
    core_->with_observed([](observed& o) { ++o.counters.receipts_rejected; });
    spdlog::info("{} receipt {} refused with {}: not redelivered", log_prefix(), id,
                 smpp::command_status_name(p.status));
  }
}

void sim_session::on_unbind(smpp::pdu const& p) {
  core_->with_observed([](observed& o) { ++o.counters.unbinds_received; });
  spdlog::info("{} unbind from {}", log_prefix(), system_id_.empty() ? "unbound client" : system_id_);
  state_ = state::closing;
  leave_bound_state();
  reply(p, smpp::unbind_resp{});
  close_after_flush_ = true;
}

void sim_session::maybe_send_malformed(faults const& f) {
  if (f.malformed == malformed_kind::none || malformed_sent_ || submits_ < f.malformed_after_submits)
    return;
  malformed_sent_ = true;
  auto seq = next_sequence_;
  next_sequence_ = next_sequence_ >= 0x7FFFFFFFu ? 1 : next_sequence_ + 1;
  std::vector<std::uint8_t> bytes;
  switch (f.malformed) {
    case malformed_kind::bad_length: bytes = raw_header(10, 0x05, seq); break;
    case malformed_kind::unknown_command_id: bytes = raw_header(16, 0xFF, seq); break;
    case malformed_kind::truncated_tlv: bytes = truncated_tlv_pdu(seq); break;
    case malformed_kind::giant_length: bytes = raw_header(0x7FFFFFF0u, 0x05, seq); break;
    case malformed_kind::none: return;
  }
  core_->with_observed([](observed& o) { ++o.counters.malformed_sent; });
  spdlog::warn("{} fault: sending a malformed PDU ({} octets, sequence_number {})", log_prefix(),
               bytes.size(), seq);
  send_raw(bytes);
}

void sim_session::deliver(receipt_job job) {
  auto const& cfg = core_->config();
  auto p = make_receipt_pdu(job, cfg, std::chrono::system_clock::now());
  ++job.attempts;
  // Debug, not info: a line per receipt cost a write(2) per message under a flood (the
  // submit_sm line, which scripts count, stays at info).
  if (spdlog::should_log(spdlog::level::debug)) {
    spdlog::debug("{} deliver_sm receipt id {} stat:{} -> {} (attempt {})", log_prefix(),
                  format_message_id(job.message_number, cfg.receipt_id_format),
                  outcome_name(job.result), system_id_, job.attempts);
  }
  auto seq = send_request(std::move(p));
  outstanding_.insert_or_assign(seq, std::move(job));
  core_->with_observed([](observed& o) { ++o.counters.receipts_sent; });
  core_->watch_ack(shared_from_this(), seq);
}

std::optional<receipt_job> sim_session::take_outstanding(std::uint32_t sequence_number) {
  auto it = outstanding_.find(sequence_number);
  if (it == outstanding_.end()) return std::nullopt;
  auto job = std::move(it->second);
  outstanding_.erase(it);
  return job;
}

bool sim_session::receives() const noexcept {
  return (state_ == state::bound_rx || state_ == state::bound_trx) && !close_after_flush_ && !aborted_;
}

bool sim_session::bound() const noexcept {
  return state_ == state::bound_tx || state_ == state::bound_rx || state_ == state::bound_trx;
}

void sim_session::close() {
  aborted_ = true;
  boost::system::error_code ignored;
  socket_.close(ignored);
  wake_.close();
}

void sim_session::unbind() {
  if (!bound()) return;
  spdlog::info("{} unbind sent to {}", log_prefix(), system_id_);
  core_->with_observed([](observed& o) { ++o.counters.unbinds_sent; });
  state_ = state::closing;  // no more receipts here; close on unbind_resp
  leave_bound_state();
  smpp::pdu p;
  p.body = smpp::unbind{};
  send_request(std::move(p));
}

void sim_session::enquire_link() {
  core_->with_observed([](observed& o) { ++o.counters.enquire_links_sent; });
  smpp::pdu p;
  p.body = smpp::enquire_link{};
  send_request(std::move(p));
}

void sim_session::leave_bound_state() {
  if (!counted_bind_) return;
  counted_bind_ = false;
  core_->with_observed([&](observed& o) {
    auto& count = o.binds[system_id_];
    if (count.active > 0) --count.active;
    if (o.counters.binds_active > 0) --o.counters.binds_active;
  });
}

}  // namespace smsgw::sim::detail
