#pragma once
// The Intel SGX extension of a PCK certificate (OID 1.2.840.113741.1.13.1, Intel SGX PCK
// Certificate and CRL Profile, section "Intel SGX PCK Certificate"): the platform's TCB
// (sixteen CPUSVN components and PCESVN), CPUSVN, PCE-ID and FMSPC.
#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include <openssl/x509.h>

namespace attestmq::attest {

struct PckTcb {
  std::array<std::uint8_t, 16> cpusvn_components{};  // SGX TCB Comp01..16 SVN
  std::uint16_t pcesvn = 0;
  std::array<std::uint8_t, 16> cpusvn{};
};

struct PckExtensions {
  PckTcb tcb;
  std::array<std::uint8_t, 6> fmspc{};
  std::array<std::uint8_t, 2> pce_id{};
};

struct PckExtensionsResult {
  std::optional<PckExtensions> value;
  std::string error;  // why the extension is missing or malformed
};

PckExtensionsResult parse_pck_extensions(X509* pck_leaf);

}  // namespace attestmq::attest
