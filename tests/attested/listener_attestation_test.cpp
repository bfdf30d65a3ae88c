// What attestation_listeners refuses at startup (src/attested/listener_attestation.cpp).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <variant>

#include "attested/listener_attestation.hpp"
#include "../config/config_test_helpers.hpp"

namespace attestmq::attested {
namespace {

using config::testing::parse_ok;

// OpenSSL reads a capath during handshakes, after the configuration digest was taken, so an
// attesting broker could not say which CAs it trusts (docs/evidence.md section 2.1).
TEST(AttestationListeners, AnAttestingBrokerRefusesCapath) {
  const std::filesystem::path directory = ::testing::TempDir() + "attestmq-capath";
  std::filesystem::create_directories(directory / "certs");
  std::ofstream(directory / "cert.pem") << "not read here\n";
  const std::string listener = "listener 8883\ncertfile " + (directory / "cert.pem").string() +
                               "\nkeyfile " + (directory / "cert.pem").string() + "\ncapath " +
                               (directory / "certs").string() + "\n";

  const auto attesting = attestation_listeners(parse_ok("tee sim\n" + listener));
  ASSERT_TRUE(std::holds_alternative<std::string>(attesting));
  EXPECT_EQ(std::get<std::string>(attesting),
            "test.conf:2: capath " + (directory / "certs").string() +
                ": an attesting broker (tee) takes its CAs from cafile, whose bytes are attested");

  EXPECT_TRUE(std::holds_alternative<std::vector<AttestationListener>>(
      attestation_listeners(parse_ok(listener))));
}

}  // namespace
}  // namespace attestmq::attested
