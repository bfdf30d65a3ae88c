// The receiving half of Client: reading and framing what the server sends, answering it as
// the protocol requires, and keeping the connection alive.
#include <algorithm>

#include <fmt/format.h>

#include "client/client.hpp"
#include "client/connack_text.hpp"
#include "client/packet_log.hpp"

namespace attestmq::client {
namespace {

using mqtt::PacketType;
using mqtt::ReasonCode;
using mqtt::Version;

std::optional<std::string> own(const std::optional<std::string_view>& view) {
  if (!view) return std::nullopt;
  return std::string(*view);
}

ConnackInfo connack_info(const mqtt::Connack& connack) {
  const auto& p = connack.properties;
  ConnackInfo info;
  info.session_present = connack.session_present;
  info.reason = connack.reason;
  info.assigned_client_identifier = own(p.assigned_client_identifier);
  info.reason_string = own(p.reason_string);
  info.server_keep_alive = p.server_keep_alive;
  info.session_expiry_interval = p.session_expiry_interval;
  info.receive_maximum = p.receive_maximum.value_or(65535);
  info.maximum_qos = p.maximum_qos.value_or(2);
  info.retain_available = p.retain_available.value_or(1) != 0;
  info.topic_alias_maximum = p.topic_alias_maximum.value_or(0);
  info.maximum_packet_size = p.maximum_packet_size;
  info.wildcard_subscription_available = p.wildcard_subscription_available.value_or(1) != 0;
  info.subscription_identifier_available = p.subscription_identifier_available.value_or(1) != 0;
  info.shared_subscription_available = p.shared_subscription_available.value_or(1) != 0;
  for (const auto& property : p.user_properties) {
    info.user_properties.push_back({std::string(property.name), std::string(property.value)});
  }
  return info;
}

}  // namespace

Status Client::accept_connack(const mqtt::Connack& connack) {
  connack_ = connack_info(connack);
  // MQTT 5.0 section 3.2.2.3.17: a successful CONNACK after enhanced authentication names
  // its method; and it must not cut short an exchange the method has not finished (for
  // attestation, a CONNACK before the evidence was accepted is stripping).
  if (authentication_ && connack.reason == ReasonCode::Success) {
    if (connack.properties.authentication_method != std::string_view(authentication_->method)) {
      return protocol_violation(ReasonCode::ProtocolError,
                                "CONNACK without our Authentication Method");
    }
    if (!authentication_complete()) {
      return protocol_violation(ReasonCode::ProtocolError,
                                "CONNACK before the authentication exchange was complete");
    }
  }
  // MQTT 5.0 section 3.2.2.2 / 3.1.1 section 3.2.2.3: a failure code means the server closes.
  if (connack.reason != ReasonCode::Success) {
    close_connection();
    return Status::failure(ErrorKind::refused, connack_refusal_text(version_, connack.reason),
                           connack.reason);
  }
  // MQTT 5.0 section 3.2.2.3.14: the server's keep alive replaces ours.
  if (connack_.server_keep_alive) keep_alive_seconds_ = *connack_.server_keep_alive;
  if (connack_.assigned_client_identifier) client_id_ = *connack_.assigned_client_identifier;
  connected_ = true;
  awaited_.reset();
  return Status::success();
}

Status Client::pump(Clock::time_point deadline) {
  std::uint8_t chunk[16384];
  for (;;) {
    mqtt::FixedHeader header;
    mqtt::DecodeStatus framing;
    const auto frame = mqtt::parse_frame(received_, maximum_incoming_packet_, header, framing);
    if (frame == mqtt::FrameStatus::error) return protocol_violation(framing.code, framing.detail);
    if (frame == mqtt::FrameStatus::complete) {
      mqtt::Packet packet;
      const auto body = std::span<const std::uint8_t>(received_).subspan(
          header.header_size, header.remaining_length);
      const mqtt::DecodeStatus decoded = mqtt::decode(header, body, version_, packet);
      if (!decoded.ok()) return protocol_violation(decoded.code, decoded.detail);
      log("received", packet);
      // The packet's views point into received_: handle it before dropping its bytes.
      Status handled = handle(packet);
      received_.erase(received_.begin(),
                      received_.begin() + static_cast<std::ptrdiff_t>(header.total_size()));
      return handled;
    }
    const auto now = Clock::now();
    if (Status alive = keep_alive(now); !alive.ok()) return alive;
    if (now >= deadline) return Status::failure(ErrorKind::timeout, "Timed out.");
    auto wake = deadline;
    if (connected_ && keep_alive_seconds_ > 0) {
      wake = std::min(wake, ping_sent_.value_or(last_sent_) + keep_alive_interval());
    }
    const auto wait = std::chrono::ceil<std::chrono::milliseconds>(wake - now);
    std::size_t count = 0;
    Status read = transport_->read(chunk, wait, count);
    if (read.kind == ErrorKind::timeout) continue;  // re-check the deadline and keep alive
    if (!read.ok()) {
      close_connection();
      return read;
    }
    received_.insert(received_.end(), chunk, chunk + count);
  }
}

Status Client::keep_alive(Clock::time_point now) {
  if (!connected_ || keep_alive_seconds_ == 0) return Status::success();
  // MQTT 5.0 section 3.1.2.10: no PINGRESP in reasonable time means the connection is dead.
  if (ping_sent_) {
    if (now - *ping_sent_ < keep_alive_interval()) return Status::success();
    close_connection();
    return Status::failure(ErrorKind::network,
                           fmt::format("No PINGRESP from the server within the keep alive "
                                       "interval of {} seconds.",
                                       keep_alive_seconds_));
  }
  if (now - last_sent_ < keep_alive_interval()) return Status::success();
  if (Status sent = send(mqtt::Pingreq{}); !sent.ok()) return sent;
  ping_sent_ = now;
  return Status::success();
}

Status Client::handle(const mqtt::Packet& packet) {
  if (const auto* connack = std::get_if<mqtt::Connack>(&packet)) {
    // MQTT 5.0 section 3.2: CONNACK comes once, as the answer to CONNECT.
    if (connected_) return protocol_violation(ReasonCode::ProtocolError, "a second CONNACK");
    return accept_connack(*connack);
  }
  // MQTT 5.0 section 4.12: AUTH continues an exchange that CONNECT or we started.
  if (const auto* auth = std::get_if<mqtt::Auth>(&packet)) return handle_auth(*auth);
  // MQTT 5.0 section 3.1.4: before CONNACK the server sends nothing else (AUTH aside).
  if (!connected_) {
    return protocol_violation(ReasonCode::ProtocolError,
                              describe_packet(packet) + " arrived before CONNACK");
  }
  return std::visit(
      [this](const auto& p) -> Status {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, mqtt::Publish>) {
          return handle_publish(p);
        } else if constexpr (std::is_same_v<T, mqtt::Pubrel>) {
          return handle_pubrel(p);
        } else if constexpr (std::is_same_v<T, mqtt::Disconnect>) {
          return handle_disconnect(p);
        } else if constexpr (std::is_same_v<T, mqtt::Pingresp>) {
          ping_sent_.reset();
          return record_acknowledgement(PacketType::Pingresp, 0, {}, {});
        } else if constexpr (std::is_same_v<T, mqtt::Puback> || std::is_same_v<T, mqtt::Pubrec> ||
                             std::is_same_v<T, mqtt::Pubcomp>) {
          return record_acknowledgement(T::type, p.packet_id, {p.reason}, p.properties);
        } else if constexpr (std::is_same_v<T, mqtt::Suback>) {
          return record_acknowledgement(PacketType::Suback, p.packet_id, p.reasons, p.properties);
        } else if constexpr (std::is_same_v<T, mqtt::Unsuback>) {
          return record_acknowledgement(PacketType::Unsuback, p.packet_id, p.reasons,
                                        p.properties);
        } else {
          // CONNECT, SUBSCRIBE, UNSUBSCRIBE and PINGREQ only travel from client to server.
          return protocol_violation(ReasonCode::ProtocolError,
                                    describe_packet(p) + " is a client-to-server packet");
        }
      },
      packet);
}

