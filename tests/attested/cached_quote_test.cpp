// One listener's cached evidence (docs/attestation.md section 6.2): each refresh makes a new K
// and a new quote; a refresh whose provider fails keeps the previous pair. Real providers: the
// sim TEE (SIMULATED, NO SECURITY), and the sgx-gramine provider over a directory laid out like
// Gramine's /dev/attestation whose quote never carries the REPORTDATA written, as a broken
// platform would answer.
#include "attested/cached_quote.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "attest/envelope/envelope.hpp"

namespace attestmq::attested {
namespace {

class CachedQuoteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "attestmq-quote-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    module_.fill(0x42);
    attest::ProviderConfig sim;
    sim.kind = "sim";
    sim.sim_key_file = dir_ / "sim-key.pem";
    std::string error;
    sim_ = attest::make_provider(sim, error);
    ASSERT_TRUE(sim_) << error;
    const auto gramine_root = dir_ / "gramine";
    std::filesystem::create_directory(gramine_root);
    std::ofstream(gramine_root / "attestation_type") << "dcap\n";
    std::ofstream(gramine_root / "user_report_data");
    std::ofstream(gramine_root / "quote") << std::string(1024, 'q');
    attest::ProviderConfig gramine;
    gramine.kind = "sgx-gramine";
    gramine.root = gramine_root;
    broken_ = attest::make_provider(gramine, error);
    ASSERT_TRUE(broken_) << error;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::filesystem::path dir_;
  std::array<std::uint8_t, 32> module_{};
  std::unique_ptr<attest::Provider> sim_;
  std::unique_ptr<attest::Provider> broken_;
};

TEST_F(CachedQuoteTest, EachRefreshMakesANewKeyAndQuote) {
  CachedQuote quote;
  EXPECT_EQ(quote.current(), nullptr);
  std::string error;
  ASSERT_TRUE(quote.refresh(*sim_, module_, 1000, error)) << error;
  const auto first = quote.current();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->issued_at(), 1000u);
  const auto claims = attest::parse_envelope(first->envelope(), error);
  ASSERT_TRUE(claims) << error;
  EXPECT_EQ(claims->claims.issued_at, 1000u);
  EXPECT_EQ(claims->claims.session_public_key->size(), 91u);
  EXPECT_TRUE(claims->claims.binder.empty());
  ASSERT_TRUE(quote.refresh(*sim_, module_, 2000, error)) << error;
  const auto second = quote.current();
  EXPECT_EQ(second->issued_at(), 2000u);
  const auto second_claims = attest::parse_envelope(second->envelope(), error);
  ASSERT_TRUE(second_claims) << error;
  EXPECT_NE(second_claims->claims.session_public_key, claims->claims.session_public_key);
  EXPECT_NE(second_claims->claims.nonce, claims->claims.nonce);
}

TEST_F(CachedQuoteTest, AFailedRefreshKeepsThePreviousPair) {
  CachedQuote quote;
  std::string error;
  ASSERT_TRUE(quote.refresh(*sim_, module_, 1000, error)) << error;
  const auto kept = quote.current();
  EXPECT_FALSE(quote.refresh(*broken_, module_, 2000, error));
  EXPECT_NE(error.find("quote does not carry the REPORTDATA just written"), std::string::npos) << error;
  EXPECT_EQ(quote.current(), kept);
  EXPECT_EQ(quote.current()->issued_at(), 1000u);
}

TEST_F(CachedQuoteTest, NoPairUntilARefreshSucceeds) {
  CachedQuote quote;
  std::string error;
  EXPECT_FALSE(quote.refresh(*broken_, module_, 1000, error));
  EXPECT_EQ(quote.current(), nullptr);
}

}  // namespace
}  // namespace attestmq::attested
