#pragma once
// A VCEK <- ASK <- ARK chain made here with OpenSSL, named like AMD's (CN ARK-<product>,
// SEV-<product>, SEV-VCEK, RSASSA-PSS SHA-384 signatures) but with keys the test holds, so
// a test can sign a report whose fields disagree with the VCEK's extensions and reach the
// checks behind the signature. Its ARK is pinned through SnpVerifyOptions::ark_pem, and a
// CRL signed by it stands in for AMD's KDS CRL: no real AMD CRL is among the test vectors
// (tests/data/attest/go-sev-guest-milan/SOURCE.txt).
#include <openssl/evp.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/snp/amd_certs.hpp"
#include "attest/snp/amd_product.hpp"
#include "attest/snp/verify_options.hpp"

namespace attestmq::attest::snp_test {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

// What goes into the VCEK: a DER-encoded extension value per OID (absent OIDs are left
// out, so a test can drop or repeat one), and the curve of its key.
struct SyntheticVcek {
  std::vector<std::pair<std::string, std::vector<std::uint8_t>>> extensions;
  const char* curve = "P-384";
  bool ask_is_ca = true;
};

// The extensions a real VCEK for `product` at `tcb` (TCB_VERSION as in the report) on chip
// `hardware_id` carries.
SyntheticVcek vcek_for(AmdProduct product, std::uint64_t tcb,
                       std::vector<std::uint8_t> hardware_id);

// A DER INTEGER, as the SPL extensions hold.
std::vector<std::uint8_t> der_integer(int value);

struct SyntheticChain {
  AmdProduct product = AmdProduct::milan;
  EvpPkeyPtr vcek_key;
  X509Ptr ark, ask;
  EVP_PKEY* ark_key = nullptr;  // shared by every chain of the test binary
  // certs = VCEK (DER) and ASK+ARK (PEM); ark_pem = the ARK; crls = one DER CRL by the ARK,
  // current at `at`, listing nothing.
  SnpVerifyOptions options;
};

SyntheticChain make_synthetic_chain(AmdProduct product, const SyntheticVcek& vcek, std::int64_t at);

// Signs report[0, 0x2A0) with `key` and stores r and s little-endian at 0x2A0.
void sign_report(std::vector<std::uint8_t>& report, EVP_PKEY* key);

}  // namespace attestmq::attest::snp_test
