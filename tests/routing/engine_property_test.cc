// Thousands of random operations (seeded, so a failure replays) with the invariants checked after
// each: no contact offered to two agents, no agent over capacity, loads agree with contacts, the
// store mirrors the engine, and no free eligible agent idles while a contact waits for it.
#include <algorithm>
#include <catch2/catch.hpp>
#include <random>

#include "tests/routing/engine_fixture.h"

using namespace omniroute::routing;
using namespace omniroute::routing::testing;

namespace {

const std::vector<std::string> kChannels{"chat", "email", "sms"};
const std::vector<std::string> kSkills{"billing", "sales", "french"};

std::vector<QueueSpec> random_queues() {
  QueueSpec a = queue("billing", {{"billing", 3}}, Strategy::longest_idle);
  a.reservation_timeout = 20s;
  a.max_consecutive_misses = 2;
  a.escalation = {EscalationStep{30s, 2, {}, 0}, EscalationStep{60s, 0, {"sales"}, 5}};
  QueueSpec b = queue("sales", {{"sales", 1}}, Strategy::least_busy);
  b.reservation_timeout = 15s;
  b.max_wait = 90s;
  b.overflow_queue = "general";
  QueueSpec c = queue("general", {}, Strategy::highest_proficiency);
  c.auto_accept = true;
  c.escalation = {EscalationStep{45s, 0, {}, 1}};
  return {a, b, c};
}

class Chaos {
 public:
  explicit Chaos(std::uint32_t seed) : rng_(seed), f_(queues_, 0.7) {}

  void run(int ops) {
    for (int i = 0; i < ops; ++i) {
      INFO("seed op " << i);
      step();
      check();
    }
  }

 private:
  int pick(int n) { return std::uniform_int_distribution<int>(0, n - 1)(rng_); }
  template <class T>
  const T& any(const std::vector<T>& v) {
    return v[pick(static_cast<int>(v.size()))];
  }

  std::vector<std::string> contacts_with(ContactStatus status) const {
    std::vector<std::string> ids;
    for (const auto& c : f_.engine->snapshot().contacts) {
      if (c.status == status) ids.push_back(c.id);
    }
    return ids;
  }

