// A small blocking HTTP/1.1 client for tests: a keep-alive connection that sends requests and
// parses replies, and raw-socket helpers to send arbitrary bytes and watch the server close.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace omniroute::testing {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct HttpReply {
  int status = 0;
  HeaderList headers;  // names lower-cased, in order received
  std::string body;

  // First value of a header by lower-case name, or "" if absent.
  std::string header(std::string_view lower_name) const;
  bool has_header(std::string_view lower_name) const;
};

// Parses one complete response out of raw bytes (e.g. what send_raw returned). Throws
// std::runtime_error if the bytes do not hold a whole response.
HttpReply parse_http_reply(std::string_view raw);

// A connected TCP socket with deadline-bounded reads, for malformed-input and timeout tests.
// Every failure throws std::runtime_error; no call blocks longer than its timeout.
class TcpConnection {
 public:
  explicit TcpConnection(std::uint16_t port, const std::string& host = "127.0.0.1");
  ~TcpConnection();
  TcpConnection(const TcpConnection&) = delete;
  TcpConnection& operator=(const TcpConnection&) = delete;

  void send(std::string_view bytes);
  void shutdown_write();  // half-close: tells the server we are done sending

  // Up to `max` bytes as soon as some arrive; "" if the peer closed. Throws on timeout.
  std::string read_some(std::chrono::milliseconds timeout, std::size_t max = 65536);
  // Everything until the peer closes. Throws on timeout.
  std::string read_until_close(std::chrono::milliseconds timeout = std::chrono::seconds(5));
  // True if the peer closed (FIN or reset) within the timeout; data arriving meanwhile is
  // dropped.
  bool wait_closed(std::chrono::milliseconds timeout = std::chrono::seconds(5));

  int fd() const { return fd_; }

 private:
  int fd_ = -1;
};

// True if a TCP connection to the port is accepted by the kernel (i.e. something listens).
bool can_connect(std::uint16_t port, const std::string& host = "127.0.0.1");

// One keep-alive HTTP/1.1 connection. request() sends Host and, when there is a body,
// Content-Length; with an "Expect: 100-continue" header it sends the body only after the
// server's 100 Continue, as curl does.
class HttpConnection {
 public:
  explicit HttpConnection(std::uint16_t port, const std::string& host = "127.0.0.1");

  HttpReply request(std::string_view method, std::string_view target,
                    const HeaderList& headers = {}, std::string_view body = {});
  // Reads the next response off the connection (after sending raw bytes through tcp()).
  HttpReply read_reply(std::chrono::milliseconds timeout = std::chrono::seconds(10));

  TcpConnection& tcp() { return tcp_; }

 private:
  TcpConnection tcp_;
  std::string host_;
  std::string pending_;  // bytes read past the end of the previous response
};

// One request on a fresh connection.
HttpReply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                       const HeaderList& headers = {}, std::string_view body = {});

// Sends raw bytes on a fresh connection and returns all the server sent until it closed.
std::string send_raw(std::uint16_t port, std::string_view bytes,
                     std::chrono::milliseconds timeout = std::chrono::seconds(5));

}  // namespace omniroute::testing
