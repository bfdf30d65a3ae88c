#include "attested/configuration_digest.hpp"

#include <openssl/sha.h>

#include <fmt/format.h>

#include "attest/common/hex.hpp"

namespace attestmq::attested {
namespace {

const char* yes_no(bool value) { return value ? "true" : "false"; }

}  // namespace

// docs/evidence.md gives this format; a verifier recomputes it from the operator's files.
std::string configuration_text(const config::BrokerConfig& config) {
  std::string text = "attestmq-configuration-v1\n";
  text += fmt::format("per_listener_settings {}\n", yes_no(config.per_listener_settings));
  for (std::size_t i = 0; i < config.listeners.size(); ++i) {
    const config::ListenerConfig& listener = config.listeners[i];
    const broker::ListenerPolicy policy =
        i < config.settings.listeners.size() ? config.settings.listeners[i] : broker::ListenerPolicy{};
    const config::ListenerTls& tls = listener.tls;
    text += fmt::format("listener {}\n", i);
    text += fmt::format("allow_anonymous {}\n", yes_no(policy.allow_anonymous));
    text += fmt::format("use_username_as_clientid {}\n", yes_no(policy.use_username_as_clientid));
    text += fmt::format("tls {}\n", yes_no(tls.enabled()));
    if (tls.enabled()) {
      text += fmt::format("tls_version {}\n", tls.tls_version);
      text += fmt::format("ciphers {}\n", tls.ciphers);
      text += fmt::format("ciphers_tls1.3 {}\n", tls.ciphers_tls13);
      text += fmt::format("require_certificate {}\n", yes_no(tls.require_certificate));
      text += fmt::format("use_identity_as_username {}\n", yes_no(tls.use_identity_as_username));
      text += fmt::format("use_subject_as_username {}\n", yes_no(tls.use_subject_as_username));
      text += fmt::format("psk_hint {}\n", tls.psk_hint);
      // Revocation is checked or not; the CRLs themselves change as they are published.
      text += fmt::format("crlfile {}\n", yes_no(!tls.crlfile.empty()));
      // Every session's secrets go to the host's file system.
      text += fmt::format("tls_keylog_file {}\n", yes_no(!tls.keylog_file.empty()));
      text += fmt::format("attestation_auth {}\n", yes_no(listener.attestation_auth));
      text += fmt::format("attestation_handshake {}\n", yes_no(listener.attestation_handshake));
      text += fmt::format("attestation_extension_codepoint {}\n",
                          listener.attestation_extension_codepoint);
      const bool cached = listener.attestation_mode == config::ListenerConfig::AttestationMode::cached;
      text += fmt::format("attestation_mode {}\n", cached ? "cached" : "per-session");
      if (cached) {
        text += fmt::format("attestation_quote_period {}\n", listener.attestation_quote_period_s);
      }
      text += fmt::format("attestation_require_client_auth {}\n",
                          yes_no(listener.attestation_require_client_auth));
    }
    for (const config::FileDigest& file : listener.file_digests) {
      text += fmt::format("{} sha256:{}\n", file.option, attest::to_hex(file.sha256));
    }
  }
  return text;
}

std::array<std::uint8_t, 32> configuration_digest(const config::BrokerConfig& config) {
  const std::string text = configuration_text(config);
  std::array<std::uint8_t, 32> digest{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest.data());
  return digest;
}

}  // namespace attestmq::attested
