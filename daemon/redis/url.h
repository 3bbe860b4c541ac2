// Where Redis is and how to log in, parsed from one URL:
// `redis://[[user]:password@]host[:port][/db]` or `unix://[[user]:password@]/path/to.sock[?db=N]`.
// Bad URLs are refused with the reason.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace omniroute::daemon {

struct RedisEndpoint {
  enum class Kind { tcp, unix_socket };
  Kind kind = Kind::tcp;
  std::string host;           // tcp: name or address (IPv6 without brackets)
  std::uint16_t port = 6379;  // tcp
  std::string socket_path;    // unix_socket
  std::string user;           // ACL user; empty means AUTH <password> only
  std::string password;       // empty means no AUTH
  int db = 0;                 // SELECT db after connecting when non-zero

  // The endpoint for logs: "redis://host:6379/0" or "unix:///run/x.sock?db=0"; never the
  // password.
  std::string describe() const;
};

// Errc::invalid_input with a message naming the part that is wrong. `rediss://` (TLS) is
// refused: hiredis 0.14 has no TLS.
Result<RedisEndpoint> parse_redis_url(std::string_view url);

}  // namespace omniroute::daemon
