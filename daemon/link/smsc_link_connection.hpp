// daemon/link/smsc_link_connection.hpp: private to smsc_link*.cpp: link_connection, the state of
// ONE connection of a link, owned by smsc_link::run_connection's coroutine frame: the stream, the framer, the outbox
// (bytes encoded and not yet written + a signal that wakes the writer) and the timer.
// The writer and the feeder sleep on wake_signal, not on a buffered channel: Boost 1.81's
// channel loses its buffer room once a waiting receiver is cancelled (see wake_signal.hpp),
// and the feeder's wait is cancelled every time a connection ends.
// Design decision: the outbox holds encoded bytes, not PDUs: every PDU produced while the
// writer is busy (or within one event-loop turn) goes out in ONE write, so a window of N
// responses never waits on delayed ACKs, and TLS gets one record per batch.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "daemon/link/link_stream.hpp"
#include "daemon/link/smpp_events.hpp"
#include "daemon/link/wake_signal.hpp"
#include "smpp/framer.hpp"

namespace smsgw {

struct link_connection {
  link_connection(asio::any_io_executor ex, link_stream s)
      : stream(std::move(s)), writer_wake(ex), room(ex), timer(ex) {}

  /// Wakes the writer if it sleeps (or makes its next wait return at once).
  void wake_writer() { writer_wake.notify(); }
  /// Wakes the feeder: the window may have room again.
  void signal_room() { room.notify(); }

  /// Ends the connection once: records why, closes the stream (the reader's and writer's
  /// pending operations complete) and wakes the writer, which sees `finished` and returns.
  void finish(std::string why) {
    if (finished) return;
    finished = true;
    end_reason = std::move(why);
    stream.close();
    writer_wake.notify();
  }

  link_stream stream;
  smpp::framer framer;
  std::vector<std::uint8_t> pending;  // encoded PDUs not yet handed to a write
  std::vector<std::uint8_t> writing;  // the buffer of the write in progress
  wake_signal writer_wake;
  wake_signal room;
  asio::steady_timer timer;
  std::shared_ptr<deliver_ack::sink> ack_sink;  // expires with the connection: late acks dropped
  bool close_requested = false;  // the session asked to close once the outbox is flushed
  bool finished = false;
  bool bound = false;
  bool credential_error = false;
  std::string end_reason;
};

}  // namespace smsgw
