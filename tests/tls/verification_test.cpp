// Certificate verification on both sides: mutual TLS, required certificates, wrong CA,
// expiry, revocation (CRL) and the server's host name.
#include <gtest/gtest.h>

#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

using State = Session::State;

ServerTlsOptions verifying_listener(bool require_certificate) {
  ServerTlsOptions settings = certificate_listener();
  settings.cafile = pki().ca_file;
  settings.require_certificate = require_certificate;
  return settings;
}

ClientTlsOptions client_with(const test::CertificateFiles& certificate) {
  ClientTlsOptions options = trusting_client();
  options.certfile = certificate.certfile;
  options.keyfile = certificate.keyfile;
  return options;
}

TEST(Verification, MutualTlsReportsClientCommonNameAndSubject) {
  SessionPair pair(client_context(client_with(pki().client)),
                   server_context(verifying_listener(true)));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server.peer().certificate_cn, "client");
  EXPECT_EQ(pair.server.peer().certificate_subject, "CN=client,O=AttestMQ Tests");
}

TEST(Verification, RequiredCertificateMissing) {
  SessionPair pair(client_context(trusting_client()), server_context(verifying_listener(true)));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(), "peer did not return a certificate");
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_EQ(pair.client.error(), "peer sent alert \"certificate required\"");
}

// Without require_certificate a client may stay anonymous, but what it offers is verified.
TEST(Verification, OptionalCertificateIsVerifiedWhenOffered) {
  SessionPair anonymous(client_context(trusting_client()),
                        server_context(verifying_listener(false)));
  anonymous.handshake();
  ASSERT_EQ(anonymous.server.state(), State::established) << anonymous.server.error();
  EXPECT_EQ(anonymous.server.peer().certificate_cn, "");

  SessionPair offering(client_context(client_with(pki().wrong_ca_client)),
                       server_context(verifying_listener(false)));
  offering.handshake();
  EXPECT_EQ(offering.server.state(), State::failed);
  EXPECT_EQ(offering.server.error(),
            "certificate verify failed (unable to get local issuer certificate)");
}

TEST(Verification, ClientCertificateFromTheWrongCa) {
  SessionPair pair(client_context(client_with(pki().wrong_ca_client)),
                   server_context(verifying_listener(true)));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(),
            "certificate verify failed (unable to get local issuer certificate)");
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_EQ(pair.client.error(), "peer sent alert \"unknown ca\"");
}

TEST(Verification, ServerCertificateFromAnUntrustedCa) {
  ClientTlsOptions options = trusting_client();
  options.cafile = pki().wrong_ca_file;
  SessionPair pair(client_context(options), server_context(certificate_listener()));
  pair.handshake();
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_EQ(pair.client.error(),
            "certificate verify failed (unable to get local issuer certificate)");
  EXPECT_EQ(pair.server.state(), State::failed);
}

TEST(Verification, ExpiredClientCertificate) {
  SessionPair pair(client_context(client_with(pki().expired_client)),
                   server_context(verifying_listener(true)));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(), "certificate verify failed (certificate has expired)");
  EXPECT_EQ(pair.client.error(), "peer sent alert \"certificate expired\"");
}

TEST(Verification, RevokedClientCertificate) {
  ServerTlsOptions settings = verifying_listener(true);
  settings.crlfile = pki().crl_file;
  SessionPair pair(client_context(client_with(pki().revoked_client)), server_context(settings));
  pair.handshake();
  EXPECT_EQ(pair.server.state(), State::failed);
  EXPECT_EQ(pair.server.error(), "certificate verify failed (certificate revoked)");
  EXPECT_EQ(pair.client.error(), "peer sent alert \"certificate revoked\"");
}

// The CA's CRL is the second one in crl_file: the good client passes only if both loaded.
TEST(Verification, CrlFileWithSeveralCrlsAcceptsAGoodCertificate) {
  ServerTlsOptions settings = verifying_listener(true);
  settings.crlfile = pki().crl_file;
  SessionPair pair(client_context(client_with(pki().client)), server_context(settings));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  EXPECT_EQ(pair.server.peer().certificate_cn, "client");
}

TEST(Verification, CrlFileWithoutCrlIsAnError) {
  ServerTlsOptions settings = verifying_listener(true);
  settings.crlfile = pki().write_file("only_wrong_ca.crl", "");
  std::string error;
  EXPECT_EQ(Context::server(settings, error), nullptr);
  EXPECT_NE(error.find("crlfile " + settings.crlfile + ": "), std::string::npos) << error;
}

TEST(Verification, CapathOnBothSides) {
  ServerTlsOptions settings = certificate_listener();
  settings.capath = pki().ca_directory;
  settings.require_certificate = true;
  ClientTlsOptions options = client_with(pki().client);
  options.cafile.clear();
  options.capath = pki().ca_directory;
  SessionPair pair(client_context(options), server_context(settings));
  pair.handshake();
  ASSERT_EQ(pair.server.state(), State::established) << pair.server.error();
  ASSERT_EQ(pair.client.state(), State::established) << pair.client.error();
  EXPECT_EQ(pair.server.peer().certificate_cn, "client");
}

TEST(Verification, HostNameMismatch) {
  ClientTlsOptions options = trusting_client();
  options.server_name = "broker.example";
  SessionPair pair(client_context(options), server_context(certificate_listener()));
  pair.handshake();
  EXPECT_EQ(pair.client.state(), State::failed);
  EXPECT_EQ(pair.client.error(), "certificate verify failed (hostname mismatch)");
}

TEST(Verification, InsecureSkipsTheHostNameButNotTheChain) {
  ClientTlsOptions options = trusting_client();
  options.server_name = "broker.example";
  options.verify_hostname = false;
  SessionPair pair(client_context(options), server_context(certificate_listener()));
  pair.handshake();
  EXPECT_EQ(pair.client.state(), State::established) << pair.client.error();
}

TEST(Verification, IpAddressIsCheckedAgainstTheIpSan) {
  ClientTlsOptions options = trusting_client();
  options.server_name = "127.0.0.1";
  SessionPair matching(client_context(options), server_context(certificate_listener()));
  matching.handshake();
  EXPECT_EQ(matching.client.state(), State::established) << matching.client.error();

  options.server_name = "127.0.0.2";
  SessionPair other(client_context(options), server_context(certificate_listener()));
  other.handshake();
  EXPECT_EQ(other.client.error(), "certificate verify failed (IP address mismatch)");
}

}  // namespace
}  // namespace attestmq::tls
