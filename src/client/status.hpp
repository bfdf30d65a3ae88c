#pragma once
// The outcome of a client operation. The library never throws: every failure comes back as a
// Status whose message is a complete English sentence fit for an error line.
#include <string>
#include <utility>

#include "mqtt/reason_code.hpp"

namespace attestmq::client {

enum class ErrorKind {
  none,
  network,            // name lookup, connect, read or write failed
  tls,                // the TLS handshake failed or a TLS record was bad (RFC 8446)
  timeout,            // the deadline passed before the awaited packet arrived
  connection_closed,  // the server closed the connection without a DISCONNECT
  protocol,           // the server broke a protocol rule; we sent DISCONNECT where possible
  refused,            // CONNACK with a failure code: `reason` holds it
  server_disconnect,  // the server sent DISCONNECT: `reason` holds its reason code
  rejected,           // an acknowledgement (PUBACK, PUBREC, SUBACK...) carried a failure code
  authentication,     // our enhanced authentication method refused the server's data
  invalid_request,    // the caller asked for something the session cannot do
};

struct Status {
  ErrorKind kind = ErrorKind::none;
  mqtt::ReasonCode reason = mqtt::ReasonCode::Success;
  std::string message;

  bool ok() const { return kind == ErrorKind::none; }

  static Status success() { return {}; }
  static Status failure(ErrorKind kind, std::string message,
                        mqtt::ReasonCode reason = mqtt::ReasonCode::UnspecifiedError) {
    return Status{kind, reason, std::move(message)};
  }
};

}  // namespace attestmq::client
