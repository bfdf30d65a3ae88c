#pragma once
// Mosquitto 2.0's password_file (mosquitto.conf(5), mosquitto_passwd(1)): one
// `username:hash` line per user, where the hash is one of
//   $7$ITERATIONS$SALT$HASH  PBKDF2-HMAC-SHA512 with a 64-byte output ("sha512-pbkdf2")
//   $6$SALT$HASH             SHA-512 over the password followed by the salt ("sha512")
// SALT and HASH are standard base64 with padding. Blank lines and lines starting with '#'
// are ignored. Files written by mosquitto_passwd and by `attestmq passwd` are the same.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/settings.hpp"
#include "config/config_parser.hpp"

namespace attestmq::config {

enum class HashKind : std::uint8_t { sha512, sha512_pbkdf2 };

struct PasswordHash {
  HashKind kind = HashKind::sha512_pbkdf2;
  std::uint32_t iterations = 0;  // sha512_pbkdf2 only
  std::vector<std::uint8_t> salt;
  std::vector<std::uint8_t> hash;  // always 64 bytes: SHA-512's output size
};

// mosquitto_passwd's defaults: 101 PBKDF2 iterations over a 12-byte random salt.
inline constexpr std::uint32_t kDefaultIterations = 101;
inline constexpr std::size_t kSaltBytes = 12;
// The engine verifies a password on the thread that serves every client, so one CONNECT
// must not cost seconds: a larger iteration count is refused when the file is read.
inline constexpr std::uint32_t kMaxIterations = 1'000'000;

// The hash part of a line ("$7$101$..."), or nullopt with `error` saying what is wrong.
std::optional<PasswordHash> parse_hash(std::string_view text, std::string& error);
std::string format_hash(const PasswordHash& hash);
// A fresh random salt; nullopt when the random generator or the digest fails.
std::optional<PasswordHash> hash_password(std::string_view password, HashKind kind,
                                          std::uint32_t iterations);
// Recomputes the hash with the entry's salt and compares in constant time.
bool password_matches(const PasswordHash& hash, std::string_view password);

class PasswordFile final : public broker::Credentials {
 public:
  // An unknown user is checked against a dummy entry with the kind and iterations of one
  // of the users (all of them, in a file written with one tool's defaults), so that the time a refusal takes does not tell which usernames exist.
  bool verify(std::string_view username, std::string_view password) const override;
  std::size_t size() const { return users_.size(); }

 private:
  friend std::variant<std::shared_ptr<const PasswordFile>, ConfigError> parse_password_file(
      std::string_view text, std::string_view file_name);
  std::map<std::string, PasswordHash, std::less<>> users_;
  PasswordHash dummy_;
};

using PasswordFileResult = std::variant<std::shared_ptr<const PasswordFile>, ConfigError>;

// Errors name FILE:LINE, e.g. "users.pw:3: unknown hash type '$5$'".
PasswordFileResult parse_password_file(std::string_view text, std::string_view file_name);
PasswordFileResult load_password_file(const std::string& path);

}  // namespace attestmq::config
