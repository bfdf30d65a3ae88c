#pragma once
// Small helpers the OpenSSL-in-Wasm tests share: owning pointers, hex, OpenSSL's error queue.
#include <openssl/evp.h>

#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace attestmq::openssl_wasm::test {

struct PkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

std::string to_hex(std::span<const unsigned char> bytes);
// Lower- or upper-case hex of even length; the tests' own constants only.
std::vector<unsigned char> from_hex(std::string_view hex);
// Drains OpenSSL's error queue of this thread into one line, for a failure message.
std::string openssl_errors();

}  // namespace attestmq::openssl_wasm::test
