// Verifier policies (src/attest/policy) on arbitrary text: a policy file decides what evidence
// is trusted, so a malformed one must be refused with the key at fault, never half-read.
// Oracles, beyond "no crash, no sanitizer report" (nlohmann::json throws on a type misuse,
// which here would be an uncaught exception): a refusal says why; an accepted policy holds
// only digests of the documented sizes in lower-case hex, and pinned roots that are resolved
// against the base directory when relative.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "attest/policy/policy.hpp"

namespace {

void require(bool condition) {
  if (!condition) std::abort();
}

bool lower_hex_digests(const std::vector<std::string>& digests, std::size_t bytes) {
  return std::ranges::all_of(digests, [bytes](const std::string& digest) {
    return digest.size() == 2 * bytes && std::ranges::all_of(digest, [](char c) {
             return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
  });
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace attestmq::attest;
  const std::filesystem::path base_dir = "/policy-base";
  std::string error;
  const auto policy =
      parse_policy({reinterpret_cast<const char*>(data), size}, base_dir, error);
  if (!policy) {
    require(!error.empty());
    return 0;
  }
  require(lower_hex_digests(policy->accepted_module_hashes, 32));
  require(lower_hex_digests(policy->sgx.mrenclave, 32) &&
          lower_hex_digests(policy->sgx.mrsigner, 32));
  require(lower_hex_digests(policy->tdx.mrtd, 48) &&
          std::ranges::all_of(policy->tdx.rtmr, [](const auto& rtmr) {
            return lower_hex_digests(rtmr, 48);
          }));
  require(lower_hex_digests(policy->snp.measurement, 48));
  for (const auto& [type, path] : policy->pinned_roots) require(path.is_absolute());
  return 0;
}
