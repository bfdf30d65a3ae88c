#pragma once
// The verification dispatcher behind `attestmq verify` and `attestmq attest`: recognises
// raw quotes/reports and AttestMQ envelopes, runs the platform verifier, checks the
// envelope's REPORTDATA binding, then applies the policy.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "attest/common/verification.hpp"
#include "attest/policy/policy.hpp"

namespace attestmq::attest {

struct VerifyRequest {
  std::optional<EvidenceType> type;              // nullopt: detect from the bytes
  std::optional<std::string> root_pem;           // overrides the built-in and the policy's root
  std::vector<std::vector<std::uint8_t>> certs;  // PEM or DER files (SNP: VCEK, ASK, ARK)
  std::vector<std::vector<std::uint8_t>> crls;   // PEM or DER CRLs (--crl), for any chain
  std::optional<std::string> collateral_json;    // Intel PCS-style collateral bundle
  std::int64_t at_unix = 0;                      // 0: now
  Policy policy;                                 // defaults: see policy.hpp
  // In a live session, the binder and nonce the envelope must carry.
  std::optional<std::vector<std::uint8_t>> expected_binder;
  std::optional<std::vector<std::uint8_t>> expected_nonce;
};

enum class EvidenceFormat { envelope, sgx_quote, tdx_quote, snp_report, sim_report };

// From the bytes alone: SGX quote v3/v4 (TEE type 0), TDX quote v4/v5 (TEE type 0x81), SNP
// report (version 2..5, at least 1184 bytes), sim report ("AMQS"), envelope (CBOR map).
std::optional<EvidenceFormat> detect_evidence_format(std::span<const std::uint8_t> bytes);

VerificationResult verify_evidence(std::span<const std::uint8_t> input,
                                   const VerifyRequest& request);

// verify_evidence in two halves, for verifiers that add checks between them (the session
// protocol, docs/attestation.md section 7.5): the platform checks and, for an envelope,
// `envelope.*`; then "verified_at" and the `policy.*` checks, on a result still valid.
VerificationResult verify_evidence_before_policy(std::span<const std::uint8_t> input,
                                                 const VerifyRequest& request);
void apply_request_policy(const VerifyRequest& request, VerificationResult& result);

}  // namespace attestmq::attest
