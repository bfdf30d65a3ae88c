// A CMW inside an X.509 certificate (draft-ietf-rats-msg-wrap, "CMW Extension"): extension
// id-pe-cmw whose value is CHOICE { cbor OCTET STRING, json UTF8String }.
#include <fmt/format.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include <memory>

#include "attest/cmw/cmw.hpp"

namespace attestmq::attest {

namespace {
constexpr const char* kIdPeCmw = "1.3.6.1.5.5.7.1.35";

struct FreeX509 {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct FreeObject {
  void operator()(ASN1_OBJECT* object) const { ASN1_OBJECT_free(object); }
};
struct FreeType {
  void operator()(ASN1_TYPE* type) const { ASN1_TYPE_free(type); }
};
}  // namespace

std::optional<Cmw> parse_cmw_from_x509_der(std::span<const std::uint8_t> der, std::string& error,
                                           const CmwLimits& limits) {
  const unsigned char* cursor = der.data();
  const std::unique_ptr<X509, FreeX509> cert(
      d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (!cert || cursor != der.data() + der.size()) {
    error = "X.509: not exactly one DER certificate";
    return std::nullopt;
  }
  const std::unique_ptr<ASN1_OBJECT, FreeObject> oid(OBJ_txt2obj(kIdPeCmw, 1));
  const int index = X509_get_ext_by_OBJ(cert.get(), oid.get(), -1);
  if (index < 0) {
    error = fmt::format("X.509: no extension {} (id-pe-cmw)", kIdPeCmw);
    return std::nullopt;
  }
  if (X509_get_ext_by_OBJ(cert.get(), oid.get(), index) >= 0) {
    error = "X.509: extension id-pe-cmw appears twice";  // RFC 5280 section 4.2
    return std::nullopt;
  }
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(cert.get(), index));
  const unsigned char* inner = ASN1_STRING_get0_data(value);
  const auto inner_length = static_cast<long>(ASN1_STRING_length(value));
  const unsigned char* end = inner + inner_length;
  const std::unique_ptr<ASN1_TYPE, FreeType> choice(d2i_ASN1_TYPE(nullptr, &inner, inner_length));
  if (!choice || inner != end) {
    error = "X.509: id-pe-cmw value is not one DER element";
    return std::nullopt;
  }
  const int type = ASN1_TYPE_get(choice.get());
  if (type != V_ASN1_OCTET_STRING && type != V_ASN1_UTF8STRING) {
    error = "X.509: id-pe-cmw value is neither OCTET STRING (CBOR) nor UTF8String (JSON)";
    return std::nullopt;
  }
  const ASN1_STRING* content = choice->value.asn1_string;
  const std::span<const std::uint8_t> bytes(ASN1_STRING_get0_data(content),
                                            static_cast<std::size_t>(ASN1_STRING_length(content)));
  if (type == V_ASN1_OCTET_STRING) return parse_cmw_cbor(bytes, error, limits);
  return parse_cmw_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()),
                        error, limits);
}

}  // namespace attestmq::attest
