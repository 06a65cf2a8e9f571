// tools/smsc-sim/sim_session.hpp: one ESME connection to the simulator (internal).
// The coroutine run() owns the socket; reader and writer are siblings (`||`), the writer
// drains an outbox filled by encode() and woken by a wake_signal, so all PDUs queued in one
// event-loop turn leave in one write. sim_core keeps a shared_ptr while the session runs so
// receipts can be routed to it.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "smpp/pdu.hpp"
#include "tools/smsc-sim/sim_core.hpp"

namespace smsgw::sim::detail {

class sim_session : public std::enable_shared_from_this<sim_session> {
 public:
  sim_session(boost::asio::ip::tcp::socket socket, std::shared_ptr<sim_core> core,
              std::uint64_t connection_id);

  /// Serves the connection until it closes; never throws for peer behaviour.
  boost::asio::awaitable<void> run();

  /// Sends a deliver_sm for `job` and remembers it until its deliver_sm_resp.
  void deliver(receipt_job job);
  /// Removes and returns the receipt sent with this sequence_number, if still unanswered.
  std::optional<receipt_job> take_outstanding(std::uint32_t sequence_number);

  bool receives() const noexcept;  ///< bound as receiver or transceiver, not closing
  bool bound() const noexcept;
  std::string const& system_id() const noexcept { return system_id_; }
  std::uint64_t connection_id() const noexcept { return connection_id_; }

  void close();          ///< drops the TCP connection now, unsent PDUs lost
  void unbind();         ///< SMSC-initiated unbind; closes on unbind_resp
  void enquire_link();   ///< SMSC-initiated enquire_link

 private:
  enum class state { open, bound_tx, bound_rx, bound_trx, closing };

  boost::asio::awaitable<void> read_pdus();
  boost::asio::awaitable<void> write_pdus();
  boost::asio::awaitable<void> keepalive();
  boost::asio::awaitable<void> final_flush();

  void on_frame(std::span<std::uint8_t const> frame);
  void on_pdu(smpp::pdu& p);
  void on_bind(smpp::pdu& p);
  void on_submit(smpp::pdu& p);
  void on_deliver_sm_resp(smpp::pdu const& p);
  void on_unbind(smpp::pdu const& p);
  void maybe_send_malformed(faults const& f);
  void leave_bound_state();

  void send(smpp::pdu const& p);            ///< encodes into the outbox (a response: seq given)
  std::uint32_t send_request(smpp::pdu p);  ///< assigns our next sequence_number
  void send_raw(std::span<std::uint8_t const> bytes);
  void reply(smpp::pdu const& request, smpp::pdu_body body,
             smpp::command_status status = smpp::command_status::ok);
  std::string log_prefix() const;

  boost::asio::ip::tcp::socket socket_;
  std::shared_ptr<sim_core> core_;
  std::uint64_t connection_id_;
  std::string peer_;
  std::string system_id_;
  state state_ = state::open;
  bool counted_bind_ = false;
  bool close_after_flush_ = false;
  bool aborted_ = false;
  bool malformed_sent_ = false;
  std::uint32_t submits_ = 0;
  std::uint32_t next_sequence_ = 1;
  std::vector<std::uint8_t> outbox_;
  wake_signal wake_;
  std::unordered_map<std::uint32_t, receipt_job> outstanding_;
};

}  // namespace smsgw::sim::detail
