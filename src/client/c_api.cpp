// The C API of include/attestmq/client.h over the C++ client library: handles own a Client,
// every entry point records its outcome in the handle, and no exception leaves this file.
#include "attestmq/client.h"

#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "attest/policy/policy.hpp"
#include "client/attestation.hpp"
#include "client/client.hpp"
#include "client/tls_transport.hpp"

struct attestmq_client {
  std::unique_ptr<attestmq::client::Client> session;  // set while connected
  // Established by attestmq_attest; std::less<> finds a C string without copying it.
  std::map<std::string, std::string, std::less<>> claims;
  std::string error;
  std::string failed_check;
  int reason_code = 0;
};

struct attestmq_message {
  attestmq::client::ReceivedMessage received;
};

namespace {

using attestmq::client::ErrorKind;
using attestmq::client::Status;
namespace client = attestmq::client;
namespace mqtt = attestmq::mqtt;
namespace attest = attestmq::attest;

constexpr unsigned kDefaultTimeoutMs = 10'000;

attestmq_result result_of(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::none: return ATTESTMQ_OK;
    case ErrorKind::network: return ATTESTMQ_ERROR_NETWORK;
    case ErrorKind::tls: return ATTESTMQ_ERROR_TLS;
    case ErrorKind::timeout: return ATTESTMQ_ERROR_TIMEOUT;
    case ErrorKind::connection_closed: return ATTESTMQ_ERROR_CONNECTION_CLOSED;
    case ErrorKind::protocol: return ATTESTMQ_ERROR_PROTOCOL;
    case ErrorKind::refused: return ATTESTMQ_ERROR_REFUSED;
    case ErrorKind::server_disconnect: return ATTESTMQ_ERROR_SERVER_DISCONNECT;
    case ErrorKind::rejected: return ATTESTMQ_ERROR_REJECTED;
    case ErrorKind::authentication: return ATTESTMQ_ERROR_ATTESTATION;
    case ErrorKind::invalid_request: return ATTESTMQ_ERROR_INVALID;
  }
  return ATTESTMQ_ERROR_INVALID;
}

attestmq_result record(attestmq_client& handle, const Status& status) {
  if (status.ok()) return ATTESTMQ_OK;
  handle.error = status.message;
  handle.reason_code = static_cast<int>(status.reason);
  return result_of(status.kind);
}

attestmq_result invalid(attestmq_client& handle, std::string message) {
  handle.error = std::move(message);
  return ATTESTMQ_ERROR_INVALID;
}

// Clears the handle's last outcome and runs `body` on it; a C++ exception (out of memory, or
// a filesystem error) becomes a result, since none may unwind into C.
template <typename Body>
attestmq_result guarded(attestmq_client* handle, Body&& body) {
  if (handle == nullptr) return ATTESTMQ_ERROR_INVALID;
  handle->error.clear();
  handle->failed_check.clear();
  handle->reason_code = 0;
  try {
    return body(*handle);
  } catch (const std::bad_alloc&) {
    handle->error = "out of memory";  // short enough for the string's own buffer
    return ATTESTMQ_ERROR_NO_MEMORY;
  } catch (...) {
    handle->error = "internal error";
    return ATTESTMQ_ERROR_INVALID;
  }
}

attestmq_result require_session(attestmq_client& handle) {
  return handle.session ? ATTESTMQ_OK : invalid(handle, "Not connected.");
}

// A policy file, or the policy's JSON text when its first non-blank character is '{'.
std::optional<attest::Policy> read_policy(std::string_view policy, std::string& error) {
  const auto first = policy.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && policy[first] == '{') {
    return attest::parse_policy(policy, std::filesystem::current_path(), error);
  }
  return attest::load_policy(std::filesystem::path(policy), error);
}

