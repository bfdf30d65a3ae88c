#pragma once
// The session tests' fixture: the real sim provider (SIMULATED, NO SECURITY) as attester, a
// verifier's expectation for one session, and 32 random bytes standing in for the TLS
// exporter (docs/attestation.md sections 7.4 and 7.5).
#include <gtest/gtest.h>
#include <openssl/rand.h>

#include "attest/session/session_protocol.hpp"
#include "attest/sim/sim_provider.hpp"
#include "provider_test_support.hpp"

namespace attestmq::attest::session {

using Bytes = std::vector<std::uint8_t>;

inline Bytes random_bytes(std::size_t size) {
  Bytes out(size);
  EXPECT_EQ(RAND_bytes(out.data(), static_cast<int>(out.size())), 1);
  return out;
}

inline std::array<std::uint8_t, 32> random_digest() {
  std::array<std::uint8_t, 32> out{};
  EXPECT_EQ(RAND_bytes(out.data(), static_cast<int>(out.size())), 1);
  return out;
}

class SessionRoundTrip : public ::testing::Test {
 protected:
  void SetUp() override {
    std::array<std::uint8_t, 32> measurement{};
    measurement.fill(0x5a);
    std::string error;
    provider_ = SimProvider::open(dir_.path() / "sim-platform.pem", measurement, error);
    ASSERT_TRUE(provider_) << error;
    module_.fill(0x11);
    request_ = Request{0, random_bytes(32), {EvidenceType::sgx, EvidenceType::sim}};
    identity_.certificate_key_sha256 = random_digest();
    expectation_.request = encode_request(request_);
    expectation_.binder = random_bytes(kBinderBytes);
    expectation_.peer = identity_;
    expectation_.verify.root_pem = provider_->public_key_pem();
    expectation_.verify.policy.allow_simulated = true;
  }

  Bytes produce(std::span<const std::uint8_t> binder, const TlsIdentity& identity,
                const std::optional<Request>& for_receiver = std::nullopt,
                const CachedEvidence* cached = nullptr) {
    std::string error;
    auto message = produce_evidence(*provider_, request_, binder, identity, module_, error,
                                    for_receiver, cached);
    EXPECT_TRUE(message) << error;
    return message.value_or(Bytes{});
  }
  Bytes produce() { return produce(expectation_.binder, identity_); }

  std::string first_failure(std::span<const std::uint8_t> message) const {
    const auto result = verify_evidence_message(message, expectation_);
    const Check* failure = result.first_failure();
    return failure ? failure->name : "";
  }

  testing::ScratchDir dir_;
  std::unique_ptr<SimProvider> provider_;
  std::array<std::uint8_t, 32> module_{};
  Request request_;
  TlsIdentity identity_;
  Expectation expectation_;
};

}  // namespace attestmq::attest::session
