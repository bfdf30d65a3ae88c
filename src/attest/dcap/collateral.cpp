#include "attest/dcap/collateral.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "attest/common/ecdsa_p256.hpp"
#include "attest/common/hex.hpp"
#include "attest/common/iso8601.hpp"

namespace attestmq::attest {
namespace {

using nlohmann::json;

// Field readers that never throw: each returns null when the field is absent or mistyped.
const json* field(const json& obj, const char* name) {
  if (!obj.is_object()) return nullptr;
  auto it = obj.find(name);
  return it == obj.end() ? nullptr : &*it;
}

std::optional<std::string> string_field(const json& obj, const char* name) {
  const json* v = field(obj, name);
  if (v == nullptr || !v->is_string()) return std::nullopt;
  return v->get<std::string>();
}

std::optional<std::int64_t> uint_field(const json& obj, const char* name, std::int64_t max) {
  const json* v = field(obj, name);
  if (v == nullptr || !v->is_number_unsigned()) return std::nullopt;
  const auto n = v->get<std::uint64_t>();
  if (n > static_cast<std::uint64_t>(max)) return std::nullopt;
  return static_cast<std::int64_t>(n);
}

std::optional<std::vector<std::uint8_t>> hex_field(const json& obj, const char* name,
                                                   std::size_t size) {
  auto text = string_field(obj, name);
  if (!text) return std::nullopt;
  auto bytes = from_hex(*text);
  if (!bytes || bytes->size() != size) return std::nullopt;
  return bytes;
}

template <std::size_t N>
bool hex_into(const json& obj, const char* name, std::array<std::uint8_t, N>& out) {
  auto bytes = hex_field(obj, name, N);
  if (!bytes) return false;
  std::copy(bytes->begin(), bytes->end(), out.begin());
  return true;
}

// PCS API v4, TCB Info v3 and Enclave Identity v2: the only tcbStatus values Intel defines.
// An unknown one is a malformed level, as QVL's "unrecognized status" is a failure.
bool known_status(const std::string& status, bool platform_level) {
  if (status == "UpToDate" || status == "OutOfDate" || status == "Revoked") return true;
  return platform_level &&
         (status == "SWHardeningNeeded" || status == "ConfigurationNeeded" ||
          status == "ConfigurationAndSWHardeningNeeded" || status == "OutOfDateConfigurationNeeded");
}

std::optional<std::vector<std::string>> advisory_ids(const json& level) {
  std::vector<std::string> out;
  const json* list = field(level, "advisoryIDs");
  if (list == nullptr) return out;
  if (!list->is_array()) return std::nullopt;
  for (const auto& id : *list) {
    if (!id.is_string()) return std::nullopt;
    out.push_back(id.get<std::string>());
  }
  return out;
}

std::optional<std::array<std::uint8_t, 16>> svn_components(const json* list) {
  if (list == nullptr || !list->is_array() || list->size() != 16) return std::nullopt;
  std::array<std::uint8_t, 16> out{};
  for (std::size_t i = 0; i < 16; ++i) {
    auto svn = uint_field((*list)[i], "svn", 255);
    if (!svn) return std::nullopt;
    out[i] = static_cast<std::uint8_t>(*svn);
  }
  return out;
}

std::optional<TcbLevel> tcb_level(const json& level, bool tdx) {
  const json* tcb = field(level, "tcb");
  if (tcb == nullptr) return std::nullopt;
  TcbLevel out;
  auto sgx = svn_components(field(*tcb, "sgxtcbcomponents"));
  auto pcesvn = uint_field(*tcb, "pcesvn", 65535);
  auto status = string_field(level, "tcbStatus");
  auto advisories = advisory_ids(level);
  if (!sgx || !pcesvn || !status || !known_status(*status, true) || !advisories) {
    return std::nullopt;
  }
  out.sgx_components = *sgx;
  out.pcesvn = static_cast<std::uint16_t>(*pcesvn);
  out.status = *status;
  out.tcb_date = string_field(level, "tcbDate").value_or("");
  out.advisory_ids = std::move(*advisories);
  if (tdx) {
    out.tdx_components = svn_components(field(*tcb, "tdxtcbcomponents"));
    if (!out.tdx_components) return std::nullopt;
  }
  return out;
}

// TCB Info v3's "tdxModule" (signer only) or one of "tdxModuleIdentities" (with an id and
// TCB levels).
std::optional<TdxModuleIdentity> tdx_module(const json& m, bool identity) {
  TdxModuleIdentity out;
  auto mrsigner = hex_field(m, "mrsigner", 48);
  auto attributes = hex_field(m, "attributes", 8);
  auto mask = hex_field(m, "attributesMask", 8);
  if (!mrsigner || !attributes || !mask) return std::nullopt;
  out.mrsigner = *mrsigner;
  out.attributes = *attributes;
  out.attributes_mask = *mask;
  if (!identity) return out;
  auto id = string_field(m, "id");
  const json* levels = field(m, "tcbLevels");
  if (!id || levels == nullptr || !levels->is_array()) return std::nullopt;
  out.id = *id;
  for (const auto& level : *levels) {
    const json* tcb = field(level, "tcb");
    auto isvsvn = tcb ? uint_field(*tcb, "isvsvn", 255) : std::nullopt;
    auto status = string_field(level, "tcbStatus");
    if (!isvsvn || !status || !known_status(*status, false)) return std::nullopt;
    out.levels.push_back({static_cast<std::uint8_t>(*isvsvn), *status});
  }
  return out;
}

// QVL keeps TCB levels in a set ordered highest first: SGX components as a sequence, then
// PCESVN, then (TDX) the TDX components; two levels equal in all of these count once.
bool higher_level(const TcbLevel& a, const TcbLevel& b) {
  if (a.sgx_components != b.sgx_components) return a.sgx_components > b.sgx_components;
  if (a.pcesvn != b.pcesvn) return a.pcesvn > b.pcesvn;
  if (a.tdx_components && b.tdx_components) return *a.tdx_components > *b.tdx_components;
  return false;
}

// Of equal levels the one listed first is kept, as a set keeps the first inserted.
void order_levels(std::vector<TcbLevel>& levels) {
  std::vector<std::size_t> order(levels.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  auto same = [&](std::size_t a, std::size_t b) {
    return !higher_level(levels[a], levels[b]) && !higher_level(levels[b], levels[a]);
  };
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return higher_level(levels[a], levels[b]) || (same(a, b) && a < b);
  });
  order.erase(std::unique(order.begin(), order.end(), same), order.end());
  std::vector<TcbLevel> ordered;
  for (std::size_t i : order) ordered.push_back(std::move(levels[i]));
  levels = std::move(ordered);
}

bool verify_signed_json(std::string_view text, std::string_view signature_hex, X509* signer) {
  auto sig = from_hex(signature_hex);
  if (!sig || sig->size() != 64) return false;
  return verify_ecdsa_sha256_raw(
      X509_get0_pubkey(signer),
      std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()), *sig);
}

