// The session protocol's messages (docs/attestation.md section 3): round trips, the fixed
// REQUEST of section 12.2, and one malformed case per rule, each with its own error.
#include <gtest/gtest.h>

#include <numeric>

#include "attest/common/hex.hpp"
#include "attest/session/session_protocol.hpp"

namespace attestmq::attest::session {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes counting(std::size_t size) {
  Bytes out(size);
  std::iota(out.begin(), out.end(), std::uint8_t{0});
  return out;
}

// A well-formed REQUEST: `nonce_length` counting bytes, then `types` as wire codes.
Bytes request_bytes(std::size_t nonce_length, const Bytes& types, std::uint8_t flags = 0) {
  return cat({{0x01, 0x01, flags, static_cast<std::uint8_t>(nonce_length)},
              counting(nonce_length),
              {static_cast<std::uint8_t>(types.size())},
              types});
}

// An evidence block of `mode` and `flags` around an envelope of `envelope_length` bytes.
Bytes block_bytes(std::uint8_t mode, std::uint8_t flags, std::size_t envelope_length) {
  const auto length = static_cast<std::uint32_t>(envelope_length);
  return cat({{mode, flags, static_cast<std::uint8_t>(length >> 24),
               static_cast<std::uint8_t>(length >> 16), static_cast<std::uint8_t>(length >> 8),
               static_cast<std::uint8_t>(length)},
              Bytes(envelope_length, 0xa1)});
}

Bytes cached_tail(std::size_t claims_length) {
  return cat({{0x00, static_cast<std::uint8_t>(claims_length)},
              Bytes(claims_length, 0xa0),
              Bytes(64, 0x5c)});
}

std::string request_error(const Bytes& bytes) {
  std::string error;
  EXPECT_FALSE(parse_request(bytes, error)) << to_hex(bytes);
  return error;
}

std::string evidence_error(const Bytes& bytes) {
  std::string error;
  EXPECT_FALSE(parse_evidence(bytes, error)) << to_hex(bytes);
  return error;
}

std::string answer_error(const Bytes& bytes) {
  std::string error;
  EXPECT_FALSE(parse_answer(bytes, error)) << to_hex(bytes);
  return error;
}

TEST(SessionRequest, FixedVectorOfSection12) {
  Request request{kCachedOk, counting(16), {EvidenceType::sim}};
  const auto encoded = encode_request(request);
  EXPECT_EQ(to_hex(encoded), "01010110000102030405060708090a0b0c0d0e0f0104");
  std::string error;
  EXPECT_EQ(parse_request(encoded, error), request) << error;
}

TEST(SessionRequest, RoundTripsAtItsBounds) {
  for (const auto& request :
       {Request{0, counting(16), {EvidenceType::sgx}},
        Request{kCachedOk | kWantCollateral | kCanAttest, counting(64),
                {EvidenceType::sim, EvidenceType::snp, EvidenceType::tdx, EvidenceType::sgx}}}) {
    const auto encoded = encode_request(request);
    EXPECT_TRUE(encoded.size() == 22 || encoded.size() == 73) << encoded.size();
    std::string error;
    EXPECT_EQ(parse_request(encoded, error), request) << error;
  }
}

TEST(SessionRequest, EveryMalformedCaseHasItsOwnError) {
  EXPECT_EQ(request_error({}), "REQUEST: message type needs 1 bytes, 0 remain");
  EXPECT_EQ(request_error({0x01}), "REQUEST: protocol version needs 1 bytes, 0 remain");
  auto wrong_type = request_bytes(16, {0x04});
  wrong_type[0] = 0x02;
  EXPECT_EQ(request_error(wrong_type), "REQUEST: message type 0x02, expected 0x01");
  auto wrong_version = request_bytes(16, {0x04});
  wrong_version[1] = 0x02;
  EXPECT_EQ(request_error(wrong_version), "REQUEST: protocol version 0x02, only 0x01 is defined");
  EXPECT_EQ(request_error(request_bytes(16, {0x04}, 0x08)),
            "REQUEST: flags 0x08: bits 3..7 are reserved");
  EXPECT_EQ(request_error(request_bytes(16, {0x04}, 0x80)),
            "REQUEST: flags 0x80: bits 3..7 are reserved");
  EXPECT_EQ(request_error(request_bytes(8, {0x04})), "REQUEST: nonce of 8 bytes (16..64)");
  EXPECT_EQ(request_error(request_bytes(15, {0x04})), "REQUEST: nonce of 15 bytes (16..64)");
  EXPECT_EQ(request_error(request_bytes(65, {0x04})), "REQUEST: nonce of 65 bytes (16..64)");
  EXPECT_EQ(request_error(request_bytes(16, {})), "REQUEST: 0 accepted evidence types (1..4)");
  EXPECT_EQ(request_error(request_bytes(16, {0x01, 0x02, 0x03, 0x04, 0x01})),
            "REQUEST: 5 accepted evidence types (1..4)");
  EXPECT_EQ(request_error(request_bytes(16, {0x04, 0x04})),
            "REQUEST: evidence type sim listed twice");
  EXPECT_EQ(request_error(request_bytes(16, {0x00})),
            "REQUEST: evidence type code 0x00 is reserved");
  EXPECT_EQ(request_error(request_bytes(16, {0x01, 0x05})),
            "REQUEST: evidence type code 0x05 is reserved");
  EXPECT_EQ(request_error(cat({request_bytes(16, {0x04}), {0x00}})),
            "REQUEST: 1 trailing bytes");
}

TEST(SessionRequest, LengthsPastTheEnd) {
  const auto whole = request_bytes(16, {0x01, 0x04});
  // Every proper prefix is refused, and names the field that ran out.
  for (std::size_t size = 0; size < whole.size(); ++size) {
    const Bytes prefix(whole.begin(), whole.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_NE(request_error(prefix).find(" remain"), std::string::npos) << size;
  }
  EXPECT_EQ(request_error(Bytes(whole.begin(), whole.begin() + 10)),
            "REQUEST: nonce needs 16 bytes, 6 remain");
  EXPECT_EQ(request_error(Bytes(whole.begin(), whole.end() - 1)),
            "REQUEST: accepted evidence types needs 2 bytes, 1 remain");
}

TEST(SessionEvidence, RoundTripsWithAndWithoutTheBrokersRequest) {
  EvidenceMessage plain{EvidenceBlock{Bytes(100, 0xa1), std::nullopt}, std::nullopt};
  EvidenceMessage mutual{EvidenceBlock{Bytes(1, 0xa1), std::nullopt},
                         Request{kWantCollateral, counting(32), {EvidenceType::sim}}};
  for (const auto& message : {plain, mutual}) {
    const auto encoded = encode_evidence(message);
    std::string error;
    EXPECT_EQ(parse_evidence(encoded, error), message) << error;
  }
  EXPECT_EQ(encode_evidence(plain), cat({{0x02, 0x01}, block_bytes(0x01, 0x00, 100)}));
  EXPECT_EQ(encode_evidence(mutual),
            cat({{0x02, 0x01}, block_bytes(0x01, 0x01, 1), request_bytes(32, {0x04}, 0x02)}));
}

TEST(SessionEvidence, EveryMalformedCaseHasItsOwnError) {
  const Bytes head{0x02, 0x01};
  EXPECT_EQ(evidence_error(cat({{0x03, 0x01}, block_bytes(1, 0, 4)})),
            "EVIDENCE: message type 0x03, expected 0x02");
  EXPECT_EQ(evidence_error(cat({{0x02, 0x00}, block_bytes(1, 0, 4)})),
            "EVIDENCE: protocol version 0x00, only 0x01 is defined");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x00, 0, 4)})),
            "EVIDENCE: mode 0x00 is reserved (0x01 per-session, 0x02 cached)");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x03, 0, 4)})),
            "EVIDENCE: mode 0x03 is reserved (0x01 per-session, 0x02 cached)");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x01, 0x02, 4)})),
            "EVIDENCE: evidence block flags 0x02: reserved bits set");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x01, 0x80, 4)})),
            "EVIDENCE: evidence block flags 0x80: reserved bits set");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x01, 0, 0)})),
            "EVIDENCE: envelope length 0 (1..65,536)");
  EXPECT_EQ(evidence_error(cat({head, {0x01, 0x00, 0x00, 0x01, 0x00, 0x01}})),
            "EVIDENCE: envelope length 65537 (1..65,536)");
  auto past_end = cat({head, block_bytes(0x01, 0, 10)});
  past_end.pop_back();
  EXPECT_EQ(evidence_error(past_end), "EVIDENCE: envelope needs 10 bytes, 9 remain");
  EXPECT_EQ(evidence_error(cat({head, {0x01, 0x00, 0x00, 0x00}})),
            "EVIDENCE: envelope length needs 4 bytes, 2 remain");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x01, 0, 4), {0x00}})),
            "EVIDENCE: 1 trailing bytes");
  // ATTEST_YOURSELF: a REQUEST must follow, well-formed, to the end, without CAN_ATTEST.
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x01, 0x01, 4)})),
            "EVIDENCE: the broker's REQUEST: message type needs 1 bytes, 0 remain");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x01, 0x01, 4), request_bytes(15, {0x04})})),
            "EVIDENCE: the broker's REQUEST: nonce of 15 bytes (16..64)");
  EXPECT_EQ(
      evidence_error(cat({head, block_bytes(0x01, 0x01, 4), request_bytes(16, {0x04}), {0x00}})),
      "EVIDENCE: the broker's REQUEST: 1 trailing bytes");
  EXPECT_EQ(evidence_error(
                cat({head, block_bytes(0x01, 0x01, 4), request_bytes(16, {0x04}, kCanAttest)})),
            "EVIDENCE: the broker's REQUEST: sets CAN_ATTEST, which only a client may");
  // Without ATTEST_YOURSELF, a REQUEST after the block is trailing bytes.
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x01, 0, 4), request_bytes(16, {0x04})})),
            "EVIDENCE: 22 trailing bytes");
}

