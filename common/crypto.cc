// OpenSSL behind common/crypto.h: algorithms fetched once per process and contexts reused per
// thread, so that the per-request HMAC and digest take no provider lock and allocate nothing.
#include "common/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/rand.h>

#include <array>
#include <new>
#include <stdexcept>

namespace omniroute::crypto {
namespace {

constexpr std::size_t kDigests = 4;

const char* openssl_name(Digest alg) {
  switch (alg) {
    case Digest::md5:
      return "MD5";
    case Digest::sha1:
      return "SHA1";
    case Digest::sha256:
      return "SHA256";
    case Digest::sha512:
      return "SHA512";
  }
  return "SHA256";
}

// OpenSSL 3 looks an algorithm up in its provider store (under a lock) every time EVP_sha1()
// and friends are used with a one-shot call; fetching once per process and keeping the
// handles avoids that on every webhook. They live as long as the process, on purpose.
struct Algorithms {
  std::array<EVP_MD*, kDigests> md{};
  EVP_MAC* hmac = nullptr;
};

const Algorithms& algorithms() {
  static const Algorithms fetched = [] {
    Algorithms a;
    for (std::size_t i = 0; i < kDigests; ++i) {
      a.md[i] = EVP_MD_fetch(nullptr, openssl_name(static_cast<Digest>(i)), nullptr);
      if (a.md[i] == nullptr) throw std::runtime_error("OpenSSL has no digest");
    }
    a.hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (a.hmac == nullptr) throw std::runtime_error("OpenSSL has no HMAC");
    return a;
  }();
  return fetched;
}

std::size_t index(Digest alg) {
  return static_cast<std::size_t>(alg) < kDigests ? static_cast<std::size_t>(alg)
                                                  : static_cast<std::size_t>(Digest::sha256);
}

// An HMAC context remembers the key it was last keyed with: the key schedule (two digest
// blocks and a digest set-up each) is then not computed again for the same key, which is what
// a webhook endpoint signs every request with.
struct HmacSlot {
  EVP_MAC_CTX* ctx = nullptr;
  std::string key;     // the key ctx holds the schedule of, when `keyed`
  bool keyed = false;  // false after any failure: the next call keys afresh
};

// Contexts are reused per thread (no locking, no allocation per call) and re-initialised on
// every use, so no state of one call can reach the next (an HMAC keeps its key's schedule only).
struct ThreadContexts {
  EVP_MD_CTX* md = nullptr;
  std::array<HmacSlot, kDigests> hmac{};  // one per digest: the digest is set once
  ThreadContexts() = default;
  ThreadContexts(const ThreadContexts&) = delete;
  ThreadContexts& operator=(const ThreadContexts&) = delete;
  ~ThreadContexts() {
    EVP_MD_CTX_free(md);
    for (auto& slot : hmac) {
      EVP_MAC_CTX_free(slot.ctx);
      OPENSSL_cleanse(slot.key.data(), slot.key.size());
    }
  }
};

ThreadContexts& contexts() {
  thread_local ThreadContexts ctx;
  return ctx;
}

EVP_MD_CTX* digest_context() {
  auto& ctx = contexts();
  if (ctx.md == nullptr) ctx.md = EVP_MD_CTX_new();
  if (ctx.md == nullptr) throw std::bad_alloc();
  return ctx.md;
}

HmacSlot& hmac_slot(Digest alg) {
  auto& slot = contexts().hmac[index(alg)];
  if (slot.ctx != nullptr) return slot;
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_new(algorithms().hmac);
  if (ctx == nullptr) throw std::bad_alloc();
  char* name = const_cast<char*>(openssl_name(alg));
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, name, 0),
                               OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx, params) != 1) {
    EVP_MAC_CTX_free(ctx);
    throw std::runtime_error("OpenSSL refused the HMAC digest");
  }
  slot.ctx = ctx;
  return slot;
}

// Keys `slot` with `key`, or only resets it when it already holds that key's schedule.
bool init_hmac(HmacSlot& slot, std::string_view key) {
  if (slot.keyed && slot.key.size() == key.size() &&
      CRYPTO_memcmp(slot.key.data(), key.data(), key.size()) == 0) {
    return EVP_MAC_init(slot.ctx, nullptr, 0, nullptr) == 1;  // null key: reuse the schedule
  }
  slot.keyed = false;
  // OpenSSL treats a null key as "reuse the previous one"; an empty key must stay empty.
  static const unsigned char kNoKey = 0;
  const unsigned char* key_bytes =
      key.empty() ? &kNoKey : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(slot.ctx, key_bytes, key.size(), nullptr) != 1) return false;
  OPENSSL_cleanse(slot.key.data(), slot.key.size());
  slot.key.assign(key);
  slot.keyed = true;
  return true;
}

const unsigned char* bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

std::string digest(Digest alg, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_MD_CTX* ctx = digest_context();
  if (EVP_DigestInit_ex2(ctx, algorithms().md[index(alg)], nullptr) != 1 ||
      EVP_DigestUpdate(ctx, data.data(), data.size()) != 1 ||
      EVP_DigestFinal_ex(ctx, out, &len) != 1) {
    throw std::runtime_error("OpenSSL digest failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hmac(Digest alg, std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  std::size_t len = 0;
  HmacSlot& slot = hmac_slot(alg);
  if (!init_hmac(slot, key) || EVP_MAC_update(slot.ctx, bytes(data), data.size()) != 1 ||
      EVP_MAC_final(slot.ctx, out, &len, sizeof out) != 1) {
    slot.keyed = false;
    throw std::runtime_error("OpenSSL HMAC failed");
  }
  return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex_encode(std::string_view in) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(in.size() * 2, '\0');
  std::size_t i = 0;
  for (unsigned char c : in) {
    out[i++] = kDigits[c >> 4];
    out[i++] = kDigits[c & 0xf];
  }
  return out;
}

std::string base64_encode(std::string_view in) {
  std::string out(4 * ((in.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(in),
                          static_cast<int>(in.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

std::optional<std::string> base64_decode(std::string_view in) {
  if (in.size() % 4 != 0) return std::nullopt;
  for (char c : in) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '+' || c == '/' || c == '=';
    if (!ok) return std::nullopt;
  }
  std::string out(3 * in.size() / 4, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), bytes(in),
                          static_cast<int>(in.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock keeps the zero bytes that padding stands for; drop them.
  std::size_t pad = 0;
  if (!in.empty() && in.back() == '=') ++pad;
  if (in.size() > 1 && in[in.size() - 2] == '=') ++pad;
  out.resize(static_cast<std::size_t>(n) - pad);
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool hex_equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](unsigned char c) -> unsigned char {
      return (c >= 'A' && c <= 'F') ? static_cast<unsigned char>(c + 32) : c;
    };
    diff |= static_cast<unsigned char>(lower(static_cast<unsigned char>(a[i])) ^
                                       lower(static_cast<unsigned char>(b[i])));
  }
  return diff == 0;
}

std::string random_bytes(std::size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n)) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  return out;
}

}  // namespace omniroute::crypto
