#include "test_pki.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace attestmq::test {

struct TestPki::Authority {
  EVP_PKEY* key = nullptr;
  X509* certificate = nullptr;
  ~Authority() {
    X509_free(certificate);
    EVP_PKEY_free(key);
  }
};

namespace {

constexpr long kDay = 24 * 60 * 60;
constexpr long kYear = 365 * kDay;

[[noreturn]] void die(const char* what) {
  std::fprintf(stderr, "test_pki: %s failed\n", what);
  std::abort();
}

void check(bool ok, const char* what) {
  if (!ok) die(what);
}

EVP_PKEY* new_key() {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  check(key != nullptr, "EVP_PKEY_Q_keygen");
  return key;
}

X509_NAME* new_name(const std::string& common_name) {
  X509_NAME* name = X509_NAME_new();
  const auto add = [name](const char* field, const std::string& value) {
    check(X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8,
                                     reinterpret_cast<const unsigned char*>(value.c_str()), -1,
                                     -1, 0) == 1,
          "X509_NAME_add_entry_by_txt");
  };
  add("O", "AttestMQ Tests");
  add("CN", common_name);
  return name;
}

void add_extension(X509* certificate, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer, certificate, nullptr, nullptr, 0);
  X509_EXTENSION* extension = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  check(extension != nullptr && X509_add_ext(certificate, extension, -1) == 1, value);
  X509_EXTENSION_free(extension);
}

struct Validity {
  long not_before;  // seconds from now
  long not_after;
};

// A certificate for `key` named `common_name`, signed by `issuer` (self-signed if null).
X509* new_certificate(EVP_PKEY* key, const std::string& common_name,
                      const TestPki::Authority* issuer, long serial, Validity validity,
                      bool is_ca, const char* subject_alt_name) {
  X509* certificate = X509_new();
  check(X509_set_version(certificate, X509_VERSION_3) == 1, "X509_set_version");
  ASN1_INTEGER_set(X509_get_serialNumber(certificate), serial);
  X509_gmtime_adj(X509_getm_notBefore(certificate), validity.not_before);
  X509_gmtime_adj(X509_getm_notAfter(certificate), validity.not_after);
  X509_NAME* subject = new_name(common_name);
  X509_set_subject_name(certificate, subject);
  X509_NAME_free(subject);
  X509* issuer_certificate = issuer != nullptr ? issuer->certificate : certificate;
  X509_set_issuer_name(certificate, X509_get_subject_name(issuer_certificate));
  check(X509_set_pubkey(certificate, key) == 1, "X509_set_pubkey");
  add_extension(certificate, issuer_certificate, NID_subject_key_identifier, "hash");
  add_extension(certificate, issuer_certificate, NID_authority_key_identifier, "keyid:always");
  if (is_ca) {
    add_extension(certificate, issuer_certificate, NID_basic_constraints, "critical,CA:TRUE");
    add_extension(certificate, issuer_certificate, NID_key_usage,
                  "critical,keyCertSign,cRLSign");
  } else {
    add_extension(certificate, issuer_certificate, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(certificate, issuer_certificate, NID_key_usage,
                  "critical,digitalSignature");
    add_extension(certificate, issuer_certificate, NID_ext_key_usage,
                  "serverAuth,clientAuth");
  }
  if (subject_alt_name != nullptr) {
    add_extension(certificate, issuer_certificate, NID_subject_alt_name, subject_alt_name);
  }
  EVP_PKEY* signer = issuer != nullptr ? issuer->key : key;
  check(X509_sign(certificate, signer, EVP_sha256()) > 0, "X509_sign");
  return certificate;
}

// A CRL by `authority` listing `revoked_serials`, valid from a day ago for a week.
X509_CRL* new_crl(const TestPki::Authority& authority, const std::vector<long>& revoked_serials) {
  X509_CRL* crl = X509_CRL_new();
  check(X509_CRL_set_version(crl, X509_CRL_VERSION_2) == 1, "X509_CRL_set_version");
  X509_CRL_set_issuer_name(crl, X509_get_subject_name(authority.certificate));
  ASN1_TIME* last_update = X509_gmtime_adj(nullptr, -kDay);
  ASN1_TIME* next_update = X509_gmtime_adj(nullptr, 7 * kDay);
  X509_CRL_set1_lastUpdate(crl, last_update);
  X509_CRL_set1_nextUpdate(crl, next_update);
  for (const long serial : revoked_serials) {
    X509_REVOKED* revoked = X509_REVOKED_new();
    ASN1_INTEGER* number = ASN1_INTEGER_new();
    ASN1_INTEGER_set(number, serial);
    X509_REVOKED_set_serialNumber(revoked, number);
    X509_REVOKED_set_revocationDate(revoked, last_update);
    ASN1_INTEGER_free(number);
    check(X509_CRL_add0_revoked(crl, revoked) == 1, "X509_CRL_add0_revoked");
  }
  ASN1_TIME_free(last_update);
  ASN1_TIME_free(next_update);
  X509_CRL_sort(crl);
  check(X509_CRL_sign(crl, authority.key, EVP_sha256()) > 0, "X509_CRL_sign");
  return crl;
}

std::FILE* open_for_writing(const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  check(file != nullptr, path.c_str());
  return file;
}

void write_certificate(const std::string& path, X509* certificate) {
  std::FILE* file = open_for_writing(path);
  check(PEM_write_X509(file, certificate) == 1, "PEM_write_X509");
  std::fclose(file);
}

void write_key(const std::string& path, EVP_PKEY* key) {
  std::FILE* file = open_for_writing(path);
  check(PEM_write_PrivateKey(file, key, nullptr, nullptr, 0, nullptr, nullptr) == 1,
        "PEM_write_PrivateKey");
  std::fclose(file);
}

}  // namespace

