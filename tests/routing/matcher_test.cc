// The matcher: each condition type, tier resolution order, first match wins, and how the
// decision's queue, skills, priority and deadline are computed (incl. out-of-hours handling).
#include "routing/matcher.h"

#include <catch2/catch.hpp>

#include "routing/rules_yaml.h"

using namespace omniroute;
using namespace omniroute::routing;

namespace {

// Monday 2025-01-06 10:00 in Shanghai: inside every business window below.
const TimePoint kMondayMorning = *parse_iso8601("2025-01-06T10:00:00+08:00");

const char* kRules = R"(version: 1
time_zone: Asia/Shanghai
tier_attribute: tier
tiers:
  - {name: standard, priority: 0, default: true, first_response_secs: {default: 900, email: 86400}}
  - {name: member, priority: 10, first_response_secs: {default: 300}}
  - {name: vip, priority: 20, first_response_secs: {default: 60, sms: 120}}
skills: {english: English, mandarin: Mandarin, billing: Billing, complaints: Complaints}
queues:
  - {name: general, required_skills: {english: 2}}
  - {name: chat_only, channels: [webchat]}
  - name: office
    required_skills: {english: 3, billing: 1}
    business_hours:
      weekly: {mon-fri: "09:00-18:00"}
      holidays: [2025-10-01]
      out_of_hours: wait
  - name: day_desk
    business_hours:
      weekly: {mon-fri: "09:00-18:00"}
      out_of_hours: {overflow: us_desk}
  - name: us_desk
    business_hours:
      time_zone: America/New_York
      weekly: {mon-fri: "09:00-18:00"}
      out_of_hours: {after_hours_queue: night}
  - {name: night}
tier_rules:
  - name: gold-line
    when: {recipients: ["+15550009999"]}
    set_tier: member
rules:
  - {name: chat-only-queue, when: {attributes: {route: chat_only}}, then: {queue: chat_only}}
  - {name: by-channel, when: {channels: [line, telegram]}, then: {queue: general, tags: [channel]}}
  - {name: by-tier, when: {tiers: [vip]}, then: {queue: general, tags: [tier]}}
  - {name: by-language, when: {languages: [zh]}, then: {queue: general, extra_skills: {mandarin: 3, english: 1}}}
  - {name: by-recipient, when: {recipients: ["+15550001111"]}, then: {queue: general, tags: [recipient]}}
  - {name: by-keyword, when: {keywords: [complaint, 投诉]}, then: {queue: general, priority_adjustment: 5}}
  - {name: by-regex, when: {regex: '\border\s+#?\d{6}\b'}, then: {queue: general, sla_first_response_secs: 30}}
  - {name: by-attribute-one-of, when: {attributes: {topic: [billing, invoice]}}, then: {queue: office, extra_skills: {billing: 3}}}
  - {name: by-attribute-all, when: {attributes: {brand: acme, country: CN}}, then: {queue: general, tags: [acme-cn]}}
  - {name: day-desk, when: {attributes: {route: day_desk}}, then: {queue: day_desk}}
  - {name: at-night, when: {time_of_day: {between: "22:00-06:00"}}, then: {queue: night}}
  - {name: weekend-day, when: {time_of_day: {between: "09:00-17:00", days: [sat-sun], time_zone: UTC}}, then: {queue: night, tags: [weekend]}}
  - {name: default, then: {queue: general, priority_adjustment: -1}}
)";

std::shared_ptr<const Rules> rules() {
  static std::shared_ptr<const Rules> loaded = [] {
    auto parsed = parse_rules(kRules, "matcher.yaml");
    for (const auto& e : parsed.errors) UNSCOPED_INFO(e);
    REQUIRE(parsed.rules);
    return parsed.rules;
  }();
  return loaded;
}

v1::ContactEvent event(v1::Channel channel = v1::CHANNEL_WEBCHAT, std::string text = "hello") {
  v1::ContactEvent e;
  e.set_event_id("E1");
  e.set_channel(channel);
  e.set_text(std::move(text));
  e.set_received_at_unix_ms(kMondayMorning);
  return e;
}

RoutingDecision route(const v1::ContactEvent& e, TimePoint now = kMondayMorning,
                      std::optional<std::string> profile_tier = std::nullopt) {
  return match(*rules(), e, MatchContext{now, std::move(profile_tier)});
}

}  // namespace

TEST_CASE("an event that no rule singles out falls to the default rule") {
  auto d = route(event());
  CHECK(d.rule == "default");
  CHECK(d.queue == "general");
  CHECK(d.tier == "standard");
  CHECK(d.tier_source == "default");
}

TEST_CASE("a channels condition matches only the listed channels") {
  CHECK(route(event(v1::CHANNEL_LINE)).rule == "by-channel");
  CHECK(route(event(v1::CHANNEL_TELEGRAM)).rule == "by-channel");
  CHECK(route(event(v1::CHANNEL_SMS)).rule == "default");
}