std::optional<client::ConnectOptions> connect_options(attestmq_client& handle,
                                                      const attestmq_connect_options& o) {
  client::ConnectOptions options;
  if (o.mqtt_version == 5) {
    options.version = mqtt::Version::v5;
  } else if (o.mqtt_version == 4) {
    options.version = mqtt::Version::v311;
  } else {
    invalid(handle, fmt::format("mqtt_version {} is neither 5 nor 4 (MQTT 3.1.1).",
                                o.mqtt_version));
    return std::nullopt;
  }
  if (o.password != nullptr && o.username == nullptr) {
    invalid(handle, "A password needs a user name.");
    return std::nullopt;
  }
  if (o.client_id != nullptr) options.client_id = o.client_id;
  if (o.username != nullptr) options.username = std::string(o.username);
  if (o.password != nullptr) options.password = std::string(o.password);
  options.timeout = std::chrono::milliseconds(o.timeout_ms != 0 ? o.timeout_ms : kDefaultTimeoutMs);
  return options;
}

// attestmq_connect and attestmq_attest: `policy` null connects without attestation.
attestmq_result open_session(attestmq_client& handle, const attestmq_connect_options* o,
                             const char* policy) {
  if (handle.session) return invalid(handle, "Already connected.");
  if (o == nullptr || o->host == nullptr || o->port == 0) {
    return invalid(handle, "The options need a host and a port.");
  }
  auto options = connect_options(handle, *o);
  if (!options) return ATTESTMQ_ERROR_INVALID;
  std::optional<attest::VerifyRequest> verify;
  if (policy != nullptr) {
    // docs/attestation.md sections 7.1 and 9.2: MQTT 5 AUTH inside TLS 1.3.
    if (options->version != mqtt::Version::v5) {
      return invalid(handle, "MQTT 3.1.1 has no AUTH packet: attestation needs mqtt_version 5.");
    }
    if (o->cafile == nullptr) {
      return invalid(handle, "Attestation needs TLS: give the options a cafile.");
    }
    std::string error;
    auto loaded = read_policy(policy, error);
    if (!loaded) return invalid(handle, "Policy: " + error);
    verify.emplace();
    verify->policy = std::move(*loaded);
  }
  std::optional<attestmq::tls::ClientTlsOptions> tls;
  if (o->cafile != nullptr) {
    tls.emplace();
    tls->cafile = o->cafile;
    tls->server_name = o->host;
    if (verify) tls->tls_version = "tlsv1.3";
  }
  std::unique_ptr<client::Transport> transport;
  if (Status opened = client::open_transport(o->host, o->port, tls, options->timeout, transport);
      !opened.ok()) {
    return record(handle, opened);
  }
  auto session = std::make_unique<client::Client>(std::move(transport));
  std::optional<client::Attestation> attestation;
  const Status connected = verify ? client::connect_attested(*session, std::move(*verify),
                                                             *options, attestation)
                                  : session->connect(*options);
  const auto* verdict = attestation && attestation->result() ? &*attestation->result() : nullptr;
  if (!connected.ok()) {
    const attest::Check* failure = verdict != nullptr ? verdict->first_failure() : nullptr;
    if (connected.kind == ErrorKind::authentication && failure != nullptr) {
      handle.failed_check = failure->name;
    }
    attestmq_result result = record(handle, connected);
    handle.error = client::rejection_reason(attestation, connected);
    return result;
  }
  handle.claims.clear();
  if (verdict != nullptr) handle.claims.insert(verdict->claims.begin(), verdict->claims.end());
  handle.session = std::move(session);
  return ATTESTMQ_OK;
}

}  // namespace

