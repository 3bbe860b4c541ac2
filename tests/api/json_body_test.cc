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
