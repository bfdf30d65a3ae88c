// The session protocol's messages (src/attest/session, docs/attestation.md section 3) from an
// untrusted broker or client. Each input goes to all three parsers; the message type byte
// makes at most one of them accept it.
// Oracles, beyond "no crash, no sanitizer report":
// - every refusal says why (a non-empty error);
// - the encoding is exact: whatever a parser accepts re-encodes to the very same bytes, so
//   two different messages never parse to the same value (REQUEST bytes are the binder's
//   context, section 4).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <span>
#include <string>
#include <vector>

#include "attest/session/session_protocol.hpp"

namespace {

using namespace attestmq::attest::session;

void require(bool condition) {
  if (!condition) std::abort();
}

bool same(const std::vector<std::uint8_t>& encoded, std::span<const std::uint8_t> bytes) {
  return encoded.size() == bytes.size() && std::equal(encoded.begin(), encoded.end(), bytes.begin());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  int accepted = 0;
  std::string error;
  if (const auto request = parse_request(bytes, error)) {
    require(same(encode_request(*request), bytes));
    ++accepted;
  } else {
    require(!error.empty());
  }
  error.clear();
  if (const auto evidence = parse_evidence(bytes, error)) {
    require(same(encode_evidence(*evidence), bytes));
    ++accepted;
  } else {
    require(!error.empty());
  }
  error.clear();
  if (const auto answer = parse_answer(bytes, error)) {
    require(same(encode_answer(*answer), bytes));
    ++accepted;
  } else {
    require(!error.empty());
  }
  require(accepted <= 1);
  return 0;
}
