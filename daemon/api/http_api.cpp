// daemon/api/http_api.cpp: request parsing and validation (every failure names its field), the
// mapping of enqueue outcomes to status codes (202 accepted, 200 idempotent repeat, 429
// refused with Retry-After, 503 queue unavailable) and the message view. Message text and OTP
// codes are never echoed back nor logged. Bodies are hostile until proven otherwise: only
// application/json, one flat object, depth-limited (no deep recursion), UTF-8 checked by the
// parser, duplicate keys refused (Boost.JSON 1.81 would silently keep the last), no control
// characters in any field.
#include "daemon/api/http_api.hpp"
#include "daemon/api/control_api.hpp"
#include "daemon/api/batch_api.hpp"
#include "daemon/api/message_request.hpp"

#include "daemon/api/reload_api.hpp"
#include "daemon/api/access_policy.hpp"

#include "daemon/dispatch/sms_segments.hpp"
#include "queue/store.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include <boost/json.hpp>
#include <boost/json/basic_parser_impl.hpp>
#include <fmt/chrono.h>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace http = boost::beast::http;
namespace json = boost::json;

queue::result<message_view> read_message_view(queue::store& s, queue::message_id id) {
  auto m = s.get(id);
  if (!m) return m.error();
  auto h = s.history(id);
  if (!h) return h.error();
  return message_view{std::move(*m), std::move(*h)};
}

boost::asio::awaitable<queue::result<std::vector<queue::result<queue::enqueue_outcome>>>>
api_deps::enqueue_batch(std::vector<queue::enqueue_request> reqs) {
  std::vector<queue::result<queue::enqueue_outcome>> out;
  out.reserve(reqs.size());
  for (auto& r : reqs) out.push_back(co_await enqueue(std::move(r)));
  co_return out;
}

route_config const* api_deps::carrier(std::string_view name) const noexcept {
  for (auto const& c : *carriers_)
    if (c.link.name == name) return &c;
  return nullptr;
}

http_response json_response(http_request const& req, int status, json::object const& o) {
  http_response res{static_cast<http::status>(status), req.version()};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(req.keep_alive());
  res.body() = json::serialize(o) + "\n";
  res.prepare_payload();
  return res;
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
  int status = 400;
};

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
    // NUL and other control characters have no place in a number, key or SMS (bar \n, \r, \t
    // in a text): they would be truncated or garbled downstream.
    bool const text_like = key == "text" || key == "template";
    for (unsigned char c : s) {
      if ((c < 0x20 && !(text_like && (c == '\n' || c == '\r' || c == '\t'))) || c == 0x7f)
        throw bad_request{std::string(key), "must not contain control characters"};
    }
    return std::string(s);
  }
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t lo, std::int64_t hi) const {
    auto const* v = o_.if_contains(key);
    if (!v || v->is_null()) return std::nullopt;
    std::int64_t n = 0;
    if (v->is_int64()) n = v->get_int64();
    else if (v->is_uint64()) n = std::numeric_limits<std::int64_t>::max();  // > any bound
    else throw bad_request{std::string(key), "must be an integer"};
    if (n < lo || n > hi) throw bad_request{std::string(key), fmt::format("must be {}..{}", lo, hi)};
    return n;
  }

 private:
  json::object const& o_;
};

/// basic_parser handler that builds nothing: it refuses a key seen twice in one object
/// (Boost.JSON 1.81's value parser keeps the last one silently; a request saying "to" twice
/// is ambiguous, so hostile). Depth is bounded by parse_options::max_depth before recursion.
class duplicate_key_check {
 public:
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  using ec_t = boost::system::error_code;
  using sv = json::string_view;

  std::string duplicate;  ///< the repeated key, once found

