#pragma once
// Two real OpenSSL sessions, a client and a server, with the test as the network: pump()
// carries each side's ciphertext to the other, optionally in small pieces.
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "test_pki.hpp"
#include "tls/session.hpp"

namespace attestmq::tls {

// The PKI every test in this binary shares; generated on first use.
inline test::TestPki& pki() {
  static test::TestPki instance;
  return instance;
}

// A listener with the server certificate and nothing else.
inline ServerTlsOptions certificate_listener() {
  ServerTlsOptions settings;
  settings.certfile = pki().server.certfile;
  settings.keyfile = pki().server.keyfile;
  return settings;
}

// A client that trusts the test CA and expects "localhost".
inline ClientTlsOptions trusting_client() {
  ClientTlsOptions options;
  options.cafile = pki().ca_file;
  options.server_name = "localhost";
  return options;
}

inline std::shared_ptr<const Context> server_context(const ServerTlsOptions& settings) {
  std::string error;
  auto context = Context::server(settings, error);
  EXPECT_NE(context, nullptr) << error;
  return context;
}

inline std::shared_ptr<const Context> client_context(const ClientTlsOptions& options) {
  std::string error;
  auto context = Context::client(options, error);
  EXPECT_NE(context, nullptr) << error;
  return context;
}

struct SessionPair {
  SessionPair(std::shared_ptr<const Context> client_context,
              std::shared_ptr<const Context> server_context)
      : client(std::move(client_context)), server(std::move(server_context)) {}

  // ClientHello, then pump() until both sides are quiet.
  void handshake(std::size_t piece = std::numeric_limits<std::size_t>::max()) {
    client.start(client_out);
    pump(piece);
  }

  // Delivers pending ciphertext both ways until neither side has more to say.
  void pump(std::size_t piece = std::numeric_limits<std::size_t>::max()) {
    for (int round = 0; round < 1000 && (!client_out.empty() || !server_out.empty()); ++round) {
      deliver(client_out, server, server_plaintext, server_out, piece);
      deliver(server_out, client, client_plaintext, client_out, piece);
    }
  }

  Session client;
  Session server;
  std::vector<std::uint8_t> client_out, server_out;              // ciphertext in flight
  std::vector<std::uint8_t> client_plaintext, server_plaintext;  // what each side received

 private:
  static void deliver(std::vector<std::uint8_t>& in_flight, Session& to,
                      std::vector<std::uint8_t>& plaintext, std::vector<std::uint8_t>& reply,
                      std::size_t piece) {
    const std::vector<std::uint8_t> bytes = std::move(in_flight);
    in_flight.clear();
    for (std::size_t at = 0; at < bytes.size(); at += piece) {
      const std::size_t length = std::min(piece, bytes.size() - at);
      to.receive(std::span(bytes).subspan(at, length), plaintext, reply);
    }
  }
};

inline std::vector<std::uint8_t> bytes_of(const std::string& text) {
  return {text.begin(), text.end()};
}

}  // namespace attestmq::tls
