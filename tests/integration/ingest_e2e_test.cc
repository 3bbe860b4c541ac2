// End-to-end: the omniroute binary, a real redis-server, signed Twilio webhooks over real
// sockets. These tests state invariants 1 and 2 of ARCHITECTURE.md.
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "omniroute/v1/contact_event.pb.h"
#include "tests/support/daemon_process.h"
#include "tests/support/http_client.h"
#include "tests/support/redis_server.h"
#include "tests/support/twilio_signer.h"

using namespace omniroute::testing;

namespace {

constexpr const char* kToken = "test-auth-token";
constexpr const char* kStream = "omni:{demo}:inbound";

std::string config_for(const RedisServer& redis, const std::string& extra = "") {
  return "listen: 127.0.0.1:0\n"
         "threads: 2\n"
         "redis:\n"
         "  url: " +
         redis.url() +
         "\n"
         "  command_timeout_ms: 500\n"
         "streams:\n"
         "  prefix: omni\n" +
         extra +
         "adapters:\n"
         "  - name: twilio-demo\n"
         "    vendor: twilio\n"
         "    tenant: demo\n"
         "    path: /webhooks/twilio/demo\n"
         "    settings:\n"
         "      auth_token: {env: TEST_TWILIO_TOKEN}\n";
}

struct Daemon {
  explicit Daemon(const RedisServer& redis, const std::string& extra = "")
      : config_path(write_temp_file("omniroute.yaml", config_for(redis, extra))),
        process({"run", "-c", config_path}, {{"TEST_TWILIO_TOKEN", kToken}}) {
    port = static_cast<std::uint16_t>(process.wait_for_port());
    wait_until_ready();
  }
  // The daemon listens before its Redis connections finish their handshake (it answers 503
  // meanwhile); tests start once /readyz says Redis is reachable.
  void wait_until_ready() {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (http_request(port, "GET", "/readyz").status != 200) {
      if (std::chrono::steady_clock::now() > deadline) FAIL("omniroute never became ready");
      std::this_thread::sleep_for(std::chrono::milliseconds(5));  // start-up readiness poll
    }
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(port) + path;
  }
  HttpReply post_sms(HttpConnection& conn, const FormParams& params,
                     const std::string& token = kToken) {
    auto signature = twilio_signature(token, url("/webhooks/twilio/demo"), params);
    return conn.request(
        "POST", "/webhooks/twilio/demo",
        {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", signature}},
        form_encode(params));
  }
  std::string config_path;
  DaemonProcess process;
  std::uint16_t port = 0;
};

// The "e" field of every entry of the inbound stream.
std::vector<std::string> stream_payloads(const RedisServer& redis) {
  std::vector<std::string> out;
  for (const auto& [id, fields] : redis.xrange(kStream)) {
    for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
      if (fields[i] == "e") out.push_back(fields[i + 1]);
    }
  }
  return out;
}

omniroute::v1::StreamEntry decode_only_entry(RedisServer& redis) {
  auto entries = stream_payloads(redis);
  REQUIRE(entries.size() == 1);
  omniroute::v1::StreamEntry entry;
  REQUIRE(entry.ParseFromString(entries[0]));
  return entry;
}

}  // namespace

TEST_CASE("a signed Twilio SMS becomes exactly one stream entry with the expected ContactEvent") {
  RedisServer redis;
  Daemon daemon(redis);
  HttpConnection conn(daemon.port);
  auto reply = daemon.post_sms(conn, twilio_sms("SM0001", "+8613800138000", "where is my parcel?"));
  CHECK(reply.status == 200);
  CHECK(reply.header("content-type") == "text/xml");
  CHECK(reply.body.find("<Response></Response>") != std::string::npos);

  auto entry = decode_only_entry(redis);
  CHECK(entry.schema_version() == 1);
  const auto& event = entry.contact();
  CHECK(event.tenant() == "demo");
  CHECK(event.vendor() == "twilio");
  CHECK(event.channel() == omniroute::v1::CHANNEL_SMS);
  CHECK(event.vendor_message_id() == "SM0001");
  CHECK(event.sender().value() == "+8613800138000");
  CHECK(event.recipient() == "+15005550006");
  CHECK(event.text() == "where is my parcel?");
  CHECK(event.event_id().size() == 26);
  CHECK(event.received_at_unix_ms() > 0);
  CHECK(event.raw_payload_sha256().size() == 64);
}

