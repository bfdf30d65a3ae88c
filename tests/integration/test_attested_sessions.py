"""Attested sessions, transport B (docs/attestation.md section 7), end to end with real
processes on 127.0.0.1: `attestmq broker --tee sim` on a TLS 1.3 listener, in per-session and
in cached evidence mode (section 6), and the client side as `attestmq attest` and `attestmq
pub/sub --attest`. The sim TEE is SIMULATED: it proves the protocol, not a platform. AttestMQ's
own protocol: these run against AttestMQ only."""
import datetime
import hashlib
import json
import os
import signal
import socket
import ssl
import struct
import subprocess
import threading
import time

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509 import load_pem_x509_certificate
from OpenSSL import SSL

import mqtt_wire
from reference_mosquitto import attestmq_binary
from tls_pki import readable_pki

TIMEOUT_S = 30


@pytest.fixture(autouse=True)
def attestmq_only(broker_kind):
    if broker_kind != "attestmq":
        pytest.skip("AttestMQ's attested sessions")


@pytest.fixture(scope="module")
def pki():
    with readable_pki() as made:
        yield made


@pytest.fixture(params=["per-session", "cached"])
def attestation_mode(request):
    """Both evidence modes (docs/attestation.md section 6) where they behave alike."""
    return request.param


@pytest.fixture
def attested_broker(start_broker, pki, tmp_path, attestation_mode):
    return start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3",
                        tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem",
                        attestation_mode=attestation_mode)


@pytest.fixture
def cached_broker(start_broker, pki, tmp_path):
    return start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3",
                        tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem",
                        attestation_mode="cached")


@pytest.fixture
def sim_root(attested_broker, tmp_path):
    """The sim platform's public key, which a verifier pins as it would pin Intel's root."""
    path = tmp_path / "sim-platform.pem"
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "sim-key.pem"), "-pubout", "-out",
                    str(path)], check=True, timeout=TIMEOUT_S)
    return path


def module_hash():
    """The native broker measures itself: the SHA-256 of the attestmq binary."""
    with open(attestmq_binary(), "rb") as binary:
        return hashlib.sha256(binary.read()).hexdigest()


def attestmq(*arguments):
    return subprocess.run([attestmq_binary(), *map(str, arguments)], capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def attest(broker, pki, *arguments):
    return attestmq("attest", f"127.0.0.1:{broker.port}", "--cafile", pki.ca, *arguments)


def policy_file(tmp_path, sim_root, **keys):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"pinned_roots": {"sim": str(sim_root)}, **keys}))
    return path


def test_verified_with_a_policy_that_allows_sim_and_names_the_module(attested_broker, pki, sim_root,
                                                                     attestation_mode):
    result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated",
                    "--expect-module", module_hash(), "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    passed = {check["name"] for check in verdict["checks"] if check["passed"]}
    for name in ("session.binder", "session.nonce", "session.tls_key", "envelope.report_data"):
        assert name in passed, name
    assert verdict["claims"]["evidence_mode"] == attestation_mode
    cached_checks = {"cached.session_key", "cached.signature", "cached.claims", "cached.quote_age"}
    assert cached_checks <= passed if attestation_mode == "cached" else not cached_checks & passed
    assert "SIMULATED" in attested_broker.output()


def test_rejected_by_the_default_policy(attested_broker, pki, sim_root):
    result = attest(attested_broker, pki, "--root", sim_root)
    assert result.returncode == 1
    assert "policy.allow_simulated" in result.stdout + result.stderr


def test_rejected_for_another_module_hash(attested_broker, pki, sim_root):
    result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated",
                    "--expect-module", "00" * 32)
    assert result.returncode == 1
    assert "policy.module_hash" in result.stdout + result.stderr


