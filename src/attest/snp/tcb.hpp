#pragma once
// TCB_VERSION (AMD SEV-SNP Firmware ABI specification 56860, section 2.2, "TCB Version"):
// the security patch levels of the firmware components, packed in 64 bits whose layout
// depends on the product. Milan and Genoa: byte 0 boot loader, 1 TEE, 6 SNP, 7 microcode.
// Turin adds the FMC: byte 0 FMC, 1 boot loader, 2 TEE, 3 SNP, 7 microcode.
#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "attest/snp/amd_product.hpp"

namespace attestmq::attest {

struct SnpTcb {
  std::optional<std::uint8_t> fmc;  // Turin and later only
  std::uint8_t bootloader = 0;
  std::uint8_t tee = 0;
  std::uint8_t snp = 0;
  std::uint8_t microcode = 0;
  bool operator==(const SnpTcb&) const = default;
};

SnpTcb decode_snp_tcb(std::uint64_t raw, AmdProduct product);

// "" when equal; otherwise names each component that differs with both values, e.g.
// "snp: report 5, VCEK 4".
std::string snp_tcb_mismatch(const SnpTcb& reported, const SnpTcb& vcek);

// "bl=2 tee=0 snp=5 ucode=68" (with "fmc=N " first when present).
std::string to_string(const SnpTcb& tcb);

// Claims "<prefix>" (raw value, hex) and "<prefix>.bootloader", ".tee", ".snp", ".microcode"
// and, when present, ".fmc" (decimal).
void add_snp_tcb_claims(const std::string& prefix, std::uint64_t raw, const SnpTcb& tcb,
                        std::map<std::string, std::string>& claims);

}  // namespace attestmq::attest
