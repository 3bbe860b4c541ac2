// Specifications of a rules reload in the dispatch engine (invariant 6: config changes never drop
// work): queue specs swapped at once, waiting contacts re-evaluated, offers in flight kept.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>
#include <set>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

namespace {

// The daemon's rematch in miniature: contacts whose rule was "test" now go to `queue`.
Rematch move_all_to(const std::string& queue) {
  return [queue](const ContactRecord& rec) -> std::optional<RoutingDecision> {
    RoutingDecision d = rec.decision;
    d.rule = "moved";
    d.queue = queue;
    return d;
  };
}

std::vector<std::string> all_contact_ids(const RoutingSnapshot& s) {
  std::vector<std::string> ids;
  for (const auto& c : s.contacts) ids.push_back(c.id);
  return ids;
}

}  // namespace

TEST_CASE("a reload moves a waiting contact whose rule now names another queue") {
  Fixture f({queue("general"), queue("billing")});
  f.add("c1", "general");
  f.sink.clear();
  auto report = f.engine->reconfigure({queue("general"), queue("billing")}, move_all_to("billing"));
  REQUIRE(report.has_value());
  CHECK(report->requeued == std::vector<std::string>{"c1"});
  CHECK(f.engine->contact("c1")->queue == "billing");
  CHECK(f.engine->contact("c1")->decision.rule == "moved");
  CHECK(f.engine->waiting_in("billing") == std::vector<std::string>{"c1"});
  CHECK(f.engine->waiting_in("general").empty());
  auto events = f.sink.of(EventKind::requeued);
  REQUIRE(events.size() == 1);
  CHECK(events[0].queue == "billing");
  CHECK_THAT(events[0].reason, Catch::Contains("queue general → billing"));
  // The move is durable.
  CHECK(f.store.load()->contacts[0].queue == "billing");
}

TEST_CASE("a moved contact is offered at once to a free agent of its new queue") {
  Fixture f({queue("general", {{"english", 1}}), queue("billing", {{"billing", 1}})});
  f.add("c1", "general", 0, 10min, {{"english", 1}});
  f.agent("bob", {{"billing", 3}});
  REQUIRE(f.holder("c1").empty());
  auto rematch = [](const ContactRecord& rec) -> std::optional<RoutingDecision> {
    RoutingDecision d = rec.decision;
    d.queue = "billing";
    d.required_skills = {{"billing", 1}};
    return d;
  };
  REQUIRE(f.engine
              ->reconfigure(
                  {queue("general", {{"english", 1}}), queue("billing", {{"billing", 1}})}, rematch)
              .has_value());
  CHECK(f.holder("c1") == "bob");
}

TEST_CASE("waiting contacts keep their arrival order across a reload") {
  Fixture f({queue("general"), queue("billing")});
  f.add("c3", "general");
  f.tick(1s);
  f.add("c1", "general");
  f.tick(1s);
  f.add("c2", "general");
  REQUIRE(f.engine->reconfigure({queue("billing")}, move_all_to("billing")).has_value());
  CHECK(f.engine->waiting_in("billing") == std::vector<std::string>{"c3", "c1", "c2"});
  std::vector<std::string> listed;
  for (const auto* rec : f.engine->waiting_contacts()) listed.push_back(rec->id);
  CHECK(listed == std::vector<std::string>{"c3", "c1", "c2"});
}

TEST_CASE("nothing is lost: a removed queue that still holds contacts stays, retired") {
  Fixture f({queue("general"), queue("old")});
  f.add("w1", "old");
  f.add("w2", "general");
  const auto before = all_contact_ids(*f.store.load());
  // The daemon could not re-evaluate (no rematch): the contact keeps its queue.
  auto report = f.engine->reconfigure({queue("general")});
  REQUIRE(report.has_value());
  CHECK(report->retired_queues == std::vector<std::string>{"old"});
  CHECK(f.engine->waiting_count() == 2);
  CHECK(f.engine->waiting_in("old") == std::vector<std::string>{"w1"});
  CHECK(all_contact_ids(*f.store.load()) == before);
  // A retired queue serves what it holds but takes no new contact.
  CHECK_FALSE(f.engine->enqueue("w3", f.decision("old"), "chat", "x", f.now()).has_value());
  f.agent("ana");
  CHECK(f.holder("w1") == "ana");
  // Once empty, the next reload lets it go.
  REQUIRE(f.engine->accept("w1", "ana").has_value());
  REQUIRE(f.engine->complete("w1", "ana").has_value());
  auto later = f.engine->reconfigure({queue("general")});
  REQUIRE(later.has_value());
  CHECK(later->retired_queues.empty());
}

