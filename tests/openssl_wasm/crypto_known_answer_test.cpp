// libcrypto built for wasm32-wasi (src/wasm/openssl) against published answers: the
// digest and the signature check that attestation evidence rests on, computed inside the
// module by portable C (no-asm) and compared with FIPS 180-2 and RFC 6979.
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "openssl_test_support.hpp"

namespace attestmq::openssl_wasm::test {
namespace {

std::string sha256_hex(std::string_view message) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (EVP_Digest(message.data(), message.size(), digest, &length, EVP_sha256(), nullptr) != 1) {
    return "EVP_Digest failed: " + openssl_errors();
  }
  return to_hex({digest, length});
}

// FIPS 180-2, appendix B.1 and B.2: one block and two blocks.
TEST(CryptoKnownAnswer, Sha256OfTheFipsMessages) {
  EXPECT_EQ(sha256_hex("abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

// RFC 6979 appendix A.2.5: the P-256 key and its ECDSA-SHA-256 signature of "sample".
constexpr std::string_view kPublicX =
    "60fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6";
constexpr std::string_view kPublicY =
    "7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
constexpr std::string_view kSignatureR =
    "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716";
constexpr std::string_view kSignatureS =
    "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8";

PkeyPtr rfc6979_public_key() {
  std::vector<unsigned char> point{0x04};  // SEC 1 uncompressed point: 04 || X || Y
  for (auto coordinate : {kPublicX, kPublicY}) {
    auto bytes = from_hex(coordinate);
    point.insert(point.end(), bytes.begin(), bytes.end());
  }
  std::unique_ptr<OSSL_PARAM_BLD, decltype(&OSSL_PARAM_BLD_free)> builder(OSSL_PARAM_BLD_new(),
                                                                          OSSL_PARAM_BLD_free);
  OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
  OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(),
                                   point.size());
  std::unique_ptr<OSSL_PARAM, decltype(&OSSL_PARAM_free)> params(
      OSSL_PARAM_BLD_to_param(builder.get()), OSSL_PARAM_free);
  std::unique_ptr<EVP_PKEY_CTX, decltype(&EVP_PKEY_CTX_free)> context(
      EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr), EVP_PKEY_CTX_free);
  EVP_PKEY* key = nullptr;
  if (!params || !context || EVP_PKEY_fromdata_init(context.get()) != 1 ||
      EVP_PKEY_fromdata(context.get(), &key, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ADD_FAILURE() << "RFC 6979 public key: " << openssl_errors();
  }
  return PkeyPtr(key);
}

// DER ECDSA-Sig-Value (RFC 3279 section 2.2.3) from r and s in hex.
std::vector<unsigned char> der_signature(std::string_view r_hex, std::string_view s_hex) {
  auto r = from_hex(r_hex);
  auto s = from_hex(s_hex);
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> signature(ECDSA_SIG_new(),
                                                                  ECDSA_SIG_free);
  ECDSA_SIG_set0(signature.get(), BN_bin2bn(r.data(), static_cast<int>(r.size()), nullptr),
                 BN_bin2bn(s.data(), static_cast<int>(s.size()), nullptr));
  std::vector<unsigned char> der(static_cast<std::size_t>(i2d_ECDSA_SIG(signature.get(), nullptr)));
  unsigned char* cursor = der.data();
  i2d_ECDSA_SIG(signature.get(), &cursor);
  return der;
}

// 1 valid, 0 invalid, negative on error: EVP_DigestVerify's own answer.
int verify_sha256(EVP_PKEY* key, std::string_view message,
                  const std::vector<unsigned char>& der) {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                  EVP_MD_CTX_free);
  if (EVP_DigestVerifyInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1) {
    return -1;
  }
  return EVP_DigestVerify(context.get(), der.data(), der.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size());
}

TEST(CryptoKnownAnswer, EcdsaP256VerifiesTheRfc6979Signature) {
  auto key = rfc6979_public_key();
  ASSERT_TRUE(key);
  EXPECT_EQ(verify_sha256(key.get(), "sample", der_signature(kSignatureR, kSignatureS)), 1)
      << openssl_errors();
}

TEST(CryptoKnownAnswer, EcdsaP256RejectsAnotherMessageOrAlteredSignature) {
  auto key = rfc6979_public_key();
  ASSERT_TRUE(key);
  auto signature = der_signature(kSignatureR, kSignatureS);
  EXPECT_EQ(verify_sha256(key.get(), "samplf", signature), 0);
  // s with its last bit flipped.
  std::string altered_s(kSignatureS);
  altered_s.back() = '9';
  EXPECT_EQ(verify_sha256(key.get(), "sample", der_signature(kSignatureR, altered_s)), 0);
  ERR_clear_error();
}

}  // namespace
}  // namespace attestmq::openssl_wasm::test
