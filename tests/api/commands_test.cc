// Commands through Redis: a command nobody answers is a 504 at the timeout; a result on the
// results stream is relayed as the answer (here written by the test standing in for a router).
#include <boost/json/parse.hpp>
#include <thread>

#include "tests/api/api_fixture.h"

using namespace omniroute;
using namespace omniroute::testing;
using namespace omniroute::testing::api_routes;
namespace json = boost::json;

TEST_CASE("a command no router answers gets 504 after api.command_timeout") {
  ApiFixture f(false);
  auto r = f.call("POST", "/api/v1/tenants/quiet/contacts/c1/close", "quiet-token",
                  R"({"reason":"stuck"})");
  CHECK(r.status == 504);
  CHECK(json::parse(r.body).at("error").as_string() == "timeout");
  // The command is on the stream with its expiry, so a router reading it later refuses it.
  auto entries = f.redis.xrange("omni:{quiet}:commands");
  REQUIRE(entries.size() == 1);
  auto command = json::parse(entries[0].second.at(3)).as_object();
  CHECK(command.at("op").as_string() == "close");
  CHECK(command.at("actor").as_string() == "q");
  CHECK(command.at("role").as_string() == "supervisor");
  CHECK(command.at("expires_ms").as_int64() == 1'700'000'000'300);
}

TEST_CASE("a command that cannot reach Redis is 503 at once, not a wait for the timeout") {
  ApiFixture f(false);
  f.redis.stop();
  REQUIRE(eventually([&] { return !f.redis_client->ready(); }));
  auto r = f.call("POST", "/api/v1/tenants/quiet/contacts/c1/close", "quiet-token",
                  R"({"reason":"stuck"})");
  CHECK(r.status == 503);
  CHECK(json::parse(r.body).at("error").as_string() == "unavailable");
}

TEST_CASE("the router's result for a command is the HTTP answer") {
  ApiFixture f(false);
  f.api->update_config([] {
    auto c = api_config();
    c.command_timeout = std::chrono::seconds(10);
    return c;
  }());
  // A stand-in router: waits for the command, then writes its result.
  std::thread router([&] {
    REQUIRE(eventually([&] { return f.redis.xlen("omni:{quiet}:commands") == 1; }));
    auto entry = f.redis.xrange("omni:{quiet}:commands").at(0);
    auto command = json::parse(entry.second.at(3)).as_object();
    CHECK(command.at("op").as_string() == "accept");
    CHECK(command.at("agent").as_string() == "qa");
    CHECK(command.at("contact").as_string() == "c9");
    f.redis.command({"XADD", "omni:{quiet}:results", "*", "id", entry.second.at(1), "status", "409",
                     "body", R"({"error":"conflict","message":"offer expired"})"});
  });
  auto r = f.call("POST", "/api/v1/tenants/quiet/contacts/c9/accept", "quiet-agent");
  router.join();
  CHECK(r.status == 409);
  CHECK(json::parse(r.body).at("message").as_string() == "offer expired");
}

TEST_CASE("accept, reject, complete and reply are refused to supervisors, who hold no contact") {
  ApiFixture f(false);
  auto r = f.call("POST", "/api/v1/tenants/quiet/contacts/c1/accept", "quiet-token");
  CHECK(r.status == 403);
  CHECK(f.redis.xlen("omni:{quiet}:commands") == 0);
}

namespace {

const std::string kT = "/api/v1/tenants/demo";

json::object body_of(const HttpReply& r) {
  INFO(r.status << " " << r.body);
  return json::parse(r.body).as_object();
}

}  // namespace

TEST_CASE("an agent signs in, accepts, replies and completes through the router") {
  ApiFixture f;
  f.api->update_config([] {
    auto c = api_config();
    c.command_timeout = std::chrono::seconds(10);
    return c;
  }());
  f.route_sms("c1", "+15550001111");  // offered to ana, the only one available
  auto signed_in = f.call("POST", kT + "/agents/bob/sign-in", "bob-token");
  REQUIRE(signed_in.status == 200);
  CHECK(body_of(signed_in).at("presence").as_string() == "away");
  auto available =
      f.call("PUT", kT + "/agents/bob/presence", "bob-token", R"({"presence":"available"})");
  CHECK(body_of(available).at("presence").as_string() == "available");
  CHECK(f.call("POST", kT + "/contacts/c1/accept", "bob-token").status == 409);
  auto accepted = f.call("POST", kT + "/contacts/c1/accept", "ana-token");
  REQUIRE(accepted.status == 200);
  CHECK(body_of(accepted).at("status").as_string() == "active");
  auto reply = f.call("POST", kT + "/contacts/c1/reply", "ana-token", R"({"text":"hi there"})");
  REQUIRE(reply.status == 200);
  CHECK(body_of(reply).at("duplicate").as_bool() == false);
  auto completed =
      f.call("POST", kT + "/contacts/c1/complete", "ana-token", R"({"wrap_up_code":"solved"})");
  REQUIRE(completed.status == 200);
  CHECK(body_of(completed).at("status").as_string() == "completed");
  auto trail = body_of(f.get(kT + "/contacts/c1/trail", "sup-token")).at("events").as_array();
  std::vector<std::string> kinds;
  for (const auto& e : trail) kinds.emplace_back(e.at("kind").as_string());
  CHECK(kinds == std::vector<std::string>{"queued", "offered", "accepted", "completed"});
  const auto customer =
      std::string(body_of(f.get(kT + "/contacts/c1", "sup-token")).at("customer_id").as_string());
  auto lines = body_of(f.get(kT + "/customers/" + customer + "/history", "sup-token"))
                   .at("lines")
                   .as_array();
  REQUIRE(lines.size() == 2);
  CHECK(lines[1].at("direction").as_string() == "out");
  CHECK(lines[1].at("text").as_string() == "hi there");
}

TEST_CASE("supervisors transfer, close and change agents; admins reload the rules") {
  ApiFixture f;
  f.api->update_config([] {
    auto c = api_config();
    c.command_timeout = std::chrono::seconds(10);
    return c;
  }());
  f.route_sms("c1", "+15550001111");
  CHECK(f.call("POST", kT + "/contacts/c1/transfer", "sup-token", R"({"agent":"bob"})").status ==
        409);  // bob is offline
  auto moved = f.call("POST", kT + "/contacts/c1/transfer", "sup-token", R"({"queue":"general"})");
  CHECK(moved.status == 200);
  CHECK(f.call("POST", kT + "/contacts/c1/close", "ana-token", R"({"reason":"x"})").status == 403);
  auto closed = f.call("POST", kT + "/contacts/c1/close", "sup-token", R"({"reason":"spam"})");
  REQUIRE(closed.status == 200);
  CHECK(body_of(closed).at("status").as_string() == "completed");
  auto patched = f.call("PATCH", kT + "/agents/bob", "sup-token",
                        R"({"skills":{"english":5},"total_capacity":3})");
  REQUIRE(patched.status == 200);
  CHECK(body_of(patched).at("total_capacity").as_int64() == 3);
  CHECK(f.call("PATCH", kT + "/agents/bob", "bob-token", R"({"total_capacity":9})").status == 403);
  auto reloaded = f.call("POST", kT + "/rules/reload", "admin-token");
  REQUIRE(reloaded.status == 200);
  CHECK(body_of(reloaded).at("version").as_string() == f.rules->version);
}