// One signed collateral item: its issuer chain and that chain's revocation, its signature
// over the exact text, and its validity window. `name` is "tcb_info" or "qe_identity".
bool check_signed_item(const json& bundle, const std::string& name, X509* pinned_root,
                       const std::vector<X509_CRL*>& crls, RevocationMode mode, std::time_t at,
                       ValidityWindow& window, VerificationResult& result) {
  const std::string check = "collateral." + name;
  auto text = string_field(bundle, name.c_str());
  auto signature = string_field(bundle, (name + "_signature").c_str());
  auto chain_pem = string_field(bundle, (name + "_issuer_chain").c_str());
  if (!text || !signature || !chain_pem) {
    return result.check(check + ".format", false,
                        "collateral lacks " + name + ", its signature or its issuer chain");
  }
  auto chain = parse_pem_certificates(*chain_pem);
  if (chain.empty()) {
    return result.check(check + ".chain", false, name + "_issuer_chain is not a PEM chain");
  }
  // Intel signs TCB Info and Enclave Identity with the Intel SGX TCB Signing certificate.
  if (certificate_common_name(chain.front().get()) != "Intel SGX TCB Signing") {
    return result.check(check + ".chain", false,
                        "signer is \"" + certificate_subject(chain.front().get()) +
                            "\", not Intel SGX TCB Signing");
  }
  const auto verdict = verify_chain_to_pinned_root(chain, pinned_root, at);
  if (!result.check(check + ".chain", verdict.ok, verdict.detail)) return false;
  result.valid_no_later_than(verdict.valid_until);
  if (!check_revocation(check, chain_links(chain), crls, at, mode, result)) return false;
  if (!result.check(check + ".signature", verify_signed_json(*text, *signature, chain.front().get()),
                    "ECDSA-P256 signature over " + name + " by the TCB Signing key")) {
    return false;
  }
  json body = json::parse(*text, nullptr, false);
  const auto issued = parse_iso8601_utc(string_field(body, "issueDate").value_or(""));
  const auto next = parse_iso8601_utc(string_field(body, "nextUpdate").value_or(""));
  if (!issued || !next) {
    return result.check(check + ".validity", false, name + " lacks issueDate or nextUpdate");
  }
  window = {*issued, *next};
  // Intel may change the TCB levels or the QE's from nextUpdate on.
  result.valid_no_later_than(*next);
  return result.check(check + ".validity", *issued <= at && at < *next,
                      name + " valid from " + string_field(body, "issueDate").value_or("") +
                          " until " + string_field(body, "nextUpdate").value_or(""));
}

