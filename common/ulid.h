// Event ids: ULIDs (26 Crockford base32 characters, millisecond time then 80 random bits), so
// ids sort by creation time in logs and Redis, and need no coordination between instances.
#pragma once

#include <cstdint>
#include <string>

namespace omniroute {

std::string make_ulid(std::int64_t unix_ms);

}  // namespace omniroute