Status Client::record_acknowledgement(PacketType type, std::uint16_t packet_id,
                                      std::vector<ReasonCode> reasons,
                                      const mqtt::Properties& properties) {
  if (awaited_ && awaited_->first == type && awaited_->second == packet_id) {
    ack_ = Acknowledgement{type, packet_id, std::move(reasons), own(properties.reason_string)};
    awaited_.reset();
    return Status::success();
  }
  // A PINGRESP to a keep-alive PINGREQ is expected at any time.
  if (type == PacketType::Pingresp) return Status::success();
  // MQTT 5.0 section 4.3: acknowledgements answer a packet identifier we have in flight.
  return protocol_violation(ReasonCode::ProtocolError,
                            fmt::format("{} for packet identifier {}, which is not in flight",
                                        packet_type_name(type), packet_id));
}

Status Client::handle_publish(const mqtt::Publish& publish) {
  ReceivedMessage message;
  if (version_ == Version::v5) {
    auto resolved = inbound_aliases_.resolve(publish.topic, publish.properties.topic_alias);
    if (resolved.error != ReasonCode::Success) {
      return protocol_violation(resolved.error, resolved.detail);
    }
    message.topic = std::move(resolved.topic);
  } else {
    message.topic = std::string(publish.topic);
  }
  message.payload.assign(publish.payload.begin(), publish.payload.end());
  message.qos = publish.qos;
  message.retain = publish.retain;
  message.dup = publish.dup;
  message.packet_id = publish.packet_id;
  message.properties = own_publish_properties(publish.properties);

  if (publish.qos == 1) {
    inbox_.push_back(std::move(message));
    mqtt::Puback ack;
    ack.packet_id = publish.packet_id;
    return send(ack);
  }
  if (publish.qos == 2) {
    // MQTT 5.0 section 4.3.3 (method B): deliver on the first PUBLISH, remember the packet id
    // until PUBREL, and answer a retransmission with PUBREC only.
    if (!awaiting_pubrel_.contains(publish.packet_id)) {
      // MQTT 5.0 section 3.3.4: never more unacknowledged QoS 2 than our Receive Maximum.
      if (awaiting_pubrel_.size() >= receive_maximum_) {
        return protocol_violation(ReasonCode::ReceiveMaximumExceeded,
                                  "more QoS 2 publications in flight than our Receive Maximum");
      }
      awaiting_pubrel_.insert(publish.packet_id);
      inbox_.push_back(std::move(message));
    }
    mqtt::Pubrec received;
    received.packet_id = publish.packet_id;
    return send(received);
  }
  inbox_.push_back(std::move(message));
  return Status::success();
}