// The CRLs the bundle holds. One that is absent is not an error here: check_revocation
// fails the chain that needs it (or, under skip-insecure, says it was not checked).
std::optional<std::vector<X509CrlPtr>> bundle_crls(const json& bundle, std::string& error) {
  std::vector<X509CrlPtr> crls;
  for (const char* name : {"root_ca_crl", "pck_crl"}) {
    auto text = string_field(bundle, name);
    if (!text) continue;
    auto crl = parse_crl(*text);
    if (!crl) {
      error = std::string(name) + " is not a CRL";
      return std::nullopt;
    }
    crls.push_back(std::move(crl));
  }
  return crls;
}

}  // namespace

std::int64_t Collateral::issue_date() const {
  return std::min(tcb_info_validity.issue_date, qe_identity_validity.issue_date);
}

std::optional<TcbInfo> parse_tcb_info(std::string_view text, std::string& error) {
  json body = json::parse(text, nullptr, false);
  TcbInfo out;
  auto id = string_field(body, "id");
  auto version = uint_field(body, "version", 255);
  if (!id || (*id != "SGX" && *id != "TDX") || version != 3) {
    error = "tcb_info is not an SGX or TDX TCB Info of version 3";
    return std::nullopt;
  }
  out.id = *id;
  const json* levels = field(body, "tcbLevels");
  if (!hex_into(body, "fmspc", out.fmspc) || !hex_into(body, "pceId", out.pce_id) ||
      levels == nullptr || !levels->is_array()) {
    error = "tcb_info lacks fmspc, pceId or tcbLevels";
    return std::nullopt;
  }
  for (const auto& level : *levels) {
    auto parsed = tcb_level(level, out.id == "TDX");
    if (!parsed) {
      error = "tcb_info has a malformed TCB level";
      return std::nullopt;
    }
    out.levels.push_back(std::move(*parsed));
  }
  order_levels(out.levels);
  // A TDX TCB Info names the TDX module's signer ("tdxModule"); QVL rejects one without.
  if (out.id == "TDX") {
    const json* module = field(body, "tdxModule");
    if (module != nullptr) out.tdx_module = tdx_module(*module, false);
    if (!out.tdx_module) {
      error = "tcb_info lacks a well-formed tdxModule";
      return std::nullopt;
    }
  }
  if (const json* modules = field(body, "tdxModuleIdentities")) {
    if (!modules->is_array()) {
      error = "tcb_info tdxModuleIdentities is not a list";
      return std::nullopt;
    }
    for (const auto& m : *modules) {
      auto parsed = tdx_module(m, true);
      if (!parsed) {
        error = "tcb_info has a malformed TDX module identity";
        return std::nullopt;
      }
      out.tdx_modules.push_back(std::move(*parsed));
    }
  }
  return out;
}

