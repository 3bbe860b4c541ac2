// The loaded routing rules: lookups and the channel-name vocabulary rules are written in.
#include "routing/rules.h"

#include <algorithm>

namespace omniroute::routing {

namespace {
struct ChannelName {
  v1::Channel channel;
  std::string_view name;
};
constexpr ChannelName kChannels[] = {
    {v1::CHANNEL_SMS, "sms"},
    {v1::CHANNEL_WHATSAPP, "whatsapp"},
    {v1::CHANNEL_MESSENGER, "messenger"},
    {v1::CHANNEL_INSTAGRAM, "instagram"},
    {v1::CHANNEL_WECHAT, "wechat"},
    {v1::CHANNEL_TELEGRAM, "telegram"},
    {v1::CHANNEL_LINE, "line"},
    {v1::CHANNEL_EMAIL, "email"},
    {v1::CHANNEL_WEBCHAT, "webchat"},
    {v1::CHANNEL_SLACK, "slack"},
};
}  // namespace

std::string_view channel_name(v1::Channel channel) {
  for (const auto& c : kChannels) {
    if (c.channel == channel) return c.name;
  }
  return "unspecified";
}

std::optional<v1::Channel> channel_from_name(std::string_view name) {
  for (const auto& c : kChannels) {
    if (c.name == name) return c.channel;
  }
  return std::nullopt;
}

const std::vector<std::string>& all_channel_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    for (const auto& c : kChannels) out.emplace_back(c.name);
    return out;
  }();
  return names;
}

bool Conditions::empty() const {
  return channels.empty() && tiers.empty() && languages.empty() && recipients.empty() &&
         keywords.empty() && !regex && attributes.empty() && !time_of_day;
}

namespace {
template <class T>
const T* find_named(const std::vector<T>& items, std::string_view name, auto name_of) {
  auto it = std::find_if(items.begin(), items.end(),
                         [&](const T& item) { return name_of(item) == name; });
  return it == items.end() ? nullptr : &*it;
}
}  // namespace

const Tier* Rules::find_tier(std::string_view name) const {
  return find_named(tiers, name, [](const Tier& t) -> const std::string& { return t.name; });
}

const Queue* Rules::find_queue(std::string_view name) const {
  return find_named(queues, name, [](const Queue& q) -> const std::string& { return q.spec.name; });
}

const Rule* Rules::find_rule(std::string_view name) const {
  return find_named(rules, name, [](const Rule& r) -> const std::string& { return r.name; });
}

}  // namespace omniroute::routing
