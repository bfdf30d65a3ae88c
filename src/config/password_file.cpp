// Reading and verifying Mosquitto 2.0 password files; the format is described in the header.
#include "tls/whole_file.hpp"
#include "config/password_file.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace attestmq::config {
namespace {

constexpr std::size_t kHashBytes = 64;  // SHA-512

// Standard base64 with padding, as mosquitto_passwd writes it. Strict: a length that is not
// a multiple of four or a character outside the alphabet is refused.
std::optional<std::vector<std::uint8_t>> decode_base64(std::string_view text) {
  if (text.empty() || text.size() % 4 != 0) return std::nullopt;
  std::size_t padding = 0;
  while (padding < 2 && text[text.size() - 1 - padding] == '=') ++padding;
  for (std::size_t i = 0; i < text.size() - padding; ++i) {
    const char c = text[i];
    const bool in_alphabet = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                             (c >= '0' && c <= '9') || c == '+' || c == '/';
    if (!in_alphabet) return std::nullopt;
  }
  std::vector<std::uint8_t> bytes(text.size() / 4 * 3);
  const int decoded = EVP_DecodeBlock(bytes.data(), reinterpret_cast<const unsigned char*>(text.data()),
                                      static_cast<int>(text.size()));
  if (decoded < 0) return std::nullopt;
  // EVP_DecodeBlock counts the padding as zero bytes.
  bytes.resize(static_cast<std::size_t>(decoded) - padding);
  return bytes;
}

std::string encode_base64(const std::vector<std::uint8_t>& bytes) {
  std::string text((bytes.size() + 2) / 3 * 4 + 1, '\0');
  const int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(text.data()), bytes.data(),
                                      static_cast<int>(bytes.size()));
  text.resize(static_cast<std::size_t>(written));
  return text;
}

// The digest of `password` under the entry's kind, salt and iterations; empty on failure.
std::vector<std::uint8_t> digest(const PasswordHash& entry, std::string_view password) {
  std::vector<std::uint8_t> out(kHashBytes);
  if (entry.kind == HashKind::sha512_pbkdf2) {
    const int ok = PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()),
                                     entry.salt.data(), static_cast<int>(entry.salt.size()),
                                     static_cast<int>(entry.iterations), EVP_sha512(),
                                     static_cast<int>(out.size()), out.data());
    if (ok != 1) return {};
    return out;
  }
  EVP_MD_CTX* context = EVP_MD_CTX_new();
  unsigned int length = 0;
  const bool ok = context != nullptr && EVP_DigestInit_ex(context, EVP_sha512(), nullptr) == 1 &&
                  EVP_DigestUpdate(context, password.data(), password.size()) == 1 &&
                  EVP_DigestUpdate(context, entry.salt.data(), entry.salt.size()) == 1 &&
                  EVP_DigestFinal_ex(context, out.data(), &length) == 1 && length == kHashBytes;
  EVP_MD_CTX_free(context);
  if (!ok) return {};
  return out;
}

// Splits "a$b$c" at '$'.
std::vector<std::string_view> split_fields(std::string_view text) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    const std::size_t end = text.find('$', start);
    fields.push_back(text.substr(start, end - start));
    if (end == std::string_view::npos) return fields;
    start = end + 1;
  }
}

}  // namespace

