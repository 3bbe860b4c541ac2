// The API as the daemon runs it, for route tests: the real HttpServer on a free port, a real
// redis-server, the Api with demo tokens, and a real Router of tenant "demo" (agents ana and
// bob available, one queue). Tenant "quiet" has tokens but no router: its commands go unanswered.
#pragma once

#include <catch2/catch.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "api/api.h"
#include "api/token.h"
#include "common/clock.h"
#include "common/crypto.h"
#include "common/log.h"
#include "common/metrics.h"
#include "daemon/http/server.h"
#include "daemon/redis/client.h"
#include "daemon/router/router.h"
#include "omniroute/v1/contact_event.pb.h"
#include "routing/rules_yaml.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"

namespace omniroute::testing::api_routes {

inline const std::string kSigningKey = "a-signing-key-of-at-least-32-bytes!!";
inline const std::string kRules = R"(version: 1
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
  - id: bob
    name: Bob
    skills: {english: 3}
    capacity: {sms: 2}
    total_capacity: 2
    initial_presence: offline
queues:
  - name: general
    required_skills: {english: 1}
    reservation_timeout_secs: 30
rules:
  - name: default
    then:
      queue: general
)";

inline std::string sha256_hex(std::string_view token) {
  return crypto::hex_encode(crypto::digest(crypto::Digest::sha256, token));
}

// Polls `done` until it holds or 10 s pass: the server's own threads do the work meanwhile.
template <class Predicate>
bool eventually(Predicate done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return true;
}

inline api::ApiConfig api_config() {
  api::ApiConfig c;
  c.command_timeout = std::chrono::milliseconds(300);
  c.max_body_bytes = 2048;
  c.web_root = std::string(OMNIROUTE_SOURCE_DIR) + "/web";
  using R = api::ApiRole;
  c.tenants["demo"].tokens = {{sha256_hex("ana-token"), R::agent, "ana", "ana"},
                              {sha256_hex("bob-token"), R::agent, "bob", "bob"},
                              {sha256_hex("sup-token"), R::supervisor, "sup", ""},
                              {sha256_hex("admin-token"), R::admin, "root", ""}};
  c.tenants["demo"].signing_keys = {{"k1", kSigningKey}};
  c.tenants["quiet"].tokens = {{sha256_hex("quiet-token"), R::supervisor, "q", ""},
                               {sha256_hex("quiet-agent"), R::agent, "qa", "qa"}};
  return c;
}

struct ApiFixture {
  explicit ApiFixture(bool with_router = true) : log(LogLevel::error) {
    daemon::HttpServerOptions so;
    so.port = 0;
    so.threads = 2;
    server = std::make_unique<daemon::HttpServer>(
        so,
        [this](daemon::HttpRequest&& r, daemon::Responder respond) {
          if (!api->try_handle(r, respond)) respond(daemon::json_error(404, "not_found", "x"));
        },
        log, metrics);
    daemon::RedisClientOptions ro;
    ro.endpoint = daemon::parse_redis_url(redis.url()).value();
    ro.connections = 2;
    redis_client = std::make_unique<daemon::RedisClient>(server->context(), ro, log, metrics);
    omniroute::api::ApiOptions ao;
    ao.config = api_config();
    ao.tenants = {"demo", "quiet"};
    ao.tail.redis = ro;
    api = std::make_unique<omniroute::api::Api>(server->context(), *redis_client, ao, clock, log,
                                                metrics);
    rules = routing::parse_rules(kRules, "rules.yaml").rules;
    REQUIRE(rules);
    api->set_rules(rules);
    server->set_websocket_handler(api->websocket_handler());
    server->start();
    redis_client->start();
    api->start();
    if (with_router) start_router();
    REQUIRE(eventually([&] { return api->ready() && redis_client->ready(); }));
  }

  ~ApiFixture() {
    api->stop();
    if (router) router->stop();
    redis_client->stop();
    server->stop();
  }

  void start_router() {
    daemon::RouterOptions o;
    o.tenant = "demo";
    o.consumer = "test";
    o.block = std::chrono::milliseconds(100);
    o.redis.endpoint = daemon::parse_redis_url(redis.url()).value();
    o.load_rules = [this]() -> Result<std::shared_ptr<const routing::Rules>> { return rules; };
    router = std::make_unique<daemon::Router>(server->context(), o, rules, clock, log, metrics);
    router->start();
    REQUIRE(eventually([&] { return router->state() == daemon::RouterState::active; }));
    // Active comes before the rules' agents are committed; the tests read those agents.
    REQUIRE(eventually([&] {
      return redis.command({"HLEN", "omni:{demo}:routing:agents"}).integer == 2;
    }));
  }

  // An SMS from `phone` routed by the router: waits until it is committed.
  void route_sms(const std::string& event_id, const std::string& phone) {
    v1::StreamEntry e;
    e.set_schema_version(1);
    auto* c = e.mutable_contact();
    c->set_event_id(event_id);
    c->set_tenant("demo");
    c->set_channel(v1::CHANNEL_SMS);
    c->mutable_sender()->set_kind("phone");
    c->mutable_sender()->set_value(phone);
    c->set_text("hello");
    const auto before = router->committed_entries();
    redis.command({"XADD", "omni:{demo}:inbound", "*", "e", e.SerializeAsString()});
    REQUIRE(eventually([&] { return router->committed_entries() > before; }));
  }

  HttpReply call(std::string_view method, std::string_view path, const std::string& token,
                 std::string_view body = {}) {
    HeaderList headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    if (!body.empty()) headers.emplace_back("Content-Type", "application/json");
    return http_request(server->port(), method, path, headers, body);
  }
  HttpReply get(std::string_view path, const std::string& token) {
    return call("GET", path, token);
  }

  std::string signed_token(std::string sub, api::ApiRole role, std::int64_t exp_secs) {
    return omniroute::api::sign_token({"k1", "demo", role, std::move(sub), exp_secs}, kSigningKey);
  }

  RedisServer redis;
  ManualClock clock{1'700'000'000'000};
  Logger log;
  Metrics metrics;
  std::shared_ptr<const routing::Rules> rules;
  std::unique_ptr<daemon::HttpServer> server;
  std::unique_ptr<daemon::RedisClient> redis_client;
  std::unique_ptr<omniroute::api::Api> api;
  std::unique_ptr<daemon::Router> router;
};

}  // namespace omniroute::testing::api_routes
