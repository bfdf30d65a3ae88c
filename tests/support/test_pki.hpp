#pragma once
// A throwaway PKI for TLS tests, generated with the OpenSSL API (EC P-256 keys) into a fresh
// temporary directory that the destructor removes. Nothing touches the network and nothing
// is checked in: every run gets new keys. The directory and files are readable by other
// users, so a mosquitto broker that drops root for the mosquitto user can load them.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace attestmq::test {

struct CertificateFiles {
  std::string certfile;  // PEM certificate
  std::string keyfile;   // PEM private key (PKCS#8, unencrypted)
};

class TestPki {
 public:
  // Generates everything below; aborts the test binary with a message if OpenSSL fails.
  TestPki();
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& directory() const { return directory_; }

  std::string ca_file;             // the CA certificate ("AttestMQ Test CA")
  // A capath-style directory holding the CA as HASH.0 (what `openssl rehash` makes).
  std::string ca_directory;
  CertificateFiles server;         // "localhost", SAN DNS:localhost and IP:127.0.0.1, by the CA
  CertificateFiles client;         // CN "client", by the CA
  CertificateFiles expired_client;  // CN "expired", by the CA, expired a day ago
  CertificateFiles revoked_client;  // CN "revoked", by the CA, listed in crl_file
  // Two CRLs in one file: the wrong CA's (empty) first, then the CA's listing revoked_client.
  std::string crl_file;
  std::string wrong_ca_file;       // an unrelated CA ("Wrong CA")
  CertificateFiles wrong_ca_client;  // CN "client", by the wrong CA

  // Another client certificate by the CA, with the given CN (and O=AttestMQ Tests), written
  // as NAME.pem / NAME.key where NAME is `file_stem`.
  CertificateFiles issue_client(const std::string& common_name, const std::string& file_stem);
  // A psk_file (mosquitto.conf(5): identity:hexkey lines) for these entries.
  std::string write_psk_file(
      const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& entries,
      const std::string& name = "psk_file.txt");
  // Any other file the test needs in the directory; returns its path.
  std::string write_file(const std::string& name, const std::string& contents);

  struct Authority;  // a CA's key and certificate, opaque to tests

 private:
  // A leaf certificate by `issuer`, valid from now + not_before to now + not_after seconds.
  CertificateFiles issue(const Authority& issuer, const std::string& common_name,
                         const std::string& file_stem, long not_before, long not_after,
                         const char* subject_alt_name);

  std::string directory_;
  std::unique_ptr<Authority> ca_;
  std::unique_ptr<Authority> wrong_ca_;
  long next_serial_ = 1;
};

}  // namespace attestmq::test
