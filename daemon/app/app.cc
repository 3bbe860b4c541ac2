#include "daemon/app/app.h"

#include <systemd/sd-daemon.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <filesystem>
#include <optional>
#include <thread>

#include "api/api.h"
#include "common/clock.h"
#include "common/log.h"
#include "common/metrics.h"
#include "daemon/app/file_watch.h"
#include "daemon/app/heartbeats.h"
#include "daemon/app/loop_thread.h"
#include "daemon/http/server.h"
#include "daemon/ingest/ingest.h"
#include "daemon/ingest/store.h"
#include "daemon/redis/client.h"
#include "daemon/redis/embedded.h"
#include "daemon/router/router.h"
#include "routing/rules_yaml.h"

namespace omniroute::daemon {
namespace {

// How often the config and rules files are checked for changes.
constexpr std::chrono::seconds kFileWatchInterval{1};
// A loop whose last heartbeat is older than this is stuck. Under the systemd watchdog the limit
// is half of WATCHDOG_USEC instead; without it a stuck loop is only logged and measured.
constexpr std::chrono::milliseconds kStuckLimitWithoutWatchdog{15'000};
// At shutdown the routers get this long to hand their leases over before their loop is stopped.
constexpr std::chrono::milliseconds kRouterStopGrace{2'000};

HttpServerOptions server_options(const Config& c) {
  HttpServerOptions o;
  o.address = c.listen.host;
  o.port = c.listen.port;
  o.threads = io_threads(c, std::thread::hardware_concurrency());
  o.max_body_bytes = c.http.max_body_bytes;
  o.max_in_flight_body_bytes = c.http.max_in_flight_body_bytes;
  o.max_header_bytes = c.http.max_header_bytes;
  o.read_timeout = c.http.read_timeout;
  o.idle_timeout = c.http.idle_timeout;
  o.max_connections = c.http.max_connections;
  o.drain_timeout = c.http.drain_timeout;
  return o;
}

IngestStoreOptions store_options(const Config& c) {
  IngestStoreOptions o;
  o.prefix = c.streams.prefix;
  o.inbound_maxlen = static_cast<std::int64_t>(c.streams.inbound_maxlen);
  o.dedup_ttl_secs = c.streams.dedup_ttl.count();
  o.raw_payload_ttl_secs = c.streams.raw_payload_ttl.count();
  return o;
}

// Builds one adapter instance per configured endpoint. The config loader has already checked
// vendors and settings, so a failure here is a bug or a secret that changed underneath.
Result<std::vector<Endpoint>> build_endpoints(const Config& c, const ListenAddress& bound) {
  std::vector<Endpoint> out;
  for (const auto& a : c.adapters) {
    const auto* factory = adapters::find_factory(a.vendor);
    if (!factory) return make_error(Errc::invalid_input, "unknown vendor " + a.vendor);
    auto adapter = factory->make(a.settings);
    if (!adapter) {
      return make_error(Errc::invalid_input, "adapter " + a.name + ": " + adapter.error().message);
    }
    out.push_back(Endpoint{a.name, a.vendor, a.tenant, a.path, public_url_for(c, a, bound),
                           std::move(*adapter)});
  }
  return out;
}

HttpResponse text(int status, std::string content_type, std::string body) {
  return HttpResponse{status, std::move(content_type), std::move(body), {}};
}

}  // namespace

class App::Impl {
 public:
  Impl(Config config, std::string config_path, Overrides overrides)
      : config_(std::move(config)),
        config_path_(std::move(config_path)),
        overrides_(std::move(overrides)),
        logger_(config_.log.level) {
    logger_.set_redact_bodies(config_.log.redact_bodies);
    for (const auto& w : config_.warnings) logger_.warn("config warning", {{"detail", w}});
  }

  int run() {
    // From here on no thread writes stderr itself: a slow journald cannot stall an I/O thread.
    logger_.count_drops_in(&metrics_.counter("omniroute_log_dropped_lines_total",
                                             "Log lines dropped because the log queue was full"));
    logger_.start_writer();
    start_redis_endpoint();
    server_.emplace(
        server_options(config_),
        [this](HttpRequest&& r, Responder respond) { dispatch(std::move(r), respond); }, logger_,
        metrics_);
    // One connection per server thread: a webhook's Redis round trip stays on its thread.
    redis_.emplace(server_->contexts(), redis_options(), logger_, metrics_);
    store_.emplace(*redis_, store_options(config_), metrics_, SystemClock::instance());
    // Webhooks that arrive on one thread in the same loop turn share one script call.
    store_->enable_batching(server_->contexts());
    ingest_.emplace(*store_, *redis_, config_.streams.prefix, metrics_, logger_,
                    SystemClock::instance());
    install_endpoints(config_, config_.listen);
    make_api();
    server_->start();
    redis_->start();
    if (api_) api_->start();
    start_routers();
    bound_ = ListenAddress{config_.listen.host, server_->port()};
    if (config_.listen.port == 0) install_endpoints(config_, bound_);  // URLs need the real port
    logger_.info("listening", {{"address", bound_.host},
                               {"port", static_cast<int>(bound_.port)},
                               {"threads", static_cast<int>(server_->contexts().size())}});
    sd_notify(0, "READY=1\nSTATUS=serving");
    watch_signals();
    watch_files();
    start_heartbeats();
    control_.run();
    return shutdown();
  }

 private:
  void start_redis_endpoint() {
    if (!config_.redis.is_embedded()) return;
    EmbeddedRedisOptions options;
    options.redis_server = config_.redis.embedded.binary;
    options.data_dir = config_.redis.embedded.data_dir;
    embedded_ = std::make_unique<EmbeddedRedis>(std::move(options), &logger_);
  }

  RedisClientOptions redis_options() const {
    RedisClientOptions o;
    const auto& r = config_.redis;
    if (embedded_) {
      o.endpoint.kind = RedisEndpoint::Kind::unix_socket;
      o.endpoint.socket_path = embedded_->socket_path();
    } else {
      o.endpoint = r.endpoint;
    }
    o.connections = r.connections;
    o.command_timeout = r.command_timeout;
    o.connect_timeout = r.connect_timeout;
    return o;
  }

  // The API role: routes under /api/, the agents' WebSockets, the console's files, and a tail
  // per tenant (every tenant routed here or given API tokens).
  void make_api() {
    if (!config_.api.enabled) return;
    api::ApiOptions o;
    o.prefix = config_.streams.prefix;
    o.config = config_.api;
    o.tenants = config_.routing.tenants;
    for (const auto& [tenant, unused] : config_.api.tenants) {
      if (std::find(o.tenants.begin(), o.tenants.end(), tenant) == o.tenants.end()) {
        o.tenants.push_back(tenant);
      }
    }
    o.tail.redis = redis_options();
    api_.emplace(server_->context(), *redis_, std::move(o), SystemClock::instance(), logger_,
                 metrics_);
    // The queue view reads SLA targets and skills from the rules; a missing or bad file only
    // leaves them out (the router role reports it).
    if (std::filesystem::exists(config_.routing.rules_file)) {
      if (auto rules = routing::load_rules_file(config_.routing.rules_file))
        api_->set_rules(*rules);
    }
    server_->set_websocket_handler(api_->websocket_handler());
  }

  // The router role: one Router per configured tenant, each on its own strand of the routers'
  // thread (not an HTTP I/O thread), each with its own Redis connections on that thread. Bad
  // rules at start-up stop the process (they are checked first).
  void start_routers() {
    if (!config_.routing.enabled) return;
    if (config_.routing.rules_file == RoutingConfig().rules_file &&
        !std::filesystem::exists(config_.routing.rules_file)) {
      // Only the default may be missing (an ingest-only install); a named file must load.
      logger_.warn("router role off: no rules file", {{"path", config_.routing.rules_file}});
      return;
    }
    auto rules = routing::load_rules_file(config_.routing.rules_file);
    if (!rules) throw std::runtime_error("routing rules: " + rules.error().message);
    router_loop_.emplace("omni-router", logger_);
    router_loop_->start();
    for (const auto& tenant : config_.routing.tenants) {
      routers_.push_back(std::make_unique<Router>(router_loop_->context(), router_options(tenant),
                                                  *rules, SystemClock::instance(), logger_,
                                                  metrics_));
      routers_.back()->start();
    }
    logger_.info("router role started", {{"tenants", config_.routing.tenants.size()},
                                         {"rules", config_.routing.rules_file}});
  }

  RouterOptions router_options(const std::string& tenant) {
    const auto& r = config_.routing;
    RouterOptions o;
    o.prefix = config_.streams.prefix;
    o.tenant = tenant;
    o.consumer = r.consumer_name;
    if (o.consumer.empty()) {
      char host[256] = {};
      gethostname(host, sizeof(host) - 1);
      o.consumer = std::string(host) + "-" + std::to_string(getpid());
    }
    o.lease_ttl = r.lease_ttl;
    o.claim_idle = r.claim_idle;
    o.batch = r.batch;
    o.conversation_idle_close = r.conversation_idle_close;
    o.max_deliveries = r.max_deliveries;
    // The reload_rules command (POST /rules/reload) reads the file as SIGHUP does, on the
    // routers' thread (never an HTTP I/O thread); the API's queue view follows the rules the
    // router runs (Api::set_rules is thread-safe).
    o.load_rules = [this, path = r.rules_file]() -> Result<std::shared_ptr<const routing::Rules>> {
      auto rules = routing::load_rules_file(path);
      if (rules && api_) api_->set_rules(*rules);
      return rules;
    };
    o.redis = redis_options();
    return o;
  }

  // SIGHUP: a good rules file replaces the running rules; a bad one is logged with
  // file:line:col and the running rules stay (invariants 5 and 6).
  void reload_rules() {
    if (routers_.empty()) return;
    auto rules = routing::load_rules_file(config_.routing.rules_file);
    if (!rules) {
      logger_.error("rules reload failed, keeping the running rules",
                    {{"path", config_.routing.rules_file}, {"errors", rules.error().message}});
      return;
    }
    for (auto& router : routers_) router->set_rules(*rules);
    if (api_) api_->set_rules(*rules);
    logger_.info("rules reloaded",
                 {{"path", config_.routing.rules_file}, {"version", (*rules)->version}});
  }

  void install_endpoints(const Config& c, const ListenAddress& bound) {
    auto endpoints = build_endpoints(c, bound);
    if (!endpoints) throw std::runtime_error(endpoints.error().message);
    ingest_->set_endpoints(std::move(*endpoints));
  }

  void dispatch(HttpRequest&& request, Responder& respond) {
    if (request.path == "/healthz")
      return respond(text(200, "application/json", "{\"status\":\"ok\"}"));
    if (request.path == "/readyz") return respond(readiness());
    if (request.path == "/metrics") {
      return respond(text(200, "text/plain; version=0.0.4", metrics_.render()));
    }
    if (api_ && api_->try_handle(request, respond)) return;
    if (ingest_->try_handle(request, respond)) return;
    respond(json_error(404, "not_found", "no route for " + request.path));
  }

  HttpResponse readiness() const {
    const bool redis_up = redis_->ready();
    // The API answers commands only once its tails have their cursors (docs/commands.md).
    if (redis_up && (!api_ || api_->ready())) {
      return text(200, "application/json", "{\"status\":\"ready\"}");
    }
    auto response =
        json_error(503, "not_ready", redis_up ? "api tails starting" : "redis is not reachable");
    response.headers.emplace_back("Retry-After", "1");
    return response;
  }

  void watch_signals() {
    signals_.async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        reload();
        watch_signals();
        return;
      }
      logger_.info("draining", {{"signal", signo}});
      control_.stop();
    });
  }

