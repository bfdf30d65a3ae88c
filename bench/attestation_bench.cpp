// The cost split of an attested session (docs/attestation.md, docs/benchmarks.md): producing
// the broker's EVIDENCE with the sim provider (section 7.4) and verifying it (section 7.5),
// without the network. The sim provider signs with ECDSA P-256 in-process, so these are the
// protocol's own costs; a real TEE adds its quote on the producing side.
#include <benchmark/benchmark.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "attest/session/session_protocol.hpp"
#include "attest/sim/sim_provider.hpp"

namespace attestmq::attest::session {
namespace {

std::vector<std::uint8_t> random_bytes(std::size_t size) {
  std::vector<std::uint8_t> out(size);
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) std::abort();
  return out;
}

// One sim platform and one session's expectation, shared by the benchmarks.
struct Fixture {
  Fixture() {
    const auto key_file = std::filesystem::temp_directory_path() /
                          ("attestmq-bench-sim-" + std::to_string(::getpid()) + ".pem");
    std::string error;
    std::array<std::uint8_t, 32> measurement{};
    measurement.fill(0x5a);
    provider = SimProvider::open(key_file, measurement, error);
    std::filesystem::remove(key_file);
    if (!provider) std::abort();
    module.fill(0x11);
    request = Request{0, random_bytes(32), {EvidenceType::sim}};
    identity.certificate_key_sha256.emplace();
    identity.certificate_key_sha256->fill(0x22);
    expectation.request = encode_request(request);
    expectation.binder = random_bytes(kBinderBytes);
    expectation.peer = identity;
    expectation.verify.root_pem = provider->public_key_pem();
    expectation.verify.policy.allow_simulated = true;
  }
  std::vector<std::uint8_t> produce() {
    std::string error;
    auto message = produce_evidence(*provider, request, expectation.binder, identity, module, error);
    if (!message) std::abort();
    return *message;
  }

  std::unique_ptr<SimProvider> provider;
  std::array<std::uint8_t, 32> module{};
  Request request;
  TlsIdentity identity;
  Expectation expectation;
};

Fixture& fixture() {
  static Fixture shared;
  return shared;
}

void BM_ProduceEvidencePerSession(benchmark::State& state) {
  Fixture& f = fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.produce());
}
BENCHMARK(BM_ProduceEvidencePerSession);

void BM_VerifyEvidencePerSession(benchmark::State& state) {
  Fixture& f = fixture();
  const auto message = f.produce();
  for (auto _ : state) {
    const auto result = verify_evidence_message(message, f.expectation);
    if (!result.valid()) state.SkipWithError("the evidence did not verify");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_VerifyEvidencePerSession);

}  // namespace
}  // namespace attestmq::attest::session

BENCHMARK_MAIN();
