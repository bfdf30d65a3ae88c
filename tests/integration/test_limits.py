"""Limits and hostile input against the real broker process (issue #3, item 3).

Each limit ends, or costs, only the client that hits it, with the reason code MQTT 5.0
section 4.13 prescribes and a log line; everyone else carries on. The options used here
(connect_timeout, max_connection_rate) and the log lines are AttestMQ's own, so these tests
run against AttestMQ only.
"""
import selectors
import socket
import ssl
import time

import pytest

from conftest import ATTESTMQ_BROKERS

import mqtt_wire as wire
from reference_mosquitto import free_port
from tls_pki import make_pki

KEEP_ALIVE_TIMEOUT, RECEIVE_MAXIMUM_EXCEEDED = 0x8D, 0x93
PACKET_TOO_LARGE, QUOTA_EXCEEDED = 0x95, 0x97
HALF_OPEN = 2000
# A fixed header claiming the largest Remaining Length there is (MQTT 5.0 section 1.5.5).
HUGE_PUBLISH_HEADER = bytes([wire.PUBLISH << 4, 0xFF, 0xFF, 0xFF, 0x7F])


@pytest.fixture(autouse=True)
def attestmq_only(broker_kind):
    if broker_kind not in ATTESTMQ_BROKERS:
        pytest.skip("AttestMQ's own options and log lines")


def wait_until(condition, timeout, what):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def memory_kib(pid):
    """(VmSize, VmRSS) of a process, in KiB."""
    fields = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, value = line.partition(":")
            fields[name] = value.split()[0] if value.split() else "0"
    return int(fields["VmSize"]), int(fields["VmRSS"])


def round_trip_s(client, topic, n):
    """Publish QoS 1 to a topic the client subscribes to; seconds until it comes back."""
    started = time.monotonic()
    client.send(wire.publish(topic, f"ping {n}".encode(), 1, n))
    got_ack = got_message = False
    while not (got_ack and got_message):
        pkt = client.recv(5)
        assert pkt is not None, "the normal client was disconnected"
        if pkt.kind == wire.PUBACK:
            got_ack = True
        elif pkt.kind == wire.PUBLISH:
            client.send(wire.ack(wire.PUBACK, pkt.packet_id))
            got_message = True
    return time.monotonic() - started


def test_half_open_connections_are_reaped_while_others_work(many_files, start_broker):
    assert many_files > HALF_OPEN + 200, f"open-file limit {many_files} is too low"
    broker = start_broker(connect_timeout=1, max_connections=-1)
    normal = wire.RawClient(broker.port, wire.MQTT_5)
    assert normal.connect("normal").reason == 0
    assert normal.subscribe([("normal/echo", 1)]) == [1]
    baseline = max(round_trip_s(normal, "normal/echo", n) for n in range(1, 6))

    selector = selectors.DefaultSelector()
    silent = []
    for _ in range(HALF_OPEN):
        sock = socket.create_connection(("127.0.0.1", broker.port), timeout=10)
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
        silent.append(sock)

    # A client arriving now is served at once, although 2,000 connections wait ahead of it.
    started = time.monotonic()
    newcomer = wire.RawClient(broker.port, wire.MQTT_5)
    assert newcomer.connect("newcomer").reason == 0
    assert time.monotonic() - started < max(0.5, 10 * baseline)
    newcomer.send(wire.publish("newcomer/t", b"from the newcomer", 1, 1))
    assert newcomer.recv_kind(wire.PUBACK).packet_id == 1

    # While the broker holds and then reaps them, the normal client keeps its latency.
    latencies = []
    open_count = HALF_OPEN
    deadline = time.monotonic() + 15
    n = 6
    while open_count and time.monotonic() < deadline:
        latencies.append(round_trip_s(normal, "normal/echo", n))
        n = n % 65535 + 1
        for key, _ in selector.select(timeout=0.05):
            try:
                data = key.fileobj.recv(64)
            except ConnectionResetError:
                data = b""
            assert data == b"", "a connection that sent nothing got an answer (CONNACK?)"
            selector.unregister(key.fileobj)
            open_count -= 1
    assert open_count == 0, f"{open_count} of {HALF_OPEN} half-open connections still open"
    assert max(latencies) < max(0.5, 10 * baseline), f"latency under load: {max(latencies):.3f} s"
    for sock in silent:
        sock.close()

    reaped = broker.output().count(" closed: no CONNECT within 1000 ms.")
    assert reaped == HALF_OPEN
    assert round_trip_s(normal, "normal/echo", n) < 1.0
    normal.close()
    newcomer.close()
    broker.assert_running()