  bool on_document_begin(ec_t&) { return true; }
  bool on_document_end(ec_t&) { return true; }
  bool on_object_begin(ec_t&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t, ec_t&) {
    keys_.pop_back();
    return true;
  }
  bool on_array_begin(ec_t&) { return true; }
  bool on_array_end(std::size_t, ec_t&) { return true; }
  bool on_key_part(sv s, std::size_t, ec_t&) {
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(sv s, std::size_t, ec_t& ec) {
    key_.append(s.data(), s.size());
    auto& seen = keys_.back();
    bool fresh = std::find(seen.begin(), seen.end(), key_) == seen.end();
    if (fresh) seen.push_back(std::move(key_));
    else duplicate = std::move(key_);
    key_.clear();
    if (!fresh) ec = make_error_code(boost::system::errc::invalid_argument);
    return fresh;
  }
  bool on_string_part(sv, std::size_t, ec_t&) { return true; }
  bool on_string(sv, std::size_t, ec_t&) { return true; }
  bool on_number_part(sv, ec_t&) { return true; }
  bool on_int64(std::int64_t, sv, ec_t&) { return true; }
  bool on_uint64(std::uint64_t, sv, ec_t&) { return true; }
  bool on_double(double, sv, ec_t&) { return true; }
  bool on_bool(bool, ec_t&) { return true; }
  bool on_null(ec_t&) { return true; }
  bool on_comment_part(sv, ec_t&) { return true; }
  bool on_comment(sv, ec_t&) { return true; }

 private:
  std::vector<std::vector<std::string>> keys_;
  std::string key_;
};

void check_content_type(http_request const& req) {
  auto ct = std::string_view(req[http::field::content_type]);
  auto media = ct.substr(0, ct.find(';'));
  while (!media.empty() && (media.back() == ' ' || media.back() == '\t')) media.remove_suffix(1);
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); };
  constexpr std::string_view want = "application/json";
  if (media.size() != want.size() ||
      !std::equal(media.begin(), media.end(), want.begin(), [&](char a, char b) { return lower(a) == b; }))
    throw bad_request{"Content-Type", "must be application/json", 415};
}

