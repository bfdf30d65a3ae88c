"""Attacks on the evidence itself, against the real client (`attestmq attest`): an attester
whose platform signs whatever it is given (spec_attester.py, the strongest attacker the
protocol considers) and that serves TLS with its own valid certificate. Honest, it is accepted;
each forgery is then refused by the check that guards that field (docs/attestation.md
section 10.3): key substitution, another module, and a flipped byte anywhere."""
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from spec_attester import Forgery, SpecAttester, spki_sha256
# The PKI and the module hash the CLI's tests use, and the CLI runner.
from test_attested_sessions import attestmq, attestmq_only, module_hash, pki  # noqa: F401


@pytest.fixture
def platform(tmp_path):
    """A sim platform key of the attacker's, pinned by the victim's policy: the platform is
    "genuine" to the victim; only what it signs is forged."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = tmp_path / "platform.pem"
    public.write_bytes(key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    return key, public


def attest_against(pki, platform, forgery):
    """`attestmq attest` against a SpecAttester serving the wrong CA's localhost certificate
    (which the victim trusts here, as it would trust a CA that misissued one)."""
    key, public = platform
    attester = SpecAttester(pki.wrong_ca_server_cert, pki.wrong_ca_server_key, key,
                            bytes.fromhex(module_hash()), forgery)
    try:
        result = attestmq("attest", f"localhost:{attester.port}", "--cafile", pki.wrong_ca,
                          "--root", public, "--allow-simulated", "--expect-module", module_hash())
    finally:
        attester.close()
    return result, attester


def test_an_honest_attester_is_accepted(pki, platform):
    """The control: without a forgery the client accepts, answers AUTH and connects."""
    result, attester = attest_against(pki, platform, Forgery())
    assert result.returncode == 0, result.stdout + result.stderr
    assert attester.client_answered is not None and attester.client_answered.kind == 15


def test_evidence_bound_to_another_tls_key_is_refused(pki, platform):
    """Key substitution: correct binder and nonce, a genuine platform signature, but the claims
    name the genuine broker's certificate key, not the one this session was served with."""
    forgery = Forgery(tls_key_sha256=spki_sha256(pki.server_cert))
    result, attester = attest_against(pki, platform, forgery)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "session.tls_key" in result.stdout + result.stderr
    assert attester.client_answered is None or attester.client_answered.kind != 15


def test_evidence_for_another_module_is_refused(pki, platform):
    result, _ = attest_against(pki, platform, Forgery(module_sha256=b"\x42" * 32))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "policy.module_hash" in result.stdout + result.stderr


# Bytes of the EVIDENCE message (about 460 long): its header, the envelope's map and media
# types, the claims (type, module, binder, nonce, TLS key), the sim report's header,
# measurement, REPORTDATA and signature. Every one of them is covered by some check.
@pytest.mark.parametrize("position", [0, 3, 7, 12, 60, 110, 140, 175, 215, 250, 300, 360, 420,
                                      -1])
def test_a_flipped_byte_anywhere_is_refused(pki, platform, position):
    result, attester = attest_against(pki, platform, Forgery(flip=position))
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verified" not in result.stdout.lower()
    assert attester.client_answered is None or attester.client_answered.kind != 15
