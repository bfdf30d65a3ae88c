#include "attest/session/envelope_cache.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace attestmq::attest::session {

namespace {

std::array<std::uint8_t, 32> sha256(std::span<const std::uint8_t> bytes) {
  std::array<std::uint8_t, 32> digest{};
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), nullptr, EVP_sha256(), nullptr);
  return digest;
}

// When an entry for `platform` must go, or nullopt if it must not be kept at all.
std::optional<std::int64_t> entry_end(const VerificationResult& platform, std::int64_t quote_end) {
  if (platform.valid_until) return std::min(*platform.valid_until, quote_end);
  if (platform.type == EvidenceType::sim) return quote_end;
  return std::nullopt;
}

}  // namespace

VerifiedEnvelopeCache::Inputs VerifiedEnvelopeCache::inputs_of(const VerifyRequest& verify) {
  return {verify.type, verify.root_pem, verify.certs, verify.crls, verify.collateral_json,
          verify.policy};
}

std::optional<VerifiedEnvelopeCache::Verdict> VerifiedEnvelopeCache::find(
    std::span<const std::uint8_t> envelope, const VerifyRequest& verify, std::int64_t now) {
  const auto digest = sha256(envelope);
  const Inputs inputs = inputs_of(verify);
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [now](const Entry& entry) { return now >= entry.until; });
  const auto found = std::find_if(entries_.begin(), entries_.end(), [&](const Entry& entry) {
    return entry.envelope_sha256 == digest && entry.inputs == inputs;
  });
  if (found == entries_.end()) return std::nullopt;
  ++hits_;
  return found->verdict;
}

void VerifiedEnvelopeCache::remember(std::span<const std::uint8_t> envelope,
                                     const VerifyRequest& verify, Verdict verdict,
                                     std::int64_t quote_end) {
  const auto until = entry_end(verdict.platform, quote_end);
  Entry entry{sha256(envelope), inputs_of(verify), std::move(verdict), until.value_or(0)};
  std::lock_guard lock(mutex_);
  std::erase_if(entries_, [&](const Entry& old) {
    return old.envelope_sha256 == entry.envelope_sha256 && old.inputs == entry.inputs;
  });
  if (capacity_ == 0 || !until) return;
  if (entries_.size() >= capacity_) entries_.erase(entries_.begin());
  entries_.push_back(std::move(entry));
}

std::size_t VerifiedEnvelopeCache::hits() const {
  std::lock_guard lock(mutex_);
  return hits_;
}

std::size_t VerifiedEnvelopeCache::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

}  // namespace attestmq::attest::session
