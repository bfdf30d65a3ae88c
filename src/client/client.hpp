#pragma once
// A synchronous MQTT 3.1.1 / 5.0 client session over any Transport. One Client is one
// network connection: to reconnect, make a new Client over a new Transport.
//
// Every call blocks until its protocol exchange completes (CONNACK, PUBACK, PUBREC/PUBCOMP,
// SUBACK, UNSUBACK, PINGRESP) or its deadline passes. Publications that arrive meanwhile are
// acknowledged at once and queued for receive(). PINGREQ is sent whenever the connection has
// been quiet on our side for the keep alive interval (MQTT 5.0 section 3.1.2.10).
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <utility>
#include <string>
#include <vector>

#include "client/inbound_topic_aliases.hpp"
#include "client/message.hpp"
#include "client/session_options.hpp"
#include "client/status.hpp"
#include "client/transport.hpp"
#include "mqtt/codec.hpp"
#include "mqtt/packet.hpp"

namespace attestmq::client {

class Client {
 public:
  using Clock = std::chrono::steady_clock;
  // Receives one line per packet sent or received ("sending PUBLISH (...)").
  using DebugSink = std::function<void(const std::string&)>;

  explicit Client(std::unique_ptr<Transport> transport);

  void set_debug_sink(DebugSink sink) { debug_ = std::move(sink); }

  // Sends CONNECT and waits for CONNACK. A refusal is ErrorKind::refused with the CONNACK
  // reason code and its words in the message. With options.authentication, the AUTH
  // exchange of MQTT 5.0 section 4.12 runs before CONNACK.
  Status connect(const ConnectOptions& options);
  // MQTT 5.0 section 4.12.1: re-authentication on the live connection with the method of
  // CONNECT: AUTH 0x19 with `data`, the server's AUTH 0x18 answered by the same respond(),
  // until its AUTH 0x00. Publications arriving meanwhile are queued as usual. A failure ends
  // the connection (MQTT-4.12.1-2).
  Status reauthenticate(std::vector<std::uint8_t> data);
  const ConnackInfo& connack() const { return connack_; }
  mqtt::Version version() const { return version_; }

  // Publishes and, for QoS 1 and 2, completes the acknowledgement flow (MQTT 5.0 section 4.3).
  Status publish(const OutgoingMessage& message);

  // Sends SUBSCRIBE and waits for SUBACK; `reasons` gets one code per filter (granted QoS or
  // a failure >= 0x80). A refused filter is not an error of the call.
  Status subscribe(const std::vector<SubscriptionRequest>& requests,
                   std::vector<mqtt::ReasonCode>& reasons);

  // Sends UNSUBSCRIBE and waits for UNSUBACK; `reasons` is empty in 3.1.1.
  Status unsubscribe(const std::vector<std::string>& filters,
                     std::vector<mqtt::ReasonCode>& reasons);

  // Returns the next publication, waiting at most `timeout` (ErrorKind::timeout).
  Status receive(ReceivedMessage& message, std::chrono::milliseconds timeout);

  // Sends PINGREQ and waits for PINGRESP.
  Status ping();

  // Sends DISCONNECT and closes the connection (the server then discards the will, unless
  // the 5.0 reason is DisconnectWithWill).
  Status disconnect(const DisconnectOptions& options = {});

  // Closes the connection without DISCONNECT: the server publishes the will.
  void abort();

  // The transport the session runs over (a TlsTransport exposes its TLS session).
  const Transport& transport() const { return *transport_; }

 private:
  // The latest acknowledgement the server sent, copied out of the receive buffer.
  struct Acknowledgement {
    mqtt::PacketType type = mqtt::PacketType::Pingresp;
    std::uint16_t packet_id = 0;
    std::vector<mqtt::ReasonCode> reasons;
    std::optional<std::string> reason_string;
  };

  Status send(const mqtt::Packet& packet);
  // Reads and handles exactly one packet, or fails; sends PINGREQ when due while waiting.
  Status pump(Clock::time_point deadline);
  Status handle(const mqtt::Packet& packet);
  Status accept_connack(const mqtt::Connack& connack);
  Status record_acknowledgement(mqtt::PacketType type, std::uint16_t packet_id,
                                std::vector<mqtt::ReasonCode> reasons,
                                const mqtt::Properties& properties);
  Status handle_publish(const mqtt::Publish& publish);
  Status handle_pubrel(const mqtt::Pubrel& pubrel);
  Status handle_disconnect(const mqtt::Disconnect& disconnect);
  Status handle_auth(const mqtt::Auth& auth);
  // Whether the authentication method lets the server end the exchange now.
  bool authentication_complete() const;
  // Our AUTH with `reason` and `data`, under the method of CONNECT.
  Status send_auth(mqtt::ReasonCode reason, std::span<const std::uint8_t> data);
  Status keep_alive(Clock::time_point now);
  // Waits for the acknowledgement of `type` and `packet_id`, leaving it in `ack_`.
  Status await(mqtt::PacketType type, std::uint16_t packet_id);
  // The failure carried by ack_, which answered with packet `what`.
  Status rejected(const char* what) const;
  // Sends DISCONNECT with `reason` (5.0 only), closes the connection and reports why.
  Status protocol_violation(mqtt::ReasonCode reason, const std::string& detail);
  // Sends DISCONNECT with `reason` where 5.0 allows one (connected, or during an AUTH
  // exchange, MQTT-3.1.2-30), closes the connection and fails with `kind` and `message`.
  Status end_connection(mqtt::ReasonCode reason, ErrorKind kind, std::string message);
  Status not_connected() const;
  void close_connection();
  std::uint16_t next_packet_id();
  Clock::duration keep_alive_interval() const;
  void log(const char* direction, const mqtt::Packet& packet) const;

  std::unique_ptr<Transport> transport_;
  DebugSink debug_;
  bool connected_ = false;
  mqtt::Version version_ = mqtt::Version::v311;
  std::string client_id_;
  std::chrono::milliseconds timeout_{10'000};
  std::uint16_t keep_alive_seconds_ = 0;
  std::uint32_t connect_session_expiry_ = 0;
  std::uint32_t maximum_incoming_packet_ = mqtt::kMaxRemainingLength + 5;
  std::uint16_t receive_maximum_ = 65535;
  ConnackInfo connack_;
  std::optional<EnhancedAuthentication> authentication_;
  bool reauthenticating_ = false;

  std::vector<std::uint8_t> received_;  // bytes read but not yet decoded
  std::vector<std::uint8_t> outgoing_;  // encoding scratch
  std::optional<std::pair<mqtt::PacketType, std::uint16_t>> awaited_;
  std::optional<Acknowledgement> ack_;
  std::deque<ReceivedMessage> inbox_;
  // MQTT 5.0 section 4.3.3 (method B): QoS 2 packet ids delivered and awaiting PUBREL, so a
  // retransmitted PUBLISH is acknowledged but not delivered twice.
  std::set<std::uint16_t> awaiting_pubrel_;
  InboundTopicAliases inbound_aliases_;
  std::map<std::uint16_t, std::string> outbound_aliases_;
  std::uint16_t last_packet_id_ = 0;
  Clock::time_point last_sent_{};
  std::optional<Clock::time_point> ping_sent_;
};

}  // namespace attestmq::client
