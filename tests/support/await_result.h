// Waits on an io_context for the result of an asynchronous call that reports through a callback,
// so a test helper reads as a plain call instead of an optional, a callback and a wait each time.
#pragma once

#include <catch2/catch.hpp>
#include <optional>
#include <utility>

#include "common/result.h"
#include "tests/support/redis_server.h"

namespace omniroute::testing {

// `start(done)` begins the call with `done` as its callback; returns what `done` was given.
// Example: `auto r = await_result<void>(io, [&](auto done) { store.commit(fence, {}, done); });`
template <class T, class IoContext, class Start>
Result<T> await_result(IoContext& io, Start start) {
  std::optional<Result<T>> out;
  start([&](Result<T> r) { out = std::move(r); });
  REQUIRE(run_until(io, [&] { return out.has_value(); }));
  return std::move(*out);
}

}  // namespace omniroute::testing
