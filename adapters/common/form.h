// application/x-www-form-urlencoded bodies and query strings, decoded strictly and within
// limits, for every adapter whose vendor posts forms (Twilio, Vonage, Mailgun, SendGrid).
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

namespace omniroute::adapters::form {

// Bounds on what one form may hold, checked while decoding so that a hostile body costs at
// most one pass over its bytes. Sizes are of the decoded key or value.
struct Limits {
  std::size_t max_fields = 256;
  std::size_t max_key_bytes = 256;
  std::size_t max_value_bytes = 64 * 1024;
};

// A field as the caller owns it: what encode() takes.
struct Field {
  std::string key;
  std::string value;
  bool operator==(const Field&) const = default;
};

// A decoded field as a Form holds it: views into the Form's own copy of the text.
struct FieldView {
  std::string_view key;
  std::string_view value;
  bool operator==(const FieldView&) const = default;
};

// The decoded fields in the order they arrived; a repeated key appears once per occurrence.
// A Form keeps one copy of the text it was parsed from and decodes every field in place there,
// so a whole form costs one allocation for the text and one for the field list, however many
// fields it has; its views stay valid as long as the Form (also across moves; copies rebase).
class Form {
 public:
  Form() = default;
  explicit Form(const std::vector<Field>& fields);
  Form(const Form& other);
  Form& operator=(const Form& other);
  Form(Form&&) noexcept = default;
  Form& operator=(Form&&) noexcept = default;
  ~Form() = default;

  const std::vector<FieldView>& fields() const { return fields_; }
  std::size_t size() const { return fields_.size(); }
  bool empty() const { return fields_.empty(); }

  // First value of `key` (case-sensitive), or nullopt when the key is absent.
  std::optional<std::string_view> get(std::string_view key) const;
  // First value of `key`, or empty when absent: for fields where empty means "not given".
  std::string_view value_or_empty(std::string_view key) const;
  // Every value of `key`, in arrival order.
  std::vector<std::string_view> get_all(std::string_view key) const;
  bool contains(std::string_view key) const { return get(key).has_value(); }

 private:
  friend Result<Form> parse(std::string_view body, const Limits& limits);

  std::unique_ptr<char[]> text_;  // the decoded bytes every view points into
  std::size_t text_size_ = 0;
  std::vector<FieldView> fields_;
};

// Decodes a form body: fields separated by '&' (empty ones skipped), key and value split at
// the first '=', '+' read as a space, %XX escapes decoded. An invalid or truncated escape and
// a key or value that is not valid UTF-8 are Errc::invalid_input; exceeding a limit is
// Errc::too_large. An empty body is an empty form.
Result<Form> parse(std::string_view body, const Limits& limits = {});

// A query string, decoded by the same rules; a leading '?' is ignored.
Result<Form> parse_query(std::string_view query, const Limits& limits = {});

// Encodes fields as a form body (unreserved characters kept, ' ' as '+', the rest %XX), so
// that parse(encode(f)) == f: used by tests, fuzzers and any adapter that must re-sign.
std::string encode(const std::vector<Field>& fields);
std::string encode(const std::vector<FieldView>& fields);

}  // namespace omniroute::adapters::form
