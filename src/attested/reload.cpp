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
  if (attested != nullptr && attested->software().configuration_digest) {
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

std::size_t password_and_acl_files(const config::BrokerConfig& config) {
  std::size_t files = 0;
  for (const auto& listener : config.listeners) {
    files += (listener.password_file.empty() ? 0 : 1) + (listener.acl_file.empty() ? 0 : 1);
  }
  return files;
}

}  // namespace attestmq::attested