Status Client::handle_pubrel(const mqtt::Pubrel& pubrel) {
  mqtt::Pubcomp complete;
  complete.packet_id = pubrel.packet_id;
  // MQTT 5.0 section 3.7.2.1: a PUBREL for an unknown packet id is answered, with 0x92.
  if (awaiting_pubrel_.erase(pubrel.packet_id) == 0) {
    complete.reason = ReasonCode::PacketIdentifierNotFound;
  }
  return send(complete);
}

Status Client::handle_disconnect(const mqtt::Disconnect& disconnect) {
  close_connection();
  std::string message = fmt::format("The server disconnected: {}", mqtt::to_string(disconnect.reason));
  if (disconnect.properties.reason_string) {
    message += fmt::format(" ({})", *disconnect.properties.reason_string);
  }
  if (disconnect.properties.server_reference) {
    message += fmt::format(", use server {}", *disconnect.properties.server_reference);
  }
  message += '.';
  return Status::failure(ErrorKind::server_disconnect, std::move(message), disconnect.reason);
}

Status Client::handle_auth(const mqtt::Auth& auth) {
  // MQTT 5.0 section 4.12: no AUTH unless CONNECT named an Authentication Method; after
  // CONNACK only within a re-authentication we started (section 4.12.1).
  if (!authentication_) {
    return protocol_violation(ReasonCode::ProtocolError,
                              "AUTH although CONNECT carried no authentication method");
  }
  if (connected_ && !reauthenticating_) {
    return protocol_violation(ReasonCode::ProtocolError,
                              "AUTH outside an authentication exchange");
  }
  // MQTT-4.12.0-5 and MQTT-4.12.1-1: one method for the whole connection.
  if (auth.properties.authentication_method != std::string_view(authentication_->method)) {
    return protocol_violation(ReasonCode::ProtocolError,
                              "AUTH names another authentication method");
  }
  // MQTT 5.0 section 4.12.1: AUTH 0x00 ends a re-authentication; CONNACK ends the first.
  if (auth.reason == ReasonCode::Success && connected_) {
    if (!authentication_complete()) {
      return protocol_violation(ReasonCode::ProtocolError,
                                "AUTH 0x00 before the authentication exchange was complete");
    }
    reauthenticating_ = false;
    return Status::success();
  }
  if (auth.reason != ReasonCode::ContinueAuthentication) {
    return protocol_violation(ReasonCode::ProtocolError,
                              fmt::format("AUTH with reason {} at this step",
                                          mqtt::to_string(auth.reason)));
  }
  std::string error;
  const auto answer = authentication_->respond(
      auth.properties.authentication_data.value_or(mqtt::Bytes()), error);
  if (!answer) {
    // No Reason String: the server is told only that we refused.
    const ReasonCode reason = authentication_->refusal_reason
                                  ? authentication_->refusal_reason()
                                  : ReasonCode::ImplementationSpecificError;
    return end_connection(reason, ErrorKind::authentication,
                          fmt::format("Enhanced authentication ({}) refused the server: {}.",
                                      authentication_->method, error));
  }
  return send_auth(ReasonCode::ContinueAuthentication, *answer);
}

bool Client::authentication_complete() const {
  return !authentication_->complete || authentication_->complete();
}

Status Client::protocol_violation(ReasonCode reason, const std::string& detail) {
  return end_connection(reason, ErrorKind::protocol,
                        fmt::format("Protocol error from the server: {} ({}).", detail,
                                    mqtt::to_string(reason)));
}

Status Client::end_connection(ReasonCode reason, ErrorKind kind, std::string message) {
  // MQTT 5.0 section 4.13.1: tell the server why before closing. Before CONNACK that is
  // allowed only within an AUTH exchange (MQTT-3.1.2-30).
  if (version_ == Version::v5 && (connected_ || authentication_)) {
    mqtt::Disconnect disconnect;
    disconnect.reason = reason;
    send(disconnect);
  }
  close_connection();
  return Status::failure(kind, std::move(message), reason);
}

}  // namespace attestmq::client
