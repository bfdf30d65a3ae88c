#include "attest/snp/vcek_extensions.hpp"

#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/err.h>
#include <openssl/objects.h>

#include <memory>

namespace attestmq::attest {
namespace {

constexpr const char* kBlSpl = "1.3.6.1.4.1.3704.1.3.1";
constexpr const char* kTeeSpl = "1.3.6.1.4.1.3704.1.3.2";
constexpr const char* kSnpSpl = "1.3.6.1.4.1.3704.1.3.3";
constexpr const char* kUcodeSpl = "1.3.6.1.4.1.3704.1.3.8";
constexpr const char* kFmcSpl = "1.3.6.1.4.1.3704.1.3.9";
constexpr const char* kHwId = "1.3.6.1.4.1.3704.1.4";

struct ObjectFree {
  void operator()(ASN1_OBJECT* object) const { ASN1_OBJECT_free(object); }
};
struct IntegerFree {
  void operator()(ASN1_INTEGER* integer) const { ASN1_INTEGER_free(integer); }
};

// The extnValue octets of the one extension with this OID; an error when it is absent or
// present more than once (a second copy could say something else).
const ASN1_OCTET_STRING* unique_extension(const X509* cert, const char* oid, std::string& error) {
  std::unique_ptr<ASN1_OBJECT, ObjectFree> object(OBJ_txt2obj(oid, 1));
  if (!object) {
    error = fmt::format("cannot encode OID {}", oid);
    return nullptr;
  }
  const int index = X509_get_ext_by_OBJ(cert, object.get(), -1);
  if (index < 0) {
    error = fmt::format("extension {} is missing", oid);
    return nullptr;
  }
  if (X509_get_ext_by_OBJ(cert, object.get(), index) >= 0) {
    error = fmt::format("extension {} appears more than once", oid);
    return nullptr;
  }
  return X509_EXTENSION_get_data(X509_get_ext(cert, index));
}

// A security patch level: the extension holds a DER INTEGER that must fit a TCB byte.
std::optional<std::uint8_t> read_spl(const X509* cert, const char* oid, std::string& error) {
  const ASN1_OCTET_STRING* data = unique_extension(cert, oid, error);
  if (data == nullptr) return std::nullopt;
  const unsigned char* cursor = ASN1_STRING_get0_data(data);
  const long length = ASN1_STRING_length(data);
  std::unique_ptr<ASN1_INTEGER, IntegerFree> integer(d2i_ASN1_INTEGER(nullptr, &cursor, length));
  std::int64_t value = -1;
  const bool decoded = integer && cursor == ASN1_STRING_get0_data(data) + length &&
                       ASN1_INTEGER_get_int64(&value, integer.get()) == 1;
  ERR_clear_error();
  if (!decoded || value < 0 || value > 255) {
    error = fmt::format("extension {} is not a DER INTEGER in 0..255", oid);
    return std::nullopt;
  }
  return static_cast<std::uint8_t>(value);
}

}  // namespace

VcekExtensionsRead read_vcek_extensions(const X509* vcek, AmdProduct product) {
  VcekExtensionsRead result;
  VcekExtensions ext;
  std::string& error = result.error;
  const auto bl = read_spl(vcek, kBlSpl, error);
  if (!bl) return result;
  const auto tee = read_spl(vcek, kTeeSpl, error);
  if (!tee) return result;
  const auto snp = read_spl(vcek, kSnpSpl, error);
  if (!snp) return result;
  const auto ucode = read_spl(vcek, kUcodeSpl, error);
  if (!ucode) return result;
  ext.tcb.bootloader = *bl;
  ext.tcb.tee = *tee;
  ext.tcb.snp = *snp;
  ext.tcb.microcode = *ucode;
  if (product == AmdProduct::turin) {
    ext.tcb.fmc = read_spl(vcek, kFmcSpl, error);
    if (!ext.tcb.fmc) return result;
  }

  const ASN1_OCTET_STRING* hwid = unique_extension(vcek, kHwId, error);
  if (hwid == nullptr) return result;
  // Turin VCEKs carry only the first 8 bytes of CHIP_ID (KDS specification, Turin notes).
  const std::size_t expected = product == AmdProduct::turin ? 8 : 64;
  const auto length = static_cast<std::size_t>(ASN1_STRING_length(hwid));
  if (length != expected) {
    error = fmt::format("extension {} (hwID) is {} bytes, {} expected for {}", kHwId, length,
                        expected, to_string(product));
    return result;
  }
  const unsigned char* bytes = ASN1_STRING_get0_data(hwid);
  ext.hardware_id.assign(bytes, bytes + length);
  result.extensions = std::move(ext);
  return result;
}

}  // namespace attestmq::attest
