// tools/smsgwctl/verbs.cpp: the verbs. Every answer is mapped the same way (answer()): 2xx is
// printed (the server's JSON as is with --json, else the human view), 4xx exits 1 and 5xx 4
// with the server's error and message on stderr (with --json the body goes to stdout too).
// `events` follows the stream and reconnects with Last-Event-ID after the server closes it.
#include "tools/smsgwctl/verbs.hpp"

#include <chrono>
#include <functional>
#include <thread>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "tools/smsgwctl/render.hpp"
#include "tools/smsgwctl/unix_http.hpp"

namespace smsgw::ctl {

namespace json = boost::json;
namespace http = boost::beast::http;

namespace {

constexpr auto request_timeout = std::chrono::seconds(30);

int unreachable(options const& o, transport_error const& e, std::ostream& err) {
  if (e.connect) {
    err << fmt::format("smsgwctl: cannot connect to {}: {} (is smsgw running? --socket)\n", o.socket_path, e.message);
    return exit_unreachable;
  }
  err << fmt::format("smsgwctl: {}: {}\n", o.socket_path, e.message);
  return exit_server_error;
}

json::value parse(std::string const& body) {
  boost::system::error_code ec;
  auto v = json::parse(body, ec);
  return ec ? json::value(nullptr) : v;
}

std::string field_text(json::value const& v, std::string_view key) {
  if (!v.is_object() || !v.as_object().contains(key)) return {};
  return scalar(v.as_object().at(key));
}

/// The common mapping of an answer to output and exit code; `view` renders a 2xx body.
int answer(options const& o, std::variant<http_reply, transport_error> const& result, std::ostream& out,
           std::ostream& err, std::function<std::string(json::value const&)> const& view,
           std::function<std::string(int, json::value const&)> const& refusal = {}) {
  if (auto const* e = std::get_if<transport_error>(&result)) return unreachable(o, *e, err);
  auto const& r = std::get<http_reply>(result);
  auto body = parse(r.body);
  if (o.json) out << r.body << (r.body.ends_with('\n') ? "" : "\n");
  if (r.status >= 200 && r.status < 300) {
    if (body.is_null() && !r.body.empty() && !o.json) {
      err << "smsgwctl: the answer is not JSON\n";
      return exit_server_error;
    }
    if (!o.json) out << view(body);
    return exit_ok;
  }
  std::string why = refusal ? refusal(r.status, body) : "";
  if (why.empty()) {
    auto kind = field_text(body, "error"), message = field_text(body, "message");
    why = fmt::format("{}{}{}", kind.empty() ? fmt::format("HTTP {}", r.status) : kind,
                      message.empty() ? "" : ": ", message);
    if (auto f = field_text(body, "field"); !f.empty()) why += fmt::format(" (field {})", f);
  }
  err << fmt::format("smsgwctl: {} {}: {}\n", o.verb, r.status, why);
  return r.status >= 500 ? exit_server_error : exit_refused;
}

header_list control_headers(options const& o) {
  header_list h;
  if (!o.operator_name.empty()) h.emplace_back("X-Operator", o.operator_name);
  return h;
}

int send(options const& o, std::ostream& out, std::ostream& err) {
  bool const otp = !o.otp_code.empty();
  json::object b{{"to", o.to}};
  if (otp) {
    b["code"] = o.otp_code;
    if (!o.purpose.empty()) b["purpose"] = o.purpose;
  } else {
    b["text"] = o.text;
  }
  if (!o.priority.empty()) b["priority"] = o.priority;
  if (o.ttl_seconds) b["ttl_seconds"] = *o.ttl_seconds;
  if (!o.idempotency_key.empty()) b["idempotency_key"] = o.idempotency_key;
  if (!o.sender.empty()) b["sender"] = o.sender;
  auto r = call(o.socket_path, http::verb::post, otp ? "/v1/otp" : "/v1/messages", json::serialize(b), {}, request_timeout);
  return answer(o, r, out, err, [](json::value const& v) {
    std::string s = fmt::format("message {}: {} (carrier {})", field_text(v, "id"), field_text(v, "state"),
                                field_text(v, "carrier"));
    if (field_text(v, "duplicate") == "yes") s += ", a repeat of the same idempotency key: nothing new";
    if (field_text(v, "resend_suppressed") == "yes") s += ", resend suppressed: " + field_text(v, "message");
    return s + "\n";
  });
}

std::string url_list(std::string const& name, std::string const& csv) {
  return csv.empty() ? "" : "&" + name + "=" + csv;  // names and states are plain words
}

int events(options const& o, std::ostream& out, std::ostream& err) {
  std::string query = url_list("state", o.states) + url_list("carrier", o.carriers);
  std::optional<long long> last_id;
  long long seen = 0;
  auto retry = std::chrono::milliseconds(2000);
  for (;;) {
    header_list h;
    std::string q = query;
    if (last_id) h.emplace_back("Last-Event-ID", std::to_string(*last_id));
    else if (o.after) q += "&after=" + std::to_string(*o.after);
    std::string target = "/v1/events" + (q.empty() ? "" : "?" + q.substr(1));
    std::string data;
    std::optional<long long> id;
    bool done = false;
    auto r = stream(o.socket_path, target, h, [&](std::string const& line) {
      if (line.empty()) {  // end of one event
        if (!data.empty()) {
          if (o.json) out << data << "\n";
          else out << render_event(parse(data));
          out.flush();
          if (id) last_id = id;
          if (o.count && ++seen >= *o.count) done = true;
        }
        data.clear();
        id.reset();
        return !done;
      }
      if (line.starts_with("data:")) data += line.substr(line.size() > 5 && line[5] == ' ' ? 6 : 5);
      else if (line.starts_with("id:")) id = std::atoll(line.c_str() + 3);
      else if (line.starts_with("retry:")) retry = std::chrono::milliseconds(std::atoll(line.c_str() + 6));
      return true;
    });
    if (done) return exit_ok;
    if (auto const* e = std::get_if<transport_error>(&r)) {
      if (!last_id && seen == 0) return unreachable(o, *e, err);  // never connected: say so
      err << fmt::format("smsgwctl: events: {}; reconnecting\n", e->message);
    } else if (auto const& reply = std::get<http_reply>(r); reply.status != 200) {
      return answer(o, r, out, err, [](json::value const&) { return std::string(); });
    } else {
      err << "smsgwctl: events: the stream ended; reconnecting\n";
    }
    std::this_thread::sleep_for(std::clamp(retry, std::chrono::milliseconds(100), std::chrono::milliseconds(60000)));
  }
}

}  // namespace

int run_verb(options const& o, std::ostream& out, std::ostream& err) {
  auto const& v = o.verb;
  if (v == "status") {
    // /healthz answers 503 with a body when degraded: show it, exit 4.
    return answer(o, call(o.socket_path, http::verb::get, "/healthz", "", {}, request_timeout), out, err,
                  render_status, [&](int status, json::value const& b) {
                    if (status == 503 && !o.json) out << render_status(b);
                    return field_text(b, "status").empty() ? std::string() : "status " + field_text(b, "status");
                  });
  }
  if (v == "carriers")
    return answer(o, call(o.socket_path, http::verb::get, "/v1/carriers", "", {}, request_timeout), out, err, render_carriers);
  if (v == "suspend" || v == "resume")
    return answer(o, call(o.socket_path, http::verb::post, "/v1/carriers/" + o.args[0] + "/" + v, "",
                          control_headers(o), request_timeout),
                  out, err, render_carrier);
  if (v == "send") return send(o, out, err);
  if (v == "show")
    return answer(o, call(o.socket_path, http::verb::get, "/v1/messages/" + o.args[0], "", {}, request_timeout), out, err,
                  render_message);
  if (v == "cancel")
    return answer(o, call(o.socket_path, http::verb::delete_, "/v1/messages/" + o.args[0], "", control_headers(o), request_timeout),
                  out, err, [](json::value const& b) { return fmt::format("message {}: {}\n", field_text(b, "id"), field_text(b, "state")); },
                  [&](int status, json::value const& b) {
                    if (status != 409) return std::string();
                    return fmt::format("message {} is {}: not cancelled", o.args[0], field_text(b, "state"));
                  });
  if (v == "events") return events(o, out, err);
  if (v == "reload")
    return answer(o, call(o.socket_path, http::verb::post, "/v1/reload", "", control_headers(o), request_timeout), out, err,
                  render_reload, [](int status, json::value const& b) {
                    if (status != 422) return std::string();
                    return "the new configuration is invalid, the old one stays: " + field_text(b, "message");
                  });
  err << "smsgwctl: unknown verb " << v << "\n";
  return exit_usage;
}

}  // namespace smsgw::ctl
