// The socket registry on its own, with recording channels: a socket hears nothing before its
// hello, and what happened between its registration and its hello follows the hello in order,
// so the console ends where the last event put it.
#include "api/agent_sockets.h"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using namespace omniroute;
using namespace omniroute::api;
namespace json = boost::json;

namespace {

class RecordingChannel final : public daemon::WebSocketChannel {
 public:
  void send_text(std::string message) override {
    if (!closed) sent.push_back(json::parse(message).as_object());
  }
  void close(int code, std::string) override {
    if (!closed) close_code = code;
    closed = true;
  }
  // "type" or "type:contact" of each message, for short expectations.
  std::vector<std::string> summary() const {
    std::vector<std::string> out;
    for (const auto& m : sent) {
      std::string s(m.at("type").as_string());
      if (const auto* c = m.if_contains("contact_id")) s += ":" + std::string(c->as_string());
      if (const auto* c = m.if_contains("contact")) {
        s += ":" + std::string(c->at("id").as_string());
      }
      out.push_back(std::move(s));
    }
    return out;
  }
  std::vector<json::object> sent;
  bool closed = false;
  int close_code = 0;
};

v1::AssignmentEvent event(v1::AssignmentKind kind, const std::string& contact,
                          const std::string& agent) {
  v1::AssignmentEvent e;
  e.set_kind(kind);
  e.set_contact_id(contact);
  e.set_agent_id(agent);
  if (kind == v1::ASSIGNMENT_KIND_OFFERED) e.set_offer_expires_unix_ms(1'700'000'030'000);
  return e;
}

json::array contacts(std::initializer_list<const char*> ids) {
  json::array out;
  for (const auto* id : ids) out.push_back(json::object{{"id", id}});
  return out;
}

struct Registry {
  ManualClock clock;
  AgentSockets sockets{clock};
  std::shared_ptr<RecordingChannel> open(const std::string& agent, std::uint64_t* id = nullptr) {
    auto channel = std::make_shared<RecordingChannel>();
    auto added = sockets.add("demo", agent, channel, std::nullopt);
    if (id) *id = added;
    return channel;
  }
};

}  // namespace

TEST_CASE("an event between registration and hello reaches the socket after its hello") {
  Registry r;
  std::uint64_t id = 0;
  auto ana = r.open("ana", &id);
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_OFFERED, "c2", "ana"));
  CHECK(ana->sent.empty());  // no hello yet: nothing may overtake it
  r.sockets.hello(id, contacts({"c1"}), {});
  CHECK(ana->summary() == std::vector<std::string>{"hello", "offer:c2"});
  // From now on events go straight out.
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_ACCEPTED, "c2", "ana"));
  CHECK(ana->summary().back() == "assigned:c2");
}

TEST_CASE("an offer withdrawn before the hello does not stay in the console") {
  // c0 was offered before the socket existed; the hello's read still saw it offered, and its
  // withdrawal arrived before the hello went out. The replay after the hello takes it away.
  Registry r;
  std::uint64_t id = 0;
  auto ana = r.open("ana", &id);
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_WITHDRAWN, "c0", ""));
  r.sockets.hello(id, contacts({"c0"}), {});
  CHECK(ana->summary() == std::vector<std::string>{"hello", "offer_gone:c0"});
  // The holdings agree: a later event about c0 means nothing for ana.
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_COMPLETED, "c0", "ana"));
  CHECK(ana->sent.size() == 2);
}

TEST_CASE("events the hello already reflects replay to the same end state") {
  Registry r;
  std::uint64_t id = 0;
  auto ana = r.open("ana", &id);
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_OFFERED, "c1", "ana"));
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_ACCEPTED, "c1", "ana"));
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_OFFERED, "c3", "bob"));  // not ana's
  // The hello was read after both: c1 is already active.
  r.sockets.hello(id, {}, contacts({"c1"}));
  CHECK(ana->summary() == std::vector<std::string>{"hello", "offer:c1", "assigned:c1"});
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_COMPLETED, "c1", "ana"));
  CHECK(ana->summary().back() == "closed:c1");
}

TEST_CASE("a second tab waits for its hello while the first keeps getting events once") {
  Registry r;
  std::uint64_t first_id = 0, second_id = 0;
  auto first = r.open("ana", &first_id);
  r.sockets.hello(first_id, {}, {});
  auto second = r.open("ana", &second_id);
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_OFFERED, "c4", "ana"));
  CHECK(first->summary() == std::vector<std::string>{"hello", "offer:c4"});
  CHECK(second->sent.empty());
  r.sockets.hello(second_id, contacts({"c4"}), {});
  CHECK(second->summary() == std::vector<std::string>{"hello", "offer:c4"});
  CHECK(first->summary() == std::vector<std::string>{"hello", "offer:c4"});  // nothing twice
}

TEST_CASE("presence and replies wait for the hello too, in their order") {
  Registry r;
  std::uint64_t id = 0;
  auto ana = r.open("ana", &id);
  r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_AGENT_AWAY, "", "ana"));
  r.sockets.on_reply(
      "demo",
      json::object{{"direction", "out"}, {"contact", "c1"}, {"agent", "ana"}, {"text", "hi"}});
  CHECK(ana->sent.empty());
  r.sockets.hello(id, {}, contacts({"c1"}));
  CHECK(ana->summary() == std::vector<std::string>{"hello", "presence", "message:c1"});
  CHECK(ana->sent[2].at("message").at("text").as_string() == "hi");
}

TEST_CASE("an agent's reply reaches all its sockets and nobody else's") {
  Registry r;
  std::uint64_t a1 = 0, a2 = 0, b = 0;
  auto ana1 = r.open("ana", &a1);
  auto ana2 = r.open("ana", &a2);
  auto bob = r.open("bob", &b);
  for (auto id : {a1, a2, b}) r.sockets.hello(id, {}, {});
  r.sockets.on_reply(
      "demo",
      json::object{{"direction", "out"}, {"contact", "c1"}, {"agent", "ana"}, {"text", "hi"}});
  CHECK(ana1->summary().back() == "message:c1");
  CHECK(ana2->summary().back() == "message:c1");
  CHECK(bob->summary() == std::vector<std::string>{"hello"});
  r.sockets.on_reply("other", json::object{{"contact", "c1"}, {"agent", "ana"}});
  r.sockets.on_reply("demo", json::object{{"contact", "c1"}});  // no agent: nobody
  CHECK(ana1->sent.size() == 2);
}

TEST_CASE("a socket whose backlog overflows before its hello is closed, not buffered forever") {
  Registry r;
  std::uint64_t id = 0;
  auto ana = r.open("ana", &id);
  for (std::size_t i = 0; i <= AgentSockets::kMaxBacklog; ++i) {
    r.sockets.on_event("demo", event(v1::ASSIGNMENT_KIND_WITHDRAWN, "c" + std::to_string(i), ""));
  }
  CHECK(ana->closed);
  CHECK(ana->close_code == 1013);
  r.sockets.hello(id, {}, {});  // a late hello finds a closed channel; nothing is replayed
  CHECK(ana->sent.empty());
}
