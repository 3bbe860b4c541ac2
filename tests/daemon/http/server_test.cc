// Specification of the daemon's HTTP server over real loopback sockets: what handlers see,
// keep-alive, asynchronous answers, limits, timeouts, capacity and graceful drain.
#include "daemon/http/server.h"

#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "tests/support/http_client.h"

using namespace omniroute;
using namespace omniroute::daemon;
using namespace std::chrono_literals;
using omniroute::testing::can_connect;
using omniroute::testing::HttpConnection;
using omniroute::testing::parse_http_reply;
using omniroute::testing::send_raw;
using omniroute::testing::TcpConnection;

namespace {

HttpResponse text(int status, std::string body) {
  HttpResponse response;
  response.status = status;
  response.content_type = "text/plain";
  response.body = std::move(body);
  return response;
}

HttpServerOptions test_options() {
  HttpServerOptions options;
  options.threads = 2;
  options.read_timeout = 5s;
  options.idle_timeout = 10s;
  return options;
}

// A started server plus what its handler saw. The handler answers "ok" unless one is given.
struct TestServer {
  explicit TestServer(HttpServerOptions options = test_options(), HttpHandler handler = {}) {
    if (!handler) {
      handler = [this](HttpRequest&& request, Responder respond) {
        record(std::move(request));
        respond(text(200, "ok"));
      };
    }
    server = std::make_unique<HttpServer>(options, std::move(handler), logger, metrics);
    server->start();
  }

  void record(HttpRequest&& request) {
    std::lock_guard lock(mutex);
    seen.push_back(std::move(request));
  }
  std::size_t handled() {
    std::lock_guard lock(mutex);
    return seen.size();
  }
  std::uint64_t rejected(const char* reason) {
    return metrics.counter("omniroute_http_rejected_total", "", {{"reason", reason}}).value();
  }
  std::uint16_t port() const { return server->port(); }

  Logger logger{LogLevel::error};
  Metrics metrics;
  std::mutex mutex;
  std::vector<HttpRequest> seen;
  std::unique_ptr<HttpServer> server;
};

// Polls `done` until it holds or 10 s pass: for state the server's threads change after the
// client has seen its answer (a reservation is given back just after the response is written).
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

// A server with a 10 000-byte body budget whose handler keeps the responder of requests to
// /hold (their bodies stay in flight) and answers the rest at once.
struct BudgetServer {
  static HttpServerOptions options() {
    auto o = test_options();
    o.max_in_flight_body_bytes = 10'000;
    return o;
  }
  BudgetServer()
      : t(options(), [this](HttpRequest&& request, Responder respond) {
          const bool hold = request.path == "/hold";
          t.record(std::move(request));
          if (hold) {
            std::lock_guard lock(mutex);
            held.push_back(std::move(respond));
          } else {
            respond(text(200, "ok"));
          }
        }) {}

  std::size_t holding() {
    std::lock_guard lock(mutex);
    return held.size();
  }
  void answer_held() {
    std::vector<Responder> responders;
    {
      std::lock_guard lock(mutex);
      responders.swap(held);
    }
    for (auto& respond : responders) respond(text(200, "held"));
  }
  std::size_t in_flight() { return t.server->in_flight_body_bytes(); }
  std::int64_t gauge() {
    return t.metrics.gauge("omniroute_http_in_flight_body_bytes", "").value();
  }

  // The server first: it outlives the responders it made (no request arrives before the
  // constructor returns, so the handler never sees the members below unconstructed).
  TestServer t;
  std::mutex mutex;
  std::vector<Responder> held;
};

}  // namespace

