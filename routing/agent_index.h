// The free-agent index of the dispatch engine: for each (channel, skill), the agents free on that
// channel ordered three ways (idle time, load ratio, skill level), so a match walks few agents.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "routing/model.h"
#include "routing/store.h"

namespace omniroute::routing {

// An agent as the engine holds it: the durable record plus the load derived from its contacts.
struct AgentState {
  AgentRecord rec;
  int total_load = 0;
  std::map<std::string, int> load_by_channel;
  std::set<std::string> offers;  // contact ids offered to it, not yet accepted
  std::set<std::string> active;  // contact ids it handles

  const std::string& id() const { return rec.spec.id; }
  int level(const std::string& skill) const;
  int capacity(const std::string& channel) const;
  int load(const std::string& channel) const;
  // Available, under its total cap and under its cap on this channel.
  bool free_on(const std::string& channel) const;
  bool satisfies(const std::vector<SkillRequirement>& required) const;
  // Load as parts per million of the total cap; the least-busy strategy orders by it.
  std::int64_t load_ratio_ppm() const;
};

class AgentIndex {
 public:
  // The index keys an agent by the fields it has while inserted: erase it before changing its
  // presence, load, idle time or skills and insert it again afterwards (see Reindex).
  void insert(const AgentState& agent);
  void erase(const AgentState& agent);

  using Admissible = std::function<bool(const AgentState&)>;
  // The best agent free on `channel` holding every requirement, by `strategy`, among those
  // `admissible` accepts; ties go to the longest idle, then the smallest id. Null if none.
  const AgentState* best(const std::string& channel, const std::vector<SkillRequirement>& required,
                         Strategy strategy, const Admissible& admissible) const;

  // Erases in the constructor and re-inserts in the destructor, around a mutation.
  class Reindex {
   public:
    Reindex(AgentIndex& index, const AgentState& agent) : index_(index), agent_(agent) {
      index_.erase(agent_);
    }
    ~Reindex() { index_.insert(agent_); }
    Reindex(const Reindex&) = delete;
    Reindex& operator=(const Reindex&) = delete;

   private:
    AgentIndex& index_;
    const AgentState& agent_;
  };

 private:
  struct IdleKey {
    TimePoint idle;
    const AgentState* agent;
    bool operator<(const IdleKey& o) const;
  };
  struct LoadKey {
    std::int64_t ratio;
    TimePoint idle;
    const AgentState* agent;
    bool operator<(const LoadKey& o) const;
  };
  struct LevelKey {
    int level;
    TimePoint idle;
    const AgentState* agent;
    bool operator<(const LevelKey& o) const;
  };
  // The free agents on one channel holding one skill ("" holds every free agent).
  struct Pool {
    std::set<IdleKey> by_idle;
    std::set<LoadKey> by_load;
    std::set<LevelKey> by_level;  // highest level first
  };

  template <class Fn>
  void for_each_pool(const AgentState& agent, Fn&& fn);
  const Pool* pool(const std::string& channel, const std::string& skill) const;
  const AgentState* best_proficiency(const Pool& pivot, const SkillRequirement& pivot_req,
                                     const std::vector<SkillRequirement>& required,
                                     const Admissible& admissible) const;

  std::unordered_map<std::string, std::unordered_map<std::string, Pool>> pools_;
};

}  // namespace omniroute::routing
