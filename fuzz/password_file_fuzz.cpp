// The password_file parser (src/config/password_file) on arbitrary text, in mosquitto_passwd's
// formats ($7$ PBKDF2-SHA512, $6$ salted SHA-512). Nothing here hashes a password: a fuzz
// input must stay cheap, and PBKDF2 costs up to kMaxIterations per call.
// Oracles, beyond "no crash, no sanitizer report": an error names the file and a line that
// exists; a file never holds more users than it has lines; and every hash that parses
// survives format_hash -> parse_hash unchanged.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>

#include "config/password_file.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

// The hash of a "user:hash" line as the file format splits it, at the first colon.
void check_hash_round_trip(std::string_view line) {
  const auto colon = line.find(':');
  if (colon == std::string_view::npos) return;
  using namespace attestmq::config;
  std::string error;
  const auto hash = parse_hash(line.substr(colon + 1), error);
  if (!hash) return;
  require(hash->hash.size() == 64);
  const auto again = parse_hash(format_hash(*hash), error);
  require(again && again->kind == hash->kind && again->iterations == hash->iterations &&
          again->salt == hash->salt && again->hash == hash->hash);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attestmq::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto lines = static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
  const PasswordFileResult result = parse_password_file(text, "fuzz.pw");
  if (const auto* error = std::get_if<ConfigError>(&result)) {
    require(error->file == "fuzz.pw" && error->line <= lines && !error->message.empty());
  } else {
    require(std::get<0>(result) != nullptr && std::get<0>(result)->size() <= lines);
  }
  for (std::size_t pos = 0; pos <= text.size();) {
    const auto end = std::min(text.find('\n', pos), text.size());
    check_hash_round_trip(text.substr(pos, end - pos));
    pos = end + 1;
  }
  return 0;
}
