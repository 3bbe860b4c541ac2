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
