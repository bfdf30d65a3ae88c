#include "attested/reload.hpp"

#include "attest/common/hex.hpp"
#include "attested/configuration_digest.hpp"
#include "config/security_files.hpp"

namespace attestmq::attested {

std::variant<config::BrokerConfig, std::string> reread_security_files(
    const config::BrokerConfig& running, const AttestedSessions* attested) {
  const std::string refused = "Reloading the password and ACL files failed, keeping the previous rules: ";
  config::BrokerConfig reread = running;  // the same file names; what they hold is read again
  if (const auto error = config::load_security_files(reread)) return refused + error->to_string();
  if (attested != nullptr) {
    // An attesting broker whose evidence names no configuration cannot tell what a change
    // would falsify: nothing is reloaded.
    if (!attested->software().configuration_digest) {
      return refused + "the evidence names no configuration digest to check the files against.";
    }
    const auto& attested_digest = *attested->software().configuration_digest;
    const auto digest = configuration_digest(reread);
    if (digest != attested_digest) {
      return refused + "the files no longer match the configuration digest that every piece of " +
             "evidence names (" + attest::to_hex(attested_digest) + ", now " + attest::to_hex(digest) +
             "); restart the broker to attest the new configuration.";
    }
  }
  return reread;
}

std::optional<std::string> tls_reloaded_line(const config::BrokerConfig& config) {
  std::size_t listeners = 0;
  for (const auto& listener : config.listeners) listeners += listener.tls.enabled() ? 1 : 0;
  if (listeners == 0) return std::nullopt;
  return "Reloaded the TLS certificates and keys of " + std::to_string(listeners) +
         (listeners == 1 ? " listener." : " listeners.");
}

std::string tls_reload_failed_line(const std::string& error) {
  return "Reloading TLS certificates failed, keeping the previous ones: " + error;
}

std::optional<std::string> security_files_reloaded_line(const config::BrokerConfig& config) {
  std::size_t files = 0;
  for (const auto& listener : config.listeners) {
    files += (listener.password_file.empty() ? 0 : 1) + (listener.acl_file.empty() ? 0 : 1);
  }
  if (files == 0) return std::nullopt;
  return "Reloaded the password and ACL files (" + std::to_string(files) +
         (files == 1 ? " file)." : " files).");
}

}  // namespace attestmq::attested
