#pragma once
// A one-connection TCP server on 127.0.0.1, optionally under TLS, that answers each packet the
// client sends with prepared or computed bytes and records everything the client sends after
// CONNECT. It plays the server in the cases mosquitto never produces (topic aliases towards
// clients, duplicate QoS 2 deliveries, broken packets, AUTH exchanges), so the client's own
// handling of them can be checked on a real socket.
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

#include "client/client.hpp"
#include "mqtt/codec.hpp"
#include "tls/context.hpp"
#include "tls/session.hpp"

namespace attestmq::client::testing {

class ScriptedServer {
 public:
  // What to send after the client's packet number `index` (0 is CONNECT), given that packet
  // encoded whole and, under TLS, the server's session.
  using Responder = std::function<std::vector<std::uint8_t>(
      std::size_t index, const std::vector<std::uint8_t>& packet, const tls::Session* session)>;

  // `script` is sent as soon as a complete CONNECT has arrived; replies[i], if given, after
  // the client's (i+1)-th packet after CONNECT.
  explicit ScriptedServer(std::vector<std::uint8_t> script,
                          std::vector<std::vector<std::uint8_t>> replies = {});
  // Any answers, over TLS with `tls` (a server context) when it is set.
  ScriptedServer(Responder responder, std::shared_ptr<const tls::Context> tls);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // A client connected to this server (transport only: the caller sends CONNECT); under TLS
  // with `tls` (a client context), nullptr if the handshake failed.
  std::unique_ptr<Client> client(std::shared_ptr<const tls::Context> tls = nullptr);

  std::uint16_t port() const { return port_; }

  // Waits until the client closed the connection (at most 5 s) and returns the packets it
  // sent after CONNECT, each encoded whole.
  std::vector<std::vector<std::uint8_t>> packets_from_client();

 private:
  void serve();

  Responder responder_;
  std::shared_ptr<const tls::Context> tls_;
  int listener_ = -1;
  std::uint16_t port_ = 0;
  std::vector<std::uint8_t> from_client_;
  std::thread thread_;
};

// Encodes packets one after the other.
std::vector<std::uint8_t> encode_all(mqtt::Version version,
                                     const std::vector<mqtt::Packet>& packets);

// Decodes one whole encoded packet (as returned by packets_from_client).
mqtt::Packet decode_one(const std::vector<std::uint8_t>& bytes, mqtt::Version version);

}  // namespace attestmq::client::testing