def test_evidence_of_a_platform_the_policy_does_not_name_fails(attested_broker, start_broker,
                                                                 pki, sim_root, tmp_path):
    """Diversion (docs/attestation.md section 10.3): a second genuine sim platform, with its own
    platform key, runs the same module behind a certificate the client accepts; its evidence is
    correctly bound to the client's session with it, and the policy, which pins the first
    platform's key, refuses it."""
    second_key = tmp_path / "second-sim-key.pem"
    second = start_broker(certfile=pki.server_cert, keyfile=pki.server_key,
                          tls_version="tlsv1.3", tee="sim", tee_sim_key_file=second_key)
    assert second_key.read_bytes() != (tmp_path / "sim-key.pem").read_bytes(), "two platforms"
    arguments = ["--root", sim_root, "--allow-simulated", "--expect-module", module_hash()]
    assert attest(attested_broker, pki, *arguments).returncode == 0, "the named platform passes"
    result = attest(second, pki, *arguments)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "sim.signature" in result.stdout + result.stderr


def test_each_session_gets_its_own_binder(attested_broker, pki, sim_root):
    """The prototype's flaw was a binder that depended on the nonce only: here two sessions
    give two binders (and two nonces, drawn fresh)."""
    binders = set()
    for _ in range(2):
        result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated", "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        binders.add(json.loads(result.stdout)["claims"]["binder"])
    assert len(binders) == 2


def test_pub_and_sub_verify_before_they_publish_or_subscribe(attested_broker, pki, tmp_path,
                                                             sim_root):
    policy = policy_file(tmp_path, sim_root, allow_simulated=True,
                         accepted_module_hashes=[module_hash()])
    common = ["-h", "127.0.0.1", "-p", attested_broker.port, "--cafile", pki.ca, "-V", "5",
              "--attest", policy]
    subscriber = subprocess.Popen([attestmq_binary(), "sub", *map(str, common), "-t", "attested/#",
                                   "-C", "1", "-W", "20"], stdout=subprocess.PIPE, text=True)
    try:
        for _ in range(100):  # until the subscriber's subscription is in place
            published = attestmq("pub", *common, "-t", "attested/1", "-m", "hello")
            assert published.returncode == 0, published.stderr
            try:
                out, _ = subscriber.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                continue
        assert out.strip() == "hello"
    finally:
        subscriber.kill()
        subscriber.wait()


def test_pub_refuses_to_publish_to_a_broker_its_policy_rejects(attested_broker, pki, tmp_path,
                                                               sim_root):
    policy = policy_file(tmp_path, sim_root)  # otherwise default: simulated evidence refused
    result = attestmq("pub", "-h", "127.0.0.1", "-p", attested_broker.port, "--cafile", pki.ca,
                      "-V", "5", "--attest", policy, "-t", "guarded", "-m", "never", "-r")
    assert result.returncode != 0
    assert "policy.allow_simulated" in result.stdout + result.stderr
    retained = attestmq("sub", "-h", "127.0.0.1", "-p", attested_broker.port, "--cafile", pki.ca,
                        "-t", "guarded", "-C", "1", "-W", "1", "-V", "5")
    assert retained.stdout == "", "nothing was published"


def test_clients_that_do_not_ask_are_served_as_before(attested_broker, pki):
    """Debian's mosquitto_pub on the same listener: no Authentication Method, no evidence."""
    result = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(attested_broker.port),
                             "--cafile", str(pki.ca), "-V", "mqttv5", "-t", "t", "-m", "plain"],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stderr


def test_a_listener_without_a_provider_refuses_the_method(start_broker, pki):
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3")
    result = attest(broker, pki, "--allow-simulated")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0x8c" in (result.stdout + result.stderr).lower() or \
        "bad authentication method" in (result.stdout + result.stderr).lower()


def test_downgrade_to_tls12_fails_closed(start_broker, pki, tmp_path):
    """A broker (or a man in the middle) offering only TLS 1.2: the client insists on 1.3,
    where the exporter binds the whole handshake (docs/attestation.md section 7.1), and fails
    rather than fall back to an unattested session."""
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.2",
                          tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem")
    result = attest(broker, pki, "--allow-simulated")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verified" not in result.stdout.lower()


