#include "attest/snp/signature.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>

#include <memory>
#include <vector>

namespace attestmq::attest {
namespace {

struct SigFree {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

bool is_p384_key(EVP_PKEY* key) {
  if (key == nullptr || EVP_PKEY_base_id(key) != EVP_PKEY_EC) return false;
  char group[64] = {};
  std::size_t length = 0;
  return EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group,
                                        &length) == 1 &&
         std::string_view(group, length) == "secp384r1";
}

// OpenSSL verifies DER ECDSA-Sig-Value; the report stores r and s raw and little-endian.
std::vector<std::uint8_t> der_signature(const SnpReport& report) {
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  BIGNUM* r =
      BN_lebin2bn(report.signature_r.data(), static_cast<int>(report.signature_r.size()), nullptr);
  BIGNUM* s =
      BN_lebin2bn(report.signature_s.data(), static_cast<int>(report.signature_s.size()), nullptr);
  if (!sig || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  const int length = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (length <= 0) return {};
  std::vector<std::uint8_t> der(static_cast<std::size_t>(length));
  unsigned char* cursor = der.data();
  if (i2d_ECDSA_SIG(sig.get(), &cursor) != length) return {};
  return der;
}

}  // namespace

std::string snp_signature_problem(std::span<const std::uint8_t> bytes, const SnpReport& report,
                                  EVP_PKEY* vcek_key) {
  if (!is_p384_key(vcek_key)) return "the VCEK's public key is not an EC P-384 key";
  if (bytes.size() < kSnpSignedSize) return "the report is shorter than its signed part";
  const std::vector<std::uint8_t> der = der_signature(report);
  if (der.empty()) return "the signature's r and s cannot be encoded";
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  const bool verified =
      ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha384(), nullptr, vcek_key) == 1 &&
      EVP_DigestVerify(ctx.get(), der.data(), der.size(), bytes.data(), kSnpSignedSize) == 1;
  ERR_clear_error();
  return verified ? std::string{}
                  : "the ECDSA P-384 signature over bytes [0, 0x2A0) does not verify with the VCEK";
}

}  // namespace attestmq::attest
