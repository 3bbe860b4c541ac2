// Specification of the `routing:` section of omniroute.yaml: defaults, values, and refusals.
#include <catch2/catch.hpp>

#include "daemon/app/config.h"

using namespace omniroute;
using namespace omniroute::daemon;

namespace {

omniroute::Result<Config> load(const std::string& text) {
  return load_config_string(text, "omniroute.yaml", {},
                            [](const std::string&) { return std::optional<std::string>(); });
}

}  // namespace

TEST_CASE("without a routing section the router runs for tenant demo with the example rules") {
  auto c = load("listen: 127.0.0.1:0\n");
  REQUIRE(c.has_value());
  CHECK(c->routing.enabled);
  CHECK(c->routing.rules_file == "config/rules.example.yaml");
  CHECK(c->routing.tenants == std::vector<std::string>{"demo"});
  CHECK(c->routing.lease_ttl == std::chrono::milliseconds(5000));
  CHECK(c->routing.claim_idle == std::chrono::milliseconds(30000));
  CHECK(c->routing.batch == 64);
  CHECK(c->routing.consumer_name.empty());
  CHECK(c->routing.conversation_idle_close == std::chrono::seconds(86400));
  CHECK(c->routing.max_deliveries == 5);
}

TEST_CASE("the routing section sets every value") {
  auto c = load(
      "routing:\n"
      "  enabled: false\n"
      "  rules_file: /etc/omniroute/rules.yaml\n"
      "  tenants: [acme, globex]\n"
      "  lease_ttl_ms: 2000\n"
      "  consumer_name: node-a\n"
      "  claim_idle_ms: 1000\n"
      "  batch: 16\n"
      "  conversation_idle_close_secs: 3600\n"
      "  max_deliveries: 10\n");
  REQUIRE(c.has_value());
  CHECK_FALSE(c->routing.enabled);
  CHECK(c->routing.rules_file == "/etc/omniroute/rules.yaml");
  CHECK(c->routing.tenants == std::vector<std::string>{"acme", "globex"});
  CHECK(c->routing.lease_ttl == std::chrono::milliseconds(2000));
  CHECK(c->routing.consumer_name == "node-a");
  CHECK(c->routing.claim_idle == std::chrono::milliseconds(1000));
  CHECK(c->routing.batch == 16);
  CHECK(c->routing.conversation_idle_close == std::chrono::seconds(3600));
  CHECK(c->routing.max_deliveries == 10);
}

TEST_CASE("max_deliveries outside 2..100 is refused with its line and column") {
  for (const char* value : {"1", "101", "0", "-3", "many"}) {
    INFO(value);
    auto c = load(std::string("routing:\n  batch: 8\n  max_deliveries: ") + value + "\n");
    REQUIRE_FALSE(c.has_value());
    CHECK(c.error().message.find("omniroute.yaml:3:19") != std::string::npos);
    CHECK(c.error().message.find("max_deliveries") != std::string::npos);
  }
  CHECK(load("routing:\n  max_deliveries: 2\n").has_value());
  CHECK(load("routing:\n  max_deliveries: 100\n").has_value());
}

TEST_CASE("an idle close shorter than a minute is refused with its line") {
  auto c = load("routing:\n  conversation_idle_close_secs: 5\n");
  REQUIRE_FALSE(c.has_value());
  CHECK(c.error().message.find("omniroute.yaml:2:") != std::string::npos);
  CHECK(c.error().message.find("conversation_idle_close_secs") != std::string::npos);
}

TEST_CASE(
    "a bad tenant, a duplicate tenant, a tiny lease or an unknown key is refused with its line") {
  auto c = load(
      "routing:\n"
      "  tenants: [Acme, demo, demo]\n"
      "  lease_ttl_ms: 10\n"
      "  lease_ttl: 5\n");
  REQUIRE_FALSE(c.has_value());
  const auto& m = c.error().message;
  CHECK(m.find("omniroute.yaml:2:") != std::string::npos);
  CHECK(m.find("'Acme'") != std::string::npos);
  CHECK(m.find("duplicate tenant 'demo'") != std::string::npos);
  CHECK(m.find("omniroute.yaml:3:") != std::string::npos);
  CHECK(m.find("lease_ttl") != std::string::npos);
}
