// Request bodies: one JSON object within the limit; unknown fields, wrong types and missing
// required fields are refused naming the field.
#include <catch2/catch.hpp>

#include "api/bodies.h"

using namespace omniroute;
using namespace omniroute::api;

namespace {

boost::json::object object_of(std::string_view text) {
  auto r = parse_body_object(text, 1024);
  REQUIRE(r.has_value());
  return *r;
}

template <class T>
std::string error_of(const Result<T>& r) {
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::invalid_input);
  return r.error().message;
}

}  // namespace

TEST_CASE("a body over the limit is too_large, before it is parsed") {
  auto r = parse_body_object(std::string(2000, ' '), 1024);
  REQUIRE_FALSE(r.has_value());
  CHECK(r.error().code == Errc::too_large);
}

TEST_CASE("non-JSON and non-object bodies are invalid; an empty body is {}") {
  CHECK(error_of(parse_body_object("{oops", 1024)).starts_with("body is not JSON"));
  CHECK(error_of(parse_body_object("[1]", 1024)) == "body must be a JSON object");
  CHECK(parse_body_object("", 1024)->empty());
}

TEST_CASE("presence: required, enumerated, away needs a reason") {
  CHECK(parse_presence(object_of(R"({"presence":"available"})"))->presence == "available");
  CHECK(error_of(parse_presence(object_of("{}"))) == "field 'presence': missing");
  CHECK(error_of(parse_presence(object_of(R"({"presence":3})"))) ==
        "field 'presence': expected a string");
  CHECK(error_of(parse_presence(object_of(R"({"presence":"busy"})"))).find("must be") !=
        std::string::npos);
  CHECK(error_of(parse_presence(object_of(R"({"presence":"away"})"))) ==
        "field 'reason': required when presence is away");
  CHECK(error_of(parse_presence(object_of(R"({"presence":"away","reason":"x","extra":1})"))) ==
        "field 'extra': unknown field");
}

TEST_CASE("agent patch: skill levels 1..5 named in the error") {
  auto ok = parse_agent_patch(object_of(R"({"skills":{"billing":3},"total_capacity":2})"));
  REQUIRE(ok.has_value());
  CHECK(ok->skills->at("billing") == 3);
  CHECK(error_of(parse_agent_patch(object_of(R"({"skills":{"billing":9}})")))
            .find("skills.billing") != std::string::npos);
  CHECK(error_of(parse_agent_patch(object_of(R"({"total_capacity":"2"})"))) ==
        "field 'total_capacity': expected an integer");
}

TEST_CASE("transfer names exactly one target; link needs both identities") {
  CHECK(parse_transfer(object_of(R"({"queue":"billing"})")).has_value());
  CHECK_FALSE(parse_transfer(object_of(R"({"queue":"billing","agent":"bob"})")).has_value());
  CHECK_FALSE(parse_transfer(object_of("{}")).has_value());
  CHECK(parse_link(
            object_of(R"({"a":{"kind":"phone","value":"+1"},"b":{"kind":"email","value":"x@y"}})"))
            .has_value());
  CHECK(error_of(parse_link(object_of(R"({"a":{"kind":"phone"},"b":{}})"))) ==
        "field 'a.value': missing");
  CHECK(error_of(parse_link(object_of(R"({"a":{"kind":"phone","value":"1","x":0},"b":{}})"))) ==
        "field 'a.x': unknown field");
}

TEST_CASE("routes without a body take nothing but {} ") {
  CHECK(parse_empty(object_of("{}")).has_value());
  CHECK(error_of(parse_empty(object_of(R"({"force":true})"))) == "field 'force': unknown field");
}

TEST_CASE("customer patch: tier and string attributes") {
  auto ok = parse_customer_patch(object_of(R"({"tier":"vip","attributes":{"plan":"gold"}})"));
  REQUIRE(ok.has_value());
  CHECK(*ok->tier == "vip");
  CHECK(error_of(parse_customer_patch(object_of(R"({"attributes":{"n":1}})"))) ==
        "field 'attributes.n': expected a string");
  CHECK_FALSE(parse_customer_patch(object_of("{}")).has_value());
}

namespace {

std::string quoted(std::size_t bytes) {
  return "\"" + std::string(bytes, 'x') + "\"";
}

// {"skills":{"s0":1,...}} with `n` names.
std::string many_skills(std::size_t n) {
  std::string out = R"({"skills":{)";
  for (std::size_t i = 0; i < n; ++i) out += (i ? ",\"s" : "\"s") + std::to_string(i) + "\":1";
  return out + "}}";
}

}  // namespace

TEST_CASE("a repeated key is refused: two readers could take different values") {
  CHECK(error_of(parse_body_object(R"({"presence":"away","presence":"available"})", 1024)) ==
        "body repeats the key 'presence'");
  // Escapes name the same key.
  CHECK(error_of(parse_body_object(R"({"a":{"kind":"x","\u006bind":"y"}})", 1024)) ==
        "body repeats the key 'kind'");
  // The same key in two different objects is fine.
  CHECK(parse_body_object(R"({"a":{"kind":"x"},"b":{"kind":"y"}})", 1024).has_value());
}

