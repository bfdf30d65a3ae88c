#include "mqtt/reason_code.hpp"

namespace attestmq::mqtt {

// Names as MQTT 5.0 section 2.4 (table 2-6) spells them.
std::string_view to_string(ReasonCode code) {
  switch (code) {
    case ReasonCode::Success: return "Success";
    case ReasonCode::GrantedQos1: return "Granted QoS 1";
    case ReasonCode::GrantedQos2: return "Granted QoS 2";
    case ReasonCode::DisconnectWithWill: return "Disconnect with Will Message";
    case ReasonCode::NoMatchingSubscribers: return "No matching subscribers";
    case ReasonCode::NoSubscriptionExisted: return "No subscription existed";
    case ReasonCode::ContinueAuthentication: return "Continue authentication";
    case ReasonCode::ReAuthenticate: return "Re-authenticate";
    case ReasonCode::UnspecifiedError: return "Unspecified error";
    case ReasonCode::MalformedPacket: return "Malformed Packet";
    case ReasonCode::ProtocolError: return "Protocol Error";
    case ReasonCode::ImplementationSpecificError: return "Implementation specific error";
    case ReasonCode::UnsupportedProtocolVersion: return "Unsupported Protocol Version";
    case ReasonCode::ClientIdentifierNotValid: return "Client Identifier not valid";
    case ReasonCode::BadUserNameOrPassword: return "Bad User Name or Password";
    case ReasonCode::NotAuthorized: return "Not authorized";
    case ReasonCode::ServerUnavailable: return "Server unavailable";
    case ReasonCode::ServerBusy: return "Server busy";
    case ReasonCode::Banned: return "Banned";
    case ReasonCode::ServerShuttingDown: return "Server shutting down";
    case ReasonCode::BadAuthenticationMethod: return "Bad authentication method";
    case ReasonCode::KeepAliveTimeout: return "Keep Alive timeout";
    case ReasonCode::SessionTakenOver: return "Session taken over";
    case ReasonCode::TopicFilterInvalid: return "Topic Filter invalid";
    case ReasonCode::TopicNameInvalid: return "Topic Name invalid";
    case ReasonCode::PacketIdentifierInUse: return "Packet Identifier in use";
    case ReasonCode::PacketIdentifierNotFound: return "Packet Identifier not found";
    case ReasonCode::ReceiveMaximumExceeded: return "Receive Maximum exceeded";
    case ReasonCode::TopicAliasInvalid: return "Topic Alias invalid";
    case ReasonCode::PacketTooLarge: return "Packet too large";
    case ReasonCode::MessageRateTooHigh: return "Message rate too high";
    case ReasonCode::QuotaExceeded: return "Quota exceeded";
    case ReasonCode::AdministrativeAction: return "Administrative action";
    case ReasonCode::PayloadFormatInvalid: return "Payload format invalid";
    case ReasonCode::RetainNotSupported: return "Retain not supported";
    case ReasonCode::QosNotSupported: return "QoS not supported";
    case ReasonCode::UseAnotherServer: return "Use another server";
    case ReasonCode::ServerMoved: return "Server moved";
    case ReasonCode::SharedSubscriptionsNotSupported: return "Shared Subscriptions not supported";
    case ReasonCode::ConnectionRateExceeded: return "Connection rate exceeded";
    case ReasonCode::MaximumConnectTime: return "Maximum connect time";
    case ReasonCode::SubscriptionIdentifiersNotSupported:
      return "Subscription Identifiers not supported";
    case ReasonCode::WildcardSubscriptionsNotSupported:
      return "Wildcard Subscriptions not supported";
  }
  return "Unknown reason code";
}

// 3.1.1 has six answers; a 5.0 refusal without a direct equivalent becomes "Server
// unavailable", the one 3.1.1 code that refuses without blaming the client's credentials.
ConnackReturnCode to_v311_connack(ReasonCode code) {
  switch (code) {
    case ReasonCode::Success: return ConnackReturnCode::Accepted;
    case ReasonCode::UnsupportedProtocolVersion:
      return ConnackReturnCode::UnacceptableProtocolVersion;
    case ReasonCode::ClientIdentifierNotValid: return ConnackReturnCode::IdentifierRejected;
    case ReasonCode::BadUserNameOrPassword:
    case ReasonCode::BadAuthenticationMethod: return ConnackReturnCode::BadUserNameOrPassword;
    case ReasonCode::NotAuthorized:
    case ReasonCode::Banned:
    // A will above message_size_limit: 3.1.1 has no "too large", and Mosquitto answers 5.
    case ReasonCode::PacketTooLarge: return ConnackReturnCode::NotAuthorized;
    default: return ConnackReturnCode::ServerUnavailable;
  }
}

}  // namespace attestmq::mqtt