json::object parse_body(http_request const& req, int max_depth = 4) {
  check_content_type(req);
  if (req.body().empty()) throw bad_request{"", "body is empty: expected a JSON object"};
  json::parse_options opt;
  opt.max_depth = static_cast<std::size_t>(max_depth);  // a request is one flat object: deep nesting is hostile
  boost::system::error_code ec;
  json::basic_parser<duplicate_key_check> checker(opt);
  checker.write_some(false, req.body().data(), req.body().size(), ec);
  if (!checker.handler().duplicate.empty())
    throw bad_request{checker.handler().duplicate, "given more than once"};
  if (ec) throw bad_request{"", fmt::format("body is not valid JSON: {}", ec.message())};
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

/// An OTP that needs more SMS than [api] otp_max_segments is a mistake that costs money (a
/// template with {code} a hundred times, a long text): refused before it is stored. `field`
/// is what the client gave ("text", or "template" when the text is rendered).
void check_otp_segments(std::string const& text, std::string_view field, unsigned max_segments) {
  auto segments = sms_segments(text);
  if (!segments) throw bad_request{std::string(field), segments.error()};
  if (*segments > max_segments)
    throw bad_request{std::string(field),
                      fmt::format("the OTP text needs {} SMS segments; the limit is {} "
                                  "([api] otp_max_segments)", *segments, max_segments)};
}

std::string otp_text(fields const& f, unsigned max_segments) {
  auto text = f.str("text", max_otp_text_bytes);
  auto code = f.str("code", 16);
  auto tmpl = f.str("template", 900);
  if (text && (code || tmpl)) throw bad_request{"text", "give either text or code (+template), not both"};
  if (text) {
    if (text->empty()) throw bad_request{"text", "must not be empty"};
    check_otp_segments(*text, "text", max_segments);
    return *text;
  }
  if (!code) throw bad_request{"code", "required (or text)"};
  if (code->size() < 4 || !std::all_of(code->begin(), code->end(), [](char c) { return c >= '0' && c <= '9'; }))
    throw bad_request{"code", "must be 4..16 digits"};
  std::string t = tmpl.value_or("Kode OTP Anda: {code}. Jangan berikan kode ini kepada siapa pun.");
  auto pos = t.find("{code}");
  if (pos == std::string::npos) throw bad_request{"template", "must contain {code}"};
  for (; pos != std::string::npos; pos = t.find("{code}", pos + code->size())) {
    t.replace(pos, 6, *code);
    if (t.size() > max_otp_text_bytes)
      throw bad_request{"template", fmt::format("the rendered text is longer than {} bytes", max_otp_text_bytes)};
  }
  check_otp_segments(t, "template", max_segments);
  return t;
}

queue::enqueue_request build_request(json::object const& body, api_deps& deps, bool otp,
                                     peer_credentials const& peer) {
  auto const& s = deps.settings();
  fields f = otp ? fields(body, {"to", "text", "code", "template", "purpose", "ttl_seconds",
                                 "idempotency_key", "priority", "sender"})
                 : fields(body, {"to", "text", "priority", "ttl_seconds", "idempotency_key", "sender"});
  queue::enqueue_request r;
  auto to = f.str("to", 64);
  if (!to) throw bad_request{"to", "required"};
  auto routed = parse_msisdn(*to, deps.routing());
  if (!routed) throw bad_request{"to", routed.error().message()};
  auto const* rc = deps.carrier(routed->carrier);
  if (!rc) throw bad_request{"to", fmt::format("no carrier configured for {} numbers", routed->carrier)};
  r.recipient = routed->msisdn;
  r.carrier = routed->carrier;
  if (otp) {
    r.text = otp_text(f, s.otp_max_segments);
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
  // Named: sent as is on every route. Not named: stored as '' and resolved when it is sent,
  // to the registered sender of the carrier that sends it (an alternate's, after a retry).
  if (auto named = f.str("sender", 20)) {
    if (named->empty()) throw bad_request{"sender", "must not be empty"};
    r.sender = *named;
  }
  r.now = deps.now();
  // Who asked, for the history (GET /v1/messages/{id}): the kernel's word, not the client's.
  if (peer.uid) r.requester_uid = *peer.uid;
  r.requester_pid = peer.pid;
  return r;
}

}  // namespace

enqueue_answer enqueue_answer_of(api_deps& deps, queue::enqueue_request const& r,
                                 queue::result<queue::enqueue_outcome> const& out, bool notify) {
  auto fail = [](int status, std::string_view kind, std::string_view message) {
    return enqueue_answer{status, json::object{{"error", kind}, {"message", message}}, {}};
  };
  if (!out) {
    if (out.error().code == queue::errc::invalid_argument)
      return fail(400, "invalid_request", out.error().message);
    return fail(503, "queue_unavailable", queue::to_string(out.error().code));
  }
  using kind = queue::enqueue_outcome::kind;
  auto retry_secs = [&](queue::limit_refusal const& ref) {
    auto secs = std::chrono::ceil<std::chrono::seconds>(ref.retry_after - r.now).count();
    return std::max<std::int64_t>(secs, 1);
  };
  if (out->what == kind::refused) {
    auto const& ref = *out->refusal;
    auto secs = retry_secs(ref);
    auto at = std::chrono::time_point_cast<std::chrono::seconds>(ref.retry_after);
    json::object o{{"error", "rate_limited"}, {"field", "to"}, {"limit", ref.limit},
                   {"retry_after_seconds", secs},
                   {"retry_at", fmt::format("{:%Y-%m-%dT%H:%M:%S}Z", at)},
                   {"retry_at_ms", queue::to_ms(ref.retry_after)}};
    if (out->id != 0) {
      // The resend interval: an earlier OTP for this number and purpose is the one the user
      // gets; the caller keeps that code valid (docs/limits.md, "Resend interval").
      o["sent_id"] = out->id;
      o["message"] = fmt::format(
          "an OTP for this number and purpose was accepted less than the resend interval ago "
          "(message {}); this code is not sent: keep the earlier code valid; retry in {} s",
          out->id, secs);
    } else {
      o["message"] = fmt::format("too many OTP requests for this number ({}); retry in {} s", ref.limit, secs);
    }
    return {429, std::move(o), secs};
  }
  if (out->what == kind::resend_suppressed) {
    // 200, not 202: nothing new was accepted. `id` is the earlier message, whose SMS (and
    // code) the user gets; this request's code is never sent.
    auto const& ref = *out->refusal;
    spdlog::debug("api enqueue id={} carrier={} outcome=resend_suppressed", out->id, r.carrier);
    return {200,
            {{"id", out->id}, {"state", queue::to_string(out->st)}, {"carrier", r.carrier},
             {"resend_suppressed", true}, {"code_sent", false}, {"limit", ref.limit},
             {"retry_after_seconds", retry_secs(ref)}, {"retry_at_ms", queue::to_ms(ref.retry_after)},
             {"message", fmt::format("an OTP for this number and purpose was accepted less than "
                                     "the resend interval ago: message {} carries the SMS; this "
                                     "code is not sent, keep the earlier code valid",
                                     out->id)}},
            {}};
  }
  json::object o{{"id", out->id}, {"state", queue::to_string(out->st)}, {"carrier", r.carrier}};
  spdlog::debug("api enqueue id={} carrier={} outcome={} superseded={}", out->id, r.carrier,
                out->what == kind::duplicate ? "duplicate" : "accepted", out->superseded.size());
  if (out->what == kind::duplicate) {
    o["duplicate"] = true;
    return {200, std::move(o), {}};
  }
  json::array sup;
  for (auto id : out->superseded) sup.push_back(id);
  o["superseded"] = std::move(sup);
  o["expires_at_ms"] = queue::to_ms(r.now + r.validity);
  if (notify) deps.enqueued(r.carrier);
  return {202, std::move(o), {}};
}

namespace {

http_response outcome_response(http_request const& req, api_deps& deps,
                               queue::enqueue_request const& r,
                               queue::result<queue::enqueue_outcome> const& out) {
  auto a = enqueue_answer_of(deps, r, out);
  auto res = json_response(req, static_cast<http::status>(a.status), a.body);
  if (a.retry_after_seconds) res.set(http::field::retry_after, std::to_string(*a.retry_after_seconds));
  return res;
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
    if (e.requester_uid || e.requester_pid) {
      json::object who;
      who["uid"] = e.requester_uid ? json::value(*e.requester_uid) : json::value(nullptr);
      who["pid"] = e.requester_pid ? json::value(*e.requester_pid) : json::value(nullptr);
      ev["requested_by"] = std::move(who);
    }
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

http_response would_expire_response(http_request const& req, queue::enqueue_request const& r,
                                    double estimate) {
  auto const secs = static_cast<std::int64_t>(std::ceil(estimate));
  auto const validity = std::chrono::duration_cast<std::chrono::seconds>(r.validity).count();
  spdlog::debug("api enqueue carrier={} outcome=would_expire estimate={}s validity={}s", r.carrier,
                secs, validity);
  return json_response(
      req, http::status::service_unavailable,
      {{"error", "would_expire"},
       {"message", fmt::format("no route to {} is expected to deliver this OTP within its {} s "
                               "of validity (best estimate {} s): it was not queued; offer "
                               "another channel", r.carrier, validity, secs)},
       {"estimate_seconds", secs},
       {"validity_seconds", validity}});
}

boost::asio::awaitable<http_response> post_message(http_request const& req, api_deps& deps, bool otp,
                                                   peer_credentials const& peer) {
  queue::enqueue_request r;
  try {
    r = build_request(parse_body(req), deps, otp, peer);
  } catch (bad_request const& e) {
    co_return error_response(req.version(), req.keep_alive(), e.status,
                             e.status == 415 ? "unsupported_media_type" : "invalid_request",
                             e.message, e.field);
  }
  // Deadline-aware routing: a code that would expire before any route delivers it is refused
  // now (nothing stored), so the service can offer another channel at once.
  if (otp && deps.settings().refuse_would_expire) {
    if (auto estimate = deps.would_expire(
            r.carrier, std::chrono::duration_cast<std::chrono::seconds>(r.validity)))
      co_return would_expire_response(req, r, *estimate);
  }
  auto out = co_await deps.enqueue(r);
  co_return outcome_response(req, deps, r, out);
}

request_error to_request_error(bad_request const& e) {
  return {e.status, e.status == 415 ? "unsupported_media_type" : "invalid_request", e.field, e.message};
}

}  // namespace

void throw_exception_from_error(request_error const& e, boost::source_location const&) {
  throw std::runtime_error(e.message);
}

request_result<json::object> parse_json_object_body(http_request const& req, int max_depth) {
  try {
    return parse_body(req, max_depth);
  } catch (bad_request const& e) {
    return to_request_error(e);
  }
}

request_result<queue::enqueue_request> message_request_from(json::object const& body,
                                                            api_deps& deps, bool otp,
                                                            peer_credentials const& peer) {
  try {
    return build_request(body, deps, otp, peer);
  } catch (bad_request const& e) {
    return to_request_error(e);
  }
}

namespace {

/// The endpoint a path names ("" if none), for routing and for log lines: the raw target is
/// never logged (a client could put anything, an OTP code included, in a path or query).
std::string_view route_of(std::string_view path) {
  if (path == "/v1/otp" || path == "/v1/messages" || path == "/healthz" || path == "/metrics" ||
      path == "/v1/events")
    return path;
  if (path == "/v1/reload") return path;
  if (path == "/v1/messages/batch") return path;
  if (path.starts_with("/v1/messages/")) return "/v1/messages/{id}";
  return control_route_of(path);
}

boost::asio::awaitable<http_response> route(http_request const& req, api_deps& deps,
                                            std::string_view path, std::string_view endpoint,
                                            peer_credentials const& peer) {
  auto const wanted = endpoint == "/v1/otp" || endpoint == "/v1/messages" ||
                      endpoint == "/v1/messages/batch" || endpoint == "/v1/reload"
                          ? http::verb::post : http::verb::get;
  if (endpoint.empty())
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no such endpoint");
  if (auto res = co_await route_control(req, deps, path, endpoint)) co_return std::move(*res);
  if (req.method() != wanted) {
    auto res = error_response(req.version(), req.keep_alive(), 405, "method_not_allowed",
                              fmt::format("{} is not allowed on {}; use {}", std::string_view(req.method_string()),
                                          endpoint, std::string_view(http::to_string(wanted))));
    res.set(http::field::allow, http::to_string(wanted));
    co_return res;
  }
  if (endpoint == "/healthz") co_return co_await get_healthz(req, deps);
  if (endpoint == "/metrics") {
    auto text = co_await deps.metrics_text();
    if (!text)
      co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no metrics");
    http_response res{http::status::ok, req.version()};
    res.set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
    res.keep_alive(req.keep_alive());
    res.body() = std::move(*text);
    res.prepare_payload();
    co_return res;
  }
  if (endpoint == "/v1/reload") co_return co_await handle_reload(req, deps);
  if (endpoint == "/v1/events")  // a GET is streamed by the transport (event_stream.hpp)
    co_return error_response(req.version(), req.keep_alive(), 404, "not_found", "no event streams here");
  if (endpoint == "/v1/messages/batch") co_return co_await post_message_batch(req, deps, peer);
  if (endpoint == "/v1/messages/{id}")
    co_return co_await get_message(req, deps, path.substr(std::string_view("/v1/messages/").size()));
  co_return co_await post_message(req, deps, endpoint == "/v1/otp", peer);
}

}  // namespace

boost::asio::awaitable<http_response> handle_request(http_request const& req, api_deps& deps,
                                                     peer_credentials peer) {
  auto path = std::string_view(req.target().data(), req.target().size());
  if (auto q = path.find('?'); q != std::string_view::npos) path = path.substr(0, q);
  auto endpoint = route_of(path);
  auto const started = std::chrono::steady_clock::now();
  std::optional<http_response> res;
  try {
    res = refuse_unless_allowed(req, deps.settings(), path, endpoint, peer);
    if (!res) res = co_await route(req, deps, path, endpoint, peer);
  } catch (std::exception const& e) {
    // A bug or a dependency's surprise: the client gets 500 (nothing acknowledged), the log the
    // exception's text (never the body).
    spdlog::error("api {} {}: {}", std::string_view(req.method_string()), endpoint, e.what());
  }
  if (!res) res = error_response(req.version(), req.keep_alive(), 500, "internal", "internal error");
  spdlog::debug("api {} {} -> {}", std::string_view(req.method_string()),
                endpoint.empty() ? "(unknown path)" : endpoint, res->result_int());
  deps.answered(endpoint, static_cast<int>(res->result_int()),
                std::chrono::steady_clock::now() - started);
  co_return std::move(*res);
}

}  // namespace smsgw
