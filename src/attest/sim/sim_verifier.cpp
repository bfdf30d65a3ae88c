#include "attest/sim/sim_verifier.hpp"

#include "attest/common/ecdsa_p256.hpp"
#include "attest/common/hex.hpp"
#include "attest/sim/sim_key.hpp"
#include "attest/sim/sim_report.hpp"

namespace attestmq::attest {

namespace {
constexpr const char* kWarning = "SIMULATED, NO SECURITY";

// Decoding a PEM key through OpenSSL 3's decoders costs about ten times the signature check,
// and a verifier of live sessions meets the same pinned key every time: the last key decoded
// is kept per thread, keyed by its exact text.
// The Wasm module has one thread, and its wasi-libc no destructors at thread exit
// (__cxa_thread_atexit): there the cache is a plain static.
#if defined(__wasi__)
#define ATTESTMQ_PER_THREAD static
#else
#define ATTESTMQ_PER_THREAD thread_local
#endif
EVP_PKEY* pinned_key(const std::string& pem, std::string& error) {
  ATTESTMQ_PER_THREAD std::string decoded_pem;
  ATTESTMQ_PER_THREAD SimKeyPtr decoded_key;
  if (!decoded_key || decoded_pem != pem) {
    SimKeyPtr key = parse_sim_public_key(pem, error);
    if (!key) return nullptr;
    decoded_key = std::move(key);
    decoded_pem = pem;
  }
  return decoded_key.get();
}
}  // namespace

VerificationResult verify_sim_report(std::span<const std::uint8_t> bytes,
                                     const std::optional<std::string>& pinned_public_pem) {
  VerificationResult result;
  result.type = EvidenceType::sim;
  std::string error;
  const auto report = parse_sim_report(bytes, error);
  if (!result.check("sim.format", report.has_value(),
                    report ? std::string("sim report v1 (") + kWarning + ")" : error)) {
    return result;
  }
  result.claims["simulated"] = kWarning;
  result.claims["measurement"] = to_hex(report->measurement);
  result.claims["report_data"] = to_hex(report->report_data);
  if (!result.check("sim.root", pinned_public_pem.has_value(),
                    pinned_public_pem ? "pinned sim platform key given"
                                      : "no sim platform key pinned (--root or policy "
                                        "pinned_roots.sim); sim has no built-in root")) {
    return result;
  }
  EVP_PKEY* key = pinned_key(*pinned_public_pem, error);
  if (!result.check("sim.root", key != nullptr, key ? "P-256 public key" : error)) return result;
  const bool signed_by_key =
      verify_ecdsa_sha256_raw(key, sim_signed_bytes(*report), report->signature);
  result.check("sim.signature", signed_by_key,
               signed_by_key
                   ? std::string("ECDSA P-256 signature by the pinned sim key (") + kWarning + ")"
                   : "signature does not verify with the pinned sim key");
  return result;
}

}  // namespace attestmq::attest
