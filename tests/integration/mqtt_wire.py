"""Minimal MQTT 3.1.1 / 5.0 wire encoding for tests that need byte-level control.

The integration tests use this where a library client would hide what is on the wire:
malformed packets, withheld acknowledgements, dropped connections. It is written from the
specs (MQTT 5.0 chapters 1-3, MQTT 3.1.1 chapters 1-3), not from any client library.
"""
import socket
import struct
import time
from dataclasses import dataclass, field

MQTT_311 = 4
MQTT_5 = 5

# MQTT 5.0 section 2.1.2: control packet types.
CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP = 1, 2, 3, 4, 5, 6, 7
SUBSCRIBE, SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH = range(8, 16)

# MQTT 5.0 section 2.2.2.2: property identifiers and their wire types.
PAYLOAD_FORMAT_INDICATOR = 0x01
MESSAGE_EXPIRY_INTERVAL = 0x02
CONTENT_TYPE = 0x03
RESPONSE_TOPIC = 0x08
CORRELATION_DATA = 0x09
SUBSCRIPTION_IDENTIFIER = 0x0B
SESSION_EXPIRY_INTERVAL = 0x11
ASSIGNED_CLIENT_IDENTIFIER = 0x12
SERVER_KEEP_ALIVE = 0x13
WILL_DELAY_INTERVAL = 0x18
REASON_STRING = 0x1F
RECEIVE_MAXIMUM = 0x21
TOPIC_ALIAS_MAXIMUM = 0x22
TOPIC_ALIAS = 0x23
MAXIMUM_QOS = 0x24
RETAIN_AVAILABLE = 0x25
USER_PROPERTY = 0x26
MAXIMUM_PACKET_SIZE = 0x27

_BYTE, _TWO, _FOUR, _VARINT, _STRING, _BINARY, _PAIR = range(7)
_PROPERTY_TYPES = {
    0x01: _BYTE, 0x02: _FOUR, 0x03: _STRING, 0x08: _STRING, 0x09: _BINARY, 0x0B: _VARINT,
    0x11: _FOUR, 0x12: _STRING, 0x13: _TWO, 0x15: _STRING, 0x16: _BINARY, 0x17: _BYTE,
    0x18: _FOUR, 0x19: _BYTE, 0x1A: _STRING, 0x1C: _STRING, 0x1F: _STRING, 0x21: _TWO,
    0x22: _TWO, 0x23: _TWO, 0x24: _BYTE, 0x25: _BYTE, 0x26: _PAIR, 0x27: _FOUR, 0x28: _BYTE,
    0x29: _BYTE, 0x2A: _BYTE,
}


def varint(value):
    """MQTT 5.0 section 1.5.5 Variable Byte Integer."""
    out = bytearray()
    while True:
        byte, value = value % 128, value // 128
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def utf8(text):
    """MQTT 5.0 section 1.5.4: two-byte length, then the bytes (str is UTF-8 encoded)."""
    data = text.encode() if isinstance(text, str) else text
    return struct.pack("!H", len(data)) + data


def properties(props):
    """Encode a property list: [(identifier, value)], repeats allowed (section 2.2.2)."""
    body = bytearray()
    for ident, value in props or []:
        kind = _PROPERTY_TYPES[ident]
        body += varint(ident)
        if kind == _BYTE:
            body.append(value)
        elif kind == _TWO:
            body += struct.pack("!H", value)
        elif kind == _FOUR:
            body += struct.pack("!I", value)
        elif kind == _VARINT:
            body += varint(value)
        elif kind in (_STRING, _BINARY):
            body += utf8(value)
        else:
            body += utf8(value[0]) + utf8(value[1])
    return varint(len(body)) + bytes(body)


def packet(kind, flags, body):
    """Fixed header (section 2.1.1) plus the rest of the packet."""
    return bytes([kind << 4 | flags]) + varint(len(body)) + body


