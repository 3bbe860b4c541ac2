// Parses and validates routing rules. Sections are read in dependency order (tiers and skills
// first, so references can be checked where they are written); queue-to-queue references are
// checked once all queues are known. Every error is collected; any error refuses the file.
#include "routing/rules_yaml.h"

#include <re2/re2.h>

#include <algorithm>
#include <cstdint>
#include <fstream>
#include <iterator>
#include <map>
#include <set>

#include "common/crypto.h"
#include "common/utf8.h"
#include "common/yaml_reader.h"

namespace omniroute::routing {

using yamlcfg::Diagnostics;
using yamlcfg::Field;
using yamlcfg::MapReader;

namespace {

constexpr int kMaxPriority = 1000;
constexpr std::size_t kMaxRegexBytes = 1024;
constexpr std::int64_t kRegexMaxMem = 1 << 20;  // per regex: compiled program and DFA cache
constexpr const char* kRegexSyntax =
    "RE2 syntax, which has no backreferences or lookaround: "
    "https://github.com/google/re2/wiki/Syntax";

bool valid_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

std::string ascii_lower(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

// How rule regexes are compiled: a case-insensitive search over UTF-8 text, as with the
// backtracking engine this replaced, but in RE2's syntax and in linear time. The memory
// cap refuses (at load) the few short patterns that expand hugely, like \pL{1000}.
re2::RE2::Options regex_options() {
  re2::RE2::Options options;
  options.set_encoding(re2::RE2::Options::EncodingUTF8);
  options.set_case_sensitive(false);
  options.set_log_errors(false);  // errors go to the validator's messages, not to stderr
  options.set_max_mem(kRegexMaxMem);
  return options;
}

class RulesParser {
 public:
  explicit RulesParser(std::string file_name) : diag_(std::move(file_name)) {}

  RulesParse run(std::string_view text) {
    rules_.source_name = diag_.file_name();
    rules_.version = crypto::hex_encode(crypto::digest(crypto::Digest::sha256, text));
    if (text.size() > kMaxRulesFileBytes) {
      diag_.error(yamlcfg::Position{1, 1},
                  "file is larger than " + std::to_string(kMaxRulesFileBytes) + " bytes");
    } else if (auto doc = yamlcfg::parse_document(text, diag_)) {
      read_top(Field{*doc, doc->Mark(), "", &diag_});
    }
    RulesParse out;
    out.errors = diag_.errors();
    if (out.errors.empty()) out.rules = std::make_shared<const Rules>(std::move(rules_));
    return out;
  }

 private:
  Diagnostics diag_;
  Rules rules_;
  std::shared_ptr<const TimeZone> default_zone_ = TimeZone::utc();
  std::map<std::string, int> rule_lines_;
  std::vector<std::pair<Field, std::string>> queue_refs_;  // checked when all queues are known
  std::map<std::string, Field> out_of_hours_fields_;       // for the overflow loop check
  std::size_t default_index_ = SIZE_MAX;                   // first rule written without `when`

  void read_top(const Field& doc) {
    if (doc.is_null()) {
      Field{doc.node, YAML::Mark(), "", &diag_}.error(
          "the file is empty: see config/rules.example.yaml");
      return;
    }
    MapReader top(doc, {"version", "time_zone", "tier_attribute", "match_text_max_bytes", "tiers",
                        "skills", "agents", "queues", "tier_rules", "rules"});
    if (!top.is_mapping()) return;
    if (auto f = top.require("version")) {
      if (auto v = f->integer(1, 1000); v && *v != 1) f->error("this omniroute reads version 1");
    }
    if (auto f = top.get("time_zone")) default_zone_ = zone(*f);
    if (auto f = top.get("tier_attribute")) rules_.tier_attribute = f->string().value_or("");
    if (auto f = top.get("match_text_max_bytes")) {
      rules_.match_text_max_bytes = static_cast<std::size_t>(f->integer(16, 65536).value_or(4096));
    }
    if (auto f = top.require("tiers")) read_tiers(*f);
    if (auto f = top.get("skills")) read_skills(*f);
    if (auto f = top.require("queues")) read_queues(*f);
    if (auto f = top.get("agents")) read_agents(*f);
    if (auto f = top.get("tier_rules")) read_tier_rules(*f);
    if (auto f = top.require("rules")) read_rules(*f);
    check_queue_refs();
    check_out_of_hours_cycles();
  }

  // ---- small typed readers ----

  std::optional<std::string> name(const Field& f) {
    auto s = f.string();
    if (s && !valid_name(*s)) {
      f.error("'" + *s + "' is not a valid name (letters, digits, '_', '-', '.'; at most 64)");
      return std::nullopt;
    }
    return s;
  }

  std::shared_ptr<const TimeZone> zone(const Field& f) {
    auto s = f.string();
    if (!s) return default_zone_;
    auto z = TimeZone::load(*s);
    if (!z) {
      f.error(z.error().message);
      return default_zone_;
    }
    return *z;
  }

  bool known_skill(const Field& at, const std::string& skill) {
    if (std::find(rules_.skills.begin(), rules_.skills.end(), skill) != rules_.skills.end()) {
      return true;
    }
    std::string message = "unknown skill '" + skill + "'";
    if (auto hint = yamlcfg::closest_match(skill, rules_.skills))
      message += " (did you mean '" + *hint + "'?)";
    at.error(message + "; declare it under skills:");
    return false;
  }

  bool known_tier(const Field& at, const std::string& tier) {
    if (rules_.find_tier(tier)) return true;
    std::vector<std::string> names;
    for (const auto& t : rules_.tiers) names.push_back(t.name);
    std::string message = "unknown tier '" + tier + "'";
    if (auto hint = yamlcfg::closest_match(tier, names))
      message += " (did you mean '" + *hint + "'?)";
    at.error(message);
    return false;
  }

  std::optional<v1::Channel> channel(const Field& at, const std::string& text) {
    auto c = channel_from_name(text);
    if (!c) {
      std::string message = "unknown channel '" + text + "'";
      if (auto hint = yamlcfg::closest_match(text, all_channel_names())) {
        message += " (did you mean '" + *hint + "'?)";
      }
      at.error(message);
    }
    return c;
  }

  // {skill: level} with levels 1..5, every skill declared.
  std::vector<SkillRequirement> skill_levels(const Field& f) {
    std::vector<SkillRequirement> out;
    for (auto& [key, value] : f.entries()) {
      std::string skill = key.node.Scalar();
      bool known = known_skill(Field{key.node, key.mark, value.path, &diag_}, skill);
      auto level = value.integer(1, 5);
      if (known && level) out.push_back({skill, static_cast<int>(*level)});
    }
    return out;
  }

  void unique(std::set<std::string>& seen, const Field& at, const std::string& what,
              const std::string& n) {
    if (!seen.insert(n).second) at.error("duplicate " + what + " name '" + n + "'");
  }

  // ---- tiers and skills ----

  void read_tiers(const Field& f) {
    std::set<std::string> seen;
    std::vector<Field> defaults;
    for (const auto& item : f.items()) {
      MapReader m(item, {"name", "priority", "default", "first_response_secs"});
      if (!m.is_mapping()) continue;
      Tier tier;
      if (auto n = m.require("name"); n && name(*n)) {
        tier.name = n->node.Scalar();
        unique(seen, *n, "tier", tier.name);
      }
      if (auto p = m.require("priority")) {
        tier.priority = static_cast<int>(p->integer(-kMaxPriority, kMaxPriority).value_or(0));
      }
      if (auto d = m.get("default"); d && d->boolean().value_or(false)) {
        defaults.push_back(*d);
        rules_.default_tier = tier.name;
      }
      if (auto s = m.require("first_response_secs")) read_sla_targets(*s, tier);
      rules_.tiers.push_back(std::move(tier));
    }
    if (f.node && f.node.IsSequence() && rules_.tiers.empty()) f.error("declare at least one tier");
    if (defaults.empty() && !rules_.tiers.empty()) {
      f.error("no tier has 'default: true'; exactly one tier must be the default");
    }
    for (std::size_t i = 1; i < defaults.size(); ++i) {
      defaults[i].error("a second default tier; exactly one tier must be the default");
    }
  }

  void read_sla_targets(const Field& f, Tier& tier) {
    bool has_default = false;
    for (auto& [key, value] : f.entries()) {
      const std::string& k = key.node.Scalar();
      auto secs = value.seconds(1);
      if (k == "default") {
        has_default = true;
        if (secs) tier.first_response_default = std::chrono::seconds(*secs);
      } else if (channel(Field{key.node, key.mark, f.path, &diag_}, k) && secs) {
        tier.first_response_by_channel[k] = std::chrono::seconds(*secs);
      }
    }
    if (!has_default && f.node && f.node.IsMap()) {
      f.error("missing 'default' (the target for channels not listed)");
    }
  }

  void read_skills(const Field& f) {
    for (auto& [key, value] : f.entries()) {
      Field key_field{key.node, key.mark, value.path, &diag_};
      if (!name(key_field)) continue;
      value.string();  // the description: a text, so ops know what the skill means
      rules_.skills.push_back(key.node.Scalar());
    }
  }

  // ---- agents ----

  void read_agents(const Field& f) {
    std::set<std::string> seen;
    for (const auto& item : f.items()) {
      MapReader m(item, {"id", "name", "skills", "capacity", "total_capacity", "initial_presence"});
      if (!m.is_mapping()) continue;
      AgentSpec agent;
      if (auto id = m.require("id"); id && name(*id)) {
        agent.id = id->node.Scalar();
        if (!seen.insert(agent.id).second) id->error("duplicate agent id '" + agent.id + "'");
      }
      if (auto n = m.get("name")) agent.name = n->string().value_or("");
      if (auto s = m.require("skills")) {
        for (auto& req : skill_levels(*s)) agent.skills[req.skill] = req.min_level;
      }
      if (auto c = m.require("capacity")) {
        for (auto& [key, value] : c->entries()) {
          auto n = value.integer(0, 1000);
          if (channel(Field{key.node, key.mark, value.path, &diag_}, key.node.Scalar()) && n) {
            agent.capacity_by_channel[key.node.Scalar()] = static_cast<int>(*n);
          }
        }
      }
      if (auto t = m.require("total_capacity")) {
        agent.total_capacity = static_cast<int>(t->integer(1, 1000).value_or(1));
      }
      if (auto p = m.get("initial_presence")) {
        if (auto value = p->string(); value == "available") {
          rules_.initially_available.insert(agent.id);
        } else if (value && *value != "offline") {
          p->error("expected offline or available, got '" + *value + "'");
        }
      }
      rules_.agents.push_back(std::move(agent));
    }
  }

  // ---- queues ----

  void read_queues(const Field& f) {
    std::set<std::string> seen;
    for (const auto& item : f.items()) {
      MapReader m(item,
                  {"name", "channels", "required_skills", "strategy", "reservation_timeout_secs",
                   "auto_accept", "max_consecutive_misses", "sticky_window_secs", "max_wait_secs",
                   "overflow_queue", "business_hours", "escalation"});
      if (!m.is_mapping()) continue;
      Queue q;
      if (auto n = m.require("name"); n && name(*n)) {
        q.spec.name = n->node.Scalar();
        unique(seen, *n, "queue", q.spec.name);
      }
      read_queue_dispatch(m, q.spec);
      if (auto h = m.get("business_hours")) read_business_hours(*h, q);
      if (auto e = m.get("escalation")) q.spec.escalation = read_escalation(*e, q.spec.name);
      rules_.queues.push_back(std::move(q));
    }
    if (f.node && f.node.IsSequence() && rules_.queues.empty())
      f.error("declare at least one queue");
  }

  void read_queue_dispatch(const MapReader& m, QueueSpec& spec) {
    if (auto c = m.get("channels")) {
      for (const auto& [at, text] : c->string_items()) {
        if (channel(at, text)) spec.channels.push_back(text);
      }
    }
    if (auto s = m.get("required_skills")) spec.required_skills = skill_levels(*s);
    if (auto s = m.get("strategy")) {
      auto text = s->string().value_or("");
      if (text == "longest_idle")
        spec.strategy = Strategy::longest_idle;
      else if (text == "least_busy")
        spec.strategy = Strategy::least_busy;
      else if (text == "highest_proficiency")
        spec.strategy = Strategy::highest_proficiency;
      else if (!text.empty()) {
        s->error("unknown strategy '" + text + "' (longest_idle, least_busy, highest_proficiency)");
      }
    }
    if (auto t = m.get("reservation_timeout_secs")) {
      spec.reservation_timeout = std::chrono::seconds(t->seconds(1).value_or(30));
    }
    if (auto a = m.get("auto_accept")) spec.auto_accept = a->boolean().value_or(false);
    if (auto n = m.get("max_consecutive_misses")) {
      spec.max_consecutive_misses = static_cast<int>(n->integer(1, 100).value_or(3));
    }
    if (auto s = m.get("sticky_window_secs")) {
      spec.sticky_window = std::chrono::seconds(s->seconds(0).value_or(0));
    }
    if (auto w = m.get("max_wait_secs")) {
      if (auto secs = w->seconds(1)) spec.max_wait = std::chrono::seconds(*secs);
    }
    if (auto o = m.get("overflow_queue")) {
      if (auto target = o->string()) {
        spec.overflow_queue = *target;
        queue_refs_.emplace_back(*o, *target);
        if (!m.get("max_wait_secs"))
          o->error("overflow_queue needs max_wait_secs (when to overflow)");
        if (*target == spec.name) o->error("a queue cannot overflow to itself");
      }
    }
  }

  void read_business_hours(const Field& f, Queue& q) {
    MapReader m(f, {"time_zone", "weekly", "holidays", "out_of_hours"});
    if (!m.is_mapping()) return;
    BusinessHours hours;
    hours.zone = default_zone_;
    if (auto z = m.get("time_zone")) hours.zone = zone(*z);
    if (auto w = m.require("weekly")) read_weekly(*w, hours);
    if (auto h = m.get("holidays")) {
      for (const auto& item : h->items()) {
        auto text = item.string();
        auto key = text ? parse_date_key(*text) : std::nullopt;
        if (text && !key) item.error("expected a date YYYY-MM-DD, got '" + *text + "'");
        if (key) hours.holidays.insert(*key);
      }
    }
    if (auto o = m.get("out_of_hours")) {
      q.out_of_hours = read_out_of_hours(*o, q.spec.name);
      out_of_hours_fields_.emplace(q.spec.name, *o);
    }
    q.hours = std::move(hours);
  }

  void read_weekly(const Field& f, BusinessHours& hours) {
    std::set<int> days_given;
    for (auto& [key, value] : f.entries()) {
      Field key_field{key.node, key.mark, value.path, &diag_};
      auto days = parse_weekdays(key.node.Scalar());
      if (!days) {
        key_field.error("expected a weekday (mon..sun), a range (mon-fri) or 'daily'");
        continue;
      }
      std::vector<DailyWindow> windows;
      for (const auto& [at, text] : value.string_items()) {
        auto w = parse_daily_window(text);
        if (!w || w->end_minute <= w->start_minute) {
          at.error(
              "expected hours like '09:00-18:00' (end after start; use 24:00 for "
              "midnight), got '" +
              text + "'");
          continue;
        }
        windows.push_back(*w);
      }
      for (int d : *days) {
        if (!days_given.insert(d).second) {
          key_field.error("a weekday is given twice (in '" + key.node.Scalar() + "')");
        }
        auto& slot = hours.weekly[static_cast<std::size_t>(d)];
        slot.insert(slot.end(), windows.begin(), windows.end());
      }
    }
  }

  OutOfHours read_out_of_hours(const Field& f, const std::string& queue) {
    OutOfHours out;
    if (f.node && f.node.IsScalar()) {
      if (f.node.Scalar() != "wait") {
        f.error("expected 'wait', {overflow: <queue>} or {after_hours_queue: <queue>}");
      }
      return out;
    }
    MapReader m(f, {"overflow", "after_hours_queue"});
    if (!m.is_mapping()) return out;
    auto overflow = m.get("overflow");
    auto after = m.get("after_hours_queue");
    if (overflow.has_value() == after.has_value()) {
      f.error("give exactly one of 'overflow' or 'after_hours_queue'");
      return out;
    }
    const Field& target = overflow ? *overflow : *after;
    out.action = overflow ? OutOfHours::Action::overflow : OutOfHours::Action::after_hours_queue;
    out.queue = target.string().value_or("");
    if (!out.queue.empty()) queue_refs_.emplace_back(target, out.queue);
    if (out.queue == queue) target.error("a queue cannot send its out-of-hours contacts to itself");
    return out;
  }

  std::vector<EscalationStep> read_escalation(const Field& f, const std::string& queue) {
    std::vector<EscalationStep> steps;
    for (const auto& item : f.items()) {
      MapReader m(item, {"after_secs", "lower_min_level_by", "also_offer_to", "raise_priority_by"});
      if (!m.is_mapping()) continue;
      EscalationStep step;
      if (auto a = m.require("after_secs")) {
        auto secs = a->seconds(1);
        if (secs) step.after = std::chrono::seconds(*secs);
        if (secs && !steps.empty() && step.after <= steps.back().after) {
          a->error("steps must be in increasing after_secs order");
        }
      }
      if (auto l = m.get("lower_min_level_by")) {
        step.lower_min_level_by = static_cast<int>(l->integer(1, 4).value_or(0));
      }
      if (auto r = m.get("raise_priority_by")) {
        step.raise_priority_by = static_cast<int>(r->integer(1, kMaxPriority).value_or(0));
      }
      if (auto q = m.get("also_offer_to")) {
        for (const auto& [at, target] : q->string_items()) {
          if (target == queue) at.error("a queue cannot also offer to itself");
          queue_refs_.emplace_back(at, target);
          step.also_queues.push_back(target);
        }
      }
      if (!m.get("lower_min_level_by") && !m.get("raise_priority_by") && !m.get("also_offer_to")) {
        item.error("a step needs lower_min_level_by, also_offer_to or raise_priority_by");
      }
      steps.push_back(std::move(step));
    }
    return steps;
  }

  void check_queue_refs() {
    std::vector<std::string> names;
    for (const auto& q : rules_.queues) names.push_back(q.spec.name);
    for (const auto& [at, target] : queue_refs_) {
      if (rules_.find_queue(target)) continue;
      std::string message = "unknown queue '" + target + "'";
      if (auto hint = yamlcfg::closest_match(target, names))
        message += " (did you mean '" + *hint + "'?)";
      at.error(message);
    }
  }

  // Overflow chains are followed at match time, so a loop would never settle.
  void check_out_of_hours_cycles() {
    for (const auto& start : rules_.queues) {
      std::set<std::string> visited{start.spec.name};
      const Queue* q = &start;
      while (q && q->hours && q->out_of_hours.action == OutOfHours::Action::overflow) {
        if (!visited.insert(q->out_of_hours.queue).second) {
          auto at = out_of_hours_fields_.find(start.spec.name);
          if (at != out_of_hours_fields_.end()) {
            at->second.error("overflow goes round in a loop back to '" + q->out_of_hours.queue +
                             "'; end the chain with wait or after_hours_queue");
          }
          break;
        }
        q = rules_.find_queue(q->out_of_hours.queue);
      }
    }
  }

  // ---- conditions and rules ----

  Conditions read_conditions(const Field& f, bool allow_tiers) {
    Conditions c;
    if (f.is_null()) return c;
    std::vector<std::string> keys{"channels", "languages",  "recipients", "keywords",
                                  "regex",    "attributes", "time_of_day"};
    if (allow_tiers) keys.push_back("tiers");
    MapReader m(f, keys);
    if (!m.is_mapping()) return c;
    if (auto x = m.get("channels")) {
      for (const auto& [at, text] : x->string_items()) {
        if (auto ch = channel(at, text)) c.channels.push_back(*ch);
      }
    }
    if (auto x = m.get("tiers")) {
      for (const auto& [at, t] : x->string_items()) {
        if (known_tier(at, t)) c.tiers.push_back(t);
      }
    }
    if (auto x = m.get("languages")) {
      for (const auto& l : x->string_list().value_or(std::vector<std::string>{})) {
        c.languages.push_back(ascii_lower(l));
      }
    }
    if (auto x = m.get("recipients")) c.recipients = x->string_list().value_or(c.recipients);
    if (auto x = m.get("keywords")) read_keywords(*x, c);
    if (auto x = m.get("regex")) read_regex(*x, c);
    if (auto x = m.get("attributes")) read_attribute_conditions(*x, c);
    if (auto x = m.get("time_of_day")) read_time_of_day(*x, c);
    return c;
  }

  void read_keywords(const Field& f, Conditions& c) {
    for (const auto& [at, k] : f.string_items()) {
      if (!is_valid_utf8(k)) {
        at.error("keyword is not valid UTF-8");
        continue;
      }
      c.keywords.push_back(ascii_lower(k));
    }
  }

  void read_regex(const Field& f, Conditions& c) {
    auto pattern = f.string();
    if (!pattern) return;
    if (pattern->size() > kMaxRegexBytes) {
      f.error("regular expression is longer than " + std::to_string(kMaxRegexBytes) + " bytes");
      return;
    }
    auto re = std::make_shared<const re2::RE2>(*pattern, regex_options());
    if (!re->ok()) {
      f.error("invalid regular expression /" + *pattern + "/: " + re->error() + " (" +
              kRegexSyntax + ")");
      return;
    }
    c.regex = std::move(re);
    c.regex_source = *pattern;
  }

  void read_attribute_conditions(const Field& f, Conditions& c) {
    for (auto& [key, value] : f.entries()) {
      auto values = value.string_list();
      if (values) c.attributes.emplace_back(key.node.Scalar(), *values);
    }
  }

  void read_time_of_day(const Field& f, Conditions& c) {
    MapReader m(f, {"time_zone", "days", "between"});
    if (!m.is_mapping()) return;
    Conditions::TimeOfDay t;
    t.zone = default_zone_;
    if (auto z = m.get("time_zone")) t.zone = zone(*z);
    if (auto d = m.get("days")) {
      for (const auto& [at, text] : d->string_items()) {
        auto days = parse_weekdays(text);
        if (!days)
          at.error("expected weekdays like mon, mon-fri or daily, got '" + text + "'");
        else
          t.weekdays.insert(t.weekdays.end(), days->begin(), days->end());
      }
    }
    if (auto b = m.require("between")) {
      auto text = b->string();
      auto w = text ? parse_daily_window(*text) : std::nullopt;
      if (text && (!w || w->start_minute == w->end_minute)) {
        b->error("expected a window like '09:00-18:00' or '18:00-09:00', got '" + *text + "'");
      } else if (w) {
        t.window = *w;
      }
    }
    c.time_of_day = std::move(t);
  }

  Actions read_actions(const Field& f) {
    Actions a;
    MapReader m(
        f, {"queue", "extra_skills", "priority_adjustment", "sla_first_response_secs", "tags"});
    if (!m.is_mapping()) return a;
    if (auto q = m.require("queue")) {
      a.queue = q->string().value_or("");
      if (!a.queue.empty()) queue_refs_.emplace_back(*q, a.queue);
    }
    if (auto s = m.get("extra_skills")) a.extra_skills = skill_levels(*s);
    if (auto p = m.get("priority_adjustment")) {
      a.priority_adjustment = static_cast<int>(p->integer(-kMaxPriority, kMaxPriority).value_or(0));
    }
    if (auto s = m.get("sla_first_response_secs")) {
      if (auto secs = s->seconds(1)) a.sla_first_response = std::chrono::seconds(*secs);
    }
    if (auto t = m.get("tags")) a.tags = t->string_list().value_or(a.tags);
    return a;
  }

  void read_tier_rules(const Field& f) {
    std::set<std::string> seen;
    for (const auto& item : f.items()) {
      MapReader m(item, {"name", "when", "set_tier"});
      if (!m.is_mapping()) continue;
      TierRule r;
      r.line = yamlcfg::position_of(item.mark).line;
      if (auto n = m.require("name"); n && name(*n)) {
        r.name = n->node.Scalar();
        unique(seen, *n, "tier rule", r.name);
      }
      if (auto w = m.require("when")) {
        r.when = read_conditions(*w, false);
        if (w->is_null() || (w->node.IsMap() && w->node.size() == 0)) {
          w->error("a tier rule needs at least one condition");
        }
      }
      if (auto t = m.require("set_tier")) {
        r.set_tier = t->string().value_or("");
        if (!r.set_tier.empty()) known_tier(*t, r.set_tier);
      }
      rules_.tier_rules.push_back(std::move(r));
    }
  }

  void read_rules(const Field& f) {
    std::set<std::string> seen;
    std::vector<Field> rule_fields;
    for (const auto& item : f.items()) {
      MapReader m(item, {"name", "when", "then"});
      if (!m.is_mapping()) continue;
      Rule r;
      r.line = yamlcfg::position_of(item.mark).line;
      if (auto n = m.require("name"); n && name(*n)) {
        r.name = n->node.Scalar();
        unique(seen, *n, "rule", r.name);
      }
      auto w = m.get("when");
      if (w) r.when = read_conditions(*w, true);
      if (auto t = m.require("then")) r.then = read_actions(*t);
      // A rule is the default by what is written, not by what survived parse errors.
      bool written_empty = !w || w->is_null() || (w->node.IsMap() && w->node.size() == 0);
      if (written_empty) default_index_ = std::min(default_index_, rules_.rules.size());
      rules_.rules.push_back(std::move(r));
      rule_fields.push_back(item);
    }
    check_default_rule(f, rule_fields);
  }

  void check_default_rule(const Field& list, const std::vector<Field>& fields) {
    if (!list.node || !list.node.IsSequence()) return;
    auto& rules = rules_.rules;
    auto first_default =
        rules.begin() + static_cast<std::ptrdiff_t>(std::min(default_index_, rules.size()));
    if (first_default == rules.end()) {
      list.error(
          "no default rule: the last rule must have no 'when' so that every contact "
          "gets a queue");
      return;
    }
    auto d = static_cast<std::size_t>(first_default - rules.begin());
    for (std::size_t i = d + 1; i < rules.size(); ++i) {
      fields[i].error("rule '" + rules[i].name + "' can never match: the default rule '" +
                      first_default->name + "' (line " + std::to_string(first_default->line) +
                      ") catches every contact first; the default rule must be last");
    }
    // Wherever out-of-hours handling may send the default rule's contacts must take them all.
    std::set<std::string> visited;
    for (const Queue* q = rules_.find_queue(first_default->then.queue);
         q && visited.insert(q->spec.name).second;
         q = q->hours && q->out_of_hours.action != OutOfHours::Action::wait
                 ? rules_.find_queue(q->out_of_hours.queue)
                 : nullptr) {
      if (!q->spec.channels.empty()) {
        fields[d].error("the default rule's queue '" + q->spec.name +
                        "' must accept every channel (remove its 'channels')");
      }
    }
  }
};

}  // namespace

RulesParse parse_rules(std::string_view text, std::string_view file_name) {
  return RulesParser(std::string(file_name)).run(text);
}

Result<std::shared_ptr<const Rules>> load_rules_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error(Errc::not_found, path + ": cannot open the rules file");
  std::string text;
  text.resize(kMaxRulesFileBytes + 1);
  in.read(text.data(), static_cast<std::streamsize>(text.size()));
  text.resize(static_cast<std::size_t>(in.gcount()));
  auto parsed = parse_rules(text, path);
  if (!parsed.rules) {
    std::string message;
    for (const auto& e : parsed.errors) message += (message.empty() ? "" : "\n") + e;
    return make_error(Errc::invalid_input, message);
  }
  return parsed.rules;
}

}  // namespace omniroute::routing
