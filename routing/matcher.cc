// The matcher: tier resolution (profile → attribute → tier rules → default), first matching
// rule, out-of-hours handling, then the decision's skills, priority and deadline.
#include "routing/matcher.h"

#include <re2/re2.h>

#include <algorithm>

#include "common/utf8.h"

namespace omniroute::routing {

namespace {

// Cuts at most `max_bytes` off the front without splitting a UTF-8 sequence, so the regex and
// keyword scans have a bounded cost whatever a customer sends.
std::string_view bounded(std::string_view text, std::size_t max_bytes) {
  return utf8_prefix(text, max_bytes);
}

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool language_matches(const std::vector<std::string>& wanted, std::string_view language) {
  std::string lang = ascii_lower(language);
  return std::any_of(wanted.begin(), wanted.end(), [&lang](const std::string& w) {
    return lang == w ||
           (lang.size() > w.size() && lang.compare(0, w.size(), w) == 0 && lang[w.size()] == '-');
  });
}

bool keywords_match(const std::vector<std::string>& keywords, std::string_view text) {
  // Keywords are valid UTF-8, so a byte match can only start at a character boundary.
  std::string haystack = ascii_lower(text);
  return std::any_of(keywords.begin(), keywords.end(), [&haystack](const std::string& k) {
    return haystack.find(k) != std::string::npos;
  });
}

// A search, not a full match. RE2 runs in time linear in the text, whatever the pattern.
bool regex_matches(const re2::RE2& re, std::string_view text) {
  return re2::RE2::PartialMatch(text, re);
}

bool attributes_match(const Conditions& when, const v1::ContactEvent& event) {
  return std::all_of(when.attributes.begin(), when.attributes.end(), [&event](const auto& cond) {
    auto it = event.attributes().find(cond.first);
    if (it == event.attributes().end()) return false;
    return std::find(cond.second.begin(), cond.second.end(), it->second) != cond.second.end();
  });
}

bool time_of_day_matches(const Conditions::TimeOfDay& t, TimePoint now) {
  LocalTime local = t.zone->to_local(now);
  int day = local.weekday;
  int minute = local.minute_of_day;
  bool in_window = t.window.start_minute < t.window.end_minute
                       ? minute >= t.window.start_minute && minute < t.window.end_minute
                       : minute >= t.window.start_minute || minute < t.window.end_minute;
  bool day_ok = t.weekdays.empty() ||
                std::find(t.weekdays.begin(), t.weekdays.end(), day) != t.weekdays.end();
  return in_window && day_ok;
}

bool queue_accepts(const Queue& q, v1::Channel channel) {
  const auto& accepted = q.spec.channels;
  return accepted.empty() ||
         std::find(accepted.begin(), accepted.end(), channel_name(channel)) != accepted.end();
}

}  // namespace

bool conditions_hold(const Rules& rules, const Conditions& when, const v1::ContactEvent& event,
                     std::string_view tier, TimePoint now) {
  auto in = [](const auto& list, const auto& value) {
    return list.empty() || std::find(list.begin(), list.end(), value) != list.end();
  };
  if (!in(when.channels, event.channel())) return false;
  if (!in(when.tiers, tier)) return false;
  if (!in(when.recipients, event.recipient())) return false;
  if (!when.languages.empty() && !language_matches(when.languages, event.language())) return false;
  if (!attributes_match(when, event)) return false;
  if (when.time_of_day && !time_of_day_matches(*when.time_of_day, now)) return false;
  std::size_t cap = rules.match_text_max_bytes;
  std::string_view subject = bounded(event.subject(), cap);
  std::string_view text = bounded(event.text(), cap);
  if (!when.keywords.empty() && !keywords_match(when.keywords, subject) &&
      !keywords_match(when.keywords, text)) {
    return false;
  }
  if (when.regex && !regex_matches(*when.regex, subject) && !regex_matches(*when.regex, text)) {
    return false;
  }
  return true;
}

namespace {

struct ResolvedTier {
  const Tier* tier = nullptr;
  std::string source;
};

// Profile, then event attribute, then tier rules, then the default. A name the rules do not
// know (a CRM ahead of the rules file) is skipped rather than trusted.
ResolvedTier resolve_tier(const Rules& rules, const v1::ContactEvent& event,
                          const MatchContext& ctx) {
  if (ctx.profile_tier) {
    if (const Tier* t = rules.find_tier(*ctx.profile_tier)) return {t, "profile"};
  }
  if (!rules.tier_attribute.empty()) {
    auto it = event.attributes().find(rules.tier_attribute);
    if (it != event.attributes().end()) {
      if (const Tier* t = rules.find_tier(it->second)) return {t, "attribute"};
    }
  }
  for (const auto& tr : rules.tier_rules) {
    if (conditions_hold(rules, tr.when, event, rules.default_tier, ctx.now)) {
      return {rules.find_tier(tr.set_tier), "tier_rule:" + tr.name};
    }
  }
  return {rules.find_tier(rules.default_tier), "default"};
}

// Follows out-of-hours handling from the queue a rule named; `closed` says the contact waits.
const Queue* open_queue_for(const Rules& rules, const Queue* q, TimePoint now, bool* closed) {
  *closed = false;
  for (std::size_t hops = 0; q && hops <= rules.queues.size(); ++hops) {
    if (!q->hours || q->hours->is_open(now)) return q;
    switch (q->out_of_hours.action) {
      case OutOfHours::Action::wait:
        *closed = true;
        return q;
      case OutOfHours::Action::after_hours_queue:
        return rules.find_queue(q->out_of_hours.queue);
      case OutOfHours::Action::overflow:
        q = rules.find_queue(q->out_of_hours.queue);
        break;
    }
  }
  *closed = q != nullptr;  // the validator refuses loops; stay put if one slipped through
  return q;
}

std::vector<SkillRequirement> merged_skills(const std::vector<SkillRequirement>& a,
                                            const std::vector<SkillRequirement>& b) {
  std::vector<SkillRequirement> out = a;
  for (const auto& req : b) {
    auto it = std::find_if(out.begin(), out.end(),
                           [&req](const SkillRequirement& r) { return r.skill == req.skill; });
    if (it == out.end())
      out.push_back(req);
    else
      it->min_level = std::max(it->min_level, req.min_level);
  }
  std::sort(out.begin(), out.end(),
            [](const SkillRequirement& x, const SkillRequirement& y) { return x.skill < y.skill; });
  return out;
}

}  // namespace

RoutingDecision match(const Rules& rules, const v1::ContactEvent& event, const MatchContext& ctx) {
  RoutingDecision d;
  ResolvedTier tier = resolve_tier(rules, event, ctx);
  d.tier = tier.tier ? tier.tier->name : rules.default_tier;
  d.tier_source = tier.source;
  for (const auto& rule : rules.rules) {
    const Queue* named = rules.find_queue(rule.then.queue);
    if (!named || !conditions_hold(rules, rule.when, event, d.tier, ctx.now)) continue;
    bool closed = false;
    const Queue* q = open_queue_for(rules, named, ctx.now, &closed);
    // A queue that does not take this channel cannot hold the contact: try the next rule.
    // The default rule's queue takes every channel (the validator checks), so one always fits.
    if (!q || !queue_accepts(*q, event.channel())) continue;
    d.rule = rule.name;
    d.rule_queue = named->spec.name;
    d.queue = q->spec.name;
    d.queue_closed = closed;
    d.required_skills = merged_skills(q->spec.required_skills, rule.then.extra_skills);
    d.priority = (tier.tier ? tier.tier->priority : 0) + rule.then.priority_adjustment;
    Millis target = rule.then.sla_first_response.value_or(
        tier.tier ? tier.tier->target_for(std::string(channel_name(event.channel())))
                  : Millis(std::chrono::minutes(15)));
    // Clamped to year 9999 so that a hostile timestamp cannot overflow the addition.
    constexpr TimePoint kLatest = 253'402'300'799'999;
    TimePoint arrival = event.received_at_unix_ms() > 0 ? event.received_at_unix_ms() : ctx.now;
    arrival = std::clamp<TimePoint>(arrival, 0, kLatest);
    d.sla_deadline = arrival + target.count();
    d.tags = rule.then.tags;
    return d;
  }
  return d;  // unreachable with validated rules: the default rule matches every contact
}

}  // namespace omniroute::routing