TEST_CASE("a tiers condition matches the contact's resolved tier") {
  auto e = event();
  (*e.mutable_attributes())["tier"] = "vip";
  CHECK(route(e).rule == "by-tier");
  (*e.mutable_attributes())["tier"] = "member";
  CHECK(route(e).rule == "default");
}

TEST_CASE("a languages condition matches the language or any of its subtags, in any case") {
  auto e = event();
  for (const char* lang : {"zh", "zh-CN", "ZH-hant-TW"}) {
    e.set_language(lang);
    CHECK(route(e).rule == "by-language");
  }
  for (const char* lang : {"zhx", "en", ""}) {
    e.set_language(lang);
    CHECK(route(e).rule == "default");
  }
}

TEST_CASE("a recipients condition matches the address the customer wrote to") {
  auto e = event(v1::CHANNEL_SMS);
  e.set_recipient("+15550001111");
  CHECK(route(e).rule == "by-recipient");
  e.set_recipient("+15550002222");
  CHECK(route(e).rule == "default");
}

TEST_CASE("keywords match case-insensitively anywhere in the text or the subject") {
  CHECK(route(event(v1::CHANNEL_WEBCHAT, "I want to file a COMPLAINT now")).rule == "by-keyword");
  CHECK(route(event(v1::CHANNEL_WECHAT, "我要投诉你们的服务")).rule == "by-keyword");
  auto mail = event(v1::CHANNEL_EMAIL, "see subject");
  mail.set_subject("Complaint about order");
  CHECK(route(mail).rule == "by-keyword");
  CHECK(route(event(v1::CHANNEL_WEBCHAT, "complain")).rule == "default");
}

TEST_CASE("a keyword never matches across a split UTF-8 character") {
  // 投 is E6 8A 95; 抗 is E6 8A 97. A byte-level near miss must not count.
  CHECK(route(event(v1::CHANNEL_WECHAT, "抗诉")).rule == "default");
}

TEST_CASE("a regex condition matches the text with RE2 syntax, case-insensitively") {
  CHECK(route(event(v1::CHANNEL_WEBCHAT, "Where is ORDER #123456?")).rule == "by-regex");
  CHECK(route(event(v1::CHANNEL_WEBCHAT, "order 1234567")).rule == "default");
}

TEST_CASE("keywords and regexes only look at the first match_text_max_bytes of the text") {
  std::string padding(rules()->match_text_max_bytes, 'x');
  CHECK(route(event(v1::CHANNEL_WEBCHAT, padding + " complaint")).rule == "default");
  CHECK(route(event(v1::CHANNEL_WEBCHAT, "complaint " + padding)).rule == "by-keyword");
}

TEST_CASE("an attribute condition with a list accepts any one of the values") {
  auto e = event();
  for (const char* topic : {"billing", "invoice"}) {
    (*e.mutable_attributes())["topic"] = topic;
    CHECK(route(e).rule == "by-attribute-one-of");
  }
  (*e.mutable_attributes())["topic"] = "Billing";  // values compare exactly
  CHECK(route(e).rule == "default");
}

TEST_CASE("attribute conditions must all hold, and a missing attribute does not match") {
  auto e = event();
  (*e.mutable_attributes())["brand"] = "acme";
  CHECK(route(e).rule == "default");
  (*e.mutable_attributes())["country"] = "CN";
  CHECK(route(e).rule == "by-attribute-all");
  (*e.mutable_attributes())["country"] = "HK";
  CHECK(route(e).rule == "default");
}

TEST_CASE("a time-of-day window that wraps past midnight matches late evening and early morning") {
  CHECK(route(event(), *parse_iso8601("2025-01-06T23:30:00+08:00")).rule == "at-night");
  CHECK(route(event(), *parse_iso8601("2025-01-07T05:59:00+08:00")).rule == "at-night");
  CHECK(route(event(), *parse_iso8601("2025-01-07T06:00:00+08:00")).rule == "default");
}

TEST_CASE("a time-of-day window with days and its own zone checks the day in that zone") {
  // Saturday 10:00 UTC is 18:00 in Shanghai: the rule's own zone (UTC) decides.
  CHECK(route(event(), *parse_iso8601("2025-01-11T10:00:00Z")).rule == "weekend-day");
  CHECK(route(event(), *parse_iso8601("2025-01-10T10:00:00Z")).rule == "default");  // Friday
}

TEST_CASE("the first matching rule wins even when later rules also match") {
  auto e = event(v1::CHANNEL_LINE, "complaint");  // by-channel and by-keyword both hold
  CHECK(route(e).rule == "by-channel");
}

TEST_CASE("the CRM profile tier wins over the event attribute and tier rules") {
  auto e = event(v1::CHANNEL_SMS);
  e.set_recipient("+15550009999");
  (*e.mutable_attributes())["tier"] = "vip";
  auto d = route(e, kMondayMorning, "member");
  CHECK(d.tier == "member");
  CHECK(d.tier_source == "profile");
}