TEST_CASE("a handler sees the method, path, query, lower-cased headers, body and peer") {
  TestServer t;
  HttpConnection client(t.port());
  auto reply = client.request("POST", "/webhooks/twilio?tenant=acme&x=1",
                              {{"X-Twilio-Signature", "abc="}, {"Content-Type", "text/plain"}},
                              "Body=hello");
  REQUIRE(reply.status == 200);
  REQUIRE(reply.body == "ok");
  REQUIRE(reply.header("content-length") == "2");
  REQUIRE(t.handled() == 1);
  const HttpRequest& seen = t.seen[0];
  CHECK(seen.method == "POST");
  CHECK(seen.target == "/webhooks/twilio?tenant=acme&x=1");
  CHECK(seen.path == "/webhooks/twilio");
  CHECK(seen.query == "tenant=acme&x=1");
  REQUIRE(seen.header("x-twilio-signature") != nullptr);
  CHECK(*seen.header("x-twilio-signature") == "abc=");
  CHECK(*seen.header("content-type") == "text/plain");
  CHECK(seen.body == "Body=hello");
  CHECK(seen.remote_address == "127.0.0.1");
  CHECK(seen.remote_port != 0);
  CHECK(seen.version == 11);
}

TEST_CASE("a handler's status, content type and extra headers reach the client") {
  TestServer t(test_options(), [](HttpRequest&&, Responder respond) {
    HttpResponse response = json_error(503, "unavailable", "redis is down");
    response.headers.emplace_back("Retry-After", "5");
    respond(std::move(response));
  });
  auto reply = omniroute::testing::http_request(t.port(), "GET", "/");
  REQUIRE(reply.status == 503);
  CHECK(reply.header("content-type") == "application/json");
  CHECK(reply.header("retry-after") == "5");
  CHECK(reply.body == R"({"error":"unavailable","message":"redis is down"})");
}

TEST_CASE("one keep-alive connection carries 100 requests") {
  TestServer t;
  HttpConnection client(t.port());
  for (int i = 0; i < 100; ++i) {
    auto reply = client.request("GET", "/n?i=" + std::to_string(i));
    REQUIRE(reply.status == 200);
    REQUIRE(reply.header("connection") != "close");
  }
  REQUIRE(t.handled() == 100);
  for (const auto& request : t.seen) REQUIRE(request.remote_port == t.seen[0].remote_port);
  CHECK(t.metrics.gauge("omniroute_http_connections", "").value() == 1);
}

TEST_CASE("pipelined requests are answered one at a time, in order") {
  TestServer t(test_options(),
               [](HttpRequest&& request, Responder respond) { respond(text(200, request.path)); });
  HttpConnection client(t.port());
  client.tcp().send(
      "GET /first HTTP/1.1\r\nHost: a\r\n\r\nGET /second HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(client.read_reply().body == "/first");
  CHECK(client.read_reply().body == "/second");
}

TEST_CASE("a handler may answer later from another thread") {
  std::mutex mutex;
  std::vector<std::thread> workers;
  std::vector<std::thread::id> handler_threads;
  TestServer t(test_options(), [&](HttpRequest&& request, Responder respond) {
    std::lock_guard lock(mutex);
    handler_threads.push_back(std::this_thread::get_id());
    workers.emplace_back([respond = std::move(respond), body = request.body] {
      respond(
          text(202, "later:" + body + ":" +
                        std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id()))));
    });
  });
  HttpConnection client(t.port());
  for (int i = 0; i < 10; ++i) {
    auto reply = client.request("POST", "/async", {}, std::to_string(i));
    REQUIRE(reply.status == 202);
    REQUIRE(reply.body.rfind("later:" + std::to_string(i) + ":", 0) == 0);
    auto answered_by = reply.body.substr(reply.body.rfind(':') + 1);
    std::lock_guard lock(mutex);
    REQUIRE(answered_by != std::to_string(std::hash<std::thread::id>{}(handler_threads.back())));
  }
  for (auto& worker : workers) worker.join();
}

TEST_CASE("a responder dropped without an answer produces a 500") {
  TestServer t(test_options(), [](HttpRequest&&, Responder) {});
  HttpConnection client(t.port());
  auto reply = client.request("GET", "/");
  REQUIRE(reply.status == 500);
  CHECK(reply.body.find("\"internal\"") != std::string::npos);
  CHECK(client.request("GET", "/").status == 500);  // the connection is still usable
}

