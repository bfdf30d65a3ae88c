#include "attest/envelope/claims.hpp"

#include <cbor.h>
#include <fmt/format.h>

#include <memory>

#include "attest/cmw/cmw_wellformed.hpp"
#include "attest/cmw/cmw_writer.hpp"

namespace attestmq::attest {

namespace {
// docs/attestation.md section 5.1: keys 5 and 6 name the attester's TLS credential; key 7 is
// the broker's configuration digest; keys 8 and 9 are cached mode's session key and quote time.
enum ClaimKey : std::uint64_t {
  kEvidenceType = 1,
  kModuleSha256 = 2,
  kBinder = 3,
  kNonce = 4,
  kTlsCertificateKey = 5,
  kPskIdentity = 6,
  kConfigurationDigest = 7,
  kSessionPublicKey = 8,
  kIssuedAt = 9,
};
constexpr std::size_t kMaxClaimsBytes = 1024;

struct ItemDeleter {
  void operator()(cbor_item_t* item) const { cbor_decref(&item); }
};
}  // namespace

std::optional<EvidenceType> evidence_type_from_string(std::string_view name) {
  for (const auto type :
       {EvidenceType::sgx, EvidenceType::tdx, EvidenceType::snp, EvidenceType::sim}) {
    if (to_string(type) == name) return type;
  }
  return std::nullopt;
}

std::optional<std::vector<std::uint8_t>> encode_claims(const Claims& claims) {
  if (claims.binder.size() > kMaxBinderBytes || claims.nonce.size() > kMaxNonceBytes) {
    return std::nullopt;
  }
  CborWriter out;
  out.map(4 + (claims.tls_certificate_key_sha256 ? 1 : 0) + (claims.psk_identity_sha256 ? 1 : 0) +
          (claims.configuration_digest ? 1 : 0) + (claims.session_public_key ? 1 : 0) +
          (claims.issued_at ? 1 : 0));
  out.unsigned_int(kEvidenceType);
  out.text(to_string(claims.evidence_type));
  out.unsigned_int(kModuleSha256);
  out.bytes(claims.module_sha256);
  out.unsigned_int(kBinder);
  out.bytes(claims.binder);
  out.unsigned_int(kNonce);
  out.bytes(claims.nonce);
  if (claims.tls_certificate_key_sha256) {
    out.unsigned_int(kTlsCertificateKey);
    out.bytes(*claims.tls_certificate_key_sha256);
  }
  if (claims.psk_identity_sha256) {
    out.unsigned_int(kPskIdentity);
    out.bytes(*claims.psk_identity_sha256);
  }
  if (claims.configuration_digest) {
    out.unsigned_int(kConfigurationDigest);
    out.bytes(*claims.configuration_digest);
  }
  if (claims.session_public_key) {
    out.unsigned_int(kSessionPublicKey);
    out.bytes(*claims.session_public_key);
  }
  if (claims.issued_at) {
    out.unsigned_int(kIssuedAt);
    out.unsigned_int(*claims.issued_at);
  }
  return out.take();
}

std::optional<Claims> parse_claims(std::span<const std::uint8_t> bytes, std::string& error) {
  auto fail = [&](std::string_view what) -> std::optional<Claims> {
    error = fmt::format("claims: {}", what);
    return std::nullopt;
  };
  if (bytes.size() > kMaxClaimsBytes) return fail("larger than 1024 bytes");
  if (!check_cbor_well_formed(bytes, 1, error)) return std::nullopt;
  cbor_load_result load{};
  const std::unique_ptr<cbor_item_t, ItemDeleter> root(
      cbor_load(bytes.data(), bytes.size(), &load));
  if (!root || load.error.code != CBOR_ERR_NONE) return fail("not CBOR");
  if (!cbor_isa_map(root.get())) return fail("not a map");
  const cbor_pair* pairs = cbor_map_handle(root.get());
  const std::size_t size = cbor_map_size(root.get());
  Claims claims;
  bool seen[kIssuedAt + 1] = {};
  for (std::size_t i = 0; i < size; ++i) {
    if (!cbor_isa_uint(pairs[i].key)) return fail("keys must be unsigned integers");
    const std::uint64_t key = cbor_get_int(pairs[i].key);
    if (key < kEvidenceType || key > kIssuedAt) return fail(fmt::format("unknown key {}", key));
    if (seen[key]) return fail(fmt::format("duplicate key {}", key));
    seen[key] = true;
    cbor_item_t* value = pairs[i].value;
    if (key == kEvidenceType) {
      if (!cbor_isa_string(value)) return fail("evidence type must be text");
      const std::string_view name(reinterpret_cast<const char*>(cbor_string_handle(value)),
                                  cbor_string_length(value));
      const auto type = evidence_type_from_string(name);
      if (!type) return fail(fmt::format("unknown evidence type '{}'", name));
      claims.evidence_type = *type;
      continue;
    }
    if (key == kIssuedAt) {
      if (!cbor_isa_uint(value)) return fail("key 9 (issued at) must be an unsigned integer");
      claims.issued_at = cbor_get_int(value);
      continue;
    }
    if (!cbor_isa_bytestring(value)) return fail(fmt::format("key {} must be bytes", key));
    const std::span<const std::uint8_t> data(cbor_bytestring_handle(value),
                                             cbor_bytestring_length(value));
    if (key == kModuleSha256) {
      if (data.size() != claims.module_sha256.size()) return fail("module SHA-256 is not 32 bytes");
      std::copy(data.begin(), data.end(), claims.module_sha256.begin());
    } else if (key == kTlsCertificateKey || key == kPskIdentity || key == kConfigurationDigest) {
      auto& digest = key == kTlsCertificateKey ? claims.tls_certificate_key_sha256
                     : key == kPskIdentity     ? claims.psk_identity_sha256
                                               : claims.configuration_digest;
      if (data.size() != 32) return fail(fmt::format("key {} is not a 32-byte SHA-256", key));
      digest.emplace();
      std::copy(data.begin(), data.end(), digest->begin());
    } else if (key == kSessionPublicKey) {
      claims.session_public_key.emplace(data.begin(), data.end());
    } else if (key == kBinder) {
      if (data.size() > kMaxBinderBytes) return fail("binder longer than 64 bytes");
      claims.binder.assign(data.begin(), data.end());
    } else {
      if (data.size() > kMaxNonceBytes) return fail("nonce longer than 64 bytes");
      claims.nonce.assign(data.begin(), data.end());
    }
  }
  for (std::uint64_t key = kEvidenceType; key <= kNonce; ++key) {
    if (!seen[key]) return fail(fmt::format("missing key {}", key));
  }
  const auto canonical = encode_claims(claims);
  if (!canonical || *canonical != std::vector<std::uint8_t>(bytes.begin(), bytes.end())) {
    return fail("not in canonical encoding (deterministic CBOR, keys in ascending order)");
  }
  return claims;
}

}  // namespace attestmq::attest