def test_a_passive_observer_sees_no_evidence_nonce_or_claims(attested_broker, pki, sim_root,
                                                             tmp_path):
    """tshark's dumpcap on the loopback port during an attested session: the nonce, the
    binder, the module hash, the method name and the sim report travel only inside TLS
    records (docs/attestation.md section 10.4)."""
    capture = tmp_path / "session.pcapng"
    dumpcap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", f"tcp port {attested_broker.port}",
                                "-w", str(capture)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (capture.exists() and capture.stat().st_size > 0):  # the header is written once capturing
            assert dumpcap.poll() is None, dumpcap.stderr.read()
            assert time.monotonic() < deadline, "dumpcap did not start"
            time.sleep(0.05)
        result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated", "--json")
        assert result.returncode == 0, result.stdout + result.stderr
        time.sleep(0.5)  # let the last segments reach the capture
    finally:
        dumpcap.send_signal(signal.SIGTERM)
        dumpcap.wait(timeout=20)
    wire_bytes = capture.read_bytes()
    assert b"\x16\x03\x01" in wire_bytes, "the capture holds the TLS handshake"
    claims = json.loads(result.stdout)["claims"]
    secrets = {"nonce": bytes.fromhex(claims["nonce"]), "binder": bytes.fromhex(claims["binder"]),
               "module hash": bytes.fromhex(module_hash()), "method": b"attestmq-attest-v1",
               "sim report magic": b"AMQS"}
    for name, secret in secrets.items():
        assert secret not in wire_bytes, f"the {name} is visible on the wire"


class Impostor:
    """A TLS server with a valid certificate for the broker's name (here the broker's own, the
    strongest case), between the client and the broker; it serves one client with
    `handle(victim)` on a thread of its own."""

    def __init__(self, pki):
        self.server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        self.server.load_cert_chain(pki.server_cert, pki.server_key)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        plain, _ = self.listener.accept()
        with self.server.wrap_socket(plain, server_side=True) as victim:
            self.handle(victim)

    def close(self):
        self.listener.close()
        self.thread.join(timeout=10)


class TlsRelay(Impostor):
    """A man in the middle: it ends the client's TLS session, opens its own to the genuine
    broker, and copies the MQTT bytes both ways, evidence included."""

    def __init__(self, pki, broker_port):
        self.client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        self.client.load_verify_locations(pki.ca)
        self.broker_port = broker_port
        self.from_broker = bytearray()  # what the genuine broker sent, evidence included
        super().__init__(pki)

    def handle(self, victim):
        with self.client.wrap_socket(socket.create_connection(("127.0.0.1", self.broker_port)),
                                     server_hostname="localhost") as genuine:
            copier = threading.Thread(target=self._copy, args=(genuine, victim, self.from_broker),
                                      daemon=True)
            copier.start()
            self._copy(victim, genuine, bytearray())
            copier.join(timeout=10)

    @staticmethod
    def _copy(source, destination, record):
        try:
            while data := source.recv(65536):
                record += data
                destination.sendall(data)
        except (OSError, ssl.SSLError):
            pass
        try:
            destination.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def test_relayed_evidence_fails_the_binder(attested_broker, pki, sim_root):
    """The prototype's relay attack (PAPER.md): the genuine broker's evidence is bound to the
    relay's TLS session with it, not to the client's, so the client refuses it."""
    relay = TlsRelay(pki, attested_broker.port)
    try:
        result = attestmq("attest", f"127.0.0.1:{relay.port}", "--cafile", pki.ca, "--root",
                          sim_root, "--allow-simulated")
    finally:
        relay.close()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "session.binder" in result.stdout + result.stderr


class FakeBroker(Impostor):
    """Answers one client with canned MQTT packets: what an attacker between client and broker
    can do to the exchange."""

    def __init__(self, pki, answers):
        self.answers = answers
        super().__init__(pki)

    def handle(self, client):
        client.recv(65536)  # the CONNECT with its REQUEST
        for answer in self.answers:
            client.sendall(answer)
        try:
            client.recv(65536)  # the client's reaction (a DISCONNECT), then its close
        except (OSError, ssl.SSLError):
            pass


