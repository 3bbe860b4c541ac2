// End-to-end API: the omniroute binary with tokens made by `omniroute token hash|sign`, a real
// redis-server, a contact routed by the built-in router and accepted over HTTP, the console's
// files served beside the API.
#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

#include "omniroute/v1/contact_event.pb.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::testing;
namespace json = boost::json;

namespace {

constexpr const char* kRules = R"(version: 1
tiers:
  - name: standard
    priority: 0
    default: true
    first_response_secs: {default: 600}
skills:
  english: English
agents:
  - id: ana
    name: Ana
    skills: {english: 3}
    capacity: {sms: 2}
    total_capacity: 2
    initial_presence: available
queues:
  - name: general
    required_skills: {english: 1}
rules:
  - name: default
    then:
      queue: general
)";

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
  return s;
}

std::string config_for(const RedisServer& redis, const std::string& rules,
                       const std::string& ana_sha) {
  return "listen: 127.0.0.1:0\nredis:\n  url: " + redis.url() +
         "\nrouting:\n  rules_file: " + rules +
         "\n  lease_ttl_ms: 1000\napi:\n  web_root: " + source_path("web") +
         "\n  tenants:\n    demo:\n      tokens:\n        - {sha256: " + ana_sha +
         ", role: agent, name: Ana, agent: ana}\n      signing_keys:\n"
         "        - {id: k1, secret: {env: TEST_SIGNING_KEY}}\n";
}

std::string sms_entry(const std::string& id) {
  v1::StreamEntry e;
  e.set_schema_version(1);
  auto* c = e.mutable_contact();
  c->set_event_id(id);
  c->set_tenant("demo");
  c->set_channel(v1::CHANNEL_SMS);
  c->mutable_sender()->set_kind("phone");
  c->mutable_sender()->set_value("+15550001111");
  c->set_text("hello");
  return e.SerializeAsString();
}

}  // namespace

TEST_CASE("the daemon serves the API with hashed and signed tokens, routes, and the console") {
  RedisServer redis;
  const std::map<std::string, std::string> env{
      {"TEST_SIGNING_KEY", "an-e2e-signing-key-of-32-bytes-or-more"}};
  auto hash = run_command({omniroute_binary(), "token", "hash", "demo-ana-token"});
  REQUIRE(hash.exit_code == 0);
  const auto config = write_temp_file(
      "api.yaml", config_for(redis, write_temp_file("rules.yaml", kRules), trimmed(hash.output)));
  auto signed_token =
      run_command({omniroute_binary(), "token", "sign", "-c", config, "--tenant", "demo", "--role",
                   "supervisor", "--sub", "ops", "--ttl", "1h", "--key-id", "k1"},
                  env);
  REQUIRE(signed_token.exit_code == 0);
  const std::string sup = trimmed(signed_token.output);
  CHECK(sup.starts_with("v1."));

  DaemonProcess daemon({"run", "-c", config}, env);
  const auto port = static_cast<std::uint16_t>(daemon.wait_for_port());
  daemon.wait_for_log("router active");
  auto get = [&](const std::string& path, const std::string& token) {
    return http_request(port, "GET", path, {{"Authorization", "Bearer " + token}});
  };
  const std::string t = "/api/v1/tenants/demo";
  auto me = get(t + "/me", "demo-ana-token");
  REQUIRE(me.status == 200);
  CHECK(json::parse(me.body).at("agent").as_string() == "ana");
  CHECK(json::parse(get(t + "/me", sup).body).at("role").as_string() == "supervisor");
  CHECK(get(t + "/agents", "demo-ana-token").status == 403);
  CHECK(get(t + "/agents", sup).status == 200);

  redis.command({"XADD", "omni:{demo}:inbound", "*", "e", sms_entry("c1")});
  bool offered = false;
  for (int i = 0; i < 500 && !offered; ++i) {  // the router commits asynchronously
    auto work = json::parse(get(t + "/agents/ana/work", "demo-ana-token").body);
    offered = work.at("offers").as_array().size() == 1;
  }
  REQUIRE(offered);
  auto accepted = http_request(port, "POST", t + "/contacts/c1/accept",
                               {{"Authorization", "Bearer demo-ana-token"}});
  INFO("daemon log:\n" << daemon.log());
  REQUIRE(accepted.status == 200);
  CHECK(json::parse(accepted.body).at("status").as_string() == "active");

  CHECK(http_request(port, "GET", "/console/").status == 200);
  CHECK(http_request(port, "GET", "/readyz").status == 200);
  CHECK(http_request(port, "GET", "/metrics").body.find("omniroute_api_denied_total") !=
        std::string::npos);
}
