#include "common/result.h"

namespace omniroute {

std::string_view to_string(Errc code) {
  switch (code) {
    case Errc::invalid_input:
      return "invalid_input";
    case Errc::too_large:
      return "too_large";
    case Errc::unauthorized:
      return "unauthorized";
    case Errc::forbidden:
      return "forbidden";
    case Errc::not_found:
      return "not_found";
    case Errc::conflict:
      return "conflict";
    case Errc::unavailable:
      return "unavailable";
    case Errc::timeout:
      return "timeout";
    case Errc::internal:
      return "internal";
  }
  return "internal";
}

int http_status(Errc code) {
  switch (code) {
    case Errc::invalid_input:
      return 400;
    case Errc::too_large:
      return 413;
    case Errc::unauthorized:
      return 401;
    case Errc::forbidden:
      return 403;
    case Errc::not_found:
      return 404;
    case Errc::conflict:
      return 409;
    case Errc::unavailable:
      return 503;
    case Errc::timeout:
      return 503;
    case Errc::internal:
      return 500;
  }
  return 500;
}

}  // namespace omniroute
