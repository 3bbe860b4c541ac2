// Specification of the Redis key layout: exact key strings, tenant rules, one hash slot per
// tenant.
#include "daemon/redis/keys.h"

#include <catch2/catch.hpp>

using omniroute::Errc;
using omniroute::daemon::is_valid_customer_id;
using omniroute::daemon::is_valid_tenant;
using omniroute::daemon::redis_hash_tag;
using omniroute::daemon::TenantKeys;

TEST_CASE("every key of a tenant follows <prefix>:{<tenant>}:<kind>") {
  auto keys = TenantKeys::make("omniroute", "acme");
  REQUIRE(keys.has_value());
  CHECK(keys->base() == "omniroute:{acme}");
  CHECK(keys->inbound() == "omniroute:{acme}:inbound");
  CHECK(keys->dedup_window(6558) == "omniroute:{acme}:dedup:6558");
  CHECK(TenantKeys::dedup_field("twilio", "SM123") == "twilio:SM123");
  CHECK(keys->raw("01HZY3") == "omniroute:{acme}:raw:01HZY3");
  CHECK(keys->deadletter() == "omniroute:{acme}:deadletter");
  CHECK(keys->assignments() == "omniroute:{acme}:assignments");
  CHECK(keys->outbound() == "omniroute:{acme}:outbound");
}

TEST_CASE("all keys of a tenant share its hash tag") {
  auto keys = TenantKeys::make("prod:eu", "acme-support_2");
  REQUIRE(keys.has_value());
  for (const std::string& key :
       {keys->inbound(), keys->dedup_window(-1), keys->dedup_window(6558), keys->raw("01HZY3"),
        keys->deadletter(), keys->assignments(), keys->outbound()}) {
    INFO(key);
    CHECK(redis_hash_tag(key) == "acme-support_2");
  }
}

TEST_CASE("the command, read-model, router and customer keys are exact") {
  auto keys = TenantKeys::make("omniroute", "acme");
  REQUIRE(keys.has_value());
  CHECK(keys->commands() == "omniroute:{acme}:commands");
  CHECK(keys->results() == "omniroute:{acme}:results");
  CHECK(keys->trail("C1") == "omniroute:{acme}:trail:C1");
  CHECK(keys->history("K1") == "omniroute:{acme}:history:K1");
  CHECK(keys->stats() == "omniroute:{acme}:stats");
  CHECK(keys->router_rules() == "omniroute:{acme}:router:rules");
  CHECK(keys->routing_command("01J") == "omniroute:{acme}:routing:command:01J");
  CHECK(keys->routing_reply("C1", "x") == "omniroute:{acme}:routing:reply:C1:x");
  CHECK(keys->routing_applied("E1") == "omniroute:{acme}:routing:applied:E1");
  CHECK(keys->identities() == "omniroute:{acme}:identities");
  CHECK(keys->customer("K1") == "omniroute:{acme}:customer:K1");
  CHECK(keys->customer_identities("K1") == "omniroute:{acme}:customer:K1:identities");
  CHECK(keys->customer_attributes("K1") == "omniroute:{acme}:customer:K1:attributes");
  CHECK(keys->routing_contacts() == "omniroute:{acme}:routing:contacts");
  CHECK(keys->routing_agents() == "omniroute:{acme}:routing:agents");
  CHECK(keys->routing_sticky() == "omniroute:{acme}:routing:sticky");
  CHECK(keys->router_lease() == "omniroute:{acme}:router:lease");
  CHECK(keys->router_fence() == "omniroute:{acme}:router:fence");
}

TEST_CASE("every key TenantKeys builds shares the tenant's hash slot") {
  auto keys = TenantKeys::make("prod:eu", "acme-support_2");
  REQUIRE(keys.has_value());
  // Ids are caller text after the tag: braces in them cannot move it.
  const std::string id = "}{x}";
  for (const std::string& key :
       {keys->commands(), keys->results(), keys->trail(id), keys->history(id), keys->stats(),
        keys->router_rules(), keys->routing_command(id), keys->routing_reply(id, id),
        keys->routing_applied(id), keys->identities(), keys->customer(id),
        keys->customer_identities(id), keys->customer_attributes(id), keys->routing_contacts(),
        keys->routing_agents(), keys->routing_sticky(), keys->router_lease(),
        keys->router_fence()}) {
    INFO(key);
    CHECK(redis_hash_tag(key) == "acme-support_2");
  }
}

TEST_CASE("customer ids are [A-Za-z0-9_-]{1,64}: none names another customer's key") {
  CHECK(is_valid_customer_id("01HZY3Q7N8ZKX4M2B6V5C9T0RD"));
  CHECK(is_valid_customer_id("cust_1-a"));
  CHECK_FALSE(is_valid_customer_id(""));
  CHECK_FALSE(is_valid_customer_id(std::string(65, 'a')));
  // "K1:attributes" as a customer id would make customer() the attributes hash of K1.
  CHECK_FALSE(is_valid_customer_id("K1:attributes"));
  CHECK_FALSE(is_valid_customer_id("K1:identities"));
  CHECK_FALSE(is_valid_customer_id("a{b}"));
  CHECK_FALSE(is_valid_customer_id("a.b"));
}

TEST_CASE("hash tags follow Redis Cluster's rule") {
  CHECK(redis_hash_tag("a:{t}:b") == "t");
  CHECK(redis_hash_tag("no-tag") == "no-tag");
  CHECK(redis_hash_tag("a:{}:{b}") == "a:{}:{b}");  // empty first tag: the whole key hashes
  CHECK(redis_hash_tag("a:{open") == "a:{open");
}

TEST_CASE("tenant names are [a-z0-9_-]{1,64}") {
  CHECK(is_valid_tenant("acme"));
  CHECK(is_valid_tenant("a_b-9"));
  CHECK(is_valid_tenant(std::string(64, 'a')));
  CHECK_FALSE(is_valid_tenant(""));
  CHECK_FALSE(is_valid_tenant(std::string(65, 'a')));
  CHECK_FALSE(is_valid_tenant("Acme"));
  CHECK_FALSE(is_valid_tenant("ac}me"));
  CHECK_FALSE(is_valid_tenant("a:b"));
  CHECK_FALSE(is_valid_tenant("a b"));
}

TEST_CASE("a bad tenant or a prefix with braces is refused") {
  auto bad_tenant = TenantKeys::make("omniroute", "ACME");
  REQUIRE_FALSE(bad_tenant.has_value());
  CHECK(bad_tenant.error().code == Errc::invalid_input);
  CHECK_THAT(bad_tenant.error().message, Catch::Contains("tenant"));

  auto bad_prefix = TenantKeys::make("omni{route}", "acme");
  REQUIRE_FALSE(bad_prefix.has_value());
  CHECK_THAT(bad_prefix.error().message, Catch::Contains("prefix"));
  CHECK_FALSE(TenantKeys::make("", "acme").has_value());
}

TEST_CASE("a refused tenant is quoted up to 80 bytes, in whole characters") {
  const std::string zhong = "\xE4\xB8\xAD";  // 中, on bytes 79..81
  auto refused = TenantKeys::make("omniroute", std::string(79, 'a') + zhong + zhong);
  REQUIRE_FALSE(refused.has_value());
  CHECK_THAT(refused.error().message, Catch::EndsWith(": '" + std::string(79, 'a') + "'"));
}
