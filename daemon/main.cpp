// daemon/main.cpp: smsgw's command line: parses the arguments, loads and validates the
// configuration (file or embedded default), then runs the daemon (daemon/run_daemon.hpp).
// Exit status: 0 stopped gracefully or config valid, 1 could not start, 2 bad arguments/config.
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "daemon/config/config.hpp"
#include "daemon/run_daemon.hpp"

using namespace smsgw;

namespace {

constexpr char usage[] = R"(usage: smsgw [--config FILE] [--check-config] [--print-default-config] [--help]
  --config FILE            TOML configuration (default: the embedded one: five simulators on
                           127.0.0.1:2775..2779, state under /tmp/smsgw)
  --check-config           parse and validate the configuration, then exit (0 = valid)
  --print-default-config   print the embedded default configuration
)";

struct args {
  std::string config;
  bool check = false;
};

}  // namespace

int main(int argc, char** argv) {
  args a;
  for (int i = 1; i < argc; ++i) {
    std::string_view s = argv[i];
    if (s == "--help" || s == "-h") {
      std::fputs(usage, stdout);
      return 0;
    } else if (s == "--print-default-config") {
      std::fwrite(embedded_default_config().data(), 1, embedded_default_config().size(), stdout);
      return 0;
    } else if (s == "--check-config") {
      a.check = true;
    } else if (s == "--config" && i + 1 < argc) {
      a.config = argv[++i];
    } else {
      std::fprintf(stderr, "smsgw: unknown argument %s\n%s", argv[i], usage);
      return 2;
    }
  }
  // The same reading at start and at each reload (SIGHUP, POST /v1/reload): the same checks,
  // the same FILE:LINE: KEY messages.
  auto read_config = [path = a.config]() {
    return path.empty() ? parse_config(embedded_default_config(), "<embedded default>")
                        : load_config_file(path);
  };
  auto cfg = read_config();
  if (!cfg) {
    std::fprintf(stderr, "smsgw: %s\n", cfg.error().message().c_str());
    return 2;
  }
  if (a.check) {
    std::printf("%s: configuration OK (%zu carriers)\n",
                a.config.empty() ? "<embedded default>" : a.config.c_str(), cfg->carriers.size());
    return 0;
  }
  try {
    return run_daemon(*cfg, read_config, a.config.empty() ? "<embedded default>" : a.config);
  } catch (std::exception const& e) {
    spdlog::critical("smsgw: {}", e.what());
    return 1;
  }
}
