// The cost split of an attested session (docs/attestation.md, docs/benchmarks.md): producing
// the broker's EVIDENCE with the sim provider (section 7.4) and verifying it (section 7.5),
// without the network, per-session and cached (section 6). The sim provider signs with ECDSA
// P-256 in-process, so these are the protocol's own costs; a real TEE adds its quote per
// session on the producing side in per-session mode, and once per period in cached mode.
#include <benchmark/benchmark.h>
#include <openssl/rand.h>
#include <unistd.h>

#include <cstdlib>
#include <ctime>
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
  // `cached`: section 6.2's mode, for a request that set CACHED_OK.
  std::vector<std::uint8_t> produce(const CachedEvidence* cached = nullptr) {
    std::string error;
    Request asked = request;
    if (cached != nullptr) asked.flags = kCachedOk;
    auto message = produce_evidence(*provider, asked, expectation.binder, identity, module, error,
                                    std::nullopt, cached);
    if (!message) std::abort();
    return *message;
  }
  std::shared_ptr<const CachedEvidence> make_cached() {
    std::string error;
    auto made = CachedEvidence::make(*provider, module,
                                     static_cast<std::uint64_t>(std::time(nullptr)), error);
    if (!made) std::abort();
    return made;
  }
  // The verifier's view of a request that set CACHED_OK.
  Expectation cached_expectation(VerifiedEnvelopeCache* cache) const {
    Expectation cached = expectation;
    Request asked = request;
    asked.flags = kCachedOk;
    cached.request = encode_request(asked);
    cached.cache = cache;
    return cached;
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

void BM_ProduceEvidenceCached(benchmark::State& state) {
  Fixture& f = fixture();
  const auto cached = f.make_cached();
  for (auto _ : state) benchmark::DoNotOptimize(f.produce(cached.get()));
}
BENCHMARK(BM_ProduceEvidenceCached);

// A verifier meeting the cached envelope for the first time (or without a cache): the
// platform evidence, then K's signature.
void BM_VerifyEvidenceCachedFirstTime(benchmark::State& state) {
  Fixture& f = fixture();
  const auto message = f.produce(f.make_cached().get());
  const Expectation expectation = f.cached_expectation(nullptr);
  for (auto _ : state) {
    const auto result = verify_evidence_message(message, expectation);
    if (!result.valid()) state.SkipWithError("the evidence did not verify");
    benchmark::DoNotOptimize(result);
  }
}
BENCHMARK(BM_VerifyEvidenceCachedFirstTime);

// A reconnect: the platform verdict is remembered, the session checks and K's signature run.
void BM_VerifyEvidenceCachedRemembered(benchmark::State& state) {
  Fixture& f = fixture();
  const auto message = f.produce(f.make_cached().get());
  VerifiedEnvelopeCache cache;
  const Expectation expectation = f.cached_expectation(&cache);
  if (!verify_evidence_message(message, expectation).valid()) std::abort();
  for (auto _ : state) {
    const auto result = verify_evidence_message(message, expectation);
    if (!result.valid()) state.SkipWithError("the evidence did not verify");
    benchmark::DoNotOptimize(result);
  }
  if (cache.hits() < static_cast<std::size_t>(state.iterations())) {
    state.SkipWithError("the cache was not used");
  }
}
BENCHMARK(BM_VerifyEvidenceCachedRemembered);

}  // namespace
}  // namespace attestmq::attest::session

BENCHMARK_MAIN();
