#include "common/ulid.h"

#include <random>

#include "common/crypto.h"

namespace omniroute {
namespace {

// One generator per thread, seeded from the OS: no lock and no syscall per id.
std::mt19937_64& generator() {
  thread_local std::mt19937_64 gen = [] {
    std::string seed = crypto::random_bytes(16);
    std::seed_seq seq(seed.begin(), seed.end());
    return std::mt19937_64(seq);
  }();
  return gen;
}

}  // namespace

std::string make_ulid(std::int64_t unix_ms) {
  static constexpr char kAlphabet[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
  std::string out(26, '0');
  auto ms = static_cast<std::uint64_t>(unix_ms);
  for (int i = 9; i >= 0; --i) {  // 10 chars carry the 48-bit timestamp
    out[static_cast<std::size_t>(i)] = kAlphabet[ms & 31];
    ms >>= 5;
  }
  std::uint64_t hi = generator()();
  std::uint64_t lo = generator()();
  for (int i = 10; i < 26; ++i) {  // 16 chars carry 80 random bits
    std::uint64_t& src = i < 18 ? hi : lo;
    out[static_cast<std::size_t>(i)] = kAlphabet[src & 31];
    src >>= 5;
  }
  return out;
}

}  // namespace omniroute
