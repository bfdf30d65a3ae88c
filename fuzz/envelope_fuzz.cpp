// Evidence envelopes and RATS CMW (src/attest/envelope, src/attest/cmw) from an untrusted
// broker or client. The first byte picks the parser: even the AttestMQ envelope, odd CMW in
// CBOR; the rest is its input.
// Oracles, beyond "no crash, no sanitizer report":
// - envelope: what parses re-encodes (encode_envelope enforces the parser's own bounds) and
//   parses back equal;
// - CMW: deterministic CBOR is a fixed point: a CMW that parses
//   encodes to CBOR that parses again and re-encodes to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "attest/cmw/cmw.hpp"
#include "attest/envelope/envelope.hpp"

namespace {

using namespace attestmq::attest;

void require(bool condition) {
  if (!condition) std::abort();
}

void check_envelope(std::span<const std::uint8_t> bytes) {
  std::string error;
  const std::optional<Envelope> envelope = parse_envelope(bytes, error);
  if (!envelope) {
    require(!error.empty());
    return;
  }
  const auto encoded = encode_envelope(*envelope, error);
  require(encoded.has_value());
  const auto again = parse_envelope(*encoded, error);
  require(again && *again == *envelope);
}

void check_cmw(const std::optional<Cmw>& cmw, const std::string& error) {
  if (!cmw) {
    require(!error.empty());
    return;
  }
  const std::vector<std::uint8_t> encoded = encode_cmw_cbor(*cmw);
  std::string again_error;
  const auto again = parse_cmw_cbor(encoded, again_error);
  require(again.has_value());
  require(encode_cmw_cbor(*again) == encoded);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::span<const std::uint8_t> bytes(data + 1, size - 1);
  std::string error;
  if ((data[0] & 1) == 0) {
    check_envelope(bytes);
  } else {
    const auto cmw = parse_cmw_cbor(bytes, error);
    check_cmw(cmw, error);
  }
  return 0;
}
