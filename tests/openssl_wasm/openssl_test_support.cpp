#include "openssl_test_support.hpp"

#include <openssl/err.h>

namespace attestmq::openssl_wasm::test {

std::string to_hex(std::span<const unsigned char> bytes) {
  constexpr std::string_view kDigits = "0123456789abcdef";
  std::string hex;
  for (unsigned char byte : bytes) {
    hex += kDigits[byte >> 4];
    hex += kDigits[byte & 0x0F];
  }
  return hex;
}

std::vector<unsigned char> from_hex(std::string_view hex) {
  auto nibble = [](char digit) {
    if (digit >= '0' && digit <= '9') return digit - '0';
    if (digit >= 'a' && digit <= 'f') return digit - 'a' + 10;
    return digit - 'A' + 10;
  };
  std::vector<unsigned char> bytes;
  for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes.push_back(static_cast<unsigned char>(nibble(hex[i]) << 4 | nibble(hex[i + 1])));
  }
  return bytes;
}

std::string openssl_errors() {
  std::string errors;
  char line[256];
  while (unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, line, sizeof line);
    if (!errors.empty()) errors += "; ";
    errors += line;
  }
  return errors.empty() ? "no OpenSSL error queued" : errors;
}

}  // namespace attestmq::openssl_wasm::test
