#pragma once
// The primitives sealing is built from, all OpenSSL's: HKDF-SHA256 (RFC 5869) to derive keys,
// HMAC-SHA256 to name records, and ChaCha20-Poly1305 (RFC 8439) to seal them. ChaCha20 rather
// than AES-GCM: OpenSSL's no-asm AES in the Wasm module is table-based and leaks key bits
// through cache timing (docs/security.md, "Cryptography inside the module").
#include <openssl/evp.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string_view>
#include <vector>

namespace attestmq::store::sealing {

using Key = std::array<std::uint8_t, 32>;
using Nonce = std::array<std::uint8_t, 12>;
constexpr std::size_t kTagSize = 16;

// HKDF-SHA256 (extract then expand) of `secret` with `salt` and `info`; nullopt if OpenSSL failed.
std::optional<Key> derive_key(std::span<const std::uint8_t> secret, std::span<const std::uint8_t> salt,
                              std::string_view info);

// HMAC-SHA256 under one key, its OpenSSL context set up once. Not thread-safe.
class Mac {
 public:
  explicit Mac(const Key& key);
  // Of `first` then `second`. Aborts if OpenSSL cannot compute it.
  Key operator()(std::span<const std::uint8_t> first, std::span<const std::uint8_t> second);

 private:
  struct Free {
    void operator()(EVP_MAC_CTX* context) const { EVP_MAC_CTX_free(context); }
  };
  std::unique_ptr<EVP_MAC_CTX, Free> context_;
};

// ChaCha20-Poly1305 with one reusable OpenSSL context. Not thread-safe.
class Aead {
 public:
  Aead();  // without memory for the context, open fails and seal aborts
  // Appends the ciphertext, then the 16-byte tag, to `out`. Aborts if OpenSSL cannot: a
  // record that cannot be sealed must not be acknowledged.
  void seal(const Key& key, const Nonce& nonce, std::span<const std::uint8_t> aad,
            std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out);
  // The plaintext of ciphertext-then-tag, or nullopt if it does not authenticate.
  std::optional<std::vector<std::uint8_t>> open(const Key& key, const Nonce& nonce,
                                                std::span<const std::uint8_t> aad,
                                                std::span<const std::uint8_t> sealed);

 private:
  struct Free {
    void operator()(EVP_CIPHER_CTX* context) const { EVP_CIPHER_CTX_free(context); }
    void operator()(EVP_CIPHER* cipher) const { EVP_CIPHER_free(cipher); }
  };
  // Fetched once: OpenSSL 3 would otherwise look the algorithm up at every record.
  std::unique_ptr<EVP_CIPHER, Free> cipher_;
  std::unique_ptr<EVP_CIPHER_CTX, Free> context_;
};

}  // namespace attestmq::store::sealing
