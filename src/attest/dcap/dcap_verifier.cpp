#include "attest/dcap/dcap_verifier.hpp"

#include <algorithm>
#include <ctime>

#include "attest/common/ecdsa_p256.hpp"
#include "attest/common/hex.hpp"
#include "attest/common/iso8601.hpp"
#include "attest/common/revocation.hpp"
#include "attest/common/x509_chain.hpp"
#include "attest/dcap/collateral.hpp"
#include "attest/dcap/intel_root_ca.hpp"
#include "attest/dcap/pck_extensions.hpp"
#include "attest/dcap/report_body.hpp"
#include "attest/dcap/tcb_evaluation.hpp"

namespace attestmq::attest {
namespace {

// Everything the later steps need from the earlier ones.
struct Context {
  DcapQuote quote;
  std::vector<X509Ptr> pck_chain;  // leaf, Platform or Processor CA, root
  X509Ptr root;
  std::vector<X509CrlPtr> given_crls;  // IntelVerifyOptions::crl_der_or_pem
  std::time_t at = 0;
};

bool check_quote_signature(const Context& c, VerificationResult& r) {
  auto key = p256_key_from_raw(c.quote.attestation_key);
  if (!r.check("quote.attestation_key", key != nullptr,
               "attestation key is a point on P-256")) {
    return false;
  }
  return r.check("quote.signature",
                 verify_ecdsa_sha256_raw(key.get(), c.quote.signed_data, c.quote.signature),
                 "ECDSA-P256 signature by the attestation key over the " +
                     std::to_string(c.quote.signed_data.size()) + " bytes of header and body");
}

// The QE binds the attestation key into its own report: REPORTDATA = SHA-256(attestation key
// || QE authentication data) || 32 zero bytes (SGX ECDSA Quote Library API, QE report).
bool check_qe_report_data(const Context& c, VerificationResult& r) {
  std::vector<std::uint8_t> bound(c.quote.attestation_key.begin(), c.quote.attestation_key.end());
  bound.insert(bound.end(), c.quote.qe_auth_data.begin(), c.quote.qe_auth_data.end());
  auto report_data = sgx_report::report_data.in(c.quote.qe_report);
  const std::string expected = sha256_hex(bound) + std::string(64, '0');
  return r.check("qe_report.report_data", to_hex(report_data) == expected,
                 "QE REPORTDATA is SHA-256(attestation key || QE auth data) || 0^32");
}

bool load_pck_chain(Context& c, VerificationResult& r) {
  const std::string_view pem(reinterpret_cast<const char*>(c.quote.pck_chain_pem.data()),
                             c.quote.pck_chain_pem.size());
  c.pck_chain = parse_pem_certificates(pem);
  if (!r.check("pck.chain.format", c.pck_chain.size() == 3,
               "certification data holds " + std::to_string(c.pck_chain.size()) +
                   " PEM certificates; a PCK chain has 3 (leaf, CA, root)")) {
    return false;
  }
  const std::string leaf = certificate_common_name(c.pck_chain[0].get());
  const std::string ca = certificate_common_name(c.pck_chain[1].get());
  return r.check("pck.chain.format",
                 leaf == "Intel SGX PCK Certificate" &&
                     (ca == "Intel SGX PCK Platform CA" || ca == "Intel SGX PCK Processor CA"),
                 "leaf \"" + leaf + "\" issued by \"" + ca + "\"");
}

bool load_root(Context& c, const IntelVerifyOptions& options, VerificationResult& r) {
  const bool custom = options.root_pem.has_value();
  auto roots = parse_pem_certificates(custom ? std::string_view(*options.root_pem)
                                             : intel_sgx_root_ca_pem());
  if (!r.check("pck.root", roots.size() == 1,
               !custom ? "built-in Intel SGX Root CA"
               : roots.size() == 1 ? "the given root certificate"
                                   : "the given root must be exactly one PEM certificate")) {
    return false;
  }
  c.root = std::move(roots.front());
  r.claims["root.sha256"] = certificate_sha256_fingerprint(c.root.get());
  return true;
}

bool check_qe_report_signature(const Context& c, VerificationResult& r) {
  return r.check("qe_report.signature",
                 verify_ecdsa_sha256_raw(X509_get0_pubkey(c.pck_chain[0].get()), c.quote.qe_report,
                                         c.quote.qe_report_signature),
                 "ECDSA-P256 signature over the QE report by the PCK certificate's key");
}

bool load_given_crls(Context& c, const IntelVerifyOptions& options, VerificationResult& r) {
  for (const auto& text : options.crl_der_or_pem) {
    auto crl = parse_crl(text);
    if (!r.check("pck.crl.format", crl != nullptr,
                 crl ? "a given CRL parsed" : "a given CRL is neither PEM nor DER")) {
      return false;
    }
    c.given_crls.push_back(std::move(crl));
  }
  return true;
}

std::vector<X509_CRL*> given_crls(const Context& c) {
  std::vector<X509_CRL*> crls;
  for (const auto& crl : c.given_crls) crls.push_back(crl.get());
  return crls;
}

// Every certificate of the PCK chain below the root against its issuer's CRL: the PCK CA's
// (pck_crl) for the leaf, the root's (root_ca_crl) for the CA.
bool check_pck_revocation(const Context& c, const IntelVerifyOptions& options,
                          const std::optional<Collateral>& collateral, VerificationResult& r) {
  std::vector<X509_CRL*> crls = given_crls(c);
  if (collateral) {
    for (const auto& crl : collateral->crls) crls.push_back(crl.get());
  }
  return check_revocation("pck", chain_links(c.pck_chain), crls, c.at, options.revocation, r);
}

void add_collateral_claims(const Collateral& collateral, VerificationResult& r) {
  r.claims["collateral.issue_date"] = format_iso8601_utc(collateral.issue_date());
  r.claims["collateral.tcb_info.issue_date"] =
      format_iso8601_utc(collateral.tcb_info_validity.issue_date);
  r.claims["collateral.qe_identity.issue_date"] =
      format_iso8601_utc(collateral.qe_identity_validity.issue_date);
}

bool check_qe_identity(const Context& c, const QeIdentity& id, VerificationResult& r,
                       std::string& qe_status) {
  const char* expected_id = c.quote.tee == DcapTee::sgx ? "QE" : "TD_QE";
  if (!r.check("qe_identity.type", id.id == expected_id,
               "Enclave Identity " + id.id + ", expected " + expected_id)) {
    return false;
  }
  const auto report = c.quote.qe_report;
  auto mrsigner = sgx_report::mrsigner.in(report);
  if (!r.check("qe_identity.mrsigner", std::equal(mrsigner.begin(), mrsigner.end(), id.mrsigner.begin()),
               "QE MRSIGNER " + to_hex(mrsigner) + ", expected " + to_hex(id.mrsigner))) {
    return false;
  }
  const std::uint16_t prod = read_le16(sgx_report::isv_prod_id.in(report));
  if (!r.check("qe_identity.isv_prod_id", prod == id.isv_prod_id,
               "QE ISVPRODID " + std::to_string(prod) + ", expected " +
                   std::to_string(id.isv_prod_id))) {
    return false;
  }
  auto misc_bytes = sgx_report::miscselect.in(report);
  const std::uint32_t misc = static_cast<std::uint32_t>(misc_bytes[0]) | misc_bytes[1] << 8 |
                             misc_bytes[2] << 16 | static_cast<std::uint32_t>(misc_bytes[3]) << 24;
  if (!r.check("qe_identity.miscselect",
               (misc & id.miscselect_mask) == (id.miscselect & id.miscselect_mask),
               "QE MISCSELECT under the identity's mask")) {
    return false;
  }
  auto attributes = sgx_report::attributes.in(report);
  bool attributes_match = true;
  for (std::size_t i = 0; i < 16; ++i) {
    attributes_match &= (attributes[i] & id.attributes_mask[i]) ==
                        (id.attributes[i] & id.attributes_mask[i]);
  }
  if (!r.check("qe_identity.attributes", attributes_match,
               "QE ATTRIBUTES " + to_hex(attributes) + " under the identity's mask")) {
    return false;
  }
  const std::uint16_t svn = read_le16(sgx_report::isv_svn.in(report));
  const QeIdentityLevel* level = select_qe_level(id, svn);
  if (!r.check("qe_identity.tcb", level != nullptr && level->status != "Revoked",
               "QE ISVSVN " + std::to_string(svn) + " -> " +
                   (level ? level->status : std::string("below every TCB level")))) {
    return false;
  }
  qe_status = level->status;
  r.claims["qe_identity.tcb_status"] = qe_status;
  return true;
}

// TCB Info v3 for TDX: the SEAM's signer and attributes must be those of the expected TDX
// module (QVL 4.1.2.4.11); a module with a version (TEE_TCB_SVN[1] > 0) has TCB levels of its
// own, indexed by TEE_TCB_SVN[0].
bool check_tdx_module(const Context& c, const TcbInfo& info, VerificationResult& r,
                      std::string& module_status) {
  auto tee_tcb_svn = tdx_report::tee_tcb_svn.in(c.quote.body);
  const std::uint8_t version = tee_tcb_svn[1];
  const std::string name = version == 0 ? "tdxModule" : tdx_module_identity_id(version);
  const TdxModuleIdentity* module = expected_tdx_module(info, version);
  if (!r.check("tcb.tdx_module", module != nullptr,
               module ? "TCB Info has " + name : "TCB Info has no " + name)) {
    return false;
  }
  auto mrsigner = tdx_report::mrsignerseam.in(c.quote.body);
  auto seam_attributes = tdx_report::seam_attributes.in(c.quote.body);
  bool match = std::equal(mrsigner.begin(), mrsigner.end(), module->mrsigner.begin(),
                          module->mrsigner.end());
  for (std::size_t i = 0; i < seam_attributes.size(); ++i) {
    match &= (seam_attributes[i] & module->attributes_mask[i]) ==
             (module->attributes[i] & module->attributes_mask[i]);
  }
  if (!r.check("tcb.tdx_module", match,
               "MRSIGNERSEAM " + to_hex(mrsigner) + " and SEAMATTRIBUTES " +
                   to_hex(seam_attributes) + (match ? " match " : " do not match ") + name)) {
    return false;
  }
  if (version == 0) return true;
  const TdxModuleLevel* level = select_tdx_module_level(*module, tee_tcb_svn[0]);
  if (!r.check("tcb.tdx_module", level != nullptr && level->status != "Revoked",
               name + " SVN " + std::to_string(tee_tcb_svn[0]) + " -> " +
                   (level ? level->status : std::string("below every level")))) {
    return false;
  }
  module_status = level->status;
  r.claims["tdx_module.tcb_status"] = module_status;
  return true;
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

// The platform's status (QVL 4.1.2.4.17): the matched level's, converged with the TDX
// module's, adjusted for a TD relaunch (TDX 1.5), then converged with the QE identity's.
bool check_tcb(const Context& c, const Collateral& collateral, const PckExtensions& pck,
               VerificationResult& r) {
  const TcbInfo& info = collateral.tcb_info;
  const bool tdx = c.quote.tee == DcapTee::tdx;
  const char* expected_id = tdx ? "TDX" : "SGX";
  if (!r.check("tcb_info.type", info.id == expected_id,
               "TCB Info " + info.id + ", expected " + expected_id)) {
    return false;
  }
  if (!r.check("tcb_info.fmspc", info.fmspc == pck.fmspc && info.pce_id == pck.pce_id,
               "TCB Info for FMSPC " + to_hex(info.fmspc) + " PCE-ID " + to_hex(info.pce_id) +
                   ", PCK certificate has " + to_hex(pck.fmspc) + " " + to_hex(pck.pce_id))) {
    return false;
  }
  std::string qe_status;
  if (!check_qe_identity(c, collateral.qe_identity, r, qe_status)) return false;
  std::string module_status;
  if (tdx && !check_tdx_module(c, info, r, module_status)) return false;
  std::span<const std::uint8_t> tee_tcb_svn;
  if (tdx) tee_tcb_svn = tdx_report::tee_tcb_svn.in(c.quote.body);
  const TcbLevelMatch match = match_tcb_levels(info, pck.tcb, tee_tcb_svn);
  const TcbLevel* level = tdx ? match.tdx : match.sgx;
  if (!r.check("tcb.level", level != nullptr,
               level ? "platform TCB " + level->status + " (" + level->tcb_date + ")"
                     : std::string(match.sgx ? "TEE_TCB_SVN" : "the PCK certificate's TCB") +
                           " is below every level of the TCB Info")) {
    return false;
  }
  std::string status = converge_tcb_status(level->status, module_status);
  if (tdx && c.quote.body.size() >= kTdx15BodySize) {
    auto relaunch = td_relaunch_status(
        info, {tdx_report::tee_tcb_svn2.in(c.quote.body), match.sgx->status, status,
               module_status, qe_status});
    if (!r.check("tcb.td_relaunch", relaunch.has_value(),
                 relaunch ? "after the TD relaunch rule (TEE_TCB_SVN2): " + *relaunch
                          : std::string("TEE_TCB_SVN2 names a TDX module without an identity "
                                        "or TCB levels in TCB Info"))) {
      return false;
    }
    status = *relaunch;
  }
  status = converge_tcb_status(status, qe_status);
  r.claims["tcb.platform_status"] = level->status;
  r.claims["tcb_date"] = level->tcb_date;
  r.claims["tcb_status"] = status;
  if (!level->advisory_ids.empty()) r.claims["tcb.advisory_ids"] = join(level->advisory_ids);
  return r.check("tcb.status", status != "Revoked", "TCB status " + status);
}

}  // namespace

VerificationResult verify_dcap_quote(std::span<const std::uint8_t> bytes, DcapTee tee,
                                     const IntelVerifyOptions& options, BodyClaims body_claims) {
  VerificationResult r;
  r.type = tee == DcapTee::sgx ? EvidenceType::sgx : EvidenceType::tdx;
  auto parsed = parse_dcap_quote(bytes, tee);
  if (!parsed.ok) {
    r.check(parsed.failed_check, false, parsed.detail);
    return r;
  }
  Context c;
  c.quote = parsed.quote;
  c.at = options.at_unix != 0 ? static_cast<std::time_t>(options.at_unix) : std::time(nullptr);
  r.check("quote.format", true,
          "version " + std::to_string(c.quote.version) + ", " + std::to_string(c.quote.quote_size) +
              " bytes" +
              (c.quote.trailing_bytes ? ", " + std::to_string(c.quote.trailing_bytes) +
                                            " trailing bytes after the quote ignored"
                                      : std::string()));
  r.claims["quote.version"] = std::to_string(c.quote.version);
  if (c.quote.trailing_bytes) r.claims["quote.trailing_bytes"] = std::to_string(c.quote.trailing_bytes);
  if (!check_quote_signature(c, r) || !check_qe_report_data(c, r) || !load_pck_chain(c, r) ||
      !check_qe_report_signature(c, r) || !load_root(c, options, r)) {
    return r;
  }
  auto chain = verify_chain_to_pinned_root(c.pck_chain, c.root.get(), c.at);
  if (!r.check("pck.chain", chain.ok, chain.detail)) return r;
  r.valid_no_later_than(chain.valid_until);
  for (std::size_t i = 0; i < c.pck_chain.size(); ++i) {
    r.claims["chain." + std::to_string(i) + ".subject"] = certificate_subject(c.pck_chain[i].get());
  }
  body_claims(c.quote.body, r);
  if (!load_given_crls(c, options, r)) return r;
  std::optional<Collateral> collateral;
  if (options.collateral_json) {
    collateral = load_collateral(*options.collateral_json, c.root.get(), c.at,
                                 {options.revocation, given_crls(c)}, r);
    if (!collateral) return r;
    add_collateral_claims(*collateral, r);
  }
  if (!check_pck_revocation(c, options, collateral, r)) return r;
  auto pck = parse_pck_extensions(c.pck_chain[0].get());
  if (!r.check("pck.extensions", pck.value.has_value(),
               pck.value ? "FMSPC, PCE-ID and TCB read from the SGX extension" : pck.error)) {
    return r;
  }
  r.claims["fmspc"] = to_hex(pck.value->fmspc);
  r.claims["pce_id"] = to_hex(pck.value->pce_id);
  r.claims["pck.cpusvn"] = to_hex(pck.value->tcb.cpusvn);
  r.claims["pck.pcesvn"] = std::to_string(pck.value->tcb.pcesvn);
  if (collateral) check_tcb(c, *collateral, *pck.value, r);
  return r;
}

}  // namespace attestmq::attest
