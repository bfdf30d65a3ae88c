"""Issue #7 against the real broker process, with raw sockets and Debian's mosquitto clients:
read access on session resume, Receive Maximum on resume, take-over wills, will size, the
topic level limit, MQTT 3.1, max_keepalive, and the Mosquitto options users carry over. Each
runs on Debian's mosquitto too (--broker mosquitto), where it documents the reference."""
import subprocess

import pytest

import mqtt_wire as wire
from mqtt_wire import RawClient

NOT_AUTHORIZED, TOPIC_FILTER_INVALID, TOPIC_NAME_INVALID = 0x87, 0x8F, 0x90
PACKET_TOO_LARGE = 0x95
IDENTIFIER_REJECTED, NOT_AUTHORIZED_311 = 2, 5
SESSION = [(wire.SESSION_EXPIRY_INTERVAL, 3600)]

ACL = """\
user alice
topic read secret/#
user bob
topic read public/#
user writer
topic write #
"""


@pytest.fixture
def acl_path(readable_file):
    return readable_file("broker.acl", ACL)


def publishes(client, seconds=0.5):
    """Every PUBLISH that arrives until `seconds` pass without a packet."""
    got = []
    while True:
        try:
            pkt = client.recv(seconds)
        except TimeoutError:
            return got
        if pkt is None:
            return got
        if pkt.kind == wire.PUBLISH:
            got.append(pkt)


def test_resumed_session_hands_nothing_to_a_user_who_may_not_read_it(start_broker, acl_path):
    broker = start_broker(acl_file=acl_path)
    alice = RawClient(broker.port)
    assert alice.connect("box", clean=False, props=SESSION, username="alice").reason == 0
    assert alice.subscribe([("secret/#", 1)]) == [1]
    alice.send(wire.disconnect())
    alice.close()
    writer = RawClient(broker.port)
    assert writer.connect("w", username="writer").reason == 0
    writer.send(wire.publish("secret/plans", b"attack at dawn", 1, 1))
    writer.recv_kind(wire.PUBACK)

    bob = RawClient(broker.port)
    connack = bob.connect("box", clean=False, props=SESSION, username="bob")
    assert connack.reason == 0 and connack.session_present
    assert publishes(bob) == []
    bob.close()
    again = RawClient(broker.port)
    again.connect("box", clean=False, props=SESSION, username="alice")
    assert [p.payload for p in publishes(again)] == [], "Bob's resumption dropped it for good"


def test_use_username_as_clientid_keeps_users_apart(start_broker, acl_path):
    broker = start_broker(acl_file=acl_path, use_username_as_clientid="true")
    alice = RawClient(broker.port)
    assert alice.connect("box", clean=False, props=SESSION, username="alice").reason == 0
    alice.subscribe([("secret/#", 1)])
    alice.send(wire.disconnect())
    bob = RawClient(broker.port)
    assert not bob.connect("box", clean=False, props=SESSION, username="bob").session_present
    anonymous = RawClient(broker.port)
    assert anonymous.connect("box").reason == NOT_AUTHORIZED


def test_receive_maximum_bounds_the_resent_window(start_broker, mosquitto_deviates):
    mosquitto_deviates("resends every in-flight message on resume (MQTT-3.3.4-9)")
    broker = start_broker()
    sub = RawClient(broker.port)
    sub.connect("sub", clean=False, props=SESSION)
    sub.subscribe([("t", 1)])
    pub = RawClient(broker.port)
    pub.connect("pub")
    for n in range(10):
        pub.send(wire.publish("t", str(n).encode(), 1, n + 1))
    assert len(publishes(sub)) == 10
    sub.close()  # nothing acknowledged

    sub = RawClient(broker.port)
    connack = sub.connect("sub", clean=False, props=SESSION + [(wire.RECEIVE_MAXIMUM, 2)])
    assert connack.session_present
    seen = []
    for _ in range(6):
        batch = publishes(sub, 0.3)
        assert len(batch) <= 2, f"{len(batch)} PUBLISH outstanding with Receive Maximum 2"
        for pkt in batch:
            seen.append(pkt.payload.decode())
            sub.send(wire.ack(wire.PUBACK, pkt.packet_id))
    assert seen == [str(n) for n in range(10)]


@pytest.mark.parametrize("clean", [False, True], ids=["continued", "clean-start"])
def test_take_over_publishes_the_will_only_when_the_session_ends(start_broker, clean):
    broker = start_broker()
    watcher = RawClient(broker.port)
    watcher.connect("watcher")
    watcher.subscribe([("wills/#", 0)])
    first = RawClient(broker.port)
    first.connect("dev", clean=False, props=SESSION, will=("wills/dev", "gone", 0, False, None))
    second = RawClient(broker.port)
    second.connect("dev", clean=clean, props=SESSION)
    assert [p.topic for p in publishes(watcher)] == (["wills/dev"] if clean else [])


