"""Attested sessions by both transports, end to end with real processes on 127.0.0.1:
`attestmq broker --tee sim` on a TLS 1.3 listener that offers transport B (MQTT 5 AUTH,
docs/attestation.md section 7) and transport A (a ClientHello extension, section 8), and the
client side as `attestmq attest` and `attestmq pub/sub --attest`. Tests whose behaviour is the
same for both transports run for each (the `transport` parameter). The sim TEE is SIMULATED:
it proves the protocol, not a platform. AttestMQ's own protocol: these run against AttestMQ
only."""
import contextlib
import json
import re
import signal
import socket
import ssl
import subprocess
import threading
import time

import pytest

from conftest import ATTESTMQ_BROKERS, broker_under_test, wait_for
from reference_mosquitto import attestmq_binary, measured_module
from tls_pki import PSK_IDENTITY, PSK_KEY, readable_pki

TIMEOUT_S = 30


@pytest.fixture(autouse=True)
def attestmq_only(broker_kind):
    if broker_kind not in ATTESTMQ_BROKERS:
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
                        attestation_mode=attestation_mode, attestation_handshake="true")


@pytest.fixture(params=["auth", "handshake"])
def transport(request):
    """Transport B (auth) or A (handshake): `attestmq attest --transport`, `--attest-transport`."""
    return request.param


def sim_platform_root(tmp_path):
    """The public key of the sim platform whose key a broker keeps in tmp_path/sim-key.pem."""
    path = tmp_path / "sim-platform.pem"
    subprocess.run(["openssl", "pkey", "-in", str(tmp_path / "sim-key.pem"), "-pubout", "-out",
                    str(path)], check=True, timeout=TIMEOUT_S)
    return path


@pytest.fixture
def sim_root(attested_broker, tmp_path):
    """The sim platform's public key, which a verifier pins as it would pin Intel's root."""
    return sim_platform_root(tmp_path)


@contextlib.contextmanager
def loopback_capture(port, capture):
    """dumpcap on the loopback port into `capture` while the body runs."""
    dumpcap = subprocess.Popen(["dumpcap", "-q", "-i", "lo", "-f", f"tcp port {port}",
                                "-w", str(capture)], stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (capture.exists() and capture.stat().st_size > 0):  # the header is written once capturing
            assert dumpcap.poll() is None, dumpcap.stderr.read()
            assert time.monotonic() < deadline, "dumpcap did not start"
            time.sleep(0.05)
        yield
        time.sleep(0.5)  # let the last segments reach the capture
    finally:
        dumpcap.send_signal(signal.SIGTERM)
        dumpcap.wait(timeout=20)


def module_hash():
    """The module the broker under test names in its evidence: the attestmq binary's SHA-256,
    or the Wasm module's in the enclave."""
    return measured_module(broker_under_test())


def attestmq(*arguments):
    return subprocess.run([attestmq_binary(), *map(str, arguments)], capture_output=True,
                          text=True, timeout=TIMEOUT_S)


def attest(broker, pki, *arguments, transport="auth"):
    return attestmq("attest", f"127.0.0.1:{broker.port}", "--cafile", pki.ca, "--transport",
                    transport, *arguments)


def policy_file(tmp_path, sim_root, **keys):
    path = tmp_path / "policy.json"
    path.write_text(json.dumps({"pinned_roots": {"sim": str(sim_root)}, **keys}))
    return path


def test_verified_with_a_policy_that_allows_sim_and_names_the_module(attested_broker, pki, sim_root,
                                                                     transport, attestation_mode):
    result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated",
                    "--expect-module", module_hash(), "--json", transport=transport)
    assert result.returncode == 0, result.stdout + result.stderr
    verdict = json.loads(result.stdout)
    passed = {check["name"] for check in verdict["checks"] if check["passed"]}
    for name in ("session.binder", "session.nonce", "session.tls_key", "envelope.report_data"):
        assert name in passed, name
    # Transport A asks for per-session evidence only (docs/attestation.md section 8.2).
    mode = attestation_mode if transport == "auth" else "per-session"
    assert verdict["claims"]["evidence_mode"] == mode
    cached_checks = {"cached.session_key", "cached.signature", "cached.claims", "cached.quote_age"}
    assert cached_checks <= passed if mode == "cached" else not cached_checks & passed
    assert "SIMULATED" in attested_broker.output()


