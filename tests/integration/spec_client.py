"""A second implementation of AttestMQ's transport B client (docs/attestation.md section 7),
written from docs/attestation.md and docs/evidence.md alone, without AttestMQ's own code: it
shows that the specification is enough to interoperate.

It speaks raw MQTT 5 (mqtt_wire.py) over a TLS 1.3 connection made with Debian's pyOpenSSL
(python3-openssl, for `export_keying_material`), parses the EVIDENCE message, the envelope and
the claims itself (python3-cbor2), and verifies sim evidence (docs/evidence.md section 4) with
python3-cryptography against the pinned sim platform key. Only sim evidence and per-session
mode are implemented: it requests nothing else (section 3.2: accepted types [sim], flags 0).

    client = SpecClient("127.0.0.1", port, cafile)
    claims = client.attest(Policy(sim_key, allow_simulated=True, module_hashes=[...]))
    ...
    client.close()

A failed check of section 7.5 raises Rejected(check, detail); a broker refusal or a protocol
violation raises ProtocolFailure (section 9.2)."""
import hashlib
import os
import select
import socket
import time
from dataclasses import dataclass, field

import cbor2
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from OpenSSL import SSL

import mqtt_wire
from attestation_vectors import BROKER_LABEL, SIM, report_data, request

METHOD = "attestmq-attest-v1"                                  # section 7.1
AUTHENTICATION_METHOD, AUTHENTICATION_DATA = 0x15, 0x16        # MQTT 5.0 section 3.1.2.11.9/10
CONTINUE_AUTHENTICATION = 0x18                                 # MQTT 5.0 section 3.15.2.1
MALFORMED_PACKET, PROTOCOL_ERROR, IMPLEMENTATION_ERROR = 0x81, 0x82, 0x83

ENVELOPE_TYPE = "tag:attestmq.org,2026:envelope/v1"            # evidence.md section 1
CLAIMS_MEDIA_TYPE = "application/vnd.attestmq.claims+cbor"
MEDIA_TYPES = {"sgx": "application/vnd.attestmq.sgx-dcap-quote",
               "tdx": "application/vnd.attestmq.tdx-dcap-quote",
               "snp": "application/vnd.attestmq.sev-snp-report",
               "sim": "application/vnd.attestmq.sim-report"}
EVIDENCE_LIMIT, CLAIMS_LIMIT, COLLATERAL_LIMIT = 16384, 1024, 45056
SIM_REPORT_SIZE, SIM_SIGNED_SIZE = 168, 104                    # evidence.md section 4


class Rejected(Exception):
    """A check of docs/attestation.md section 7.5 failed; `check` is its stable name."""

    def __init__(self, check, detail):
        super().__init__(f"{check}: {detail}")
        self.check = check


class ProtocolFailure(Exception):
    """The broker refused (a CONNACK reason code) or broke the exchange (section 9.2)."""


@dataclass
class Policy:
    """The part of docs/policy.md this client implements: pinned_roots.sim, allow_simulated,
    accepted_module_hashes and accepted_configuration_digests (hex; empty: any)."""
    sim_key: ec.EllipticCurvePublicKey
    allow_simulated: bool = False
    module_hashes: list = field(default_factory=list)
    configuration_digests: list = field(default_factory=list)

    @classmethod
    def from_pem(cls, path, **keys):
        with open(path, "rb") as pem:
            return cls(serialization.load_pem_public_key(pem.read()), **keys)


@dataclass
class Expected:
    """What the verifier knows from its own side of the session (section 7.5 checks 7 to 9)."""
    request: bytes
    binder: bytes
    tls_key_hash: bytes

    @property
    def nonce(self):
        return self.request[4:4 + self.request[3]]


# -- section 3.3: the EVIDENCE message ----------------------------------------------------------

