#include "client/connack_text.hpp"

namespace attestmq::client {

std::string connack_refusal_text(mqtt::Version version, mqtt::ReasonCode reason) {
  if (version == mqtt::Version::v5) return std::string(mqtt::to_string(reason));
  using mqtt::ConnackReturnCode;
  switch (mqtt::to_v311_connack(reason)) {
    case ConnackReturnCode::Accepted:
      return "Connection Accepted.";
    case ConnackReturnCode::UnacceptableProtocolVersion:
      return "Connection Refused: unacceptable protocol version.";
    case ConnackReturnCode::IdentifierRejected:
      return "Connection Refused: identifier rejected.";
    case ConnackReturnCode::ServerUnavailable:
      return "Connection Refused: broker unavailable.";
    case ConnackReturnCode::BadUserNameOrPassword:
      return "Connection Refused: bad user name or password.";
    case ConnackReturnCode::NotAuthorized:
      return "Connection Refused: not authorised.";
  }
  return "Connection Refused: unknown reason.";
}

int connack_wire_code(mqtt::Version version, mqtt::ReasonCode reason) {
  if (version == mqtt::Version::v5) return static_cast<int>(reason);
  return static_cast<int>(mqtt::to_v311_connack(reason));
}

}  // namespace attestmq::client
