#pragma once
// The report signature (AMD SEV-SNP Firmware ABI specification 56860, section 7.3 and
// appendix "Digital Signatures"): ECDSA P-384 with SHA-384 over bytes [0, 0x2A0), r and s
// stored as 72-byte little-endian integers.
#include <openssl/evp.h>

#include <cstdint>
#include <span>
#include <string>

#include "attest/snp/report.hpp"

namespace attestmq::attest {

// Why the signature of `report` (parsed from `bytes`) does not verify with `vcek_key`: a
// key that is not EC P-384, or a signature that does not match. "" when it verifies.
std::string snp_signature_problem(std::span<const std::uint8_t> bytes, const SnpReport& report,
                                  EVP_PKEY* vcek_key);

}  // namespace attestmq::attest