TEST_CASE("a responder dropped later on another thread produces a 500") {
  std::promise<Responder> held;
  TestServer t(test_options(),
               [&](HttpRequest&&, Responder respond) { held.set_value(std::move(respond)); });
  std::thread dropper([future = held.get_future()]() mutable {
    REQUIRE(future.wait_for(10s) == std::future_status::ready);
    Responder unused = future.get();
  });
  auto reply = omniroute::testing::http_request(t.port(), "GET", "/");
  dropper.join();
  REQUIRE(reply.status == 500);
}

TEST_CASE("a handler that throws produces a 500 and the connection stays usable") {
  TestServer t(test_options(),
               [](HttpRequest&&, Responder) { throw std::runtime_error("handler bug"); });
  HttpConnection client(t.port());
  CHECK(client.request("GET", "/").status == 500);
  CHECK(client.request("GET", "/").status == 500);
}

TEST_CASE("a responder called twice answers once") {
  TestServer t(test_options(), [](HttpRequest&&, Responder respond) {
    respond(text(200, "first"));
    respond(text(200, "second"));
  });
  HttpConnection client(t.port());
  CHECK(client.request("GET", "/").body == "first");
  CHECK(client.request("GET", "/").body == "first");
}

TEST_CASE("a body over max_body_bytes gets 413 and never reaches the handler") {
  auto options = test_options();
  options.max_body_bytes = 1024;
  TestServer t(options);

  SECTION("declared by Content-Length") {
    HttpConnection client(t.port());
    auto reply = client.request("POST", "/", {}, std::string(4096, 'x'));
    REQUIRE(reply.status == 413);
    CHECK(reply.body.find("\"error\":\"too_large\"") != std::string::npos);
    CHECK(reply.header("connection") == "close");
    CHECK(client.tcp().wait_closed());
  }
  SECTION("sent chunked") {
    std::string chunk(2000, 'y');
    auto raw = send_raw(t.port(),
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n7d0\r\n" +
                            chunk + "\r\n0\r\n\r\n");
    REQUIRE(parse_http_reply(raw).status == 413);
  }
  SECTION("announced with Expect: 100-continue, refused before the body is sent") {
    HttpConnection client(t.port());
    auto reply = client.request("POST", "/", {{"Expect", "100-continue"}}, std::string(4096, 'x'));
    REQUIRE(reply.status == 413);
  }
  CHECK(t.handled() == 0);
  CHECK(t.rejected("too_large") == 1);
}

TEST_CASE("a body exactly at max_body_bytes is accepted") {
  auto options = test_options();
  options.max_body_bytes = 1024;
  TestServer t(options);
  auto reply = omniroute::testing::http_request(t.port(), "POST", "/", {}, std::string(1024, 'x'));
  REQUIRE(reply.status == 200);
  CHECK(t.seen.at(0).body.size() == 1024);
}

TEST_CASE("headers over max_header_bytes get 431") {
  auto options = test_options();
  options.max_header_bytes = 1024;
  TestServer t(options);
  HttpConnection client(t.port());
  auto reply = client.request("GET", "/", {{"X-Big", std::string(4000, 'h')}});
  REQUIRE(reply.status == 431);
  CHECK(reply.body.find("\"error\":\"header_too_large\"") != std::string::npos);
  CHECK(client.tcp().wait_closed());
  CHECK(t.handled() == 0);
  CHECK(t.rejected("header_too_large") == 1);
}

TEST_CASE("garbage bytes get 400 and the connection closes") {
  TestServer t;
  auto raw = send_raw(t.port(), "\x01\x02\xff garbage\r\n\r\n");
  auto reply = parse_http_reply(raw);  // send_raw returned: the server closed
  REQUIRE(reply.status == 400);
  CHECK(reply.body.find("\"error\":\"malformed\"") != std::string::npos);
  CHECK(t.handled() == 0);
  CHECK(t.rejected("malformed") == 1);
}