def test_rejected_by_the_default_policy(attested_broker, pki, sim_root, transport):
    result = attest(attested_broker, pki, "--root", sim_root, transport=transport)
    assert result.returncode == 1
    assert "policy.allow_simulated" in result.stdout + result.stderr


def test_a_pinned_configuration_digest_catches_an_acl_that_grants_more(start_broker, pki,
                                                                          tmp_path, transport):
    """Issue #10: claims key 7 names the broker's effective security configuration; a client
    that pins it refuses the same module and platform once the operator swaps in an ACL file
    that grants everything (docs/evidence.md, "The configuration digest")."""
    acl = tmp_path / "acl"
    acl.write_text("topic read sensors/#\n")
    acl.chmod(0o644)

    def broker():
        return start_broker(certfile=pki.server_cert, keyfile=pki.server_key,
                            tls_version="tlsv1.3", tee="sim",
                            tee_sim_key_file=tmp_path / "sim-key.pem",
                            attestation_handshake="true", allow_anonymous="true", acl_file=acl)

    first = broker()
    root = sim_platform_root(tmp_path)
    pinned = ["--root", root, "--allow-simulated", "--expect-module", module_hash()]
    result = attest(first, pki, *pinned, "--json", transport=transport)
    assert result.returncode == 0, result.stdout + result.stderr
    digest = json.loads(result.stdout)["claims"]["configuration_digest"]
    assert re.fullmatch(r"[0-9a-f]{64}", digest), digest
    assert f"Configuration digest in every piece of evidence: {digest}" in first.output()
    result = attest(first, pki, *pinned, "--expect-config", digest, transport=transport)
    assert result.returncode == 0, result.stdout + result.stderr
    first.stop()

    acl.write_text("topic readwrite #\n")
    second = broker()
    result = attest(second, pki, *pinned, "--expect-config", digest, transport=transport)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "policy.configuration_digest" in result.stdout + result.stderr


def test_a_reload_that_would_change_the_attested_configuration_waits_for_a_restart(
        start_broker, pki, tmp_path):
    """SIGHUP rereads the security files. Unchanged ones reload; rules that no longer match
    the configuration digest in the evidence are refused and the old rules stay in force, so
    the evidence stays true (docs/evidence.md section 2.1)."""
    acl = tmp_path / "acl"
    acl.write_text("topic read sensors/#\n")
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key,
                          tls_version="tlsv1.3", tee="sim",
                          tee_sim_key_file=tmp_path / "sim-key.pem", allow_anonymous="true",
                          acl_file=acl)
    wait_for(lambda: " running" in broker.output(), TIMEOUT_S, "the broker to be running")
    digest = re.search(r"Configuration digest in every piece of evidence: ([0-9a-f]{64})",
                       broker.output()).group(1)

    broker.process.send_signal(signal.SIGHUP)
    wait_for(lambda: "Reloaded the password and ACL files (1 file)." in broker.output(),
             TIMEOUT_S, "the reload of unchanged files")

    acl.write_text("topic readwrite #\n")
    broker.process.send_signal(signal.SIGHUP)
    refusal = ("the files no longer match the configuration digest that every piece of "
               f"evidence names ({digest}, now ")
    wait_for(lambda: refusal in broker.output(), TIMEOUT_S, "the refused reload's log line")
    # The rules in force are still the attested ones: anonymous clients may not publish.
    published = attestmq("pub", "-h", "127.0.0.1", "-p", broker.port, "--cafile", pki.ca,
                         "-V", "5", "-q", "1", "-t", "sensors/1", "-m", "spoofed")
    assert published.returncode == 1, published.stdout + published.stderr
    assert "Not authorized" in published.stdout + published.stderr
    pinned = ["--root", sim_platform_root(tmp_path), "--allow-simulated", "--expect-config", digest]
    result = attest(broker, pki, *pinned)
    assert result.returncode == 0, result.stdout + result.stderr


def test_rejected_for_another_module_hash(attested_broker, pki, sim_root, transport):
    result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated",
                    "--expect-module", "00" * 32, transport=transport)
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


