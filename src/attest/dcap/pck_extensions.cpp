#include "attest/dcap/pck_extensions.hpp"

#include <algorithm>
#include <memory>
#include <string_view>

#include <openssl/asn1.h>
#include <openssl/objects.h>

namespace attestmq::attest {
namespace {

// OIDs under the SGX extension (PCK Certificate and CRL Profile).
constexpr std::string_view kSgxExtensionOid = "1.2.840.113741.1.13.1";
constexpr std::string_view kTcbOid = "1.2.840.113741.1.13.1.2";
constexpr std::string_view kPceIdOid = "1.2.840.113741.1.13.1.3";
constexpr std::string_view kFmspcOid = "1.2.840.113741.1.13.1.4";
constexpr int kPcesvnComponent = 17;
constexpr int kCpusvnComponent = 18;

struct SequenceFree {
  void operator()(ASN1_SEQUENCE_ANY* s) const { sk_ASN1_TYPE_pop_free(s, ASN1_TYPE_free); }
};
using SequencePtr = std::unique_ptr<ASN1_SEQUENCE_ANY, SequenceFree>;

SequencePtr decode_sequence(const unsigned char* data, int size) {
  const unsigned char* p = data;
  SequencePtr seq(d2i_ASN1_SEQUENCE_ANY(nullptr, &p, size));
  if (seq && p != data + size) return nullptr;  // trailing bytes: not one well-formed SEQUENCE
  return seq;
}

SequencePtr decode_sequence(const ASN1_TYPE* t) {
  if (t == nullptr || t->type != V_ASN1_SEQUENCE) return nullptr;
  return decode_sequence(t->value.sequence->data, t->value.sequence->length);
}

std::string oid_text(const ASN1_OBJECT* obj) {
  char buf[80];
  const int len = OBJ_obj2txt(buf, sizeof(buf), obj, 1);
  if (len <= 0 || static_cast<std::size_t>(len) >= sizeof(buf)) return {};
  return std::string(buf, static_cast<std::size_t>(len));
}

// An extension entry is SEQUENCE { OBJECT IDENTIFIER, value }.
struct Entry {
  std::string oid;
  const ASN1_TYPE* value = nullptr;
};

std::optional<Entry> entry_of(const SequencePtr& pair) {
  if (!pair || sk_ASN1_TYPE_num(pair.get()) != 2) return std::nullopt;
  const ASN1_TYPE* id = sk_ASN1_TYPE_value(pair.get(), 0);
  if (id->type != V_ASN1_OBJECT) return std::nullopt;
  return Entry{oid_text(id->value.object), sk_ASN1_TYPE_value(pair.get(), 1)};
}

template <std::size_t N>
bool read_octets(const ASN1_TYPE* v, std::array<std::uint8_t, N>& out) {
  if (v->type != V_ASN1_OCTET_STRING || v->value.octet_string->length != static_cast<int>(N)) {
    return false;
  }
  std::copy_n(v->value.octet_string->data, N, out.begin());
  return true;
}

std::optional<std::int64_t> read_integer(const ASN1_TYPE* v, std::int64_t max) {
  std::int64_t n = 0;
  if (v->type != V_ASN1_INTEGER || ASN1_INTEGER_get_int64(&n, v->value.integer) != 1 || n < 0 ||
      n > max) {
    return std::nullopt;
  }
  return n;
}

std::optional<std::string> parse_tcb(const ASN1_TYPE* value, PckTcb& tcb) {
  auto items = decode_sequence(value);
  if (!items) return "TCB entry is not a SEQUENCE";
  const std::string prefix = std::string(kTcbOid) + ".";
  unsigned seen = 0;  // bit n set once component n (1..18) was read
  for (int i = 0; i < sk_ASN1_TYPE_num(items.get()); ++i) {
    auto pair = decode_sequence(sk_ASN1_TYPE_value(items.get(), i));
    auto entry = entry_of(pair);
    if (!entry || entry->oid.rfind(prefix, 0) != 0) return "malformed TCB component";
    const std::string suffix = entry->oid.substr(prefix.size());
    if (suffix.empty() || suffix.size() > 2 ||
        suffix.find_first_not_of("0123456789") != std::string::npos) {
      return "unknown TCB component " + entry->oid;
    }
    const int n = std::stoi(suffix);
    if (n >= 1 && n <= 16) {
      auto svn = read_integer(entry->value, 255);
      if (!svn) return "TCB component " + suffix + " is not an INTEGER in 0..255";
      tcb.cpusvn_components[static_cast<std::size_t>(n - 1)] = static_cast<std::uint8_t>(*svn);
    } else if (n == kPcesvnComponent) {
      auto svn = read_integer(entry->value, 65535);
      if (!svn) return "PCESVN is not an INTEGER in 0..65535";
      tcb.pcesvn = static_cast<std::uint16_t>(*svn);
    } else if (n == kCpusvnComponent) {
      if (!read_octets(entry->value, tcb.cpusvn)) return "CPUSVN is not a 16-byte OCTET STRING";
    } else {
      return "unknown TCB component " + entry->oid;
    }
    seen |= 1u << n;
  }
  constexpr unsigned kAll = ((1u << 19) - 1) & ~1u;
  if (seen != kAll) return "TCB lacks some of its 18 components";
  return std::nullopt;
}

}  // namespace

PckExtensionsResult parse_pck_extensions(X509* pck_leaf) {
  PckExtensionsResult r;
  std::unique_ptr<ASN1_OBJECT, decltype(&ASN1_OBJECT_free)> oid(
      OBJ_txt2obj(std::string(kSgxExtensionOid).c_str(), 1), ASN1_OBJECT_free);
  const int index = oid ? X509_get_ext_by_OBJ(pck_leaf, oid.get(), -1) : -1;
  if (index < 0) {
    r.error = "PCK certificate has no SGX extension (OID 1.2.840.113741.1.13.1)";
    return r;
  }
  const ASN1_OCTET_STRING* data = X509_EXTENSION_get_data(X509_get_ext(pck_leaf, index));
  auto entries = decode_sequence(data->data, data->length);
  if (!entries) {
    r.error = "SGX extension is not a DER SEQUENCE";
    return r;
  }
  PckExtensions ext;
  bool have_tcb = false, have_fmspc = false, have_pce_id = false;
  for (int i = 0; i < sk_ASN1_TYPE_num(entries.get()); ++i) {
    auto pair = decode_sequence(sk_ASN1_TYPE_value(entries.get(), i));
    auto entry = entry_of(pair);
    if (!entry) {
      r.error = "SGX extension entry " + std::to_string(i) + " is not SEQUENCE {OID, value}";
      return r;
    }
    if (entry->oid == kTcbOid) {
      if (auto err = parse_tcb(entry->value, ext.tcb)) {
        r.error = *err;
        return r;
      }
      have_tcb = true;
    } else if (entry->oid == kFmspcOid) {
      have_fmspc = read_octets(entry->value, ext.fmspc);
    } else if (entry->oid == kPceIdOid) {
      have_pce_id = read_octets(entry->value, ext.pce_id);
    }
  }
  if (!have_tcb || !have_fmspc || !have_pce_id) {
    r.error = "SGX extension lacks a well-formed TCB, FMSPC or PCE-ID";
    return r;
  }
  r.value = ext;
  return r;
}

}  // namespace attestmq::attest
