#pragma once
// A one-connection TCP server on 127.0.0.1 that answers the client's CONNECT with prepared
// bytes and records everything the client sends afterwards. It plays the server in the cases
// mosquitto never produces (topic aliases towards clients, duplicate QoS 2 deliveries, broken
// packets), so the client's own handling of them can be checked on a real socket.
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "client/client.hpp"
#include "mqtt/codec.hpp"

namespace attestmq::client::testing {

class ScriptedServer {
 public:
  // `script` is sent as soon as a complete CONNECT has arrived.
  explicit ScriptedServer(std::vector<std::uint8_t> script);
  ~ScriptedServer();
  ScriptedServer(const ScriptedServer&) = delete;
  ScriptedServer& operator=(const ScriptedServer&) = delete;

  // A client connected to this server (transport only: the caller sends CONNECT).
  std::unique_ptr<Client> client();

  // Waits until the client closed the connection (at most 5 s) and returns the packets it
  // sent after CONNECT, each encoded whole.
  std::vector<std::vector<std::uint8_t>> packets_from_client();

 private:
  void serve(std::vector<std::uint8_t> script);

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