def test_each_session_gets_its_own_binder(attested_broker, pki, sim_root, transport):
    """The prototype's flaw was a binder that depended on the nonce only: here two sessions
    give two binders (and two nonces, drawn fresh). The same REQUEST in two handshakes giving
    two transport A binders is tests/tls/handshake_attestation_test.cpp's."""
    binders = set()
    for _ in range(2):
        result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated", "--json",
                        transport=transport)
        assert result.returncode == 0, result.stdout + result.stderr
        binders.add(json.loads(result.stdout)["claims"]["binder"])
    assert len(binders) == 2


@pytest.mark.parametrize("transport, version", [("auth", "5"), ("handshake", "5"),
                                                ("handshake", "311")])
def test_pub_and_sub_verify_before_they_publish_or_subscribe(attested_broker, pki, tmp_path,
                                                             sim_root, transport, version):
    """Transport A is below MQTT: it is the one MQTT 3.1.1 clients have (section 9.3)."""
    policy = policy_file(tmp_path, sim_root, allow_simulated=True,
                         accepted_module_hashes=[module_hash()])
    common = ["-h", "127.0.0.1", "-p", attested_broker.port, "--cafile", pki.ca, "-V", version,
              "--attest", policy, "--attest-transport", transport]
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
                                                               sim_root, transport):
    policy = policy_file(tmp_path, sim_root)  # otherwise default: simulated evidence refused
    result = attestmq("pub", "-h", "127.0.0.1", "-p", attested_broker.port, "--cafile", pki.ca,
                      "-V", "5", "--attest", policy, "--attest-transport", transport,
                      "-t", "guarded", "-m", "never", "-r")
    assert result.returncode == 1
    assert "policy.allow_simulated" in result.stdout + result.stderr
    retained = attestmq("sub", "-h", "127.0.0.1", "-p", attested_broker.port, "--cafile", pki.ca,
                        "-t", "guarded", "-C", "1", "-W", "1", "-V", "5")
    assert retained.stdout == "", "nothing was published"


@pytest.mark.parametrize("version", ["mqttv5", "mqttv311"])
def test_clients_that_do_not_ask_are_served_as_before(attested_broker, pki, version):
    """Debian's mosquitto_pub on the same listener, which offers both transports: no
    Authentication Method, no ClientHello extension, no evidence."""
    result = subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(attested_broker.port),
                             "--cafile", str(pki.ca), "-V", version, "-t", "t", "-m", "plain"],
                            capture_output=True, text=True, timeout=TIMEOUT_S)
    assert result.returncode == 0, result.stderr


def test_a_listener_without_a_provider_refuses_the_method(start_broker, pki):
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3")
    result = attest(broker, pki, "--allow-simulated")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "0x8c" in (result.stdout + result.stderr).lower() or \
        "bad authentication method" in (result.stdout + result.stderr).lower()


def test_downgrade_to_tls12_fails_closed(start_broker, pki, tmp_path, transport):
    """A broker (or a man in the middle) offering only TLS 1.2: the client insists on 1.3,
    where the binders exist (docs/attestation.md sections 7.1 and 8.2), and fails rather than
    fall back to an unattested session."""
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.2",
                          tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem")
    result = attest(broker, pki, "--allow-simulated", transport=transport)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "verified" not in result.stdout.lower()


def test_a_passive_observer_sees_no_evidence_nonce_or_claims(attested_broker, pki, sim_root,
                                                             tmp_path, transport):
    """tshark's dumpcap on the loopback port during an attested session: the binder, the
    module hash, the method name and the sim report travel only inside TLS records
    (docs/attestation.md section 10.4). So does transport B's nonce; transport A's is in the
    cleartext ClientHello, as section 8.7 says."""
    capture = tmp_path / "session.pcapng"
    with loopback_capture(attested_broker.port, capture):
        result = attest(attested_broker, pki, "--root", sim_root, "--allow-simulated", "--json",
                        transport=transport)
        assert result.returncode == 0, result.stdout + result.stderr
    wire_bytes = capture.read_bytes()
    assert b"\x16\x03\x01" in wire_bytes, "the capture holds the TLS handshake"
    claims = json.loads(result.stdout)["claims"]
    nonce = bytes.fromhex(claims["nonce"])
    secrets = {"binder": bytes.fromhex(claims["binder"]),
               "module hash": bytes.fromhex(module_hash()), "method": b"attestmq-attest-v1",
               "sim report magic": b"AMQS"}
    for name, secret in secrets.items():
        assert secret not in wire_bytes, f"the {name} is visible on the wire"
    if transport == "auth":
        assert nonce not in wire_bytes, "the nonce is visible on the wire"
    else:
        # Section 8.2: the REQUEST, nonce included, is the body of extension 0xFF5A in the
        # ClientHello: type, length, then message type 1, version 1, flags 0, nonce length 32.
        at = wire_bytes.find(b"\x01\x01\x00\x20" + nonce)
        assert at >= 4 and wire_bytes[at - 4:at - 2] == b"\xff\x5a", "nonce in the ClientHello"


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