TestPki::TestPki() {
  std::string pattern = (std::filesystem::temp_directory_path() / "attestmq-pki-XXXXXX").string();
  check(mkdtemp(pattern.data()) != nullptr, "mkdtemp");
  directory_ = pattern;
  // Readable by others: mosquitto started as root drops to the mosquitto user, which must
  // still read the certificates and keys (throwaway keys, nothing to protect).
  std::filesystem::permissions(directory_, std::filesystem::perms::owner_all |
                                               std::filesystem::perms::group_read |
                                               std::filesystem::perms::group_exec |
                                               std::filesystem::perms::others_read |
                                               std::filesystem::perms::others_exec);

  const auto new_authority = [this](const std::string& name, const std::string& file) {
    auto authority = std::make_unique<Authority>();
    authority->key = new_key();
    authority->certificate = new_certificate(authority->key, name, nullptr, next_serial_++,
                                             {-kDay, 10 * kYear}, true, nullptr);
    write_certificate(directory_ + "/" + file, authority->certificate);
    return authority;
  };
  ca_ = new_authority("AttestMQ Test CA", "ca.pem");
  ca_file = directory_ + "/ca.pem";
  // OpenSSL's hashed directory lookup (X509_LOOKUP_hash_dir) finds a CA as
  // <subject name hash, 8 hex digits>.<n>.
  ca_directory = directory_ + "/capath";
  std::filesystem::create_directory(ca_directory);
  char hashed_name[16];
  std::snprintf(hashed_name, sizeof hashed_name, "%08lx.0",
                X509_subject_name_hash(ca_->certificate));
  write_certificate(ca_directory + "/" + hashed_name, ca_->certificate);
  wrong_ca_ = new_authority("Wrong CA", "wrong_ca.pem");
  wrong_ca_file = directory_ + "/wrong_ca.pem";

  server = issue(*ca_, "localhost", "server", -kDay, kYear, "DNS:localhost,IP:127.0.0.1");
  client = issue(*ca_, "client", "client", -kDay, kYear, nullptr);
  expired_client = issue(*ca_, "expired", "expired", -2 * kDay, -kDay, nullptr);
  const long revoked_serial = next_serial_;
  revoked_client = issue(*ca_, "revoked", "revoked", -kDay, kYear, nullptr);
  wrong_ca_client = issue(*wrong_ca_, "client", "wrong_ca_client", -kDay, kYear, nullptr);

  crl_file = directory_ + "/crl.pem";
  std::FILE* file = open_for_writing(crl_file);
  for (const auto& [authority, serials] :
       {std::pair{wrong_ca_.get(), std::vector<long>{}},
        std::pair{ca_.get(), std::vector{revoked_serial}}}) {
    X509_CRL* crl = new_crl(*authority, serials);
    check(PEM_write_X509_CRL(file, crl) == 1, "PEM_write_X509_CRL");
    X509_CRL_free(crl);
  }
  std::fclose(file);
}

TestPki::~TestPki() {
  std::error_code ignored;
  std::filesystem::remove_all(directory_, ignored);
}

CertificateFiles TestPki::issue(const Authority& issuer, const std::string& common_name,
                                const std::string& file_stem, long not_before, long not_after,
                                const char* subject_alt_name) {
  EVP_PKEY* key = new_key();
  X509* certificate = new_certificate(key, common_name, &issuer, next_serial_++,
                                      {not_before, not_after}, false, subject_alt_name);
  CertificateFiles files{directory_ + "/" + file_stem + ".pem",
                         directory_ + "/" + file_stem + ".key"};
  write_certificate(files.certfile, certificate);
  write_key(files.keyfile, key);
  X509_free(certificate);
  EVP_PKEY_free(key);
  return files;
}

CertificateFiles TestPki::issue_client(const std::string& common_name,
                                       const std::string& file_stem) {
  return issue(*ca_, common_name, file_stem, -kDay, kYear, nullptr);
}

std::string TestPki::write_psk_file(
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& entries,
    const std::string& name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string contents;
  for (const auto& [identity, key] : entries) {
    contents += identity + ":";
    for (const std::uint8_t byte : key) {
      contents += kHex[byte >> 4];
      contents += kHex[byte & 0xf];
    }
    contents += "\n";
  }
  return write_file(name, contents);
}

std::string TestPki::write_file(const std::string& name, const std::string& contents) {
  const std::string path = directory_ + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

}  // namespace attestmq::test