METHOD = b"attestmq-attest-v1"
CONNACK_WITHOUT_METHOD = bytes([0x20, 0x03, 0x00, 0x00, 0x00])
# CONNACK 0x00 naming the method (property 0x15), as if the exchange had happened.
CONNACK_NAMING_METHOD = bytes([0x20, 6 + len(METHOD), 0x00, 0x00, 3 + len(METHOD), 0x15, 0x00,
                               len(METHOD)]) + METHOD


@pytest.mark.parametrize("connack", [CONNACK_WITHOUT_METHOD, CONNACK_NAMING_METHOD],
                         ids=["without-method", "naming-method"])
def test_stripped_exchange_fails_closed(pki, connack):
    """Stripping: the attacker answers CONNECT with CONNACK 0x00 and no AUTH at all, with or
    without the method's name. The client refuses a session whose evidence it never verified."""
    fake = FakeBroker(pki, [connack])
    try:
        result = attestmq("attest", f"127.0.0.1:{fake.port}", "--cafile", pki.ca, "--allow-simulated")
    finally:
        fake.close()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Protocol error" in result.stdout + result.stderr


def complete_packet(stream):
    """The first MQTT packet of a byte stream (MQTT 5.0 section 2.1: fixed header, length), or
    None while it is incomplete."""
    length, shift, position = 0, 0, 1
    while position < len(stream):
        byte = stream[position]
        position += 1
        length |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80:
            return bytes(stream[:position + length]) if len(stream) >= position + length else None
    return None


def first_packet(stream):
    packet = complete_packet(stream)
    assert packet is not None, "the stream holds a whole packet"
    return packet


def test_replayed_evidence_fails_in_another_session(attested_broker, pki, sim_root):
    """Replay: evidence a genuine broker sent in one session (recorded by a relay) is presented
    to a client in another session. Its binder names the session it came from."""
    relay = TlsRelay(pki, attested_broker.port)
    try:
        attestmq("attest", f"127.0.0.1:{relay.port}", "--cafile", pki.ca, "--root", sim_root,
                 "--allow-simulated")
    finally:
        relay.close()
    recorded_auth = first_packet(relay.from_broker)
    assert recorded_auth[0] == 0xF0, "the genuine broker's first answer is AUTH"
    fake = FakeBroker(pki, [recorded_auth])
    try:
        result = attestmq("attest", f"127.0.0.1:{fake.port}", "--cafile", pki.ca, "--root",
                          sim_root, "--allow-simulated")
    finally:
        fake.close()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "session.binder" in result.stdout + result.stderr


# Cached mode (docs/attestation.md section 6.2). The peers below speak transport B themselves
# with pyOpenSSL, which exposes the TLS exporter (RFC 8446 section 7.5) that the binder is.
BROKER_LABEL = b"EXPERIMENTAL-attestmq-broker-binder-v1"
CACHED_OK = 0x01
SIM = 0x04


def new_request(flags=CACHED_OK):
    """REQUEST (section 3.2): a fresh 32-byte nonce, sim evidence accepted."""
    return bytes([0x01, 0x01, flags, 32]) + os.urandom(32) + bytes([1, SIM])


def auth_packet(reason, data=None):
    props = [(0x15, METHOD.decode())] + ([(0x16, data)] if data is not None else [])
    return mqtt_wire.packet(mqtt_wire.AUTH, 0, bytes([reason]) + mqtt_wire.properties(props))


def authentication_data(packet):
    """Authentication Data (property 0x16) of an AUTH or CONNECT packet."""
    _, start = mqtt_wire.parse_varint(packet, 1)
    body = packet[start:]
    if packet[0] >> 4 == mqtt_wire.CONNECT:
        position = 2 + 4 + 1 + 1 + 2  # protocol name, level, flags, keep alive (section 3.1.2)
    else:
        position = 1  # reason code (section 3.15.2.1)
    props, _ = mqtt_wire.parse_properties(body, position)
    return dict(props)[0x16]


