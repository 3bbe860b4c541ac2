// HTTP side of the API: route → token → role → body → handler. Every refusal goes through
// denied() so it is logged and counted once, with the same reason the client sees.
#include "api/api.h"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <stdexcept>

#include "api/api_impl.h"
#include "api/json_body.h"
#include "omniroute/v1/assignment.pb.h"

namespace omniroute::api {
namespace {

// Expired tokens' sockets are closed within this long.
constexpr std::chrono::seconds kSweepInterval{1};

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

Api::Impl::Impl(boost::asio::io_context& io_, daemon::RedisClient& redis, ApiOptions o,
                const Clock& clock_, Logger& log_, Metrics& metrics_)
    : io(io_),
      options(std::move(o)),
      clock(clock_),
      log(log_),
      metrics(metrics_),
      denied_log(clock, {.suppressed_counter = &log_suppressed_counter(metrics, "api_denied")}),
      auth(options.config, clock),
      bus(io, redis, clock, options.config.command_timeout, log),
      sockets(std::make_shared<AgentSockets>(
          clock, [this](const std::string& t, const std::string& c, const std::string& e,
                        auto done) { lookup_message(t, c, e, std::move(done)); })),
      services{redis, bus, clock, log, options.prefix, {}, {}},
      max_body_bytes(options.config.max_body_bytes),
      static_files(std::make_unique<StaticFiles>(options.config.web_root)),
      sweep(io) {
  load_static_files(true);
  for (const auto& tenant : options.tenants) {
    auto keys = daemon::TenantKeys::make(options.prefix, tenant).value();  // config checked them
    TailSinks sinks{[this, tenant](const std::string& id, int status, std::string body) {
                      on_result(tenant, status, body);
                      bus.resolve(id, status, std::move(body));
                    },
                    [this, tenant](const std::string& payload) { on_assignment(tenant, payload); }};
    tails.push_back(std::make_unique<TenantTail>(io, options.tail, keys, std::move(sinks), log));
  }
}

void Api::Impl::start() {
  for (auto& t : tails) t->start();
  arm_sweep();
}

void Api::Impl::stop() {
  if (stopped.exchange(true)) return;
  sockets->close_all();
  for (auto& t : tails) t->stop();
  boost::asio::post(io, [this] { sweep.cancel(); });
}

bool Api::Impl::ready() const {
  for (const auto& t : tails) {
    if (!t->initialised()) return false;
  }
  return true;
}

void Api::Impl::arm_sweep() {
  sweep.expires_after(kSweepInterval);
  sweep.async_wait([this](const boost::system::error_code& ec) {
    if (ec || stopped) return;
    sockets->close_expired();
    arm_sweep();
  });
}

void Api::Impl::update_config(const api::ApiConfig& config) {
  auth.update(config);
  bus.set_timeout(config.command_timeout);
  max_body_bytes = config.max_body_bytes;
}

void Api::Impl::load_static_files(bool at_start) {
  const std::string& root = static_files->root();
  auto loaded = static_files->load();
  if (loaded) {
    log.info("static files loaded",
             {{"root", root}, {"files", loaded->files}, {"bytes", loaded->bytes}});
  } else if (at_start && loaded.error().code == Errc::not_found) {
    log.warn("api.web_root not found: the console and dashboard are not served", {{"root", root}});
  } else if (at_start) {
    throw std::runtime_error("api.web_root: " + loaded.error().message);
  } else {
    log.error("static files reload failed, keeping the files served",
              {{"root", root}, {"error", loaded.error().message}});
  }
}

void Api::Impl::on_assignment(const std::string& tenant, const std::string& payload) {
  v1::AssignmentEvent event;
  if (!event.ParseFromString(payload)) {
    log.warn("api tail: unreadable assignment event", {{"tenant", tenant}});
    return;
  }
  sockets->on_event(tenant, event);
}

// Every instance tails every result, so each pushes a reply to the sockets it holds, whichever
// instance took the reply: all of the agent's tabs show it.
void Api::Impl::on_result(const std::string& tenant, int status, const std::string& body) {
  if (status != 200 || body.find("\"message\"") == std::string::npos) return;
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return;
  const auto* line = value.as_object().if_contains("message");
  const auto* duplicate = value.as_object().if_contains("duplicate");
  // Only a reply's result has a history line under "message"; a duplicate sent nothing new.
  if (!line || !line->is_object() || !duplicate || !duplicate->is_bool() || duplicate->as_bool()) {
    return;
  }
  sockets->on_reply(tenant, line->as_object());
}

void Api::Impl::denied(const Denial& d, std::string_view tenant, std::string_view route,
                       std::string_view who) {
  // The tenant label comes from the URL: only configured tenants become label values, so a
  // scan of made-up tenant names cannot grow the metric without bound.
  const std::string label =
      options.config.tenants.count(std::string(tenant)) ? std::string(tenant) : "unknown";
  metrics
      .counter("omniroute_api_denied_total", "API requests refused by authentication or role",
               {{"tenant", label}, {"reason", d.reason}})
      .inc();
  if (auto suppressed = denied_log.admit(route, d.reason)) {
    log.warn("api denied", {{"reason", d.reason},
                            {"status", d.status},
                            {"route", route},
                            {"tenant", tenant},
                            {"token_name", who},
                            {"suppressed", *suppressed}});
  }
}

void Api::Impl::count_answer(const std::string& tenant, std::string_view route, int status,
                             std::chrono::steady_clock::duration took) {
  // Labels stay bounded: tenants are configured ones (admit() refused the rest), routes are the
  // table's patterns, statuses a handful of codes.
  metrics
      .counter(
          "omniroute_api_requests_total", "API requests answered, by route and status",
          {{"tenant", tenant}, {"route", std::string(route)}, {"status", std::to_string(status)}})
      .inc();
  metrics
      .histogram("omniroute_api_request_seconds", "API request latency, by route",
                 {{"route", std::string(route)}})
      .observe(std::chrono::duration<double>(took).count());
}

std::variant<Admitted, daemon::HttpResponse> Api::Impl::admit(const daemon::HttpRequest& request,
                                                              bool websocket) {
  auto match = match_route(request.method, request.path);
  if (!match.route) {
    if (match.allowed.empty()) {
      return daemon::json_error(404, "not_found", "no route for " + request.path);
    }
    auto r = daemon::json_error(405, "method_not_allowed", request.method + " not allowed here");
    r.headers.emplace_back("Allow", join(match.allowed));
    return r;
  }
  const std::string& tenant = match.params.at("tenant");
  auto result = auth.authenticate(tenant, Authenticator::token_of(request, websocket));
  if (!result.ok()) {
    denied(result.denial, tenant, match.route->pattern, "");
    return result.denial.response();
  }
  if (auto refused = check_access(*match.route, *result.principal, match.params)) {
    denied(*refused, tenant, match.route->pattern, result.principal->name);
    return refused->response();
  }
  auto keys = daemon::TenantKeys::make(options.prefix, tenant);
  if (!keys) return daemon::json_error(404, "not_found", "no such tenant");
  return Admitted{match.route, std::move(*result.principal), std::move(match.params),
                  std::move(*keys)};
}

void Api::Impl::handle_api(daemon::HttpRequest&& request, daemon::Responder respond) {
  auto admitted = admit(request, false);
  if (auto* refusal = std::get_if<daemon::HttpResponse>(&admitted)) return respond(*refusal);
  auto& a = std::get<Admitted>(admitted);
  auto body = parse_body_object(request.body, max_body_bytes.load());
  if (!body) {
    const int status = http_status(body.error().code);
    return respond(daemon::json_error(status, to_string(body.error().code), body.error().message));
  }
  // A handler's own 403 (not the contact's holder) is a denial like the route's. Every answer
  // is counted per route and status, and timed: an on-call engineer sees a slow or failing
  // route (a 504 means no active router answered) without reading logs.
  auto counted = [this, respond, tenant = a.keys.tenant(), route = a.route->pattern,
                  name = a.who.name,
                  started = std::chrono::steady_clock::now()](daemon::HttpResponse r) {
    if (r.status == 403) denied(Denial{403, "not_holder", ""}, tenant, route, name);
    count_answer(tenant, route, r.status, std::chrono::steady_clock::now() - started);
    respond(std::move(r));
  };
  auto call = std::make_shared<Call>(Call{a.route, std::move(request), std::move(a.who),
                                          std::move(a.params), std::move(a.keys), std::move(*body),
                                          std::move(counted)});
  dispatch(call);
}

void Api::Impl::dispatch(const CallPtr& call) {
  switch (call->route->id) {
    case RouteId::me: {
      boost::json::object me{{"tenant", call->who.tenant},
                             {"role", to_string(call->who.role)},
                             {"name", call->who.name}};
      if (!call->who.agent.empty()) me["agent"] = call->who.agent;
      if (call->who.expires_ms) me["expires_ms"] = *call->who.expires_ms;
      return reply_json(*call, 200, me);
    }
    case RouteId::agent_socket:
      return reply_error(*call, 426, "upgrade_required", "this route is a WebSocket");
    case RouteId::agents_list:
    case RouteId::agent_get:
    case RouteId::agent_work:
      return handle_agent_read(services, call);
    case RouteId::contact_get:
    case RouteId::contact_trail:
      return handle_contact_read(services, call);
    case RouteId::customer_get:
    case RouteId::customer_patch:
    case RouteId::customer_link:
    case RouteId::customer_history:
      return handle_customer(services, call);
    case RouteId::queues:
    case RouteId::dashboard:
    case RouteId::rules_get:
      return handle_overview(services, call);
    default:
      return handle_command(services, call);
  }
}

// ---- Api ------------------------------------------------------------------------------------

Api::Api(boost::asio::io_context& io, daemon::RedisClient& redis, ApiOptions options,
         const Clock& clock, Logger& log, Metrics& metrics)
    : impl_(std::make_unique<Impl>(io, redis, std::move(options), clock, log, metrics)) {}
Api::~Api() = default;

void Api::start() {
  impl_->start();
}
void Api::stop() {
  impl_->stop();
}
bool Api::ready() const {
  return impl_->ready();
}

bool Api::try_handle(daemon::HttpRequest& request, daemon::Responder& respond) {
  if (request.path.starts_with("/api/")) {
    impl_->handle_api(std::move(request), respond);
    return true;
  }
  auto file = impl_->static_files->serve(request);
  if (!file) return false;
  respond(std::move(*file));
  return true;
}

daemon::WebSocketUpgradeHandler Api::websocket_handler() {
  return [impl = impl_.get()](const daemon::HttpRequest& request,
                              std::shared_ptr<daemon::WebSocketChannel> channel) {
    return impl->upgrade(request, std::move(channel));
  };
}

void Api::update_config(const api::ApiConfig& config) {
  impl_->update_config(config);
}
void Api::reload_static_files() {
  impl_->load_static_files(false);
}
void Api::set_rules(std::shared_ptr<const routing::Rules> rules) {
  impl_->services.set_rules(std::move(rules));
}
std::size_t Api::close_expired_sockets() {
  return impl_->sockets->close_expired();
}
std::size_t Api::open_sockets() const {
  return impl_->sockets->size();
}

}  // namespace omniroute::api