@pytest.mark.parametrize("version", [wire.MQTT_311, wire.MQTT_5], ids=["v311", "v5"])
def test_will_above_message_size_limit_is_refused(start_broker, version):
    broker = start_broker(message_size_limit=10)
    client = RawClient(broker.port, version)
    connack = client.connect("c", will=("w", "eleven byte", 0, False, None))
    assert connack.reason == (PACKET_TOO_LARGE if version == wire.MQTT_5 else NOT_AUTHORIZED_311)


def test_topic_deeper_than_200_levels_is_refused(start_broker, mosquitto_deviates):
    mosquitto_deviates("2.0.11 grants a filter of 201 levels")
    broker = start_broker()
    client = RawClient(broker.port)
    client.connect("deep")
    deep = "/".join(["l"] * 201)
    assert client.subscribe([("/".join(["l"] * 200), 0), (deep, 0)]) == [0, TOPIC_FILTER_INVALID]
    client.send(wire.publish(deep, b"x"))
    pkt = client.recv()
    # Mosquitto closes without a reason code; AttestMQ says why (section 2.4, 0x90).
    assert pkt is None or (pkt.kind == wire.DISCONNECT and pkt.reason == TOPIC_NAME_INVALID)
    assert client.recv() is None


def mosquitto_client(tool, port, *arguments):
    return subprocess.run([tool, "-h", "127.0.0.1", "-p", str(port), *arguments],
                          capture_output=True, text=True, timeout=15)


def test_mqtt31_clients_are_served(start_broker):
    """Debian's mosquitto_pub and mosquitto_sub speaking MQTT 3.1 (MQIsdp): a retained
    message published by one is received by the other."""
    broker = start_broker()
    published = mosquitto_client("mosquitto_pub", broker.port, "-V", "mqttv31", "-i",
                                 "legacy-pub", "-t", "legacy/1", "-m", "hello", "-r", "-q", "1")
    assert published.returncode == 0, published.stderr
    received = mosquitto_client("mosquitto_sub", broker.port, "-V", "mqttv31", "-i",
                                "legacy-sub", "-t", "legacy/#", "-C", "1", "-W", "10")
    assert received.returncode == 0, received.stderr
    assert received.stdout.strip() == "hello"


def test_mqtt31_client_identifier_is_1_to_23_characters(start_broker, mosquitto_deviates):
    mosquitto_deviates("2.0.11 accepts a 3.1 client identifier of 24 characters (MQTT V3.1 section 3.1)")
    broker = start_broker()
    too_long = RawClient(broker.port, wire.MQTT_311)
    assert too_long.connect("a" * 24, mqtt31=True).reason == IDENTIFIER_REJECTED
    fits = RawClient(broker.port, wire.MQTT_311)
    assert fits.connect("a" * 23, mqtt31=True).reason == 0


def test_max_keepalive_refuses_311_and_31_clients_above_it(start_broker, mosquitto_deviates):
    mosquitto_deviates("2.0.11 accepts a 3.1.1 keepalive above max_keepalive; its manual and "
                       "later releases refuse it with return code 2")
    broker = start_broker(max_keepalive=60)
    for version in ("mqttv311", "mqttv31"):
        result = mosquitto_client("mosquitto_pub", broker.port, "-V", version, "-k", "120",
                                  "-t", "t", "-m", "x")
        assert result.returncode != 0
        assert "identifier rejected" in result.stderr.lower(), result.stderr
    assert mosquitto_client("mosquitto_pub", broker.port, "-V", "mqttv311", "-k", "60",
                            "-t", "t", "-m", "x").returncode == 0


def test_upgrade_outgoing_qos(start_broker):
    broker = start_broker(upgrade_outgoing_qos="true")
    sub = RawClient(broker.port)
    sub.connect("sub")
    sub.subscribe([("t", 2)])
    pub = RawClient(broker.port)
    pub.connect("pub")
    pub.send(wire.publish("t", b"x", 0))
    assert sub.recv_kind(wire.PUBLISH).qos == 2


def test_max_inflight_bytes(start_broker):
    broker = start_broker(max_inflight_bytes=100)
    sub = RawClient(broker.port)
    sub.connect("sub")
    sub.subscribe([("t", 1)])
    pub = RawClient(broker.port)
    pub.connect("pub")
    for n in range(5):
        pub.send(wire.publish("t", b"a" * 40, 1, n + 1))
    first = publishes(sub)
    assert len(first) == 3, "another goes out while below 100 bytes: at 0, 40 and 80"
    sub.send(wire.ack(wire.PUBACK, first[0].packet_id))
    assert len(publishes(sub)) == 1