def connect(client_id, version=MQTT_5, clean=True, keepalive=60, props=None, will=None,
            username=None, password=None, mqtt31=False):
    """CONNECT (section 3.1). will = (topic, payload, qos, retain, will_props). mqtt31: the
    MQTT 3.1 protocol name and level ("MQIsdp", 3) on a 3.1.1 packet."""
    flags = 0x02 if clean else 0
    payload = utf8(client_id)
    if will:
        topic, message, qos, retain, will_props = will
        flags |= 0x04 | qos << 3 | (0x20 if retain else 0)
        if version == MQTT_5:
            payload += properties(will_props)
        payload += utf8(topic) + utf8(message)
    if username is not None:
        flags |= 0x80
        payload += utf8(username)
    if password is not None:
        flags |= 0x40
        payload += utf8(password)
    name, level = ("MQIsdp", 3) if mqtt31 else ("MQTT", version)
    body = utf8(name) + bytes([level, flags]) + struct.pack("!H", keepalive)
    if version == MQTT_5:
        body += properties(props)
    return packet(CONNECT, 0, body + payload)


def subscribe(packet_id, filters, version=MQTT_5, props=None):
    """SUBSCRIBE (section 3.8); filters = [(filter, options byte)]."""
    body = struct.pack("!H", packet_id)
    if version == MQTT_5:
        body += properties(props)
    for topic_filter, options in filters:
        body += utf8(topic_filter) + bytes([options])
    return packet(SUBSCRIBE, 0x02, body)


def publish(topic, payload, qos=0, packet_id=0, retain=False, dup=False, version=MQTT_5,
            props=None):
    """PUBLISH (section 3.3)."""
    flags = qos << 1 | (1 if retain else 0) | (0x08 if dup else 0)
    body = utf8(topic)
    if qos:
        body += struct.pack("!H", packet_id)
    if version == MQTT_5:
        body += properties(props)
    return packet(PUBLISH, flags, body + payload)


def ack(kind, packet_id):
    """PUBACK / PUBREC / PUBREL / PUBCOMP with reason Success (sections 3.4-3.7)."""
    return packet(kind, 0x02 if kind == PUBREL else 0, struct.pack("!H", packet_id))


def disconnect(version=MQTT_5, reason=0):
    """DISCONNECT (section 3.14)."""
    return packet(DISCONNECT, 0, bytes([reason]) if version == MQTT_5 and reason else b"")


PINGREQ_PACKET = packet(PINGREQ, 0, b"")


@dataclass
class Packet:
    kind: int
    flags: int
    body: bytes
    version: int = MQTT_5
    # Decoded fields, filled for the packet kinds the tests inspect.
    reason: int = 0
    session_present: bool = False
    packet_id: int = 0
    topic: str = ""
    payload: bytes = b""
    props: list = field(default_factory=list)

    @property
    def qos(self):
        return (self.flags >> 1) & 3

    @property
    def retain(self):
        return bool(self.flags & 1)

    def prop(self, ident, default=None):
        return next((value for key, value in self.props if key == ident), default)


def parse_properties(data, pos):
    length, pos = parse_varint(data, pos)
    end = pos + length
    if end > len(data):
        raise ValueError("property length exceeds packet")
    props = []
    while pos < end:
        ident, pos = parse_varint(data, pos)
        kind = _PROPERTY_TYPES[ident]
        if kind == _BYTE:
            value, pos = data[pos], pos + 1
        elif kind == _TWO:
            value, pos = struct.unpack_from("!H", data, pos)[0], pos + 2
        elif kind == _FOUR:
            value, pos = struct.unpack_from("!I", data, pos)[0], pos + 4
        elif kind == _VARINT:
            value, pos = parse_varint(data, pos)
        elif kind == _PAIR:
            key, pos = parse_bytes(data, pos)
            text, pos = parse_bytes(data, pos)
            value = (key.decode(), text.decode())
        else:
            value, pos = parse_bytes(data, pos)
            if kind == _STRING:
                value = value.decode()
        props.append((ident, value))
    return props, end


def parse_varint(data, pos):
    value, shift = 0, 0
    for _ in range(4):
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, pos
        shift += 7
    raise ValueError("variable byte integer longer than 4 bytes")