TEST_CASE("a vendor retry of the same MessageSid still leaves one entry") {
  RedisServer redis;
  Daemon daemon(redis);
  HttpConnection conn(daemon.port);
  auto params = twilio_sms("SM0002", "+15550001111", "hello");
  CHECK(daemon.post_sms(conn, params).status == 200);
  CHECK(daemon.post_sms(conn, params).status == 200);
  HttpConnection other(daemon.port);
  CHECK(daemon.post_sms(other, params).status == 200);
  CHECK(redis.xlen(kStream) == 1);
  auto metrics = http_request(daemon.port, "GET", "/metrics");
  CHECK(metrics.body.find("omniroute_dedup_hits_total") != std::string::npos);
}

TEST_CASE("a forged or missing signature is 403 and nothing is written") {
  RedisServer redis;
  Daemon daemon(redis);
  HttpConnection conn(daemon.port);
  auto params = twilio_sms("SM0003", "+15550001111", "hello");
  CHECK(daemon.post_sms(conn, params, "wrong-token").status == 403);
  auto unsigned_reply =
      conn.request("POST", "/webhooks/twilio/demo",
                   {{"Content-Type", "application/x-www-form-urlencoded"}}, form_encode(params));
  CHECK(unsigned_reply.status == 403);
  // Nothing of the ingest path: no entry, no dedup mark, no raw body, no dead letter. (The
  // router role of the same process writes its own lease and state keys meanwhile.)
  CHECK(redis.xlen(kStream) == 0);
  CHECK(redis.command({"KEYS", "omni:{demo}:dedup:*"}).elements.empty());
  CHECK(redis.command({"KEYS", "omni:{demo}:raw:*"}).elements.empty());
  CHECK(redis.command({"EXISTS", "omni:{demo}:deadletter"}).integer == 0);
}

// Invariant 8: a flood of forged requests cannot flood the log (and so cannot slow ingest by
// it): one "webhook rejected" line per adapter and reason per interval, the rest counted.
TEST_CASE("forged webhooks in a burst are logged once and the rest counted as suppressed") {
  RedisServer redis;
  Daemon daemon(redis);
  HttpConnection conn(daemon.port);
  for (int i = 0; i < 5; ++i) {
    auto params = twilio_sms("SM10" + std::to_string(i), "+15550001111", "forged");
    CHECK(daemon.post_sms(conn, params, "wrong-token").status == 403);
  }
  daemon.process.wait_for_log("webhook rejected");
  auto metrics = conn.request("GET", "/metrics", {}, "");
  CHECK(metrics.body.find("omniroute_log_suppressed_lines_total{site=\"webhook_rejected\"} 4") !=
        std::string::npos);
  const std::string log = daemon.process.log();
  std::size_t lines = 0;
  for (auto at = log.find("webhook rejected"); at != std::string::npos;
       at = log.find("webhook rejected", at + 1)) {
    ++lines;
  }
  CHECK(lines == 1);
}

TEST_CASE("an authentic but unreadable webhook is dead-lettered, not lost") {
  RedisServer redis;
  Daemon daemon(redis);
  HttpConnection conn(daemon.port);
  FormParams no_sid = {{"From", "+15550001111"}, {"To", "+15005550006"}, {"Body", "hi"}};
  auto reply = daemon.post_sms(conn, no_sid);
  CHECK(reply.status == 400);
  CHECK(reply.body.find("MessageSid") != std::string::npos);
  CHECK(redis.xlen(kStream) == 0);
  CHECK(redis.xlen("omni:{demo}:deadletter") == 1);
}

