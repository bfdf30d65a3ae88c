#pragma once
// The single place where the broker decides whether a CONNECT may go on (MQTT 5.0 section
// 3.1.4, point 3). Password files and attestation-based authentication plug in here.
#include "broker/settings.hpp"
#include "mqtt/packet.hpp"

namespace attestmq::broker {

// Success, or the CONNACK reason code that refuses the client.
mqtt::ReasonCode authenticate(const ListenerPolicy& policy, const mqtt::Connect& connect);

}  // namespace attestmq::broker
