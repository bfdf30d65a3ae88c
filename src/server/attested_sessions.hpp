#pragma once
// The broker's side of the attested-session protocol, transport B (docs/attestation.md section
// 7.4): the engine carries MQTT 5 enhanced authentication with the method
// "attestmq-attest-v1"; each step comes here with the connection's TLS session, and is answered
// with evidence from the TEE provider bound to that session, or with a refusal.
#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "attest/provider/provider.hpp"
#include "broker/engine.hpp"
#include "broker/host.hpp"
#include "server/cached_quote.hpp"
#include "tls/session.hpp"

namespace attestmq::server {

class AttestedSessions {
 public:
  using Log = std::function<void(broker::LogLevel, std::string_view)>;

  // `module_sha256`: what the broker runs (the native binary here; the Wasm module later).
  // `quote_periods`: per listener, the refresh period of its cached evidence (section 6.2),
  // or nullopt for per-session evidence. Cached listeners get their first quote here:
  // nullptr and `error` if the provider cannot make it.
  static std::unique_ptr<AttestedSessions> create(
      std::unique_ptr<attest::Provider> provider, std::array<std::uint8_t, 32> module_sha256,
      std::vector<std::optional<std::chrono::seconds>> quote_periods, std::string& error);
  ~AttestedSessions();
  AttestedSessions(const AttestedSessions&) = delete;
  AttestedSessions& operator=(const AttestedSessions&) = delete;

  // Starts refreshing the cached listeners' quotes on a thread of its own, off the reactors,
  // so that a slow quote never stalls a connection; each failure is logged through `log`.
  void start_refreshing(Log log);

  // One step of the exchange on a connection of `listener` whose TLS session is `tls` (null:
  // plain TCP).
  broker::AuthenticationOutcome step(const tls::Session* tls, std::uint32_t listener,
                                     const broker::AuthenticationStep& step);

  const attest::Provider& provider() const { return *provider_; }
  const std::array<std::uint8_t, 32>& module_sha256() const { return module_sha256_; }

 private:
  struct CachedListener {
    std::uint32_t listener;
    std::chrono::seconds period;
    CachedQuote quote;
    std::chrono::steady_clock::time_point next_refresh;
  };

  AttestedSessions(std::unique_ptr<attest::Provider> provider, std::array<std::uint8_t, 32> module_sha256);
  broker::AuthenticationOutcome evidence_for(const tls::Session* tls, std::uint32_t listener,
                                             const broker::AuthenticationStep& step);
  bool refresh(CachedListener& cached, std::string& error);
  void refresh_loop(Log log);

  std::unique_ptr<attest::Provider> provider_;
  const std::array<std::uint8_t, 32> module_sha256_;
  std::vector<std::unique_ptr<CachedListener>> cached_;  // fixed after create()
  std::mutex refresher_mutex_;
  std::condition_variable refresher_wake_;
  bool stopping_ = false;  // under refresher_mutex_
  std::thread refresher_;
};

// The SHA-256 of this process's executable (/proc/self/exe): the native broker's measurement.
std::optional<std::array<std::uint8_t, 32>> own_executable_sha256(std::string& error);

}  // namespace attestmq::server
