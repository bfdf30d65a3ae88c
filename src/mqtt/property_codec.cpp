#include "mqtt/property_codec.hpp"

#include "mqtt/topic.hpp"

namespace attestmq::mqtt {
namespace {

using P = PropertyId;

constexpr PropertyScope kWill = kWillPropertiesScope;
constexpr PropertyScope kConnect = scope_of(PacketType::Connect);
constexpr PropertyScope kConnack = scope_of(PacketType::Connack);
constexpr PropertyScope kPublish = scope_of(PacketType::Publish);
constexpr PropertyScope kAcks = scope_of(PacketType::Puback) | scope_of(PacketType::Pubrec) |
                                scope_of(PacketType::Pubrel) | scope_of(PacketType::Pubcomp);
constexpr PropertyScope kSubscribe = scope_of(PacketType::Subscribe);
constexpr PropertyScope kSuback = scope_of(PacketType::Suback);
constexpr PropertyScope kUnsubscribe = scope_of(PacketType::Unsubscribe);
constexpr PropertyScope kUnsuback = scope_of(PacketType::Unsuback);
constexpr PropertyScope kDisconnect = scope_of(PacketType::Disconnect);
constexpr PropertyScope kAuth = scope_of(PacketType::Auth);

// Section 2.2.2.2, table 2-4: the packets (and Will Properties) each property may appear in.
PropertyScope allowed_scope(std::uint32_t id) {
  if (id > 0xFF) return 0;
  switch (static_cast<P>(id)) {
    case P::PayloadFormatIndicator:
    case P::MessageExpiryInterval:
    case P::ContentType:
    case P::ResponseTopic:
    case P::CorrelationData: return kPublish | kWill;
    case P::SubscriptionIdentifier: return kPublish | kSubscribe;
    case P::SessionExpiryInterval: return kConnect | kConnack | kDisconnect;
    case P::AssignedClientIdentifier:
    case P::ServerKeepAlive:
    case P::ResponseInformation:
    case P::MaximumQos:
    case P::RetainAvailable:
    case P::WildcardSubscriptionAvailable:
    case P::SubscriptionIdentifierAvailable:
    case P::SharedSubscriptionAvailable: return kConnack;
    case P::AuthenticationMethod:
    case P::AuthenticationData: return kConnect | kConnack | kAuth;
    case P::RequestProblemInformation:
    case P::RequestResponseInformation: return kConnect;
    case P::WillDelayInterval: return kWill;
    case P::ServerReference: return kConnack | kDisconnect;
    case P::ReasonString: return kConnack | kAcks | kSuback | kUnsuback | kDisconnect | kAuth;
    case P::ReceiveMaximum:
    case P::TopicAliasMaximum:
    case P::MaximumPacketSize: return kConnect | kConnack;
    case P::TopicAlias: return kPublish;
    case P::UserProperty:
      return kConnect | kConnack | kPublish | kWill | kAcks | kSubscribe | kSuback |
             kUnsubscribe | kUnsuback | kDisconnect | kAuth;
  }
  return 0;
}

DecodeStatus read_value(WireReader& r, std::uint8_t& v) { return r.read_byte(v); }
DecodeStatus read_value(WireReader& r, std::uint16_t& v) { return r.read_two_byte_integer(v); }
DecodeStatus read_value(WireReader& r, std::uint32_t& v) { return r.read_four_byte_integer(v); }
DecodeStatus read_value(WireReader& r, std::string_view& v) { return r.read_utf8_string(v); }
DecodeStatus read_value(WireReader& r, Bytes& v) { return r.read_binary_data(v); }

// Section 2.2.2.2: "It is a Protocol Error to include [a property] more than once".
template <typename T>
DecodeStatus read_once(WireReader& reader, std::optional<T>& field) {
  if (field) return protocol_error("property appears more than once");
  T value{};
  if (auto status = read_value(reader, value); !status.ok()) return status;
  field = value;
  return {};
}

// Byte properties whose only values are 0 and 1 (sections 3.1.2.11.6, 3.1.2.11.7, 3.2.2.3.4,
// 3.2.2.3.5, 3.2.2.3.11-13, 3.3.2.3.2): anything else is a Protocol Error.
DecodeStatus read_boolean_once(WireReader& reader, std::optional<std::uint8_t>& field) {
  if (auto status = read_once(reader, field); !status.ok()) return status;
  if (*field > 1) return protocol_error("property value must be 0 or 1");
  return {};
}

DecodeStatus read_property(WireReader& reader, P id, PropertyScope scope, Properties& out) {
  switch (id) {
    case P::PayloadFormatIndicator: return read_boolean_once(reader, out.payload_format_indicator);
    case P::MessageExpiryInterval: return read_once(reader, out.message_expiry_interval);
    case P::ContentType: return read_once(reader, out.content_type);
    case P::ResponseTopic: {
      if (auto status = read_once(reader, out.response_topic); !status.ok()) return status;
      // Section 3.3.2.3.5: the Response Topic is a Topic Name, so it has no wildcards.
      if (!valid_topic_name(*out.response_topic)) {
        return protocol_error("Response Topic is not a valid topic name");
      }
      return {};
    }
    case P::CorrelationData: return read_once(reader, out.correlation_data);
    case P::SubscriptionIdentifier: {
      // Section 3.8.2.1.2: at most one in SUBSCRIBE; section 3.3.2.3.8: several in PUBLISH.
      if (scope == kSubscribe && !out.subscription_identifiers.empty()) {
        return protocol_error("Subscription Identifier appears more than once");
      }
      std::uint32_t value = 0;
      if (auto status = reader.read_variable_byte_integer(value); !status.ok()) return status;
      if (value == 0) return protocol_error("Subscription Identifier is 0");
      out.subscription_identifiers.push_back(value);
      return {};
    }
    case P::SessionExpiryInterval: return read_once(reader, out.session_expiry_interval);
    case P::AssignedClientIdentifier: return read_once(reader, out.assigned_client_identifier);
    case P::ServerKeepAlive: return read_once(reader, out.server_keep_alive);
    case P::AuthenticationMethod: return read_once(reader, out.authentication_method);
    case P::AuthenticationData: return read_once(reader, out.authentication_data);
    case P::RequestProblemInformation:
      return read_boolean_once(reader, out.request_problem_information);
    case P::WillDelayInterval: return read_once(reader, out.will_delay_interval);
    case P::RequestResponseInformation:
      return read_boolean_once(reader, out.request_response_information);
    case P::ResponseInformation: return read_once(reader, out.response_information);
    case P::ServerReference: return read_once(reader, out.server_reference);
    case P::ReasonString: return read_once(reader, out.reason_string);
    case P::ReceiveMaximum: {
      if (auto status = read_once(reader, out.receive_maximum); !status.ok()) return status;
      // Sections 3.1.2.11.3 and 3.2.2.3.3.
      if (*out.receive_maximum == 0) return protocol_error("Receive Maximum is 0");
      return {};
    }
    case P::TopicAliasMaximum: return read_once(reader, out.topic_alias_maximum);
    case P::TopicAlias: {
      if (auto status = read_once(reader, out.topic_alias); !status.ok()) return status;
      // Section 3.3.2.3.4: a Topic Alias of 0 is answered with Topic Alias invalid.
      if (*out.topic_alias == 0) return {ReasonCode::TopicAliasInvalid, "Topic Alias is 0"};
      return {};
    }
    case P::MaximumQos: return read_boolean_once(reader, out.maximum_qos);
    case P::RetainAvailable: return read_boolean_once(reader, out.retain_available);
    case P::UserProperty: {
      UserProperty pair;
      if (auto status = reader.read_utf8_string(pair.name); !status.ok()) return status;
      if (auto status = reader.read_utf8_string(pair.value); !status.ok()) return status;
      out.user_properties.push_back(pair);
      return {};
    }
    case P::MaximumPacketSize: {
      if (auto status = read_once(reader, out.maximum_packet_size); !status.ok()) return status;
      // Sections 3.1.2.11.4 and 3.2.2.3.6.
      if (*out.maximum_packet_size == 0) return protocol_error("Maximum Packet Size is 0");
      return {};
    }
    case P::WildcardSubscriptionAvailable:
      return read_boolean_once(reader, out.wildcard_subscription_available);
    case P::SubscriptionIdentifierAvailable:
      return read_boolean_once(reader, out.subscription_identifier_available);
    case P::SharedSubscriptionAvailable:
      return read_boolean_once(reader, out.shared_subscription_available);
  }
  return malformed("unknown property identifier");
}

// Visits every property field of `p` with its identifier, in identifier order (the order
// write_properties promises). The one list serves writing, sizing and the presence check,
// so they cannot disagree about which fields exist.
template <typename Visit>
void for_each_property(const Properties& p, Visit&& visit) {
  visit(P::PayloadFormatIndicator, p.payload_format_indicator);
  visit(P::MessageExpiryInterval, p.message_expiry_interval);
  visit(P::ContentType, p.content_type);
  visit(P::ResponseTopic, p.response_topic);
  visit(P::CorrelationData, p.correlation_data);
  visit(P::SubscriptionIdentifier, p.subscription_identifiers);
  visit(P::SessionExpiryInterval, p.session_expiry_interval);
  visit(P::AssignedClientIdentifier, p.assigned_client_identifier);
  visit(P::ServerKeepAlive, p.server_keep_alive);
  visit(P::AuthenticationMethod, p.authentication_method);
  visit(P::AuthenticationData, p.authentication_data);
  visit(P::RequestProblemInformation, p.request_problem_information);
  visit(P::WillDelayInterval, p.will_delay_interval);
  visit(P::RequestResponseInformation, p.request_response_information);
  visit(P::ResponseInformation, p.response_information);
  visit(P::ServerReference, p.server_reference);
  visit(P::ReasonString, p.reason_string);
  visit(P::ReceiveMaximum, p.receive_maximum);
  visit(P::TopicAliasMaximum, p.topic_alias_maximum);
  visit(P::TopicAlias, p.topic_alias);
  visit(P::MaximumQos, p.maximum_qos);
  visit(P::RetainAvailable, p.retain_available);
  visit(P::UserProperty, p.user_properties);
  visit(P::MaximumPacketSize, p.maximum_packet_size);
  visit(P::WildcardSubscriptionAvailable, p.wildcard_subscription_available);
  visit(P::SubscriptionIdentifierAvailable, p.subscription_identifier_available);
  visit(P::SharedSubscriptionAvailable, p.shared_subscription_available);
}

// Section 2.2.2.2: a Subscription Identifier is a variable byte integer, unlike the other
// 32-bit properties.
struct VariableByteInteger {
  std::uint32_t value;
};

void write_value(WireWriter& w, std::uint8_t v) { w.byte(v); }
void write_value(WireWriter& w, std::uint16_t v) { w.two_byte_integer(v); }
void write_value(WireWriter& w, std::uint32_t v) { w.four_byte_integer(v); }
void write_value(WireWriter& w, VariableByteInteger v) { w.variable_byte_integer(v.value); }
void write_value(WireWriter& w, std::string_view v) { w.utf8_string(v); }
void write_value(WireWriter& w, Bytes v) { w.binary_data(v); }
void write_value(WireWriter& w, const UserProperty& pair) {
  w.utf8_string(pair.name);
  w.utf8_string(pair.value);
}

// One property: identifier, then value.
template <typename T>
void write_one(WireWriter& w, P id, const T& value) {
  w.byte(static_cast<std::uint8_t>(id));
  write_value(w, value);
}

// Calls `each` for every value a property field holds: none, one, or (for the repeatable
// properties) several.
template <typename T, typename Each>
void for_each_value(const std::optional<T>& field, Each&& each) {
  if (field) each(*field);
}
template <typename Each>
void for_each_value(const std::vector<std::uint32_t>& subscription_identifiers, Each&& each) {
  for (const auto value : subscription_identifiers) each(VariableByteInteger{value});
}
template <typename Each>
void for_each_value(const std::vector<UserProperty>& pairs, Each&& each) {
  for (const auto& pair : pairs) each(pair);
}

// Most packets on the hot path (a QoS 0 PUBLISH, a PUBACK) carry no properties at all:
// OR-ing the presence flags costs a few instructions per field and no branch per field,
// where a counting write tests and counts each one.
bool has_any_property(const Properties& p) {
  bool any = false;
  for_each_property(p, [&any](P, const auto& field) {
    if constexpr (requires { field.has_value(); }) {
      any |= field.has_value();
    } else {
      any |= !field.empty();
    }
  });
  return any;
}

void write_property_list(const Properties& p, WireWriter& w) {
  for_each_property(p, [&w](P id, const auto& field) {
    for_each_value(field, [&](const auto& value) { write_one(w, id, value); });
  });
}

// Sums what write_property_list writes, value by value, each measured by the same write_one
// on a counting WireWriter of its own, which the compiler folds to a constant or a length:
// much cheaper than one counting pass, and still unable to disagree with the writing pass.
std::size_t property_list_bytes(const Properties& p) {
  std::size_t total = 0;
  for_each_property(p, [&total](P id, const auto& field) {
    for_each_value(field, [&](const auto& value) {
      WireWriter counter;
      write_one(counter, id, value);
      total += counter.size();
    });
  });
  return total;
}

}  // namespace

DecodeStatus read_properties(WireReader& reader, PropertyScope scope, Properties& out) {
  std::uint32_t length = 0;
  if (auto status = reader.read_variable_byte_integer(length); !status.ok()) return status;
  Bytes list;
  if (auto status = reader.read_bytes(length, list); !status.ok()) {
    return malformed("Property Length runs past the end of the packet");
  }
  WireReader properties(list);
  while (!properties.at_end()) {
    // Section 2.2.2.2: the identifier is a variable byte integer.
    std::uint32_t id = 0;
    if (auto status = properties.read_variable_byte_integer(id); !status.ok()) return status;
    if ((allowed_scope(id) & scope) == 0) {
      return malformed("property identifier unknown or not allowed in this packet");
    }
    if (auto status = read_property(properties, static_cast<P>(id), scope, out); !status.ok()) {
      return status;
    }
  }
  // Sections 3.1.2.11.10, 3.2.2.3.18 and 3.15.2.2.3: data without a method.
  if (out.authentication_data && !out.authentication_method) {
    return protocol_error("Authentication Data without Authentication Method");
  }
  return {};
}

void write_properties(const Properties& properties, WireWriter& writer) {
  const auto length = property_bytes(properties);
  writer.variable_byte_integer(static_cast<std::uint32_t>(length));
  // A counting writer already has its answer, and an empty list has nothing to write: in
  // both cases the second pass over the properties is skipped.
  if (writer.counting_only() || length == 0) {
    writer.skip(length);
  } else {
    write_property_list(properties, writer);
  }
}

std::size_t property_bytes(const Properties& properties) {
  return has_any_property(properties) ? property_list_bytes(properties) : 0;
}

}  // namespace attestmq::mqtt
