// Strict form decoding: one pass, limits checked as bytes are produced, errors that name the
// field's position (never its content, which may be anything an attacker sent).
#include "adapters/common/form.h"

#include <algorithm>

#include "adapters/common/utf8.h"

namespace omniroute::adapters::form {
namespace {

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string field_error(std::size_t index, std::string_view what) {
  return "form field " + std::to_string(index + 1) + ": " + std::string(what);
}

Error too_long(std::size_t index, std::string_view part, std::size_t max_bytes) {
  return make_error(Errc::too_large, field_error(index, std::string(part) + " is longer than " +
                                                            std::to_string(max_bytes) + " bytes"));
}

// Plain ASCII without '+' or '%' decodes to itself and is valid UTF-8: most of a webhook.
bool is_plain(std::string_view in) noexcept {
  return std::all_of(in.begin(), in.end(), [](char ch) {
    const auto c = static_cast<unsigned char>(ch);
    return c < 0x80 && c != '%' && c != '+';
  });
}

// Decodes one key or value. `part` names it in errors ("key" or "value").
Result<std::string> decode_component(std::string_view in, std::size_t max_bytes, std::size_t index,
                                     std::string_view part) {
  if (is_plain(in)) {
    if (in.size() > max_bytes) return too_long(index, part, max_bytes);
    return std::string(in);
  }
  // Decoding never lengthens a component, so the output is sized once and filled in place.
  std::string out(std::min(in.size(), max_bytes), '\0');
  std::size_t length = 0;
  bool ascii = true;  // pure ASCII is valid UTF-8: the validator then has nothing to check
  for (std::size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '+') {
      c = ' ';
    } else if (c == '%') {
      if (in.size() - i < 3) {
        return make_error(Errc::invalid_input,
                          field_error(index, std::string(part) + " has a truncated %-escape"));
      }
      const int hi = hex_value(in[i + 1]);
      const int lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) {
        return make_error(Errc::invalid_input,
                          field_error(index, std::string(part) + " has an invalid %-escape"));
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    }
    if (length == max_bytes) return too_long(index, part, max_bytes);
    out[length++] = c;
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
  }
  out.resize(length);
  if (!ascii && !is_valid_utf8(out)) {
    return make_error(Errc::invalid_input,
                      field_error(index, std::string(part) + " is not valid UTF-8"));
  }
  return out;
}

Result<Field> decode_field(std::string_view segment, const Limits& limits, std::size_t index) {
  const auto eq = segment.find('=');
  const auto raw_key = segment.substr(0, eq);
  const auto raw_value = eq == std::string_view::npos ? std::string_view{} : segment.substr(eq + 1);
  auto key = decode_component(raw_key, limits.max_key_bytes, index, "key");
  if (!key) return key.error();
  auto value = decode_component(raw_value, limits.max_value_bytes, index, "value");
  if (!value) return value.error();
  return Field{std::move(*key), std::move(*value)};
}

}  // namespace

std::optional<std::string_view> Form::get(std::string_view key) const {
  for (const auto& field : fields_) {
    if (field.key == key) return std::string_view(field.value);
  }
  return std::nullopt;
}

std::string_view Form::value_or_empty(std::string_view key) const {
  return get(key).value_or(std::string_view{});
}

std::vector<std::string_view> Form::get_all(std::string_view key) const {
  std::vector<std::string_view> values;
  for (const auto& field : fields_) {
    if (field.key == key) values.emplace_back(field.value);
  }
  return values;
}

Result<Form> parse(std::string_view body, const Limits& limits) {
  std::vector<Field> fields;
  // One allocation for the field list: at most one field per '&'-separated segment.
  const auto segments = static_cast<std::size_t>(std::count(body.begin(), body.end(), '&')) + 1;
  fields.reserve(std::min(segments, limits.max_fields));
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const auto segment = body.substr(start, end - start);
    start = end + 1;
    if (segment.empty()) continue;  // "a=1&&b=2", a trailing '&', an empty body
    if (fields.size() == limits.max_fields) {
      return make_error(Errc::too_large,
                        "form has more than " + std::to_string(limits.max_fields) + " fields");
    }
    auto field = decode_field(segment, limits, fields.size());
    if (!field) return field.error();
    fields.push_back(std::move(*field));
  }
  return Form(std::move(fields));
}

Result<Form> parse_query(std::string_view query, const Limits& limits) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  return parse(query, limits);
}

std::string encode(const std::vector<Field>& fields) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  auto append = [&out](std::string_view text) {
    for (const char ch : text) {
      const auto c = static_cast<unsigned char>(ch);
      const bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
                              c == '~';
      if (unreserved) {
        out.push_back(ch);
      } else if (c == ' ') {
        out.push_back('+');
      } else {
        out.push_back('%');
        out.push_back(kHex[c >> 4]);
        out.push_back(kHex[c & 15]);
      }
    }
  };
  for (const auto& field : fields) {
    if (!out.empty()) out.push_back('&');
    append(field.key);
    out.push_back('=');
    append(field.value);
  }
  return out;
}

}  // namespace omniroute::adapters::form
