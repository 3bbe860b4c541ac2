// Strict form decoding: one pass, limits checked as bytes are produced, errors that name the
// field's position (never its content, which may be anything an attacker sent).
#include "adapters/common/form.h"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>

#include "common/utf8.h"

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

// Bytes that do not decode to themselves or need the UTF-8 check: '%', '+' and every byte of
// 0x80 or more. Runs of other bytes (most of a webhook) are only scanned, or moved once.
constexpr std::array<bool, 256> kSpecial = [] {
  std::array<bool, 256> special{};
  special['%'] = special['+'] = true;
  for (std::size_t c = 0x80; c < special.size(); ++c) special[c] = true;
  return special;
}();

constexpr std::uint64_t kOnes = 0x0101010101010101;
constexpr std::uint64_t kHighBits = 0x8080808080808080;

// Whether any of the 8 bytes in `word` is special (kSpecial), in a few word operations rather
// than 8 table lookups. zero_byte() is the classic test: exact for "some byte is zero".
constexpr bool has_special(std::uint64_t word) noexcept {
  auto zero_byte = [](std::uint64_t v) { return (v - kOnes) & ~v & kHighBits; };
  return ((word & kHighBits) | zero_byte(word ^ (kOnes * '%')) | zero_byte(word ^ (kOnes * '+'))) !=
         0;
}

std::uint64_t load_word(const char* at) noexcept {
  std::uint64_t word;
  std::memcpy(&word, at, sizeof word);
  return word;
}

// End of the run of plain bytes starting at `from`: 8 bytes at a time, then byte by byte.
std::size_t plain_run_end(const char* data, std::size_t from, std::size_t size) noexcept {
  while (size - from >= 8 && !has_special(load_word(data + from))) from += 8;
  while (from < size && !kSpecial[static_cast<unsigned char>(data[from])]) ++from;
  return from;
}

// Moves the plain run at data[from, ...) down to data[to, ...) (to < from) and returns the end
// of the run; the two ends advance by the same amount. Word stores land only on bytes already
// read (the destination trails the source), so this is a memmove without the call per run.
std::size_t move_plain_run(char* data, std::size_t& to, std::size_t from,
                           std::size_t size) noexcept {
  while (size - from >= 8) {
    const std::uint64_t word = load_word(data + from);
    if (has_special(word)) break;
    std::memcpy(data + to, &word, sizeof word);
    from += 8;
    to += 8;
  }
  while (from < size && !kSpecial[static_cast<unsigned char>(data[from])]) {
    data[to++] = data[from++];
  }
  return from;
}

// Decodes one key or value in place: the `size` bytes at `data` become the decoded bytes at
// the same address (decoding never lengthens). `part` names it in errors ("key" or "value").
// Errors come in the order of the bytes: a component too long before a bad escape is too long.
Result<std::string_view> decode_in_place(char* data, std::size_t size, std::size_t max_bytes,
                                         std::size_t index, std::string_view part) {
  // Until the first special byte nothing moves: decoded and raw bytes are the same.
  std::size_t i = plain_run_end(data, 0, size);  // next byte to read
  std::size_t length = i;                        // decoded bytes, at data[0, length); <= i
  if (length > max_bytes) return too_long(index, part, max_bytes);
  bool ascii = true;  // pure ASCII is valid UTF-8: the validator then has nothing to check
  while (i != size) {
    char c = data[i];
    if (c == '+') {
      c = ' ';
      i += 1;
    } else if (c == '%') {
      if (size - i < 3) {
        return make_error(Errc::invalid_input,
                          field_error(index, std::string(part) + " has a truncated %-escape"));
      }
      const int hi = hex_value(data[i + 1]);
      const int lo = hex_value(data[i + 2]);
      if (hi < 0 || lo < 0) {
        return make_error(Errc::invalid_input,
                          field_error(index, std::string(part) + " has an invalid %-escape"));
      }
      c = static_cast<char>(hi * 16 + lo);
      i += 3;
    } else {
      i += 1;  // a raw byte of 0x80 or more: kept, checked as UTF-8 below
    }
    if (length == max_bytes) return too_long(index, part, max_bytes);
    data[length++] = c;
    ascii = ascii && static_cast<unsigned char>(c) < 0x80;
    i = move_plain_run(data, length, i, size);
    if (length > max_bytes) return too_long(index, part, max_bytes);
  }
  const std::string_view out(data, length);
  if (!ascii && !is_valid_utf8(out)) {
    return make_error(Errc::invalid_input,
                      field_error(index, std::string(part) + " is not valid UTF-8"));
  }
  return out;
}

