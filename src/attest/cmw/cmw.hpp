#pragma once
// RATS Conceptual Message Wrapper (draft-ietf-rats-msg-wrap): the record, tag and collection
// forms, parsed from and written as deterministic CBOR (the JSON and X.509 carriers the
// draft also defines have no use in AttestMQ, so they are not read). The parser never trusts
// a length: every item is bounded by the input and by the limits below.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace attestmq::attest {

// Indicator bits of a record (draft-ietf-rats-msg-wrap, "CMW Record"): what the value is.
enum CmwIndicator : std::uint64_t {
  kReferenceValues = 1,
  kEndorsements = 2,
  kEvidence = 4,
  kAttestationResults = 8,
  kTrustAnchors = 16,
};

struct CmwItem;

struct Cmw {
  enum class Form { record, tag, collection };
  Form form = Form::record;
  // record: [type, value, ?indicator]; type is a media type (text) or a CoAP Content-Format.
  std::variant<std::string, std::uint64_t> type;
  std::vector<std::uint8_t> value;  // record value, or the byte string inside a tag
  std::optional<std::uint64_t> indicator;
  // tag: #6.<tag>(bstr), the CBOR-only compact form.
  std::uint64_t tag = 0;
  // collection: { ? "__cmwc_t": URI or OID, + label => CMW }
  std::optional<std::string> collection_type;
  std::vector<CmwItem> items;

  // The member with this label, or nullptr.
  const Cmw* find(std::string_view label) const;
};

struct CmwLabel {
  std::variant<std::string, std::int64_t> value;
  bool operator==(const CmwLabel&) const = default;
};

struct CmwItem {
  CmwLabel label;
  Cmw cmw;
};

struct CmwLimits {
  std::size_t max_bytes = 64 * 1024;  // whole encoded input
  std::size_t max_depth = 4;          // collections nested in collections
  std::size_t max_items = 32;         // members of one collection
};

// Returns nullopt and sets `error` (naming the offending element) when the input is not
// a well-formed CMW within `limits`. Indefinite-length CBOR items are refused.
std::optional<Cmw> parse_cmw_cbor(std::span<const std::uint8_t> bytes, std::string& error,
                                  const CmwLimits& limits = {});
// What the parser accepts as a record's media type: 1 to 255 printable ASCII characters.
bool plausible_media_type(std::string_view type);

// Deterministic CBOR (RFC 8949 section 4.2.1: shortest heads, map keys in bytewise order).
std::vector<std::uint8_t> encode_cmw_cbor(const Cmw& cmw);

}  // namespace attestmq::attest
