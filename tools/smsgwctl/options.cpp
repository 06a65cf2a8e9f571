// tools/smsgwctl/options.cpp: the command line parser (no getopt: "--key value" and
// "--key=value", global options anywhere).
#include "tools/smsgwctl/options.hpp"

#include <cctype>
#include <charconv>
#include <set>

namespace smsgw::ctl {

std::string usage_text() {
  return R"(usage: smsgwctl [--socket PATH | --config FILE] [--json] [--operator NAME] VERB [ARGS]

verbs:
  status                      liveness, queue and links (GET /healthz)
  carriers                    each carrier's state (GET /v1/carriers)
  suspend NAME | resume NAME  take a carrier out of / back into service
  send --to NUMBER (--otp CODE [--purpose P] | --text TEXT) [--priority P] [--ttl SECONDS]
       [--idempotency-key K] [--sender S]
                              an OTP (POST /v1/otp) or a message (POST /v1/messages)
  show ID                     a message's state and history (GET /v1/messages/ID)
  cancel ID                   cancel a message not yet sent (DELETE /v1/messages/ID)
  events [--state S,..] [--carrier C,..] [--after ID] [--count N]
                              follow outcomes as they happen (GET /v1/events)
  reload                      re-read the configuration (POST /v1/reload)

exit codes: 0 ok, 1 refused by the server (4xx), 2 usage, 3 cannot connect, 4 server error
)";
}

std::variant<options, usage_error> parse_options(std::vector<std::string> const& argv) {
  options o;
  static std::set<std::string> const valued{"--socket", "--config", "--operator", "--to", "--otp",
                                            "--purpose", "--text", "--priority", "--ttl",
                                            "--idempotency-key", "--sender", "--state",
                                            "--carrier", "--after", "--count"};
  auto number = [](std::string const& flag, std::string const& v, long long lo) -> std::variant<long long, usage_error> {
    long long n = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc{} || p != v.data() + v.size() || n < lo)
      return usage_error{flag + ": expected a whole number >= " + std::to_string(lo) + ", got \"" + v + "\""};
    return n;
  };
  for (std::size_t i = 0; i < argv.size(); ++i) {
    std::string a = argv[i], value;
    if (a == "-h" || a == "--help") return usage_error{""};
    if (a == "--json") { o.json = true; continue; }
    if (a.starts_with("--")) {
      auto eq = a.find('=');
      if (eq != std::string::npos) {
        value = a.substr(eq + 1);
        a = a.substr(0, eq);
      }
      if (!valued.count(a)) return usage_error{"unknown option " + a};
      if (eq == std::string::npos) {
        if (i + 1 >= argv.size()) return usage_error{a + " needs a value"};
        value = argv[++i];
      }
      if (a == "--socket") o.socket_path = value;
      else if (a == "--config") o.config_path = value;
      else if (a == "--operator") o.operator_name = value;
      else if (a == "--to") o.to = value;
      else if (a == "--otp") o.otp_code = value;
      else if (a == "--purpose") o.purpose = value;
      else if (a == "--text") o.text = value;
      else if (a == "--priority") o.priority = value;
      else if (a == "--idempotency-key") o.idempotency_key = value;
      else if (a == "--sender") o.sender = value;
      else if (a == "--state") o.states = value;
      else if (a == "--carrier") o.carriers = value;
      else {
        auto n = number(a, value, a == "--after" ? 0 : 1);
        if (auto* e = std::get_if<usage_error>(&n)) return *e;
        auto v = std::get<long long>(n);
        if (a == "--ttl") o.ttl_seconds = static_cast<long>(v);
        else if (a == "--after") o.after = v;
        else o.count = v;
      }
      continue;
    }
    if (o.verb.empty()) o.verb = a;
    else o.args.push_back(a);
  }
  if (o.verb.empty()) return usage_error{"no verb given"};
  static std::set<std::string> const verbs{"status", "carriers", "suspend", "resume", "send",
                                           "show", "cancel", "events", "reload"};
  if (!verbs.count(o.verb)) return usage_error{"unknown verb \"" + o.verb + "\""};
  std::size_t const want = o.verb == "suspend" || o.verb == "resume" || o.verb == "show" || o.verb == "cancel" ? 1 : 0;
  if (o.args.size() != want)
    return usage_error{o.verb + (want ? " takes one argument" : " takes no argument")};
  if (o.verb == "show" || o.verb == "cancel") {
    auto n = number(o.verb + " ID", o.args[0], 1);
    if (auto* e = std::get_if<usage_error>(&n)) return *e;
  }
  if (o.verb == "suspend" || o.verb == "resume") {
    for (char c : o.args[0])
      if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
        return usage_error{o.verb + ": \"" + o.args[0] + "\" is not a carrier name"};
  }
  if (o.verb == "send") {
    if (o.to.empty()) return usage_error{"send: --to NUMBER is required"};
    if (o.otp_code.empty() == o.text.empty()) return usage_error{"send: give --otp CODE or --text TEXT"};
  }
  return o;
}

}  // namespace smsgw::ctl