TEST_CASE("a request with a bad Content-Length gets 400") {
  TestServer t;
  auto raw = send_raw(t.port(), "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12abc\r\n\r\n");
  REQUIRE(parse_http_reply(raw).status == 400);
  CHECK(t.handled() == 0);
}

TEST_CASE("a client that sends half a request and stalls is cut off after read_timeout") {
  auto options = test_options();
  options.read_timeout = 300ms;
  TestServer t(options);
  TcpConnection client(t.port());

  SECTION("stalled in the headers") {
    client.send("POST /x HTTP/1.1\r\nHost: a\r\nX-Slo");
  }
  SECTION("stalled in the body") {
    client.send("POST /x HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\nhalf");
  }
  REQUIRE(client.wait_closed(10s));
  // The stream's timer closes the socket before the session counts; wait for the session.
  REQUIRE(t.server->wait_drained(10s));
  CHECK(t.handled() == 0);
  CHECK(t.rejected("timeout") == 1);
}

TEST_CASE("an idle keep-alive connection is closed after idle_timeout") {
  auto options = test_options();
  options.idle_timeout = 300ms;
  TestServer t(options);
  HttpConnection client(t.port());
  REQUIRE(client.request("GET", "/").status == 200);
  REQUIRE(client.tcp().wait_closed(10s));
  CHECK(t.rejected("timeout") == 0);  // idling is not an offence
}

TEST_CASE("connections beyond max_connections are closed at once and counted") {
  auto options = test_options();
  options.max_connections = 1;
  TestServer t(options);
  HttpConnection first(t.port());
  REQUIRE(first.request("GET", "/").status == 200);

  TcpConnection second(t.port());
  REQUIRE(second.wait_closed());
  CHECK(t.rejected("over_capacity") == 1);
  CHECK(first.request("GET", "/").status == 200);  // the admitted one is unaffected
}

TEST_CASE("the response head: exact bytes, unsafe handler headers dropped, 204 without a length") {
  TestServer t(test_options(), [](HttpRequest&& request, Responder respond) {
    HttpResponse response = text(request.path == "/empty" ? 204 : 201, "made");
    response.headers.emplace_back("X-Id", "42");
    if (request.path == "/unsafe") {
      response.content_type = "text/plain\r\nSet-Cookie: a=b";
      response.headers.emplace_back("X-Split", "a\r\nInjected: yes");
      response.headers.emplace_back("Content-Length", "999");
    }
    respond(std::move(response));
  });
  SECTION("the bytes on the wire") {
    CHECK(send_raw(t.port(), "GET / HTTP/1.1\r\nConnection: close\r\n\r\n") ==
          "HTTP/1.1 201 Created\r\nServer: omniroute\r\nContent-Type: text/plain\r\n"
          "X-Id: 42\r\nContent-Length: 4\r\nConnection: close\r\n\r\nmade");
  }
  SECTION("headers a handler must not set are dropped, the rest of the answer stands") {
    auto reply = omniroute::testing::http_request(t.port(), "GET", "/unsafe");
    REQUIRE(reply.status == 201);
    CHECK(reply.body == "made");
    CHECK(reply.header("x-id") == "42");
    CHECK(reply.header("content-length") == "4");
    CHECK(reply.header("content-type").empty());
    CHECK(reply.header("set-cookie").empty());
    CHECK(reply.header("x-split").empty());
    CHECK(reply.header("injected").empty());
  }
  SECTION("204 has no body and no Content-Length; the connection stays usable") {
    HttpConnection client(t.port());
    for (int i = 0; i < 2; ++i) {
      auto reply = client.request("GET", "/empty");
      REQUIRE(reply.status == 204);
      CHECK(reply.body.empty());
      CHECK(reply.header("content-length").empty());
    }
  }
}

