#include <openssl/evp.h>

#include "attest/session/session_protocol.hpp"

namespace attestmq::attest::session {

TlsIdentity tls_identity(const std::optional<std::array<std::uint8_t, 32>>& certificate_key_sha256,
                         std::string_view psk_identity) {
  TlsIdentity identity;
  identity.certificate_key_sha256 = certificate_key_sha256;
  if (!psk_identity.empty()) {
    std::array<std::uint8_t, 32> digest{};
    unsigned int length = 0;
    EVP_Digest(psk_identity.data(), psk_identity.size(), digest.data(), &length, EVP_sha256(),
               nullptr);
    identity.psk_identity_sha256 = digest;
  }
  return identity;
}

}  // namespace attestmq::attest::session
