// daemon/config_reload.hpp: live reload (SIGHUP, POST /v1/reload). Owns the configuration in
// force as an immutable snapshot (std::shared_ptr<daemon_config const>): a reload reads the
// file, checks it exactly as --check-config does, and swaps in a new snapshot, telling each
// part that holds settings (the queue's limits and retry policy, the dispatcher, the API, the
// carriers' token buckets). Nothing keeps a reference into an old snapshot: each part holds
// the shared_ptr of the one it runs with.
// Carriers (daemon/config/config_diff.hpp decides): unchanged links stay bound; changed
// connection settings = the carrier's links stop gracefully, then a new carrier object binds
// with the same message source; a new carrier starts. A carrier taken out of the file is
// *retired*: nothing routes to it any more, but its links stay bound until the queue holds
// nothing unfinished for it (queued, in flight, awaiting a receipt through it); then it is
// unbound and dropped (run_retirements). So no message is left without a carrier.
// Reloads and retirements never overlap (one gate); everything runs on the network thread.
// After stop() nothing is started, replaced or dropped (the graceful stop walks the carriers).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "daemon/api/http_api.hpp"
#include "daemon/api/queue_api_deps.hpp"
#include "daemon/config/config.hpp"
#include "daemon/dispatch/dispatcher.hpp"
#include "daemon/link/carrier.hpp"
#include "daemon/link/wake_signal.hpp"
#include "queue/group_commit.hpp"

namespace smsgw {

using carrier_list = std::vector<std::unique_ptr<carrier>>;

/// Reads the configuration again (the file given with --config, or the embedded default).
using config_loader = std::function<config_result()>;

/// The running parts a reload re-configures; all must outlive the reloader.
struct reload_targets {
  queue::group_commit& gc;
  dispatcher& disp;
  carrier_list& carriers;
  queue_api_deps& deps;
};

class config_reloader {
 public:
  /// `initial` is what the parts were built with (the dispatcher and the API from
  /// *initial); `source` names the file in log lines.
  config_reloader(boost::asio::any_io_executor ex, std::shared_ptr<daemon_config const> initial,
                  config_loader load, std::string source, reload_targets parts);

  /// The configuration in force: the file's, plus the carriers being retired.
  std::shared_ptr<daemon_config const> current() const noexcept { return running_; }

  /// Reads, checks and applies the configuration; `trigger` ("SIGHUP", "POST /v1/reload")
  /// is named in the log. Waits for a reload or retirement under way first. Refused
  /// (applied = false, running configuration unchanged): the FILE:LINE: KEY message.
  boost::asio::awaitable<reload_answer> reload(std::string trigger);

  /// Drops each retired carrier once nothing in the queue needs it (checked every second
  /// while there is one); returns after stop().
  boost::asio::awaitable<void> run_retirements();

  /// The daemon is stopping: no carrier is started, replaced or dropped from now on.
  void stop();

 private:
  /// A refusal: logged, the running configuration unchanged.
  reload_answer refuse(std::string const& trigger, std::string message) const;
  /// The file's configuration plus the carriers being retired (their alternates limited to
  /// carriers still running).
  std::shared_ptr<daemon_config const> compose(std::shared_ptr<daemon_config const> const& file,
                                               std::vector<route_config> const& retiring) const;
  carrier* find(std::string_view name) const;
  /// Stops `name`'s links gracefully, then binds a new carrier with `rc`'s settings.
  boost::asio::awaitable<void> rebind(route_config rc);
  /// Unbinds and drops `name` if nothing needs it any more.
  boost::asio::awaitable<void> retire_if_done(std::string name);

  boost::asio::any_io_executor executor_;
  config_loader load_;
  std::string source_;
  reload_targets parts_;
  std::shared_ptr<daemon_config const> file_;     // the file's, with restart-only settings kept
  std::shared_ptr<daemon_config const> running_;  // file_ + retiring_: what the carriers run
  std::vector<route_config> retiring_;
  async_gate gate_;
  wake_signal retiring_signal_;
  bool stopping_ = false;
};

}  // namespace smsgw
