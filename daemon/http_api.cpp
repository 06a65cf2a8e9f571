// daemon/http_api.cpp: request parsing and validation (every failure names its field), the
// mapping of enqueue outcomes to status codes (202 accepted, 200 idempotent repeat, 429
// refused with Retry-After, 503 queue unavailable) and the message view. Message text and OTP
// codes are never echoed back nor logged.
#include "daemon/http_api.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace smsgw {

namespace http = boost::beast::http;
namespace json = boost::json;

route_config const* api_deps::carrier(std::string_view name) const noexcept {
  for (auto const& c : carriers_)
    if (c.link.name == name) return &c;
  return nullptr;
}

http_response error_response(unsigned version, bool keep_alive, int status, std::string_view kind,
                             std::string_view message, std::string_view field) {
  json::object o{{"error", kind}, {"message", message}};
  if (!field.empty()) o["field"] = field;
  http_response res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = json::serialize(o) + "\n";
  res.prepare_payload();
  return res;
}

namespace {

struct bad_request {
  std::string field, message;
};

http_response json_response(http_request const& req, http::status st, json::object const& o) {
  http_response res{st, req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = json::serialize(o) + "\n";
  res.prepare_payload();
  return res;
}

std::int64_t to_unix_ms(queue::time_point t) { return queue::to_ms(t); }

/// Reads typed fields from the request object; unknown fields are refused (typos).
class fields {
 public:
  fields(json::object const& o, std::initializer_list<std::string_view> allowed) : o_(o) {
    for (auto const& kv : o) {
      if (std::find(allowed.begin(), allowed.end(), kv.key()) == allowed.end())
        throw bad_request{std::string(kv.key()), "unknown field"};
    }
  }
  std::optional<std::string> str(std::string_view key, std::size_t max_len) const {
    auto const* v = o_.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    if (!v->is_string()) throw bad_request{std::string(key), "must be a string"};
    auto const& s = v->get_string();
    if (s.size() > max_len)
      throw bad_request{std::string(key), fmt::format("longer than {} bytes", max_len)};
    return std::string(s);
  }
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) const {
    auto const* v = o_.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    std::int64_t n = 0;
    if (v->is_int64()) n = v->get_int64();
    else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(hi)) n = static_cast<std::int64_t>(v->get_uint64());
    else throw bad_request{std::string(key), "must be an integer"};
    if (n < lo || n > hi) throw bad_request{std::string(key), fmt::format("must be {}..{}", lo, hi)};
    return n;
  }

 private:
  json::object const& o_;
};

json::object parse_body(http_request const& req) {
  json::parse_options opt;
  opt.max_depth = 4;  // a request is one flat object: deep nesting is hostile
  boost::system::error_code ec;
  auto v = json::parse(req.body(), ec, {}, opt);
  if (ec) throw bad_request{"", fmt::format("body is not valid JSON: {}", ec.message())};
  if (!v.is_object()) throw bad_request{"", "body must be a JSON object"};
  return std::move(v.get_object());
}

queue::priority parse_priority(std::optional<std::string> const& p, queue::priority def) {
  if (!p) return def;
  if (*p == "otp") return queue::priority::otp;
  if (*p == "transactional") return queue::priority::transactional;
  if (*p == "bulk") return queue::priority::bulk;
  throw bad_request{"priority", "must be \"otp\", \"transactional\" or \"bulk\""};
}

