// Customers: the profile (hash `<base>:customer:<id>`: tier, created_ms, merged_into), its
// identities (set `...:identities`), CRM attributes (hash `...:attributes`, a separate key so a
// CRM cannot overwrite the router's fields), history (list `<base>:history:<id>`) and links.
// Every key comes from daemon::TenantKeys (docs/redis-layout.md).
#include <boost/json/parse.hpp>
#include <charconv>

#include "api/bodies.h"
#include "api/call.h"
#include "api/redis_reads.h"
#include "daemon/router/identity.h"

namespace omniroute::api {
namespace {

// KEYS: profile, attributes. ARGV: tier ("" = keep), then attribute name/value pairs.
// The customer must exist: a CRM cannot invent customer ids.
constexpr const char* kPatchScript = R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
if ARGV[1] ~= '' then redis.call('HSET', KEYS[1], 'tier', ARGV[1]) end
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end
return 1
)lua";

std::int64_t to_int(std::string_view text) {
  std::int64_t v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return v;
}

// Agents see a customer while they are offered or hold one of its contacts.
void with_access(Services& s, const CallPtr& call, std::function<void()> then) {
  if (call->is_supervisor()) return then();
  load_routing_state(s.redis, call->keys, [call, then](Result<RoutingState> state) {
    if (!state) return reply_error(*call, state.error());
    const std::string& customer = call->param("customer");
    for (const auto& c : state->contacts) {
      if (c.customer_id == customer && c.agent == call->who.agent &&
          (c.status == routing::ContactStatus::offered ||
           c.status == routing::ContactStatus::active)) {
        return then();
      }
    }
    reply_error(*call, 403, "forbidden", "none of this customer's contacts is yours");
  });
}

void get_customer(Services& s, const CallPtr& call) {
  const std::string& id = call->param("customer");
  redis_call(s.redis, {"HGETALL", call->keys.customer(id)},
             [&s, call, id](Result<daemon::RedisReply> r) {
               if (!r) return reply_error(*call, r.error());
               auto fields = as_map(*r);
               if (fields.empty()) return reply_error(*call, 404, "not_found", "no such customer");
               boost::json::object view{{"id", call->param("customer")}};
               for (const auto& key : {"tier", "merged_into"}) {
                 if (fields.count(key)) view[key] = fields[key];
               }
               if (fields.count("created_ms")) view["created_ms"] = to_int(fields["created_ms"]);
               redis_call(s.redis, {"SMEMBERS", call->keys.customer_identities(id)},
                          [&s, call, id, view](Result<daemon::RedisReply> ids) mutable {
                            if (!ids) return reply_error(*call, ids.error());
                            boost::json::array identities;
                            for (const auto& id : ids->elements)
                              identities.push_back(boost::json::string(id.str));
                            view["identities"] = std::move(identities);
                            redis_call(s.redis, {"HGETALL", call->keys.customer_attributes(id)},
                                       [call, view](Result<daemon::RedisReply> attrs) mutable {
                                         if (!attrs) return reply_error(*call, attrs.error());
                                         boost::json::object a;
                                         for (const auto& [k, v] : as_map(*attrs)) a[k] = v;
                                         view["attributes"] = std::move(a);
                                         reply_json(*call, 200, view);
                                       });
                          });
             });
}

void get_history(Services& s, const CallPtr& call) {
  const std::string& customer = call->param("customer");
  redis_call(s.redis, {"LRANGE", call->keys.history(customer), "0", "-1"},
             [call, customer](Result<daemon::RedisReply> r) {
               if (!r) return reply_error(*call, r.error());
               boost::json::array lines;
               for (const auto& line : r->elements) {
                 boost::system::error_code ec;
                 auto v = boost::json::parse(line.str, ec);
                 if (!ec && v.is_object()) lines.push_back(std::move(v));
               }
               reply_json(
                   *call, 200,
                   boost::json::object{{"customer_id", customer}, {"lines", std::move(lines)}});
             });
}

void patch_customer(Services& s, const CallPtr& call) {
  auto body = parse_customer_patch(call->body);
  if (!body) return reply_error(*call, body.error());
  const std::string& id = call->param("customer");
  std::vector<std::string> args{"EVAL",
                                kPatchScript,
                                "2",
                                call->keys.customer(id),
                                call->keys.customer_attributes(id),
                                body->tier.value_or("")};
  for (const auto& [k, v] : body->attributes.value_or(std::map<std::string, std::string>{})) {
    args.push_back(k);
    args.push_back(v);
  }
  redis_call(s.redis, std::move(args), [&s, call](Result<daemon::RedisReply> r) {
    if (!r) return reply_error(*call, r.error());
    if (r->integer == 0) return reply_error(*call, 404, "not_found", "no such customer");
    get_customer(s, call);
  });
}

void link_customers(Services& s, const CallPtr& call) {
  auto body = parse_link(call->body);
  if (!body) return reply_error(*call, body.error());
  auto a = daemon::normalize_identity(body->a.kind, body->a.value);
  if (!a)
    return reply_error(*call, make_error(Errc::invalid_input, "field 'a': " + a.error().message));
  auto b = daemon::normalize_identity(body->b.kind, body->b.value);
  if (!b)
    return reply_error(*call, make_error(Errc::invalid_input, "field 'b': " + b.error().message));
  auto store = std::make_shared<daemon::IdentityStore>(s.redis, call->keys, s.clock);
  store->link(*a, *b, [call, store](Result<std::string> id) {
    if (!id) return reply_error(*call, id.error());
    reply_json(*call, 200, boost::json::object{{"customer_id", *id}});
  });
}

}  // namespace

void handle_customer(Services& s, const CallPtr& call) {
  // Not a customer id the router makes: nothing to find, and with a ':' it could name another
  // customer's attributes or identities key.
  if (call->route->id != RouteId::customer_link &&
      !daemon::is_valid_customer_id(call->param("customer"))) {
    return reply_error(*call, 404, "not_found", "no such customer");
  }
  switch (call->route->id) {
    case RouteId::customer_get:
      return with_access(s, call, [&s, call] { get_customer(s, call); });
    case RouteId::customer_history:
      return with_access(s, call, [&s, call] { get_history(s, call); });
    case RouteId::customer_patch:
      return patch_customer(s, call);
    default:
      return link_customers(s, call);
  }
}

}  // namespace omniroute::api