def test_max_connection_rate_denies_the_excess(start_broker):
    broker = start_broker(max_connection_rate=2)
    time.sleep(1.1)  # the fixture's startup probe took a token
    started = time.monotonic()
    burst = [socket.create_connection(("127.0.0.1", broker.port), timeout=5) for _ in range(6)]
    elapsed = time.monotonic() - started
    admitted = 0
    for index, sock in enumerate(burst):
        try:
            sock.sendall(wire.connect(f"burst-{index}", version=wire.MQTT_311))
            reply = sock.recv(4)
        except (ConnectionResetError, BrokenPipeError):
            reply = b""
        admitted += reply[:1] == bytes([wire.CONNACK << 4])
        sock.close()
    assert 2 <= admitted <= 2 + int(elapsed * 2) + 1
    assert admitted < 6
    assert "Connection from 127.0.0.1 denied: max_connection_rate (2/s)." in broker.output()
    time.sleep(1.1)
    later = wire.RawClient(broker.port, wire.MQTT_311)
    assert later.connect("later").reason == 0
    later.close()


@pytest.mark.parametrize("version", [wire.MQTT_311, wire.MQTT_5])
def test_huge_length_prefix_over_max_packet_size_ends_at_the_header(start_broker, version):
    broker = start_broker(max_packet_size=1024)
    client = wire.RawClient(broker.port, version)
    assert client.connect("huge").reason == 0
    client.send(HUGE_PUBLISH_HEADER)
    if version == wire.MQTT_5:
        assert client.recv_kind(wire.DISCONNECT).reason == PACKET_TOO_LARGE
    assert client.recv() is None
    assert "Client huge (127.0.0.1:" in broker.output()


def test_huge_length_prefix_is_not_allocated(start_broker):
    """With no max_packet_size, a claimed 256 MiB body costs what actually arrives."""
    broker = start_broker()
    size_before, rss_before = memory_kib(broker.process.pid)
    claimants = []
    for index in range(100):
        client = wire.RawClient(broker.port, wire.MQTT_5)
        assert client.connect(f"claimant-{index}").reason == 0
        client.send(HUGE_PUBLISH_HEADER + b"\x00\x01t" + b"x" * 100)
        claimants.append(client)
    probe = wire.RawClient(broker.port, wire.MQTT_5)
    assert probe.connect("probe").reason == 0  # every claimant's bytes were read by now
    size_after, rss_after = memory_kib(broker.process.pid)
    # Reserving the claimed bodies would take 100 x 256 MiB of address space.
    assert size_after - size_before < 256 * 1024, f"VmSize grew by {size_after - size_before} KiB"
    assert rss_after - rss_before < 64 * 1024, f"VmRSS grew by {rss_after - rss_before} KiB"
    for client in claimants + [probe]:
        client.close()
    broker.assert_running()


