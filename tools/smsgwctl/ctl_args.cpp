// tools/smsgwctl/ctl_args.cpp: parses smsgwctl's options and verbs; checks each verb's
// argument count so a mistake is a usage error (exit 2) before anything is sent.
#include "ctl_args.hpp"

#include <cctype>
#include <charconv>
#include <map>
#include <string_view>

namespace smsgwctl {
namespace {

template <class Int>
std::optional<Int> to_int(std::string_view s) {
  Int v{};
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc{} || p != s.data() + s.size() || v < 0) return std::nullopt;
  return v;
}

// verb -> {min, max} positional arguments
std::map<std::string_view, std::pair<int, int>> const verbs = {
    {"status", {0, 0}}, {"carriers", {0, 0}}, {"suspend", {1, 1}}, {"resume", {1, 1}},
    {"send", {1, 1}},   {"show", {1, 1}},     {"cancel", {1, 1}},  {"events", {0, 0}},
    {"reload", {0, 0}}};

}  // namespace

std::string usage_text() {
  return "usage: smsgwctl [--socket PATH] [--json] VERB [ARGS]\n"
         "verbs:\n"
         "  status                      the daemon's health (GET /healthz)\n"
         "  carriers                    each carrier's state, binds, rate and backlog\n"
         "  suspend NAME | resume NAME  take a carrier out of routing / put it back\n"
         "  send TO (--code C | --text T) [--priority otp|transactional|bulk]\n"
         "          [--purpose P] [--sender S] [--ttl SECONDS] [--idempotency-key K]\n"
         "  show ID                     a message's state and history\n"
         "  cancel ID                   cancel a message not yet sent\n"
         "  events [--from ID] [--state S1,S2] [--carrier C1,C2] [--count N] [--until-shutdown]\n"
         "                              follow the outcomes stream\n"
         "  reload                      re-read the configuration\n"
         "options: --socket PATH (or $SMSGW_SOCKET; default /run/smsgw/api.sock), --json,\n"
         "         --operator NAME (X-Operator for suspend/resume/cancel; default $USER)\n"
         "exit codes: 0 ok, 1 refused by the server (4xx), 2 usage error, 3 cannot connect,\n"
         "            4 server error (5xx) or a broken answer\n";
}

ctl_options parse_args(int argc, char const* const* argv, char const* env_socket, char const* env_user) {
  ctl_options o;
  if (env_socket && *env_socket) o.socket = env_socket;
  // The default X-Operator only when the daemon would accept it (1..64 of letters, digits,
  // . _ @ -): an odd login name must not make every suspend a 400.
  if (env_user) {
    std::string_view u = env_user;
    bool ok = !u.empty() && u.size() <= 64;
    for (char c : u) ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '@' || c == '-');
    if (ok) o.operator_name = u;
  }
  auto fail = [&](std::string msg) { o.error = std::move(msg); return o; };
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto value = [&](std::string& out) -> bool {
      if (i + 1 >= argc) { o.error = std::string(a) + " needs a value"; return false; }
      out = argv[++i];
      return true;
    };
    std::string v;
    if (a == "--help" || a == "-h") { o.help = true; return o; }
    else if (a == "--json") o.json = true;
    else if (a == "--until-shutdown") o.until_shutdown = true;
    else if (a == "--socket") { if (!value(o.socket)) return o; }
    else if (a == "--operator") { if (!value(o.operator_name)) return o; }
    else if (a == "--code") { if (!value(v)) return o; o.code = v; }
    else if (a == "--text") { if (!value(v)) return o; o.text = v; }
    else if (a == "--priority") { if (!value(v)) return o; o.priority = v; }
    else if (a == "--purpose") { if (!value(v)) return o; o.purpose = v; }
    else if (a == "--sender") { if (!value(v)) return o; o.sender = v; }
    else if (a == "--idempotency-key") { if (!value(v)) return o; o.idempotency_key = v; }
    else if (a == "--state") { if (!value(o.states)) return o; }
    else if (a == "--carrier") { if (!value(o.carriers)) return o; }
    else if (a == "--ttl" || a == "--from" || a == "--count") {
      if (!value(v)) return o;
      auto n = to_int<long long>(v);
      if (!n) return fail(std::string(a) + ": not a whole number >= 0: " + v);
      if (a == "--ttl") o.ttl_seconds = static_cast<long>(*n);
      else if (a == "--from") o.from = *n;
      else o.count = *n;
    } else if (a.starts_with("--")) return fail("unknown option " + std::string(a));
    else if (o.verb.empty()) o.verb = a;
    else o.args.emplace_back(a);
  }
  if (o.verb.empty()) return fail("no verb given");
  auto it = verbs.find(o.verb);
  if (it == verbs.end()) return fail("unknown verb " + o.verb);
  int n = static_cast<int>(o.args.size());
  if (n < it->second.first || n > it->second.second)
    return fail(o.verb + ": wrong number of arguments");
  if ((o.verb == "show" || o.verb == "cancel") && !to_int<long long>(o.args[0]))
    return fail(o.verb + ": ID must be a whole number: " + o.args[0]);
  if (o.verb == "send") {
    if (o.code.has_value() == o.text.has_value()) return fail("send: give one of --code or --text");
    if (o.priority && *o.priority != "otp" && *o.priority != "transactional" && *o.priority != "bulk")
      return fail("send: --priority must be otp, transactional or bulk");
    if (o.code && o.priority && *o.priority != "otp") return fail("send: --code is for OTPs only");
  }
  if (o.socket.empty()) return fail("--socket: empty path");
  return o;
}

}  // namespace smsgwctl
