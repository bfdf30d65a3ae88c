#include "attest/dcap/quote.hpp"

#include <algorithm>
#include <array>
#include <optional>

#include "attest/dcap/byte_reader.hpp"

namespace attestmq::attest {
namespace {

constexpr std::uint16_t kAttestationKeyEcdsaP256 = 2;
constexpr std::uint16_t kCertDataPckChain = 5;
constexpr std::uint16_t kCertDataQeReport = 6;
constexpr std::size_t kQeVendorIdOffset = 12;
// Intel's QE vendor id (quote header, qe_vendor_id).
constexpr std::array<std::uint8_t, 16> kIntelQeVendorId = {
    0x93, 0x9a, 0x72, 0x33, 0xf7, 0x9c, 0x4c, 0xa9,
    0x94, 0x0a, 0x0d, 0xb3, 0x95, 0x7f, 0x06, 0x07};

DcapParseResult fail(std::string check, std::string detail) {
  DcapParseResult r;
  r.failed_check = std::move(check);
  r.detail = std::move(detail);
  return r;
}

bool version_allowed(DcapTee tee, std::uint16_t version) {
  if (tee == DcapTee::sgx) return version == 3 || version == 4;
  return version == 4 || version == 5;
}

// v5 carries a body descriptor (type u16, size u32) before the body; v3/v4 bodies are implied
// by the TEE type.
std::optional<std::string> read_body(DcapByteReader& in, DcapQuote& q) {
  std::size_t expected = 0;
  if (q.version == 5) {
    auto type = in.u16();
    auto size = in.u32();
    if (!type || !size) return "quote ends inside the v5 body descriptor";
    if (*type == static_cast<std::uint16_t>(DcapBodyType::tdx_10)) {
      q.body_type = DcapBodyType::tdx_10;
      expected = kTdx10BodySize;
    } else if (*type == static_cast<std::uint16_t>(DcapBodyType::tdx_15)) {
      q.body_type = DcapBodyType::tdx_15;
      expected = kTdx15BodySize;
    } else {
      return "v5 body type " + std::to_string(*type) + " is not a TD report (2 or 3)";
    }
    if (*size != expected) {
      return "v5 body size " + std::to_string(*size) + " does not match type " +
             std::to_string(*type) + " (" + std::to_string(expected) + ")";
    }
  } else if (q.tee == DcapTee::sgx) {
    q.body_type = DcapBodyType::sgx_enclave;
    expected = kSgxReportBodySize;
  } else {
    q.body_type = DcapBodyType::tdx_10;
    expected = kTdx10BodySize;
  }
  auto body = in.take(expected);
  if (!body) return "quote ends inside the report body";
  q.body = *body;
  return std::nullopt;
}

// QE report certification data: QE report, its signature, QE authentication data (u16 length)
// and the nested certification data that must be the PCK chain (type 5). For v3 this is laid
// out directly in the signature data; for v4/v5 it is the payload of certification data
// type 6.
std::optional<std::string> read_qe_report_section(DcapByteReader& in, DcapQuote& q) {
  auto report = in.take(kSgxReportBodySize);
  auto report_sig = in.take(kEcdsaP256SignatureSize);
  if (!report || !report_sig) return "signature data ends inside the QE report";
  q.qe_report = *report;
  q.qe_report_signature = *report_sig;
  auto auth_size = in.u16();
  if (!auth_size) return "signature data ends before the QE authentication data size";
  auto auth = in.take(*auth_size);
  if (!auth) return "QE authentication data size " + std::to_string(*auth_size) +
                    " points past the signature data";
  q.qe_auth_data = *auth;
  auto type = in.u16();
  auto size = in.u32();
  if (!type || !size) return "signature data ends inside the certification data header";
  if (*type != kCertDataPckChain) {
    return "nested certification data type " + std::to_string(*type) +
           " is not 5 (PCK certificate chain)";
  }
  auto chain = in.take(*size);
  if (!chain) return "certification data size " + std::to_string(*size) +
                     " points past the signature data";
  q.pck_chain_pem = *chain;
  return std::nullopt;
}

std::optional<std::string> read_signature_data(std::span<const std::uint8_t> sig_data,
                                               DcapQuote& q) {
  DcapByteReader in(sig_data);
  auto signature = in.take(kEcdsaP256SignatureSize);
  auto key = in.take(kEcdsaP256PublicKeySize);
  if (!signature || !key) return "signature data ends inside the ECDSA signature or key";
  q.signature = *signature;
  q.attestation_key = *key;
  if (q.version == 3) {
    if (auto err = read_qe_report_section(in, q)) return err;
  } else {
    auto type = in.u16();
    auto size = in.u32();
    if (!type || !size) return "signature data ends inside the certification data header";
    if (*type != kCertDataQeReport) {
      return "certification data type " + std::to_string(*type) +
             " is not 6 (QE report certification data)";
    }
    auto payload = in.take(*size);
    if (!payload) return "certification data size " + std::to_string(*size) +
                         " points past the signature data";
    DcapByteReader inner(*payload);
    if (auto err = read_qe_report_section(inner, q)) return err;
    if (inner.remaining() != 0) {
      return std::to_string(inner.remaining()) +
             " unaccounted bytes inside the QE report certification data";
    }
  }
  if (in.remaining() != 0) {
    return std::to_string(in.remaining()) + " unaccounted bytes inside the signature data";
  }
  return std::nullopt;
}

}  // namespace

DcapParseResult parse_dcap_quote(std::span<const std::uint8_t> bytes, DcapTee tee) {
  DcapParseResult r;
  DcapQuote& q = r.quote;
  DcapByteReader in(bytes);
  auto header = in.take(kQuoteHeaderSize);
  if (!header) {
    return fail("quote.header", "quote is " + std::to_string(bytes.size()) +
                                    " bytes, shorter than the 48-byte header");
  }
  q.header = *header;
  DcapByteReader h(q.header);
  q.version = *h.u16();
  const std::uint16_t key_type = *h.u16();
  const std::uint32_t tee_type = *h.u32();
  if (!version_allowed(tee, q.version)) {
    return fail("quote.header.version",
                "version " + std::to_string(q.version) + " is not supported for " +
                    (tee == DcapTee::sgx ? "SGX (3 or 4)" : "TDX (4 or 5)"));
  }
  if (key_type != kAttestationKeyEcdsaP256) {
    return fail("quote.header.attestation_key_type",
                "attestation key type " + std::to_string(key_type) +
                    " is not 2 (ECDSA-256-with-P-256)");
  }
  // In v3 these four bytes are reserved and must read as 0, the SGX TEE type.
  if (tee_type != static_cast<std::uint32_t>(tee)) {
    return fail("quote.header.tee_type", "TEE type " + std::to_string(tee_type) +
                                             " does not match the expected " +
                                             std::to_string(static_cast<std::uint32_t>(tee)));
  }
  q.tee = tee;
  auto vendor = q.header.subspan(kQeVendorIdOffset, kIntelQeVendorId.size());
  if (!std::equal(vendor.begin(), vendor.end(), kIntelQeVendorId.begin())) {
    return fail("quote.header.qe_vendor_id", "QE vendor id is not Intel's");
  }
  if (auto err = read_body(in, q)) return fail("quote.body", *err);
  q.signed_data = bytes.first(in.offset());
  auto sig_len = in.u32();
  if (!sig_len) return fail("quote.signature_data", "quote ends before the signature data length");
  auto sig_data = in.take(*sig_len);
  if (!sig_data) {
    return fail("quote.signature_data",
                "signature data length " + std::to_string(*sig_len) + " points past the " +
                    std::to_string(bytes.size()) + "-byte buffer");
  }
  if (auto err = read_signature_data(*sig_data, q)) return fail("quote.signature_data", *err);
  q.quote_size = in.offset();
  q.trailing_bytes = bytes.size() - q.quote_size;
  r.ok = true;
  return r;
}

}  // namespace attestmq::attest
