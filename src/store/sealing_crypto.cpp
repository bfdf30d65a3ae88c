#include "store/sealing_crypto.hpp"

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/hmac.h>
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

Key mac(const Key& key, std::span<const std::uint8_t> first, std::span<const std::uint8_t> second) {
  std::vector<std::uint8_t> input(first.begin(), first.end());
  input.insert(input.end(), second.begin(), second.end());
  Key out{};
  unsigned int length = 0;
  // Fails only without memory or SHA-256. A wrong name would lose a record: stop, before
  // anything that depends on it is acknowledged (the engine is built without exceptions).
  if (HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), input.data(), input.size(), out.data(),
           &length) == nullptr ||
      length != out.size()) {
    std::fputs("sealing: HMAC-SHA256 failed; stopping\n", stderr);
    std::abort();
  }
  return out;
}

Aead::Aead() : context_(EVP_CIPHER_CTX_new()) {}

bool Aead::seal(const Key& key, const Nonce& nonce, std::span<const std::uint8_t> aad,
                std::span<const std::uint8_t> plaintext, std::vector<std::uint8_t>& out) {
  EVP_CIPHER_CTX* context = context_.get();
  if (context == nullptr) return false;
  int length = 0;
  if (EVP_EncryptInit_ex(context, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) != 1 ||
      EVP_EncryptUpdate(context, nullptr, &length, aad.data(), static_cast<int>(aad.size())) != 1) {
    ERR_clear_error();
    return false;
  }
  const std::size_t start = out.size();
  out.resize(start + plaintext.size() + kTagSize);
  int written = 0;
  if (EVP_EncryptUpdate(context, out.data() + start, &written, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(context, out.data() + start + written, &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(context, EVP_CTRL_AEAD_GET_TAG, kTagSize, out.data() + start + plaintext.size()) != 1) {
    ERR_clear_error();
    out.resize(start);
    return false;
  }
  return true;
}

std::optional<std::vector<std::uint8_t>> Aead::open(const Key& key, const Nonce& nonce,
                                                    std::span<const std::uint8_t> aad,
                                                    std::span<const std::uint8_t> sealed) {
  if (sealed.size() < kTagSize) return std::nullopt;
  const std::size_t length = sealed.size() - kTagSize;
  EVP_CIPHER_CTX* context = context_.get();
  if (context == nullptr) return std::nullopt;
  std::vector<std::uint8_t> plaintext(length);
  int written = 0;
  int final_length = 0;
  // The tag is set before the final step, which checks it (EVP_DecryptFinal_ex fails otherwise).
  const bool opened =
      EVP_DecryptInit_ex(context, EVP_chacha20_poly1305(), nullptr, key.data(), nonce.data()) == 1 &&
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
