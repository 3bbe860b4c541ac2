// Blocking test HTTP client: POSIX sockets with poll() deadlines, Beast's parser for replies (so
// the tests do not trust a hand-rolled parser), nothing asynchronous.
#include "tests/support/http_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace omniroute::testing {

namespace beast = boost::beast;
namespace http = beast::http;
using Clock = std::chrono::steady_clock;

namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

int connect_to(std::uint16_t port, const std::string& host) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) fail("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, host.c_str(), &addr.sin_addr) != 1) {
    ::close(fd);
    throw std::runtime_error("not an IPv4 address: " + host);
  }
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
  }
  return fd;
}

int millis_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::max<std::int64_t>(left.count(), 0));
}

// Waits for input (or close) until the deadline; false on timeout.
bool readable(int fd, Clock::time_point deadline) {
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int n = ::poll(&p, 1, millis_left(deadline));
    if (n > 0) return true;
    if (n == 0) return false;
    if (errno != EINTR) fail("poll");
  }
}

HttpReply to_reply(http::response<http::string_body>&& msg) {
  HttpReply reply;
  reply.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg) {
    reply.headers.emplace_back(lower(std::string(field.name_string())), std::string(field.value()));
  }
  reply.body = std::move(msg.body());
  return reply;
}

// Feeds `pending` to the parser; returns true once a whole response is parsed. Consumed bytes
// leave `pending`, so bytes of a following response stay for the next call.
bool feed(http::response_parser<http::string_body>& parser, std::string& pending) {
  while (!pending.empty() && !parser.is_done()) {
    beast::error_code ec;
    std::size_t used = parser.put(boost::asio::buffer(pending), ec);
    pending.erase(0, used);
    if (ec == http::error::need_more) break;
    if (ec) throw std::runtime_error("bad HTTP response: " + ec.message());
    if (used == 0) break;
  }
  return parser.is_done();
}

HttpReply read_one(TcpConnection& tcp, std::string& pending, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  parser.body_limit(64 * 1024 * 1024);
  while (!feed(parser, pending)) {
    std::string chunk = tcp.read_some(std::chrono::milliseconds(millis_left(deadline)));
    if (chunk.empty()) {
      // Beast treats EOF before any byte as a complete (default, 200) message: refuse it.
      if (!parser.got_some()) throw std::runtime_error("connection closed before any response");
      beast::error_code ec;
      parser.put_eof(ec);
      if (ec || !parser.is_done()) {
        throw std::runtime_error("connection closed before a complete HTTP response");
      }
      break;
    }
    pending += chunk;
  }
  return to_reply(parser.release());
}

}  // namespace

std::string HttpReply::header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return "";
}

bool HttpReply::has_header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return true;
  }
  return false;
}

HttpReply parse_http_reply(std::string_view raw) {
  http::response_parser<http::string_body> parser;
  parser.eager(true);
  std::string pending(raw);
  if (!feed(parser, pending)) {
    beast::error_code ec;
    parser.put_eof(ec);
    if (ec || !parser.is_done()) {
      throw std::runtime_error("no complete HTTP response in: " + std::string(raw));
    }
  }
  return to_reply(parser.release());
}

TcpConnection::TcpConnection(std::uint16_t port, const std::string& host)
    : fd_(connect_to(port, host)) {
  if (fd_ < 0) fail("connect to " + host + ":" + std::to_string(port));
  // A server that stops reading must not hang a test forever in send().
  timeval limit{10, 0};
  ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &limit, sizeof limit);
}

TcpConnection::~TcpConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void TcpConnection::send(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("send");
    }
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

void TcpConnection::shutdown_write() {
  ::shutdown(fd_, SHUT_WR);
}

std::string TcpConnection::read_some(std::chrono::milliseconds timeout, std::size_t max) {
  if (!readable(fd_, Clock::now() + timeout)) {
    throw std::runtime_error("timed out waiting for the server");
  }
  std::string out(max, '\0');
  for (;;) {
    ssize_t n = ::recv(fd_, out.data(), out.size(), 0);
    if (n >= 0) {
      out.resize(static_cast<std::size_t>(n));
      return out;
    }
    if (errno == ECONNRESET) return "";
    if (errno != EINTR) fail("recv");
  }
}

std::string TcpConnection::read_until_close(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  std::string all;
  for (;;) {
    std::string chunk = read_some(std::chrono::milliseconds(millis_left(deadline)));
    if (chunk.empty()) return all;
    all += chunk;
  }
}

bool TcpConnection::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  for (;;) {
    if (!readable(fd_, deadline)) return false;
    if (read_some(std::chrono::milliseconds(0)).empty()) return true;
  }
}

bool can_connect(std::uint16_t port, const std::string& host) {
  int fd = connect_to(port, host);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

HttpConnection::HttpConnection(std::uint16_t port, const std::string& host)
    : tcp_(port, host), host_(host + ":" + std::to_string(port)) {}

HttpReply HttpConnection::request(std::string_view method, std::string_view target,
                                  const HeaderList& headers, std::string_view body) {
  std::string head = std::string(method) + " " + std::string(target) + " HTTP/1.1\r\n";
  head += "Host: " + host_ + "\r\n";
  bool expect_continue = false;
  for (const auto& [name, value] : headers) {
    head += name + ": " + value + "\r\n";
    if (lower(name) == "expect" && lower(value) == "100-continue") expect_continue = true;
  }
  if (!body.empty() || method == "POST" || method == "PUT") {
    head += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  head += "\r\n";
  if (!expect_continue) {
    tcp_.send(head + std::string(body));
    return read_reply();
  }
  tcp_.send(head);
  HttpReply interim = read_reply();
  if (interim.status != 100) return interim;  // the server answered without wanting the body
  tcp_.send(body);
  return read_reply();
}

HttpReply HttpConnection::read_reply(std::chrono::milliseconds timeout) {
  return read_one(tcp_, pending_, timeout);
}

HttpReply http_request(std::uint16_t port, std::string_view method, std::string_view target,
                       const HeaderList& headers, std::string_view body) {
  HttpConnection connection(port);
  return connection.request(method, target, headers, body);
}

std::string send_raw(std::uint16_t port, std::string_view bytes,
                     std::chrono::milliseconds timeout) {
  TcpConnection tcp(port);
  tcp.send(bytes);
  return tcp.read_until_close(timeout);
}

}  // namespace omniroute::testing
