#include "attest/snp/tcb.hpp"

#include <fmt/format.h>

namespace attestmq::attest {
namespace {

std::uint8_t byte_at(std::uint64_t raw, unsigned index) {
  return static_cast<std::uint8_t>(raw >> (8 * index));
}

void note_mismatch(std::string& out, const char* name, unsigned reported, unsigned vcek) {
  if (reported == vcek) return;
  if (!out.empty()) out += ", ";
  out += fmt::format("{}: report {}, VCEK {}", name, reported, vcek);
}

}  // namespace

SnpTcb decode_snp_tcb(std::uint64_t raw, AmdProduct product) {
  SnpTcb tcb;
  if (product == AmdProduct::turin) {
    tcb.fmc = byte_at(raw, 0);
    tcb.bootloader = byte_at(raw, 1);
    tcb.tee = byte_at(raw, 2);
    tcb.snp = byte_at(raw, 3);
  } else {
    tcb.bootloader = byte_at(raw, 0);
    tcb.tee = byte_at(raw, 1);
    tcb.snp = byte_at(raw, 6);
  }
  tcb.microcode = byte_at(raw, 7);
  return tcb;
}

std::string snp_tcb_mismatch(const SnpTcb& reported, const SnpTcb& vcek) {
  std::string out;
  if (reported.fmc.has_value() != vcek.fmc.has_value()) {
    out = fmt::format("fmc: {} in the report, {} in the VCEK", reported.fmc ? "present" : "absent",
                      vcek.fmc ? "present" : "absent");
  } else if (reported.fmc) {
    note_mismatch(out, "fmc", *reported.fmc, *vcek.fmc);
  }
  note_mismatch(out, "bootloader", reported.bootloader, vcek.bootloader);
  note_mismatch(out, "tee", reported.tee, vcek.tee);
  note_mismatch(out, "snp", reported.snp, vcek.snp);
  note_mismatch(out, "microcode", reported.microcode, vcek.microcode);
  return out;
}

std::string to_string(const SnpTcb& tcb) {
  std::string out = tcb.fmc ? fmt::format("fmc={} ", *tcb.fmc) : std::string{};
  out +=
      fmt::format("bl={} tee={} snp={} ucode={}", tcb.bootloader, tcb.tee, tcb.snp, tcb.microcode);
  return out;
}

void add_snp_tcb_claims(const std::string& prefix, std::uint64_t raw, const SnpTcb& tcb,
                        std::map<std::string, std::string>& claims) {
  claims[prefix] = fmt::format("{:#018x}", raw);
  if (tcb.fmc) claims[prefix + ".fmc"] = std::to_string(*tcb.fmc);
  claims[prefix + ".bootloader"] = std::to_string(tcb.bootloader);
  claims[prefix + ".tee"] = std::to_string(tcb.tee);
  claims[prefix + ".snp"] = std::to_string(tcb.snp);
  claims[prefix + ".microcode"] = std::to_string(tcb.microcode);
}

}  // namespace attestmq::attest