TEST_CASE("a webhook found unreadable half-way through its event is dead-lettered, never stored") {
  RedisServer redis;
  Daemon daemon(redis);
  HttpConnection conn(daemon.port);
  // MediaUrl1 is found missing only after part of the event was built.
  FormParams half = {{"MessageSid", "SM0099"},
                     {"From", "+15550001111"},
                     {"To", "+15005550006"},
                     {"NumMedia", "2"},
                     {"MediaUrl0", "https://api.twilio.com/m/0"}};
  auto reply = daemon.post_sms(conn, half);
  CHECK(reply.status == 400);
  CHECK(reply.body.find("MediaUrl1") != std::string::npos);
  CHECK(redis.xlen(kStream) == 0);
  CHECK(redis.xlen("omni:{demo}:deadletter") == 1);
}

TEST_CASE("with Redis down the vendor gets 503 and Retry-After, and its retry lands once") {
  RedisServer redis;
  Daemon daemon(redis);
  auto params = twilio_sms("SM0004", "+15550001111", "are you there?");
  redis.stop();
  {
    HttpConnection conn(daemon.port);
    auto reply = daemon.post_sms(conn, params);
    CHECK(reply.status == 503);
    CHECK_FALSE(reply.header("retry-after").empty());
    CHECK(http_request(daemon.port, "GET", "/readyz").status == 503);
    CHECK(http_request(daemon.port, "GET", "/healthz").status == 200);
  }
  redis.start();
  // The client reconnects in the background; the vendor keeps retrying until it gets 200.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < deadline) {
    HttpConnection conn(daemon.port);
    status = daemon.post_sms(conn, params).status;
  }
  CHECK(status == 200);
  HttpConnection conn(daemon.port);
  CHECK(daemon.post_sms(conn, params).status == 200);
  CHECK(redis.xlen(kStream) == 1);
  CHECK(http_request(daemon.port, "GET", "/readyz").status == 200);
}

TEST_CASE("SIGTERM under load drains: every acknowledged event is in the stream, exit 0") {
  RedisServer redis;
  Daemon daemon(redis);
  std::atomic<bool> stop{false};
  std::atomic<int> next_sid{0};
  std::mutex acked_mutex;
  std::set<std::string> acked;
  auto client = [&] {
    while (!stop) {
      try {
        HttpConnection conn(daemon.port);
        while (!stop) {
          auto sid = "SMload" + std::to_string(next_sid++);
          auto reply = daemon.post_sms(conn, twilio_sms(sid, "+15550001111", "load"));
          if (reply.status == 200) {
            std::lock_guard lock(acked_mutex);
            acked.insert(sid);
          }
          if (reply.header("connection") == "close") break;
        }
      } catch (const std::exception&) {
        // The daemon closed the connection or stopped listening: expected during drain.
        if (!daemon.process.running()) return;
      }
    }
  };
  std::vector<std::thread> clients;
  for (int i = 0; i < 4; ++i) clients.emplace_back(client);
  while (next_sid < 200) std::this_thread::yield();  // load is flowing
  daemon.process.signal(SIGTERM);
  int code = daemon.process.wait_exit();
  stop = true;
  for (auto& t : clients) t.join();
  CHECK(code == 0);
  // Requests in flight at SIGTERM finish; one whose keep-alive connection the drain closed just
  // as it was sent fails on the client side (it was never acknowledged), so not all 200 count.
  REQUIRE(acked.size() >= 150);
  // Everything acknowledged is durable (at least); nothing was written twice.
  auto stored = stream_payloads(redis);
  std::set<std::string> stored_sids;
  for (const auto& bytes : stored) {
    omniroute::v1::StreamEntry entry;
    REQUIRE(entry.ParseFromString(bytes));
    stored_sids.insert(entry.contact().vendor_message_id());
  }
  CHECK(stored_sids.size() == stored.size());
  for (const auto& sid : acked) {
    INFO("acknowledged " << sid << " is missing from the stream");
    CHECK(stored_sids.count(sid) == 1);
  }
}

