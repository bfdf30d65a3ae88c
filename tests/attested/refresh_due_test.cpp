// Section 6.2's refresh schedule, as both hosts drive it: the native server from its refresher
// thread, the Wasm guest from its tick. The sim TEE (SIMULATED, NO SECURITY) makes the quotes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include "attested/attested_sessions.hpp"

namespace attestmq::attested {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

class RefreshDueTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "attestmq-due-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::unique_ptr<AttestedSessions> sessions(std::vector<AttestationListener> listeners) {
    attest::ProviderConfig sim;
    sim.kind = "sim";
    sim.sim_key_file = dir_ / "sim-key.pem";
    std::string error;
    auto provider = attest::make_provider(sim, error);
    EXPECT_TRUE(provider) << error;
    auto made = AttestedSessions::create(std::move(provider), {}, std::move(listeners), error);
    EXPECT_TRUE(made) << error;
    return made;
  }

  AttestedSessions::Log collect() {
    return [this](broker::LogLevel level, std::string_view line) {
      lines_.push_back(std::to_string(static_cast<int>(level)) + " " + std::string(line));
    };
  }

  std::filesystem::path dir_;
  std::vector<std::string> lines_;
};

TEST_F(RefreshDueTest, NothingCachedMeansNothingIsEverDue) {
  auto attested = sessions({AttestationListener{}});
  ASSERT_TRUE(attested);
  EXPECT_FALSE(attested->refresh_due(steady_clock::now() + seconds(3600), collect()));
  EXPECT_TRUE(lines_.empty());
}

TEST_F(RefreshDueTest, AQuoteIsRefreshedOncePerPeriodAndNotBefore) {
  const auto created = steady_clock::now();
  AttestationListener plain;
  AttestationListener cached;
  cached.quote_period = seconds(60);
  auto attested = sessions({plain, cached});
  ASSERT_TRUE(attested);

  // create() made the first quote: the next is a period away, and nothing is refreshed early.
  const auto first_due = attested->refresh_due(steady_clock::now(), collect());
  ASSERT_TRUE(first_due);
  EXPECT_GE(*first_due, created + seconds(60));
  EXPECT_LE(*first_due, steady_clock::now() + seconds(60));
  EXPECT_TRUE(lines_.empty());

  const auto second_due = attested->refresh_due(*first_due, collect());
  ASSERT_EQ(lines_.size(), 1u);
  EXPECT_NE(lines_[0].find("Refreshed the cached attestation quote of listener 1."), std::string::npos)
      << lines_[0];
  ASSERT_TRUE(second_due);
  EXPECT_EQ(*second_due, *first_due + seconds(60));
}

}  // namespace
}  // namespace attestmq::attested