TEST_CASE("a number no double can hold is refused, not read as infinity") {
  CHECK(error_of(parse_body_object(R"({"total_capacity":4E444})", 1024)) ==
        "body has a number out of range");
  CHECK(error_of(parse_body_object(R"({"a":[-1e400]})", 1024)) == "body has a number out of range");
  // Big integers are numbers all the same: the field's own check refuses them.
  auto big = parse_body_object(R"({"total_capacity":184934881474191811430})", 1024);
  REQUIRE(big.has_value());
  CHECK(error_of(parse_agent_patch(*big)) == "field 'total_capacity': expected an integer");
}

TEST_CASE("bodies nest at most 8 deep, truncated bodies are not JSON") {
  const std::string nine = "{\"a\":" + std::string(8, '[') + std::string(8, ']') + "}";
  CHECK(error_of(parse_body_object(nine, 1024)) == "body nests deeper than 8 levels");
  CHECK(parse_body_object(R"({"a":{"b":[[[[[[1]]]]]]}})", 1024).has_value());  // 8 levels
  const std::string good = R"({"presence":"away","reason":"lunch"})";
  for (std::size_t n = 1; n < good.size(); ++n) {
    INFO(good.substr(0, n));
    CHECK(error_of(parse_body_object(good.substr(0, n), 1024)).starts_with("body is not JSON"));
  }
  CHECK(error_of(parse_body_object("{} {}", 1024)).starts_with("body is not JSON"));
}

TEST_CASE("strings are bounded: ids 128, reasons and notes 4096 (the router's), replies 16 KiB") {
  auto body = [](const std::string& text) {
    auto r = parse_body_object(text, 1 << 20);
    REQUIRE(r.has_value());
    return *r;
  };
  CHECK(
      parse_complete(body(R"({"wrap_up_code":)" + quoted(128) + R"(,"note":)" + quoted(4096) + "}"))
          .has_value());
  CHECK(error_of(parse_complete(body(R"({"wrap_up_code":)" + quoted(129) + "}"))) ==
        "field 'wrap_up_code': longer than 128 bytes");
  CHECK(error_of(parse_complete(body(R"({"wrap_up_code":"ok","note":)" + quoted(4097) + "}"))) ==
        "field 'note': longer than 4096 bytes");
  CHECK(error_of(parse_reject(body(R"({"reason":)" + quoted(4097) + "}"))) ==
        "field 'reason': longer than 4096 bytes");
  CHECK(error_of(parse_close(body(R"({"reason":)" + quoted(4097) + "}"))) ==
        "field 'reason': longer than 4096 bytes");
  CHECK(error_of(parse_presence(body(R"({"presence":"away","reason":)" + quoted(4097) + "}"))) ==
        "field 'reason': longer than 4096 bytes");
  CHECK(error_of(parse_transfer(body(R"({"queue":)" + quoted(129) + "}"))) ==
        "field 'queue': longer than 128 bytes");
  CHECK(parse_reply(body(R"({"text":)" + quoted(16384) + "}")).has_value());
  CHECK(error_of(parse_reply(body(R"({"text":)" + quoted(16385) + "}"))) ==
        "field 'text': longer than 16384 bytes");
  CHECK(error_of(parse_reply(body(R"({"text":"hi","client_id":)" + quoted(129) + "}"))) ==
        "field 'client_id': longer than 128 bytes");
  CHECK(error_of(parse_customer_patch(body(R"({"tier":)" + quoted(129) + "}"))) ==
        "field 'tier': longer than 128 bytes");
  CHECK(error_of(parse_customer_patch(body(R"({"attributes":{"plan":)" + quoted(1025) + "}}"))) ==
        "field 'attributes.plan': longer than 1024 bytes");
  CHECK(error_of(parse_link(body(R"({"a":{"kind":"email","value":)" + quoted(321) +
                                 R"(},"b":{"kind":"phone","value":"1"}})"))) ==
        "field 'a.value': longer than 320 bytes");
}

TEST_CASE("maps take at most 64 names of 1..128 bytes") {
  CHECK(parse_agent_patch(object_of(many_skills(64))).has_value());
  CHECK(error_of(parse_agent_patch(object_of(many_skills(65)))) ==
        "field 'skills': more than 64 entries");
  CHECK(error_of(parse_agent_patch(object_of(R"({"skills":{"":1}})"))) ==
        "field 'skills': names must not be empty");
  CHECK(
      error_of(parse_customer_patch(object_of(R"({"attributes":{)" + quoted(129) + ":\"v\"}}"))) ==
      "field 'attributes': names longer than 128 bytes");
}

TEST_CASE("wrong types are refused for every body") {
  CHECK(error_of(parse_reject(object_of(R"({"reason":["x"]})"))) ==
        "field 'reason': expected a string");
  CHECK(error_of(parse_complete(object_of(R"({"wrap_up_code":1})"))) ==
        "field 'wrap_up_code': expected a string");
  CHECK(error_of(parse_reply(object_of(R"({"text":{"a":1}})"))) ==
        "field 'text': expected a string");
  CHECK(error_of(parse_close(object_of(R"({"reason":true})"))) ==
        "field 'reason': expected a string");
  CHECK(error_of(parse_agent_patch(object_of(R"({"capacity_by_channel":[1]})"))) ==
        "field 'capacity_by_channel': expected an object of integers");
  CHECK(error_of(parse_agent_patch(object_of(R"({"total_capacity":18446744073709551615})"))) ==
        "field 'total_capacity': must be 1..1000");
  CHECK(error_of(parse_link(object_of(R"({"a":"phone:1","b":{}})"))) ==
        "field 'a': expected an object");
}
