// The session protocol's three messages, docs/attestation.md section 3: exact parsing, every
// length checked against what remains, reserved bits and codes refused, no trailing bytes.
#include <fmt/format.h>

#include <algorithm>

#include "attest/session/session_protocol.hpp"

namespace attestmq::attest::session {

namespace {

// Section 3: message type and protocol version, the first two bytes of every message.
constexpr std::uint8_t kRequestType = 0x01;
constexpr std::uint8_t kEvidenceType = 0x02;
constexpr std::uint8_t kAnswerType = 0x03;
constexpr std::uint8_t kVersion = 0x01;

// Section 3.2.
constexpr std::uint8_t kRequestFlags = kCachedOk | kWantCollateral | kCanAttest;
constexpr std::size_t kMinNonceBytes = 16;
constexpr std::size_t kMaxNonceBytes = 64;
constexpr std::size_t kMaxAcceptedTypes = 4;

// Section 3.3.
constexpr std::size_t kMaxEnvelopeBytes = 65536;
constexpr std::size_t kMaxSessionClaimsBytes = 1024;

// Section 3.1: the wire codes, in code order (0x01..0x04).
constexpr EvidenceType kTypeByCode[] = {EvidenceType::sgx, EvidenceType::tdx, EvidenceType::snp,
                                        EvidenceType::sim};

std::uint8_t code_of(EvidenceType type) {
  const auto* found = std::find(std::begin(kTypeByCode), std::end(kTypeByCode), type);
  return static_cast<std::uint8_t>(found - std::begin(kTypeByCode) + 1);
}

// Reads a message front to back; every read names its field, so a short message says which
// field ran past the end. Errors are prefixed with the message's name.
class Reader {
 public:
  Reader(std::span<const std::uint8_t> bytes, std::string_view message, std::string& error)
      : bytes_(bytes), message_(message), error_(error) {}

  std::optional<std::span<const std::uint8_t>> take(std::size_t count, std::string_view field) {
    if (count > remaining()) {
      fail(fmt::format("{} needs {} bytes, {} remain", field, count, remaining()));
      return std::nullopt;
    }
    const auto out = bytes_.subspan(at_, count);
    at_ += count;
    return out;
  }

  // A big-endian unsigned integer of `width` bytes (section 1: all integers are big-endian).
  std::optional<std::uint32_t> number(std::size_t width, std::string_view field) {
    const auto raw = take(width, field);
    if (!raw) return std::nullopt;
    std::uint32_t value = 0;
    for (const auto byte : *raw) value = value << 8 | byte;
    return value;
  }

  std::size_t remaining() const { return bytes_.size() - at_; }
  std::span<const std::uint8_t> rest() const { return bytes_.subspan(at_); }

  bool fail(std::string_view what) {
    error_ = fmt::format("{}: {}", message_, what);
    return false;
  }

  bool at_end() {
    if (remaining() == 0) return true;
    return fail(fmt::format("{} trailing bytes", remaining()));
  }

