#include "store/sealing_crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/kdf.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace attestmq::store::sealing {

std::optional<Key> derive_key(std::span<const std::uint8_t> secret, std::span<const std::uint8_t> salt,
                              std::string_view info) {
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* context = kdf != nullptr ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);
  if (context == nullptr) return std::nullopt;
  std::string digest = "SHA256";
  std::string info_text(info);
  // OpenSSL takes the salt as absent when its length is 0, which HKDF defines as zeros.
  static const std::uint8_t kNoSalt = 0;
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest.data(), 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<std::uint8_t*>(secret.data()),
                                        secret.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT,
                                        const_cast<std::uint8_t*>(salt.empty() ? &kNoSalt : salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, info_text.data(), info_text.size()),
      OSSL_PARAM_construct_end()};
  Key out{};
  const bool derived = EVP_KDF_derive(context, out.data(), out.size(), params) == 1;
  EVP_KDF_CTX_free(context);
  if (!derived) {
    ERR_clear_error();
    return std::nullopt;
  }
  return out;
}

namespace {

[[noreturn]] void stop(const char* what) {
  // Only without memory or the algorithm. A wrong name would lose a record: stop, before
  // anything that depends on it is acknowledged (the engine is built without exceptions).
  std::fprintf(stderr, "sealing: %s failed; stopping\n", what);
  std::abort();
}

}  // namespace

Mac::Mac(const Key& key) {
  EVP_MAC* hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  context_.reset(hmac != nullptr ? EVP_MAC_CTX_new(hmac) : nullptr);
  EVP_MAC_free(hmac);
  std::string digest = "SHA256";
  const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest.data(), 0),
                               OSSL_PARAM_construct_end()};
  if (!context_ || EVP_MAC_init(context_.get(), key.data(), key.size(), params) != 1) stop("HMAC-SHA256 setup");
}

Key Mac::operator()(std::span<const std::uint8_t> first, std::span<const std::uint8_t> second) {
  Key out{};
  std::size_t length = 0;
  // A null key restarts the MAC under the key set at construction.
  if (EVP_MAC_init(context_.get(), nullptr, 0, nullptr) != 1 ||
      EVP_MAC_update(context_.get(), first.data(), first.size()) != 1 ||
      EVP_MAC_update(context_.get(), second.data(), second.size()) != 1 ||
      EVP_MAC_final(context_.get(), out.data(), &length, out.size()) != 1 || length != out.size())
    stop("HMAC-SHA256");
  return out;
}

Aead::Aead()
    : cipher_(EVP_CIPHER_fetch(nullptr, "ChaCha20-Poly1305", nullptr)), context_(EVP_CIPHER_CTX_new()) {}

void Aead::seal(const Key& key, const Nonce& nonce, std::span<const std::uint8_t> aad,
                std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  EVP_CIPHER_CTX* context = context_.get();
  if (context == nullptr || !cipher_) stop("ChaCha20-Poly1305 setup");
  int length = 0;
  if (EVP_EncryptInit_ex2(context, cipher_.get(), key.data(), nonce.data(), nullptr) != 1 ||
      EVP_EncryptUpdate(context, nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1) {
    stop("ChaCha20-Poly1305");
  }
  const std::size_t start = out.size();
  out.resize(start + plaintext.size() + kTagSize);
  int written = 0;
  if (EVP_EncryptUpdate(context, out.data() + start, &written, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context, out.data() + start + written, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kTagSize, out.data() + start + plaintext.size()) != 1) {
    stop("ChaCha20-Poly1305");
  }
}

std::optional<std::vector<std::uint8_t>> Aead::open(const Key& key, const Nonce& nonce,
                                                    std::span<const std::uint8_t> aad,
                                                    std::span<const std::uint8_t> sealed) {
  if (sealed.size() < kTagSize) return std::nullopt;
  const std::size_t length = sealed.size() - kTagSize;
  EVP_CIPHER_CTX* context = context_.get();
  if (context == nullptr || !cipher_) return std::nullopt;
  std::vector<std::uint8_t> plaintext(length);
  int written = 0;
  int final_length = 0;
  // The tag is set before the final step, which checks it (EVP_DecryptFinal_ex fails otherwise).
  const bool opened =
      EVP_DecryptInit_ex2(context, cipher_.get(), key.data(), nonce.data(), nullptr) == 1 &&
      EVP_DecryptUpdate(context, nullptr, &written, aad.data(), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(context, plaintext.data(), &written, sealed.data(), static_cast<int>(length)) == 1 &&
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_SET_TAG, kTagSize,
                          const_cast<std::uint8_t*>(sealed.data() + length)) == 1 &&
      EVP_DecryptFinal_ex(context, plaintext.data() + written, &final_length) == 1;
  if (!opened) {
    ERR_clear_error();
    return std::nullopt;
  }
  return plaintext;
}

}  // namespace attestmq::store::sealing
