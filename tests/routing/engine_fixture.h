// Test helpers for the dispatch engine: a recording event sink and a fixture that owns a manual
// clock, an in-memory store and an engine, with short ways to declare agents and contacts.
#pragma once

#include <memory>
#include <ostream>
#include <string>
#include <vector>

#include "common/clock.h"
#include "routing/engine.h"
#include "routing/memory_store.h"

namespace omniroute {
// Lets Catch print a failed Result<T> (found by ADL from boost's result printer).
inline std::ostream& operator<<(std::ostream& os, const Error& e) {
  return os << to_string(e.code) << ": " << e.message;
}
}  // namespace omniroute

namespace omniroute::routing::testing {

using namespace std::chrono_literals;

struct Recorder final : EventSink {
  std::vector<EngineEvent> events;
  void on_event(const EngineEvent& e) override { events.push_back(e); }
  std::vector<EngineEvent> of(EventKind kind) const {
    std::vector<EngineEvent> out;
    for (const auto& e : events) {
      if (e.kind == kind) out.push_back(e);
    }
    return out;
  }
  // "offered c1 a2" lines, to compare decision sequences.
  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    for (const auto& e : events) {
      out.push_back(std::string(to_string(e.kind)) + " " + e.contact + " " + e.agent + " @" +
                    std::to_string(e.at_ms));
    }
    return out;
  }
  void clear() { events.clear(); }
};

inline QueueSpec queue(std::string name, std::vector<SkillRequirement> skills = {},
                       Strategy strategy = Strategy::longest_idle) {
  QueueSpec q;
  q.name = std::move(name);
  q.required_skills = std::move(skills);
  q.strategy = strategy;
  return q;
}

inline AgentSpec agent_spec(std::string id, std::map<std::string, int> skills = {},
                            std::map<std::string, int> caps = {{"chat", 1}}, int total = 1) {
  AgentSpec a;
  a.id = id;
  a.name = std::move(id);
  a.skills = std::move(skills);
  a.capacity_by_channel = std::move(caps);
  a.total_capacity = total;
  return a;
}

struct Fixture {
  ManualClock clock{1'000'000'000};
  Recorder sink;
  MemoryStore store;
  std::unique_ptr<Engine> engine;

  explicit Fixture(std::vector<QueueSpec> queues, double warning_fraction = 0.8) {
    EngineConfig config{std::move(queues), warning_fraction};
    engine = std::make_unique<Engine>(clock, std::move(config), sink, &store);
  }

  TimePoint now() const { return clock.now_unix_ms(); }

  // A contact arriving now in `q`, with an SLA target of `sla` from now.
  RoutingDecision decision(const std::string& q, int priority = 0, Millis sla = 10min,
                           std::vector<SkillRequirement> skills = {}) const {
    RoutingDecision d;
    d.rule = "test";
    d.tier = "standard";
    d.queue = q;
    d.priority = priority;
    d.sla_deadline = now() + sla.count();
    d.required_skills = std::move(skills);
    return d;
  }

  void add(const std::string& id, const std::string& q, int priority = 0, Millis sla = 10min,
           std::vector<SkillRequirement> skills = {}, const std::string& channel = "chat",
           const std::string& customer = "") {
    auto r = engine->enqueue(id, decision(q, priority, sla, std::move(skills)), channel,
                             customer.empty() ? "cust-" + id : customer, now());
    REQUIRE(r.has_value());
  }

  void agent(const std::string& id, std::map<std::string, int> skills = {},
             std::map<std::string, int> caps = {{"chat", 1}}, int total = 1) {
    engine->upsert_agent(agent_spec(id, std::move(skills), std::move(caps), total));
    REQUIRE(engine->set_presence(id, Presence::available).has_value());
  }

  // The agent a contact is offered to or handled by; "" while it waits.
  std::string holder(const std::string& contact) const {
    const ContactRecord* c = engine->contact(contact);
    return c == nullptr ? "?" : c->agent;
  }
  ContactStatus status(const std::string& contact) const {
    return engine->contact(contact)->status;
  }

  void tick(Millis d) {
    clock.advance(d);
    engine->on_time();
  }
};

}  // namespace omniroute::routing::testing
