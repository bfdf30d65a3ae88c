"""Cached evidence (docs/attestation.md section 6.2), end to end with real processes: the
broker's cached quote over a session key K and its renewal, re-attestation, per-session
evidence for clients that do not ask for cached, and the stale-quote attack
(GHSA-j7r9-wq7m-6hcp). The behaviour both evidence modes share is tested in
test_attested_sessions.py, for each mode."""
import datetime
import hashlib
import json
import os
import socket
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
# The PKI, the CLI runner, the module hash and the packet framing the other attested-session
# tests use.
from test_attested_sessions import (METHOD, TIMEOUT_S, attest, attestmq, attestmq_only,  # noqa: F401
                                    complete_packet, module_hash, pki, sim_platform_root)


@pytest.fixture
def cached_broker(start_broker, pki, tmp_path):
    return start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3",
                        tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem",
                        attestation_mode="cached")


@pytest.fixture
def sim_root(cached_broker, tmp_path):
    return sim_platform_root(tmp_path)


# The peers below speak transport B themselves with pyOpenSSL, which exposes the TLS exporter
# (RFC 8446 section 7.5) that the binder is.
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


