#include "attest/session/cached_evidence.hpp"

#include <openssl/rand.h>
#include <openssl/x509.h>

#include "attest/sim/sim_key.hpp"

namespace attestmq::attest::session {

namespace {

// K's SubjectPublicKeyInfo in DER (RFC 5280 section 4.1.2.7), as key 8 carries it.
std::optional<std::vector<std::uint8_t>> public_key_der(EVP_PKEY* key) {
  const int length = i2d_PUBKEY(key, nullptr);
  if (length <= 0) return std::nullopt;
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_PUBKEY(key, &cursor) != length) return std::nullopt;
  return der;
}

}  // namespace

std::vector<std::uint8_t> session_signature_input(const ReportData& report_data) {
  std::vector<std::uint8_t> input(kSessionSignatureLabel.begin(), kSessionSignatureLabel.end());
  input.push_back(0x00);
  input.insert(input.end(), report_data.begin(), report_data.end());
  return input;
}

EvpPkeyPtr parse_session_public_key(std::span<const std::uint8_t> der, std::string& error) {
  const unsigned char* cursor = der.data();
  EvpPkeyPtr key(d2i_PUBKEY(nullptr, &cursor, static_cast<long>(der.size())));
  if (!key || cursor != der.data() + der.size()) {
    error = "key 8 is not a DER SubjectPublicKeyInfo";
    return nullptr;
  }
  if (!is_p256_key(key.get())) {
    error = "key 8 is not a P-256 public key";
    return nullptr;
  }
  // One key, one encoding: a compressed point or explicit curve parameters would re-encode
  // differently.
  const auto canonical = public_key_der(key.get());
  if (!canonical || !std::equal(canonical->begin(), canonical->end(), der.begin(), der.end())) {
    error = "key 8 is not in the canonical form (named curve, uncompressed point)";
    return nullptr;
  }
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> check(
      EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr), EVP_PKEY_CTX_free);
  if (!check || EVP_PKEY_public_check(check.get()) != 1) {
    error = "key 8 is not a point on P-256";
    return nullptr;
  }
  return key;
}

std::shared_ptr<const CachedEvidence> CachedEvidence::make(
    Provider& provider, const Software& software, std::uint64_t issued_at, std::string& error) {
  EvpPkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  const auto public_key = key ? public_key_der(key.get()) : std::nullopt;
  if (!public_key) {
    error = "cached mode: P-256 key generation failed";
    return nullptr;
  }
  Claims claims;
  claims.module_sha256 = software.module_sha256;
  claims.configuration_digest = software.configuration_digest;
  claims.nonce.resize(kPlatformNonceBytes);
  if (RAND_bytes(claims.nonce.data(), static_cast<int>(claims.nonce.size())) != 1) {
    error = "cached mode: no random bytes for the platform claims' nonce";
    return nullptr;
  }
  claims.session_public_key = *public_key;
  claims.issued_at = issued_at;
  auto envelope = produce_envelope(provider, std::move(claims), error);
  if (!envelope) return nullptr;
  return std::shared_ptr<const CachedEvidence>(
      new CachedEvidence(std::move(key), std::move(*envelope), issued_at));
}

std::optional<std::array<std::uint8_t, 64>> CachedEvidence::sign(const ReportData& report_data) const {
  // ECDSA P-256 over SHA-256, r || s: the same signer the sim platform key uses.
  return sim_sign(key_.get(), session_signature_input(report_data));
}

}  // namespace attestmq::attest::session
