// Intel DCAP quotes from an untrusted peer: SGX v3/v4 and TDX v4/v5 (src/attest/dcap/quote).
// The first byte picks the TEE the parser expects; the rest is the quote. Whatever the bytes,
// the parser must not read outside them, and the spans it returns must lie inside them.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>

#include "attest/dcap/quote.hpp"

namespace {

bool inside(std::span<const std::uint8_t> part, std::span<const std::uint8_t> whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attestmq::attest;
  if (size == 0) return 0;
  const DcapTee tee = (data[0] & 1) ? DcapTee::tdx : DcapTee::sgx;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  const DcapParseResult parsed = parse_dcap_quote(bytes, tee);
  if (!parsed.ok) return 0;
  const DcapQuote& q = parsed.quote;
  for (auto part : {q.header, q.body, q.signed_data, q.signature, q.attestation_key, q.qe_report,
                    q.qe_report_signature, q.qe_auth_data, q.pck_chain_pem}) {
    if (!inside(part, bytes)) std::abort();
  }
  if (q.quote_size + q.trailing_bytes != bytes.size()) std::abort();
  return 0;
}