def evidence_block(evidence):
    """EVIDENCE (section 3.3) -> (mode, envelope, session claims, session signature)."""
    assert evidence[:2] == b"\x02\x01", evidence[:2].hex()
    mode = evidence[2]
    length = int.from_bytes(evidence[4:8], "big")
    envelope, rest = evidence[8:8 + length], evidence[8 + length:]
    if mode != 0x02:
        return mode, envelope, None, None
    claims_length = int.from_bytes(rest[:2], "big")
    return mode, envelope, rest[2:2 + claims_length], rest[2 + claims_length:2 + claims_length + 64]


def tls_connection(context, plain):
    plain.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", TIMEOUT_S, 0))
    return SSL.Connection(context, plain)


def read_packet(connection):
    stream = bytearray()
    while (packet := complete_packet(stream)) is None:
        stream += connection.recv(65536)
    assert len(stream) == len(packet), "one packet at a time in this exchange"
    return packet


class PyOpenSslClient:
    """A transport B client from the specification: CONNECT with a REQUEST, then AUTH."""

    def __init__(self, port, ca):
        context = SSL.Context(SSL.TLS_CLIENT_METHOD)
        context.set_min_proto_version(SSL.TLS1_3_VERSION)
        context.load_verify_locations(str(ca))
        context.set_verify(SSL.VERIFY_PEER, lambda connection, cert, errno, depth, ok: ok)
        self.tls = tls_connection(context, socket.create_connection(("127.0.0.1", port)))
        self.tls.set_tlsext_host_name(b"localhost")
        self.tls.set_connect_state()
        self.tls.do_handshake()

    def exchange(self, first_packet_bytes, request):
        """Sends CONNECT or AUTH 0x19 carrying `request`; returns (EVIDENCE, binder) after
        answering it, and the packet that ended the exchange."""
        self.tls.sendall(first_packet_bytes)
        auth = read_packet(self.tls)
        assert auth[0] == 0xF0, auth.hex()
        evidence = authentication_data(auth)
        self.tls.sendall(auth_packet(0x18, b"\x03\x01\x00\x00"))  # ANSWER (section 3.4)
        binder = self.tls.export_keying_material(BROKER_LABEL, 32, request)
        return evidence, binder, read_packet(self.tls)

    def close(self):
        try:
            self.tls.shutdown()
        except SSL.Error:
            pass
        self.tls.close()


def test_reattestation_in_cached_mode_gives_a_new_binder_and_signature(cached_broker, pki):
    """Section 7.6 in cached mode: the envelope may stay the same; the session claims (with a
    new binder) and K's signature over them are new for each REQUEST."""
    client = PyOpenSslClient(cached_broker.port, pki.ca)
    try:
        first_request = new_request()
        connect = mqtt_wire.connect("reattest", props=[(0x15, METHOD.decode()),
                                                       (0x16, first_request)])
        first, first_binder, connack = client.exchange(connect, first_request)
        assert connack[0] == 0x20 and connack[3] == 0x00, connack.hex()
        second_request = new_request()
        second, second_binder, done = client.exchange(auth_packet(0x19, second_request),
                                                      second_request)
        assert done[0] == 0xF0 and done[2] == 0x00, done.hex()  # AUTH 0x00 Success
    finally:
        client.close()
    first_mode, first_envelope, first_claims, first_signature = evidence_block(first)
    second_mode, second_envelope, second_claims, second_signature = evidence_block(second)
    assert first_mode == second_mode == 0x02
    assert first_envelope == second_envelope, "one cached quote within the refresh period"
    assert first_binder != second_binder
    assert first_binder in first_claims and second_binder in second_claims
    assert first_signature != second_signature
    assert "cached attestation evidence, quote refreshed every 3600 s" in cached_broker.output()


