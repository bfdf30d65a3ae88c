"""SIGTERM with a subscriber far behind on its messages: the broker's graceful stop writes
everything still queued for it, then DISCONNECT 0x8B Server shutting down (MQTT 5.0 section
3.14.2.1), then closes cleanly, instead of losing the tail to a close that cannot wait."""
import signal
import socket

import pytest

import mqtt_wire as wire

MESSAGES = 1024
PAYLOAD = b"p" * 8192  # 8 MiB in all: far more than the socket buffers hold
SERVER_SHUTTING_DOWN = 0x8B


def test_sigterm_delivers_the_goodbye_behind_unread_messages(start_broker, broker_kind, request):
    if broker_kind == "mosquitto":
        request.node.add_marker(pytest.mark.xfail(
            reason="mosquitto 2.0.11 delivered 506 of the 1,024 messages here", strict=True))
        broker = start_broker(max_queued_messages=0)
    else:
        broker = start_broker(max_client_output_bytes=64 * 1024 * 1024)
    subscriber = wire.RawClient(broker.port)
    # Fixed and small, so the broker has to keep most of the backlog itself.
    subscriber.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
    assert subscriber.connect("slow-reader").reason == 0
    assert subscriber.subscribe([("bulk", 0)]) == [0]
    publisher = wire.RawClient(broker.port)
    assert publisher.connect("bulk-publisher").reason == 0
    publisher.send(b"".join(wire.publish("bulk", PAYLOAD) for _ in range(MESSAGES)))
    publisher.send(wire.PINGREQ_PACKET)  # answered after every PUBLISH before it was routed
    assert publisher.recv_kind(wire.PINGRESP) is not None

    broker.process.send_signal(signal.SIGTERM)
    received = 0
    while (packet := subscriber.recv()) is not None and packet.kind == wire.PUBLISH:
        received += 1
    assert received == MESSAGES
    assert packet is not None and packet.kind == wire.DISCONNECT
    assert packet.reason == SERVER_SHUTTING_DOWN
    assert subscriber.recv() is None  # a clean EOF
    subscriber.close()
    publisher.close()
    # The stop this test asked for completes on its own (a sanitized build takes a while to
    # exit); the fixture must not send a second SIGTERM into it.
    assert broker.process.wait(timeout=60) == 0, broker.output()
