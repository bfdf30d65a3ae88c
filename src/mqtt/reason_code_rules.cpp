#include "mqtt/reason_code_rules.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <span>

namespace attestmq::mqtt {
namespace {

using RC = ReasonCode;

// MQTT 5.0 section 3.2.2.2.
constexpr std::array kConnack{
    RC::Success, RC::UnspecifiedError, RC::MalformedPacket, RC::ProtocolError,
    RC::ImplementationSpecificError, RC::UnsupportedProtocolVersion,
    RC::ClientIdentifierNotValid, RC::BadUserNameOrPassword, RC::NotAuthorized,
    RC::ServerUnavailable, RC::ServerBusy, RC::Banned, RC::BadAuthenticationMethod,
    RC::TopicNameInvalid, RC::PacketTooLarge, RC::QuotaExceeded, RC::PayloadFormatInvalid,
    RC::RetainNotSupported, RC::QosNotSupported, RC::UseAnotherServer, RC::ServerMoved,
    RC::ConnectionRateExceeded};

// Sections 3.4.2.1 (PUBACK) and 3.5.2.1 (PUBREC) share one table.
constexpr std::array kPubackPubrec{
    RC::Success, RC::NoMatchingSubscribers, RC::UnspecifiedError,
    RC::ImplementationSpecificError, RC::NotAuthorized, RC::TopicNameInvalid,
    RC::PacketIdentifierInUse, RC::QuotaExceeded, RC::PayloadFormatInvalid};

// Sections 3.6.2.1 (PUBREL) and 3.7.2.1 (PUBCOMP).
constexpr std::array kPubrelPubcomp{RC::Success, RC::PacketIdentifierNotFound};

// Section 3.9.3.
constexpr std::array kSuback{
    RC::Success, RC::GrantedQos1, RC::GrantedQos2, RC::UnspecifiedError,
    RC::ImplementationSpecificError, RC::NotAuthorized, RC::TopicFilterInvalid,
    RC::PacketIdentifierInUse, RC::QuotaExceeded, RC::SharedSubscriptionsNotSupported,
    RC::SubscriptionIdentifiersNotSupported, RC::WildcardSubscriptionsNotSupported};

// Section 3.11.3.
constexpr std::array kUnsuback{
    RC::Success, RC::NoSubscriptionExisted, RC::UnspecifiedError,
    RC::ImplementationSpecificError, RC::NotAuthorized, RC::TopicFilterInvalid,
    RC::PacketIdentifierInUse};

// Section 3.14.2.1.
constexpr std::array kDisconnect{
    RC::Success, RC::DisconnectWithWill, RC::UnspecifiedError, RC::MalformedPacket,
    RC::ProtocolError, RC::ImplementationSpecificError, RC::NotAuthorized, RC::ServerBusy,
    RC::ServerShuttingDown, RC::KeepAliveTimeout, RC::SessionTakenOver,
    RC::TopicFilterInvalid, RC::TopicNameInvalid, RC::ReceiveMaximumExceeded,
    RC::TopicAliasInvalid, RC::PacketTooLarge, RC::MessageRateTooHigh, RC::QuotaExceeded,
    RC::AdministrativeAction, RC::PayloadFormatInvalid, RC::RetainNotSupported,
    RC::QosNotSupported, RC::UseAnotherServer, RC::ServerMoved,
    RC::SharedSubscriptionsNotSupported, RC::ConnectionRateExceeded, RC::MaximumConnectTime,
    RC::SubscriptionIdentifiersNotSupported, RC::WildcardSubscriptionsNotSupported};

// Section 3.15.2.1.
constexpr std::array kAuth{RC::Success, RC::ContinueAuthentication, RC::ReAuthenticate};

std::span<const ReasonCode> table_for(PacketType type) {
  switch (type) {
    case PacketType::Connack: return kConnack;
    case PacketType::Puback:
    case PacketType::Pubrec: return kPubackPubrec;
    case PacketType::Pubrel:
    case PacketType::Pubcomp: return kPubrelPubcomp;
    case PacketType::Suback: return kSuback;
    case PacketType::Unsuback: return kUnsuback;
    case PacketType::Disconnect: return kDisconnect;
    case PacketType::Auth: return kAuth;
    default: return {};
  }
}

}  // namespace

bool reason_code_allowed(PacketType type, ReasonCode code) {
  const auto table = table_for(type);
  return std::find(table.begin(), table.end(), code) != table.end();
}

std::optional<ReasonCode> from_v311_connack(std::uint8_t return_code) {
  switch (return_code) {
    case 0: return RC::Success;
    case 1: return RC::UnsupportedProtocolVersion;
    case 2: return RC::ClientIdentifierNotValid;
    case 3: return RC::ServerUnavailable;
    case 4: return RC::BadUserNameOrPassword;
    case 5: return RC::NotAuthorized;
    default: return std::nullopt;
  }
}

std::optional<ReasonCode> from_v311_suback(std::uint8_t return_code) {
  switch (return_code) {
    case 0x00: return RC::Success;
    case 0x01: return RC::GrantedQos1;
    case 0x02: return RC::GrantedQos2;
    case 0x80: return RC::UnspecifiedError;
    default: return std::nullopt;
  }
}

std::uint8_t to_v311_suback(ReasonCode code) {
  const auto value = static_cast<std::uint8_t>(code);
  return value <= 0x02 ? value : 0x80;
}

}  // namespace attestmq::mqtt