std::optional<PasswordHash> parse_hash(std::string_view text, std::string& error) {
  if (!text.starts_with('$')) {
    error = "the password is not hashed (write the file with attestmq passwd or mosquitto_passwd)";
    return std::nullopt;
  }
  // fields[0] is the empty text before the leading '$'.
  const std::vector<std::string_view> fields = split_fields(text);
  PasswordHash entry;
  std::string_view salt;
  std::string_view hash;
  if (fields[1] == "7") {
    entry.kind = HashKind::sha512_pbkdf2;
    if (fields.size() != 5) {
      error = "expected $7$ITERATIONS$SALT$HASH";
      return std::nullopt;
    }
    const std::string_view count = fields[2];
    const auto [end, status] = std::from_chars(count.data(), count.data() + count.size(), entry.iterations);
    if (status != std::errc{} || end != count.data() + count.size() || entry.iterations == 0 ||
        entry.iterations > kMaxIterations) {
      error = "iterations '" + std::string(count) + "' must be a number from 1 to " +
              std::to_string(kMaxIterations);
      return std::nullopt;
    }
    salt = fields[3];
    hash = fields[4];
  } else if (fields[1] == "6") {
    entry.kind = HashKind::sha512;
    if (fields.size() != 4) {
      error = "expected $6$SALT$HASH";
      return std::nullopt;
    }
    salt = fields[2];
    hash = fields[3];
  } else {
    error = "unknown hash type '$" + std::string(fields[1]) + (fields.size() > 2 ? "$'" : "'") +
            " (expected $7$ sha512-pbkdf2 or $6$ sha512)";
    return std::nullopt;
  }
  auto salt_bytes = decode_base64(salt);
  if (!salt_bytes || salt_bytes->empty()) {
    error = "the salt is not base64";
    return std::nullopt;
  }
  auto hash_bytes = decode_base64(hash);
  if (!hash_bytes || hash_bytes->size() != kHashBytes) {
    error = "the hash is not 64 bytes of base64";
    return std::nullopt;
  }
  entry.salt = std::move(*salt_bytes);
  entry.hash = std::move(*hash_bytes);
  return entry;
}

std::string format_hash(const PasswordHash& hash) {
  if (hash.kind == HashKind::sha512) return "$6$" + encode_base64(hash.salt) + "$" + encode_base64(hash.hash);
  return "$7$" + std::to_string(hash.iterations) + "$" + encode_base64(hash.salt) + "$" +
         encode_base64(hash.hash);
}

std::optional<PasswordHash> hash_password(std::string_view password, HashKind kind,
                                          std::uint32_t iterations) {
  PasswordHash entry;
  entry.kind = kind;
  entry.iterations = kind == HashKind::sha512_pbkdf2 ? iterations : 0;
  entry.salt.resize(kSaltBytes);
  if (RAND_bytes(entry.salt.data(), static_cast<int>(entry.salt.size())) != 1) return std::nullopt;
  entry.hash = digest(entry, password);
  if (entry.hash.empty()) return std::nullopt;
  return entry;
}

bool password_matches(const PasswordHash& hash, std::string_view password) {
  const std::vector<std::uint8_t> computed = digest(hash, password);
  return computed.size() == hash.hash.size() && !hash.hash.empty() &&
         CRYPTO_memcmp(computed.data(), hash.hash.data(), hash.hash.size()) == 0;
}

bool PasswordFile::verify(std::string_view username, std::string_view password) const {
  const auto it = users_.find(username);
  if (it == users_.end()) {
    password_matches(dummy_, password);
    return false;
  }
  return password_matches(it->second, password);
}

PasswordFileResult parse_password_file(std::string_view text, std::string_view file_name) {
  auto file = std::make_shared<PasswordFile>();
  std::size_t number = 0;
  for (std::size_t start = 0; start < text.size(); ++number) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    if (line.ends_with('\r')) line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    const auto error = [&](std::string message) {
      return ConfigError{std::string(file_name), number + 1, std::move(message)};
    };
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return error("expected username:hash");
    if (colon == 0) return error("empty username");
    const std::string_view username = line.substr(0, colon);
    std::string problem;
    auto entry = parse_hash(line.substr(colon + 1), problem);
    if (!entry) return error("user '" + std::string(username) + "': " + problem);
    if (!file->users_.emplace(username, std::move(*entry)).second) {
      return error("user '" + std::string(username) + "' appears twice");
    }
  }
  PasswordHash& dummy = file->dummy_;
  if (file->users_.empty()) {
    dummy.iterations = kDefaultIterations;
  } else {
    dummy = file->users_.begin()->second;
  }
  dummy.salt.assign(kSaltBytes, 0);
  // No password is expected to hash to all zeros, so the dummy never matches.
  dummy.hash.assign(kHashBytes, 0);
  return std::shared_ptr<const PasswordFile>(std::move(file));
}

PasswordFileResult load_password_file(const std::string& path) {
  int error_number = 0;
  const auto text = tls::read_whole_file(path, error_number);
  if (!text) {
    return ConfigError{path, 0, std::string("password_file: cannot read: ") + std::strerror(error_number)};
  }
  return parse_password_file(*text, path);
}

}  // namespace attestmq::config
