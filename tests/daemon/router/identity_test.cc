// Specification of customer identity against a real redis-server: one customer per channel
// identity, created once even under races, and links that merge customers across channels.
#include "daemon/router/identity.h"

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <optional>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/redis/client.h"
#include "tests/support/await_result.h"
#include "tests/support/redis_server.h"

using namespace omniroute;
using namespace omniroute::daemon;
using omniroute::testing::await_result;
using omniroute::testing::RedisServer;
using omniroute::testing::run_until;

namespace {

struct Harness {
  explicit Harness(RedisServer& redis, std::size_t connections = 1)
      : log(LogLevel::error),
        client(io, options(redis, connections), log, metrics),
        store(client, TenantKeys::make("omni", "acme").value(), clock) {
    client.start();
    REQUIRE(run_until(io, [&] { return client.ready_connections() == connections; }));
  }
  static RedisClientOptions options(RedisServer& redis, std::size_t connections) {
    RedisClientOptions o;
    o.endpoint = parse_redis_url(redis.url()).value();
    o.connections = connections;
    return o;
  }
  ResolvedCustomer resolve(const std::string& kind, const std::string& value) {
    auto out = await_result<ResolvedCustomer>(
        io, [&](auto done) { store.resolve(normalize_identity(kind, value).value(), done); });
    REQUIRE(out.has_value());
    return *out;
  }
  std::string link(const std::string& a, const std::string& b) {
    auto out = await_result<std::string>(io, [&](auto done) { store.link(a, b, done); });
    REQUIRE(out.has_value());
    return *out;
  }

  boost::asio::io_context io;
  ManualClock clock;
  Logger log;
  Metrics metrics;
  RedisClient client;
  IdentityStore store;
};

}  // namespace

TEST_CASE("identities are normalized: phone separators, WhatsApp as phone, e-mail case") {
  CHECK(normalize_identity("phone", " +1 (555) 000-1111 ").value() == "phone:+15550001111");
  CHECK(normalize_identity("whatsapp", "whatsapp:+15550001111").value() == "phone:+15550001111");
  CHECK(normalize_identity("EMAIL", "Ann@Example.COM").value() == "email:ann@example.com");
  CHECK(normalize_identity("wechat", "oAbC123").value() == "wechat:oAbC123");
  CHECK_FALSE(normalize_identity("", "x").has_value());
  CHECK_FALSE(normalize_identity("phone", "--").has_value());
}

TEST_CASE("a refused identity quotes at most 80 bytes of its value, in whole characters") {
  const std::string zhong = "\xE4\xB8\xAD";  // 中, on bytes 79..81: a phone without digits
  auto refused = normalize_identity("phone", std::string(79, 'x') + zhong + zhong);
  REQUIRE_FALSE(refused.has_value());
  CHECK(refused.error().message ==
        "channel identity needs a kind and a value ('phone', '" + std::string(79, 'x') + "')");
}

TEST_CASE("a new identity creates one customer, and the same identity finds it again") {
  RedisServer redis;
  Harness h(redis);
  auto first = h.resolve("phone", "+15550001111");
  CHECK(first.created);
  CHECK(first.customer_id.size() == 26);
  CHECK_FALSE(first.profile_tier.has_value());
  auto again = h.resolve("whatsapp", "+1 555 000 1111");
  CHECK_FALSE(again.created);
  CHECK(again.customer_id == first.customer_id);
  CHECK(h.resolve("email", "ann@example.com").customer_id != first.customer_id);
}

TEST_CASE("concurrent first sightings of one identity agree on one customer") {
  RedisServer redis;
  Harness h(redis, 4);
  std::vector<std::optional<Result<ResolvedCustomer>>> out(16);
  for (auto& slot : out) {
    h.store.resolve("phone:+15550002222", [&slot](auto r) { slot = std::move(r); });
  }
  REQUIRE(run_until(h.io, [&] {
    return std::all_of(out.begin(), out.end(), [](auto& s) { return s.has_value(); });
  }));
  int created = 0;
  for (auto& slot : out) {
    REQUIRE(slot->has_value());
    CHECK((*slot)->customer_id == (*out[0])->customer_id);
    created += (*slot)->created ? 1 : 0;
  }
  CHECK(created == 1);
}

TEST_CASE("the CRM's profile tier comes back with the customer") {
  RedisServer redis;
  Harness h(redis);
  auto c = h.resolve("email", "vip@example.com");
  redis.command({"HSET", "omni:{acme}:customer:" + c.customer_id, "tier", "vip"});
  CHECK(h.resolve("email", "VIP@example.com").profile_tier == std::optional<std::string>("vip"));
}

TEST_CASE("linking two known identities merges the second customer into the first") {
  RedisServer redis;
  Harness h(redis);
  auto phone = h.resolve("phone", "+15550003333");
  auto email = h.resolve("email", "bo@example.com");
  auto wechat = h.resolve("wechat", "oBo");
  h.link("email:bo@example.com", "wechat:oBo");  // email's customer now also owns wechat
  redis.command({"HSET", "omni:{acme}:customer:" + email.customer_id, "tier", "member"});

  CHECK(h.link("phone:+15550003333", "email:bo@example.com") == phone.customer_id);
  CHECK(h.resolve("email", "bo@example.com").customer_id == phone.customer_id);
  CHECK(h.resolve("wechat", "oBo").customer_id == phone.customer_id);
  CHECK(h.resolve("phone", "+15550003333").profile_tier == std::optional<std::string>("member"));
  CHECK(redis.command({"HGET", "omni:{acme}:customer:" + email.customer_id, "merged_into"}).str ==
        phone.customer_id);
  CHECK(wechat.customer_id != phone.customer_id);
}

TEST_CASE("linking is idempotent and links an unseen identity to the known customer") {
  RedisServer redis;
  Harness h(redis);
  auto phone = h.resolve("phone", "+15550004444");
  CHECK(h.link("phone:+15550004444", "email:new@example.com") == phone.customer_id);
  CHECK(h.link("phone:+15550004444", "email:new@example.com") == phone.customer_id);
  auto email = h.resolve("email", "new@example.com");
  CHECK_FALSE(email.created);
  CHECK(email.customer_id == phone.customer_id);
}
