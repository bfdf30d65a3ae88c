"""Cached evidence (docs/attestation.md section 6.2), end to end with real processes: the
broker's cached quote over a session key K and its renewal, re-attestation, per-session
evidence for clients that do not ask for cached, and the stale-quote attack
(GHSA-j7r9-wq7m-6hcp). The behaviour both evidence modes share is tested in
test_attested_sessions.py, for each mode."""
import datetime
import json
import os
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

import mqtt_wire
from attestation_vectors import BROKER_LABEL, SIM, request
from spec_attester import Forgery, SpecAttester
from spec_client import AUTHENTICATION_DATA, AUTHENTICATION_METHOD, tls_connection
# The PKI, the CLI runner and the module hash the other attested-session tests use.
from test_attested_sessions import (METHOD, TIMEOUT_S, attest, attestmq, attestmq_only,  # noqa: F401
                                    module_hash, pki, sim_platform_root)


@pytest.fixture
def cached_broker(start_broker, pki, tmp_path):
    return start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3",
                        tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem",
                        attestation_mode="cached")


@pytest.fixture
def sim_root(cached_broker, tmp_path):
    return sim_platform_root(tmp_path)


CACHED_OK = 0x01


def new_request(flags=CACHED_OK):
    """REQUEST (section 3.2): a fresh 32-byte nonce, sim evidence accepted."""
    return request(flags, os.urandom(32), [SIM])


def auth_packet(reason, data):
    props = [(AUTHENTICATION_METHOD, METHOD.decode()), (AUTHENTICATION_DATA, data)]
    return mqtt_wire.packet(mqtt_wire.AUTH, 0, bytes([reason]) + mqtt_wire.properties(props))


def connect_packet(client_id, data):
    return mqtt_wire.connect(client_id, props=[(AUTHENTICATION_METHOD, METHOD.decode()),
                                               (AUTHENTICATION_DATA, data)])


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


class ExchangingClient:
    """Transport B from the specification (spec_client.py's TLS connection), one exchange at a
    time: what the broker sent and what this side computed."""

    def __init__(self, port, ca):
        self.stream = tls_connection("127.0.0.1", port, ca, "localhost", TIMEOUT_S)
        self.wire = mqtt_wire.RawClient(port, timeout=TIMEOUT_S, sock=self.stream)

    def exchange(self, first_packet_bytes, sent_request):
        """Sends CONNECT or AUTH 0x19 carrying `sent_request`, answers the EVIDENCE with an
        empty ANSWER; returns (EVIDENCE, binder, the packet that ended the exchange)."""
        self.wire.send(first_packet_bytes)
        auth = self.wire.recv_kind(mqtt_wire.AUTH)
        evidence = auth.prop(AUTHENTICATION_DATA)
        self.wire.send(auth_packet(0x18, b"\x03\x01\x00\x00"))  # ANSWER (section 3.4)
        binder = self.stream.connection.export_keying_material(BROKER_LABEL, 32, sent_request)
        return evidence, binder, self.wire.recv()

    def close(self):
        self.stream.close()


def test_reattestation_in_cached_mode_gives_a_new_binder_and_signature(cached_broker, pki):
    """Section 7.6 in cached mode: the envelope may stay the same; the session claims (with a
    new binder) and K's signature over them are new for each REQUEST."""
    client = ExchangingClient(cached_broker.port, pki.ca)
    try:
        first_request = new_request()
        first, first_binder, connack = client.exchange(connect_packet("reattest", first_request),
                                                       first_request)
        assert connack.kind == mqtt_wire.CONNACK and connack.reason == 0x00, connack
        second_request = new_request()
        second, second_binder, done = client.exchange(auth_packet(0x19, second_request),
                                                      second_request)
        assert done.kind == mqtt_wire.AUTH and done.reason == 0x00, done  # AUTH 0x00 Success
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
    result = attest(broker, pki, "--root", sim_platform_root(tmp_path), "--allow-simulated",
                    "--json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.stdout)["claims"]["evidence_mode"] == "cached"


def test_without_cached_ok_a_cached_broker_sends_per_session_evidence(cached_broker, pki):
    client = ExchangingClient(cached_broker.port, pki.ca)
    try:
        sent = new_request(flags=0)
        evidence, binder, connack = client.exchange(connect_packet("plain", sent), sent)
    finally:
        client.close()
    mode, envelope, _, _ = evidence_block(evidence)
    assert mode == 0x01
    assert binder in envelope, "per-session: the binder is in the envelope's own claims"
    assert connack.kind == mqtt_wire.CONNACK and connack.reason == 0x00


def captured_cached_envelope(broker, pki):
    """What an attacker records from the genuine broker in cached mode: its cached envelope."""
    client = ExchangingClient(broker.port, pki.ca)
    try:
        sent = new_request()
        evidence, _, _ = client.exchange(connect_packet("victim", sent), sent)
    finally:
        client.close()
    mode, envelope, _, _ = evidence_block(evidence)
    assert mode == 0x02
    return envelope


def test_stale_quote_fresh_binder_fails_the_signature(cached_broker, pki, sim_root):
    """GHSA-j7r9-wq7m-6hcp: a genuine (captured) cached quote next to a fresh binder and fresh
    session claims that nothing in the quote commits to. Every session check would pass; the
    session signature is not by K, so the client refuses it."""
    # The impostor holds the broker's own certificate and key (the strongest case) and ends the
    # client's TLS session itself, so the binder, nonce and TLS key hash are right; only K,
    # inside the genuine TEE, it does not have: it signs with a P-256 key of its own.
    forger = SpecAttester(pki.server_cert, pki.server_key, ec.generate_private_key(ec.SECP256R1()),
                          bytes.fromhex(module_hash()),
                          Forgery(cached_envelope=captured_cached_envelope(cached_broker, pki)))
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


