// Options a context cannot honour: every error names the option and, for files, the path.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "session_pair.hpp"

namespace attestmq::tls {
namespace {

std::string server_error(const ServerTlsOptions& settings) {
  std::string error;
  EXPECT_EQ(Context::server(settings, error), nullptr);
  return error;
}

std::string client_error(const ClientTlsOptions& options) {
  std::string error;
  EXPECT_EQ(Context::client(options, error), nullptr);
  return error;
}

TEST(ContextErrors, NeitherCertificateNorPsk) {
  ServerTlsOptions settings;
  settings.cafile = pki().ca_file;
  EXPECT_EQ(server_error(settings),
            "a TLS listener needs certfile and keyfile, or psk_hint and psk_file");
}

TEST(ContextErrors, MissingCertfile) {
  ServerTlsOptions settings = certificate_listener();
  settings.certfile = "/nonexistent/server.pem";
  EXPECT_EQ(server_error(settings), "certfile /nonexistent/server.pem: No such file or directory");
}

TEST(ContextErrors, MissingKeyfile) {
  ServerTlsOptions settings = certificate_listener();
  settings.keyfile = "/nonexistent/server.key";
  EXPECT_EQ(server_error(settings), "keyfile /nonexistent/server.key: No such file or directory");
}

TEST(ContextErrors, CertfileWithoutKeyfile) {
  ServerTlsOptions settings = certificate_listener();
  settings.keyfile.clear();
  EXPECT_EQ(server_error(settings), "certfile " + settings.certfile + " is set without keyfile");
}

TEST(ContextErrors, KeyfileDoesNotMatchCertfile) {
  ServerTlsOptions settings = certificate_listener();
  settings.keyfile = pki().client.keyfile;
  EXPECT_EQ(server_error(settings),
            "keyfile " + settings.keyfile + " does not match certfile " + settings.certfile);
}

TEST(ContextErrors, CertfileThatIsNotPem) {
  ServerTlsOptions settings = certificate_listener();
  settings.certfile = pki().write_file("not_a_certificate.pem", "hello\n");
  EXPECT_EQ(server_error(settings), "certfile " + settings.certfile + ": no start line");
}

TEST(ContextErrors, MissingCafile) {
  ServerTlsOptions settings = certificate_listener();
  settings.cafile = "/nonexistent/ca.pem";
  EXPECT_EQ(server_error(settings), "cafile /nonexistent/ca.pem: No such file or directory");
}

TEST(ContextErrors, CafileWithoutCertificates) {
  ServerTlsOptions settings = certificate_listener();
  settings.cafile = pki().write_file("empty_ca.pem", "");
  EXPECT_EQ(server_error(settings), "cafile " + settings.cafile + ": no PEM certificate in the file");
}

// The configuration digest covers the cafile bytes config/ read (docs/evidence.md); the
// context trusts those bytes, not whatever the path holds when it is built.
TEST(ContextErrors, CafileBytesReadEarlierAreTheOnesTrusted) {
  ServerTlsOptions settings = certificate_listener();
  settings.cafile = "/nonexistent/ca.pem";
  std::ifstream ca(pki().ca_file);
  settings.cafile_bytes = std::string(std::istreambuf_iterator<char>(ca), {});
  std::string error;
  EXPECT_NE(Context::server(settings, error), nullptr) << error;
  settings.cafile_bytes = "not a certificate\n";
  EXPECT_EQ(server_error(settings), "cafile /nonexistent/ca.pem: no PEM certificate in the file");
}

TEST(ContextErrors, MissingCapath) {
  ServerTlsOptions settings = certificate_listener();
  settings.capath = "/nonexistent/certs";
  EXPECT_EQ(server_error(settings), "capath /nonexistent/certs: No such file or directory");
}

TEST(ContextErrors, MissingCrlfile) {
  ServerTlsOptions settings = certificate_listener();
  settings.cafile = pki().ca_file;
  settings.crlfile = "/nonexistent/crl.pem";
  EXPECT_EQ(server_error(settings), "crlfile /nonexistent/crl.pem: No such file or directory");
}

TEST(ContextErrors, CrlfileWithoutCrl) {
  ServerTlsOptions settings = certificate_listener();
  settings.cafile = pki().ca_file;
  settings.crlfile = pki().ca_file;  // a certificate, not a CRL
  EXPECT_EQ(server_error(settings).rfind("crlfile " + settings.crlfile + ": ", 0), 0u);
}

TEST(ContextErrors, CrlfileNeedsTrustAnchors) {
  ServerTlsOptions settings = certificate_listener();
  settings.crlfile = pki().crl_file;
  EXPECT_EQ(server_error(settings), "crlfile " + settings.crlfile + " needs cafile or capath");
}

TEST(ContextErrors, RequireCertificateNeedsTrustAnchors) {
  ServerTlsOptions settings = certificate_listener();
  settings.require_certificate = true;
  EXPECT_EQ(server_error(settings),
            "require_certificate needs cafile or capath to verify client certificates");
}

TEST(ContextErrors, CiphersMatchingNothing) {
  ServerTlsOptions settings = certificate_listener();
  settings.ciphers = "FOO";
  EXPECT_EQ(server_error(settings), "ciphers 'FOO': no cipher matches");
}

TEST(ContextErrors, CiphersTls13MatchingNothing) {
  ServerTlsOptions settings = certificate_listener();
  settings.ciphers_tls13 = "FOO";
  EXPECT_EQ(server_error(settings), "ciphers_tls1.3 'FOO': no cipher suite matches");
}

TEST(ContextErrors, UnknownTlsVersion) {
  ServerTlsOptions settings = certificate_listener();
  settings.tls_version = "tlsv1.1";
  EXPECT_EQ(server_error(settings), "tls_version 'tlsv1.1': expected tlsv1.2 or tlsv1.3");
}

TEST(ContextErrors, UnwritableKeylogFile) {
  ServerTlsOptions settings = certificate_listener();
  settings.keylog_file = "/nonexistent/keylog.txt";
  EXPECT_EQ(server_error(settings),
            "tls_keylog_file /nonexistent/keylog.txt: No such file or directory");
}

TEST(ContextErrors, ClientOptionsNameTheirFiles) {
  ClientTlsOptions options = trusting_client();
  options.cafile = "/nonexistent/ca.pem";
  EXPECT_EQ(client_error(options), "cafile /nonexistent/ca.pem: No such file or directory");
  options = trusting_client();
  options.certfile = pki().client.certfile;
  options.keyfile = pki().server.keyfile;
  EXPECT_EQ(client_error(options),
            "keyfile " + options.keyfile + " does not match certfile " + options.certfile);
  options = trusting_client();
  options.ciphers_tls13 = "FOO";
  EXPECT_EQ(client_error(options), "ciphers_tls1.3 'FOO': no cipher suite matches");
}

}  // namespace
}  // namespace attestmq::tls