def test_the_cached_quote_and_key_are_renewed_every_period(start_broker, pki, tmp_path):
    """attestation_quote_period: once the broker logs a refresh, sessions get a new envelope
    (a new K and a new quote), and the new one verifies like the first."""
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3",
                          tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem",
                          attestation_mode="cached", attestation_quote_period=1)
    def refreshes():
        return broker.output().count("Refreshed the cached attestation quote")

    # A refresh may land while `before` is captured: two more refreshes make sure the pair
    # served afterwards is newer than it.
    seen = refreshes()
    before = captured_cached_envelope(broker, pki)
    deadline = time.monotonic() + TIMEOUT_S
    while refreshes() < seen + 2:
        assert time.monotonic() < deadline, broker.output()
        time.sleep(0.1)
    after = captured_cached_envelope(broker, pki)
    assert after != before
    root = tmp_path / "sim-platform.pem"
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "sim-key.pem"), "-pubout", "-out",
                    str(root)], check=True, timeout=TIMEOUT_S)
    result = attest(broker, pki, "--root", root, "--allow-simulated", "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["claims"]["evidence_mode"] == "cached"


def test_without_cached_ok_a_cached_broker_sends_per_session_evidence(cached_broker, pki):
    client = PyOpenSslClient(cached_broker.port, pki.ca)
    try:
        request = new_request(flags=0)
        connect = mqtt_wire.connect("plain", props=[(0x15, METHOD.decode()), (0x16, request)])
        evidence, binder, connack = client.exchange(connect, request)
    finally:
        client.close()
    mode, envelope, _, _ = evidence_block(evidence)
    assert mode == 0x01
    assert binder in envelope, "per-session: the binder is in the envelope's own claims"
    assert connack[3] == 0x00


def cbor_head(major, value):
    """RFC 8949 section 3: the shortest head for `value` (deterministic encoding, 4.2.1)."""
    if value < 24:
        return bytes([major << 5 | value])
    return bytes([major << 5 | 24, value]) if value < 256 else bytes([major << 5 | 25]) + value.to_bytes(2, "big")


def session_claims(binder, nonce, certificate_key_sha256):
    """Session claims (section 5.1) as canonical CBOR: {1: "sim", 2: module, 3: binder,
    4: nonce, 5: certificate key hash}."""
    entries = [(1, cbor_head(3, 3) + b"sim"), (2, bytes.fromhex(module_hash())), (3, binder),
               (4, nonce), (5, certificate_key_sha256)]
    out = cbor_head(5, len(entries))
    for key, value in entries:
        out += cbor_head(0, key) + (value if key == 1 else cbor_head(2, len(value)) + value)
    return out


def report_data(binder, claims):
    """Section 5.2."""
    return hashlib.sha512(b"AttestMQ REPORTDATA v1\x00" + bytes([len(binder)]) + binder +
                          hashlib.sha256(claims).digest()).digest()


class ForgingBroker:
    """An impostor holding the broker's own certificate and key (the strongest case) and a cached
    envelope captured from the genuine broker. It ends the client's TLS session itself, so it
    computes the right binder, nonce and TLS key hash for it; only K, inside the genuine TEE, it
    does not have: it signs the fresh session claims with a P-256 key of its own."""

    def __init__(self, pki, captured_envelope):
        self.envelope = captured_envelope
        self.context = SSL.Context(SSL.TLS_SERVER_METHOD)
        self.context.set_min_proto_version(SSL.TLS1_3_VERSION)
        self.context.use_certificate_file(str(pki.server_cert))
        self.context.use_privatekey_file(str(pki.server_key))
        with open(pki.server_cert, "rb") as pem:
            public_key = load_pem_x509_certificate(pem.read()).public_key()
        self.certificate_key_sha256 = hashlib.sha256(public_key.public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)).digest()
        self.own_key = ec.generate_private_key(ec.SECP256R1())
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        plain, _ = self.listener.accept()
        victim = tls_connection(self.context, plain)
        victim.set_accept_state()
        try:
            victim.do_handshake()
            request = authentication_data(read_packet(victim))
            binder = victim.export_keying_material(BROKER_LABEL, 32, request)
            claims = session_claims(binder, request[4:4 + request[3]], self.certificate_key_sha256)
            der = self.own_key.sign(b"AttestMQ session signature v1\x00" + report_data(binder, claims),
                                    ec.ECDSA(hashes.SHA256()))
            r, s = decode_dss_signature(der)
            signature = r.to_bytes(32, "big") + s.to_bytes(32, "big")
            evidence = (b"\x02\x01\x02\x00" + len(self.envelope).to_bytes(4, "big") + self.envelope +
                        len(claims).to_bytes(2, "big") + claims + signature)
            victim.sendall(auth_packet(0x18, evidence))
            read_packet(victim)  # the client's DISCONNECT
        except (SSL.Error, OSError):
            pass
        finally:
            victim.close()

    def close(self):
        self.listener.close()
        self.thread.join(timeout=10)