std::string otp_text(fields const& f) {
  auto text = f.str("text", 1000);
  auto code = f.str("code", 16);
  auto tmpl = f.str("template", 900);
  if (text && (code || tmpl)) throw bad_request{"text", "give either text or code (+template), not both"};
  if (text) {
    if (text->empty()) throw bad_request{"text", "must not be empty"};
    return *text;
  }
  if (!code) throw bad_request{"code", "required (or text)"};
  if (code->size() < 4 || !std::all_of(code->begin(), code->end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw bad_request{"code", "must be 4..16 digits"};
  std::string t = tmpl.value_or("Kode OTP Anda: {code}. Jangan berikan kode ini kepada siapa pun.");
  auto pos = t.find("{code}");
  if (pos == std::string::npos) throw bad_request{"template", "must contain {code}"};
  t.replace(pos, 6, *code);
  return t;
}

queue::enqueue_request build_request(http_request const& req, api_deps& deps, bool otp) {
  auto body = parse_body(req);
  auto const& s = deps.settings();
  fields f = otp ? fields(body, {"to", "text", "code", "template", "purpose", "ttl_seconds",
                                 "idempotency_key", "priority", "sender"})
                 : fields(body, {"to", "text", "priority", "ttl_seconds", "idempotency_key", "sender"});
  queue::enqueue_request r;
  auto to = f.str("to", 64);
  if (!to) throw bad_request{"to", "required"};
  auto routed = queue::parse_msisdn(*to, deps.prefixes());
  if (!routed) throw bad_request{"to", routed.error().message()};
  auto const* rc = deps.carrier(routed->carrier);
  if (!rc) throw bad_request{"to", fmt::format("no carrier configured for {} numbers", routed->carrier)};
  r.recipient = routed->msisdn;
  r.carrier = routed->carrier;
  if (otp) {
    r.text = otp_text(f);
    r.purpose = f.str("purpose", 64).value_or("");
  } else {
    auto text = f.str("text", 4000);
    if (!text || text->empty()) throw bad_request{"text", "required"};
    r.text = *text;
  }
  r.prio = parse_priority(f.str("priority", 16), otp ? queue::priority::otp : queue::priority::transactional);
  if (!otp && r.prio == queue::priority::otp) throw bad_request{"priority", "OTPs go to POST /v1/otp"};
  auto def = otp ? s.default_ttl : s.max_ttl;
  r.validity = std::chrono::seconds(f.integer("ttl_seconds", 1, s.max_ttl.count()).value_or(def.count()));
  r.idempotency_key = f.str("idempotency_key", 128).value_or("");
  r.sender = f.str("sender", 20).value_or(rc->sender);
  if (r.sender.empty()) throw bad_request{"sender", "must not be empty"};
  r.now = deps.now();
  return r;
}

http_response outcome_response(http_request const& req, api_deps& deps,
                               queue::enqueue_request const& r,
                               queue::result<queue::enqueue_outcome> const& out) {
  if (!out) {
    if (out.error().code == queue::errc::invalid_argument)
      return error_response(req.version(), req.keep_alive(), 400, "invalid_request", out.error().message);
    return error_response(req.version(), req.keep_alive(), 503, "queue_unavailable",
                          queue::to_string(out.error().code));
  }
  using kind = queue::enqueue_outcome::kind;
  if (out->what == kind::refused) {
    auto const& ref = *out->refusal;
    auto secs = std::chrono::ceil<std::chrono::seconds>(ref.retry_after - r.now).count();
    secs = std::max<std::int64_t>(secs, 1);
    auto res = json_response(req, http::status::too_many_requests,
                             {{"error", "rate_limited"}, {"limit", ref.limit},
                              {"retry_after_seconds", secs},
                              {"message", fmt::format("too many OTP requests for this number ({}); retry in {} s", ref.limit, secs)}});
    res.set(http::field::retry_after, std::to_string(secs));
    return res;
  }
  json::object o{{"id", out->id}, {"state", queue::to_string(out->st)}, {"carrier", r.carrier}};
  if (out->what == kind::duplicate) {
    o["duplicate"] = true;
    return json_response(req, http::status::ok, o);
  }
  json::array sup;
  for (auto id : out->superseded) sup.push_back(id);
  o["superseded"] = std::move(sup);
  o["expires_at_ms"] = queue::to_ms(r.now + r.validity);
  deps.enqueued(r.carrier);
  return json_response(req, http::status::accepted, o);
}

json::object view_json(message_view const& v) {
  auto const& m = v.msg;
  json::object o{{"id", m.id}, {"state", queue::to_string(m.st)}, {"to", m.recipient},
                 {"carrier", m.carrier}, {"route", m.route},
                 {"priority", queue::to_string(m.prio)}, {"purpose", m.purpose},
                 {"attempts", m.attempts}, {"created_at_ms", to_unix_ms(m.created_at)},
                 {"expires_at_ms", to_unix_ms(m.expires_at)},
                 {"updated_at_ms", to_unix_ms(m.updated_at)},
                 {"smsc_message_id", m.smsc_message_id}, {"detail", m.detail}};
  json::array h;
  for (auto const& e : v.history) {
    json::object ev{{"at_ms", to_unix_ms(e.at)}, {"to", queue::to_string(e.to)},
                    {"attempt", e.attempt}, {"route", e.route},
                    {"smsc_message_id", e.smsc_message_id}, {"detail", e.detail}};
    ev["from"] = e.from ? json::value(queue::to_string(*e.from)) : json::value(nullptr);
    h.push_back(std::move(ev));
  }
  o["history"] = std::move(h);
  return o;
}

boost::asio::awaitable<http_response> get_message(http_request const& req, api_deps& deps,
                                                  std::string_view id_text) {
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(id_text.data(), id_text.data() + id_text.size(), id);
  if (ec != std::errc{} || p != id_text.data() + id_text.size() || id <= 0)
    co_return error_response(req.version(), req.keep_alive(), 400, "invalid_request",
                             "message id must be a positive integer", "id");
  auto v = co_await deps.lookup(id);
  if (!v && v.error().code == queue::errc::not_found)
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no such message");
  if (!v)
    co_return error_response(req.version(), req.keep_alive(), 503, "queue_unavailable",
                             queue::to_string(v.error().code));
  co_return json_response(req, http::status::ok, view_json(*v));
}

boost::asio::awaitable<http_response> post_message(http_request const& req, api_deps& deps, bool otp) {
  queue::enqueue_request r;
  try {
    r = build_request(req, deps, otp);
  } catch (bad_request const& e) {
    co_return error_response(req.version(), req.keep_alive(), 400, "invalid_request", e.message, e.field);
  }
  auto out = co_await deps.enqueue(r);
  co_return outcome_response(req, deps, r, out);
}

}  // namespace

boost::asio::awaitable<http_response> handle_request(http_request const& req, api_deps& deps) {
  auto target = std::string_view(req.target().data(), req.target().size());
  if (auto q = target.find('?'); q != std::string_view::npos) target = target.substr(0, q);
  auto method_not_allowed = [&] {
    return error_response(req.version(), req.keep_alive(), 405, "method_not_allowed",
                          fmt::format("{} is not allowed on {}", std::string_view(req.method_string()), target));
  };
  constexpr std::string_view messages_prefix = "/v1/messages/";
  if (target == "/v1/otp" || target == "/v1/messages") {
    if (req.method() != http::verb::post) co_return method_not_allowed();
    co_return co_await post_message(req, deps, target == "/v1/otp");
  }
  if (target.starts_with(messages_prefix)) {
    if (req.method() != http::verb::get) co_return method_not_allowed();
    co_return co_await get_message(req, deps, target.substr(messages_prefix.size()));
  }
  if (target == "/healthz") {
    if (req.method() != http::verb::get) co_return method_not_allowed();
    auto o = deps.health();
    o["status"] = "ok";
    co_return json_response(req, http::status::ok, o);
  }
  co_return error_response(req.version(), req.keep_alive(), 404, "not_found",
                           fmt::format("no endpoint {}", target));
}

}  // namespace smsgw
