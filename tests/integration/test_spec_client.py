"""The second implementation (spec_client.py, written from docs/attestation.md alone) against
the real `attestmq broker --tee sim`: it completes transport B, exchanges a message, and its own
checks refuse tampered evidence and another module. Also: section 12.2 of the specification
quotes exactly what its reference script (attestation_vectors.py) computes."""
import re
from pathlib import Path

import pytest

from conftest import wait_for
from attestation_vectors import fixed_vectors, live_exporter
from spec_client import Policy, ProtocolFailure, Rejected, SpecClient, verify
# The broker, its PKI and sim key, and the module hash it attests: shared with the CLI's tests.
from test_attested_sessions import (attestation_mode, attested_broker, attestmq_only,  # noqa: F401
                                    module_hash, pki, sim_root)

SPECIFICATION = Path(__file__).resolve().parents[2] / "docs" / "attestation.md"


def accepting_policy(sim_root):
    return Policy.from_pem(sim_root, allow_simulated=True, module_hashes=[module_hash()])


def attested_client(broker, pki, policy, **options):
    client = SpecClient("127.0.0.1", broker.port, pki.ca)
    return client, client.attest(policy, **options)


def test_completes_transport_b_and_exchanges_a_message(attested_broker, pki, sim_root):
    client, claims = attested_client(attested_broker, pki, accepting_policy(sim_root))
    try:
        assert claims[1] == "sim"
        assert claims[2].hex() == module_hash()
        assert f"Configuration digest in every piece of evidence: {claims[7].hex()}" \
            in attested_broker.output()
        assert client.subscribe("spec/#") == [0]
        payload = b"verified by a second implementation"
        client.publish("spec/1", payload)
        message = client.receive()
        assert (message.topic, message.payload) == ("spec/1", payload)
    finally:
        client.close()
    attested_broker.assert_running()


def test_the_same_nonce_in_two_sessions_gives_two_binders(attested_broker, pki, sim_root):
    """The research prototype's flaw (PAPER.md): its binder depended on the nonce alone, so a
    relay could reuse it. Here the binder is the exporter of each TLS session: one nonce, sent
    in two sessions, gets two binders, and each verifies in its own session only."""
    nonce = bytes(range(32))
    binders = []
    for _ in range(2):
        client, claims = attested_client(attested_broker, pki, accepting_policy(sim_root),
                                         nonce=nonce)
        client.close()
        assert claims[4] == nonce
        binders.append(claims[3])
    assert binders[0] != binders[1]


@pytest.mark.parametrize("keys, check", [({"module_hashes": ["00" * 32], "allow_simulated": True},
                                          "policy.module_hash"),
                                         ({"configuration_digests": ["00" * 32],
                                           "allow_simulated": True},
                                          "policy.configuration_digest"),
                                         ({}, "policy.allow_simulated")],
                         ids=["another-module", "another-configuration", "default-policy"])
def test_refuses_what_its_policy_does_not_accept(attested_broker, pki, sim_root, keys, check):
    client = SpecClient("127.0.0.1", attested_broker.port, pki.ca)
    with pytest.raises(Rejected) as rejected:
        client.attest(Policy.from_pem(sim_root, **keys))
    assert rejected.value.check == check


def flipped(data, position, mask):
    out = bytearray(data)
    out[position] ^= mask
    return bytes(out)


def test_refuses_a_flipped_bit_anywhere_in_the_evidence(attested_broker, pki, sim_root):
    """Every byte of a genuine EVIDENCE, one bit flipped at a time (low and high bit), fails one
    of the client's own checks; the untouched message passes the same function."""
    policy = accepting_policy(sim_root)
    client, _ = attested_client(attested_broker, pki, policy)
    client.close()
    evidence, expected = client.exchange
    assert verify(evidence, expected, policy)[3] == expected.binder
    failed_checks = set()
    for position in range(len(evidence)):
        for mask in (0x01, 0x80):
            with pytest.raises(Rejected) as rejected:
                verify(flipped(evidence, position, mask), expected, policy)
            failed_checks.add(rejected.value.check)
    assert {"session.message", "envelope.format", "sim.format", "sim.signature",
            "envelope.report_data"} <= failed_checks