def parse_evidence_message(message):
    """The envelope of a per-session EVIDENCE, parsed exactly; mode 0x02 is refused by
    `session.mode` once its layout has been checked."""
    def malformed(detail):
        raise Rejected("session.message", detail)
    if len(message) < 8:
        malformed(f"{len(message)} bytes, shorter than an evidence header")
    if message[0] != 0x02 or message[1] != 0x01:
        malformed(f"message type {message[0]:#04x}, version {message[1]:#04x} (want 0x02, 0x01)")
    mode, flags = message[2], message[3]
    if mode not in (0x01, 0x02):
        malformed(f"reserved mode {mode:#04x}")
    if flags:
        malformed(f"flags {flags:#04x}: this client did not set CAN_ATTEST")
    length = int.from_bytes(message[4:8], "big")
    if not 1 <= length <= 65536 or 8 + length > len(message):
        malformed(f"envelope length {length} with {len(message) - 8} bytes left")
    envelope, rest = message[8:8 + length], message[8 + length:]
    if mode == 0x02:
        claims_length = int.from_bytes(rest[:2], "big") if len(rest) >= 2 else 0
        if not 1 <= claims_length <= 1024 or len(rest) != 2 + claims_length + 64:
            malformed("cached-mode session claims and signature do not fill the message")
        raise Rejected("session.mode", "cached mode, which this client did not accept")
    if rest:
        malformed(f"{len(rest)} trailing bytes after the envelope")
    return envelope


# -- evidence.md sections 1 and 2: envelope and claims -------------------------------------------

MAX_NESTING = 4  # the envelope nests a record in a map: two levels


def check_heads(data, what):
    """Walks the CBOR heads before any decoder sees the bytes (RFC 8949 section 3): exactly one
    item, every string length and array/map count within the bytes that remain, definite
    lengths only, no tags, floats or simple values (neither the envelope nor the claims has
    any), shallow nesting. So a flipped length byte can never make the decoder allocate what
    the input does not hold."""
    def refuse(detail):
        raise Rejected("envelope.format", f"{what}: {detail}")

    def item(position, depth):
        if depth > MAX_NESTING or position >= len(data):
            refuse(f"truncated or too deeply nested at byte {position}")
        major, info = data[position] >> 5, data[position] & 0x1F
        position += 1
        if info < 24:
            argument = info
        elif info <= 27:
            size = 1 << (info - 24)
            if position + size > len(data):
                refuse(f"truncated head at byte {position - 1}")
            argument = int.from_bytes(data[position:position + size], "big")
            position += size
        else:
            refuse(f"indefinite length or reserved value at byte {position - 1}")
        if major in (2, 3):
            if argument > len(data) - position:
                refuse(f"string of {argument} bytes with {len(data) - position} left")
            return position + argument
        if major in (4, 5):
            count = argument * (2 if major == 5 else 1)
            if count > len(data) - position:
                refuse(f"{count} items with {len(data) - position} bytes left")
            for _ in range(count):
                position = item(position, depth + 1)
            return position
        if major in (6, 7):
            refuse(f"tag, float or simple value at byte {position - 1}")
        return position

    if item(0, 0) != len(data):
        refuse("trailing bytes after the item")


def canonical_cbor(data, what):
    """One CBOR item in deterministic encoding (RFC 8949 section 4.2.1): re-encoding what was
    decoded gives back exactly the input, so longer heads than needed and map keys out of
    order are refused too."""
    check_heads(data, what)
    try:
        item = cbor2.loads(data)
    except (cbor2.CBORDecodeError, ValueError) as error:
        raise Rejected("envelope.format", f"{what}: not CBOR ({error})") from None
    if cbor2.dumps(item, canonical=True) != data:
        raise Rejected("envelope.format", f"{what}: not one item in canonical CBOR")
    return item


def record(envelope, label, indicator):
    """A CMW record [media type, bytes, indicator] (evidence.md section 1)."""
    value = envelope[label]
    shape = [str, bytes] + ([int] if indicator is not None else [])
    if not isinstance(value, list) or [type(part) for part in value] != shape:
        raise Rejected("envelope.format", f"envelope: {label} is not a record of {shape}")
    if indicator is not None and value[2] != indicator:
        raise Rejected("envelope.format", f"envelope: {label} indicator {value[2]} != {indicator}")
    return value[0], value[1]


