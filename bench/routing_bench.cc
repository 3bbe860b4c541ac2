// Dispatch-engine benchmark: decision latency and throughput with 1k/10k/100k waiting contacts and
// 100/1k/10k agents across 50 queues, plus resident memory per waiting contact. Prints markdown.
//
//   routing_bench [--iterations N] [--seed S]
//
// Setup per row: 50 queues (one required skill each, strategies rotating), agents with 5 random
// skills (levels 1-5), chat 2 / email 2 / total 3; agents are filled to capacity, then W more
// contacts wait. Measured, alternately, N times:
//   - "freed": an agent completes a contact and takes the most urgent one it can serve across
//     every queue (the expensive decision: bucket heads of all its queues);
//   - "arrival": a new contact arrives, is matched against the free agents and queued.
// Offers are auto-accepted so the measured operation is the decision, not the protocol.
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "routing/engine.h"

using namespace omniroute;
using namespace omniroute::routing;

namespace {

constexpr int kQueues = 50;
const char* const kChannels[] = {"chat", "email"};

// Tracks which contacts are active with whom (to complete a random one) and how many wait.
struct CountingSink final : EventSink {
  std::vector<std::pair<std::string, std::string>> active;  // contact, agent
  std::unordered_map<std::string, std::size_t> position;
  long waiting = 0;
  void on_event(const EngineEvent& e) override {
    switch (e.kind) {
      case EventKind::queued:
        ++waiting;
        break;
      case EventKind::offered:
        --waiting;
        break;
      case EventKind::accepted:
        position[e.contact] = active.size();
        active.emplace_back(e.contact, e.agent);
        break;
      case EventKind::completed: {
        const std::size_t i = position.at(e.contact);
        position[active.back().first] = i;
        std::swap(active[i], active.back());
        active.pop_back();
        position.erase(e.contact);
        break;
      }
      default:
        break;
    }
  }
};

// Not `"s" + std::to_string(i)`: GCC 12 at -O3 warns falsely on it (-Wrestrict, PR 105651).
std::string named(const char* prefix, long i) {
  std::string s(prefix);
  s += std::to_string(i);
  return s;
}

long resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  long size = 0, resident = 0;
  statm >> size >> resident;
  return resident * sysconf(_SC_PAGESIZE);
}

std::vector<QueueSpec> make_queues() {
  std::vector<QueueSpec> queues;
  const Strategy strategies[] = {Strategy::longest_idle, Strategy::least_busy,
                                 Strategy::highest_proficiency};
  for (int i = 0; i < kQueues; ++i) {
    QueueSpec q;
    q.name = named("q", i);
    q.required_skills = {{named("s", i), 1 + i % 3}};
    q.strategy = strategies[i % 3];
    q.auto_accept = true;
    q.escalation = {EscalationStep{std::chrono::hours(1), 1, {}, 1}};
    queues.push_back(std::move(q));
  }
  return queues;
}

struct Percentiles {
  double p50_us, p99_us, per_sec;
};

Percentiles summarize(std::vector<double>& ns) {
  std::sort(ns.begin(), ns.end());
  double total = 0;
  for (double v : ns) total += v;
  auto at = [&](double q) { return ns[static_cast<std::size_t>(q * (ns.size() - 1))] / 1000.0; };
  return {at(0.50), at(0.99), ns.size() / (total / 1e9)};
}

class Bench {
 public:
  Bench(int agents, long waiting, std::uint32_t seed)
      : rng_(seed), engine_(clock_, EngineConfig{make_queues(), 0.8}, sink_) {
    add_agents(agents);
    // Fill a tenth first (this saturates the agents), then measure the rest: the delta is what
    // the waiting contacts cost, not the contacts agents hold.
    while (sink_.waiting < waiting / 10) arrive();
    const long before = resident_bytes();
    const long from = sink_.waiting;
    while (sink_.waiting < waiting) arrive();
    bytes_per_waiting_ = double(resident_bytes() - before) / double(sink_.waiting - from);
  }

  void run(int iterations, std::vector<double>& freed, std::vector<double>& arrival) {
    for (int i = 0; i < iterations; ++i) {
      clock_.advance(std::chrono::milliseconds(1));
      if (!sink_.active.empty()) {
        const auto [contact, agent] = sink_.active[pick(sink_.active.size())];
        freed.push_back(time([&] { (void)engine_.complete(contact, agent); }));
      }
      arrival.push_back(time([&] { arrive(); }));
    }
  }

  double bytes_per_waiting() const { return bytes_per_waiting_; }

 private:
  template <class Fn>
  static double time(Fn&& fn) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    return std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
  }
  std::size_t pick(std::size_t n) {
    return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng_);
  }

  void add_agents(int n) {
    for (int i = 0; i < n; ++i) {
      AgentSpec a;
      a.id = named("agent-", i);
      while (a.skills.size() < 5) a.skills[named("s", pick(kQueues))] = 1 + int(pick(5));
      a.capacity_by_channel = {{"chat", 2}, {"email", 2}};
      a.total_capacity = 3;
      engine_.upsert_agent(a);
      (void)engine_.set_presence(a.id, Presence::available);
    }
  }

  void arrive() {
    const int q = int(pick(kQueues));
    RoutingDecision d;
    d.rule = "bench";
    d.tier = "standard";
    d.queue = named("q", q);
    d.priority = int(pick(3));
    d.required_skills = {{named("s", q), 1 + q % 3}};
    const TimePoint now = clock_.now_unix_ms();
    d.sla_deadline = now + 1000 * (300 + long(pick(1800)));  // 5..35 minutes
    const std::string id = named("c", next_id_++);
    (void)engine_.enqueue(id, d, kChannels[pick(2)], named("cust-", pick(1'000'000)), now);
  }

  ManualClock clock_{1'700'000'000'000};
  std::mt19937 rng_;
  CountingSink sink_;
  Engine engine_;
  long next_id_ = 0;
  double bytes_per_waiting_ = 0;
};

void run_row(long waiting, int agents, int iterations, std::uint32_t seed) {
  std::vector<double> freed, arrival;
  freed.reserve(iterations);
  arrival.reserve(iterations);
  Bench bench(agents, waiting, seed);
  bench.run(iterations, freed, arrival);
  const Percentiles f = summarize(freed), a = summarize(arrival);
  std::printf("| %ld | %d | %.1f | %.1f | %.0f | %.1f | %.1f | %.0f | %.0f B |\n", waiting, agents,
              f.p50_us, f.p99_us, f.per_sec, a.p50_us, a.p99_us, a.per_sec,
              bench.bytes_per_waiting());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  int iterations = 20'000;
  std::uint32_t seed = 7;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--seed") == 0) seed = std::uint32_t(std::atoi(argv[i + 1]));
  }
  std::printf(
      "| waiting | agents | freed p50 µs | freed p99 µs | freed /s | arrival p50 µs |"
      " arrival p99 µs | arrival /s | RSS per waiting contact |\n");
  std::printf("|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  std::fflush(stdout);  // before fork(), or every child prints the header again
  for (long waiting : {1'000L, 10'000L, 100'000L}) {
    for (int agents : {100, 1'000, 10'000}) {
      // One process per row, so memory freed by the previous row cannot hide this row's growth.
      const pid_t child = fork();
      if (child == 0) {
        run_row(waiting, agents, iterations, seed);
        std::_Exit(0);
      }
      int status = 0;
      waitpid(child, &status, 0);
    }
  }
  return 0;
}