def test_dribbled_packet_after_connect_meets_keep_alive(start_broker):
    broker = start_broker()
    client = wire.RawClient(broker.port, wire.MQTT_5)
    assert client.connect("dribble", keepalive=1).reason == 0
    started = time.monotonic()
    data = wire.publish("slow/t", b"one byte at a time")
    disconnect = None
    for byte in data:
        try:
            client.send(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            break
        try:
            disconnect = client.recv(0.4)
            break
        except TimeoutError:
            continue
    # MQTT 5.0 section 3.1.2.10: 1.5 x Keep Alive without a complete packet.
    assert disconnect is not None and disconnect.kind == wire.DISCONNECT
    assert disconnect.reason == KEEP_ALIVE_TIMEOUT
    assert 1.4 < time.monotonic() - started < 3.5
    assert "Client dribble has exceeded timeout, disconnecting." in broker.output()


def test_partial_packet_with_keep_alive_zero_is_bounded(start_broker):
    broker = start_broker(connect_timeout=1)
    client = wire.RawClient(broker.port, wire.MQTT_5)
    assert client.connect("idle", keepalive=0).reason == 0
    client.expect_silence(1.5)  # keep alive 0: silence alone is fine
    data = wire.publish("slow/t", b"never finished")
    client.send(data[:-1])
    disconnect = client.recv_kind(wire.DISCONNECT, timeout=3)
    assert disconnect.reason == QUOTA_EXCEEDED
    assert client.recv() is None
    assert "Client idle (127.0.0.1:" in broker.output()
    assert ") closed: a packet stayed incomplete for 1000 ms" in broker.output()


def test_receive_maximum_exceeded(start_broker):
    broker = start_broker(max_inflight_messages=2)
    client = wire.RawClient(broker.port, wire.MQTT_5)
    assert client.connect("greedy").reason == 0
    for packet_id in (1, 2, 3):  # QoS 2 without PUBREL: each stays unacknowledged
        client.send(wire.publish("greedy/t", b"x", 2, packet_id))
    assert client.recv_kind(wire.PUBREC).packet_id == 1
    assert client.recv_kind(wire.PUBREC).packet_id == 2
    # MQTT 5.0 section 3.3.4: more than Receive Maximum QoS 2 PUBLISH unacknowledged.
    assert client.recv_kind(wire.DISCONNECT).reason == RECEIVE_MAXIMUM_EXCEEDED
    assert client.recv() is None
    assert "Client greedy (127.0.0.1:" in broker.output()


def test_max_queued_messages_drops_for_that_client_only(start_broker):
    broker = start_broker(max_queued_messages=2)
    offline = wire.RawClient(broker.port, wire.MQTT_311)
    assert offline.connect("offline", clean=False).reason == 0
    assert offline.subscribe([("queue/t", 1)]) == [1]
    offline.send(wire.disconnect(wire.MQTT_311))
    offline.close()
    online = wire.RawClient(broker.port, wire.MQTT_311)
    assert online.connect("online").reason == 0
    assert online.subscribe([("queue/t", 1)]) == [1]
    publisher = wire.RawClient(broker.port, wire.MQTT_311)
    assert publisher.connect("publisher").reason == 0
    for packet_id in range(1, 6):
        publisher.send(wire.publish("queue/t", f"m{packet_id}".encode(), 1, packet_id,
                                    version=wire.MQTT_311))
        assert publisher.recv_kind(wire.PUBACK).packet_id == packet_id
    received = []
    for _ in range(5):
        message = online.recv_kind(wire.PUBLISH)
        online.send(wire.ack(wire.PUBACK, message.packet_id))
        received.append(message.payload)
    assert received == [b"m1", b"m2", b"m3", b"m4", b"m5"]
    back = wire.RawClient(broker.port, wire.MQTT_311)
    assert back.connect("offline", clean=False).session_present
    assert [back.recv_kind(wire.PUBLISH).payload for _ in range(2)] == [b"m1", b"m2"]
    back.expect_silence(0.3)
    output = broker.output()
    assert output.count("Outgoing messages are being dropped for client offline "
                        "(max_queued_messages); 1 dropped since the last report.") == 1
    for client in (back, online, publisher):
        client.close()


@pytest.mark.parametrize("transport", ["plain", "tls"])
def test_a_stalled_subscriber_is_served_again_once_it_reads(start_broker, tmp_path, transport):
    """max_client_output_bytes holds back publications to a subscriber that stopped reading
    (its receive window is small, so the broker's backlog grows past the limit). Once it
    reads again the broker must resume: a message published after the backlog drained
    arrives. Over TLS the records are made after the engine call that sent the packets, so
    the host owes the engine its writable then, not only when the socket drains."""
    pki = make_pki(tmp_path / "pki")
    tls_port = free_port()
    broker = start_broker(max_client_output_bytes=16384, listener=f"{tls_port} 127.0.0.1",
                          certfile=pki.server_cert, keyfile=pki.server_key)
    stream = socket.socket()
    stream.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    stream.connect(("127.0.0.1", tls_port if transport == "tls" else broker.port))
    if transport == "tls":
        stream = ssl.create_default_context(cafile=str(pki.ca)).wrap_socket(
            stream, server_hostname="localhost")
    subscriber = wire.RawClient(broker.port, sock=stream)
    assert subscriber.connect("stalled").reason == 0
    assert subscriber.subscribe([("flood/#", 0)]) == [0]

    publisher = wire.RawClient(broker.port)
    assert publisher.connect("flooder").reason == 0
    flood = wire.publish("flood/bulk", b"x" * 1024)
    published = 20000  # 20 MB: far past the limit and whatever the kernel buffers
    publisher.send(flood * published)
    publisher.send(wire.PINGREQ_PACKET)
    publisher.recv_kind(wire.PINGRESP)  # the broker has taken every publication in

    received = 0
    try:
        while True:  # read until the broker has nothing more for us
            packet = subscriber.recv(timeout=1.0)
            assert packet is not None, "the broker closed the stalled subscriber"
            received += 1
    except TimeoutError:
        pass
    assert 0 < received < published, "the limit never held anything back"

    publisher.send(wire.publish("flood/marker", b"after the backlog"))
    packet = subscriber.recv(timeout=10.0)
    assert packet is not None and packet.body.endswith(b"after the backlog"), \
        "the broker did not resume sending to a subscriber that read its backlog"
    subscriber.close()
    publisher.close()
