// The Redis key layout of omniroute: validation of prefixes and tenants, and key builders.
// docs/redis-layout.md describes every key; keep the two in step.
#include "daemon/redis/keys.h"

#include <algorithm>

#include "common/utf8.h"

namespace omniroute::daemon {
namespace {

bool is_tenant_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
}

bool is_prefix_char(char c) {
  return is_tenant_char(c) || (c >= 'A' && c <= 'Z') || c == '.' || c == ':';
}

}  // namespace

bool is_valid_tenant(std::string_view tenant) {
  return !tenant.empty() && tenant.size() <= 64 &&
         std::all_of(tenant.begin(), tenant.end(), is_tenant_char);
}

bool is_valid_customer_id(std::string_view customer_id) {
  auto ok = [](char c) { return is_tenant_char(c) || (c >= 'A' && c <= 'Z'); };
  return !customer_id.empty() && customer_id.size() <= 64 &&
         std::all_of(customer_id.begin(), customer_id.end(), ok);
}

bool is_valid_key_prefix(std::string_view prefix) {
  return !prefix.empty() && prefix.size() <= 64 &&
         std::all_of(prefix.begin(), prefix.end(), is_prefix_char);
}

std::string_view redis_hash_tag(std::string_view key) {
  const auto open = key.find('{');
  if (open == std::string_view::npos) return key;
  const auto close = key.find('}', open + 1);
  if (close == std::string_view::npos || close == open + 1) return key;
  return key.substr(open + 1, close - open - 1);
}

Result<TenantKeys> TenantKeys::make(std::string_view prefix, std::string_view tenant) {
  if (!is_valid_key_prefix(prefix)) {
    return make_error(Errc::invalid_input, "redis key prefix must match [A-Za-z0-9_.:-]{1,64}: '" +
                                               std::string(utf8_prefix(prefix, 80)) + "'");
  }
  if (!is_valid_tenant(tenant)) {
    return make_error(Errc::invalid_input, "tenant must match [a-z0-9_-]{1,64}: '" +
                                               std::string(utf8_prefix(tenant, 80)) + "'");
  }
  std::string base;
  base.reserve(prefix.size() + tenant.size() + 3);
  base.append(prefix).append(":{").append(tenant).append("}");
  return TenantKeys(std::string(tenant), std::move(base));
}

std::string TenantKeys::dedup_window(std::int64_t index) const {
  return base_ + ":dedup:" + std::to_string(index);
}

std::string TenantKeys::dedup_field(std::string_view vendor, std::string_view vendor_message_id) {
  std::string field;
  field.reserve(vendor.size() + 1 + vendor_message_id.size());
  field.append(vendor).append(":").append(vendor_message_id);
  return field;
}

std::string TenantKeys::raw(std::string_view event_id) const {
  return base_ + ":raw:" + std::string(event_id);
}

std::string TenantKeys::customer(std::string_view customer_id) const {
  return base_ + ":customer:" + std::string(customer_id);
}

std::string TenantKeys::customer_identities(std::string_view customer_id) const {
  return base_ + ":customer:" + std::string(customer_id) + ":identities";
}

std::string TenantKeys::customer_attributes(std::string_view customer_id) const {
  return base_ + ":customer:" + std::string(customer_id) + ":attributes";
}

std::string TenantKeys::routing_applied(std::string_view event_id) const {
  return base_ + ":routing:applied:" + std::string(event_id);
}

std::string TenantKeys::trail(std::string_view contact_id) const {
  return base_ + ":trail:" + std::string(contact_id);
}

std::string TenantKeys::history(std::string_view customer_id) const {
  return base_ + ":history:" + std::string(customer_id);
}

std::string TenantKeys::routing_command(std::string_view command_id) const {
  return base_ + ":routing:command:" + std::string(command_id);
}

std::string TenantKeys::routing_reply(std::string_view contact_id,
                                      std::string_view client_id) const {
  return base_ + ":routing:reply:" + std::string(contact_id) + ":" + std::string(client_id);
}

}  // namespace omniroute::daemon
