// tools/smsgwctl/main.cpp: smsgwctl, the operator's command line for a running smsgw, over the
// daemon's Unix socket (man/smsgwctl.1). Resolves the socket (--socket, else [api]
// socket_path of --config, else the packaged default), then runs the verb.
#include <unistd.h>
#include <pwd.h>

#include <iostream>

#include "daemon/config/config.hpp"
#include "tools/smsgwctl/options.hpp"
#include "tools/smsgwctl/verbs.hpp"

int main(int argc, char** argv) {
  using namespace smsgw::ctl;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_options(args);
  if (auto const* e = std::get_if<usage_error>(&parsed)) {
    if (e->message.empty()) {
      std::cout << usage_text();
      return exit_ok;
    }
    std::cerr << "smsgwctl: " << e->message << " (smsgwctl --help: usage)\n";
    return exit_usage;
  }
  auto o = std::get<options>(parsed);
  if (o.socket_path.empty() && o.config_path) {
    auto cfg = smsgw::load_config_file(*o.config_path);
    if (!cfg) {
      std::cerr << "smsgwctl: " << cfg.error().message() << "\n";
      return exit_usage;
    }
    o.socket_path = cfg->api.socket_path;
  }
  if (o.socket_path.empty()) o.socket_path = smsgw::api_settings{}.socket_path;
  if (o.operator_name.empty()) {
    // X-Operator allows letters, digits, . _ @ -: a login name qualifies.
    if (auto const* pw = ::getpwuid(::getuid()); pw && pw->pw_name) o.operator_name = pw->pw_name;
  }
  return run_verb(o, std::cout, std::cerr);
}