TEST_CASE("an offer in flight stays with its agent across a reload and can be accepted") {
  Fixture f({queue("general"), queue("billing")});
  f.agent("ana");
  f.add("c1", "general");
  REQUIRE(f.status("c1") == ContactStatus::offered);
  auto report = f.engine->reconfigure({queue("billing")}, move_all_to("billing"));
  REQUIRE(report.has_value());
  CHECK(report->requeued.empty());  // only waiting contacts are re-evaluated
  CHECK(f.status("c1") == ContactStatus::offered);
  CHECK(f.holder("c1") == "ana");
  REQUIRE(f.engine->accept("c1", "ana").has_value());
  CHECK(f.status("c1") == ContactStatus::active);
}

TEST_CASE("a reload re-arms escalation timers from the new specs") {
  Fixture f({queue("general")});
  f.add("c1", "general", 0, 1h);
  f.tick(10s);
  QueueSpec slower = queue("general");
  slower.escalation = {EscalationStep{30s, 0, {}, 5}};
  REQUIRE(f.engine->reconfigure({slower}).has_value());
  CHECK(f.engine->next_due() == f.engine->contact("c1")->arrival_ms + 30'000);
  f.tick(20s);
  CHECK(f.engine->contact("c1")->priority == 5);
  CHECK(f.sink.of(EventKind::escalated).size() == 1);
}

TEST_CASE("a new SLA target from the rules moves the deadline; arrival never changes") {
  Fixture f({queue("general")});
  f.add("late", "general", 0, 10min);
  f.tick(1s);
  f.add("early", "general", 0, 10min);
  const TimePoint arrival = f.engine->contact("early")->arrival_ms;
  // The new rules give "early" a tighter target: it now goes first.
  auto rematch = [&](const ContactRecord& rec) -> std::optional<RoutingDecision> {
    if (rec.id != "early") return std::nullopt;
    RoutingDecision d = rec.decision;
    d.sla_deadline = rec.arrival_ms + 60'000;
    return d;
  };
  REQUIRE(f.engine->reconfigure({queue("general")}, rematch).has_value());
  CHECK(f.engine->waiting_in("general") == std::vector<std::string>{"early", "late"});
  CHECK(f.engine->contact("early")->arrival_ms == arrival);
  CHECK(f.engine->contact("early")->decision.sla_deadline == arrival + 60'000);
}

TEST_CASE("a reload whose rematch names an unknown queue changes nothing") {
  Fixture f({queue("general")});
  f.add("c1", "general");
  const auto before = f.engine->snapshot();
  auto report = f.engine->reconfigure({queue("general")}, move_all_to("nowhere"));
  REQUIRE_FALSE(report.has_value());
  CHECK_THAT(report.error().message, Catch::Contains("unknown queue 'nowhere'"));
  CHECK(f.engine->snapshot() == before);
}

TEST_CASE("specs with a duplicate queue or an unknown overflow target are refused") {
  Fixture f({queue("general")});
  CHECK_FALSE(f.engine->reconfigure({queue("a"), queue("a")}).has_value());
  QueueSpec q = queue("a");
  q.max_wait = 1min;
  q.overflow_queue = "missing";
  CHECK_FALSE(f.engine->reconfigure({q}).has_value());
}

TEST_CASE("requeue keeps escalation progress within the same queue") {
  QueueSpec q = queue("general");
  q.escalation = {EscalationStep{10s, 0, {}, 3}, EscalationStep{60s, 0, {}, 3}};
  Fixture f({q});
  f.add("c1", "general", 1);
  f.tick(10s);
  REQUIRE(f.engine->contact("c1")->priority == 4);
  RoutingDecision d = f.engine->contact("c1")->decision;
  d.priority = 10;
  auto changed = f.engine->requeue("c1", d);
  REQUIRE(changed.has_value());
  CHECK(*changed);
  CHECK(f.engine->contact("c1")->priority == 13);
  CHECK(f.engine->contact("c1")->next_step == 1);
  // The same decision again changes nothing and says so.
  auto again = f.engine->requeue("c1", d);
  REQUIRE(again.has_value());
  CHECK_FALSE(*again);
}

TEST_CASE("requeue refuses a contact that is with an agent") {
  Fixture f({queue("general"), queue("billing")});
  f.agent("ana");
  f.add("c1", "general");
  RoutingDecision d = f.engine->contact("c1")->decision;
  d.queue = "billing";
  auto r = f.engine->requeue("c1", d);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == omniroute::Errc::conflict);
}

namespace {

// Random reloads, closings, withdrawals and removals among the ordinary operations (seeded, so a
// failure replays), with what invariant 6 promises checked after each: no contact is lost, the
// store mirrors the engine, loads agree with contacts, and no free eligible agent idles while a
// contact of an open queue waits for it.
class ReloadChaos {
 public:
  explicit ReloadChaos(std::uint32_t seed) : rng_(seed), f_(specs(true)) {}

  void run(int ops) {
    for (int i = 0; i < ops; ++i) {
      INFO("op " << i);
      step();
      check();
    }
  }

 private:
  static std::vector<QueueSpec> specs(bool with_old) {
    QueueSpec billing = queue("billing", {{"billing", 2}}, Strategy::least_busy);
    billing.escalation = {EscalationStep{20s, 1, {"general"}, 2}};
    QueueSpec general = queue("general");
    general.max_wait = 40s;
    general.overflow_queue = "billing";
    std::vector<QueueSpec> out{billing, general};
    if (with_old) out.push_back(queue("old", {{"sales", 1}}));
    return out;
  }
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }

  std::vector<std::string> ids_with(ContactStatus status) const {
    std::vector<std::string> ids;
    for (const auto& c : f_.engine->snapshot().contacts) {
      if (c.status == status) ids.push_back(c.id);
    }
    return ids;
  }

  void step() {
    switch (pick(12)) {
      case 0:
      case 1:
      case 2: {
        std::vector<std::string> names{"billing", "general"};
        if (old_in_config_) names.push_back("old");
        const std::string q = names[static_cast<std::size_t>(pick(static_cast<int>(names.size())))];
        const std::string id = "c" + std::to_string(next_id_++);
        std::vector<SkillRequirement> skills;
        if (q == "billing") skills = {{"billing", 2}};
        if (q == "old") skills = {{"sales", 1}};
        REQUIRE(f_.engine->enqueue(id,
                                   f_.decision(q, pick(3), Millis(5'000 + pick(60'000)), skills),
                                   "chat", "cust" + std::to_string(pick(10)), f_.now()));
        enqueued_.insert(id);
        break;
      }
      case 3: {
        const std::string id = "a" + std::to_string(pick(6));
        std::map<std::string, int> skills{{"billing", 1 + pick(3)}};
        if (pick(2) == 0) skills["sales"] = 1;
        f_.engine->upsert_agent(agent_spec(id, skills, {{"chat", 1 + pick(2)}}, 2));
        REQUIRE(f_.engine->set_presence(id, Presence::available));
        break;
      }
      case 4: {
        const auto offered = ids_with(ContactStatus::offered);
        if (offered.empty()) break;
        const std::string id =
            offered[static_cast<std::size_t>(pick(static_cast<int>(offered.size())))];
        const std::string agent = f_.engine->contact(id)->agent;
        REQUIRE(
            (pick(3) == 0 ? f_.engine->reject(id, agent, "chaos") : f_.engine->accept(id, agent)));
        break;
      }
      case 5: {
        const auto active = ids_with(ContactStatus::active);
        if (active.empty()) break;
        const std::string id =
            active[static_cast<std::size_t>(pick(static_cast<int>(active.size())))];
        REQUIRE(f_.engine->complete(id, f_.engine->contact(id)->agent));
        break;
      }
      case 6: {
        // Reload: "old" comes and goes; each waiting contact is moved, kept, or re-prioritized.
        old_in_config_ = pick(2) == 0;
        auto rematch = [this](const ContactRecord& rec) -> std::optional<RoutingDecision> {
          const int what = pick(3);
          if (what == 0) return std::nullopt;
          RoutingDecision d = rec.decision;
          if (what == 1) {
            d.queue = "general";
            d.required_skills = {};
          } else {
            d.priority += 1;
          }
          if (!old_in_config_ && d.queue == "old") return std::nullopt;
          return d;
        };
        REQUIRE(f_.engine->reconfigure(specs(old_in_config_), rematch).has_value());
        break;
      }
      case 7:
        REQUIRE(f_.engine->set_queue_open(pick(2) == 0 ? "billing" : "general", pick(2) == 0));
        break;
      case 8: {
        const auto snapshot = f_.engine->snapshot();
        std::vector<std::string> open;
        for (const auto& c : snapshot.contacts) {
          if (c.status != ContactStatus::completed) open.push_back(c.id);
        }
        if (open.empty()) break;
        REQUIRE(f_.engine->withdraw(
            open[static_cast<std::size_t>(pick(static_cast<int>(open.size())))], "chaos"));
        break;
      }
      case 9: {
        const std::string id = "a" + std::to_string(pick(6));
        const AgentRecord* a = f_.engine->agent(id);
        if (a == nullptr) break;
        const bool busy = !f_.engine->agent_load(id)->active.empty();
        CHECK(f_.engine->remove_agent(id).has_value() == !busy);
        break;
      }
      default:
        f_.tick(Millis(pick(15'000)));
        break;
    }
  }

  void check() {
    const RoutingSnapshot s = f_.engine->snapshot();
    REQUIRE(f_.store.load().value() == s);
    std::set<std::string> present;
    for (const auto& c : s.contacts) present.insert(c.id);
    REQUIRE(present == enqueued_);  // nothing lost (completed ones are kept for 24 h)
    std::map<std::string, int> load;
    for (const auto& c : s.contacts) {
      if (c.status == ContactStatus::offered || c.status == ContactStatus::active) {
        REQUIRE(f_.engine->agent(c.agent) != nullptr);
        ++load[c.agent];
      }
    }
    for (const auto& a : s.agents) {
      const AgentLoad l = *f_.engine->agent_load(a.spec.id);
      REQUIRE(l.total == load[a.spec.id]);
      REQUIRE(l.total <= a.spec.total_capacity);
    }
    for (const auto& c : s.contacts) {
      if (c.status != ContactStatus::waiting || !f_.engine->queue_open(c.queue)) continue;
      for (const auto& a : s.agents) {
        const AgentLoad l = *f_.engine->agent_load(a.spec.id);
        const bool declined =
            std::find(c.declined_by.begin(), c.declined_by.end(), a.spec.id) != c.declined_by.end();
        const int used = l.by_channel.contains("chat") ? l.by_channel.at("chat") : 0;
        if (declined || a.presence != Presence::available || l.total >= a.spec.total_capacity ||
            used >= a.spec.capacity_by_channel.at("chat")) {
          continue;
        }
        const bool skilled = std::all_of(c.base_skills.begin(), c.base_skills.end(), [&](auto& r) {
          auto it = a.spec.skills.find(r.skill);
          return it != a.spec.skills.end() && it->second >= std::max(1, r.min_level - c.relaxed_by);
        });
        INFO("contact " << c.id << " waits in " << c.queue << " while " << a.spec.id << " is free");
        REQUIRE_FALSE(skilled);
      }
    }
  }

  std::mt19937 rng_;
  Fixture f_;
  bool old_in_config_ = true;
  int next_id_ = 0;
  std::set<std::string> enqueued_;
};

}  // namespace

TEST_CASE("random reloads, closings, withdrawals and removals never lose or double-book work") {
  for (std::uint32_t seed : {1u, 2u, 3u, 4u, 5u}) {
    INFO("seed " << seed);
    ReloadChaos(seed).run(1500);
  }
}
