// Each security file is read once per path, hashed, and parsed from the bytes that were
// hashed: a host that changes a file between two reads cannot make the broker attest one
// content and enforce another (docs/evidence.md, "The configuration digest").
#include "config/security_files.hpp"

#include <openssl/sha.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <variant>

#include "attest/common/verification.hpp"
#include "config/acl_file.hpp"
#include "config/password_file.hpp"
#include "tls/whole_file.hpp"

namespace attestmq::config {

namespace {

struct ReadFile {
  std::string bytes;
  std::array<std::uint8_t, 32> sha256{};
};

// Every file read so far, by path, so that listeners naming the same file see one content.
class FileReads {
 public:
  std::variant<const ReadFile*, ConfigError> read(const std::string& option,
                                                  const std::string& path) {
    auto& slot = files_[path];
    if (slot) return slot.get();
    int error_number = 0;
    auto bytes = tls::read_whole_file(path, error_number);
    if (!bytes) {
      files_.erase(path);
      return ConfigError{path, 0, option + ": cannot read: " + std::strerror(error_number)};
    }
    slot = std::make_unique<ReadFile>();
    slot->bytes = std::move(*bytes);
    SHA256(reinterpret_cast<const unsigned char*>(slot->bytes.data()), slot->bytes.size(),
           slot->sha256.data());
    return slot.get();
  }

 private:
  std::map<std::string, std::unique_ptr<ReadFile>> files_;
};

// Parses each path once, so that listeners naming the same file share one loaded copy.
template <class Loaded>
std::optional<ConfigError> parse_once(
    std::map<std::string, std::shared_ptr<const Loaded>>& cache, const std::string& path,
    const ReadFile& file,
    std::variant<std::shared_ptr<const Loaded>, ConfigError> (*parse)(std::string_view,
                                                                     std::string_view)) {
  auto& loaded = cache[path];
  if (loaded) return std::nullopt;
  auto result = parse(file.bytes, path);
  if (auto* error = std::get_if<ConfigError>(&result)) return std::move(*error);
  loaded = std::get<std::shared_ptr<const Loaded>>(std::move(result));
  return std::nullopt;
}

}  // namespace

std::optional<ConfigError> load_security_files(BrokerConfig& config) {
  FileReads reads;
  std::map<std::string, std::shared_ptr<const PasswordFile>> password_files;
  std::map<std::string, std::shared_ptr<const broker::AccessControl>> acl_files;
  for (std::size_t i = 0; i < config.listeners.size() && i < config.settings.listeners.size(); ++i) {
    ListenerConfig& listener = config.listeners[i];
    broker::ListenerPolicy& policy = config.settings.listeners[i];
    listener.file_digests.clear();
    // Reads the file `option` names and records its digest; null (and `error`) on failure.
    std::optional<ConfigError> error;
    const auto read = [&](const std::string& option, const std::string& path) -> const ReadFile* {
      auto file = reads.read(option, path);
      if (auto* failed = std::get_if<ConfigError>(&file)) {
        error = std::move(*failed);
        return nullptr;
      }
      const ReadFile* read_file = std::get<const ReadFile*>(file);
      listener.file_digests.push_back({option, read_file->sha256});
      return read_file;
    };

    if (!listener.password_file.empty()) {
      const ReadFile* file = read("password_file", listener.password_file);
      if (!file) return error;
      if (auto failed = parse_once(password_files, listener.password_file, *file, parse_password_file))
        return failed;
      policy.passwords = password_files[listener.password_file];
    }
    if (!listener.acl_file.empty()) {
      const ReadFile* file = read("acl_file", listener.acl_file);
      if (!file) return error;
      if (auto failed = parse_once(acl_files, listener.acl_file, *file, parse_acl_file)) return failed;
      policy.acl = acl_files[listener.acl_file];
    }
    // The TLS layer builds the listener's context from these bytes (tls::ServerTlsOptions).
    if (!listener.tls.psk_file.empty()) {
      const ReadFile* file = read("psk_file", listener.tls.psk_file);
      if (!file) return error;
      listener.tls.psk_file_bytes = file->bytes;
    }
    if (!listener.tls.cafile.empty()) {
      const ReadFile* file = read("cafile", listener.tls.cafile);
      if (!file) return error;
      listener.tls.cafile_bytes = file->bytes;
    }
    if (!listener.attestation_client_policy.empty()) {
      const std::string& path = listener.attestation_client_policy;
      const ReadFile* file = read("attestation_client_policy", path);
      if (!file) return error;
      std::string problem;
      auto client_policy =
          attest::parse_policy(file->bytes, std::filesystem::path(path).parent_path(), problem);
      if (!client_policy) {
        return ConfigError{listener.origin, 0, "attestation_client_policy " + path + ": " + problem};
      }
      // The roots a client policy pins decide whose evidence the broker believes: they are
      // read here, once, hashed with the policy, and handed to the verifier as read.
      for (const auto& [type, root] : client_policy->pinned_roots) {
        const ReadFile* pem =
            read(fmt::format("attestation_client_policy.pinned_roots.{}", attest::to_string(type)),
                 root.string());
        if (!pem) return error;
        client_policy->pinned_root_pems[type] = pem->bytes;
      }
      listener.client_policy = std::make_shared<const attest::Policy>(std::move(*client_policy));
    }
  }
  return std::nullopt;
}

}  // namespace attestmq::config