TEST(SessionEvidence, SizeLimitOfSection35) {
  const auto largest = cat({{0x02, 0x01}, block_bytes(0x01, 0, kMaxMessageBytes - 8)});
  ASSERT_EQ(largest.size(), kMaxMessageBytes);
  std::string error;
  EXPECT_TRUE(parse_evidence(largest, error)) << error;
  const auto over = cat({{0x02, 0x01}, block_bytes(0x01, 0, kMaxMessageBytes - 7)});
  EXPECT_EQ(evidence_error(over), "EVIDENCE: 65536 bytes (at most 65,535)");
}

TEST(SessionEvidence, CachedModeRoundTripsWithExactLengths) {
  const Bytes head{0x02, 0x01};
  const auto bytes = cat({head, block_bytes(0x02, 0, 4), cached_tail(3)});
  std::string error;
  const auto parsed = parse_evidence(bytes, error);
  ASSERT_TRUE(parsed) << error;
  ASSERT_TRUE(parsed->block.cached);
  EXPECT_EQ(parsed->block.cached->session_claims, Bytes(3, 0xa0));
  EXPECT_EQ(Bytes(parsed->block.cached->signature.begin(), parsed->block.cached->signature.end()),
            Bytes(64, 0x5c));
  EXPECT_EQ(encode_evidence(*parsed), bytes);
  // Its lengths are checked like any other's.
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x02, 0, 4)})),
            "EVIDENCE: session claims length needs 2 bytes, 0 remain");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x02, 0, 4), cached_tail(0)})),
            "EVIDENCE: session claims length 0 (1..1,024)");
  auto short_signature = cat({head, block_bytes(0x02, 0, 4), cached_tail(3)});
  short_signature.pop_back();
  EXPECT_EQ(evidence_error(short_signature),
            "EVIDENCE: session signature needs 64 bytes, 63 remain");
  EXPECT_EQ(evidence_error(cat({head, block_bytes(0x02, 0, 4), cached_tail(3), {0x00}})),
            "EVIDENCE: 1 trailing bytes");
}

