#include "attest/snp/report_verifier.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <ctime>

#include "attest/common/hex.hpp"
#include "attest/snp/amd_cert_chain.hpp"
#include "attest/snp/guest_policy.hpp"
#include "attest/snp/report.hpp"
#include "attest/snp/signature.hpp"
#include "attest/snp/tcb.hpp"
#include "attest/snp/vcek_extensions.hpp"

namespace attestmq::attest {
namespace {

const char* parse_check_name(SnpReportDefect defect) {
  switch (defect) {
    case SnpReportDefect::size: return "report.size";
    case SnpReportDefect::version: return "report.version";
    case SnpReportDefect::signature_algo: return "report.signature_algo";
    case SnpReportDefect::none: break;
  }
  return "report.parse";
}

bool check_signing_key(const SnpReport& report, VerificationResult& result) {
  const auto key = static_cast<SnpSigningKey>(report.signing_key);
  if (key == SnpSigningKey::vcek)
    return result.check("report.signing_key", true, "signed by the VCEK");
  const char* why = key == SnpSigningKey::vlek
                        ? "signed by a VLEK, which this verifier does not accept"
                    : key == SnpSigningKey::none ? "the report says it is not signed"
                                                 : "SIGNING_KEY holds a reserved value";
  return result.check("report.signing_key", false,
                      fmt::format("{} (SIGNING_KEY = {})", why, report.signing_key));
}

// The hwID extension holds CHIP_ID; Turin's is the first 8 bytes of it. MASK_CHIP_KEY
// zeroes CHIP_ID in the report, and then there is nothing to bind the VCEK to.
bool check_chip_id(const SnpReport& report, const VcekExtensions& vcek,
                   VerificationResult& result) {
  if (report.mask_chip_key) {
    return result.check(
        "chip_id.vcek_match", false,
        "MASK_CHIP_KEY is set: the report hides CHIP_ID, so it cannot be bound to the VCEK");
  }
  const std::span<const std::uint8_t> chip_id(report.chip_id);
  const bool same = vcek.hardware_id.size() <= chip_id.size() &&
                    std::equal(vcek.hardware_id.begin(), vcek.hardware_id.end(), chip_id.begin());
  return result.check("chip_id.vcek_match", same,
                      same ? "CHIP_ID equals the VCEK's hwID"
                           : fmt::format("CHIP_ID {} differs from the VCEK's hwID {}",
                                         to_hex(chip_id), to_hex(vcek.hardware_id)));
}

void add_report_claims(const SnpReport& report, AmdProduct product, VerificationResult& result) {
  auto& claims = result.claims;
  claims["version"] = std::to_string(report.version);
  claims["guest_svn"] = std::to_string(report.guest_svn);
  claims["vmpl"] = std::to_string(report.vmpl);
  claims["measurement"] = to_hex(report.measurement);
  claims["report_data"] = to_hex(report.report_data);
  claims["host_data"] = to_hex(report.host_data);
  claims["chip_id"] = to_hex(report.chip_id);
  claims["family_id"] = to_hex(report.family_id);
  claims["image_id"] = to_hex(report.image_id);
  claims["id_key_digest"] = to_hex(report.id_key_digest);
  claims["author_key_digest"] = to_hex(report.author_key_digest);
  claims["author_key_en"] = report.author_key_en ? "true" : "false";
  claims["report_id"] = to_hex(report.report_id);
  claims["report_id_ma"] = to_hex(report.report_id_ma);
  add_snp_policy_claims(report.policy, claims);
  add_snp_platform_info_claims(report.platform_info, claims);
  const std::pair<const char*, std::uint64_t> tcbs[] = {{"current_tcb", report.current_tcb},
                                                        {"reported_tcb", report.reported_tcb},
                                                        {"committed_tcb", report.committed_tcb},
                                                        {"launch_tcb", report.launch_tcb}};
  for (const auto& [name, raw] : tcbs) {
    add_snp_tcb_claims(name, raw, decode_snp_tcb(raw, product), claims);
  }
  if (report.cpuid_family) {
    claims["cpuid_family"] = fmt::format("{:#04x}", *report.cpuid_family);
    claims["cpuid_model"] = fmt::format("{:#04x}", *report.cpuid_model);
    claims["cpuid_stepping"] = fmt::format("{:#04x}", *report.cpuid_stepping);
  }
  claims["current_firmware"] =
      fmt::format("{}.{}.{}", report.current_major, report.current_minor, report.current_build);
  claims["committed_firmware"] = fmt::format("{}.{}.{}", report.committed_major,
                                             report.committed_minor, report.committed_build);
}

}  // namespace

VerificationResult verify_snp_report(std::span<const std::uint8_t> bytes,
                                     const SnpVerifyOptions& options) {
  VerificationResult result;
  result.type = EvidenceType::snp;
  const SnpReportParse parsed = parse_snp_report(bytes);
  if (!parsed.report) {
    result.check(parse_check_name(parsed.defect), false, parsed.error);
    return result;
  }
  const SnpReport& report = *parsed.report;
  result.check("report.format", true,
               fmt::format("SEV-SNP report version {}, ECDSA P-384 with SHA-384", report.version));
  if (!check_signing_key(report, result)) return result;

  const std::time_t at =
      options.at_unix != 0 ? static_cast<std::time_t>(options.at_unix) : std::time(nullptr);
  const std::optional<AmdCertChain> chain = verify_amd_cert_chain(options, at, result);
  if (!chain) return result;

  const std::string signature_problem =
      snp_signature_problem(bytes, report, X509_get0_pubkey(chain->vcek.get()));
  if (!result.check("report.signature", signature_problem.empty(),
                    signature_problem.empty() ? "ECDSA P-384 signature by the VCEK verifies"
                                              : signature_problem)) {
    return result;
  }
  add_report_claims(report, chain->product, result);

  const VcekExtensionsRead vcek = read_vcek_extensions(chain->vcek.get(), chain->product);
  if (!result.check("vcek.extensions", vcek.extensions.has_value(),
                    vcek.extensions ? "VCEK TCB and hwID extensions read" : vcek.error)) {
    return result;
  }
  const SnpTcb reported = decode_snp_tcb(report.reported_tcb, chain->product);
  const std::string mismatch = snp_tcb_mismatch(reported, vcek.extensions->tcb);
  if (!result.check(
          "tcb.vcek_match", mismatch.empty(),
          mismatch.empty()
              ? fmt::format("REPORTED_TCB equals the VCEK's TCB ({})", to_string(reported))
              : fmt::format("REPORTED_TCB differs from the VCEK's TCB: {}", mismatch))) {
    return result;
  }
  check_chip_id(report, *vcek.extensions, result);
  return result;
}

}  // namespace attestmq::attest
