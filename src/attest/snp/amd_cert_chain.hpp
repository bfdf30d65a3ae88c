#pragma once
// The SEV-SNP certificate chain: VCEK <- ASK <- ARK, the ARK pinned per product (AMD
// "Versioned Chip Endorsement Key (VCEK) Certificate and KDS Interface Specification"
// 57230, section 2: ARK and ASK are RSA-4096 keys signing with RSASSA-PSS and SHA-384).
#include <ctime>
#include <optional>

#include "attest/common/verification.hpp"
#include "attest/snp/amd_certs.hpp"
#include "attest/snp/amd_product.hpp"
#include "attest/snp/verify_options.hpp"

namespace attestmq::attest {

struct AmdCertChain {
  AmdProduct product = AmdProduct::milan;
  X509Ptr vcek;
  X509Ptr ask;
  X509Ptr ark;  // the pinned root
};

// Sorts the supplied certificates into VCEK, ASK and ARK by subject CN, pins the root
// (options.ark_pem, else the built-in ARK of the product the ASK names), and checks every
// link and every validity period at `at`. Each step is recorded in `result` under its own
// name: certs.parse, certs.roles, certs.vcek, certs.ask, chain.ark_pinned,
// chain.ark_self_signed, chain.ask_signed_by_ark, chain.vcek_signed_by_ask, chain.validity,
// then the ASK's revocation against the ARK's CRL (check_revocation with prefix "chain":
// chain.crl.present, chain.crl.signature, chain.crl.validity, chain.revocation). The built-in
// ARK is pinned by its SHA-256 fingerprint.
// Returns the chain only when all of them passed; adds claims "product" and
// "chain.0.subject" (VCEK) to "chain.2.subject" (ARK).
std::optional<AmdCertChain> verify_amd_cert_chain(const SnpVerifyOptions& options, std::time_t at,
                                                  VerificationResult& result);

}  // namespace attestmq::attest
