// The HTTP request/response types that handlers see. Deliberately free of Asio and Beast so
// that adapters' glue and the API code compile fast and never depend on the server's internals.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omniroute::daemon {

// Header names are lower-cased by the server; order and duplicates are kept as received.
using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpRequest {
  std::string method;  // as sent, e.g. "POST"
  std::string target;  // raw request-target, e.g. "/webhooks/twilio?tenant=acme"
  std::string path;    // target before '?', not percent-decoded
  std::string query;   // target after '?', without the '?', not percent-decoded
  HttpHeaders headers;
  std::string body;
  std::string remote_address;  // peer IP, e.g. "127.0.0.1"
  std::uint16_t remote_port = 0;
  unsigned version = 11;  // 10 for HTTP/1.0, 11 for HTTP/1.1

  // The first value of a header, looked up by its lower-case name; nullptr if absent.
  const std::string* header(std::string_view lower_name) const {
    for (const auto& [name, value] : headers) {
      if (name == lower_name) return &value;
    }
    return nullptr;
  }
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  HttpHeaders headers;  // extra headers, e.g. {"Retry-After", "5"}; the server sets the framing
};

// {"error":"<code>","message":"<message>"} with the given status: the one error body shape of
// omniroute's HTTP surface. Defined in server.cc.
HttpResponse json_error(int status, std::string_view code, std::string_view message);

// Completes a request. Call it exactly once, from any thread; later calls are ignored and
// logged. If every copy is destroyed without a call, the client gets a 500.
using Responder = std::function<void(HttpResponse)>;

// Called on the connection's strand; it must not block. It may answer at once or keep the
// responder and answer later (e.g. from a Redis callback on another thread).
using HttpHandler = std::function<void(HttpRequest&&, Responder)>;

}  // namespace omniroute::daemon