std::optional<QeIdentity> parse_qe_identity(std::string_view text, std::string& error) {
  json body = json::parse(text, nullptr, false);
  QeIdentity out;
  auto id = string_field(body, "id");
  auto version = uint_field(body, "version", 255);
  if (!id || (*id != "QE" && *id != "TD_QE") || version != 2) {
    error = "qe_identity is not a QE or TD_QE Enclave Identity of version 2";
    return std::nullopt;
  }
  out.id = *id;
  std::array<std::uint8_t, 4> misc{}, misc_mask{};
  auto prod = uint_field(body, "isvprodid", 65535);
  const json* levels = field(body, "tcbLevels");
  if (!hex_into(body, "miscselect", misc) || !hex_into(body, "miscselectMask", misc_mask) ||
      !hex_into(body, "attributes", out.attributes) ||
      !hex_into(body, "attributesMask", out.attributes_mask) ||
      !hex_into(body, "mrsigner", out.mrsigner) || !prod || levels == nullptr ||
      !levels->is_array()) {
    error = "qe_identity lacks or mistypes a field";
    return std::nullopt;
  }
  // MISCSELECT is written as a big-endian hex number.
  out.miscselect = static_cast<std::uint32_t>(misc[0]) << 24 | misc[1] << 16 | misc[2] << 8 | misc[3];
  out.miscselect_mask = static_cast<std::uint32_t>(misc_mask[0]) << 24 | misc_mask[1] << 16 |
                        misc_mask[2] << 8 | misc_mask[3];
  out.isv_prod_id = static_cast<std::uint16_t>(*prod);
  for (const auto& level : *levels) {
    const json* tcb = field(level, "tcb");
    auto isvsvn = tcb ? uint_field(*tcb, "isvsvn", 65535) : std::nullopt;
    auto status = string_field(level, "tcbStatus");
    if (!isvsvn || !status || !known_status(*status, false)) {
      error = "qe_identity has a malformed TCB level";
      return std::nullopt;
    }
    out.levels.push_back({static_cast<std::uint16_t>(*isvsvn), *status});
  }
  return out;
}

std::optional<Collateral> load_collateral(std::string_view bundle_json, X509* pinned_root,
                                          std::time_t at, const CollateralRevocation& revocation,
                                          VerificationResult& result) {
  json bundle = json::parse(bundle_json, nullptr, false);
  if (!result.check("collateral.format", bundle.is_object(), "collateral is a JSON object")) {
    return std::nullopt;
  }
  std::string error;
  auto crls = bundle_crls(bundle, error);
  if (!crls) {
    result.check("collateral.format", false, error);
    return std::nullopt;
  }
  std::vector<X509_CRL*> all_crls = revocation.extra_crls;
  for (const auto& crl : *crls) all_crls.push_back(crl.get());
  Collateral out;
  if (!check_signed_item(bundle, "tcb_info", pinned_root, all_crls, revocation.mode, at,
                         out.tcb_info_validity, result) ||
      !check_signed_item(bundle, "qe_identity", pinned_root, all_crls, revocation.mode, at,
                         out.qe_identity_validity, result)) {
    return std::nullopt;
  }
  auto tcb_info = parse_tcb_info(*string_field(bundle, "tcb_info"), error);
  if (!result.check("collateral.tcb_info.format", tcb_info.has_value(),
                    tcb_info ? "TCB Info " + tcb_info->id + " v3" : error)) {
    return std::nullopt;
  }
  auto qe_identity = parse_qe_identity(*string_field(bundle, "qe_identity"), error);
  if (!result.check("collateral.qe_identity.format", qe_identity.has_value(),
                    qe_identity ? "Enclave Identity " + qe_identity->id + " v2" : error)) {
    return std::nullopt;
  }
  out.tcb_info = std::move(*tcb_info);
  out.qe_identity = std::move(*qe_identity);
  out.crls = std::move(*crls);
  return out;
}

}  // namespace attestmq::attest