  // Saving the config or the rules file reloads it as SIGHUP does (invariant 6 says "SIGHUP, or
  // file change"). A half-written file fails validation and the running config stays; the
  // next poll sees the finished file.
  void watch_files() {
    if (!file_watch_) {
      std::vector<std::string> paths{config_path_};
      if (!routers_.empty()) paths.push_back(config_.routing.rules_file);
      file_watch_.emplace(std::move(paths));
    }
    file_timer_.expires_after(kFileWatchInterval);
    file_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      if (file_watch_->changed()) {
        logger_.info("config or rules file changed on disk, reloading");
        reload();
      }
      watch_files();
    });
  }

  // SIGHUP: a good file replaces what can change at run time; a bad one is logged and the
  // running config stays.
  void reload() {
    sd_notify(0, "RELOADING=1");
    reload_rules();
    if (api_) api_->reload_static_files();
    auto fresh = load_config_file(config_path_, overrides_);
    if (!fresh) {
      logger_.error("reload failed, keeping the running config",
                    {{"path", config_path_}, {"errors", fresh.error().message}});
    } else if (auto endpoints = build_endpoints(*fresh, bound_); !endpoints) {
      logger_.error("reload failed, keeping the running config",
                    {{"path", config_path_}, {"errors", endpoints.error().message}});
    } else {
      warn_about_restart_only_changes(*fresh);
      ingest_->set_endpoints(std::move(*endpoints));
      if (api_) api_->update_config(fresh->api);
      config_.api = fresh->api;
      logger_.set_level(fresh->log.level);
      logger_.set_redact_bodies(fresh->log.redact_bodies);
      for (const auto& w : fresh->warnings) logger_.warn("config warning", {{"detail", w}});
      logger_.info("config reloaded",
                   {{"path", config_path_}, {"adapters", fresh->adapters.size()}});
      config_.adapters = fresh->adapters;
      config_.log = fresh->log;
    }
    sd_notify(0, "READY=1");
  }

  void warn_about_restart_only_changes(const Config& fresh) {
    auto warn = [&](const char* what) {
      logger_.warn("config change needs a restart to take effect", {{"setting", what}});
    };
    if (fresh.listen.to_string() != config_.listen.to_string()) warn("listen");
    if (fresh.redis.url != config_.redis.url) warn("redis.url");
    if (fresh.threads != config_.threads) warn("threads");
    if (fresh.streams.prefix != config_.streams.prefix) warn("streams.prefix");
  }

  // Every loop (each HTTP I/O thread, the routers' thread) beats from a timer on itself; the
  // control thread checks them all and pings the systemd watchdog only while none is stuck, so
  // systemd restarts a stuck process and leaves a merely busy one (still beating) alone.
  void start_heartbeats() {
    std::uint64_t usec = 0;
    watchdog_on_ = sd_watchdog_enabled(0, &usec) > 0 && usec > 0;
    stuck_limit_ = watchdog_on_ ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::microseconds(usec / 2))
                                : kStuckLimitWithoutWatchdog;
    // Several beats and checks fit in the limit, so a loop that merely waited for its timer is
    // never taken for stuck.
    beat_interval_ = std::clamp<std::chrono::milliseconds>(
        stuck_limit_ / 4, std::chrono::milliseconds(10), std::chrono::seconds(1));
    // Every loop is registered before any beats (the registry does not grow under readers).
    std::vector<std::pair<std::size_t, boost::asio::io_context*>> loops;
    auto contexts = server_->contexts();
    for (std::size_t i = 0; i < contexts.size(); ++i) {
      loops.emplace_back(add_loop("http-" + std::to_string(i)), contexts[i]);
    }
    if (router_loop_) loops.emplace_back(add_loop("router"), &router_loop_->context());
    for (auto [loop, io] : loops) {
      beat_timers_.push_back(
          std::make_unique<HeartbeatTimer>(*io, heartbeats_, loop, beat_interval_));
      beat_timers_.back()->start();
    }
    check_heartbeats();
  }

  std::size_t add_loop(const std::string& name) {
    heartbeat_age_.push_back(&metrics_.gauge(
        "omniroute_loop_heartbeat_age_ms",
        "Milliseconds since the event loop last ran its heartbeat task", {{"loop", name}}));
    return heartbeats_.add(name);
  }

  void check_heartbeats() {
    const auto verdict = heartbeats_.check(stuck_limit_);
    for (std::size_t i = 0; i < heartbeats_.size(); ++i) {
      heartbeat_age_[i]->set(heartbeats_.age(i).count());
    }
    for (auto i : verdict.newly_stuck) {
      logger_.error("event loop stuck", {{"loop", heartbeats_.name(i)},
                                         {"since_ms", heartbeats_.age(i).count()},
                                         {"limit_ms", stuck_limit_.count()},
                                         {"watchdog", watchdog_on_ ? "withheld" : "off"}});
    }
    for (auto i : verdict.recovered) {
      logger_.warn("event loop running again", {{"loop", heartbeats_.name(i)}});
    }
    if (watchdog_on_) {
      if (verdict.healthy) {
        sd_notify(0, "WATCHDOG=1");
      } else {
        withheld_pings_.inc();
      }
    }
    heartbeat_check_.expires_after(beat_interval_);
    heartbeat_check_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) check_heartbeats();
    });
  }

  int shutdown() {
    sd_notify(0, "STOPPING=1");
    for (auto& router : routers_) router->stop();  // hands the lease over while draining
    for (auto& beat : beat_timers_) beat->stop();  // lets the routers' loop run out of work
    if (api_) api_->stop();                        // closes the agents' sockets (1001)
    server_->begin_drain();
    bool drained = server_->wait_drained(config_.http.drain_timeout);
    logger_.info("drained", {{"complete", drained}});
    if (router_loop_) {
      logger_.info("router thread stopped",
                   {{"leases_released", router_loop_->finish(kRouterStopGrace)}});
    }
    redis_->stop();
    server_->stop();
    beat_timers_.clear();  // every loop has stopped: no beat can run any more
    routers_.clear();
    api_.reset();  // after the pool has stopped: no tail or timer callback is left to run
    ingest_.reset();
    store_.reset();
    redis_.reset();
    server_.reset();
    embedded_.reset();
    logger_.info("stopped");
    logger_.stop_writer();  // writes what is queued, waiting a bounded time
    logger_.count_drops_in(nullptr);
    return 0;
  }

  Config config_;
  std::string config_path_;
  Overrides overrides_;
  Logger logger_;
  Metrics metrics_;
  ListenAddress bound_;
  boost::asio::io_context control_;  // signals, reloads and the watchdog, on the main thread
  boost::asio::signal_set signals_{control_, SIGTERM, SIGINT, SIGHUP};
  boost::asio::steady_timer heartbeat_check_{control_};
  boost::asio::steady_timer file_timer_{control_};
  std::optional<FileWatch> file_watch_;
  std::unique_ptr<EmbeddedRedis> embedded_;
  std::optional<HttpServer> server_;
  std::optional<RedisClient> redis_;
  std::optional<IngestStore> store_;
  std::optional<Ingest> ingest_;
  std::optional<api::Api> api_;
  // The routers' executor; declared before the routers, which must die first.
  std::optional<LoopThread> router_loop_;
  std::vector<std::unique_ptr<Router>> routers_;
  LoopHeartbeats heartbeats_{MonotonicClock::instance()};
  std::vector<std::unique_ptr<HeartbeatTimer>> beat_timers_;  // one per loop, as registered
  std::vector<Gauge*> heartbeat_age_;                         // likewise
  Counter& withheld_pings_{
      metrics_.counter("omniroute_watchdog_pings_withheld_total",
                       "Watchdog checks that found a stuck event loop and sent systemd no ping")};
  bool watchdog_on_ = false;
  std::chrono::milliseconds stuck_limit_{kStuckLimitWithoutWatchdog};
  std::chrono::milliseconds beat_interval_{1000};
};

App::App(Config config, std::string config_path, Overrides overrides)
    : impl_(std::make_unique<Impl>(std::move(config), std::move(config_path),
                                   std::move(overrides))) {}
App::~App() = default;
int App::run() {
  return impl_->run();
}

}  // namespace omniroute::daemon