# Transport A only (docs/attestation.md section 8).

def test_handshake_listener_codepoint_must_match_the_clients(start_broker, pki, tmp_path):
    """A listener on another codepoint ignores the client's extension like any unknown one;
    the client, which asked, finds no answer in EncryptedExtensions and aborts (section 8.6).
    With the listener's codepoint it verifies."""
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tee="sim",
                          tee_sim_key_file=tmp_path / "sim-key.pem", attestation_handshake="true",
                          attestation_extension_codepoint="0xFF10")
    root = sim_platform_root(tmp_path)
    assert "also attests in the TLS handshake (extension 0xFF10)" in broker.output()
    unanswered = attest(broker, pki, "--root", root, "--allow-simulated", transport="handshake")
    assert unanswered.returncode == 1, unanswered.stdout + unanswered.stderr
    assert "did not answer the attestation extension" in unanswered.stderr
    answered = attest(broker, pki, "--root", root, "--allow-simulated", "--codepoint", "0xff10",
                      transport="handshake")
    assert answered.returncode == 0, answered.stdout + answered.stderr


def test_handshake_stripped_answer_fails_closed(start_broker, pki, tmp_path):
    """A listener without transport A (the default) is what a client sees when the answer is
    stripped: no extension in EncryptedExtensions. The client aborts the handshake before it
    sends any MQTT packet, and the broker sees the client's alert."""
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tee="sim",
                          tee_sim_key_file=tmp_path / "sim-key.pem")
    result = attest(broker, pki, "--allow-simulated", transport="handshake")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "did not answer the attestation extension" in result.stderr
    wait_for(lambda: "handshake failure" in broker.output(), TIMEOUT_S, "the broker's log line")


def test_broker_that_cannot_answer_sends_an_alert(attested_broker, pki, tmp_path):
    """No evidence type in common (the client accepts SGX only, the broker has sim): the broker
    aborts with handshake_failure rather than stay silent (section 9.3), and logs why."""
    policy = tmp_path / "sgx-only.json"
    policy.write_text(json.dumps({"accepted_types": ["sgx"]}))
    result = attest(attested_broker, pki, "--policy", policy, transport="handshake")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "handshake failure" in result.stderr
    wait_for(lambda: "attestation: no evidence type in common" in attested_broker.output(),
             TIMEOUT_S, "the broker's log line")


def _client_hello_without(record, extension_type):
    """A ClientHello record with one extension removed and every length fixed up
    (RFC 8446 sections 4.1.2 and 5.1)."""
    body = bytearray(record[9:])
    at = 2 + 32  # legacy_version, random
    at += 1 + body[at]  # legacy_session_id
    at += 2 + int.from_bytes(body[at:at + 2], "big")  # cipher_suites
    at += 1 + body[at]  # legacy_compression_methods
    extensions_at, end = at, at + 2 + int.from_bytes(body[at:at + 2], "big")
    at += 2
    kept = bytearray()
    while at < end:
        kind = int.from_bytes(body[at:at + 2], "big")
        length = int.from_bytes(body[at + 2:at + 4], "big")
        if kind != extension_type:
            kept += body[at:at + 4 + length]
        at += 4 + length
    assert len(kept) < end - extensions_at - 2, "the ClientHello carried the extension"
    body = body[:extensions_at] + len(kept).to_bytes(2, "big") + kept + body[end:]
    handshake = bytes([0x01]) + len(body).to_bytes(3, "big") + body
    return record[:3] + len(handshake).to_bytes(2, "big") + handshake


