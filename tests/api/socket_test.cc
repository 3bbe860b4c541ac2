// The agent WebSocket over a real upgrade: hello with the current work, an offer the moment the
// router offers a contact, the agent's own replies, and the close (4001) when the token expires.
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <boost/json/parse.hpp>

#include "tests/api/api_fixture.h"

using namespace omniroute;
using namespace omniroute::testing;
using namespace omniroute::testing::api_routes;
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace json = boost::json;
using tcp = asio::ip::tcp;

namespace {

struct Socket {
  Socket(std::uint16_t port, const std::string& target) : ws(io) {
    tcp::resolver resolver(io);
    asio::connect(beast::get_lowest_layer(ws), resolver.resolve("127.0.0.1", std::to_string(port)));
    ws.handshake("127.0.0.1", target);
  }
  json::object read() {
    beast::flat_buffer buffer;
    ws.read(buffer);
    return json::parse(beast::buffers_to_string(buffer.data())).as_object();
  }
  asio::io_context io;
  beast::websocket::stream<tcp::socket> ws;
};

const std::string kSocket = "/api/v1/tenants/demo/agents/ana/socket?access_token=";

}  // namespace

TEST_CASE("the agent socket says hello with the current work, then offers as they happen") {
  ApiFixture f;
  f.route_sms("c1", "+15550001111");
  Socket s(f.server->port(), kSocket + "ana-token");
  auto hello = s.read();
  CHECK(hello.at("type").as_string() == "hello");
  REQUIRE(hello.at("offers").as_array().size() == 1);
  CHECK(hello.at("offers").as_array()[0].at("id").as_string() == "c1");
  f.route_sms("c2", "+15550002222");
  auto offer = s.read();
  CHECK(offer.at("type").as_string() == "offer");
  CHECK(offer.at("contact").at("id").as_string() == "c2");
  CHECK(offer.at("expires_ms").as_int64() == 1'700'000'030'000);  // reservation timeout 30 s
}

TEST_CASE("a socket whose token expires is closed with 4001") {
  ApiFixture f(false);
  const auto token = f.signed_token("ana", api::ApiRole::agent, 1'700'000'060);
  Socket s(f.server->port(), kSocket + token);
  CHECK(s.read().at("type").as_string() == "hello");
  CHECK(f.api->close_expired_sockets() == 0);
  f.clock.advance(std::chrono::seconds(60));
  CHECK(f.api->close_expired_sockets() == 1);
  beast::flat_buffer buffer;
  beast::error_code ec;
  s.ws.read(buffer, ec);
  CHECK(ec == beast::websocket::error::closed);
  CHECK(s.ws.reason().code == 4001);
}

TEST_CASE("a socket for another agent, or without a token, is refused before the upgrade") {
  ApiFixture f(false);
  CHECK_THROWS(Socket(f.server->port(), kSocket + "bob-token"));
  CHECK_THROWS(Socket(f.server->port(), "/api/v1/tenants/demo/agents/ana/socket"));
  CHECK(f.api->open_sockets() == 0);
}

TEST_CASE("the agent socket hears assigned after an accept and closed after a completion") {
  ApiFixture f;
  f.api->update_config([] {
    auto c = api_config();
    c.command_timeout = std::chrono::seconds(10);
    return c;
  }());
  Socket s(f.server->port(), kSocket + "ana-token");
  CHECK(s.read().at("type").as_string() == "hello");
  f.route_sms("c1", "+15550001111");
  CHECK(s.read().at("type").as_string() == "offer");
  REQUIRE(f.call("POST", "/api/v1/tenants/demo/contacts/c1/accept", "ana-token").status == 200);
  auto assigned = s.read();
  CHECK(assigned.at("type").as_string() == "assigned");
  CHECK(assigned.at("contact").at("id").as_string() == "c1");
  REQUIRE(f.call("POST", "/api/v1/tenants/demo/contacts/c1/complete", "ana-token",
                 R"({"wrap_up_code":"done"})")
              .status == 200);
  auto closed = s.read();
  CHECK(closed.at("type").as_string() == "closed");
  CHECK(closed.at("reason").as_string() == "completed");
}

TEST_CASE("the agent's own reply comes back on its socket as a message, once") {
  ApiFixture f;
  f.api->update_config([] {
    auto c = api_config();
    c.command_timeout = std::chrono::seconds(10);
    return c;
  }());
  Socket s(f.server->port(), kSocket + "ana-token");
  CHECK(s.read().at("type").as_string() == "hello");
  f.route_sms("c1", "+15550001111");
  CHECK(s.read().at("type").as_string() == "offer");
  REQUIRE(f.call("POST", "/api/v1/tenants/demo/contacts/c1/accept", "ana-token").status == 200);
  CHECK(s.read().at("type").as_string() == "assigned");
  const std::string body = R"({"text":"hi there","client_id":"k1"})";
  REQUIRE(f.call("POST", "/api/v1/tenants/demo/contacts/c1/reply", "ana-token", body).status ==
          200);
  auto message = s.read();
  CHECK(message.at("type").as_string() == "message");
  CHECK(message.at("contact_id").as_string() == "c1");
  CHECK(message.at("message").at("direction").as_string() == "out");
  CHECK(message.at("message").at("text").as_string() == "hi there");
  // The same client id again sends nothing, so nothing new is pushed: the next message on the
  // socket is the completion's.
  REQUIRE(f.call("POST", "/api/v1/tenants/demo/contacts/c1/reply", "ana-token", body).status ==
          200);
  REQUIRE(f.call("POST", "/api/v1/tenants/demo/contacts/c1/complete", "ana-token",
                 R"({"wrap_up_code":"done"})")
              .status == 200);
  CHECK(s.read().at("type").as_string() == "closed");
}
