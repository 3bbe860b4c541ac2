// Who gets a contact: skills and levels, capacity per channel and in total, the three
// strategies, the sticky agent, and an agent that frees up taking the most urgent contact.
#include <catch2/catch.hpp>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

TEST_CASE("a contact goes only to an available agent holding every required skill and level") {
  Fixture f({queue("billing", {{"billing", 3}, {"french", 2}})});
  f.agent("low-level", {{"billing", 2}, {"french", 5}});
  f.agent("no-french", {{"billing", 5}});
  f.engine->upsert_agent(agent_spec("offline-expert", {{"billing", 5}, {"french", 5}}));
  f.add("c1", "billing", 0, 10min, {{"billing", 3}, {"french", 2}});
  CHECK(f.status("c1") == ContactStatus::waiting);
  f.clock.advance(1s);
  f.agent("qualified", {{"billing", 3}, {"french", 2}});
  CHECK(f.holder("c1") == "qualified");
}

TEST_CASE("longest idle: the agent free the longest gets the contact; ties go to the smallest id") {
  Fixture f({queue("support")});
  f.agent("b");
  f.agent("a");  // same idle moment as b: id decides
  f.clock.advance(1s);
  f.agent("c");
  f.add("c1", "support");
  CHECK(f.holder("c1") == "a");
  f.add("c2", "support");
  CHECK(f.holder("c2") == "b");
  f.add("c3", "support");
  CHECK(f.holder("c3") == "c");
}

TEST_CASE("least busy: the agent with the lowest load ratio gets the contact") {
  Fixture f({queue("support", {}, Strategy::least_busy)});
  f.agent("busy", {}, {{"chat", 4}}, 4);
  f.add("c1", "support");
  f.add("c2", "support");
  CHECK(f.engine->agent_load("busy")->total == 2);  // alone: it takes both
  f.clock.advance(1s);
  f.agent("fresh", {}, {{"chat", 4}}, 4);  // idle for less time, but 0/4 < 2/4
  f.add("c3", "support");
  CHECK(f.holder("c3") == "fresh");
}

TEST_CASE("highest proficiency: the highest sum of levels on the required skills wins") {
  const std::vector<SkillRequirement> skills{{"billing", 1}, {"spanish", 1}};
  Fixture f({queue("billing", skills, Strategy::highest_proficiency)});
  f.agent("billing-star", {{"billing", 5}, {"spanish", 1}});  // 6
  f.agent("balanced", {{"billing", 4}, {"spanish", 4}});      // 8
  f.agent("spanish-star", {{"billing", 2}, {"spanish", 5}});  // 7
  f.add("c1", "billing", 0, 10min, skills);
  CHECK(f.holder("c1") == "balanced");
  f.add("c2", "billing", 0, 10min, skills);
  CHECK(f.holder("c2") == "spanish-star");
}

TEST_CASE("capacity is respected per channel and in total") {
  Fixture f({queue("support")});
  f.agent("ana", {}, {{"chat", 2}, {"email", 5}}, 3);
  f.add("chat1", "support");
  f.add("chat2", "support");
  f.add("chat3", "support");  // chat cap 2 reached
  CHECK(f.holder("chat3").empty());
  f.add("mail1", "support", 0, 10min, {}, "email");
  f.add("mail2", "support", 0, 10min, {}, "email");  // total cap 3 reached
  CHECK(f.holder("mail1") == "ana");
  CHECK(f.holder("mail2").empty());
  f.add("sms1", "support", 0, 10min, {}, "sms");  // no sms capacity at all
  const auto load = f.engine->agent_load("ana");
  CHECK(load->total == 3);
  CHECK(load->by_channel.at("chat") == 2);
  CHECK(load->by_channel.at("email") == 1);
  CHECK(f.engine->waiting_count() == 3);
}

TEST_CASE("an agent that frees up takes the most urgent contact across all queues it serves") {
  Fixture f({queue("sales", {{"sales", 1}}), queue("support", {{"support", 1}}),
             queue("legal", {{"legal", 1}})});
  f.agent("ana", {{"sales", 3}, {"support", 3}});
  f.add("busy", "sales", 0, 10min, {{"sales", 1}});
  REQUIRE(f.engine->accept("busy", "ana"));
  f.add("sales-late", "sales", 0, 30min, {{"sales", 1}});
  f.add("support-soon", "support", 0, 5min, {{"support", 1}});
  f.add("legal-vip", "legal", 9, 1min, {{"legal", 1}});  // more urgent, but ana cannot serve it
  f.add("sales-soonest-later", "sales", 0, 6min, {{"sales", 1}});
  REQUIRE(f.engine->complete("busy", "ana"));
  CHECK(f.holder("support-soon") == "ana");
  CHECK(f.sink.of(EventKind::offered).back().reason.find("freed up") != std::string::npos);
}

TEST_CASE("a returning customer is offered first to the agent who last served them") {
  QueueSpec q = queue("support");
  q.sticky_window = std::chrono::hours(1);
  Fixture f({q});
  f.agent("ana");
  f.agent("bob");
  f.add("first", "support", 0, 10min, {}, "chat", "cust-7");
  REQUIRE(f.holder("first") == "ana");
  REQUIRE(f.engine->accept("first", "ana"));
  f.clock.advance(1s);
  REQUIRE(f.engine->complete("first", "ana"));  // ana is now idle for less time than bob

  SECTION("inside the window: the last agent, not the longest idle") {
    f.clock.advance(59min);
    f.add("again", "support", 0, 10min, {}, "chat", "cust-7");
    CHECK(f.holder("again") == "ana");
    CHECK(f.sink.of(EventKind::offered).back().reason.find("sticky") != std::string::npos);
  }
  SECTION("outside the window: normal matching") {
    f.clock.advance(61min);
    f.add("again", "support", 0, 10min, {}, "chat", "cust-7");
    CHECK(f.holder("again") == "bob");
  }
  SECTION("the sticky agent is busy: someone else, at once") {
    f.add("other", "support", 0, 10min, {}, "chat", "cust-8");
    REQUIRE(f.holder("other") == "bob");  // bob idle longer than ana
    f.add("busy-ana", "support", 0, 10min, {}, "chat", "cust-9");
    REQUIRE(f.holder("busy-ana") == "ana");
    f.agent("cid");
    f.add("again", "support", 0, 10min, {}, "chat", "cust-7");
    CHECK(f.holder("again") == "cid");
  }
}

TEST_CASE("the open contact of a customer on a channel is found for threading") {
  Fixture f({queue("support")});
  f.add("c1", "support", 0, 10min, {}, "sms", "cust-1");
  CHECK(f.engine->open_contact("cust-1", "sms")->id == "c1");
  CHECK(f.engine->open_contact("cust-1", "email") == nullptr);
}
