// The checked-in sim envelope (tests/data/attest/sim/SOURCE.txt), read back from its bytes:
// the same file `attestmq verify` is run on in tests/CMakeLists.txt. SIMULATED, NO SECURITY.
#include <gtest/gtest.h>

#include "attest/common/hex.hpp"
#include "attest/envelope/envelope.hpp"
#include "attest/verifier.hpp"
#include "provider_test_support.hpp"

namespace attestmq::attest {
namespace {

using testing::attest_data;
using testing::read_bytes;
using testing::read_text;

class SimEnvelopeFile : public ::testing::Test {
 protected:
  std::vector<std::uint8_t> envelope = read_bytes(attest_data("sim/envelope.cbor"));
  VerifyRequest request = [] {
    VerifyRequest r;
    r.root_pem = read_text(attest_data("sim/sim_platform_key.pem"));
    return r;
  }();

  std::string first_failure() const {
    const auto result = verify_evidence(envelope, request);
    return result.first_failure() ? result.first_failure()->name : std::string("(valid)");
  }
};

TEST_F(SimEnvelopeFile, ParsesWithTheClaimsItWasMadeWith) {
  std::string error;
  const auto parsed = parse_envelope(envelope, error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(parsed->claims.evidence_type, EvidenceType::sim);
  EXPECT_EQ(to_hex(parsed->claims.module_sha256), std::string(64, '1'));
  EXPECT_EQ(parsed->claims.nonce, std::vector<std::uint8_t>(16, 0x33));
}

TEST_F(SimEnvelopeFile, RejectedByTheDefaultPolicy) {
  EXPECT_EQ(first_failure(), "policy.allow_simulated");
}

TEST_F(SimEnvelopeFile, AcceptedByThePolicyFileThatAllowsSimulated) {
  std::string error;
  auto policy = load_policy(attest_data("sim/allow_simulated_policy.json"), error);
  ASSERT_TRUE(policy) << error;
  request.policy = *policy;
  const auto result = verify_evidence(envelope, request);
  ASSERT_TRUE(result.valid()) << result.first_failure()->name;
  EXPECT_EQ(result.claims.at("simulated"), "SIMULATED, NO SECURITY");
  EXPECT_EQ(result.claims.at("measurement"), to_hex(std::vector<std::uint8_t>(32, 0x5a)));
}

TEST_F(SimEnvelopeFile, RejectedUnderAnotherPlatformKeyOrAWrongModuleHash) {
  request.policy.allow_simulated = true;
  request.policy.accepted_module_hashes = {std::string(64, '2')};
  EXPECT_EQ(first_failure(), "policy.module_hash");
  request.policy.accepted_module_hashes.clear();
  request.root_pem = read_text(attest_data("go-tdx-guest/trusted_root.pem"));
  EXPECT_EQ(first_failure(), "sim.root");
}

}  // namespace
}  // namespace attestmq::attest
