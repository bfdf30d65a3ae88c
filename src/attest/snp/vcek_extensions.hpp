#pragma once
// The AMD-specific extensions of a VCEK certificate (AMD "Versioned Chip Endorsement Key
// (VCEK) Certificate and KDS Interface Specification" 57230, section 3.1, table
// "VCEK Certificate Extensions"): the TCB the key was derived for and the chip it belongs
// to. They bind the VCEK, and so the report it signed, to one chip at one patch level.
#include <openssl/x509.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "attest/snp/amd_product.hpp"
#include "attest/snp/tcb.hpp"

namespace attestmq::attest {

struct VcekExtensions {
  SnpTcb tcb;
  std::vector<std::uint8_t> hardware_id;  // hwID: the CHIP_ID (64 bytes; 8 on Turin)
};

struct VcekExtensionsRead {
  std::optional<VcekExtensions> extensions;
  std::string error;  // which extension is missing, repeated or malformed
};

// Reads blSPL, teeSPL, snpSPL, ucodeSPL (and fmcSPL on Turin) as DER INTEGERs in 0..255,
// and hwID as raw octets of the size the product uses.
VcekExtensionsRead read_vcek_extensions(const X509* vcek, AmdProduct product);

}  // namespace attestmq::attest
