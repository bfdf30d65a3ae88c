#pragma once
// attestmq-enclave's event loop: the sockets, epoll and timers of the native host, around one
// instance of attestmq-engine.wasm (DESIGN.md section 1). It moves ciphertext only: what it
// reads from a socket goes into the guest's input buffer, what the guest sends goes out on
// the socket, and TLS, MQTT and every trust decision happen inside the module. One thread,
// as the module is single-threaded. A trap in the module closes every connection (their
// state died with the instance), re-creates the instance and configures it again.
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <variant>
#include <vector>

#include "attest/provider/provider.hpp"
#include "config/broker_config.hpp"
#include "server/admission.hpp"
#include "server/deadline_queue.hpp"
#include "server/listen_sockets.hpp"
#include "server/logger.hpp"
#include "server/signals.hpp"
#include "server/unique_fd.hpp"
#include "store/sqlite_store.hpp"
#include "wasm/runner/enclave/engine_module.hpp"

namespace attestmq::wasm {

class Enclave final : public server::SignalTarget {
 public:
  // epoll tags: connection ids are 32-bit and never 0.
  static constexpr std::uint64_t kWakeTag = 0;
  static constexpr std::uint64_t kListenTag = std::uint64_t{1} << 63;
  // What one read takes from a socket, and so the size of the module's input buffer.
  static constexpr std::uint32_t kReadChunk = 64 * 1024;

  // `host_view`: the configuration as the runner reads it, for what only the host can do
  // (sockets, log destinations, output limits). The module reads the same files itself and
  // takes every other decision from its own reading. `configure_arguments`: the items for
  // the module's attestmq_configure (docs/architecture.md, "The engine ABI"). With a `tee`
  // other than none, the runner holds that TEE provider and answers the module's evidence
  // import with it; the module learns its evidence type and its own measurement.
  static std::variant<std::unique_ptr<Enclave>, std::string> create(config::BrokerConfig host_view,
                                                                    std::string configure_arguments);
  // The module measurement the runner puts in every piece of evidence, from the hex the build
  // compiled in (kAttestmqEngineSha256); nullopt unless it is exactly a SHA-256, in which
  // case the runner refuses to attest at all.
  static std::optional<std::array<std::uint8_t, 32>> measurement_from_hex(std::string_view hex);
  ~Enclave();
  Enclave(const Enclave&) = delete;
  Enclave& operator=(const Enclave&) = delete;

  // Runs until request_stop(), then stops the engine gracefully and closes every connection.
  void run();
  // One turn of the loop, waiting at most `max_wait_ms` (-1: until the next timer) for
  // events; false once stopped with every connection closed. run() is a loop of these; tests
  // drive it turn by turn on their own thread.
  bool run_once(int max_wait_ms);
  // Async-signal-safe, any thread.
  void request_stop() override;
  // SIGHUP: the module would have to read its files again; not offered yet, and logged.
  void request_reload() override;

  struct BoundAddress {
    bool ipv6 = false;
    std::string address;
    std::uint16_t port = 0;
  };
  const std::vector<BoundAddress>& addresses() const { return addresses_; }
  void log(std::uint32_t level, std::string_view line);

  // For tests: sees every byte the runner reads from or writes to a socket, which is all
  // the runner's own I/O buffers ever hold.
  void observe_io(std::function<void(std::span<const std::uint8_t>)> observer) { observer_ = std::move(observer); }
  // For tests: the module's linear memory, to corrupt it and make the module trap.
  GuestMemory guest_memory() { return runner_->memory(); }
  std::uint64_t instances_created() const { return runner_->instances_created(); }

 private:
  struct Connection {
    server::UniqueFd fd;
    std::uint32_t listener = 0;
    std::string peer;
    std::vector<std::uint8_t> output;  // from the guest, written from `written` on
    std::size_t written = 0;
    std::uint32_t interest = 0;
    bool throttled = false;       // the guest heard a backlog over the soft limit
    bool closing = false;         // the guest asked to close (or the runner is closing it)
    bool shut_down_writing = false;
    bool peer_finished = false;   // EOF read while closing
    // With persistence: what the guest sent after hold(), and a close after it, waiting for
    // the commit of the changes made before (enclave_persistence.cpp).
    std::vector<std::uint8_t> held;
    bool holding = false;
    bool close_held = false;
    std::size_t unwritten() const { return output.size() - written; }
  };