TEST_CASE("HTTP/1.0 closes after the response unless the client asks for keep-alive") {
  TestServer t;
  SECTION("plain HTTP/1.0") {
    auto raw = send_raw(t.port(), "GET / HTTP/1.0\r\n\r\n");  // returns once the server closed
    auto reply = parse_http_reply(raw);
    REQUIRE(reply.status == 200);
    CHECK(reply.body == "ok");
  }
  SECTION("HTTP/1.0 with Connection: keep-alive") {
    HttpConnection client(t.port());
    for (int i = 0; i < 2; ++i) {
      client.tcp().send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
      auto reply = client.read_reply();
      REQUIRE(reply.status == 200);
      CHECK(reply.header("connection") == "keep-alive");
    }
  }
}

TEST_CASE("an HTTP/1.1 client's Connection: close is honoured") {
  TestServer t;
  HttpConnection client(t.port());
  auto reply = client.request("GET", "/", {{"Connection", "close"}});
  REQUIRE(reply.status == 200);
  CHECK(reply.header("connection") == "close");
  CHECK(client.tcp().wait_closed());
}

TEST_CASE("Expect: 100-continue gets a 100 before the body is sent") {
  TestServer t;
  HttpConnection client(t.port());
  // The client sends the body only after reading a 100 response, as curl does.
  auto reply =
      client.request("POST", "/upload", {{"Expect", "100-continue"}}, std::string(5000, 'b'));
  REQUIRE(reply.status == 200);
  REQUIRE(t.handled() == 1);
  CHECK(t.seen[0].body == std::string(5000, 'b'));
  CHECK(client.request("GET", "/").status == 200);
}

TEST_CASE("draining refuses new connections, closes idle ones and lets in-flight ones finish") {
  std::promise<Responder> held;
  TestServer t(test_options(), [&](HttpRequest&& request, Responder respond) {
    if (request.path == "/slow") {
      held.set_value(std::move(respond));
    } else {
      respond(text(200, "fast"));
    }
  });
  HttpConnection idle(t.port());
  REQUIRE(idle.request("GET", "/fast").status == 200);
  HttpConnection in_flight(t.port());
  in_flight.tcp().send("GET /slow HTTP/1.1\r\nHost: a\r\n\r\n");
  auto responder_future = held.get_future();
  REQUIRE(responder_future.wait_for(10s) == std::future_status::ready);
  Responder respond = responder_future.get();

  t.server->begin_drain();
  CHECK_FALSE(can_connect(t.port()));
  CHECK(idle.tcp().wait_closed());
  CHECK_FALSE(t.server->wait_drained(0ms));  // the in-flight request holds it open

  respond(text(200, "done"));
  auto reply = in_flight.read_reply();
  CHECK(reply.status == 200);
  CHECK(reply.body == "done");
  CHECK(reply.header("connection") == "close");
  CHECK(in_flight.tcp().wait_closed());
  CHECK(t.server->wait_drained(10s));
  CHECK(t.server->connections() == 0);
}

TEST_CASE("a port already in use fails start() with a clear message") {
  TestServer first;
  auto options = test_options();
  options.port = first.port();
  Logger logger{LogLevel::error};
  Metrics metrics;
  HttpServer second(
      options, [](HttpRequest&&, Responder) {}, logger, metrics);
  try {
    second.start();
    FAIL("start() should have thrown");
  } catch (const std::runtime_error& e) {
    std::string message = e.what();
    CHECK(message.find("cannot listen") != std::string::npos);
    CHECK(message.find(std::to_string(first.port())) != std::string::npos);
  }
}

