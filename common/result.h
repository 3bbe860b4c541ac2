// The one error model of omniroute: functions on the request path return Result<T>
// and never throw; exceptions are kept for start-up, where a bad config stops the process.
#pragma once

#include <boost/system/result.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

namespace omniroute {

// What went wrong, coarse enough to pick an HTTP status or a retry policy from.
enum class Errc {
  invalid_input,  // malformed, truncated or semantically wrong input: 400
  too_large,      // over a configured limit: 413
  unauthorized,   // missing or forged credentials/signature: 401/403 (vendor decides)
  forbidden,      // authenticated but not allowed: 403
  not_found,      // 404
  conflict,       // state does not allow it (e.g. already accepted): 409
  unavailable,    // a dependency (Redis) is down; the caller should retry: 503
  timeout,        // a dependency did not answer in time: 503
  internal,       // a bug or an impossible state: 500
};

struct Error {
  Errc code;
  std::string message;  // for logs and the JSON error body; never contains secrets
};

template <class T>
using Result = boost::system::result<T, Error>;

inline Error make_error(Errc code, std::string message) {
  return Error{code, std::move(message)};
}

std::string_view to_string(Errc code);
int http_status(Errc code);

// Lets Result<T>::value() throw at start-up; the request path checks has_value() instead.
class ErrorException : public std::runtime_error {
 public:
  explicit ErrorException(Error e) : std::runtime_error(e.message), error_(std::move(e)) {}
  const Error& error() const { return error_; }

 private:
  Error error_;
};

[[noreturn]] inline void throw_exception_from_error(const Error& e, const boost::source_location&) {
  throw ErrorException(e);
}

}  // namespace omniroute
