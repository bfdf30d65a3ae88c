"""Mutual attestation and the release of evidence (docs/attestation.md sections 7.4, 7.6, 7.7
and 9.1), end to end with real processes on 127.0.0.1: `attestmq broker --tee sim` with
`attestation_client_policy`, `attestation_require_client_auth` and an acl_file keyed on the
attested measurement; clients as `attestmq pub/sub --attest POLICY --tee sim` and, where the
test needs byte-level control, a raw MQTT 5 client over TLS 1.3 (mqtt_wire). The sim TEE is
SIMULATED: it proves the protocol, not a platform."""
import json
import re
import socket
import ssl
import subprocess

import pytest

import mqtt_wire
from conftest import wait_for
from mqtt_wire import AUTH, CONNACK, DISCONNECT
from reference_mosquitto import attestmq_binary, measured_module
# The attested-session fixtures and helpers (pki, the attestmq-only guard, the module hash).
from test_attested_sessions import (TIMEOUT_S, attestmq, attestmq_only,  # noqa: F401
                                    module_hash, pki)

METHOD = "attestmq-attest-v1"
AUTHENTICATION_METHOD, AUTHENTICATION_DATA = 0x15, 0x16
CONTINUE, REAUTHENTICATE, NOT_AUTHORIZED = 0x18, 0x19, 0x87
SIM = 0x04
CAN_ATTEST = 0x04


@pytest.fixture
def sim_platform(tmp_path):
    """One simulated platform for the broker and its clients (the same machine): its private
    key, which both TEEs use, and its public key, which the policies pin."""
    key, public = tmp_path / "sim-key.pem", tmp_path / "sim-platform.pem"
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", str(key)], check=True, timeout=TIMEOUT_S)
    subprocess.run(["openssl", "pkey", "-in", str(key), "-pubout", "-out", str(public)],
                   check=True, timeout=TIMEOUT_S)
    return key, public


@pytest.fixture
def policy(tmp_path, sim_platform):
    """Accepts sim evidence from the pinned platform running the attestmq binary (the clients)
    or the broker under test: the broker's client policy and the clients' broker policy alike."""
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"pinned_roots": {"sim": str(sim_platform[1])},
                                "allow_simulated": True,
                                "accepted_module_hashes": sorted({measured_module(), module_hash()})}))
    return path


def sim_broker(start_broker, pki, sim_platform, **options):
    return start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3",
                        tee="sim", tee_sim_key_file=sim_platform[0], **options)


@pytest.fixture
def mutual_broker(start_broker, pki, sim_platform, policy, tmp_path):
    """Requires client evidence; `secure/#` only for clients whose attested measurement is the
    attestmq binary's (the sim TEE reports the program's SHA-256 as its measurement)."""
    acl = tmp_path / "acl"
    acl.write_text("topic readwrite open/#\n"
                   f"attested measurement {measured_module()}\n"
                   "topic readwrite secure/#\n")
    return sim_broker(start_broker, pki, sim_platform, attestation_client_policy=policy,
                      acl_file=acl)


def client_arguments(broker, pki, policy, *extra):
    return ["-h", "127.0.0.1", "-p", broker.port, "--cafile", pki.ca, "-V", "5", "--attest",
            policy, *extra]


class TlsClient(mqtt_wire.RawClient):
    """mqtt_wire's raw MQTT client over TLS 1.3, verifying the broker's certificate."""

    def __init__(self, port, pki, timeout=10.0, certificate=None):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.load_verify_locations(pki.ca)
        if certificate:
            context.load_cert_chain(*certificate)
        context.minimum_version = ssl.TLSVersion.TLSv1_3
        self.version = mqtt_wire.MQTT_5
        self.timeout = timeout
        self.sock = context.wrap_socket(socket.create_connection(("127.0.0.1", port),
                                                                 timeout=timeout),
                                        server_hostname="localhost")
        self._buffer = bytearray()

    def close(self):
        self.sock.close()


def request(flags=0):
    """A REQUEST (section 3.2): version 1, a 16-byte nonce (fresh enough for a test that
    verifies nothing), sim accepted."""
    nonce = bytes(range(16))
    return bytes([0x01, 0x01, flags, len(nonce)]) + nonce + bytes([1, SIM])


def auth(reason, data):
    body = bytes([reason]) + mqtt_wire.properties([(AUTHENTICATION_METHOD, METHOD),
                                                   (AUTHENTICATION_DATA, data)])
    return mqtt_wire.packet(AUTH, 0, body)


def connect_attesting(client, flags=0, **credentials):
    """CONNECT naming the method, with a REQUEST; returns the broker's first answer."""
    client.send(mqtt_wire.connect("raw", props=[(AUTHENTICATION_METHOD, METHOD),
                                                (AUTHENTICATION_DATA, request(flags))],
                                  **credentials))
    return client.recv()