TEST_CASE("the event attribute gives the tier when the profile has none") {
  auto e = event(v1::CHANNEL_SMS);
  e.set_recipient("+15550009999");
  (*e.mutable_attributes())["tier"] = "vip";
  auto d = route(e);
  CHECK(d.tier == "vip");
  CHECK(d.tier_source == "attribute");
}

TEST_CASE("tier rules give the tier when neither profile nor attribute does") {
  auto e = event(v1::CHANNEL_SMS);
  e.set_recipient("+15550009999");
  auto d = route(e);
  CHECK(d.tier == "member");
  CHECK(d.tier_source == "tier_rule:gold-line");
}

TEST_CASE("a tier name the rules do not know is passed over, not trusted") {
  auto e = event();
  (*e.mutable_attributes())["tier"] = "platinum";
  auto d = route(e, kMondayMorning, "diamond");
  CHECK(d.tier == "standard");
  CHECK(d.tier_source == "default");
}

TEST_CASE("priority is the tier's priority plus the rule's adjustment") {
  auto e = event(v1::CHANNEL_WEBCHAT, "complaint");
  CHECK(route(e).priority == 5);
  CHECK(route(e, kMondayMorning, "member").priority == 15);
  CHECK(route(event()).priority == -1);  // the default rule lowers by one
}

TEST_CASE("the deadline is arrival plus the tier's target for the channel") {
  auto sms = event(v1::CHANNEL_SMS);
  CHECK(route(sms, kMondayMorning, "vip").sla_deadline == kMondayMorning + 120'000);
  CHECK(route(event(v1::CHANNEL_WEBCHAT), kMondayMorning, "vip").sla_deadline ==
        kMondayMorning + 60'000);
  CHECK(route(event(v1::CHANNEL_EMAIL)).sla_deadline == kMondayMorning + 86'400'000);
}

TEST_CASE("the deadline counts from arrival, not from when the matcher runs") {
  auto e = event();
  CHECK(route(e, kMondayMorning + 5000).sla_deadline == kMondayMorning + 900'000);
}

TEST_CASE("a rule's SLA override replaces the tier's target") {
  auto d = route(event(v1::CHANNEL_EMAIL, "order 123456"));
  CHECK(d.rule == "by-regex");
  CHECK(d.sla_deadline == kMondayMorning + 30'000);
}

TEST_CASE("required skills are the queue's plus the rule's, keeping the higher level of each") {
  auto e = event();
  e.set_language("zh-CN");
  auto d = route(e);
  CHECK(d.required_skills == std::vector<SkillRequirement>{{"english", 2}, {"mandarin", 3}});
  (*e.mutable_attributes())["topic"] = "billing";
  e.set_language("");
  CHECK(route(e).required_skills == std::vector<SkillRequirement>{{"billing", 3}, {"english", 3}});
}

TEST_CASE("a rule whose queue does not take the channel is skipped") {
  auto e = event(v1::CHANNEL_SMS);
  (*e.mutable_attributes())["route"] = "chat_only";
  CHECK(route(e).rule == "default");
  CHECK(route(event(v1::CHANNEL_WEBCHAT)).rule == "default");
  auto chat = event(v1::CHANNEL_WEBCHAT);
  (*chat.mutable_attributes())["route"] = "chat_only";
  CHECK(route(chat).queue == "chat_only");
}

TEST_CASE("a closed queue with 'wait' keeps the contact, marked as waiting for opening hours") {
  auto e = event();
  (*e.mutable_attributes())["topic"] = "invoice";
  auto open = route(e);
  CHECK(open.queue == "office");
  CHECK_FALSE(open.queue_closed);
  auto holiday = route(e, *parse_iso8601("2025-10-01T10:00:00+08:00"));
  CHECK(holiday.queue == "office");
  CHECK(holiday.queue_closed);
}

TEST_CASE("a closed queue overflows to the next queue, whose own hours then apply") {
  auto e = event();
  (*e.mutable_attributes())["route"] = "day_desk";
  CHECK(route(e).queue == "day_desk");
  // 20:00 in Shanghai is 07:00 in New York: both closed, so on to the after-hours queue.
  auto night = route(e, *parse_iso8601("2025-01-06T20:00:00+08:00"));
  CHECK(night.rule == "day-desk");
  CHECK(night.queue == "night");
  CHECK(night.rule_queue == "day_desk");
  CHECK_FALSE(night.queue_closed);
  // 22:30 Monday in Shanghai is 09:30 Monday in New York: the US desk is open.
  auto us = route(e, *parse_iso8601("2025-01-06T22:30:00+08:00"));
  CHECK(us.queue == "us_desk");
  CHECK(us.rule_queue == "day_desk");
}

TEST_CASE("tags come from the matching rule") {
  CHECK(route(event(v1::CHANNEL_LINE)).tags == std::vector<std::string>{"channel"});
  CHECK(route(event()).tags.empty());
}