CLAIM_TYPES = {1: str, 2: bytes, 3: bytes, 4: bytes, 5: bytes, 6: bytes, 7: bytes, 8: bytes,
               9: int}
CLAIM_SIZES = {2: range(32, 33), 3: range(0, 65), 4: range(0, 65), 5: range(32, 33),
               6: range(32, 33), 7: range(32, 33)}


def parse_claims(data):
    """The claims map (evidence.md section 2, attestation.md section 5.1), canonical."""
    claims = canonical_cbor(data, "claims")
    if not isinstance(claims, dict):
        raise Rejected("envelope.format", "claims: not a map")
    for key, value in claims.items():
        if type(key) is not int or key not in CLAIM_TYPES:
            raise Rejected("envelope.format", f"claims: unknown key {key!r}")
        if type(value) is not CLAIM_TYPES[key] or \
                (key in CLAIM_SIZES and len(value) not in CLAIM_SIZES[key]):
            raise Rejected("envelope.format", f"claims: key {key} has the wrong type or size")
    if any(key not in claims for key in (1, 2, 3, 4)):
        raise Rejected("envelope.format", "claims: keys 1 to 4 are required")
    if claims[1] not in MEDIA_TYPES:
        raise Rejected("envelope.format", f"claims: unknown evidence type {claims[1]!r}")
    return claims


def parse_envelope(data):
    """(evidence media type, evidence, claims bytes, claims) of an envelope."""
    envelope = canonical_cbor(data, "envelope")
    if not isinstance(envelope, dict):
        raise Rejected("envelope.format", "envelope: not a map")
    labels = set(envelope)
    if not {"__cmwc_t", "evidence", "claims"} <= labels <= {"__cmwc_t", "evidence", "claims",
                                                           "collateral"}:
        raise Rejected("envelope.format", f"envelope: members {sorted(map(str, labels))}")
    if envelope["__cmwc_t"] != ENVELOPE_TYPE:
        raise Rejected("envelope.format", f"envelope: unsupported version {envelope['__cmwc_t']!r}")
    media_type, evidence = record(envelope, "evidence", 4)
    claims_type, claims_bytes = record(envelope, "claims", None)
    if "collateral" in envelope and len(record(envelope, "collateral", 2)[1]) > COLLATERAL_LIMIT:
        raise Rejected("envelope.format", "envelope: collateral too long")
    if claims_type != CLAIMS_MEDIA_TYPE or not 1 <= len(evidence) <= EVIDENCE_LIMIT \
            or len(claims_bytes) > CLAIMS_LIMIT:
        raise Rejected("envelope.format", "envelope: claims media type or a size is wrong")
    claims = parse_claims(claims_bytes)
    if MEDIA_TYPES[claims[1]] != media_type:
        raise Rejected("envelope.format",
                       f"envelope: evidence media type {media_type!r} is not {claims[1]!r}'s")
    return evidence, claims_bytes, claims


# -- evidence.md section 4: the sim report --------------------------------------------------------

