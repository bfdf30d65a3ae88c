"""Malformed and forbidden packets on raw sockets get the answer the spec prescribes.

MQTT 5.0 section 4.13.1: on a Malformed Packet or Protocol Error the broker closes the
connection, after a DISCONNECT carrying the reason code (a SHOULD, required of AttestMQ).
MQTT 3.1.1 section 4.8: the broker closes the connection. Either way, other clients carry on.
"""
import struct

import pytest

import mqtt_wire as wire

VERSIONS = [wire.MQTT_311, wire.MQTT_5]
MALFORMED, PROTOCOL_ERROR = 0x81, 0x82
TOPIC_NAME_INVALID, TOPIC_ALIAS_INVALID, PACKET_TOO_LARGE = 0x90, 0x94, 0x95


class Bystander:
    """A subscribed client that must keep receiving while others misbehave."""

    def __init__(self, port):
        self.port = port
        self.client = wire.RawClient(port, wire.MQTT_311)
        self.client.connect("bystander")
        assert self.client.subscribe([("bystander/t", 1)]) == [1]
        self.sent = 0

    def assert_unaffected(self):
        publisher = wire.RawClient(self.port, wire.MQTT_311)
        publisher.connect("bystander-pub")
        self.sent += 1
        publisher.send(wire.publish("bystander/t", b"still here", 1, self.sent,
                                    version=wire.MQTT_311))
        assert publisher.recv_kind(wire.PUBACK).packet_id == self.sent
        delivered = self.client.recv_kind(wire.PUBLISH)
        assert delivered.payload == b"still here"
        self.client.send(wire.ack(wire.PUBACK, delivered.packet_id))
        publisher.close()


@pytest.fixture
def bystander(broker):
    watcher = Bystander(broker.port)
    yield watcher
    watcher.client.close()


def connected(port, version, client_id="offender"):
    client = wire.RawClient(port, version)
    assert client.connect(client_id).reason == 0
    return client


def assert_rejected(client, *reasons):
    """5.0: DISCONNECT with one of `reasons`, then close. 3.1.1: close without a reply."""
    if client.version == wire.MQTT_5:
        disconnect = client.recv_kind(wire.DISCONNECT)
        assert disconnect.reason in reasons, f"DISCONNECT reason {disconnect.reason:#x}"
    assert client.recv() is None, "the connection stayed open"


