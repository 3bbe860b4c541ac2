// The routing rules as loaded from the ops YAML file: tiers, skills, agents, queues with business
// hours, tier rules and routing rules. Immutable; shared as std::shared_ptr<const Rules>.
#pragma once

#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "routing/business_hours.h"
#include "routing/model.h"

namespace re2 {
class RE2;
}

namespace omniroute::routing {

// Channel names as rules write them: the enum without its prefix, lower case ("sms").
std::string_view channel_name(v1::Channel channel);
std::optional<v1::Channel> channel_from_name(std::string_view name);
const std::vector<std::string>& all_channel_names();

// What a queue does with a contact that arrives while it is closed.
struct OutOfHours {
  enum class Action {
    wait,               // stay in this queue until it opens
    overflow,           // go to `queue`, which applies its own hours in turn
    after_hours_queue,  // go to `queue` unconditionally (a queue staffed for nights, a ticket desk)
  };
  Action action = Action::wait;
  std::string queue;
};

struct Queue {
  QueueSpec spec;                      // what the dispatch engine needs
  std::optional<BusinessHours> hours;  // none: always open
  OutOfHours out_of_hours;
};

// One rule's conditions; an empty field does not constrain. All present fields must hold.
struct Conditions {
  std::vector<v1::Channel> channels;
  std::vector<std::string> tiers;
  std::vector<std::string> languages;   // BCP 47 prefixes, lower case: "zh" matches "zh-CN"
  std::vector<std::string> recipients;  // the address that received the message
  std::vector<std::string> keywords;    // lower case (ASCII); matched as substrings
  // Compiled once at load: case-insensitive, UTF-8, searched (not fully matched) over the subject
  // and the text. RE2 matches in linear time and is safe to use from several threads at once;
  // shared, so that copies of the rules share one compiled pattern.
  std::shared_ptr<const re2::RE2> regex;
  std::string regex_source;
  // attribute name → accepted values (one value: equals; several: one of).
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;
  struct TimeOfDay {
    std::shared_ptr<const TimeZone> zone;
    std::vector<int> weekdays;  // 0 = Monday; empty = every day
    DailyWindow window;         // start > end wraps past midnight ("18:00-09:00")
  };
  std::optional<TimeOfDay> time_of_day;
  bool empty() const;
};

struct Actions {
  std::string queue;
  std::vector<SkillRequirement> extra_skills;
  int priority_adjustment = 0;
  std::optional<Millis> sla_first_response;  // replaces the tier's target
  std::vector<std::string> tags;
};

struct Rule {
  std::string name;
  int line = 0;  // where it starts in the file, for messages and the simulate output
  Conditions when;
  Actions then;
};

// Sets the tier of a contact whose tier the CRM profile and the event attribute do not give.
struct TierRule {
  std::string name;
  int line = 0;
  Conditions when;  // `tiers` is not allowed here
  std::string set_tier;
};

struct Rules {
  std::string version;      // hex SHA-256 of the file bytes
  std::string source_name;  // file name as given to the loader
  std::vector<Tier> tiers;
  std::string default_tier;
  std::string tier_attribute;  // event attribute naming the tier; empty = not used
  std::vector<std::string> skills;
  std::vector<AgentSpec> agents;
  // Declared agents with `initial_presence: available`: the presence an agent gets when the
  // engine first learns of it (the default is offline; the presence API takes over from there).
  std::set<std::string> initially_available;
  std::vector<Queue> queues;
  std::vector<TierRule> tier_rules;
  std::vector<Rule> rules;  // the last one has no conditions
  std::size_t match_text_max_bytes = 4096;

  const Tier* find_tier(std::string_view name) const;
  const Queue* find_queue(std::string_view name) const;
  const Rule* find_rule(std::string_view name) const;
};

}  // namespace omniroute::routing