def verify_sim_report(report, sim_key):
    """The REPORTDATA a sim report's signature establishes."""
    if len(report) != SIM_REPORT_SIZE or report[:4] != b"AMQS" or report[4:6] != b"\x00\x01" \
            or report[6:8] != b"\x00\x00":
        raise Rejected("sim.format", "not a 168-byte sim report v1 (SIMULATED, NO SECURITY)")
    if not isinstance(sim_key, ec.EllipticCurvePublicKey) or sim_key.curve.name != "secp256r1":
        raise Rejected("sim.root", "the pinned sim platform key is not a P-256 public key")
    signature = encode_dss_signature(int.from_bytes(report[104:136], "big"),
                                     int.from_bytes(report[136:168], "big"))
    try:
        sim_key.verify(signature, report[:SIM_SIGNED_SIZE], ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        raise Rejected("sim.signature", "signature does not verify with the pinned sim key") \
            from None
    return report[40:104]


# -- section 7.5: the verifier procedure ----------------------------------------------------------

def verify(message, expected, policy):
    """Runs the checks of section 7.5 in order on an EVIDENCE message; returns the claims."""
    envelope = parse_evidence_message(message)
    evidence, claims_bytes, claims = parse_envelope(envelope)
    if claims[1] != "sim":  # this client requested sim only, and has no other platform checks
        raise Rejected("session.evidence_type", f"{claims[1]} evidence, sim was requested")
    signed_report_data = verify_sim_report(evidence, policy.sim_key)
    if signed_report_data != report_data(claims_bytes, claims[3]):
        raise Rejected("envelope.report_data",
                       "the evidence's REPORTDATA does not commit to the envelope's claims")
    if claims[3] != expected.binder:
        raise Rejected("session.binder", "binder does not match this session")
    if claims[4] != expected.nonce:
        raise Rejected("session.nonce", "nonce is not the one this client sent")
    if claims.get(5) != expected.tls_key_hash or 6 in claims:
        raise Rejected("session.tls_key", "evidence names another TLS key")
    if 8 in claims or 9 in claims:
        raise Rejected("session.claims", "cached-mode keys in session claims")
    if not policy.allow_simulated:
        raise Rejected("policy.allow_simulated", "SIMULATED, NO SECURITY: not allowed")
    if policy.module_hashes and claims[2].hex() not in policy.module_hashes:
        raise Rejected("policy.module_hash", f"module {claims[2].hex()} is not accepted")
    if policy.configuration_digests and \
            (7 not in claims or claims[7].hex() not in policy.configuration_digests):
        raise Rejected("policy.configuration_digest", "the broker's configuration is not accepted")
    return claims


# -- the connection -------------------------------------------------------------------------------

class TlsStream:
    """A pyOpenSSL connection over a non-blocking socket, with the sendall/recv/settimeout that
    mqtt_wire.RawClient reads and writes through; every wait has a deadline."""

    def __init__(self, connection, sock, timeout):
        self.connection, self.sock, self.timeout = connection, sock, timeout

    def settimeout(self, timeout):
        self.timeout = timeout

    def _retry(self, operation):
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return operation()
            except (SSL.WantReadError, SSL.WantWriteError) as want:
                remaining = deadline - time.monotonic()
                readers, writers = ([self.sock], []) if isinstance(want, SSL.WantReadError) \
                    else ([], [self.sock])
                if remaining <= 0 or not any(select.select(readers, writers, [], remaining)):
                    raise TimeoutError("TLS peer did not answer in time") from None

    def handshake(self):
        self._retry(self.connection.do_handshake)

    def sendall(self, data):
        view = memoryview(data)
        while view:
            view = view[self._retry(lambda: self.connection.send(view)):]

    def recv(self, size):
        try:
            return self._retry(lambda: self.connection.recv(size))
        except (SSL.ZeroReturnError, SSL.SysCallError):
            return b""

    def close(self):
        self.sock.close()


def tls_connection(host, port, cafile, server_name, timeout):
    """TLS 1.3 only, full handshake, the broker's certificate checked against `cafile` and
    `server_name` (section 7.1)."""
    context = SSL.Context(SSL.TLS_METHOD)
    context.set_min_proto_version(SSL.TLS1_3_VERSION)
    context.set_options(SSL.OP_NO_TICKET)
    context.load_verify_locations(str(cafile))
    context.set_verify(SSL.VERIFY_PEER, lambda _connection, _cert, _error, _depth, ok: ok)
    sock = socket.create_connection((host, port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.setblocking(False)
    connection = SSL.Connection(context, sock)
    connection.set_tlsext_host_name(server_name.encode())
    connection.set_connect_state()
    stream = TlsStream(connection, sock, timeout)
    stream.handshake()
    certificate = connection.get_peer_certificate().to_cryptography()
    names = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    if server_name not in names.get_values_for_type(x509.DNSName) + \
            [str(address) for address in names.get_values_for_type(x509.IPAddress)]:
        raise ProtocolFailure(f"the broker's certificate does not name {server_name}")
    return stream


class SpecClient:
    """One MQTT 5 connection to an AttestMQ broker, attested with transport B."""

    def __init__(self, host, port, cafile, server_name="localhost", timeout=10.0):
        self.stream = tls_connection(host, port, cafile, server_name, timeout)
        self.wire = mqtt_wire.RawClient(port, timeout=timeout, sock=self.stream)
        self.exchange = None  # (EVIDENCE, Expected) of the last attestation, for tests

    def _expected(self, sent_request):
        connection = self.stream.connection
        spki = connection.get_peer_certificate().to_cryptography().public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
        return Expected(sent_request, connection.export_keying_material(BROKER_LABEL, 32,
                                                                        sent_request),
                        hashlib.sha256(spki).digest())

    def _fail(self, reason, error):
        """Section 9.2: DISCONNECT with `reason`, close, and raise `error`."""
        self.wire.send(mqtt_wire.disconnect(reason=reason))
        self.close()
        raise error

    def attest(self, policy, client_id="spec-client", username=None, password=None,
               tamper=lambda evidence: evidence, nonce=None):
        """CONNECT with a REQUEST, verify the broker's EVIDENCE, ANSWER, CONNACK 0x00: the
        claims. `tamper` lets a test change the EVIDENCE before this client verifies it;
        `nonce` replaces the fresh one (section 3.2 forbids that; a test of the binder may)."""
        sent_request = request(0x00, nonce or os.urandom(32), [SIM])
        method = [(AUTHENTICATION_METHOD, METHOD)]
        self.wire.send(mqtt_wire.connect(client_id, props=method + [(AUTHENTICATION_DATA,
                                                                     sent_request)],
                                         username=username, password=password))
        auth = self.wire.recv()
        if auth is None:
            raise ProtocolFailure("the broker closed the connection without answering")
        if auth.kind == mqtt_wire.CONNACK and auth.reason:
            self.close()
            raise ProtocolFailure(f"CONNACK {auth.reason:#04x} {auth.prop(0x1F, '')}")
        if auth.kind != mqtt_wire.AUTH or auth.reason != CONTINUE_AUTHENTICATION or \
                auth.prop(AUTHENTICATION_METHOD) != METHOD or \
                auth.prop(AUTHENTICATION_DATA) is None:
            self._fail(PROTOCOL_ERROR, ProtocolFailure(f"expected AUTH 0x18 with EVIDENCE: {auth}"))
        evidence = tamper(auth.prop(AUTHENTICATION_DATA))
        self.exchange = (evidence, self._expected(sent_request))
        try:
            claims = verify(evidence, self.exchange[1], policy)
        except Rejected as rejected:
            malformed = rejected.check == "session.message"
            self._fail(MALFORMED_PACKET if malformed else IMPLEMENTATION_ERROR, rejected)
        answer = bytes([0x03, 0x01, 0x00, 0x00])  # section 3.4: nothing asked of this client
        self.wire.send(mqtt_wire.packet(mqtt_wire.AUTH, 0, bytes([CONTINUE_AUTHENTICATION]) +
                                        mqtt_wire.properties(method + [(AUTHENTICATION_DATA,
                                                                        answer)])))
        connack = self.wire.recv()
        if connack is None or connack.kind != mqtt_wire.CONNACK or connack.reason or \
                connack.prop(AUTHENTICATION_METHOD) != METHOD:
            self._fail(PROTOCOL_ERROR, ProtocolFailure(f"expected CONNACK 0x00: {connack}"))
        return claims

    def subscribe(self, topic_filter):
        return self.wire.subscribe([(topic_filter, 0)])

    def publish(self, topic, payload):
        self.wire.send(mqtt_wire.publish(topic, payload))

    def receive(self):
        return self.wire.recv_kind(mqtt_wire.PUBLISH)

    def close(self):
        self.stream.close()
