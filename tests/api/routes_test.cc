// The API's read routes and refusals over real HTTP, against a real Router's records in a real
// redis-server: who may read what, and the shapes of the answers.
#include <boost/json/parse.hpp>

#include "tests/api/api_fixture.h"

using namespace omniroute;
using namespace omniroute::testing;
using namespace omniroute::testing::api_routes;
namespace json = boost::json;

namespace {

const std::string kT = "/api/v1/tenants/demo";

json::object body_of(const HttpReply& r) {
  INFO(r.body);
  return json::parse(r.body).as_object();
}

std::string error_of(const HttpReply& r) {
  return std::string(body_of(r).at("error").as_string());
}

}  // namespace

TEST_CASE("GET /me says who the token is; no token, an unknown token and an expired one are 401") {
  ApiFixture f;
  auto me = body_of(f.get(kT + "/me", "ana-token"));
  CHECK(me.at("role").as_string() == "agent");
  CHECK(me.at("agent").as_string() == "ana");
  auto none = f.get(kT + "/me", "");
  CHECK(none.status == 401);
  CHECK(none.header("www-authenticate") == "Bearer");
  CHECK(f.get(kT + "/me", "nope").status == 401);
  const auto token = f.signed_token("ana", api::ApiRole::agent, 1'700'000'010);
  CHECK(body_of(f.get(kT + "/me", token)).at("expires_ms").as_int64() == 1'700'000'010'000);
  f.clock.advance(std::chrono::seconds(10));
  auto expired = f.get(kT + "/me", token);
  CHECK(expired.status == 401);
  CHECK(body_of(expired).at("message").as_string() == "token expired");
}

TEST_CASE("another tenant's token is a 404 on every route, and the denial is counted") {
  ApiFixture f;
  for (const auto& path : {"/me", "/agents", "/queues", "/contacts/x", "/customers/y"}) {
    INFO(path);
    auto r = f.get("/api/v1/tenants/quiet" + std::string(path), "sup-token");
    CHECK(r.status == 404);
    CHECK(error_of(r) == "not_found");
  }
  CHECK(f.get("/api/v1/tenants/nosuch/me", "sup-token").status == 404);
  const auto metrics = f.metrics.render();
  CHECK(metrics.find("omniroute_api_denied_total{tenant=\"quiet\",reason=\"other_tenant\"} 5") !=
        std::string::npos);
  CHECK(metrics.find("tenant=\"unknown\",reason=\"other_tenant\"} 1") != std::string::npos);
}

TEST_CASE("every answered request is counted by route and status, and timed") {
  ApiFixture f;
  CHECK(f.get(kT + "/me", "ana-token").status == 200);
  CHECK(f.get(kT + "/me", "ana-token").status == 200);
  CHECK(f.get(kT + "/agents", "ana-token").status == 403);
  const auto metrics = f.metrics.render();
  INFO(metrics);
  CHECK(metrics.find("omniroute_api_requests_total{tenant=\"demo\",route=\"/api/v1/tenants/"
                     "{tenant}/me\",status=\"200\"} 2") != std::string::npos);
  CHECK(metrics.find("omniroute_api_request_seconds_count{route=\"/api/v1/tenants/{tenant}/"
                     "me\"} 2") != std::string::npos);
}

TEST_CASE("agents: supervisors list them; an agent reads itself only") {
  ApiFixture f;
  auto list = body_of(f.get(kT + "/agents", "sup-token")).at("agents").as_array();
  REQUIRE(list.size() == 2);
  CHECK(list[0].at("id").as_string() == "ana");
  CHECK(list[0].at("presence").as_string() == "available");
  CHECK(list[1].at("presence").as_string() == "offline");
  CHECK(f.get(kT + "/agents", "ana-token").status == 403);
  CHECK(body_of(f.get(kT + "/agents/ana", "ana-token")).at("name").as_string() == "Ana");
  CHECK(f.get(kT + "/agents/bob", "ana-token").status == 403);
  CHECK(f.get(kT + "/agents/nobody", "sup-token").status == 404);
}

TEST_CASE("a routed contact: its holder and supervisors read it, other agents get 403") {
  ApiFixture f;
  f.route_sms("c1", "+15550001111");
  auto work = body_of(f.get(kT + "/agents/ana/work", "ana-token"));
  REQUIRE(work.at("offers").as_array().size() == 1);
  auto contact = body_of(f.get(kT + "/contacts/c1", "ana-token"));
  CHECK(contact.at("status").as_string() == "offered");
  CHECK(contact.at("queue").as_string() == "general");
  CHECK(contact.at("agent").as_string() == "ana");
  CHECK(f.get(kT + "/contacts/c1", "bob-token").status == 403);
  CHECK(f.get(kT + "/contacts/c1", "sup-token").status == 200);
  CHECK(f.get(kT + "/contacts/nope", "sup-token").status == 404);
  CHECK(f.get(kT + "/contacts/c1/trail", "ana-token").status == 403);
}

TEST_CASE("queues and dashboard: waiting, offered and available agents per queue") {
  ApiFixture f;
  f.route_sms("c1", "+15550001111");
  auto queues = body_of(f.get(kT + "/queues", "sup-token")).at("queues").as_array();
  REQUIRE(queues.size() == 1);
  CHECK(queues[0].at("name").as_string() == "general");
  CHECK(queues[0].at("offered").as_int64() == 1);
  CHECK(queues[0].at("waiting").as_int64() == 0);
  CHECK(queues[0].at("available_agents").as_int64() == 1);  // ana has room for one more
  auto dash = body_of(f.get(kT + "/dashboard", "sup-token"));
  CHECK(dash.at("agents_by_state").at("available").as_array().size() == 1);
  CHECK(dash.at("samples").is_array());
  CHECK(f.get(kT + "/dashboard", "ana-token").status == 403);
}

TEST_CASE("customers: a supervisor patches tier and attributes, links identities, reads history") {
  ApiFixture f;
  f.route_sms("c1", "+15550001111");
  const auto customer =
      std::string(body_of(f.get(kT + "/contacts/c1", "sup-token")).at("customer_id").as_string());
  auto patched = f.call("PATCH", kT + "/customers/" + customer, "sup-token",
                        R"({"tier":"vip","attributes":{"plan":"gold"}})");
  REQUIRE(patched.status == 200);
  CHECK(body_of(patched).at("tier").as_string() == "vip");
  CHECK(body_of(patched).at("attributes").at("plan").as_string() == "gold");
  CHECK(f.call("PATCH", kT + "/customers/nobody", "sup-token", R"({"tier":"vip"})").status == 404);
  CHECK(f.call("PATCH", kT + "/customers/" + customer, "ana-token", R"({"tier":"x"})").status ==
        403);
  auto linked = f.call("POST", kT + "/customers/link", "sup-token",
                       R"({"a":{"kind":"phone","value":"+1 555 000 1111"},)"
                       R"("b":{"kind":"email","value":"Ana@Example.com"}})");
  REQUIRE(linked.status == 200);
  CHECK(body_of(linked).at("customer_id").as_string() == customer);
  auto profile = body_of(f.get(kT + "/customers/" + customer, "ana-token"));  // ana holds c1
  CHECK(profile.at("identities").as_array().size() == 2);
  CHECK(f.get(kT + "/customers/" + customer, "bob-token").status == 403);
  CHECK(body_of(f.get(kT + "/customers/" + customer + "/history", "sup-token"))
            .at("lines")
            .is_array());
}

TEST_CASE("a customer id naming another customer's key is 404 and writes nothing") {
  ApiFixture f;
  f.route_sms("c1", "+15550001111");
  const auto customer =
      std::string(body_of(f.get(kT + "/contacts/c1", "sup-token")).at("customer_id").as_string());
  REQUIRE(f.call("PATCH", kT + "/customers/" + customer, "sup-token",
                 R"({"attributes":{"plan":"gold"}})")
              .status == 200);
  // customer:<id>:attributes exists now; as a "profile" it would take a tier field.
  const std::string forged = kT + "/customers/" + customer + ":attributes";
  CHECK(f.call("PATCH", forged, "sup-token", R"({"tier":"vip"})").status == 404);
  CHECK(f.get(forged, "sup-token").status == 404);
  CHECK(f.get(kT + "/customers/" + customer + ":identities/history", "sup-token").status == 404);
  auto profile = body_of(f.get(kT + "/customers/" + customer, "sup-token"));
  CHECK(profile.at("attributes") == boost::json::object{{"plan", "gold"}});
}

TEST_CASE("bad input is 400 naming the field, big bodies 413, unknown routes 404, methods 405") {
  ApiFixture f;
  auto bad = f.call("PUT", kT + "/agents/ana/presence", "ana-token", R"({"presence":"away"})");
  CHECK(bad.status == 400);
  CHECK(body_of(bad).at("message").as_string() == "field 'reason': required when presence is away");
  CHECK(f.call("PUT", kT + "/agents/ana/presence", "ana-token", "not json").status == 400);
  auto big = f.call("POST", kT + "/contacts/c1/reply", "ana-token",
                    R"({"text":")" + std::string(4000, 'x') + R"("})");
  CHECK(big.status == 413);
  CHECK(error_of(big) == "too_large");
  CHECK(f.get(kT + "/nothing", "sup-token").status == 404);
  auto wrong = f.call("DELETE", kT + "/agents/ana", "sup-token");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("allow") == "GET, PATCH");
  CHECK(f.get(kT + "/agents/ana/socket", "ana-token").status == 426);
}