  Enclave(config::BrokerConfig host_view, std::string configure_arguments,
          std::unique_ptr<server::Logger> logger);
  HostCalls host_calls();
  // The TEE provider of host_view_.tee, and what the module must know of it; false and
  // `error` if it cannot start.
  bool start_provider(std::string& error);
  bool evidence(std::span<const std::uint8_t, 64> report_data, std::vector<std::uint8_t>& answer);
  bool configure_guest(std::string& error);
  // Persistence (enclave_persistence.cpp): the database the module's sealed records live in,
  // opened before the module starts; every record handed to a freshly configured module.
  bool open_store(std::string& error);
  bool restore_guest(std::string& error);
  void hold(std::uint32_t conn);
  // Has the module seal its changes and commits them once the oldest is kGroupCommit old, or
  // at once with `now`, then lets the held output go; true when changes were left waiting.
  // A failed commit stops the runner.
  bool make_durable(bool now);
  // Runs `calls` on the guest under one trap point; after a trap, every connection is
  // closed and a fresh instance is configured. False if the guest trapped.
  template <class Calls>
  bool call_guest(Calls&& calls) {
    if (runner_->batch(std::forward<Calls>(calls)) == WASM_RT_TRAP_NONE) return true;
    recover_from_trap();
    return false;
  }
  void recover_from_trap();

  void handle_event(std::uint64_t tag, std::uint32_t events);
  void accept_from(std::size_t socket_index);
  void pause_accepting(std::size_t socket_index, int error);
  int resume_accepting(std::uint64_t now);
  void read_from(std::uint32_t conn);
  std::uint64_t guest_send(std::uint32_t conn, std::span<const std::uint8_t> bytes);
  void guest_close(std::uint32_t conn);
  bool write_output(std::uint32_t conn, Connection& connection);
  // Writes what the last guest calls sent, and takes the closes they asked for further.
  void flush_touched();
  void set_interest(std::uint32_t conn, Connection& connection, std::uint32_t events);
  void continue_closing(std::uint32_t conn, Connection& connection);
  // The socket is gone: drop it and tell the guest (exactly once per connection).
  void release(std::uint32_t conn);
  int run_timers();
  void begin_stopping();
  static std::uint64_t now_ms();
  std::uint32_t next_connection_id();

  const config::BrokerConfig host_view_;
  std::string configure_arguments_;
  std::unique_ptr<attest::Provider> provider_;  // null: tee none
  std::unique_ptr<server::Logger> logger_;
  std::unique_ptr<store::SqliteStore> store_;  // null without persistence
  std::vector<std::uint32_t> holding_;          // connections with held output
  std::unique_ptr<Runner<EngineModule>> runner_;
  server::UniqueFd epoll_;
  server::UniqueFd wake_;
  std::vector<server::ListenSocket> listen_sockets_;
  std::vector<BoundAddress> addresses_;
  server::Admission admission_;
  std::vector<std::int32_t> open_per_listener_;
  std::vector<std::uint64_t> accept_paused_until_ms_;  // per listen socket; 0: accepting
  std::unordered_map<std::uint32_t, Connection> connections_;
  std::vector<std::uint32_t> touched_;  // connections the last guest calls sent on or closed
  server::DeadlineQueue close_deadlines_;
  std::vector<std::uint8_t> read_buffer_;
  std::uint32_t input_buffer_ = 0;  // guest address of the module's input buffer
  std::uint32_t next_id_ = 1;
  std::uint64_t next_tick_at_ms_ = 0;
  std::atomic<bool> stop_requested_{false};
  std::atomic<bool> reload_requested_{false};
  bool stopping_ = false;
  std::function<void(std::span<const std::uint8_t>)> observer_;
};

}  // namespace attestmq::wasm
