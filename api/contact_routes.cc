// Contact reads: the contact itself (its holder or a supervisor) and its trail of routing
// decisions (the AssignmentEvents the router kept in `<base>:trail:<contact>`).
#include "api/call.h"
#include "api/redis_reads.h"

namespace omniroute::api {
namespace {

void get_contact(Services& s, const CallPtr& call) {
  const std::string& id = call->param("contact");
  load_contact(s.redis, call->keys, id, [call, id](auto contact) {
    if (!contact) return reply_error(*call, contact.error());
    if (!*contact) return reply_error(*call, 404, "not_found", "no contact '" + id + "'");
    const auto& c = **contact;
    // An agent sees only what it is offered or holds; anything else is another agent's.
    const bool holds = c.agent == call->who.agent && (c.status == routing::ContactStatus::offered ||
                                                      c.status == routing::ContactStatus::active);
    if (!call->is_supervisor() && !holds) {
      return reply_error(*call, 403, "forbidden", "the contact is not yours");
    }
    reply_json(*call, 200, contact_view(c));
  });
}

void get_trail(Services& s, const CallPtr& call) {
  const std::string id = call->param("contact");
  redis_call(s.redis, {"LRANGE", call->keys.trail(id), "0", "-1"},
             [call, id](Result<daemon::RedisReply> r) {
               if (!r) return reply_error(*call, r.error());
               if (r->elements.empty()) {
                 return reply_error(*call, 404, "not_found", "no trail for contact '" + id + "'");
               }
               boost::json::array events;
               for (const auto& e : r->elements) {
                 v1::AssignmentEvent event;
                 if (event.ParseFromString(e.str)) events.push_back(event_view(event));
               }
               reply_json(*call, 200,
                          boost::json::object{{"contact_id", id}, {"events", std::move(events)}});
             });
}

}  // namespace

void handle_contact_read(Services& s, const CallPtr& call) {
  if (call->route->id == RouteId::contact_trail) return get_trail(s, call);
  get_contact(s, call);
}

}  // namespace omniroute::api