def parse_bytes(data, pos):
    (length,) = struct.unpack_from("!H", data, pos)
    if pos + 2 + length > len(data):
        raise ValueError("string length exceeds packet")
    return bytes(data[pos + 2:pos + 2 + length]), pos + 2 + length


def decode(first_byte, body, version):
    """Decode the fields of the packets a broker sends to a client."""
    pkt = Packet(first_byte >> 4, first_byte & 0x0F, body, version)
    v5 = version == MQTT_5
    if pkt.kind == CONNACK:
        pkt.session_present = bool(body[0] & 1)
        pkt.reason = body[1]
        if v5 and len(body) > 2:
            pkt.props, _ = parse_properties(body, 2)
    elif pkt.kind == PUBLISH:
        topic, pos = parse_bytes(body, 0)
        pkt.topic = topic.decode()
        if pkt.qos:
            (pkt.packet_id,), pos = struct.unpack_from("!H", body, pos), pos + 2
        if v5:
            pkt.props, pos = parse_properties(body, pos)
        pkt.payload = bytes(body[pos:])
    elif pkt.kind in (PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK):
        (pkt.packet_id,) = struct.unpack_from("!H", body, 0)
        if len(body) > 2:
            pkt.reason = body[2] if pkt.kind not in (SUBACK, UNSUBACK) or not v5 else 0
    elif pkt.kind in (DISCONNECT, AUTH) and body:
        pkt.reason = body[0]
        if len(body) > 1:
            pkt.props, _ = parse_properties(body, 1)
    return pkt


class RawClient:
    """A blocking socket client; every read has a deadline. `sock` is an already connected
    stream with sendall, recv and settimeout (a TLS connection, say) to use instead of a new
    TCP connection to 127.0.0.1:port."""

    def __init__(self, port, version=MQTT_5, timeout=10.0, sock=None):
        self.version = version
        self.timeout = timeout
        if sock is None:
            sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self._buffer = bytearray()

    def send(self, data):
        self.sock.sendall(data)

    def connect(self, client_id, **kwargs):
        """Send CONNECT and return the CONNACK."""
        self.send(connect(client_id, version=self.version, **kwargs))
        connack = self.recv(self.timeout)
        assert connack is not None and connack.kind == CONNACK, f"expected CONNACK, got {connack}"
        return connack

    def subscribe(self, filters, packet_id=1, props=None):
        """Send SUBSCRIBE and return the SUBACK's reason codes (one per filter)."""
        self.send(subscribe(packet_id, filters, self.version, props))
        suback = self.recv_kind(SUBACK)
        pos = 2
        if self.version == MQTT_5:
            _, pos = parse_properties(suback.body, pos)
        return list(suback.body[pos:])

    def _fill(self, count, deadline):
        while len(self._buffer) < count:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no packet from the broker in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except ConnectionResetError:
                chunk = b""
            if not chunk:
                return False
            self._buffer += chunk
        return True

    def recv(self, timeout=None):
        """Next packet, or None when the broker closed the connection."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        if not self._fill(2, deadline):
            return None
        header_end, length, shift = 1, 0, 0
        while True:
            if not self._fill(header_end + 1, deadline):
                return None
            byte = self._buffer[header_end]
            header_end += 1
            length |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        if not self._fill(header_end + length, deadline):
            return None
        first = self._buffer[0]
        body = bytes(self._buffer[header_end:header_end + length])
        del self._buffer[:header_end + length]
        return decode(first, body, self.version)

    def recv_kind(self, kind, timeout=None):
        pkt = self.recv(timeout)
        assert pkt is not None, f"connection closed while waiting for packet type {kind}"
        assert pkt.kind == kind, f"expected packet type {kind}, got {pkt.kind} ({pkt})"
        return pkt

    def expect_silence(self, seconds):
        """Assert that nothing arrives for `seconds` (used only where absence is the point)."""
        try:
            pkt = self.recv(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"expected no packet, got {pkt}")

    def close(self):
        self.sock.close()
