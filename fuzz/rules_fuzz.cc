// Fuzz target for the routing rules reader: any bytes must yield either valid rules or errors,
// never a crash or a hang. Valid rules are then matched against events whose text is the input,
// which also exercises the regex/keyword scans. (Zone files are read by cctz, not fuzzed here.)
#include <cstdint>
#include <string_view>

#include "routing/matcher.h"
#include "routing/rules_yaml.h"

using namespace omniroute::routing;

namespace {

void fuzz_rules(std::string_view bytes) {
  auto parsed = parse_rules(bytes, "fuzz.yaml");
  if (!parsed.rules) return;
  omniroute::v1::ContactEvent event;
  event.set_text(std::string(bytes));
  event.set_subject(std::string(bytes.substr(0, 200)));
  event.set_language("zh-CN");
  event.set_received_at_unix_ms(1'736'157'600'000);
  for (int channel = 0; channel <= 10; ++channel) {
    event.set_channel(static_cast<omniroute::v1::Channel>(channel));
    (void)match(*parsed.rules, event, MatchContext{1'736'157'600'000, "vip"});
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  fuzz_rules(bytes);
  return 0;
}