def captured_cached_envelope(broker, pki):
    """What an attacker records from the genuine broker in cached mode: its cached envelope."""
    client = PyOpenSslClient(broker.port, pki.ca)
    try:
        request = new_request()
        connect = mqtt_wire.connect("victim", props=[(0x15, METHOD.decode()), (0x16, request)])
        evidence, _, _ = client.exchange(connect, request)
    finally:
        client.close()
    mode, envelope, _, _ = evidence_block(evidence)
    assert mode == 0x02
    return envelope


def test_stale_quote_fresh_binder_fails_the_signature(cached_broker, pki, sim_root):
    """GHSA-j7r9-wq7m-6hcp: a genuine (captured) cached quote next to a fresh binder and fresh
    session claims that nothing in the quote commits to. Every session check would pass; the
    session signature is not by K, so the client refuses it."""
    forger = ForgingBroker(pki, captured_cached_envelope(cached_broker, pki))
    try:
        result = attestmq("attest", f"127.0.0.1:{forger.port}", "--cafile", pki.ca, "--root",
                          sim_root, "--allow-simulated", "--expect-module", module_hash())
    finally:
        forger.close()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cached.signature" in result.stdout + result.stderr


def test_a_quote_older_than_the_policy_allows_fails_the_quote_age(cached_broker, pki, sim_root):
    """The genuine broker's cached quote, judged as of two days after it was made: older than
    the default max_quote_age_seconds (86,400 s)."""
    fresh = attest(cached_broker, pki, "--root", sim_root, "--allow-simulated", "--json")
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    issued = datetime.datetime.fromisoformat(
        json.loads(fresh.stdout)["claims"]["quote_issued_at"].replace("Z", "+00:00"))
    later = (issued + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    result = attest(cached_broker, pki, "--root", sim_root, "--allow-simulated", "--at", later)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "cached.quote_age" in result.stdout + result.stderr


def test_the_load_generator_attests_every_connection(attested_broker, pki, tmp_path, sim_root):
    """`attestmq bench --scenario connect --attest POLICY`, which docs/benchmarks.md uses to
    price attested connects, really runs transport B: every counted connection verified the
    broker's evidence, and a policy the evidence fails stops the run with the failed check."""
    accepting = policy_file(tmp_path, sim_root, allow_simulated=True,
                            accepted_module_hashes=[module_hash()])
    common = ["bench", "--host", "127.0.0.1", "-p", attested_broker.port, "--tls", "--cafile",
              pki.ca, "-n", "2", "-w", "0", "-d", "1", "--scenario"]
    result = attestmq(*common, "connect", "--attest", accepting, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["attest"] == "auth" and report["connections"] > 0
    assert report["verify_us_per_connection"] > 0
    refusing = tmp_path / "refusing.json"
    refusing.write_text(json.dumps({"pinned_roots": {"sim": str(sim_root)}}))
    result = attestmq(*common, "connect", "--attest", refusing)
    assert result.returncode == 1
    assert "policy.allow_simulated" in result.stderr
    result = attestmq(*common, "pairs", "--attest", accepting)  # no AUTH exchange there
    assert result.returncode == 2 and "--scenario connect" in result.stderr
