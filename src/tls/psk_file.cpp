// psk_file, mosquitto.conf(5): "Each line should be in the format identity:key, where the
// key is a hexadecimal string with no leading 0x."
#include <cerrno>
#include <cstring>
#include <fstream>
#include <string>

#include "tls/context.hpp"

namespace attestmq::tls {
namespace {

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The key as bytes, or an empty vector when `hex` is not an even number of hex digits.
std::vector<std::uint8_t> decode_hex(std::string_view hex) {
  std::vector<std::uint8_t> bytes;
  if (hex.size() % 2 != 0) return bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int high = hex_digit(hex[i]);
    const int low = hex_digit(hex[i + 1]);
    if (high < 0 || low < 0) return {};
    bytes.push_back(static_cast<std::uint8_t>(high << 4 | low));
  }
  return bytes;
}

}  // namespace

bool load_psk_file(const std::string& path, PskTable& table, std::string& error) {
  std::ifstream file(path);
  if (!file) {
    error = "psk_file " + path + ": " + std::strerror(errno);
    return false;
  }
  std::string line;
  for (std::size_t number = 1; std::getline(file, line); ++number) {
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
    const auto key = decode_hex(std::string_view(line).substr(colon + 1));
    if (key.empty() || key.size() > 64) {
      error = where + "the key of \"" + identity + "\" must be 1 to 64 bytes of hex digits";
      return false;
    }
    if (!table.emplace(identity, key).second) {
      error = where + "identity \"" + identity + "\" appears twice";
      return false;
    }
  }
  return true;
}

}  // namespace attestmq::tls