extern "C" {

attestmq_client* attestmq_client_new(void) { return new (std::nothrow) attestmq_client(); }

void attestmq_client_free(attestmq_client* client) { delete client; }

attestmq_result attestmq_connect(attestmq_client* client, const attestmq_connect_options* options) {
  return guarded(client, [&](attestmq_client& handle) {
    return open_session(handle, options, nullptr);
  });
}

attestmq_result attestmq_attest(attestmq_client* client, const attestmq_connect_options* options,
                                const char* policy) {
  return guarded(client, [&](attestmq_client& handle) {
    if (policy == nullptr) return invalid(handle, "Attestation needs a policy.");
    return open_session(handle, options, policy);
  });
}

attestmq_result attestmq_publish(attestmq_client* client, const char* topic, const void* payload,
                                 size_t length, int qos, int retain) {
  return guarded(client, [&](attestmq_client& handle) {
    if (attestmq_result connected = require_session(handle); connected != ATTESTMQ_OK) {
      return connected;
    }
    if (topic == nullptr || (payload == nullptr && length != 0) || qos < 0 || qos > 2) {
      return invalid(handle, "Publishing needs a topic, a payload for a non-zero length and a "
                             "QoS of 0, 1 or 2.");
    }
    client::OutgoingMessage message;
    message.topic = topic;
    if (length != 0) {
      const auto* bytes = static_cast<const std::uint8_t*>(payload);
      message.payload.assign(bytes, bytes + length);
    }
    message.qos = static_cast<std::uint8_t>(qos);
    message.retain = retain != 0;
    return record(handle, handle.session->publish(message));
  });
}

attestmq_result attestmq_subscribe(attestmq_client* client, const char* filter, int qos) {
  return guarded(client, [&](attestmq_client& handle) {
    if (attestmq_result connected = require_session(handle); connected != ATTESTMQ_OK) {
      return connected;
    }
    if (filter == nullptr || qos < 0 || qos > 2) {
      return invalid(handle, "Subscribing needs a topic filter and a QoS of 0, 1 or 2.");
    }
    client::SubscriptionRequest request;
    request.filter = filter;
    request.qos = static_cast<std::uint8_t>(qos);
    std::vector<mqtt::ReasonCode> reasons;
    if (Status sent = handle.session->subscribe({request}, reasons); !sent.ok()) {
      return record(handle, sent);
    }
    // MQTT 5.0 section 3.9.3: codes of 0x80 and above refuse the subscription.
    if (reasons.size() != 1 || static_cast<int>(reasons.front()) >= 0x80) {
      handle.reason_code = reasons.empty() ? 0 : static_cast<int>(reasons.front());
      handle.error = fmt::format("The broker refused the subscription to '{}' (0x{:02x}).", filter,
                                 handle.reason_code);
      return ATTESTMQ_ERROR_REJECTED;
    }
    return ATTESTMQ_OK;
  });
}

attestmq_result attestmq_receive(attestmq_client* client, unsigned timeout_ms,
                                 attestmq_message** message) {
  return guarded(client, [&](attestmq_client& handle) {
    if (attestmq_result connected = require_session(handle); connected != ATTESTMQ_OK) {
      return connected;
    }
    if (message == nullptr) return invalid(handle, "Receiving needs a place for the message.");
    auto received = std::make_unique<attestmq_message>();
    if (Status got = handle.session->receive(received->received,
                                             std::chrono::milliseconds(timeout_ms));
        !got.ok()) {
      return record(handle, got);
    }
    *message = received.release();
    return ATTESTMQ_OK;
  });
}

attestmq_result attestmq_disconnect(attestmq_client* client) {
  return guarded(client, [&](attestmq_client& handle) {
    if (attestmq_result connected = require_session(handle); connected != ATTESTMQ_OK) {
      return connected;
    }
    const Status sent = handle.session->disconnect();
    handle.session.reset();
    return record(handle, sent);
  });
}

const char* attestmq_error(const attestmq_client* client) {
  return client != nullptr ? client->error.c_str() : "no client";
}

const char* attestmq_failed_check(const attestmq_client* client) {
  return client != nullptr ? client->failed_check.c_str() : "";
}

int attestmq_reason_code(const attestmq_client* client) {
  return client != nullptr ? client->reason_code : 0;
}

const char* attestmq_attested_claim(const attestmq_client* client, const char* name) {
  if (client == nullptr || name == nullptr) return nullptr;
  const auto found = client->claims.find(std::string_view(name));
  return found != client->claims.end() ? found->second.c_str() : nullptr;
}

const char* attestmq_message_topic(const attestmq_message* message) {
  return message != nullptr ? message->received.topic.c_str() : "";
}

const void* attestmq_message_payload(const attestmq_message* message, size_t* length) {
  if (length != nullptr) *length = message != nullptr ? message->received.payload.size() : 0;
  return message != nullptr ? message->received.payload.data() : nullptr;
}

int attestmq_message_qos(const attestmq_message* message) {
  return message != nullptr ? message->received.qos : 0;
}

int attestmq_message_retain(const attestmq_message* message) {
  return message != nullptr && message->received.retain ? 1 : 0;
}

void attestmq_message_free(attestmq_message* message) { delete message; }

}  // extern "C"
