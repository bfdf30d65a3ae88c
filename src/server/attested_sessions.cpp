#include "server/attested_sessions.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "attest/session/session_protocol.hpp"

namespace attestmq::server {
namespace {

using broker::AuthenticationOutcome;
using mqtt::ReasonCode;
namespace session = attest::session;

AuthenticationOutcome refusal(ReasonCode code, std::string why) {
  return {AuthenticationOutcome::Kind::failure, {}, code, "attestation: " + std::move(why)};
}

std::uint64_t wall_clock_seconds() {
  return static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count());
}

}  // namespace

AttestedSessions::AttestedSessions(std::unique_ptr<attest::Provider> provider,
                                   std::array<std::uint8_t, 32> module_sha256)
    : provider_(std::move(provider)), module_sha256_(module_sha256) {}

std::unique_ptr<AttestedSessions> AttestedSessions::create(
    std::unique_ptr<attest::Provider> provider, std::array<std::uint8_t, 32> module_sha256,
    std::vector<std::optional<std::chrono::seconds>> quote_periods, std::string& error) {
  std::unique_ptr<AttestedSessions> sessions(new AttestedSessions(std::move(provider), module_sha256));
  for (std::uint32_t listener = 0; listener < quote_periods.size(); ++listener) {
    if (!quote_periods[listener]) continue;
    auto cached = std::make_unique<CachedListener>();
    cached->listener = listener;
    cached->period = *quote_periods[listener];
    if (!sessions->refresh(*cached, error)) {
      error = fmt::format("attestation_mode cached (listener {}): {}", listener, error);
      return nullptr;
    }
    sessions->cached_.push_back(std::move(cached));
  }
  return sessions;
}

AttestedSessions::~AttestedSessions() {
  {
    std::lock_guard lock(refresher_mutex_);
    stopping_ = true;
  }
  refresher_wake_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

bool AttestedSessions::refresh(CachedListener& cached, std::string& error) {
  cached.next_refresh = std::chrono::steady_clock::now() + cached.period;
  return cached.quote.refresh(*provider_, module_sha256_, wall_clock_seconds(), error);
}

void AttestedSessions::start_refreshing(Log log) {
  if (cached_.empty()) return;
  refresher_ = std::thread([this, log = std::move(log)] { refresh_loop(log); });
}

// Section 6.2: a refresh that fails keeps the previous pair, is logged at error level and is
// tried again a period later; clients refuse the pair once it is older than they allow.
void AttestedSessions::refresh_loop(Log log) {
  std::unique_lock lock(refresher_mutex_);
  while (!stopping_) {
    const auto due = std::min_element(cached_.begin(), cached_.end(), [](const auto& a, const auto& b) {
      return a->next_refresh < b->next_refresh;
    });
    if (refresher_wake_.wait_until(lock, (*due)->next_refresh, [this] { return stopping_; })) break;
    lock.unlock();
    std::string error;
    if (refresh(**due, error)) {
      log(broker::LogLevel::info,
          fmt::format("Refreshed the cached attestation quote of listener {}.", (*due)->listener));
    } else {
      const auto previous = (*due)->quote.current();
      log(broker::LogLevel::error,
          fmt::format("Refreshing the cached attestation quote of listener {} failed, keeping the "
                      "one issued at {} (seconds since 1970): {}",
                      (*due)->listener, previous ? previous->issued_at() : 0, error));
    }
    lock.lock();
  }
}

AuthenticationOutcome AttestedSessions::step(const tls::Session* tls, std::uint32_t listener,
                                             const broker::AuthenticationStep& step) {
  if (step.starts_exchange) return evidence_for(tls, listener, step);
  // Section 7.4 step 8: the client's ANSWER. This broker does not ask clients to attest, so the
  // only well-formed answer is the empty one.
  std::string error;
  const auto answer = session::parse_answer(step.data, error);
  if (!answer) return refusal(ReasonCode::MalformedPacket, "ANSWER: " + error);
  if (*answer) return refusal(ReasonCode::MalformedPacket, "ANSWER carries evidence nobody asked for");
  return {AuthenticationOutcome::Kind::success, {}, ReasonCode::Success, {}};
}

AuthenticationOutcome AttestedSessions::evidence_for(const tls::Session* tls, std::uint32_t listener,
                                                     const broker::AuthenticationStep& step) {
  // Section 7.1: only a full TLS 1.3 handshake has a secret of its own to bind to.
  if (tls == nullptr || tls->peer().protocol != "TLSv1.3" || tls->resumed()) {
    return refusal(ReasonCode::BadAuthenticationMethod,
                   std::string(session::kAuthenticationMethod) + " needs a full TLS 1.3 handshake");
  }
  std::string error;
  const auto request = session::parse_request(step.data, error);
  if (!request) return refusal(ReasonCode::MalformedPacket, "REQUEST: " + error);
  // Section 4.1: the binder is the exporter over this handshake, with the REQUEST as context.
  const auto binder = tls->export_keying_material(session::kBrokerBinderLabel, step.data,
                                                  session::kBinderBytes);
  if (!binder) return refusal(ReasonCode::ImplementationSpecificError, "the TLS session has no exporter");
  const session::TlsIdentity identity =
      session::tls_identity(tls->local_certificate_key_sha256(), tls->peer().psk_identity);
  // Section 7.4 step 4: cached evidence to a client that set CACHED_OK, per-session to others.
  const auto cached = std::find_if(cached_.begin(), cached_.end(),
                                   [listener](const auto& entry) { return entry->listener == listener; });
  const auto pair = cached != cached_.end() ? (*cached)->quote.current() : nullptr;
  auto evidence = session::produce_evidence(*provider_, *request, *binder, identity, module_sha256_,
                                            error, std::nullopt, pair.get());
  if (!evidence) {
    // Section 9.1: no type in common is the method failing; anything else is the provider's.
    const bool no_common_type = error.starts_with("no evidence type in common");
    return refusal(no_common_type ? ReasonCode::BadAuthenticationMethod
                                  : ReasonCode::ImplementationSpecificError,
                   (no_common_type ? "" : "evidence unavailable: ") + error);
  }
  return {AuthenticationOutcome::Kind::continue_with, std::move(*evidence), ReasonCode::Success, {}};
}

std::optional<std::array<std::uint8_t, 32>> own_executable_sha256(std::string& error) {
  std::ifstream file("/proc/self/exe", std::ios::binary);
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!file || !context || EVP_DigestInit_ex(context.get(), EVP_sha256(), nullptr) != 1) {
    error = "cannot read /proc/self/exe to measure the broker";
    return std::nullopt;
  }
  std::vector<char> chunk(1 << 20);  // streamed: a sanitized build is over 100 MB
  while (file.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || file.gcount() > 0) {
    EVP_DigestUpdate(context.get(), chunk.data(), static_cast<std::size_t>(file.gcount()));
  }
  std::array<std::uint8_t, 32> digest{};
  unsigned int length = 0;
  EVP_DigestFinal_ex(context.get(), digest.data(), &length);
  return digest;
}

}  // namespace attestmq::server
