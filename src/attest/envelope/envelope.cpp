#include "attest/envelope/envelope.hpp"

#include <fmt/format.h>

#include "attest/cmw/cmw.hpp"

namespace attestmq::attest {

namespace {
constexpr std::string_view kEvidenceLabel = "evidence";
constexpr std::string_view kClaimsLabel = "claims";
constexpr std::string_view kCollateralLabel = "collateral";

bool is_collateral_media_type(std::string_view type) {
  return type == kIntelCollateralMediaType || type == kCertificateChainMediaType;
}

Cmw record(std::string_view type, std::vector<std::uint8_t> value,
           std::optional<std::uint64_t> indicator) {
  Cmw cmw;
  cmw.form = Cmw::Form::record;
  cmw.type = std::string(type);
  cmw.value = std::move(value);
  cmw.indicator = indicator;
  return cmw;
}

// The member `label` as a media-typed record with the indicator section 1 gives it, or an
// error naming it. The indicator is not covered by any signature, so only the one encoding
// is accepted: no byte of an envelope can change without the envelope being refused.
const Cmw* media_record(const Cmw& collection, std::string_view label,
                        std::optional<std::uint64_t> indicator, std::string& error) {
  const Cmw* member = collection.find(label);
  if (member == nullptr) {
    error = fmt::format("envelope: missing '{}'", label);
    return nullptr;
  }
  if (member->form != Cmw::Form::record || member->type.index() != 0) {
    error = fmt::format("envelope: '{}' must be a record with a media type", label);
    return nullptr;
  }
  if (member->indicator != indicator) {
    error = indicator ? fmt::format("envelope: '{}' must have indicator {}", label, *indicator)
                      : fmt::format("envelope: '{}' must have no indicator", label);
    return nullptr;
  }
  return member;
}
}  // namespace

std::string_view evidence_media_type(EvidenceType type) {
  switch (type) {
    case EvidenceType::sgx:
      return "application/vnd.attestmq.sgx-dcap-quote";
    case EvidenceType::tdx:
      return "application/vnd.attestmq.tdx-dcap-quote";
    case EvidenceType::snp:
      return "application/vnd.attestmq.sev-snp-report";
    case EvidenceType::sim:
      return "application/vnd.attestmq.sim-report";
  }
  return "";
}

std::optional<std::vector<std::uint8_t>> encode_envelope(const Envelope& envelope,
                                                         std::string& error) {
  if (envelope.evidence.empty() || envelope.evidence.size() > kMaxEvidenceBytes) {
    error = fmt::format("envelope: evidence must be 1..{} bytes", kMaxEvidenceBytes);
    return std::nullopt;
  }
  auto claims = encode_claims(envelope.claims);
  if (!claims) {
    error = "envelope: binder or nonce longer than 64 bytes";
    return std::nullopt;
  }
  Cmw collection;
  collection.form = Cmw::Form::collection;
  collection.collection_type = std::string(kEnvelopeTypeV1);
  collection.items.push_back(
      {CmwLabel{std::string(kEvidenceLabel)},
       record(evidence_media_type(envelope.claims.evidence_type), envelope.evidence, kEvidence)});
  collection.items.push_back(
      {CmwLabel{std::string(kClaimsLabel)}, record(kClaimsMediaType, std::move(*claims), {})});
  if (envelope.collateral) {
    const auto& collateral = *envelope.collateral;
    if (!is_collateral_media_type(collateral.media_type) ||
        collateral.bytes.size() > kMaxCollateralBytes) {
      error = fmt::format("envelope: collateral must be of a known type and <= {} bytes",
                          kMaxCollateralBytes);
      return std::nullopt;
    }
    collection.items.push_back({CmwLabel{std::string(kCollateralLabel)},
                                record(collateral.media_type, collateral.bytes, kEndorsements)});
  }
  auto encoded = encode_cmw_cbor(collection);
  if (encoded.size() > kMaxEnvelopeBytes) {
    error = fmt::format("envelope: {} bytes exceed {}", encoded.size(), kMaxEnvelopeBytes);
    return std::nullopt;
  }
  return encoded;
}

std::optional<Envelope> parse_envelope(std::span<const std::uint8_t> bytes, std::string& error) {
  CmwLimits limits;
  limits.max_bytes = kMaxEnvelopeBytes;
  limits.max_depth = 1;  // the envelope is one flat collection
  limits.max_items = 8;  // three are defined; a few more still get a precise "unknown member"
  auto cmw = parse_cmw_cbor(bytes, error, limits);
  if (!cmw) return std::nullopt;
  if (cmw->form != Cmw::Form::collection) {
    error = "envelope: not a CMW collection";
    return std::nullopt;
  }
  if (!cmw->collection_type) {
    error = "envelope: missing collection type (__cmwc_t), which carries the version";
    return std::nullopt;
  }
  if (*cmw->collection_type != kEnvelopeTypeV1) {
    error = fmt::format("envelope: unsupported version '{}' (expected '{}')", *cmw->collection_type,
                        kEnvelopeTypeV1);
    return std::nullopt;
  }
  // Every label is required to be understood: the format has no optional-to-understand items.
  for (const auto& item : cmw->items) {
    const auto* label = std::get_if<std::string>(&item.label.value);
    if (label == nullptr ||
        (*label != kEvidenceLabel && *label != kClaimsLabel && *label != kCollateralLabel)) {
      error = "envelope: unknown member (only evidence, claims, collateral are defined)";
      return std::nullopt;
    }
  }
  const Cmw* evidence = media_record(*cmw, kEvidenceLabel, kEvidence, error);
  const Cmw* claims_record =
      evidence ? media_record(*cmw, kClaimsLabel, std::nullopt, error) : nullptr;
  if (claims_record == nullptr) return std::nullopt;
  const auto& claims_type = std::get<std::string>(claims_record->type);
  if (claims_type != kClaimsMediaType) {
    error =
        fmt::format("envelope: claims media type '{}' is not '{}'", claims_type, kClaimsMediaType);
    return std::nullopt;
  }
  auto claims = parse_claims(claims_record->value, error);
  if (!claims) return std::nullopt;
  const auto& evidence_type = std::get<std::string>(evidence->type);
  if (evidence_type != evidence_media_type(claims->evidence_type)) {
    error = fmt::format("envelope: evidence media type '{}' does not match claimed type '{}'",
                        evidence_type, to_string(claims->evidence_type));
    return std::nullopt;
  }
  if (evidence->value.empty() || evidence->value.size() > kMaxEvidenceBytes) {
    error = fmt::format("envelope: evidence must be 1..{} bytes", kMaxEvidenceBytes);
    return std::nullopt;
  }
  Envelope envelope;
  envelope.evidence = evidence->value;
  envelope.claims = std::move(*claims);
  if (cmw->find(kCollateralLabel) != nullptr) {
    const Cmw* collateral = media_record(*cmw, kCollateralLabel, kEndorsements, error);
    if (collateral == nullptr) return std::nullopt;
    const auto& type = std::get<std::string>(collateral->type);
    if (!is_collateral_media_type(type)) {
      error = fmt::format("envelope: unknown collateral media type '{}'", type);
      return std::nullopt;
    }
    if (collateral->value.size() > kMaxCollateralBytes) {
      error = fmt::format("envelope: collateral exceeds {} bytes", kMaxCollateralBytes);
      return std::nullopt;
    }
    envelope.collateral = EnvelopeCollateral{type, collateral->value};
  }
  return envelope;
}

}  // namespace attestmq::attest