TEST(SessionAnswer, RoundTrips) {
  const auto empty = encode_answer(std::nullopt);
  EXPECT_EQ(to_hex(empty), "03010000");
  std::string error;
  const auto parsed_empty = parse_answer(empty, error);
  ASSERT_TRUE(parsed_empty) << error;
  EXPECT_FALSE(*parsed_empty);

  const EvidenceBlock block{Bytes(50, 0xa1), std::nullopt};
  const auto with_block = encode_answer(block);
  EXPECT_EQ(with_block, cat({{0x03, 0x01}, block_bytes(0x01, 0, 50)}));
  const auto parsed = parse_answer(with_block, error);
  ASSERT_TRUE(parsed) << error;
  EXPECT_EQ(*parsed, block);
}

TEST(SessionAnswer, EveryMalformedCaseHasItsOwnError) {
  EXPECT_EQ(answer_error({0x02, 0x01, 0x00, 0x00}), "ANSWER: message type 0x02, expected 0x03");
  EXPECT_EQ(answer_error({0x03, 0x02, 0x00, 0x00}),
            "ANSWER: protocol version 0x02, only 0x01 is defined");
  EXPECT_EQ(answer_error({0x03, 0x01}), "ANSWER: mode needs 1 bytes, 0 remain");
  EXPECT_EQ(answer_error({0x03, 0x01, 0x00}), "ANSWER: empty answer (00 00) needs 2 bytes, 1 remain");
  EXPECT_EQ(answer_error({0x03, 0x01, 0x00, 0x01}), "ANSWER: empty answer 00 01, expected 00 00");
  EXPECT_EQ(answer_error({0x03, 0x01, 0x00, 0x00, 0x00}), "ANSWER: 1 trailing bytes");
  // Section 3.3: in an ANSWER the block's flags byte MUST be 0.
  EXPECT_EQ(answer_error(cat({{0x03, 0x01}, block_bytes(0x01, 0x01, 4)})),
            "ANSWER: evidence block flags 0x01: reserved bits set");
  EXPECT_EQ(answer_error(cat({{0x03, 0x01}, block_bytes(0x05, 0x00, 4)})),
            "ANSWER: mode 0x05 is reserved (0x01 per-session, 0x02 cached)");
  EXPECT_EQ(answer_error(cat({{0x03, 0x01}, block_bytes(0x01, 0, 4), {0x00}})),
            "ANSWER: 1 trailing bytes");
  EXPECT_EQ(answer_error(cat({{0x03, 0x01}, block_bytes(0x02, 0, 4), cached_tail(0)})),
            "ANSWER: session claims length 0 (1..1,024)");
  EXPECT_EQ(answer_error(cat({{0x03, 0x01}, block_bytes(0x01, 0, kMaxMessageBytes - 7)})),
            "ANSWER: 65536 bytes (at most 65,535)");
}

}  // namespace
}  // namespace attestmq::attest::session
