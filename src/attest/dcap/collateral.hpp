#pragma once
// Intel DCAP collateral: TCB Info (v3) and QE/TD_QE Identity (v2), each signed by the Intel
// SGX TCB Signing certificate, plus the PCK and root CRLs. Formats: Intel Provisioning
// Certification Service API v4 (TCB Info, Enclave Identity) as bundled by dcap-qvl's
// QuoteCollateralV3 JSON (tcb_info / qe_identity as the exact signed JSON text, signatures
// as hex r || s, issuer chains as PEM, CRLs as hex DER). Intel's bundle layout is known here
// and nowhere else: the rest of the verifier reads the verified Collateral.
#include <array>
#include <cstdint>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "attest/common/revocation.hpp"
#include "attest/common/verification.hpp"
#include "attest/common/x509_chain.hpp"

namespace attestmq::attest {

struct TcbLevel {
  std::array<std::uint8_t, 16> sgx_components{};
  std::uint16_t pcesvn = 0;
  std::optional<std::array<std::uint8_t, 16>> tdx_components;  // TDX TCB Info only
  std::string status;
  std::string tcb_date;
  std::vector<std::string> advisory_ids;  // "advisoryIDs": the Intel-SA-nnnnn that apply
};

struct TdxModuleLevel {
  std::uint8_t isvsvn = 0;
  std::string status;
};

struct TdxModuleIdentity {
  std::string id;  // "TDX_01", ...; empty for TCB Info's "tdxModule"
  std::vector<std::uint8_t> mrsigner;
  std::vector<std::uint8_t> attributes;
  std::vector<std::uint8_t> attributes_mask;
  std::vector<TdxModuleLevel> levels;
};

struct TcbInfo {
  std::string id;  // "SGX" or "TDX"
  std::array<std::uint8_t, 6> fmspc{};
  std::array<std::uint8_t, 2> pce_id{};
  // Highest first, ordered as Intel's QVL orders them whatever the JSON order: by the 16 SGX
  // components (compared as a sequence), then PCESVN, then (TDX) the 16 TDX components.
  std::vector<TcbLevel> levels;
  std::optional<TdxModuleIdentity> tdx_module;  // "tdxModule": signer of TDX module version 0
  std::vector<TdxModuleIdentity> tdx_modules;   // "tdxModuleIdentities"
};

struct QeIdentityLevel {
  std::uint16_t isvsvn = 0;
  std::string status;
};

struct QeIdentity {
  std::string id;  // "QE" or "TD_QE"
  std::uint32_t miscselect = 0;
  std::uint32_t miscselect_mask = 0;
  std::array<std::uint8_t, 16> attributes{};
  std::array<std::uint8_t, 16> attributes_mask{};
  std::array<std::uint8_t, 32> mrsigner{};
  std::uint16_t isv_prod_id = 0;
  std::vector<QeIdentityLevel> levels;  // highest ISVSVN first
};

// The validity window a signed item states, as verified: issue_date <= at < next_update.
struct ValidityWindow {
  std::int64_t issue_date = 0;
  std::int64_t next_update = 0;
};

struct Collateral {
  TcbInfo tcb_info;
  QeIdentity qe_identity;
  ValidityWindow tcb_info_validity;
  ValidityWindow qe_identity_validity;
  std::vector<X509CrlPtr> crls;  // pck_crl and root_ca_crl, those the bundle holds

  // The older issueDate of TCB Info and QE Identity: the age of the collateral as a whole.
  std::int64_t issue_date() const;
};

// How the signing chains of the collateral are checked for revocation.
struct CollateralRevocation {
  RevocationMode mode = RevocationMode::required;
  std::vector<X509_CRL*> extra_crls;  // given beside the bundle (--crl)
};

// Parses the bundle and checks, recording each in `result`: both signing chains to
// `pinned_root` at `at` and, against the bundle's CRLs and `revocation.extra_crls`, for
// revocation (check_revocation under "collateral.tcb_info" and "collateral.qe_identity"),
// both signatures over the exact JSON text, both validity windows (issueDate <= at <
// nextUpdate), lowering result.valid_until to every notAfter and nextUpdate they rest on.
// Returns the collateral only if every check passed.
std::optional<Collateral> load_collateral(std::string_view bundle_json, X509* pinned_root,
                                          std::time_t at, const CollateralRevocation& revocation,
                                          VerificationResult& result);

// Pure parsers of the signed JSON bodies; null with `error` set on any malformed field.
std::optional<TcbInfo> parse_tcb_info(std::string_view json, std::string& error);
std::optional<QeIdentity> parse_qe_identity(std::string_view json, std::string& error);

}  // namespace attestmq::attest