  void step() {
    const int op = pick(10);
    ticked_ = op == 7 || op == 8;
    switch (op) {
      case 0:
      case 1:
        enqueue();
        break;
      case 2:
        upsert_agent();
        break;
      case 3:
        presence();
        break;
      case 4:
      case 5:
        answer_offer();
        break;
      case 6:
        complete();
        break;
      case 7:
      case 8:
        f_.tick(Millis(pick(20'000)));
        break;
      default:
        enqueue();
        break;
    }
  }

  void enqueue() {
    const std::string q = any(std::vector<std::string>{"billing", "sales", "general"});
    const auto& queues = queues_;
    auto spec = std::find_if(queues.begin(), queues.end(), [&](auto& x) { return x.name == q; });
    std::vector<SkillRequirement> skills = spec->required_skills;
    if (pick(4) == 0) skills.push_back({"french", 1 + pick(3)});
    const std::string id = "c" + std::to_string(pick(400));  // repeats exercise idempotency
    (void)f_.engine->enqueue(id, f_.decision(q, pick(3), Millis(10'000 + pick(120'000)), skills),
                             any(kChannels), "cust" + std::to_string(pick(30)), f_.now());
  }

  void upsert_agent() {
    const std::string id = "a" + std::to_string(pick(12));
    std::map<std::string, int> skills;
    for (const auto& s : kSkills) {
      if (pick(2) == 0) skills[s] = 1 + pick(5);
    }
    // Capacities never shrink, so "never over capacity" stays a fair check.
    const AgentRecord* old = f_.engine->agent(id);
    std::map<std::string, int> caps =
        old ? old->spec.capacity_by_channel : std::map<std::string, int>{};
    for (const auto& ch : kChannels) {
      if (pick(2) == 0) caps[ch] = std::max(caps[ch], pick(3));
    }
    const int total = std::max(old ? old->spec.total_capacity : 0, 1 + pick(4));
    f_.engine->upsert_agent(agent_spec(id, skills, caps, total));
  }

  void presence() {
    const auto snapshot = f_.engine->snapshot();
    if (snapshot.agents.empty()) return;
    const std::string id = any(snapshot.agents).spec.id;
    const Presence p = any(std::vector<Presence>{Presence::available, Presence::available,
                                                 Presence::away, Presence::offline});
    REQUIRE(f_.engine->set_presence(id, p, "chaos"));
  }

  void answer_offer() {
    const auto offered = contacts_with(ContactStatus::offered);
    if (offered.empty()) return;
    const std::string id = any(offered);
    const std::string agent = f_.engine->contact(id)->agent;
    CHECK_FALSE(f_.engine->accept(id, agent + "-not"));  // the wrong agent is refused
    if (pick(3) == 0) {
      REQUIRE(f_.engine->reject(id, agent, "chaos"));
    } else {
      REQUIRE(f_.engine->accept(id, agent));
    }
  }

  void complete() {
    const auto active = contacts_with(ContactStatus::active);
    if (active.empty()) return;
    const std::string id = any(active);
    REQUIRE(f_.engine->complete(id, f_.engine->contact(id)->agent));
  }

  void check() {
    const RoutingSnapshot s = f_.engine->snapshot();
    REQUIRE(f_.store.load().value() == s);
    std::map<std::string, AgentLoad> counted;
    for (const auto& c : s.contacts) {
      if (c.status != ContactStatus::offered && c.status != ContactStatus::active) continue;
      AgentLoad& l = counted[c.agent];
      ++l.total;
      ++l.by_channel[c.channel];
      (c.status == ContactStatus::offered ? l.offers : l.active).push_back(c.id);
    }
    for (const auto& a : s.agents) {
      const AgentLoad load = *f_.engine->agent_load(a.spec.id);
      AgentLoad expect = counted[a.spec.id];
      std::erase_if(expect.by_channel, [](const auto& kv) { return kv.second == 0; });
      REQUIRE(load.total == expect.total);
      REQUIRE(load.by_channel == expect.by_channel);
      REQUIRE(load.offers == expect.offers);  // each offered contact is held by exactly one agent
      REQUIRE(load.active == expect.active);
      REQUIRE(load.total <= a.spec.total_capacity);
      for (const auto& [ch, n] : load.by_channel) REQUIRE(n <= a.spec.capacity_by_channel.at(ch));
    }
    for (const auto& c : s.contacts) {
      if (c.status == ContactStatus::waiting) check_nobody_idles_for(c, s);
    }
    // After on_time() nothing is overdue; other operations may leave work due at once (a
    // contact returned to its queue after its max_wait), which next_due() then reports.
    if (ticked_) {
      if (auto due = f_.engine->next_due()) REQUIRE(*due > f_.now());
    }
  }

  // Greedy matching leaves no available agent with room, the skills and no decline of this
  // contact while the contact waits (escalation's also_queues only widen the pool, not checked).
  void check_nobody_idles_for(const ContactRecord& c, const RoutingSnapshot& s) {
    for (const auto& a : s.agents) {
      if (a.presence != Presence::available) continue;
      if (std::find(c.declined_by.begin(), c.declined_by.end(), a.spec.id) != c.declined_by.end()) {
        continue;
      }
      const AgentLoad load = *f_.engine->agent_load(a.spec.id);
      auto cap = a.spec.capacity_by_channel.find(c.channel);
      const int used = load.by_channel.contains(c.channel) ? load.by_channel.at(c.channel) : 0;
      if (cap == a.spec.capacity_by_channel.end() || used >= cap->second ||
          load.total >= a.spec.total_capacity) {
        continue;
      }
      const bool skilled = std::all_of(c.base_skills.begin(), c.base_skills.end(), [&](auto& r) {
        auto it = a.spec.skills.find(r.skill);
        return it != a.spec.skills.end() && it->second >= std::max(1, r.min_level - c.relaxed_by);
      });
      INFO("contact " << c.id << " waits while " << a.spec.id << " is free and eligible");
      REQUIRE_FALSE(skilled);
    }
  }

  std::vector<QueueSpec> queues_ = random_queues();
  bool ticked_ = false;
  std::mt19937 rng_;
  Fixture f_;
};

}  // namespace

TEST_CASE("random operation sequences never break the dispatch invariants") {
  for (std::uint32_t seed : {1u, 2u, 3u, 42u, 2024u}) {
    INFO("seed " << seed);
    Chaos(seed).run(3000);
  }
}