def evidence_block(evidence):
    """The evidence block of an EVIDENCE message (section 3.3): mode, flags, E, envelope."""
    assert evidence[:2] == b"\x02\x01", "EVIDENCE, version 1"
    length = int.from_bytes(evidence[4:8], "big")
    return evidence[2:8 + length]


def test_mutual_attestation_grants_the_attested_measurement_its_topics(mutual_broker, pki, policy,
                                                                       sim_platform):
    tee = ["--tee", "sim", "--tee-sim-key-file", sim_platform[0]]
    common = client_arguments(mutual_broker, pki, policy, *tee)
    subscriber = subprocess.Popen([attestmq_binary(), "sub", *map(str, common), "-t", "secure/#",
                                   "-C", "1", "-W", "20"], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(100):  # until the subscriber's subscription is in place
            published = attestmq("pub", *common, "-t", "secure/1", "-m", "from attested code")
            assert published.returncode == 0, published.stderr
            try:
                out, err = subscriber.communicate(timeout=0.2)
                break
            except subprocess.TimeoutExpired:
                continue
        assert out.strip() == "from attested code", err
    finally:
        subscriber.kill()
        subscriber.wait()
    assert "attested: sim (SIMULATED, NO SECURITY), module " + measured_module() in \
        mutual_broker.output()


def test_reattestation_attests_the_client_again(mutual_broker, pki, policy, sim_platform):
    """Section 7.6: each AUTH 0x19 of `sub --attest-every 1` gets EVIDENCE asking the client
    again, and the client's fresh evidence keeps its attested topics."""
    tee = ["--tee", "sim", "--tee-sim-key-file", sim_platform[0]]
    common = client_arguments(mutual_broker, pki, policy, *tee)
    subscriber = subprocess.Popen([attestmq_binary(), "sub", *map(str, common), "-i", "renewed",
                                   "-t", "secure/#", "-C", "1", "-W", "30", "--attest-every", "1"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        # The first exchange is logged by address (no client id yet), a re-attestation by id.
        wait_for(lambda: re.search(r"Client renewed \(\S+\) attested: sim", mutual_broker.output()),
                 TIMEOUT_S, "the subscriber's re-attestation")
        published = attestmq("pub", *common, "-t", "secure/after", "-m", "still attested")
        assert published.returncode == 0, published.stderr
        out, err = subscriber.communicate(timeout=TIMEOUT_S)
    finally:
        subscriber.kill()
        subscriber.wait()
    assert out.strip() == "still attested", err


def test_a_client_that_does_not_attest_is_not_authorized(mutual_broker, pki, policy):
    """The same client without a TEE of its own: it verifies the broker, but cannot answer its
    request, and gets CONNACK 0x87 before it can publish anything."""
    result = attestmq("pub", *client_arguments(mutual_broker, pki, policy), "-t", "secure/1",
                      "-m", "never")
    assert result.returncode == NOT_AUTHORIZED, result.stdout + result.stderr
    assert "this listener requires client attestation" in mutual_broker.output()


@pytest.mark.parametrize("version", ["mqttv311", "mqttv5"])
def test_a_client_that_does_not_ask_is_not_authorized(mutual_broker, pki, version):
    """Debian's mosquitto_pub names no authentication method (and in 3.1.1 cannot): on a
    listener that requires client evidence it is refused (0x87, 3.1.1 return code 5)."""
    result = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(mutual_broker.port),
                             "--cafile", str(pki.ca), "-V", version, "-t", "open/1", "-m", "x"],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode != 0
    assert "not authori" in (result.stdout + result.stderr).lower(), result.stderr
    assert "this listener requires enhanced authentication (attestmq-attest-v1)" in \
        mutual_broker.output()


def test_reflected_evidence_fails_the_binder(mutual_broker, pki):
    """Reflection: a client that cannot attest sends the broker's own evidence back as its
    ANSWER. The platform, the module and the policy all pass (it is genuine evidence from the
    same platform), but its binder was derived with the broker's label from the client's
    REQUEST, not with the client's label from the broker's: it fails closed at session.binder."""
    client = TlsClient(mutual_broker.port, pki)
    try:
        first = connect_attesting(client, flags=CAN_ATTEST)
        assert first is not None and first.kind == AUTH and first.reason == CONTINUE, first
        reflected = bytearray(evidence_block(first.prop(AUTHENTICATION_DATA)))
        reflected[1] = 0  # ATTEST_YOURSELF cleared: an ANSWER's block carries no flags
        client.send(auth(CONTINUE, b"\x03\x01" + bytes(reflected)))
        connack = client.recv_kind(CONNACK)
    finally:
        client.close()
    assert connack.reason == NOT_AUTHORIZED
    assert "client evidence: session.binder" in connack.prop(mqtt_wire.REASON_STRING)


@pytest.fixture
def password_file(tmp_path):
    path = tmp_path / "passwords"
    made = subprocess.run([attestmq_binary(), "passwd", "-c", "-b", str(path), "alice", "s3cret"],
                          capture_output=True, text=True, timeout=TIMEOUT_S)
    assert made.returncode == 0, made.stderr
    return path


@pytest.mark.parametrize("credentials,certificate,released", [
    ({}, None, False),
    ({"username": "alice", "password": "s3cret"}, None, True),
    ({}, "good", True),
], ids=["anonymous", "password", "certificate"])
def test_evidence_only_for_authenticated_clients(start_broker, pki, sim_platform, password_file,
                                                 credentials, certificate, released):
    """attestation_require_client_auth: an anonymous client (allowed on the listener) gets
    CONNACK 0x87 as the broker's first and only answer, so no evidence byte went out; a client
    whose password checked, or whose certificate the handshake verified, gets the EVIDENCE."""
    broker = sim_broker(start_broker, pki, sim_platform, attestation_require_client_auth="true",
                        password_file=password_file, cafile=pki.ca)
    client = TlsClient(broker.port, pki,
                       certificate=pki.client(certificate) if certificate else None)
    try:
        first = connect_attesting(client, **credentials)
    finally:
        client.close()
    if released:
        assert first.kind == AUTH and first.reason == CONTINUE, first
        assert first.prop(AUTHENTICATION_DATA)[:2] == b"\x02\x01", "an EVIDENCE message"
    else:
        assert first.kind == CONNACK and first.reason == NOT_AUTHORIZED, first
        assert "evidence is released to authenticated clients only" in \
            first.prop(mqtt_wire.REASON_STRING)


def test_an_unanswered_reattestation_disconnects(start_broker, pki, sim_platform):
    """A client that asks for re-attestation (AUTH 0x19) and never answers the EVIDENCE is
    disconnected with 0x87 once connect_timeout (1 s here) has passed."""
    broker = sim_broker(start_broker, pki, sim_platform, connect_timeout=1)
    client = TlsClient(broker.port, pki, timeout=TIMEOUT_S)
    try:
        assert connect_attesting(client).kind == AUTH
        client.send(auth(CONTINUE, b"\x03\x01\x00\x00"))  # an ANSWER without verifying
        assert client.recv_kind(CONNACK).reason == 0
        client.send(auth(REAUTHENTICATE, request()))
        assert client.recv_kind(AUTH).reason == CONTINUE
        disconnect = client.recv_kind(DISCONNECT)
        assert client.recv() is None, "the broker closed the connection"
    finally:
        client.close()
    assert disconnect.reason == NOT_AUTHORIZED
    assert "re-authentication not completed within 1000 ms" in broker.output()


def test_an_unanswered_first_exchange_is_closed_without_connack(start_broker, pki, sim_platform):
    """The CONNECT's exchange is bounded by connect_timeout too: the EVIDENCE left unanswered,
    the broker closes the connection without CONNACK (docs/attestation.md section 7.4)."""
    broker = sim_broker(start_broker, pki, sim_platform, connect_timeout=1)
    client = TlsClient(broker.port, pki, timeout=TIMEOUT_S)
    try:
        assert connect_attesting(client).kind == AUTH
        assert client.recv() is None, "closed, nothing more sent"
    finally:
        client.close()
    assert "closed: its enhanced authentication not completed within 1000 ms" in broker.output()


@pytest.mark.parametrize("tee,listener_tls,policy_text,error", [
    ("none", True, "{}", "attestation_client_policy needs a TEE provider"),
    ("sim", False, "{}", "attestation_client_policy needs a TLS listener"),
    ("sim", True, "{\"allow_simulated\": \"yes\"}", "attestation_client_policy"),
], ids=["without-tee", "plain-listener", "invalid-policy"])
def test_a_client_policy_the_broker_cannot_apply_stops_it(tmp_path, pki, tee, listener_tls,
                                                          policy_text, error):
    """Fail closed at startup: a listener that should require client evidence never runs
    without it."""
    policy = tmp_path / "clients.json"
    policy.write_text(policy_text)
    config = tmp_path / "broker.conf"
    tls = f"certfile {pki.server_cert}\nkeyfile {pki.server_key}\n" if listener_tls else ""
    config.write_text(f"tee {tee}\ntee_sim_key_file {tmp_path / 'sim-key.pem'}\n"
                      f"listener 0 127.0.0.1\n{tls}attestation_client_policy {policy}\n")
    result = subprocess.run([attestmq_binary(), "broker", "-c", str(config)], capture_output=True,
                            text=True, timeout=TIMEOUT_S)
    assert result.returncode != 0
    assert error in result.stdout + result.stderr
    assert "broker.conf:3" in result.stdout + result.stderr, "the listener's line"
