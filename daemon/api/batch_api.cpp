// daemon/api/batch_api.cpp: POST /v1/messages/batch (see batch_api.hpp). Each item is checked
// by the same code as POST /v1/messages (daemon/api/message_request.hpp), the valid ones go to
// the queue in one api_deps::enqueue_batch (one transaction, one fsync), and each item's answer
// is the single endpoint's answer with its "index" and "status" added. Texts are never echoed
// nor logged; the log gets the counts only.
#include "daemon/api/batch_api.hpp"

#include "daemon/api/message_request.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <boost/beast/http/field.hpp>
#include <boost/json.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

namespace smsgw {

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

http_response whole_request_error(http_request const& req, request_error const& e) {
  return error_response(req.version(), req.keep_alive(), e.status, e.kind, e.message, e.field);
}

/// The item's answer: "index" and "status" first, then the single endpoint's fields.
json::object item_result(std::size_t index, int status, json::object fields) {
  json::object o{{"index", index}, {"status", status}};
  for (auto& kv : fields) o[kv.key()] = std::move(kv.value());
  return o;
}

}  // namespace

boost::asio::awaitable<http_response> post_message_batch(http_request const& req, api_deps& deps,
                                                         peer_credentials const& peer) {
  // {"messages": [ {...} ]}: two levels more than a single request's flat object.
  auto body = parse_json_object_body(req, 4);
  if (!body) co_return whole_request_error(req, body.error());
  for (auto const& kv : *body) {
    if (kv.key() != "messages")
      co_return whole_request_error(req, {400, "invalid_request", std::string(kv.key()), "unknown field"});
  }
  auto const* list = body->if_contains("messages");
  if (!list || !list->is_array())
    co_return whole_request_error(req, {400, "invalid_request", "messages",
                                        "required: an array of message objects"});
  auto const& items = list->get_array();
  if (items.empty())
    co_return whole_request_error(req, {400, "invalid_request", "messages", "must not be empty"});
  if (items.size() > max_batch_messages)
    co_return whole_request_error(
        req, {400, "invalid_request", "messages",
              fmt::format("{} messages; at most {} per batch", items.size(), max_batch_messages)});

  std::vector<json::object> results(items.size());
  std::vector<queue::enqueue_request> valid;
  std::vector<std::size_t> valid_index;  // valid[k] is item valid_index[k]
  valid.reserve(items.size());
  valid_index.reserve(items.size());
  std::size_t invalid = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    request_result<queue::enqueue_request> r =
        items[i].is_object()
            ? message_request_from(items[i].get_object(), deps, false, peer)
            : request_result<queue::enqueue_request>(
                  request_error{400, "invalid_request", "", "each message must be a JSON object"});
    if (!r) {
      ++invalid;
      json::object e{{"error", r.error().kind}, {"message", r.error().message}};
      if (!r.error().field.empty()) e["field"] = r.error().field;
      results[i] = item_result(i, r.error().status, std::move(e));
      continue;
    }
    valid.push_back(std::move(*r));
    valid_index.push_back(i);
  }

  std::size_t accepted = 0, duplicates = 0, refused = 0, failed = 0;
  if (!valid.empty()) {
    auto stored = co_await deps.enqueue_batch(valid);
    if (!stored || stored->size() != valid.size()) {
      // Nothing of the batch was stored (the transaction rolled back): the caller retries it
      // whole, idempotency keys make the retry safe.
      auto why = stored ? std::string("internal") : std::string(queue::to_string(stored.error().code));
      spdlog::warn("api batch of {} messages: queue unavailable ({})", items.size(), why);
      co_return error_response(req.version(), req.keep_alive(), 503, "queue_unavailable", why);
    }
    std::vector<std::string> notified;
    for (std::size_t k = 0; k < valid.size(); ++k) {
      auto a = enqueue_answer_of(deps, valid[k], (*stored)[k], false);
      if (a.status == 202) {
        ++accepted;
        if (std::find(notified.begin(), notified.end(), valid[k].carrier) == notified.end())
          notified.push_back(valid[k].carrier);
      } else if (a.status == 200) {
        ++duplicates;
      } else if (a.status == 429) {
        ++refused;
      } else if (a.status == 400) {
        ++invalid;
      } else {
        ++failed;
      }
      results[valid_index[k]] = item_result(valid_index[k], a.status, std::move(a.body));
    }
    for (auto const& c : notified) deps.enqueued(c);  // each carrier's source claims once
  }
  spdlog::debug("api batch: {} messages, {} accepted, {} duplicate, {} refused, {} invalid, {} failed",
                items.size(), accepted, duplicates, refused, invalid, failed);
  json::array out;
  out.reserve(results.size());
  for (auto& r : results) out.push_back(std::move(r));
  co_return json_response(req, 200,
                        {{"accepted", accepted}, {"duplicates", duplicates}, {"refused", refused},
                         {"invalid", invalid}, {"failed", failed}, {"results", std::move(out)}});
}

}  // namespace smsgw
