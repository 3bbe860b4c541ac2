// docs/openapi.yaml and the server's route table list the same routes, both ways: a route added
// to one and not the other fails here.
#include <yaml-cpp/yaml.h>

#include <catch2/catch.hpp>
#include <cctype>
#include <set>
#include <string>
#include <utility>

#include "api/routes.h"

namespace {

using Route = std::pair<std::string, std::string>;  // METHOD, path pattern

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

std::set<Route> openapi_routes() {
  const auto doc = YAML::LoadFile(std::string(OMNIROUTE_SOURCE_DIR) + "/docs/openapi.yaml");
  REQUIRE(doc["openapi"].as<std::string>().starts_with("3.0"));
  std::set<Route> out;
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      const auto method = op.first.as<std::string>();
      if (method == "parameters" || method == "summary" || method == "description") continue;
      out.emplace(upper(method), path.first.as<std::string>());
    }
  }
  return out;
}

std::set<Route> table_routes() {
  std::set<Route> out;
  for (const auto& r : omniroute::api::route_specs()) {
    out.emplace(std::string(r.method), std::string(r.pattern));
  }
  return out;
}

}  // namespace

TEST_CASE("every route of the server is in docs/openapi.yaml") {
  const auto documented = openapi_routes();
  for (const auto& route : table_routes()) {
    INFO(route.first << " " << route.second);
    CHECK(documented.count(route) == 1);
  }
}

TEST_CASE("every route in docs/openapi.yaml is served") {
  const auto served = table_routes();
  for (const auto& route : openapi_routes()) {
    INFO(route.first << " " << route.second);
    CHECK(served.count(route) == 1);
  }
}

TEST_CASE("docs/openapi.yaml declares the bearer scheme and every operation answers errors") {
  const auto doc = YAML::LoadFile(std::string(OMNIROUTE_SOURCE_DIR) + "/docs/openapi.yaml");
  CHECK(doc["components"]["securitySchemes"]["bearer"]["scheme"].as<std::string>() == "bearer");
  for (const auto& path : doc["paths"]) {
    for (const auto& op : path.second) {
      INFO(op.first.as<std::string>() << " " << path.first.as<std::string>());
      CHECK(op.second["responses"]["401"]);
      CHECK(op.second["responses"]["404"]);
    }
  }
}
