// Fuzz target for the API's strict request bodies (api/json_body.h, api/bodies.h): any bytes are
// a body or a clean refusal; every body type is tried on every input. An accepted body has no
// key its type does not know and no value over its limit, and it reads the same after a round
// trip through its serialization. (Repeated keys are refused before: common/strict_json.h.)
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cstdint>
#include <cstdlib>
#include <initializer_list>
#include <string>
#include <string_view>

#include "api/bodies.h"
#include "api/json_body.h"
#include "daemon/router/command.h"

using namespace omniroute;
using namespace omniroute::api;

namespace {

constexpr std::size_t kMaxBody = 4096;  // small, so that the fuzzer reaches the limit

void require(bool ok) {
  if (!ok) std::abort();
}

// No key outside `known` (parse never accepts unknown fields).
void keys_within(const boost::json::object& o, std::initializer_list<std::string_view> known) {
  for (const auto& entry : o) {
    bool found = false;
    for (auto k : known) found = found || entry.key() == k;
    require(found);
  }
}

void check_map(const std::optional<std::map<std::string, int>>& m, int min, int max) {
  if (!m) return;
  require(m->size() <= kMaxMapEntries);
  for (const auto& [name, n] : *m) {
    require(!name.empty() && name.size() <= kMaxMapKeyBytes && n >= min && n <= max);
  }
}

// Every parser on `o`: what it accepts has only its own keys and values within the limits.
// Returns a fingerprint of the outcomes, which a re-parse of the same body must reproduce.
std::string parse_all(const boost::json::object& o) {
  std::string outcome;
  auto mark = [&](bool ok) { outcome.push_back(ok ? '1' : '0'); };
  using daemon::kMaxIdBytes;
  using daemon::kMaxNoteBytes;
  if (auto b = parse_agent_patch(o); b) {
    keys_within(o, {"skills", "capacity_by_channel", "total_capacity"});
    check_map(b->skills, 1, 5);
    check_map(b->capacity_by_channel, 0, 1000);
    require(!b->total_capacity || (*b->total_capacity >= 1 && *b->total_capacity <= 1000));
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_presence(o); b) {
    keys_within(o, {"presence", "reason"});
    require(b->presence == "available" || b->presence == "away" || b->presence == "offline");
    require(b->presence != "away" || !b->reason.empty());
    require(b->reason.size() <= kMaxNoteBytes);
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_reject(o); b) {
    keys_within(o, {"reason"});
    require(!b->reason.empty() && b->reason.size() <= kMaxNoteBytes);
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_complete(o); b) {
    keys_within(o, {"wrap_up_code", "note"});
    require(!b->wrap_up_code.empty() && b->wrap_up_code.size() <= kMaxIdBytes);
    require(b->note.size() <= kMaxNoteBytes);
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_transfer(o); b) {
    keys_within(o, {"queue", "agent", "reason"});
    require(b->queue.empty() != b->agent.empty());
    require(b->queue.size() <= kMaxIdBytes && b->agent.size() <= kMaxIdBytes);
    require(b->reason.size() <= kMaxNoteBytes);
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_reply(o); b) {
    keys_within(o, {"text", "client_id"});
    require(!b->text.empty() && b->text.size() <= 16 * 1024);
    require(b->text.size() <= daemon::kMaxReplyBytes && b->client_id.size() <= kMaxIdBytes);
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_close(o); b) {
    keys_within(o, {"reason"});
    require(!b->reason.empty() && b->reason.size() <= kMaxNoteBytes);
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_customer_patch(o); b) {
    keys_within(o, {"tier", "attributes"});
    require(b->tier || b->attributes);
    require(!b->tier || (!b->tier->empty() && b->tier->size() <= kMaxIdBytes));
    if (b->attributes) {
      require(b->attributes->size() <= kMaxMapEntries);
      for (const auto& [name, value] : *b->attributes) {
        require(!name.empty() && name.size() <= kMaxMapKeyBytes);
        require(value.size() <= kMaxAttributeBytes);
      }
    }
    mark(true);
  } else {
    mark(false);
  }
  if (auto b = parse_link(o); b) {
    keys_within(o, {"a", "b"});
    for (const auto* side : {&b->a, &b->b}) {
      require(!side->kind.empty() && side->kind.size() <= kMaxIdBytes);
      require(!side->value.empty() && side->value.size() <= kMaxIdentityBytes);
    }
    keys_within(o.at("a").as_object(), {"kind", "value"});
    keys_within(o.at("b").as_object(), {"kind", "value"});
    mark(true);
  } else {
    mark(false);
  }
  if (parse_empty(o)) {
    require(o.empty());
    mark(true);
  } else {
    mark(false);
  }
  return outcome;
}

// Boost.JSON 1.81 reads doubles fast, not always to the nearest value, so a double may not
// survive serialize → parse bit for bit. No body takes a double; only other values are compared.
bool has_double(const boost::json::value& v) {
  if (v.is_double()) return true;
  if (v.is_array()) {
    for (const auto& e : v.as_array()) {
      if (has_double(e)) return true;
    }
  }
  if (v.is_object()) {
    for (const auto& e : v.as_object()) {
      if (has_double(e.value())) return true;
    }
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view body(reinterpret_cast<const char*>(data), size);
  auto object = parse_body_object(body, kMaxBody);
  if (!object) {
    require(object.error().code == (size > kMaxBody ? Errc::too_large : Errc::invalid_input));
    return 0;
  }
  require(size <= kMaxBody);
  // What the strict parser takes, the ordinary one reads alike: strictness only refuses.
  if (body.find_first_not_of(" \t\r\n") != std::string_view::npos) {
    boost::system::error_code ec;
    auto lenient = boost::json::parse(body, ec);
    require(!ec && lenient.is_object() && lenient.as_object() == *object);
  }
  const auto outcome = parse_all(*object);
  // The serialized object is a body too, and every parser decides it the same way.
  const auto again = parse_body_object(boost::json::serialize(*object), SIZE_MAX);
  require(again.has_value());
  if (!has_double(*object)) require(*again == *object);
  require(parse_all(*again) == outcome);
  return 0;
}
