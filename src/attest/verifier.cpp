#include "attest/verifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "attest/common/hex.hpp"
#include "attest/common/iso8601.hpp"
#include "attest/common/text_file.hpp"
#include "attest/dcap/sgx_quote_verifier.hpp"
#include "attest/dcap/tdx_quote_verifier.hpp"
#include "attest/envelope/envelope.hpp"
#include "attest/envelope/report_data.hpp"
#include "attest/sim/sim_report.hpp"
#include "attest/sim/sim_verifier.hpp"
#include "attest/snp/report_verifier.hpp"

namespace attestmq::attest {

namespace {

// AMD SEV-SNP ABI (56860), Table 22: the ATTESTATION_REPORT structure is 0x4A0 bytes.
constexpr std::size_t kSnpReportBytes = 0x4a0;
constexpr std::size_t kQuoteHeaderBytes = 48;
constexpr std::uint32_t kTeeTypeSgx = 0x00;
constexpr std::uint32_t kTeeTypeTdx = 0x81;

std::uint32_t le32(std::span<const std::uint8_t> bytes, std::size_t at) {
  return std::uint32_t{bytes[at]} | std::uint32_t{bytes[at + 1]} << 8 |
         std::uint32_t{bytes[at + 2]} << 16 | std::uint32_t{bytes[at + 3]} << 24;
}

EvidenceType type_of(EvidenceFormat format) {
  switch (format) {
    case EvidenceFormat::sgx_quote:
      return EvidenceType::sgx;
    case EvidenceFormat::tdx_quote:
      return EvidenceType::tdx;
    case EvidenceFormat::snp_report:
      return EvidenceType::snp;
    case EvidenceFormat::sim_report:
    case EvidenceFormat::envelope:
      break;
  }
  return EvidenceType::sim;
}

// The root to pin for `type`: --root first, then the policy's pinned_roots, else none
// (the platform verifiers fall back to the built-in production roots).
std::optional<std::string> pinned_root(const VerifyRequest& request, EvidenceType type,
                                       VerificationResult& result) {
  if (request.root_pem) return request.root_pem;
  const auto found = request.policy.pinned_roots.find(type);
  if (found == request.policy.pinned_roots.end()) return std::nullopt;
  if (const auto loaded = request.policy.pinned_root_pems.find(type);
      loaded != request.policy.pinned_root_pems.end()) {
    result.check("policy.pinned_root", true,
                 fmt::format("pinned root {} as read at startup", found->second.string()));
    return loaded->second;
  }
  auto pem = read_text_file(found->second);
  result.check(
      "policy.pinned_root", pem.has_value(),
      fmt::format("pinned root {} {}", found->second.string(), pem ? "read" : "cannot be read"));
  return pem;
}

VerificationResult verify_with_root(std::span<const std::uint8_t> evidence, EvidenceType type,
                                    const VerifyRequest& request,
                                    const std::optional<std::string>& root);

VerificationResult verify_platform(std::span<const std::uint8_t> evidence, EvidenceType type,
                                   const VerifyRequest& request) {
  VerificationResult root_result;
  const auto root = pinned_root(request, type, root_result);
  if (!root_result.checks.empty() && !root_result.valid()) return root_result;
  VerificationResult result = verify_with_root(evidence, type, request, root);
  result.checks.insert(result.checks.begin(), root_result.checks.begin(), root_result.checks.end());
  return result;
}

VerificationResult verify_with_root(std::span<const std::uint8_t> evidence, EvidenceType type,
                                    const VerifyRequest& request,
                                    const std::optional<std::string>& root) {
  switch (type) {
    case EvidenceType::sgx:
    case EvidenceType::tdx: {
      IntelVerifyOptions options;
      options.root_pem = root;
      options.collateral_json = request.collateral_json;
      for (const auto& crl : request.crls) {
        options.crl_der_or_pem.emplace_back(crl.begin(), crl.end());
      }
      options.revocation = request.policy.revocation;
      options.at_unix = request.at_unix;
      return type == EvidenceType::sgx ? verify_sgx_quote(evidence, options)
                                       : verify_tdx_quote(evidence, options);
    }
    case EvidenceType::snp: {
      SnpVerifyOptions options;
      options.ark_pem = root;
      options.certs = request.certs;
      options.crls = request.crls;
      options.revocation = request.policy.revocation;
      options.at_unix = request.at_unix;
      return verify_snp_report(evidence, options);
    }
    case EvidenceType::sim:
      return verify_sim_report(evidence, root);
  }
  return {};
}

void check_binding(const Claims& claims, const VerifyRequest& request, VerificationResult& result) {
  const auto expected = compute_report_data(claims);
  const auto found = result.claims.find("report_data");
  const bool bound = expected && found != result.claims.end() && found->second == to_hex(*expected);
  if (!result.check("envelope.report_data", bound,
                    bound ? "REPORTDATA = SHA-512(label, binder, SHA-256(claims))"
                          : "the evidence's REPORTDATA does not commit to the envelope's claims")) {
    return;
  }
  if (request.expected_binder) {
    result.check("envelope.binder", claims.binder == *request.expected_binder,
                 "binder matches this session");
  }
  if (request.expected_nonce) {
    result.check("envelope.nonce", claims.nonce == *request.expected_nonce,
                 "nonce matches the challenge");
  }
}

}  // namespace

std::optional<EvidenceFormat> detect_evidence_format(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return std::nullopt;
  // RFC 8949 section 3.1: major type 5 (map) with a definite length.
  if (bytes[0] >= 0xa0 && bytes[0] <= 0xbb) return EvidenceFormat::envelope;
  if (bytes.size() >= kSimMagic.size() &&
      std::equal(kSimMagic.begin(), kSimMagic.end(), bytes.begin())) {
    return EvidenceFormat::sim_report;
  }
  if (bytes.size() >= kQuoteHeaderBytes) {
    // Intel DCAP quote header: version (u16), attestation key type (u16), TEE type (u32).
    const unsigned version = bytes[0] | bytes[1] << 8;
    const std::uint32_t tee_type = le32(bytes, 4);
    if ((version == 3 || version == 4) && tee_type == kTeeTypeSgx && bytes[2] != 0) {
      return EvidenceFormat::sgx_quote;
    }
    if ((version == 4 || version == 5) && tee_type == kTeeTypeTdx) {
      return EvidenceFormat::tdx_quote;
    }
  }
  if (bytes.size() >= kSnpReportBytes) {
    const std::uint32_t version = le32(bytes, 0);
    if (version >= 2 && version <= 5) return EvidenceFormat::snp_report;
  }
  return std::nullopt;
}

VerificationResult verify_evidence_before_policy(std::span<const std::uint8_t> input,
                                                 const VerifyRequest& request) {
  const auto format = detect_evidence_format(input);
  VerifyRequest effective = request;
  std::optional<Envelope> envelope;
  std::span<const std::uint8_t> evidence = input;
  EvidenceType type = request.type.value_or(EvidenceType::sim);
  if (format == EvidenceFormat::envelope) {
    std::string error;
    envelope = parse_envelope(input, error);
    if (!envelope) {
      VerificationResult failed;
      failed.check("envelope.format", false, error);
      return failed;
    }
    type = envelope->claims.evidence_type;
    if (request.type && *request.type != type) {
      VerificationResult failed;
      failed.type = type;
      failed.check("envelope.type", false,
                   fmt::format("envelope carries {} evidence, --type asked for {}", to_string(type),
                               to_string(*request.type)));
      return failed;
    }
    evidence = envelope->evidence;
    if (const auto& collateral = envelope->collateral) {
      if (collateral->media_type == kIntelCollateralMediaType && !effective.collateral_json) {
        effective.collateral_json = std::string(collateral->bytes.begin(), collateral->bytes.end());
      } else if (collateral->media_type == kCertificateChainMediaType) {
        effective.certs.push_back(collateral->bytes);
      }
    }
  } else if (!request.type) {
    if (!format) {
      VerificationResult failed;
      failed.check("evidence.type", false,
                   "not recognised as an SGX or TDX quote, SNP report, sim report or envelope; "
                   "give --type");
      return failed;
    }
    type = *format == EvidenceFormat::sim_report ? EvidenceType::sim : type_of(*format);
  }

  VerificationResult result = verify_platform(evidence, type, effective);
  result.type = type;
  if (envelope && result.valid()) {
    result.claims["module_sha256"] = to_hex(envelope->claims.module_sha256);
    if (envelope->claims.configuration_digest) {
      result.claims["configuration_digest"] = to_hex(*envelope->claims.configuration_digest);
    }
    result.claims["binder"] = to_hex(envelope->claims.binder);
    result.claims["nonce"] = to_hex(envelope->claims.nonce);
    check_binding(envelope->claims, effective, result);
  }
  return result;
}

void apply_request_policy(const VerifyRequest& request, VerificationResult& result) {
  if (!result.valid()) return;
  const std::int64_t now = request.at_unix != 0 ? request.at_unix : std::time(nullptr);
  result.claims["verified_at"] = format_iso8601_utc(now);
  apply_policy(request.policy, result);
}

VerificationResult verify_evidence(std::span<const std::uint8_t> input,
                                   const VerifyRequest& request) {
  VerificationResult result = verify_evidence_before_policy(input, request);
  apply_request_policy(request, result);
  return result;
}

}  // namespace attestmq::attest