class ExtensionStripper:
    """A TCP proxy that removes extension 0xFF5A from the ClientHello, then copies bytes."""

    def __init__(self, broker_port):
        self.broker_port = broker_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        client, _ = self.listener.accept()
        broker = socket.create_connection(("127.0.0.1", self.broker_port))
        with client, broker:
            record = bytearray()
            while len(record) < 5 or len(record) < 5 + int.from_bytes(record[3:5], "big"):
                record += client.recv(65536)
            broker.sendall(_client_hello_without(bytes(record), 0xFF5A))
            copier = threading.Thread(target=TlsRelay._copy, args=(broker, client, bytearray()),
                                      daemon=True)
            copier.start()
            TlsRelay._copy(client, broker, bytearray())
            copier.join(timeout=10)

    def close(self):
        self.listener.close()
        self.thread.join(timeout=10)


def test_extension_stripped_from_the_client_hello_fails_closed(attested_broker, pki, sim_root):
    """Stripping the request: the broker sees a ClientHello without the extension and answers
    none. The client never gets as far as noticing the missing answer: the ClientHello is in
    the transcript that the handshake traffic keys derive from, so the two ends hold different
    keys and the client cannot even decrypt EncryptedExtensions. Either way it fails closed."""
    stripper = ExtensionStripper(attested_broker.port)
    try:
        result = attestmq("attest", f"127.0.0.1:{stripper.port}", "--cafile", pki.ca, "--root",
                          sim_root, "--allow-simulated", "--transport", "handshake")
    finally:
        stripper.close()
    assert result.returncode == 1, result.stdout + result.stderr
    assert "TLS handshake failed" in result.stderr
    assert "session." not in result.stdout, "no evidence reached the verifier"


@pytest.mark.parametrize("listener", ["certificate", "psk"])
def test_handshake_evidence_needs_a_psk_where_client_auth_is_required(start_broker, pki, tmp_path,
                                                                      listener):
    """attestation_require_client_auth with transport A (docs/attestation.md section 8.5 step
    3): a client certificate comes only after EncryptedExtensions, so on a certificate listener
    the broker aborts with access_denied before any evidence; an external PSK authenticates the
    client first, and then the evidence goes out."""
    credentials = ({"certfile": pki.server_cert, "keyfile": pki.server_key}
                   if listener == "certificate"
                   else {"psk_hint": "attestmq-tests", "psk_file": pki.psk_file})
    broker = start_broker(tls_version="tlsv1.3", tee="sim", tee_sim_key_file=tmp_path / "sim-key.pem",
                          attestation_handshake="true", attestation_require_client_auth="true",
                          **credentials)
    client = (["--cafile", pki.ca] if listener == "certificate"
              else ["--psk", PSK_KEY, "--psk-identity", PSK_IDENTITY])
    result = attestmq("attest", f"127.0.0.1:{broker.port}", *client, "--transport", "handshake",
                      "--root", sim_platform_root(tmp_path), "--allow-simulated")
    if listener == "certificate":
        assert result.returncode == 1, result.stdout + result.stderr
        assert "access denied" in result.stderr.lower()
        wait_for(lambda: "evidence is released to authenticated clients only" in broker.output(),
                 TIMEOUT_S, "the broker's log line")
    else:
        assert result.returncode == 0, result.stdout + result.stderr


def test_attestation_handshake_needs_a_provider(tmp_path, pki):
    config = tmp_path / "broker.conf"
    config.write_text(f"listener 0 127.0.0.1\ncertfile {pki.server_cert}\n"
                      f"keyfile {pki.server_key}\nattestation_handshake true\n")
    result = subprocess.run([attestmq_binary(), "broker", "-c", str(config)], capture_output=True,
                            text=True, timeout=TIMEOUT_S)
    assert result.returncode != 0
    assert f"listener {config}:1: attestation_handshake needs a TEE provider" in \
        result.stdout + result.stderr


# RFC 8446 section 4.1.3: a HelloRetryRequest is a ServerHello with this random.
HELLO_RETRY_REQUEST_RANDOM = bytes.fromhex(
    "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c")


