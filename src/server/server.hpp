#pragma once
// The native host of the broker engine: listeners, N epoll reactor threads, timers and a
// graceful stop. Design and threading rules: server_core.hpp and reactor.hpp.
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "broker/engine.hpp"
#include "config/broker_config.hpp"
#include "server/signals.hpp"

namespace attestmq::server {

class EvidenceRefresher;
class ServerCore;

struct BoundAddress {
  std::uint32_t listener = 0;  // index into BrokerConfig::listeners
  bool ipv6 = false;
  std::string address;
  std::uint16_t port = 0;  // the real port, also when the configuration asked for 0
};

class Server final : public SignalTarget {
 public:
  // Opens the log destinations and binds every listener; the error says which failed and why.
  static std::variant<std::unique_ptr<Server>, std::string> create(const config::BrokerConfig& config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  const std::vector<BoundAddress>& addresses() const { return addresses_; }
  unsigned threads() const { return threads_; }

  // Serves until request_stop(): the calling thread becomes reactor 0, the others get a
  // thread each. Returns once every client has been sent its goodbye and closed.
  void run();
  // Async-signal-safe and callable from any thread.
  void request_stop() override;
  // Async-signal-safe and callable from any thread (SIGHUP): reactor 0 reads the TLS
  // material, password files and ACL files again. Connections already open keep their TLS
  // context and their session, and meet the new ACL rules from their next packet on.
  void request_reload() override;

  void log(broker::LogLevel level, std::string_view line);
  // The engine's counters; only while run() is not running.
  broker::EngineStats engine_stats();

 private:
  Server(std::unique_ptr<ServerCore> core, unsigned threads);

  std::unique_ptr<ServerCore> core_;
  // After core_, so gone before the attested sessions and the log it uses.
  std::unique_ptr<EvidenceRefresher> refresher_;
  unsigned threads_;
  std::vector<BoundAddress> addresses_;
};

}  // namespace attestmq::server
