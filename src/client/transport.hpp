#pragma once
// The byte stream under an MQTT session (MQTT 5.0 section 4.2: an ordered, lossless,
// bidirectional connection). The client's protocol logic sees only this interface, so TCP,
// TLS or any other stream can carry it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <span>

#include "client/status.hpp"
#include "tls/session.hpp"

namespace attestmq::client {

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends all of `data`, waiting at most `timeout` for the stream to accept it.
  virtual Status write(std::span<const std::uint8_t> data, std::chrono::milliseconds timeout) = 0;

  // Waits at most `timeout` for at least one byte and stores up to buffer.size() bytes,
  // setting `received`. Returns ErrorKind::timeout when nothing arrived (also when a signal
  // interrupted the wait, so callers can check their stop flags), connection_closed at end
  // of stream.
  virtual Status read(std::span<std::uint8_t> buffer, std::chrono::milliseconds timeout,
                      std::size_t& received) = 0;

  // Closes the stream at once, without any goodbye: to the server this is a network failure.
  virtual void close() = 0;

  // The TLS session the stream runs in, if any: what attestation binds evidence to.
  virtual const tls::Session* tls_session() const { return nullptr; }
};

}  // namespace attestmq::client
