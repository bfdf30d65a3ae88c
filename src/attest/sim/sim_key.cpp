#include "attest/sim/sim_key.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string_view>
#include <vector>

#include "attest/common/ecdsa_p256.hpp"

namespace attestmq::attest {

namespace {
struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
struct SigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

SimKeyPtr create_key_file(const std::filesystem::path& path, std::string& error) {
  SimKeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) {
    error = "sim key: P-256 key generation failed";
    return nullptr;
  }
  // O_EXCL: never overwrite a key another process created meanwhile; 0600: private key.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = fmt::format("sim key {}: {}", path.string(), std::strerror(errno));
    return nullptr;
  }
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    error = fmt::format("sim key {}: fdopen failed", path.string());
    return nullptr;
  }
  const bool written =
      PEM_write_PrivateKey(file, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  if (std::fclose(file) != 0 || !written) {
    error = fmt::format("sim key {}: write failed", path.string());
    return nullptr;
  }
  return key;
}
}  // namespace

SimKeyPtr load_or_create_sim_key(const std::filesystem::path& path, std::string& error) {
  // stat() rather than std::filesystem::exists: the same answer (any failure reads as "no
  // file"), and also available in the Wasm build, whose libc++ has no filesystem operations.
  struct stat status {};
  if (::stat(path.c_str(), &status) != 0) return create_key_file(path, error);
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    error = fmt::format("sim key {}: cannot open", path.string());
    return nullptr;
  }
  SimKeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
  if (!key || !is_p256_key(key.get())) {
    error = fmt::format("sim key {}: not a PEM P-256 private key", path.string());
    return nullptr;
  }
  return key;
}

std::string sim_public_key_pem(EVP_PKEY* key) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key) != 1) return {};
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

SimKeyPtr parse_sim_public_key(const std::string& pem, std::string& error) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  SimKeyPtr key(bio ? PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr) : nullptr);
  if (!key || !is_p256_key(key.get())) {
    error = "pinned sim key is not a PEM P-256 public key";
    return nullptr;
  }
  return key;
}

std::optional<std::array<std::uint8_t, 64>> sim_sign(EVP_PKEY* key,
                                                     std::span<const std::uint8_t> message) {
  std::unique_ptr<EVP_MD_CTX, MdCtxDeleter> ctx(EVP_MD_CTX_new());
  std::size_t der_length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &der_length, message.data(), message.size()) != 1) {
    return std::nullopt;
  }
  std::vector<unsigned char> der(der_length);
  if (EVP_DigestSign(ctx.get(), der.data(), &der_length, message.data(), message.size()) != 1) {
    return std::nullopt;
  }
  const unsigned char* cursor = der.data();
  std::unique_ptr<ECDSA_SIG, SigDeleter> sig(
      d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(der_length)));
  if (!sig) return std::nullopt;
  std::array<std::uint8_t, 64> out{};
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out.data(), 32) != 32 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out.data() + 32, 32) != 32) {
    return std::nullopt;
  }
  return out;
}

}  // namespace attestmq::attest
