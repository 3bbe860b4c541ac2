// Answering a call: JSON bodies, error bodies, Retry-After on 503.
#include "api/call.h"

#include <boost/json/serialize.hpp>

namespace omniroute::api {

void reply_raw(Call& call, int status, std::string json_body) {
  daemon::HttpResponse r{status, "application/json", std::move(json_body), {}};
  r.headers.emplace_back("Cache-Control", "no-store");
  if (status == 503) r.headers.emplace_back("Retry-After", "1");
  call.respond(std::move(r));
}

void reply_json(Call& call, int status, const boost::json::value& body) {
  reply_raw(call, status, boost::json::serialize(body));
}

void reply_error(Call& call, int status, std::string_view code, std::string_view message) {
  reply_raw(call, status, daemon::json_error(status, code, message).body);
}

void reply_error(Call& call, const Error& error) {
  const int status = http_status(error.code);
  reply_error(call, status, to_string(error.code), error.message);
}

}  // namespace omniroute::api
