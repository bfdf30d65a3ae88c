#pragma once
// One epoll event loop on one thread (FlashMQ-style). A connection belongs to one reactor
// for its whole life: that reactor does all its reads and writes. Reactor 0 also accepts
// (handing new connections out round robin), drives the engine's timers and starts the
// shutdown.
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "broker/host.hpp"
#include "server/admission.hpp"
#include "server/deadline_queue.hpp"
#include "server/listen_sockets.hpp"
#include "server/optional_mutex.hpp"
#include "server/outbox.hpp"
#include "server/unique_fd.hpp"
#include "tls/session.hpp"

namespace attestmq::server {

class ServerCore;

class Reactor {
 public:
  static std::variant<std::unique_ptr<Reactor>, std::string> create(ServerCore& core, unsigned index);

  // Reactor 0 only, before run().
  void add_listen_sockets(std::vector<ListenSocket> sockets);
  // Runs the loop on the calling thread until the server stops, then closes everything.
  void run();

  // Any thread. A connection accepted by reactor 0 for this reactor.
  void adopt(UniqueFd fd, broker::ConnId conn, std::uint32_t listener, std::uint16_t port);
  // Any thread (the engine's): the connection's outbox has something to do.
  void schedule_flush(broker::ConnId conn);
  // Any thread (a password worker's): hand the verdict to the engine on this reactor.
  void deliver_password_verdict(broker::ConnId conn, broker::PasswordVerdict verdict);
  // Any thread (the engine's): an enhanced authentication step for a connection of this
  // reactor, answered from its TLS session once the engine call returns (the lock is free).
  void run_authentication_step(broker::ConnId conn, broker::AuthenticationStep step);
  // Any thread: finish the loop (after Engine::shutdown()) once every connection has
  // closed gracefully or run out of time to (reactor_closing.cpp).
  void stop();
  // Async-signal-safe: interrupt epoll_wait.
  void wake();

 private:
  struct Connection {
    UniqueFd fd;
    std::uint32_t listener = 0;
    std::shared_ptr<Outbox> outbox;
    std::string peer;  // "ADDRESS:PORT", for log lines
    std::vector<std::uint8_t> output;  // taken from the outbox, written from `written` on
    std::size_t written = 0;
    std::uint32_t interest = 0;  // the epoll events registered for it
    // On a TLS listener (reactor_tls.cpp): `output` holds ciphertext, the outbox plaintext.
    std::unique_ptr<tls::Session> tls;
    // Engine::open done and Engine::closed not yet; on a TLS listener only once the
    // handshake completed.
    bool engine_open = false;
    // After Host::close (reactor_closing.cpp): the engine is done with it; the reactor
    // finishes sending, then shuts down its side and discards input until the peer closes.
    bool closing = false;
    bool shut_down_writing = false;  // shutdown(SHUT_WR) done
    bool peer_finished = false;      // EOF read while closing
    std::size_t unwritten() const { return output.size() - written; }
  };
  struct Adoption {
    UniqueFd fd;
    broker::ConnId conn;
    std::uint32_t listener;
    std::uint16_t port;
  };
  struct PasswordResult {
    broker::ConnId conn;
    broker::PasswordVerdict verdict;
  };
  using PendingStep = std::pair<broker::ConnId, broker::AuthenticationStep>;
  struct Mailbox {
    std::vector<Adoption> adoptions;
    std::vector<broker::ConnId> flushes;
    std::vector<PasswordResult> verdicts;
    std::vector<PendingStep> authentication_steps;
    bool empty() const {
      return adoptions.empty() && flushes.empty() && verdicts.empty() && authentication_steps.empty();
    }
  };

  // epoll tags: connection ids are never 0 and never have the top bit set.
  static constexpr std::uint64_t kWakeTag = 0;
  static constexpr std::uint64_t kListenTag = std::uint64_t{1} << 63;

  Reactor(ServerCore& core, unsigned index, UniqueFd epoll, UniqueFd wake);
  // The sooner of two epoll_wait timeouts, where -1 is "none".
  static int earliest(int a, int b);

  void handle_event(std::uint64_t tag, std::uint32_t events);
  // Accepting (reactor_accept.cpp).
  void accept_from(std::size_t socket_index);
  void pause_accepting(std::size_t socket_index, int error);
  int resume_accepting();
  void open_connection(Adoption adoption);
  void open_in_engine(broker::ConnId conn, Connection& connection,
                      std::optional<std::string> transport_username);
  // TLS (reactor_tls.cpp).
  void start_tls(broker::ConnId conn, Connection& connection, std::shared_ptr<const tls::Context> context);
  void receive_tls(broker::ConnId conn, Connection& connection, std::span<const std::uint8_t> ciphertext);
  bool open_authenticated(broker::ConnId conn, Connection& connection);
  void fail_tls(broker::ConnId conn, Connection& connection);
  void refuse(broker::ConnId conn, Connection& connection);
  void send_pending(broker::ConnId conn, Connection& connection);
  int expire_handshakes();
  void read_from(broker::ConnId conn);
  void flush(broker::ConnId conn);
  bool write_output(broker::ConnId conn, Connection& connection);
  void set_interest(broker::ConnId conn, Connection& connection, std::uint32_t events);
  // Graceful close (reactor_closing.cpp).
  void begin_closing(broker::ConnId conn, Connection& connection);
  void continue_closing(broker::ConnId conn, Connection& connection);
  void discard_input(broker::ConnId conn, Connection& connection);
  int expire_closing();
  void detach_from_engine(broker::ConnId conn, Connection& connection);
  void release(broker::ConnId conn);
  void close_connection(broker::ConnId conn);
  void drain_mailbox();
  void answer_authentication_steps();
  void flush_scheduled();
  int run_timers();
  void begin_shutdown();
  bool finish_connections();
  void close_all();

  ServerCore& core_;
  const unsigned index_;
  UniqueFd epoll_;
  UniqueFd wake_;
  std::unordered_map<broker::ConnId, Connection> connections_;
  std::vector<broker::ConnId> scheduled_;  // flushes asked for on this thread
  std::vector<PendingStep> authentication_steps_;  // asked for on this thread (attested_sessions)
  DeadlineQueue close_deadlines_;
  DeadlineQueue handshake_deadlines_;  // TLS handshakes
  std::vector<std::uint8_t> read_buffer_;
  std::vector<std::uint8_t> decrypted_;  // receive_tls: plaintext for the engine
  std::vector<std::uint8_t> to_encrypt_;  // flush: plaintext taken from a TLS connection's outbox
  std::mutex mailbox_mutex_;  // real even with one reactor: password workers post here too
  Mailbox mailbox_;
  std::atomic<bool> stopping_{false};
  bool finishing_ = false;  // stopping: every connection is closing (finish_connections)
  // Reactor 0 only.
  std::vector<ListenSocket> listen_sockets_;
  std::vector<std::uint64_t> accept_paused_until_ms_;  // per listen socket; 0: accepting
  std::optional<Admission> admission_;  // made at the first accept (reactor_accept.cpp)
  unsigned next_reactor_ = 0;
  std::uint64_t next_sequence_ = 1;
  std::uint64_t next_tick_at_ms_ = 0;
  bool shutdown_started_ = false;
};

}  // namespace attestmq::server
