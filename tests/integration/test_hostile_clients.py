"""What an unauthenticated client can cost the broker (issue #7 items 1 and C), measured on
the real process: memory before CONNECT, judged on the fixed header, on plain and TLS
listeners alike; and password hashing off the engine, so that wrong-password CONNECTs
against a deliberately slow hash do not hold up anyone else. AttestMQ's own options and
behaviour: these run against AttestMQ only."""
import select
import socket
import ssl
import subprocess

import pytest

from conftest import ATTESTMQ_BROKERS

import mqtt_wire as wire
from idle_clients import memory_bound_factor, resident_bytes
from reference_mosquitto import attestmq_binary
from tls_pki import readable_pki

HOSTILE = 50
CONNECT_BOUND = 64 * 1024  # max_connect_size's default
# What one connection may cost beyond the bound: the engine's connection state, the reactor's,
# and on TLS the session with its record buffers (docs/configuration.md "Memory before CONNECT").
PER_CONNECTION_OVERHEAD = 96 * 1024
BAD_USER_NAME_OR_PASSWORD = 0x86


@pytest.fixture(autouse=True)
def attestmq_only(broker_kind):
    if broker_kind not in ATTESTMQ_BROKERS:
        pytest.skip("AttestMQ's max_connect_size and password workers")


@pytest.fixture(scope="module")
def pki():
    with readable_pki() as made:
        yield made


def rss_kib(pid):
    return resident_bytes(pid) // 1024


class Transport:
    """Opens plain or TLS connections to one broker."""

    def __init__(self, kind, port, pki):
        self.kind, self.port = kind, port
        self.context = None
        if kind == "tls":
            self.context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
            self.context.load_verify_locations(pki.ca)

    def open(self):
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=10)
        if self.context:
            sock = self.context.wrap_socket(sock, server_hostname="localhost")
        return sock

    def client(self):
        """mqtt_wire's RawClient over this transport."""
        client = object.__new__(wire.RawClient)
        client.version, client.timeout, client._buffer = wire.MQTT_5, 10.0, bytearray()
        client.sock = self.open()
        return client


def start(start_broker, kind, pki, **options):
    if kind == "tls":
        options.update(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3")
    broker = start_broker(**options)
    return broker, Transport(kind, broker.port, pki)


def closed_by_broker(sock):
    try:
        sock.settimeout(10)
        return sock.recv(4096) == b""
    except (ConnectionResetError, ssl.SSLError):
        return True


def round_trip(client):
    client.send(wire.PINGREQ_PACKET)
    return client.recv_kind(wire.PINGRESP)


@pytest.mark.parametrize("kind", ["plain", "tls"])
def test_hostile_connections_memory_is_bounded(start_broker, pki, kind):
    """50 connections each send a CONNECT just under max_connect_size and never finish it:
    the broker holds at most 50 x (bound + overhead). Oversized or non-CONNECT first packets
    are closed on their header, whatever they claim or send."""
    broker, transport = start(start_broker, kind, pki)
    bystander = transport.client()
    assert bystander.connect("bystander").reason == 0
    before = rss_kib(broker.process.pid)

    body = CONNECT_BOUND - 5
    header = bytes([wire.CONNECT << 4]) + wire.varint(body)
    holders = []
    for _ in range(HOSTILE):
        sock = transport.open()
        sock.sendall(header + wire.utf8("MQTT") + bytes([5]) + b"\0" * (body - 8))
        holders.append(sock)
    round_trip(bystander)  # every holder's bytes were read by now
    grown = rss_kib(broker.process.pid) - before
    bound = HOSTILE * (CONNECT_BOUND + PER_CONNECTION_OVERHEAD) // 1024
    bound *= memory_bound_factor(broker.process.pid)
    assert grown < bound, f"{HOSTILE} half-sent CONNECTs grew the broker by {grown} KiB"

    claims = [bytes([wire.CONNECT << 4, 0x80, 0x80, 0x80, 0x73]),   # 240 MB announced
              bytes([wire.PUBLISH << 4, 0x02, 0x00, 0x00])]          # not a CONNECT
    for claim in claims:
        for _ in range(14):
            sock = transport.open()
            try:
                sock.sendall(claim + b"x" * 65536)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass
            assert closed_by_broker(sock)
            sock.close()
    round_trip(bystander)
    assert rss_kib(broker.process.pid) - before < bound
    for sock in holders:
        sock.close()
    broker.assert_running()


def test_bystander_is_served_while_wrong_passwords_are_hashed(start_broker, tmp_path, broker_kind):
    """A user hashed with 300,000 PBKDF2 iterations: each wrong password costs a noticeable
    fraction of a second of hashing. A bystander's round trips all complete before the first
    of those CONNECTs is answered: the hash does not run where the engine runs."""
    if broker_kind == "enclave":
        pytest.skip("the module is single-threaded: a password hash holds up its other clients "
                    "(docs/architecture.md, 'Passwords in the enclave')")
    passwords = tmp_path / "passwords"
    subprocess.run([attestmq_binary(), "passwd", "-c", "-b", "-I", "300000", str(passwords),
                    "alice", "secret"], check=True, timeout=60)
    # Anonymous clients are still allowed. The hashes run one after another at a low priority
    # (one worker on two cores): give them time, so that only the order is under test.
    broker = start_broker(password_file=passwords, connect_timeout=120)
    bystander = wire.RawClient(broker.port)
    assert bystander.connect("bystander").reason == 0
    attackers = []
    for n, user in enumerate(["alice", "alice", "mallory", "alice"]):
        attacker = wire.RawClient(broker.port)
        attacker.send(wire.connect(f"attacker-{n}", username=user, password="wrong"))
        attackers.append(attacker)
    for n in range(5):
        round_trip(bystander)
        answered = select.select([a.sock for a in attackers], [], [], 0)[0]
        assert not answered, f"a wrong-password CONNECT was answered before round trip {n + 1}"
    for attacker in attackers:
        assert attacker.recv_kind(wire.CONNACK, timeout=120).reason == BAD_USER_NAME_OR_PASSWORD
    good = wire.RawClient(broker.port)
    assert good.connect("alice-1", username="alice", password="secret").reason == 0
    broker.assert_running()


def test_largest_filters_cannot_grow_the_broker_past_the_quota(start_broker):
    """One client sends 60 subscriptions with the largest filters it may send (200 levels,
    about 60 KB each); max_subscriptions_per_client 20 keeps 20 of them, and the broker grows
    by less than 20 x the per-subscription bound of docs/configuration.md."""
    quota = 20
    broker = start_broker(max_subscriptions_per_client=quota)
    bystander = wire.RawClient(broker.port)
    assert bystander.connect("bystander").reason == 0
    before = rss_kib(broker.process.pid)
    client = wire.RawClient(broker.port)
    assert client.connect("filters").reason == 0
    granted = 0
    for n in range(60):
        levels = [f"{n:03d}" + "x" * 296] + ["y" * 299] * 199  # 200 levels, 59,999 bytes
        codes = client.subscribe([("/".join(levels), 0)], packet_id=n + 1)
        granted += codes == [0]
        round_trip(bystander)
    assert granted == quota
    # Per subscription: the filter kept twice (session and trie) plus a trie node per level.
    per_subscription_kib = (2 * 65536 + 200 * 640) // 1024
    grown = rss_kib(broker.process.pid) - before
    bound = quota * per_subscription_kib * memory_bound_factor(broker.process.pid)
    assert grown < bound, f"grew by {grown} KiB"
    broker.assert_running()