TEST_CASE("rules: supervisors read the active version; reload is for admins only") {
  ApiFixture f(false);
  CHECK(f.get(kT + "/rules", "sup-token").status == 404);
  f.redis.command({"HSET", "omni:{demo}:router:rules", "version", "abc", "loaded_ms", "5",
                   "instance", "host-1"});
  auto rules = body_of(f.get(kT + "/rules", "sup-token"));
  CHECK(rules.at("version").as_string() == "abc");
  CHECK(rules.at("loaded_ms").as_int64() == 5);
  CHECK(f.call("POST", kT + "/rules/reload", "sup-token").status == 403);
}

TEST_CASE("static pages: the console and dashboard with their types, nothing outside web/") {
  ApiFixture f(false);
  auto page = f.get("/console/", "");
  CHECK(page.status == 200);
  CHECK(page.header("content-type") == "text/html; charset=utf-8");
  CHECK(page.header("cache-control") == "no-cache");
  CHECK(f.get("/shared/api.js", "").header("content-type") == "text/javascript; charset=utf-8");
  CHECK(f.get("/", "").status == 302);
  CHECK(f.get("/console/../README.md", "").status == 404);
  CHECK(f.get("/console/%2e%2e/x", "").status == 404);
  CHECK(f.get("/console/.hidden", "").status == 404);
  auto missing = f.get("/dashboard/nope.js", "");
  CHECK(missing.status == 404);
  CHECK(error_of(missing) == "not_found");
}

TEST_CASE("static pages over HTTP: a matching If-None-Match is a 304 with no body") {
  ApiFixture f(false);
  auto page = f.get("/dashboard/", "");
  REQUIRE(page.status == 200);
  const auto etag = page.header("etag");
  REQUIRE_FALSE(etag.empty());
  HttpConnection client(f.server->port());
  auto again = client.request("GET", "/dashboard/", {{"If-None-Match", etag}});
  CHECK(again.status == 304);
  CHECK(again.body.empty());
  CHECK(again.header("etag") == etag);
  CHECK(again.header("cache-control") == "no-cache");
  CHECK(client.request("GET", "/dashboard/", {{"If-None-Match", "\"stale\""}}).body ==
        page.body);              // the keep-alive connection goes on after the 304
  f.api->reload_static_files();  // the same files: the same tag
  CHECK(f.get("/dashboard/", "").header("etag") == etag);
}