def test_evidence_of_another_session_fails_the_binder(attested_broker, pki, sim_root):
    """Replay: evidence verified in one session, presented in another (fresh nonce, fresh
    exporter), fails this client's own session.binder check."""
    policy = accepting_policy(sim_root)
    exchanges = []
    for _ in range(2):
        client, _ = attested_client(attested_broker, pki, policy)
        client.close()
        exchanges.append(client.exchange)
    (first_evidence, _), (_, second_session) = exchanges
    with pytest.raises(Rejected) as rejected:
        verify(first_evidence, second_session, policy)
    assert rejected.value.check == "session.binder"


def test_evidence_of_a_platform_the_policy_does_not_name_fails(attested_broker, start_broker,
                                                                 pki, sim_root, tmp_path):
    """Diversion, as test_attested_sessions.py shows it for the CLI: a second genuine sim
    platform's evidence, correctly bound to this session, fails the pinned key."""
    second = start_broker(certfile=pki.server_cert, keyfile=pki.server_key,
                          tls_version="tlsv1.3", tee="sim",
                          tee_sim_key_file=tmp_path / "second-sim-key.pem")
    client = SpecClient("127.0.0.1", second.port, pki.ca)
    with pytest.raises(Rejected) as rejected:
        client.attest(accepting_policy(sim_root))
    assert rejected.value.check == "sim.signature"


def test_a_tampered_exchange_gets_no_connack(attested_broker, pki, sim_root):
    """Live: one flipped bit in the sim report's signature (the envelope's last byte is the
    evidence record's indicator, the one before it the signature's), the client refuses with
    sim.signature, sends DISCONNECT 0x83 (section 9.2) and never gets a session; an untampered
    client connected afterwards does."""
    client = SpecClient("127.0.0.1", attested_broker.port, pki.ca)
    with pytest.raises(Rejected) as rejected:
        client.attest(accepting_policy(sim_root), client_id="tampered",
                      tamper=lambda evidence: flipped(evidence, -2, 1))
    assert rejected.value.check == "sim.signature"
    control, _ = attested_client(attested_broker, pki, accepting_policy(sim_root),
                                 client_id="untampered")
    control.close()
    wait_for(lambda: "as untampered" in attested_broker.output(), 10, "the control client")
    assert "as tampered" not in attested_broker.output()


def test_a_broker_without_a_provider_refuses_the_method(start_broker, pki, sim_root):
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3")
    client = SpecClient("127.0.0.1", broker.port, pki.ca)
    with pytest.raises(ProtocolFailure, match="CONNACK 0x8c"):
        client.attest(accepting_policy(sim_root))


def test_the_specification_quotes_what_the_reference_script_computes():
    """Section 12.2's vectors, and evidence.md's REPORTDATA example, are the script's output."""
    attestation = SPECIFICATION.read_text()
    quoted = {"attestation.md section 12.2": attestation[
        attestation.index("### 12.2 Fixed test vectors"):attestation.index("### 12.3")],
        "evidence.md section 3": (SPECIFICATION.parent / "evidence.md").read_text()}
    for name, value in fixed_vectors().items():
        where = "evidence.md section 3" if name.startswith("docs/evidence.md") else \
            "attestation.md section 12.2"
        assert value.hex() in re.sub(r"\s", "", quoted[where]), f"{where} lacks the {name}"


def test_the_exporter_by_hand_equals_pyopenssls():
    """Section 12.3, part 2: a live TLS 1.3 handshake in memory, the exporter computed from the
    key log's EXPORTER_SECRET with hashlib and hmac equals export_keying_material."""
    live_exporter()
