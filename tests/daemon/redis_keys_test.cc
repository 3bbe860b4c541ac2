// Specification of the Redis key layout: exact key strings, tenant rules, one hash slot per
// tenant.
#include <catch2/catch.hpp>

#include "daemon/keys.h"

using omniroute::Errc;
using omniroute::daemon::is_valid_tenant;
using omniroute::daemon::redis_hash_tag;
using omniroute::daemon::TenantKeys;

TEST_CASE("every key of a tenant follows <prefix>:{<tenant>}:<kind>") {
  auto keys = TenantKeys::make("omniroute", "acme");
  REQUIRE(keys.has_value());
  CHECK(keys->base() == "omniroute:{acme}");
  CHECK(keys->inbound() == "omniroute:{acme}:inbound");
  CHECK(keys->dedup("twilio", "SM123") == "omniroute:{acme}:dedup:twilio:SM123");
  CHECK(keys->raw("01HZY3") == "omniroute:{acme}:raw:01HZY3");
  CHECK(keys->deadletter() == "omniroute:{acme}:deadletter");
  CHECK(keys->assignments() == "omniroute:{acme}:assignments");
  CHECK(keys->outbound() == "omniroute:{acme}:outbound");
}

TEST_CASE("all keys of a tenant share its hash tag, even with braces in a vendor id") {
  auto keys = TenantKeys::make("prod:eu", "acme-support_2");
  REQUIRE(keys.has_value());
  for (const std::string& key :
       {keys->inbound(), keys->dedup("meta", "wamid.{x}y}"), keys->dedup("x", "}{"),
        keys->raw("01HZY3"), keys->deadletter(), keys->assignments(), keys->outbound()}) {
    INFO(key);
    CHECK(redis_hash_tag(key) == "acme-support_2");
  }
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
