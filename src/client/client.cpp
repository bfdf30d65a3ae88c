#include "client/client.hpp"

#include <fmt/format.h>

#include "client/packet_log.hpp"
#include "mqtt/topic.hpp"

namespace attestmq::client {
namespace {

using mqtt::PacketType;
using mqtt::ReasonCode;
using mqtt::Version;

bool is_failure(ReasonCode reason) { return static_cast<std::uint8_t>(reason) >= 0x80; }

}  // namespace

Client::Client(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

Status Client::connect(const ConnectOptions& options) {
  if (connected_) return Status::failure(ErrorKind::invalid_request, "Already connected.");
  // MQTT 3.1.1 section 3.1.3.1: a zero-byte client id requires clean session.
  if (options.version == Version::v311 && options.client_id.empty() && !options.clean_start) {
    return Status::failure(ErrorKind::invalid_request,
                           "MQTT 3.1.1 needs a client id when clean session is off.");
  }
  // MQTT 3.1.1 section 3.1.2.9: no password without a user name.
  if (options.version == Version::v311 && options.password && !options.username) {
    return Status::failure(ErrorKind::invalid_request,
                           "MQTT 3.1.1 does not allow a password without a user name.");
  }
  // MQTT 5.0 section 4.12: enhanced authentication rides on properties and the AUTH packet,
  // neither of which 3.1.1 has.
  if (options.authentication && options.version != Version::v5) {
    return Status::failure(ErrorKind::invalid_request,
                           "MQTT 3.1.1 has no AUTH packet: enhanced authentication needs MQTT 5.");
  }
  if (options.authentication && !options.authentication->respond) {
    return Status::failure(ErrorKind::invalid_request,
                           "Enhanced authentication needs a function to answer the server.");
  }
  if (options.will && (options.will->qos > 2 || !mqtt::valid_topic_name(options.will->topic))) {
    return Status::failure(ErrorKind::invalid_request,
                           fmt::format("Invalid will: topic '{}', QoS {}.", options.will->topic,
                                       options.will->qos));
  }
  version_ = options.version;
  timeout_ = options.timeout;
  keep_alive_seconds_ = options.keep_alive;
  client_id_ = options.client_id;
  connect_session_expiry_ = options.session_expiry_interval.value_or(0);
  if (options.maximum_packet_size) maximum_incoming_packet_ = *options.maximum_packet_size;
  receive_maximum_ = options.receive_maximum.value_or(65535);
  inbound_aliases_ = InboundTopicAliases(options.topic_alias_maximum.value_or(0));
  authentication_ = options.authentication;

  mqtt::Connect connect;
  connect.version = options.version;
  connect.clean_start = options.clean_start;
  connect.keep_alive = options.keep_alive;
  connect.client_id = options.client_id;
  auto& properties = connect.properties;
  properties.session_expiry_interval = options.session_expiry_interval;
  properties.receive_maximum = options.receive_maximum;
  properties.topic_alias_maximum = options.topic_alias_maximum;
  properties.maximum_packet_size = options.maximum_packet_size;
  properties.request_problem_information = options.request_problem_information;
  properties.request_response_information = options.request_response_information;
  properties.user_properties = view_user_properties(options.user_properties);
  if (authentication_) {
    // MQTT 5.0 sections 3.1.2.11.9 and 3.1.2.11.10.
    properties.authentication_method = std::string_view(authentication_->method);
    properties.authentication_data = mqtt::Bytes(authentication_->data);
  }
  if (options.will) {
    mqtt::Will will;
    will.qos = options.will->qos;
    will.retain = options.will->retain;
    will.topic = options.will->topic;
    will.payload = options.will->payload;
    will.properties = view_publish_properties(options.will->properties);
    will.properties.subscription_identifiers.clear();
    will.properties.will_delay_interval = options.will->will_delay_interval;
    connect.will = std::move(will);
  }
  if (options.username) connect.username = std::string_view(*options.username);
  if (options.password) {
    connect.password = mqtt::Bytes(reinterpret_cast<const std::uint8_t*>(options.password->data()),
                                   options.password->size());
  }
  if (Status sent = send(connect); !sent.ok()) return sent;

  awaited_ = {PacketType::Connack, 0};
  const auto deadline = Clock::now() + timeout_;
  while (!connected_) {
    if (Status step = pump(deadline); !step.ok()) {
      if (step.kind == ErrorKind::timeout) {
        // During an AUTH exchange the server is told why (docs/attestation.md section 9.2).
        return end_connection(ReasonCode::ImplementationSpecificError, ErrorKind::timeout,
                              "No CONNACK from the server in time.");
      }
      return step;
    }
  }
  return Status::success();
}

Status Client::reauthenticate(std::vector<std::uint8_t> data) {
  if (!connected_) return not_connected();
  // MQTT 5.0 section 4.12.1: only a client that used enhanced authentication in CONNECT.
  if (!authentication_) {
    return Status::failure(ErrorKind::invalid_request,
                           "Re-authentication needs enhanced authentication in CONNECT.");
  }
  if (reauthenticating_) {
    return Status::failure(ErrorKind::invalid_request, "A re-authentication is in progress.");
  }
  reauthenticating_ = true;
  if (Status sent = send_auth(ReasonCode::ReAuthenticate, data); !sent.ok()) return sent;
  const auto deadline = Clock::now() + timeout_;
  while (reauthenticating_) {
    if (!connected_) return not_connected();
    if (Status step = pump(deadline); !step.ok()) {
      // MQTT-4.12.1-2: a failed re-authentication ends the connection.
      if (step.kind == ErrorKind::timeout) {
        return end_connection(ReasonCode::ImplementationSpecificError, ErrorKind::timeout,
                              "The server did not complete the re-authentication in time.");
      }
      return step;
    }
  }
  return Status::success();
}

Status Client::send_auth(ReasonCode reason, std::span<const std::uint8_t> data) {
  mqtt::Auth auth;
  auth.reason = reason;
  auth.properties.authentication_method = std::string_view(authentication_->method);
  auth.properties.authentication_data = mqtt::Bytes(data);
  return send(auth);
}

Status Client::publish(const OutgoingMessage& message) {
  if (!connected_) return not_connected();
  const bool v5 = version_ == Version::v5;
  const bool uses_alias = v5 && message.topic_alias.has_value();
  if (message.qos > 2) {
    return Status::failure(ErrorKind::invalid_request, fmt::format("Invalid QoS {}.", message.qos));
  }
  if (!mqtt::valid_topic_name(message.topic)) {
    return Status::failure(ErrorKind::invalid_request,
                           fmt::format("Invalid publish topic '{}'.", message.topic));
  }
  // MQTT 5.0 sections 3.2.2.3.4 and 3.2.2.3.5: respect what the server said it supports.
  if (v5 && message.qos > connack_.maximum_qos) {
    return Status::failure(ErrorKind::invalid_request,
                           fmt::format("The server accepts QoS {} at most.", connack_.maximum_qos));
  }
  if (v5 && message.retain && !connack_.retain_available) {
    return Status::failure(ErrorKind::invalid_request, "The server does not support retain.");
  }
  // MQTT 5.0 section 3.3.2.3.4: an alias must be within the server's Topic Alias Maximum.
  if (uses_alias && (*message.topic_alias == 0 ||
                     *message.topic_alias > connack_.topic_alias_maximum)) {
    return Status::failure(ErrorKind::invalid_request,
                           fmt::format("Topic alias {} is outside the server's range 1..{}.",
                                       *message.topic_alias, connack_.topic_alias_maximum));
  }

  mqtt::Publish publish;
  publish.qos = message.qos;
  publish.retain = message.retain;
  publish.packet_id = message.qos > 0 ? next_packet_id() : 0;
  publish.payload = message.payload;
  publish.properties = view_publish_properties(message.properties);
  // MQTT 5.0 section 3.3.4: a client never sends a Subscription Identifier.
  publish.properties.subscription_identifiers.clear();
  const bool alias_known = uses_alias && outbound_aliases_[*message.topic_alias] == message.topic;
  publish.topic = alias_known ? std::string_view() : std::string_view(message.topic);
  if (uses_alias) publish.properties.topic_alias = message.topic_alias;

  // MQTT 5.0 section 3.2.2.3.6: never exceed the server's Maximum Packet Size.
  const std::size_t size = mqtt::encoded_size(publish, version_);
  if (connack_.maximum_packet_size && size > *connack_.maximum_packet_size) {
    return Status::failure(ErrorKind::invalid_request,
                           fmt::format("The PUBLISH packet ({} bytes) exceeds the server's "
                                       "maximum packet size of {} bytes.",
                                       size, *connack_.maximum_packet_size));
  }
  if (Status sent = send(publish); !sent.ok()) return sent;
  if (uses_alias) outbound_aliases_[*message.topic_alias] = message.topic;

  // MQTT 5.0 section 4.3.2: QoS 1 ends with PUBACK.
  if (message.qos == 1) {
    if (Status acked = await(PacketType::Puback, publish.packet_id); !acked.ok()) return acked;
    return is_failure(ack_->reasons.front()) ? rejected("PUBACK") : Status::success();
  }
  // MQTT 5.0 section 4.3.3: QoS 2 is PUBREC, then PUBREL, then PUBCOMP; a failing PUBREC ends it.
  if (message.qos == 2) {
    if (Status received = await(PacketType::Pubrec, publish.packet_id); !received.ok()) {
      return received;
    }
    if (is_failure(ack_->reasons.front())) return rejected("PUBREC");
    mqtt::Pubrel release;
    release.packet_id = publish.packet_id;
    if (Status sent = send(release); !sent.ok()) return sent;
    if (Status completed = await(PacketType::Pubcomp, publish.packet_id); !completed.ok()) {
      return completed;
    }
    if (is_failure(ack_->reasons.front())) return rejected("PUBCOMP");
  }
  return Status::success();
}

Status Client::subscribe(const std::vector<SubscriptionRequest>& requests,
                         std::vector<ReasonCode>& reasons) {
  reasons.clear();
  if (!connected_) return not_connected();
  // MQTT 5.0 section 3.8.3: at least one filter.
  if (requests.empty()) {
    return Status::failure(ErrorKind::invalid_request, "SUBSCRIBE needs at least one filter.");
  }
  mqtt::Subscribe subscribe;
  subscribe.packet_id = next_packet_id();
  for (const auto& request : requests) {
    if (!mqtt::valid_topic_filter(request.filter) || request.qos > 2 ||
        request.retain_handling > 2) {
      return Status::failure(ErrorKind::invalid_request,
                             fmt::format("Invalid subscription: filter '{}', QoS {}.",
                                         request.filter, request.qos));
    }
    mqtt::Subscription subscription;
    subscription.filter = request.filter;
    subscription.qos = request.qos;
    if (version_ == Version::v5) {
      subscription.no_local = request.no_local;
      subscription.retain_as_published = request.retain_as_published;
      subscription.retain_handling = request.retain_handling;
    }
    subscribe.subscriptions.push_back(subscription);
  }
  if (Status sent = send(subscribe); !sent.ok()) return sent;
  if (Status acked = await(PacketType::Suback, subscribe.packet_id); !acked.ok()) return acked;
  // MQTT 5.0 section 3.9.3: one reason code per filter, in order.
  if (ack_->reasons.size() != requests.size()) {
    return protocol_violation(ReasonCode::ProtocolError,
                              "SUBACK does not carry one reason code per topic filter");
  }
  reasons = ack_->reasons;
  return Status::success();
}

Status Client::unsubscribe(const std::vector<std::string>& filters,
                           std::vector<ReasonCode>& reasons) {
  reasons.clear();
  if (!connected_) return not_connected();
  if (filters.empty()) {
    return Status::failure(ErrorKind::invalid_request, "UNSUBSCRIBE needs at least one filter.");
  }
  mqtt::Unsubscribe unsubscribe;
  unsubscribe.packet_id = next_packet_id();
  for (const auto& filter : filters) {
    if (!mqtt::valid_topic_filter(filter)) {
      return Status::failure(ErrorKind::invalid_request,
                             fmt::format("Invalid topic filter '{}'.", filter));
    }
    unsubscribe.filters.push_back(filter);
  }
  if (Status sent = send(unsubscribe); !sent.ok()) return sent;
  if (Status acked = await(PacketType::Unsuback, unsubscribe.packet_id); !acked.ok()) return acked;
  // MQTT 5.0 section 3.11.3: one reason code per filter; 3.1.1's UNSUBACK has none.
  if (version_ == Version::v5 && ack_->reasons.size() != filters.size()) {
    return protocol_violation(ReasonCode::ProtocolError,
                              "UNSUBACK does not carry one reason code per topic filter");
  }
  reasons = ack_->reasons;
  return Status::success();
}

Status Client::receive(ReceivedMessage& message, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (inbox_.empty()) {
    if (!connected_) return not_connected();
    if (Status step = pump(deadline); !step.ok()) return step;
  }
  message = std::move(inbox_.front());
  inbox_.pop_front();
  return Status::success();
}

Status Client::ping() {
  if (!connected_) return not_connected();
  if (Status sent = send(mqtt::Pingreq{}); !sent.ok()) return sent;
  ping_sent_ = Clock::now();
  return await(PacketType::Pingresp, 0);
}

Status Client::disconnect(const DisconnectOptions& options) {
  if (!connected_) return not_connected();
  // MQTT 5.0 section 3.14.2.2.2: a session that expired at once cannot be extended now.
  if (connect_session_expiry_ == 0 && options.session_expiry_interval.value_or(0) != 0) {
    return Status::failure(ErrorKind::invalid_request,
                           "The session expiry interval cannot be set on DISCONNECT when "
                           "CONNECT set it to 0.");
  }
  mqtt::Disconnect disconnect;
  disconnect.reason = options.reason;
  disconnect.properties.session_expiry_interval = options.session_expiry_interval;
  disconnect.properties.user_properties = view_user_properties(options.user_properties);
  Status sent = send(disconnect);
  close_connection();
  return sent;
}

void Client::abort() { close_connection(); }

Status Client::send(const mqtt::Packet& packet) {
  outgoing_.clear();
  mqtt::encode(packet, version_, outgoing_);
  log("sending", packet);
  Status written = transport_->write(outgoing_, timeout_);
  if (!written.ok()) {
    close_connection();
    return written;
  }
  last_sent_ = Clock::now();
  return written;
}

Status Client::await(PacketType type, std::uint16_t packet_id) {
  awaited_ = {type, packet_id};
  ack_.reset();
  const auto deadline = Clock::now() + timeout_;
  while (!ack_) {
    if (!connected_) return not_connected();
    if (Status step = pump(deadline); !step.ok()) {
      if (step.kind == ErrorKind::timeout) {
        step.message = fmt::format("No {} from the server in time.", packet_type_name(type));
      }
      return step;
    }
  }
  return Status::success();
}

Status Client::rejected(const char* what) const {
  const ReasonCode reason = ack_->reasons.front();
  std::string message = fmt::format("The server answered with {}: {}", what,
                                    mqtt::to_string(reason));
  if (ack_->reason_string) message += fmt::format(" ({})", *ack_->reason_string);
  message += '.';
  return Status::failure(ErrorKind::rejected, std::move(message), reason);
}

Status Client::not_connected() const {
  return Status::failure(ErrorKind::connection_closed, "The client is not connected.");
}

void Client::close_connection() {
  transport_->close();
  connected_ = false;
  reauthenticating_ = false;
  awaited_.reset();
  ping_sent_.reset();
}

std::uint16_t Client::next_packet_id() {
  // MQTT 5.0 section 2.2.1: packet identifiers are non-zero.
  if (++last_packet_id_ == 0) last_packet_id_ = 1;
  return last_packet_id_;
}

Client::Clock::duration Client::keep_alive_interval() const {
  return std::chrono::seconds(keep_alive_seconds_);
}

void Client::log(const char* direction, const mqtt::Packet& packet) const {
  if (!debug_) return;
  debug_(fmt::format("Client {} {} {}", client_id_.empty() ? "(null)" : client_id_, direction,
                     describe_packet(packet)));
}

}  // namespace attestmq::client