TEST_CASE("health, readiness and metrics endpoints answer") {
  RedisServer redis;
  Daemon daemon(redis);
  CHECK(http_request(daemon.port, "GET", "/healthz").status == 200);
  CHECK(http_request(daemon.port, "GET", "/readyz").status == 200);
  HttpConnection conn(daemon.port);
  daemon.post_sms(conn, twilio_sms("SM0005", "+15550001111", "x"));
  auto metrics = http_request(daemon.port, "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find(
            "omniroute_webhook_requests_total{adapter=\"twilio-demo\",status=\"200\"} 1") !=
        std::string::npos);
  CHECK(metrics.body.find("omniroute_xadd_seconds_bucket") != std::string::npos);
  CHECK(http_request(daemon.port, "GET", "/nope").status == 404);
}

TEST_CASE("SIGHUP reloads a good config and keeps the old one when the new is bad") {
  RedisServer redis;
  Daemon daemon(redis);
  write_file(daemon.config_path, "listen: [not, an, address\n");
  daemon.process.signal(SIGHUP);
  daemon.process.wait_for_log("reload failed");
  HttpConnection conn(daemon.port);
  CHECK(daemon.post_sms(conn, twilio_sms("SM0006", "+15550001111", "x")).status == 200);

  auto renamed = config_for(redis);
  auto at = renamed.find("/webhooks/twilio/demo");
  renamed.replace(at, 21, "/webhooks/twilio/next");
  write_file(daemon.config_path, renamed);
  daemon.process.signal(SIGHUP);
  daemon.process.wait_for_log("config reloaded");
  CHECK(http_request(daemon.port, "POST", "/webhooks/twilio/demo").status == 404);
  auto params = twilio_sms("SM0007", "+15550001111", "y");
  auto signature = twilio_signature(kToken, daemon.url("/webhooks/twilio/next"), params);
  auto reply = conn.request(
      "POST", "/webhooks/twilio/next",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", signature}},
      form_encode(params));
  CHECK(reply.status == 200);
  CHECK(redis.xlen(kStream) == 2);
}

TEST_CASE(
    "omniroute check accepts the example config and rejects a broken one with file:line:col") {
  auto ok = run_command({omniroute_binary(), "check", source_path("config/omniroute.example.yaml")},
                        {{"TWILIO_AUTH_TOKEN", "x"}});
  CHECK(ok.exit_code == 0);
  auto bad_path = write_temp_file("bad.yaml", "listen: 127.0.0.1:8080\nthreads: many\n");
  auto bad = run_command({omniroute_binary(), "check", bad_path});
  CHECK(bad.exit_code == 1);
  CHECK(bad.output.find("bad.yaml:2:10") != std::string::npos);
}

TEST_CASE("saving the config file reloads it without a signal") {
  RedisServer redis;
  Daemon daemon(redis);
  auto moved = config_for(redis);
  moved.replace(moved.find("/webhooks/twilio/demo"), 21, "/webhooks/twilio/edit");
  write_file(daemon.config_path, moved);
  daemon.process.wait_for_log("config reloaded");
  CHECK(daemon.process.log().find("changed on disk") != std::string::npos);
  HttpConnection conn(daemon.port);
  auto params = twilio_sms("SM0008", "+15550001111", "edited");
  auto signature = twilio_signature(kToken, daemon.url("/webhooks/twilio/edit"), params);
  auto reply = conn.request(
      "POST", "/webhooks/twilio/edit",
      {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", signature}},
      form_encode(params));
  CHECK(reply.status == 200);
}