TEST_CASE("a body that would take the in-flight total over the budget gets 503 and no handler") {
  BudgetServer b;
  HttpConnection holder(b.t.port());
  holder.tcp().send("POST /hold HTTP/1.1\r\nHost: a\r\nContent-Length: 6000\r\n\r\n" +
                    std::string(6000, 'h'));
  REQUIRE(eventually([&] { return b.holding() == 1; }));
  CHECK(b.in_flight() == 6000);
  CHECK(b.gauge() == 6000);

  SECTION("declared by Content-Length: refused before the body is read, and closed") {
    HttpConnection client(b.t.port());
    auto reply = client.request("POST", "/", {}, std::string(5000, 'x'));
    REQUIRE(reply.status == 503);
    CHECK(reply.header("retry-after") == "1");
    CHECK(reply.header("connection") == "close");
    CHECK(reply.body.find("\"error\":\"memory_budget\"") != std::string::npos);
    CHECK(client.tcp().wait_closed());
  }
  SECTION("announced with Expect: 100-continue: refused instead of a 100") {
    HttpConnection client(b.t.port());
    auto reply = client.request("POST", "/", {{"Expect", "100-continue"}}, std::string(5000, 'x'));
    REQUIRE(reply.status == 503);
    CHECK(reply.header("retry-after") == "1");
  }
  SECTION("sent chunked: refused at the chunk that does not fit, the chunks before given back") {
    auto raw = send_raw(b.t.port(),
                        "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
                        "7d0\r\n" +
                            std::string(2000, 'c') +
                            "\r\n"  // 2000 bytes: fits
                            "bb8\r\n" +
                            std::string(3000, 'c') +
                            "\r\n"  // 3000 more: over
                            "0\r\n\r\n");
    auto reply = parse_http_reply(raw);
    REQUIRE(reply.status == 503);
    CHECK(reply.header("connection") == "close");
  }
  CHECK(b.t.handled() == 1);  // only the held request
  CHECK(b.t.rejected("memory_budget") == 1);
  CHECK(eventually([&] { return b.in_flight() == 6000; }));  // the refused one holds nothing

  // What still fits passes meanwhile; once the held request is answered the budget is whole.
  CHECK(omniroute::testing::http_request(b.t.port(), "POST", "/", {}, std::string(4000, 'y'))
            .status == 200);
  b.answer_held();
  CHECK(holder.read_reply().body == "held");
  REQUIRE(eventually([&] { return b.in_flight() == 0; }));
  CHECK(b.gauge() == 0);
  auto retried =
      omniroute::testing::http_request(b.t.port(), "POST", "/", {}, std::string(9000, 'z'));
  CHECK(retried.status == 200);
  CHECK(eventually([&] { return b.in_flight() == 0; }));
}

TEST_CASE("a keep-alive connection gives its body's reservation back after each response") {
  BudgetServer b;
  HttpConnection client(b.t.port());
  for (int i = 0; i < 5; ++i) {
    REQUIRE(client.request("POST", "/", {}, std::string(9000, 'k')).status == 200);
  }
  CHECK(b.t.handled() == 5);
  CHECK(b.t.rejected("memory_budget") == 0);
  CHECK(eventually([&] { return b.in_flight() == 0; }));
}

TEST_CASE("a client that disconnects mid-body gives its reservation back") {
  BudgetServer b;
  {
    TcpConnection client(b.t.port());
    client.send("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 8000\r\n\r\nonly the start");
    REQUIRE(eventually([&] { return b.in_flight() == 8000; }));
  }  // closed here, 7986 bytes short
  REQUIRE(eventually([&] { return b.in_flight() == 0; }));
  CHECK(b.t.handled() == 0);
  auto reply =
      omniroute::testing::http_request(b.t.port(), "POST", "/", {}, std::string(8000, 'a'));
  CHECK(reply.status == 200);
}

TEST_CASE("a chunked body that stalls past read_timeout gives its reservation back") {
  auto options = BudgetServer::options();
  options.read_timeout = 300ms;
  TestServer t(options);
  TcpConnection client(t.port());
  client.send("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n1f40\r\nstart");
  REQUIRE(eventually([&] { return t.server->in_flight_body_bytes() == 8000; }));
  REQUIRE(client.wait_closed(10s));
  REQUIRE(eventually([&] { return t.server->in_flight_body_bytes() == 0; }));
  CHECK(t.rejected("timeout") == 1);
}
