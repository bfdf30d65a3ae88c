#include "attest/envelope/envelope.hpp"

#include <gtest/gtest.h>

#include "attest/cmw/cmw.hpp"
#include "attest/common/hex.hpp"

namespace attestmq::attest {
namespace {

Envelope sample() {
  Envelope envelope;
  envelope.evidence.assign(1200, 0xab);
  envelope.claims.evidence_type = EvidenceType::snp;
  envelope.claims.module_sha256.fill(0x42);
  envelope.claims.binder.assign(32, 0x01);
  envelope.claims.nonce.assign(16, 0x02);
  envelope.collateral =
      EnvelopeCollateral{std::string(kCertificateChainMediaType), {'-', '-', '-'}};
  return envelope;
}

std::vector<std::uint8_t> encoded(const Envelope& envelope) {
  std::string error;
  auto bytes = encode_envelope(envelope, error);
  EXPECT_TRUE(bytes) << error;
  return bytes.value_or(std::vector<std::uint8_t>{});
}

// Re-encodes a parsed envelope's CMW after `edit`, to build malformed envelopes that are
// still well-formed CBOR.
std::vector<std::uint8_t> edited(void (*edit)(Cmw&)) {
  std::string error;
  auto cmw = parse_cmw_cbor(encoded(sample()), error);
  EXPECT_TRUE(cmw) << error;
  edit(*cmw);
  return encode_cmw_cbor(*cmw);
}

std::string parse_error(const std::vector<std::uint8_t>& bytes) {
  std::string error;
  EXPECT_FALSE(parse_envelope(bytes, error));
  return error;
}

TEST(Envelope, RoundTrip) {
  std::string error;
  const auto parsed = parse_envelope(encoded(sample()), error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(*parsed, sample());
  Envelope bare = sample();
  bare.collateral.reset();
  EXPECT_EQ(parse_envelope(encoded(bare), error), bare);
}

TEST(Envelope, IsACmwCollectionWithTheVersionAsType) {
  std::string error;
  const auto cmw = parse_cmw_cbor(encoded(sample()), error);
  ASSERT_TRUE(cmw) << error;
  EXPECT_EQ(cmw->collection_type, std::string(kEnvelopeTypeV1));
  EXPECT_EQ(cmw->find("evidence")->indicator, kEvidence);
  EXPECT_EQ(std::get<std::string>(cmw->find("evidence")->type),
            "application/vnd.attestmq.sev-snp-report");
  EXPECT_EQ(cmw->find("collateral")->indicator, kEndorsements);
}

TEST(Envelope, EveryTruncationIsRefused) {
  const auto bytes = encoded(sample());
  for (std::size_t length = 0; length < bytes.size(); ++length) {
    std::string error;
    EXPECT_FALSE(parse_envelope(std::span(bytes.data(), length), error)) << length;
    EXPECT_FALSE(error.empty());
  }
}

// Every single-byte corruption either is refused with a reason or still yields an envelope
// whose fields stay within their bounds (a changed byte inside the evidence, say).
TEST(Envelope, SingleByteCorruptionsStayBounded) {
  const auto bytes = encoded(sample());
  for (std::size_t at = 0; at < bytes.size(); ++at) {
    for (const std::uint8_t value : {0x00, 0x17, 0x18, 0x5b, 0x7f, 0x9f, 0xbf, 0xff}) {
      auto corrupted = bytes;
      corrupted[at] = value;
      std::string error;
      const auto parsed = parse_envelope(corrupted, error);
      if (!parsed) {
        EXPECT_FALSE(error.empty()) << at;
        continue;
      }
      EXPECT_LE(parsed->evidence.size(), kMaxEvidenceBytes);
      EXPECT_LE(parsed->claims.binder.size(), kMaxBinderBytes);
      EXPECT_LE(parsed->claims.nonce.size(), kMaxNonceBytes);
    }
  }
}

TEST(Envelope, OversizeIsRefused) {
  Envelope big = sample();
  big.evidence.assign(kMaxEvidenceBytes + 1, 0);
  std::string error;
  EXPECT_FALSE(encode_envelope(big, error));
  big.evidence.assign(kMaxEvidenceBytes, 0);
  big.collateral->bytes.assign(kMaxCollateralBytes + 1, 0);
  EXPECT_FALSE(encode_envelope(big, error));
  // An evidence record above its own bound, built around the encoder.
  const auto error_text = parse_error(edited([](Cmw& cmw) {
    for (auto& item : cmw.items) {
      if (item.label.value == std::variant<std::string, std::int64_t>{"evidence"}) {
        item.cmw.value.assign(kMaxEvidenceBytes + 1, 0);
      }
    }
  }));
  EXPECT_NE(error_text.find("evidence must be"), std::string::npos) << error_text;
  std::vector<std::uint8_t> huge(kMaxEnvelopeBytes + 1, 0xa1);
  EXPECT_NE(parse_error(huge).find("exceed"), std::string::npos);
}

TEST(Envelope, WrongOrMissingVersionIsRefused) {
  auto error = parse_error(
      edited([](Cmw& cmw) { cmw.collection_type = "tag:attestmq.org,2026:envelope/v2"; }));
  EXPECT_NE(error.find("unsupported version"), std::string::npos) << error;
  error = parse_error(edited([](Cmw& cmw) { cmw.collection_type.reset(); }));
  EXPECT_NE(error.find("missing collection type"), std::string::npos) << error;
}

TEST(Envelope, MissingFieldsAreRefused) {
  auto error = parse_error(edited([](Cmw& cmw) { cmw.items.erase(cmw.items.begin()); }));
  EXPECT_NE(error.find("missing 'claims'"), std::string::npos) << error;
  error = parse_error(edited([](Cmw& cmw) {
    std::erase_if(cmw.items, [](const CmwItem& item) {
      return item.label.value == std::variant<std::string, std::int64_t>{"evidence"};
    });
  }));
  EXPECT_NE(error.find("missing 'evidence'"), std::string::npos) << error;
}

TEST(Envelope, UnknownMembersAreRefused) {
  const auto error = parse_error(edited([](Cmw& cmw) {
    Cmw extra;
    extra.type = std::string("application/octet-stream");
    extra.value = {0};
    cmw.items.push_back({CmwLabel{std::string("extension")}, extra});
  }));
  EXPECT_NE(error.find("unknown member"), std::string::npos) << error;
}

TEST(Envelope, EvidenceTypeMustMatchClaims) {
  const auto error = parse_error(edited([](Cmw& cmw) {
    for (auto& item : cmw.items) {
      if (item.label.value == std::variant<std::string, std::int64_t>{"evidence"}) {
        item.cmw.type = std::string(evidence_media_type(EvidenceType::tdx));
      }
    }
  }));
  EXPECT_NE(error.find("does not match claimed type"), std::string::npos) << error;
}

TEST(Envelope, UnknownCollateralTypeIsRefused) {
  const auto error = parse_error(edited([](Cmw& cmw) {
    for (auto& item : cmw.items) {
      if (item.label.value == std::variant<std::string, std::int64_t>{"collateral"}) {
        item.cmw.type = std::string("application/json");
      }
    }
  }));
  EXPECT_NE(error.find("unknown collateral media type"), std::string::npos) << error;
}

// The indicators are outside every signature: only section 1's are accepted, so that no
// byte of an envelope can change unnoticed.
TEST(Envelope, EachMemberHasItsOwnIndicator) {
  const auto set_indicator = [](std::string_view label, std::optional<std::uint64_t> indicator) {
    return [=](Cmw& cmw) {
      for (auto& item : cmw.items) {
        if (item.label.value == std::variant<std::string, std::int64_t>{std::string(label)}) {
          item.cmw.indicator = indicator;
        }
      }
    };
  };
  std::string error;
  auto cmw = parse_cmw_cbor(encoded(sample()), error);
  ASSERT_TRUE(cmw) << error;
  const auto refused = [&](auto edit) {
    Cmw copy = *cmw;
    edit(copy);
    return parse_error(encode_cmw_cbor(copy));
  };
  EXPECT_EQ(refused(set_indicator("evidence", 5)), "envelope: 'evidence' must have indicator 4");
  EXPECT_EQ(refused(set_indicator("evidence", std::nullopt)),
            "envelope: 'evidence' must have indicator 4");
  EXPECT_EQ(refused(set_indicator("claims", 4)), "envelope: 'claims' must have no indicator");
  EXPECT_EQ(refused(set_indicator("collateral", 3)),
            "envelope: 'collateral' must have indicator 2");
}

TEST(Envelope, TaggedEvidenceIsRefused) {
  const auto error = parse_error(edited([](Cmw& cmw) {
    cmw.items[0].cmw.form = Cmw::Form::tag;
    cmw.items[0].cmw.tag = 1668576818;
  }));
  EXPECT_NE(error.find("must be a record"), std::string::npos) << error;
}

}  // namespace
}  // namespace attestmq::attest
