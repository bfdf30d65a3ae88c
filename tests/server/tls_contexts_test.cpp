// Which listeners get transport A (docs/attestation.md section 8): attestation_handshake needs
// a provider and a TLS listener that allows TLS 1.3, and each refusal names the listener.
#include <gtest/gtest.h>

#include "../attest/provider_test_support.hpp"
#include "server/tls_contexts.hpp"
#include "test_pki.hpp"

namespace attestmq::server {
namespace {

test::TestPki& pki() {
  static test::TestPki instance;
  return instance;
}

config::ListenerConfig attesting_listener() {
  config::ListenerConfig listener;
  listener.origin = "test.conf:1";
  listener.tls.certfile = pki().server.certfile;
  listener.tls.keyfile = pki().server.keyfile;
  listener.attestation_handshake = true;
  listener.attestation_extension_codepoint = 0xFF10;
  return listener;
}

class TlsContextsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    attest::ProviderConfig config;
    config.kind = "sim";
    config.sim_key_file = dir_.path() / "sim-platform.pem";
    std::string error;
    auto provider = attest::make_provider(config, error);
    ASSERT_TRUE(provider) << error;
    attested_ = attested::AttestedSessions::create(std::move(provider), std::array<std::uint8_t, 32>{}, {},
                                         error);
    ASSERT_TRUE(attested_) << error;
  }

  std::string load_error(attested::AttestedSessions* attested, const config::ListenerConfig& listener) {
    TlsContexts contexts(false, attested);
    std::string error;
    EXPECT_FALSE(contexts.load({listener}, error));
    return error;
  }

  attest::testing::ScratchDir dir_;
  std::unique_ptr<attested::AttestedSessions> attested_;
};

TEST_F(TlsContextsTest, ListenerWithAttestationHandshakeGetsTheExtension) {
  TlsContexts contexts(false, attested_.get());
  std::string error;
  ASSERT_TRUE(contexts.load({attesting_listener()}, error)) << error;
  const auto context = contexts.current(0);
  ASSERT_NE(context, nullptr);
  ASSERT_TRUE(context->server_attestation().has_value());
  EXPECT_EQ(context->server_attestation()->codepoint, 0xFF10);
}

TEST_F(TlsContextsTest, ListenerWithoutItHasNone) {
  config::ListenerConfig listener = attesting_listener();
  listener.attestation_handshake = false;
  TlsContexts contexts(false, attested_.get());
  std::string error;
  ASSERT_TRUE(contexts.load({listener}, error)) << error;
  EXPECT_FALSE(contexts.current(0)->server_attestation().has_value());
}

TEST_F(TlsContextsTest, AttestationHandshakeNeedsAProvider) {
  EXPECT_EQ(load_error(nullptr, attesting_listener()),
            "listener test.conf:1: attestation_handshake needs a TEE provider (tee or --tee)");
}

TEST_F(TlsContextsTest, AttestationHandshakeNeedsTls) {
  config::ListenerConfig listener = attesting_listener();
  listener.tls = {};
  EXPECT_EQ(load_error(attested_.get(), listener),
            "listener test.conf:1: attestation_handshake needs a TLS listener (certfile/keyfile "
            "or psk_hint/psk_file)");
}

TEST_F(TlsContextsTest, AttestationHandshakeNeedsTls13) {
  config::ListenerConfig listener = attesting_listener();
  listener.tls.tls_version = "tlsv1.2";
  EXPECT_EQ(load_error(attested_.get(), listener),
            "listener test.conf:1: attestation_handshake needs TLS 1.3, but tls_version is "
            "tlsv1.2");
}

}  // namespace
}  // namespace attestmq::server
