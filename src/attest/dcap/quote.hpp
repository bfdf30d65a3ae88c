#pragma once
// Parser for Intel DCAP ECDSA quotes: SGX v3/v4 and TDX v4/v5. A pure function over a span so
// it can be fuzzed; every field is bounds-checked against the buffer and the quote's own
// lengths decide where it ends (trailing bytes are reported, not parsed).
// Layouts: Intel SGX ECDSA Quote Library API (Appendix A, quote format v3) and the Intel TDX
// DCAP Quoting Library API (quote format v4 and v5).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace attestmq::attest {

enum class DcapTee : std::uint32_t { sgx = 0x00000000, tdx = 0x00000081 };

// Body types of the v5 body descriptor (TDX DCAP Quoting Library API, quote format v5).
enum class DcapBodyType : std::uint16_t { sgx_enclave = 1, tdx_10 = 2, tdx_15 = 3 };

inline constexpr std::size_t kQuoteHeaderSize = 48;
inline constexpr std::size_t kSgxReportBodySize = 384;
inline constexpr std::size_t kTdx10BodySize = 584;
inline constexpr std::size_t kTdx15BodySize = 648;
inline constexpr std::size_t kEcdsaP256SignatureSize = 64;  // r || s, big-endian
inline constexpr std::size_t kEcdsaP256PublicKeySize = 64;  // x || y, big-endian

struct DcapQuote {
  std::uint16_t version = 0;
  DcapTee tee = DcapTee::sgx;
  DcapBodyType body_type = DcapBodyType::sgx_enclave;
  std::span<const std::uint8_t> header;       // 48 bytes
  std::span<const std::uint8_t> body;         // SGX report body or TD report body
  std::span<const std::uint8_t> signed_data;  // everything the attestation key signs
  std::span<const std::uint8_t> signature;    // 64 bytes r || s
  std::span<const std::uint8_t> attestation_key;  // 64 bytes x || y
  std::span<const std::uint8_t> qe_report;    // 384-byte SGX report body of the QE
  std::span<const std::uint8_t> qe_report_signature;
  std::span<const std::uint8_t> qe_auth_data;
  std::span<const std::uint8_t> pck_chain_pem;  // certification data type 5
  std::size_t quote_size = 0;                   // bytes the quote's own lengths account for
  std::size_t trailing_bytes = 0;               // bytes after it in the buffer
};

struct DcapParseResult {
  bool ok = false;
  DcapQuote quote;
  std::string failed_check;  // e.g. "quote.header.version"; empty when ok
  std::string detail;
};

// Parses a quote that must be for `tee`. The returned spans point into `bytes`.
DcapParseResult parse_dcap_quote(std::span<const std::uint8_t> bytes, DcapTee tee);

}  // namespace attestmq::attest
