// tools/smsgwctl/main.cpp: smsgwctl, the operator's command-line client of smsgw's API:
// maps each verb to its request, prints the answer (readable, or --json as is) and turns
// the outcome into the documented exit code (ctl_exit.hpp).
#include <cstdlib>

#include <pwd.h>
#include <unistd.h>
#include <iostream>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "ctl_args.hpp"
#include "ctl_client.hpp"
#include "ctl_events.hpp"
#include "ctl_exit.hpp"
#include "ctl_format.hpp"

namespace smsgwctl {
namespace {

std::string field(boost::json::value const& v, char const* key) {
  if (!v.is_object()) return {};
  auto const* m = v.as_object().if_contains(key);
  if (!m || m->is_null()) return {};
  return m->is_string() ? std::string(m->as_string()) : boost::json::serialize(*m);
}

std::string format_reload(boost::json::value const& v) {
  std::string out = "reloaded";
  auto list = [&](char const* key, std::string const& title) {
    auto const* a = v.as_object().if_contains(key);
    if (!a || !a->is_array() || a->as_array().empty()) return;
    out += "\n" + title + ":";
    for (auto const& c : a->as_array()) out += "\n  " + (c.is_string() ? std::string(c.as_string()) : boost::json::serialize(c));
  };
  list("changes", "changes");
  list("needs_restart", "needs a restart (the running value stays)");
  auto const* c = v.as_object().if_contains("changes");
  if (!c || !c->is_array() || c->as_array().empty()) out += ": nothing changed";
  return out + "\n";
}

std::string format_send(boost::json::value const& v) {
  std::string out = "message " + field(v, "id") + ": " + field(v, "state");
  if (auto c = field(v, "carrier"); !c.empty()) out += " (carrier " + c + ")";
  if (field(v, "duplicate") == "true") out += ", a repeat of an earlier request";
  if (field(v, "resend_suppressed") == "true") out += "; " + field(v, "message");
  return out + "\n";
}

struct request_spec {
  std::string method, target, body;
  bool with_operator = false;
};

request_spec spec_for(ctl_options const& o) {
  auto const& v = o.verb;
  if (v == "status") return {"GET", "/healthz", {}};
  if (v == "carriers") return {"GET", "/v1/carriers", {}};
  if (v == "suspend" || v == "resume") return {"POST", "/v1/carriers/" + o.args[0] + "/" + v, "{}", true};
  if (v == "show") return {"GET", "/v1/messages/" + o.args[0], {}};
  if (v == "cancel") return {"DELETE", "/v1/messages/" + o.args[0], {}, true};
  if (v == "reload") return {"POST", "/v1/reload", "{}"};
  // send
  boost::json::object b;
  b["to"] = o.args[0];
  if (o.code) b["code"] = *o.code;
  if (o.text) b["text"] = *o.text;
  if (o.priority) b["priority"] = *o.priority;
  if (o.purpose) b["purpose"] = *o.purpose;
  if (o.sender) b["sender"] = *o.sender;
  if (o.ttl_seconds) b["ttl_seconds"] = *o.ttl_seconds;
  if (o.idempotency_key) b["idempotency_key"] = *o.idempotency_key;
  bool otp = o.code || (o.priority && *o.priority == "otp");
  return {"POST", otp ? "/v1/otp" : "/v1/messages", boost::json::serialize(b)};
}

std::string format_ok(ctl_options const& o, boost::json::value const& v) {
  if (o.verb == "status") return format_status(v);
  if (o.verb == "carriers") return format_carriers(v);
  if (o.verb == "suspend" || o.verb == "resume") return format_carrier(v);
  if (o.verb == "show") return format_message(v);
  if (o.verb == "reload") return format_reload(v);
  if (o.verb == "send") return format_send(v);
  if (o.verb == "cancel") return "message " + field(v, "id") + ": " + field(v, "state") + "\n";
  return format_object(v);
}

int run(ctl_options const& o) {
  if (o.verb == "events") return follow_events(o);
  auto spec = spec_for(o);
  ctl_client client(o.socket);
  auto r = client.request(spec.method, spec.target, spec.body, spec.with_operator ? o.operator_name : std::string{});
  if (r.failed != http_reply::failure::none) {
    std::cerr << "smsgwctl: " << r.error << "\n";
    return r.failed == http_reply::failure::connect ? exit_cannot_connect : exit_server_error;
  }
  bool ok = r.status >= 200 && r.status < 300;
  if (ok && !r.json.is_object()) {
    std::cerr << "smsgwctl: a broken answer (HTTP " << r.status << ", not a JSON object): " << r.body << "\n";
    return exit_server_error;
  }
  int code = ok ? exit_ok : r.status >= 500 ? exit_server_error : r.status >= 400 ? exit_refused : exit_server_error;
  if (o.json) {
    std::cout << r.body << (r.body.ends_with('\n') ? "" : "\n");
  } else if (ok || (o.verb == "status" && r.json.is_object())) {
    std::cout << format_ok(o, r.json);  // a degraded /healthz (503) is still worth reading
  }
  if (!ok) {
    std::string msg = field(r.json, "message");
    std::string err = field(r.json, "error");
    std::string state = field(r.json, "state");
    std::cerr << "smsgwctl: " << o.verb << ": HTTP " << r.status;
    if (!err.empty()) std::cerr << " " << err;
    if (!state.empty()) std::cerr << " (state " << state << ")";
    if (!msg.empty()) std::cerr << ": " << msg;
    else if (!r.json.is_object() && !r.body.empty()) std::cerr << ": " << r.body;
    std::cerr << "\n";
  }
  return code;
}

}  // namespace
}  // namespace smsgwctl

int main(int argc, char** argv) {
  using namespace smsgwctl;
  // The operator's login name: $USER, else the account of the real uid (e.g. under sudo -i).
  char const* user = std::getenv("USER");
  if (!user || !*user)
    if (passwd const* pw = ::getpwuid(::getuid())) user = pw->pw_name;
  auto o = parse_args(argc, argv, std::getenv("SMSGW_SOCKET"), user);
  if (o.help) {
    std::cout << usage_text();
    return exit_ok;
  }
  if (!o.error.empty()) {
    std::cerr << "smsgwctl: " << o.error << "\n" << usage_text();
    return exit_usage;
  }
  try {
    return run(o);
  } catch (std::exception const& e) {
    std::cerr << "smsgwctl: " << e.what() << "\n";
    return exit_server_error;
  }
}
