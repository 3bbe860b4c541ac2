// Fuzz target for the shared form decoder (adapters/common/form.h): any bytes must parse or
// fail cleanly, and whatever parses must respect the limits and survive encode → parse.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "adapters/common/form.h"
#include "common/utf8.h"

using namespace omniroute::adapters;
using omniroute::is_valid_utf8;

namespace {

// Small limits so the fuzzer reaches them with short inputs.
constexpr form::Limits kLimits{.max_fields = 16, .max_key_bytes = 32, .max_value_bytes = 256};

void check_invariants(const form::Form& parsed) {
  if (parsed.size() > kLimits.max_fields) std::abort();
  for (const auto& field : parsed.fields()) {
    if (field.key.size() > kLimits.max_key_bytes) std::abort();
    if (field.value.size() > kLimits.max_value_bytes) std::abort();
    if (!is_valid_utf8(field.key) || !is_valid_utf8(field.value)) std::abort();
    if (parsed.get(field.key).has_value() == false) std::abort();
  }
  auto again = form::parse(form::encode(parsed.fields()), kLimits);
  if (!again.has_value() || again->fields() != parsed.fields()) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  auto parsed = form::parse(input, kLimits);
  if (parsed.has_value()) check_invariants(*parsed);

  // A query without a leading '?' is read exactly like a body.
  auto query = form::parse_query(input, kLimits);
  if (!input.starts_with('?') && query.has_value() != parsed.has_value()) std::abort();
  if (query.has_value()) check_invariants(*query);
  return 0;
}
