// psk_file, mosquitto.conf(5): "Each line should be in the format identity:key, where the
// key is a hexadecimal string with no leading 0x."
#include <openssl/crypto.h>

#include <cerrno>
#include <cstring>
#include <algorithm>
#include <memory>
#include <string>

#include "tls/context.hpp"
#include "tls/whole_file.hpp"

namespace attestmq::tls {
namespace {

void free_openssl(unsigned char* bytes) { OPENSSL_free(bytes); }

}  // namespace

bool load_psk_file(const std::string& path, PskTable& table, std::string& error) {
  int error_number = 0;
  const auto text = read_whole_file(path, error_number);
  if (!text) {
    error = "psk_file " + path + ": " + std::strerror(error_number);
    return false;
  }
  return parse_psk_file(*text, path, table, error);
}

bool parse_psk_file(std::string_view text, const std::string& path, PskTable& table,
                    std::string& error) {
  std::size_t number = 1;
  for (std::size_t start = 0; start < text.size(); ++number) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    std::string line(text.substr(start, end - start));
    start = end + 1;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line.front() == '#') continue;
    const auto where = path + ":" + std::to_string(number) + ": ";
    const auto colon = line.find(':');
    if (colon == std::string::npos || colon == 0) {
      error = where + "expected identity:hexkey";
      return false;
    }
    const std::string identity = line.substr(0, colon);
    // RFC 4279 section 5.3: a PSK is at most 64 bytes here, as in OpenSSL's callbacks.
    // OpenSSL's decoder also takes "ab:cd"; the file format is plain hex digits only.
    const bool hex_only =
        line.find_first_not_of("0123456789abcdefABCDEF", colon + 1) == std::string::npos;
    long length = 0;
    const std::unique_ptr<unsigned char, decltype(&free_openssl)> decoded(
        hex_only ? OPENSSL_hexstr2buf(line.c_str() + colon + 1, &length) : nullptr, free_openssl);
    if (!decoded || length < 1 || length > 64) {
      error = where + "the key of \"" + identity + "\" must be 1 to 64 bytes of hex digits";
      return false;
    }
    std::vector<std::uint8_t> key(decoded.get(), decoded.get() + length);
    if (!table.emplace(identity, std::move(key)).second) {
      error = where + "identity \"" + identity + "\" appears twice";
      return false;
    }
  }
  return true;
}

}  // namespace attestmq::tls