// Decodes the segment [data, data + size) of the form's own copy in place.
Result<FieldView> decode_field(char* data, std::size_t size, const Limits& limits,
                               std::size_t index) {
  const auto eq = std::string_view(data, size).find('=');
  const std::size_t key_size = eq == std::string_view::npos ? size : eq;
  auto key = decode_in_place(data, key_size, limits.max_key_bytes, index, "key");
  if (!key) return key.error();
  if (eq == std::string_view::npos) return FieldView{*key, {}};
  auto value =
      decode_in_place(data + eq + 1, size - eq - 1, limits.max_value_bytes, index, "value");
  if (!value) return value.error();
  return FieldView{*key, *value};
}

// memchr jumps over the long runs between separators; std::count looks at every byte.
std::size_t count_ampersands(std::string_view body) noexcept {
  std::size_t count = 0;
  const char* at = body.data();
  const char* const end = at + body.size();
  while (at != end) {
    const void* found = std::memchr(at, '&', static_cast<std::size_t>(end - at));
    if (found == nullptr) break;
    ++count;
    at = static_cast<const char*>(found) + 1;
  }
  return count;
}

// `view` moved from the text at `from` to the same offset in the text at `to`.
std::string_view rebase(std::string_view view, const char* from, const char* to) {
  if (view.empty()) return {};
  return {to + (view.data() - from), view.size()};
}

template <typename Fields>
std::string encode_fields(const Fields& fields) {
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

}  // namespace

Form::Form(const std::vector<Field>& fields) {
  for (const auto& field : fields) text_size_ += field.key.size() + field.value.size();
  text_ = std::make_unique_for_overwrite<char[]>(text_size_);
  fields_.reserve(fields.size());
  char* at = text_.get();
  auto place = [&at](std::string_view text) {
    std::copy(text.begin(), text.end(), at);
    const std::string_view placed(at, text.size());
    at += text.size();
    return placed;
  };
  for (const auto& field : fields) {
    const auto key = place(field.key);
    fields_.push_back({key, place(field.value)});
  }
}

Form::Form(const Form& other) : text_size_(other.text_size_) {
  if (other.text_ != nullptr) {
    text_ = std::make_unique_for_overwrite<char[]>(text_size_);
    std::copy(other.text_.get(), other.text_.get() + text_size_, text_.get());
  }
  fields_.reserve(other.fields_.size());
  for (const auto& field : other.fields_) {
    fields_.push_back({rebase(field.key, other.text_.get(), text_.get()),
                       rebase(field.value, other.text_.get(), text_.get())});
  }
}

Form& Form::operator=(const Form& other) {
  if (this != &other) *this = Form(other);
  return *this;
}

std::optional<std::string_view> Form::get(std::string_view key) const {
  for (const auto& field : fields_) {
    if (field.key == key) return field.value;
  }
  return std::nullopt;
}

std::string_view Form::value_or_empty(std::string_view key) const {
  return get(key).value_or(std::string_view{});
}

std::vector<std::string_view> Form::get_all(std::string_view key) const {
  std::vector<std::string_view> values;
  for (const auto& field : fields_) {
    if (field.key == key) values.push_back(field.value);
  }
  return values;
}

Result<Form> parse(std::string_view body, const Limits& limits) {
  Form form;
  if (body.empty()) return form;
  // One allocation for the field list: at most one field per '&'-separated segment.
  const auto segments = count_ampersands(body) + 1;
  form.fields_.reserve(std::min(segments, limits.max_fields));
  form.text_size_ = body.size();
  form.text_ = std::make_unique_for_overwrite<char[]>(body.size());
  char* const text = form.text_.get();
  std::copy(body.begin(), body.end(), text);
  std::size_t start = 0;
  while (start <= body.size()) {
    auto end = body.find('&', start);  // the original: decoding rewrites only the copy
    if (end == std::string_view::npos) end = body.size();
    const std::size_t size = end - start;
    const std::size_t at = start;
    start = end + 1;
    if (size == 0) continue;  // "a=1&&b=2", a trailing '&', an empty body
    if (form.fields_.size() == limits.max_fields) {
      return make_error(Errc::too_large,
                        "form has more than " + std::to_string(limits.max_fields) + " fields");
    }
    auto field = decode_field(text + at, size, limits, form.fields_.size());
    if (!field) return field.error();
    form.fields_.push_back(*field);
  }
  return form;
}

Result<Form> parse_query(std::string_view query, const Limits& limits) {
  if (!query.empty() && query.front() == '?') query.remove_prefix(1);
  return parse(query, limits);
}

std::string encode(const std::vector<Field>& fields) {
  return encode_fields(fields);
}

std::string encode(const std::vector<FieldView>& fields) {
  return encode_fields(fields);
}

}  // namespace omniroute::adapters::form