def test_handshake_hello_retry_request_gets_a_fresh_nonce(start_broker, pki, tmp_path,
                                                          monkeypatch, broker_kind):
    """Section 8.3 between real processes: the broker's OpenSSL is limited to P-256 through
    OPENSSL_CONF, so the client's first key share (X25519) draws a HelloRetryRequest. It carries
    the extension empty, the second ClientHello a new nonce, and the evidence answers that one."""
    if broker_kind.startswith("enclave"):
        pytest.skip("the module's OpenSSL reads no openssl.cnf (no-autoload-config), so nothing "
                    "outside it can limit its groups; tests/tls covers the HelloRetryRequest")
    openssl_conf = tmp_path / "openssl-p256.cnf"
    openssl_conf.write_text("openssl_conf = default_conf\n[default_conf]\nssl_conf = ssl_sect\n"
                            "[ssl_sect]\nsystem_default = groups_sect\n"
                            "[groups_sect]\nGroups = P-256\n")
    monkeypatch.setenv("OPENSSL_CONF", str(openssl_conf))
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tee="sim",
                          tee_sim_key_file=tmp_path / "sim-key.pem", attestation_handshake="true")
    monkeypatch.delenv("OPENSSL_CONF")  # the client keeps OpenSSL's default groups
    capture = tmp_path / "hrr.pcapng"
    with loopback_capture(broker.port, capture):
        result = attest(broker, pki, "--root", sim_platform_root(tmp_path), "--allow-simulated",
                        "--json", transport="handshake")
        assert result.returncode == 0, result.stdout + result.stderr
    wire_bytes = capture.read_bytes()
    assert HELLO_RETRY_REQUEST_RANDOM in wire_bytes, "the broker sent a HelloRetryRequest"
    assert b"\xff\x5a\x00\x00" in wire_bytes, "the HelloRetryRequest's extension is empty"
    nonces = re.findall(rb"\xff\x5a\x00.\x01\x01\x00\x20(.{32})", wire_bytes, re.DOTALL)
    assert len(nonces) == 2 and nonces[0] != nonces[1], "a fresh nonce in each ClientHello"
    assert json.loads(result.stdout)["claims"]["nonce"] == nonces[1].hex()


def test_the_load_generator_attests_every_connection(attested_broker, pki, tmp_path, sim_root,
                                                     transport, attestation_mode):
    """`attestmq bench --scenario connect --attest POLICY`, which docs/benchmarks.md uses to
    price attested connects, really runs the transport: every counted connection verified the
    broker's evidence, and a policy the evidence fails stops the run with the failed check."""
    accepting = policy_file(tmp_path, sim_root, allow_simulated=True,
                            accepted_module_hashes=[module_hash()])
    common = ["bench", "--host", "127.0.0.1", "-p", attested_broker.port, "--tls", "--cafile",
              pki.ca, "-n", "2", "-w", "0", "-d", "1", "--attest-transport", transport,
              "--scenario"]
    result = attestmq(*common, "connect", "--attest", accepting, "--json")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["attest"] == transport and report["connections"] > 0
    if transport == "auth":
        assert report["verify_us_per_connection"] > 0
        # The evidence is what the broker's mode gives a client that accepts cached evidence;
        # --evidence per-session clears CACHED_OK, and a cached broker then quotes each session.
        mode = "cached" if attestation_mode == "cached" else "per_session"
        assert report["evidence"][mode] == report["connections"]
        result = attestmq(*common, "connect", "--attest", accepting, "--evidence", "per-session",
                          "--json")
        assert result.returncode == 0, result.stderr
        report = json.loads(result.stdout)
        assert report["evidence"]["per_session"] == report["connections"] > 0
    refusing = tmp_path / "refusing.json"
    refusing.write_text(json.dumps({"pinned_roots": {"sim": str(sim_root)}}))
    result = attestmq(*common, "connect", "--attest", refusing)
    assert result.returncode == 1
    assert "policy.allow_simulated" in result.stderr
    result = attestmq(*common, "pairs", "--attest", accepting)  # no connections to attest there
    assert result.returncode == 2 and "--scenario connect" in result.stderr