  // Message type and version (section 3).
  bool header(std::uint8_t type) {
    const auto head = number(1, "message type");
    if (!head) return false;
    if (*head != type) {
      return fail(fmt::format("message type 0x{:02x}, expected 0x{:02x}", *head, type));
    }
    const auto version = number(1, "protocol version");
    if (!version) return false;
    if (*version != kVersion) {
      return fail(fmt::format("protocol version 0x{:02x}, only 0x01 is defined", *version));
    }
    return true;
  }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t at_ = 0;
  std::string_view message_;
  std::string& error_;
};

bool fits_message(std::span<const std::uint8_t> bytes, std::string_view message,
                  std::string& error) {
  if (bytes.size() <= kMaxMessageBytes) return true;
  error = fmt::format("{}: {} bytes (at most 65,535)", message, bytes.size());
  return false;
}

// Section 3.2, from the first byte to the end of `bytes`.
std::optional<Request> read_request(Reader& in) {
  if (!in.header(kRequestType)) return std::nullopt;
  Request request;
  const auto flags = in.number(1, "flags");
  if (!flags) return std::nullopt;
  if ((*flags & ~kRequestFlags) != 0) {
    in.fail(fmt::format("flags 0x{:02x}: bits 3..7 are reserved", *flags));
    return std::nullopt;
  }
  request.flags = static_cast<std::uint8_t>(*flags);
  const auto nonce_length = in.number(1, "nonce length");
  if (!nonce_length) return std::nullopt;
  if (*nonce_length < kMinNonceBytes || *nonce_length > kMaxNonceBytes) {
    in.fail(fmt::format("nonce of {} bytes (16..64)", *nonce_length));
    return std::nullopt;
  }
  const auto nonce = in.take(*nonce_length, "nonce");
  if (!nonce) return std::nullopt;
  request.nonce.assign(nonce->begin(), nonce->end());
  const auto count = in.number(1, "number of accepted types");
  if (!count) return std::nullopt;
  if (*count == 0 || *count > kMaxAcceptedTypes) {
    in.fail(fmt::format("{} accepted evidence types (1..4)", *count));
    return std::nullopt;
  }
  const auto codes = in.take(*count, "accepted evidence types");
  if (!codes) return std::nullopt;
  for (const auto code : *codes) {
    if (code == 0 || code > std::size(kTypeByCode)) {
      in.fail(fmt::format("evidence type code 0x{:02x} is reserved", code));
      return std::nullopt;
    }
    const EvidenceType type = kTypeByCode[code - 1];
    if (std::find(request.accepted_types.begin(), request.accepted_types.end(), type) !=
        request.accepted_types.end()) {
      in.fail(fmt::format("evidence type {} listed twice", to_string(type)));
      return std::nullopt;
    }
    request.accepted_types.push_back(type);
  }
  if (!in.at_end()) return std::nullopt;
  return request;
}

// Section 3.3, evidence block.
std::optional<EvidenceBlock> read_block(Reader& in, std::uint8_t allowed_flags, std::uint8_t& flags) {
  const auto mode = in.number(1, "mode");
  if (!mode) return std::nullopt;
  if (*mode != kModePerSession && *mode != kModeCached) {
    in.fail(fmt::format("mode 0x{:02x} is reserved (0x01 per-session, 0x02 cached)", *mode));
    return std::nullopt;
  }
  const auto block_flags = in.number(1, "evidence block flags");
  if (!block_flags) return std::nullopt;
  if ((*block_flags & ~allowed_flags) != 0) {
    in.fail(fmt::format("evidence block flags 0x{:02x}: reserved bits set", *block_flags));
    return std::nullopt;
  }
  flags = static_cast<std::uint8_t>(*block_flags);
  const auto length = in.number(4, "envelope length");
  if (!length) return std::nullopt;
  if (*length == 0 || *length > kMaxEnvelopeBytes) {
    in.fail(fmt::format("envelope length {} (1..65,536)", *length));
    return std::nullopt;
  }
  const auto envelope = in.take(*length, "envelope");
  if (!envelope) return std::nullopt;
  EvidenceBlock block{std::vector<std::uint8_t>(envelope->begin(), envelope->end()), std::nullopt};
  if (*mode == kModeCached) {
    const auto claims_length = in.number(2, "session claims length");
    if (!claims_length) return std::nullopt;
    if (*claims_length == 0 || *claims_length > kMaxSessionClaimsBytes) {
      in.fail(fmt::format("session claims length {} (1..1,024)", *claims_length));
      return std::nullopt;
    }
    const auto claims = in.take(*claims_length, "session claims");
    if (!claims) return std::nullopt;
    const auto signature = in.take(kSessionSignatureBytes, "session signature");
    if (!signature) return std::nullopt;
    CachedSession& cached = block.cached.emplace();
    cached.session_claims.assign(claims->begin(), claims->end());
    std::copy(signature->begin(), signature->end(), cached.signature.begin());
  }
  return block;
}

void write_block(std::vector<std::uint8_t>& out, const EvidenceBlock& block, std::uint8_t flags) {
  const auto length = static_cast<std::uint32_t>(block.envelope.size());
  out.insert(out.end(), {block.cached ? kModeCached : kModePerSession, flags,
                         static_cast<std::uint8_t>(length >> 24),
                         static_cast<std::uint8_t>(length >> 16),
                         static_cast<std::uint8_t>(length >> 8), static_cast<std::uint8_t>(length)});
  out.insert(out.end(), block.envelope.begin(), block.envelope.end());
  if (!block.cached) return;
  const auto claims_length = static_cast<std::uint16_t>(block.cached->session_claims.size());
  out.insert(out.end(), {static_cast<std::uint8_t>(claims_length >> 8),
                         static_cast<std::uint8_t>(claims_length)});
  out.insert(out.end(), block.cached->session_claims.begin(), block.cached->session_claims.end());
  out.insert(out.end(), block.cached->signature.begin(), block.cached->signature.end());
}

}  // namespace

std::vector<std::uint8_t> encode_request(const Request& request) {
  std::vector<std::uint8_t> out{kRequestType, kVersion, request.flags,
                                static_cast<std::uint8_t>(request.nonce.size())};
  out.insert(out.end(), request.nonce.begin(), request.nonce.end());
  out.push_back(static_cast<std::uint8_t>(request.accepted_types.size()));
  for (const auto type : request.accepted_types) out.push_back(code_of(type));
  return out;
}

std::optional<Request> parse_request(std::span<const std::uint8_t> bytes, std::string& error) {
  Reader in(bytes, "REQUEST", error);
  return read_request(in);
}

std::vector<std::uint8_t> encode_evidence(const EvidenceMessage& message) {
  std::vector<std::uint8_t> out{kEvidenceType, kVersion};
  write_block(out, message.block, message.request_for_receiver ? kAttestYourself : 0);
  if (message.request_for_receiver) {
    const auto request = encode_request(*message.request_for_receiver);
    out.insert(out.end(), request.begin(), request.end());
  }
  return out;
}

std::optional<EvidenceMessage> parse_evidence(std::span<const std::uint8_t> bytes,
                                              std::string& error) {
  if (!fits_message(bytes, "EVIDENCE", error)) return std::nullopt;
  Reader in(bytes, "EVIDENCE", error);
  if (!in.header(kEvidenceType)) return std::nullopt;
  std::uint8_t flags = 0;
  auto block = read_block(in, kAttestYourself, flags);
  if (!block) return std::nullopt;
  EvidenceMessage message{std::move(*block), std::nullopt};
  if ((flags & kAttestYourself) != 0) {
    Reader nested(in.rest(), "EVIDENCE: the broker's REQUEST", error);
    message.request_for_receiver = read_request(nested);
    if (!message.request_for_receiver) return std::nullopt;
    // Section 3.2: CAN_ATTEST MUST be 0 in a broker's request.
    if ((message.request_for_receiver->flags & kCanAttest) != 0) {
      nested.fail("sets CAN_ATTEST, which only a client may");
      return std::nullopt;
    }
  } else if (!in.at_end()) {
    return std::nullopt;
  }
  return message;
}

std::vector<std::uint8_t> encode_answer(const std::optional<EvidenceBlock>& client_evidence) {
  std::vector<std::uint8_t> out{kAnswerType, kVersion};
  if (client_evidence) {
    write_block(out, *client_evidence, 0);
  } else {
    out.insert(out.end(), {0x00, 0x00});
  }
  return out;
}

std::optional<std::optional<EvidenceBlock>> parse_answer(std::span<const std::uint8_t> bytes,
                                                         std::string& error) {
  if (!fits_message(bytes, "ANSWER", error)) return std::nullopt;
  Reader in(bytes, "ANSWER", error);
  if (!in.header(kAnswerType)) return std::nullopt;
  // Section 3.4: `00 00` (no evidence) is told from a block by its first byte, mode 0x00
  // being reserved.
  if (in.remaining() > 0 && in.rest()[0] == 0x00) {
    const auto none = in.take(2, "empty answer (00 00)");
    if (!none) return std::nullopt;
    if ((*none)[1] != 0x00) {
      in.fail(fmt::format("empty answer 00 {:02x}, expected 00 00", (*none)[1]));
      return std::nullopt;
    }
    if (!in.at_end()) return std::nullopt;
    return std::optional<EvidenceBlock>();
  }
  std::uint8_t flags = 0;
  auto block = read_block(in, 0, flags);
  if (!block || !in.at_end()) return std::nullopt;
  return std::optional<EvidenceBlock>(std::move(*block));
}

}  // namespace attestmq::attest::session
