// The ingest benchmark's ceiling: the daemon's own HttpServer and RedisClient doing nothing but
// one pipelined `XADD <stream> MAXLEN ~ N * e <body>` per request, answering 200 when it returns.
//
// It has everything omniroute's ingest path has except the work that makes it omniroute
// (signature check, form parsing, normalization, protobuf, the dedup script), so the ratio
// omniroute / bare_xadd_server says what that work costs.
#include <pthread.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "common/log.h"
#include "common/metrics.h"
#include "daemon/http/server.h"
#include "daemon/redis/client.h"
#include "daemon/redis/url.h"

namespace {

using namespace omniroute;
using namespace omniroute::daemon;
using omniroute::Result;

struct Options {
  std::uint16_t port = 0;
  std::size_t threads = 2;
  std::string redis_url = "redis://127.0.0.1:6379";
  std::size_t connections = 2;
  std::string stream = "bench:bare:inbound";
  std::string maxlen = "1000000";
};

[[noreturn]] void usage_error(const std::string& message) {
  std::cerr << "bare_xadd_server: " << message << "\n"
            << "usage: bare_xadd_server [--port N] [--threads N] [--redis-url URL]\n"
               "                        [--connections N] [--stream KEY] [--maxlen N]\n";
  std::exit(2);
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) usage_error(flag + " needs a value");
    std::string value = argv[++i];
    try {
      if (flag == "--port")
        o.port = static_cast<std::uint16_t>(std::stoul(value));
      else if (flag == "--threads")
        o.threads = std::stoul(value);
      else if (flag == "--redis-url")
        o.redis_url = value;
      else if (flag == "--connections")
        o.connections = std::stoul(value);
      else if (flag == "--stream")
        o.stream = value;
      else if (flag == "--maxlen")
        o.maxlen = std::to_string(std::stoul(value));
      else
        usage_error("unknown option " + flag);
    } catch (const std::logic_error&) {
      usage_error(flag + " wants a number, got '" + value + "'");
    }
  }
  return o;
}

// The same answer omniroute gives Twilio, so both servers write the same bytes.
HttpResponse empty_twiml() {
  HttpResponse response;
  response.content_type = "text/xml";
  response.body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response></Response>";
  return response;
}

// `redis` is made after the server, on the server's io_context, and before the server starts.
// Every 8th XADD of a thread is written at once, taking the ones queued before it along: the
// same mid-turn write omniroute's group commit does with a full batch of 8 (IngestStore), so
// that neither server makes its thread and Redis take turns.
HttpHandler xadd_handler(const std::unique_ptr<RedisClient>& redis, const Options& o) {
  return [&redis, &o](HttpRequest&& request, Responder respond) {
    thread_local std::uint64_t queued = 0;
    const RedisWrite write = ++queued % 8 == 0 ? RedisWrite::now : RedisWrite::with_turn;
    redis->command(
        {"XADD", o.stream, "MAXLEN", "~", o.maxlen, "*", "e", std::move(request.body)},
        [respond = std::move(respond)](Result<RedisReply> reply) {
          if (reply && !reply->is_error()) return respond(empty_twiml());
          respond(json_error(503, "unavailable", "XADD failed"));
        },
        write);
  };
}

// Waits up to five seconds for the Redis handshake; the benchmark must not start before it.
bool wait_ready(const RedisClient& redis) {
  for (int i = 0; i < 500 && !redis.ready(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return redis.ready();
}

}  // namespace

int main(int argc, char** argv) {
  Options o = parse_options(argc, argv);
  auto endpoint = parse_redis_url(o.redis_url);
  if (!endpoint) usage_error("bad --redis-url: " + endpoint.error().message);

  // Block the stop signals before any thread starts, so that only sigwait() below sees them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  Logger logger(LogLevel::warn);
  Metrics metrics;
  HttpServerOptions http;
  http.port = o.port;
  http.threads = o.threads;
  std::unique_ptr<RedisClient> redis;
  HttpServer server(http, xadd_handler(redis, o), logger, metrics);
  RedisClientOptions redis_options;
  redis_options.endpoint = *endpoint;
  redis_options.connections = o.connections;
  // As omniroute does: a connection per server thread, used by that thread.
  redis = std::make_unique<RedisClient>(server.contexts(), redis_options, logger, metrics);
  redis->start();
  server.start();
  if (!wait_ready(*redis)) {
    std::cerr << "bare_xadd_server: Redis at " << endpoint->describe() << " is not ready\n";
    return 1;
  }
  std::cerr << "{\"msg\":\"listening\",\"port\":" << server.port() << "}" << std::endl;

  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.begin_drain();
  server.wait_drained(std::chrono::milliseconds(2000));
  redis->stop();
  server.stop();
  return 0;
}
