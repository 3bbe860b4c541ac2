// Every adapter compiled into omniroute. Adding a vendor: one folder under adapters/ and one
// line here.
#include <algorithm>

#include "adapters/adapter.h"
#include "adapters/twilio/twilio.h"

namespace omniroute::adapters {

std::span<const AdapterFactory> all_factories() {
  static const std::vector<AdapterFactory> kFactories = {
      twilio::factory(),
  };
  return kFactories;
}

const AdapterFactory* find_factory(std::string_view vendor) {
  auto all = all_factories();
  auto it = std::find_if(all.begin(), all.end(), [&](const auto& f) { return f.vendor == vendor; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace omniroute::adapters
