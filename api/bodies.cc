// One parser per body; the cross-field rules (away needs a reason, transfer names one target)
// live here so that handlers get only valid values.
#include "api/bodies.h"

#include "daemon/router/command.h"

namespace omniroute::api {
namespace {

// Ids, reasons and notes take the router's limits (daemon/router/command.h), so that what the
// API accepts the router accepts too; reply texts are customer-facing content, bounded more
// tightly here than the router's ceiling.
using daemon::kMaxIdBytes;
using daemon::kMaxNoteBytes;
constexpr std::size_t kMaxText = 16 * 1024;

Error invalid(std::string message) {
  return make_error(Errc::invalid_input, std::move(message));
}

template <class T>
Result<T> finished(ObjectReader& r, T value) {
  if (auto done = r.finish(); !done) return done.error();
  return value;
}

}  // namespace

Result<AgentPatchBody> parse_agent_patch(const boost::json::object& body) {
  ObjectReader r(body);
  AgentPatchBody b;
  r.int_map("skills", b.skills, 1, 5);
  r.int_map("capacity_by_channel", b.capacity_by_channel, 0, 1000);
  r.integer("total_capacity", b.total_capacity, 1, 1000);
  return finished(r, std::move(b));
}

Result<PresenceBody> parse_presence(const boost::json::object& body) {
  ObjectReader r(body);
  PresenceBody b;
  r.string("presence", b.presence, true);
  r.string("reason", b.reason, false, kMaxNoteBytes);
  auto done = finished(r, std::move(b));
  if (!done) return done;
  if (done->presence != "available" && done->presence != "away" && done->presence != "offline") {
    return invalid("field 'presence': must be available, away or offline");
  }
  if (done->presence == "away" && done->reason.empty()) {
    return invalid("field 'reason': required when presence is away");
  }
  return done;
}

Result<RejectBody> parse_reject(const boost::json::object& body) {
  ObjectReader r(body);
  RejectBody b;
  r.string("reason", b.reason, true, kMaxNoteBytes);
  return finished(r, std::move(b));
}

Result<CompleteBody> parse_complete(const boost::json::object& body) {
  ObjectReader r(body);
  CompleteBody b;
  r.string("wrap_up_code", b.wrap_up_code, true, kMaxIdBytes);
  r.string("note", b.note, false, kMaxNoteBytes);
  return finished(r, std::move(b));
}

Result<TransferBody> parse_transfer(const boost::json::object& body) {
  ObjectReader r(body);
  TransferBody b;
  r.string("queue", b.queue, false, kMaxIdBytes);
  r.string("agent", b.agent, false, kMaxIdBytes);
  r.string("reason", b.reason, false, kMaxNoteBytes);
  auto done = finished(r, std::move(b));
  if (done && done->queue.empty() == done->agent.empty()) {
    return invalid("field 'queue': give exactly one of queue or agent");
  }
  return done;
}

Result<ReplyBody> parse_reply(const boost::json::object& body) {
  ObjectReader r(body);
  ReplyBody b;
  r.string("text", b.text, true, kMaxText);
  r.string("client_id", b.client_id, false, kMaxIdBytes);
  return finished(r, std::move(b));
}

Result<CloseBody> parse_close(const boost::json::object& body) {
  ObjectReader r(body);
  CloseBody b;
  r.string("reason", b.reason, true, kMaxNoteBytes);
  return finished(r, std::move(b));
}

Result<CustomerPatchBody> parse_customer_patch(const boost::json::object& body) {
  ObjectReader r(body);
  CustomerPatchBody b;
  r.string("tier", b.tier, kMaxIdBytes);
  r.string_map("attributes", b.attributes, kMaxAttributeBytes);
  auto done = finished(r, std::move(b));
  if (done && done->tier && done->tier->empty()) return invalid("field 'tier': must not be empty");
  if (done && !done->tier && !done->attributes) {
    return invalid("field 'tier': give tier, attributes or both");
  }
  return done;
}

Result<LinkBody> parse_link(const boost::json::object& body) {
  ObjectReader r(body);
  LinkBody b;
  auto identity = [](IdentityBody& out) {
    return [&out](ObjectReader& inner) {
      inner.string("kind", out.kind, true, kMaxIdBytes);
      inner.string("value", out.value, true, kMaxIdentityBytes);
    };
  };
  r.object("a", true, identity(b.a));
  r.object("b", true, identity(b.b));
  return finished(r, std::move(b));
}

Result<void> parse_empty(const boost::json::object& body) {
  ObjectReader r(body);
  return r.finish();
}

}  // namespace omniroute::api