@pytest.mark.parametrize("version", VERSIONS)
def test_remaining_length_longer_than_four_bytes(broker, bystander, version,
                                                 mosquitto_deviates):
    if version == wire.MQTT_5:
        mosquitto_deviates("it closes without the DISCONNECT 0x81 section 4.13.1 asks for")
    client = connected(broker.port, version)
    # MQTT 5.0 section 1.5.5 / 3.1.1 section 2.2.3: at most four bytes.
    client.send(bytes([0x30, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
    assert_rejected(client, MALFORMED)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
def test_string_length_beyond_remaining_length(broker, bystander, version):
    client = connected(broker.port, version)
    # The topic claims 16 bytes inside a packet of 4: a parser must not trust the length.
    client.send(bytes([0x30, 0x04]) + struct.pack("!H", 16) + b"ab")
    assert_rejected(client, MALFORMED)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
def test_subscribe_with_reserved_flags_cleared(broker, bystander, version):
    client = connected(broker.port, version)
    valid = wire.subscribe(1, [("a/b", 0)], version)
    # MQTT 5.0 section 3.8.1 / 3.1.1 section 3.8.1: flags must be 0010, else malformed.
    client.send(bytes([wire.SUBSCRIBE << 4]) + valid[1:])
    assert_rejected(client, MALFORMED)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
def test_publish_with_qos_3(broker, bystander, version):
    client = connected(broker.port, version)
    valid = wire.publish("a/b", b"x", qos=2, packet_id=1, version=version)
    # MQTT 5.0 section 3.3.1.2 / 3.1.1 section 3.3.1.2: both QoS bits set is malformed.
    client.send(bytes([valid[0] | 0x06]) + valid[1:])
    assert_rejected(client, MALFORMED)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("topic", ["a/+", "a/#"])
def test_wildcard_in_publish_topic(broker, bystander, version, topic):
    client = connected(broker.port, version)
    # MQTT 5.0 section 3.3.2.1 [MQTT-3.3.2-2]: a Topic Name has no wildcards. The rule
    # names no reason code; the packet parses, so "Topic Name invalid" (0x90) and "Protocol
    # Error" (0x82, mosquitto's choice) both fit, "Malformed Packet" does not.
    client.send(wire.publish(topic, b"x", version=version))
    assert_rejected(client, TOPIC_NAME_INVALID, PROTOCOL_ERROR)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
def test_second_connect(broker, bystander, version, mosquitto_deviates):
    if version == wire.MQTT_5:
        mosquitto_deviates("it closes without the DISCONNECT 0x82 section 4.13.1 asks for")
    client = connected(broker.port, version)
    # MQTT 5.0 section 3.1 [MQTT-3.1.0-2]: a second CONNECT is a Protocol Error.
    client.send(wire.connect("offender", version=version))
    assert_rejected(client, PROTOCOL_ERROR)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("topic", [b"a/\xc0\x80", b"a/\xed\xa0\x80", b"a/\xff", b"a\x00b"])
def test_invalid_utf8_in_topic(broker, bystander, version, topic):
    client = connected(broker.port, version)
    # MQTT 5.0 section 1.5.4 [MQTT-1.5.4-1/2]: ill-formed UTF-8 (overlong, surrogate,
    # invalid byte) or U+0000 makes the packet malformed.
    client.send(wire.publish(topic, b"x", version=version))
    assert_rejected(client, MALFORMED)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
def test_packet_larger_than_max_packet_size(start_broker, version):
    broker = start_broker(max_packet_size=100)
    watcher = Bystander(broker.port)
    client = connected(broker.port, version)
    # MQTT 5.0 section 3.1.2.11.4 and 4.13: DISCONNECT 0x95 Packet too large.
    client.send(wire.publish("big/t", b"x" * 200, version=version))
    assert_rejected(client, PACKET_TOO_LARGE)
    watcher.assert_unaffected()
    watcher.client.close()


@pytest.mark.parametrize("alias", [0, 3])
def test_topic_alias_outside_range(start_broker, alias, mosquitto_deviates):
    if alias == 0:
        mosquitto_deviates("it answers alias 0 with 0x81 Malformed Packet")
    broker = start_broker(max_topic_alias=2)
    watcher = Bystander(broker.port)
    client = connected(broker.port, wire.MQTT_5)
    # MQTT 5.0 section 3.3.2.3.4: an alias above Topic Alias Maximum is 0x94; alias 0 is
    # forbidden [MQTT-3.3.2-8] without a named code: 0x94 or Protocol Error.
    client.send(wire.publish("alias/t", b"x", props=[(wire.TOPIC_ALIAS, alias)]))
    assert_rejected(client, TOPIC_ALIAS_INVALID, *([PROTOCOL_ERROR] if alias == 0 else []))
    watcher.assert_unaffected()
    watcher.client.close()


@pytest.mark.parametrize("version", VERSIONS)
def test_publish_before_connect(broker, bystander, version):
    client = wire.RawClient(broker.port, version)
    # MQTT 5.0 section 3.1 [MQTT-3.1.0-1]: the first packet must be CONNECT; there is no
    # session to answer in, so the connection is just closed.
    client.send(wire.publish("a/b", b"x", version=version))
    assert client.recv() is None
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
def test_connect_with_reserved_flag_set(broker, bystander, version):
    client = wire.RawClient(broker.port, version)
    valid = bytearray(wire.connect("reserved", version=version))
    # The Connect Flags byte follows the fixed header (2 bytes), "MQTT" (6) and the level (1).
    valid[9] |= 0x01
    client.send(bytes(valid))
    # MQTT 5.0 section 3.1.2.3 [MQTT-3.1.2-3]: a set reserved flag is malformed; the broker
    # MAY answer CONNACK 0x81 (section 4.13.1) and closes. 3.1.1: it just closes.
    reply = client.recv()
    if reply is not None:
        assert version == wire.MQTT_5, f"3.1.1 client got {reply}"
        assert (reply.kind, reply.reason) == (wire.CONNACK, MALFORMED)
        assert client.recv() is None
    bystander.assert_unaffected()


def test_empty_client_id_without_clean_session_311(broker, bystander):
    client = wire.RawClient(broker.port, wire.MQTT_311)
    client.send(wire.connect("", version=wire.MQTT_311, clean=False))
    # MQTT 3.1.1 section 3.1.3.1 [MQTT-3.1.3-8]: CONNACK 0x02 "identifier rejected", close.
    assert client.recv_kind(wire.CONNACK).reason == 0x02
    assert client.recv() is None
    bystander.assert_unaffected()


def test_property_repeated(broker, bystander, mosquitto_deviates):
    mosquitto_deviates("it closes without the DISCONNECT 0x82 section 4.13.1 asks for")
    client = connected(broker.port, wire.MQTT_5)
    props = [(wire.MESSAGE_EXPIRY_INTERVAL, 10), (wire.MESSAGE_EXPIRY_INTERVAL, 20)]
    # MQTT 5.0 section 3.3.2.3.3: "It is a Protocol Error to include the Message Expiry
    # Interval more than once."
    client.send(wire.publish("a/b", b"x", props=props))
    assert_rejected(client, PROTOCOL_ERROR)
    bystander.assert_unaffected()


@pytest.mark.parametrize("version", VERSIONS)
def test_subscribe_without_topic_filters(broker, bystander, version, mosquitto_deviates):
    if version == wire.MQTT_5:
        mosquitto_deviates("it answers 0x81 Malformed Packet, not 0x82")
    client = connected(broker.port, version)
    # MQTT 5.0 section 3.8.3 [MQTT-3.8.3-2]: a SUBSCRIBE with no payload is a Protocol
    # Error (3.1.1 section 3.8.3: a protocol violation).
    client.send(wire.subscribe(1, [], version))
    assert_rejected(client, PROTOCOL_ERROR)
    bystander.assert_unaffected()


@pytest.mark.parametrize("options, reason", [(0xC0, MALFORMED), (0x30, PROTOCOL_ERROR),
                                             (0x03, PROTOCOL_ERROR)])
def test_subscription_options_out_of_range(broker, bystander, options, reason,
                                           mosquitto_deviates):
    if reason == PROTOCOL_ERROR:
        mosquitto_deviates("it answers 0x81 Malformed Packet, not 0x82")
    client = connected(broker.port, wire.MQTT_5)
    # MQTT 5.0 section 3.8.3.1: reserved bits 6-7 set is malformed [MQTT-3.8.3-5];
    # Retain Handling 3 and Maximum QoS 3 are Protocol Errors.
    client.send(wire.subscribe(1, [("a/b", options)]))
    assert_rejected(client, reason)
    bystander.assert_unaffected()
