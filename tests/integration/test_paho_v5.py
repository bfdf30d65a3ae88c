"""MQTT 5.0 features end to end, with Debian's paho-mqtt 1.6 as the independent peer.

Where a test must withhold acknowledgements or drop a connection without DISCONNECT, the peer
is the raw-socket client of mqtt_wire instead, since paho hides those details.
"""
import time

import pytest

import mqtt_wire as wire
from conftest import wait_for
from paho_peer import V5Client

PAHO_TIMEOUT_S = 15.0


@pytest.fixture
def clients(start_broker):
    """Factory for connected V5Client peers, disconnected before the broker stops."""
    made = []

    def make(port, client_id, **kwargs):
        made.append(V5Client(port, client_id, **kwargs))
        return made[-1]

    yield make
    for client in made:
        client.disconnect()


@pytest.fixture
def raw_clients(start_broker):
    made = []

    def make(port, version=wire.MQTT_5):
        made.append(wire.RawClient(port, version))
        return made[-1]

    yield make
    for client in made:
        client.close()


def park_session(port, client_id, topic_filter):
    """Leave a persistent session subscribed to `topic_filter` (QoS 1) with no connection.

    The broker closing the socket after our DISCONNECT proves it has processed it, so
    messages published afterwards are queued rather than sent on the old connection.
    """
    client = wire.RawClient(port)
    client.connect(client_id, props=[(wire.SESSION_EXPIRY_INTERVAL, 300)])
    assert client.subscribe([(topic_filter, 1)]) == [1]
    client.send(wire.disconnect())
    assert client.recv() is None, "broker kept the connection open after DISCONNECT"
    client.close()


def test_topic_alias_set_then_used_with_empty_topic(start_broker, clients):
    broker = start_broker(max_topic_alias=5)
    sub = clients(broker.port, "alias-sub")
    sub.subscribe("alias/t")
    pub = clients(broker.port, "alias-pub")
    # MQTT 5.0 section 3.2.2.3.8: the broker announces how many aliases it accepts.
    assert pub.connack_props.TopicAliasMaximum == 5
    # Section 3.3.2.3.4: a PUBLISH with a topic and an alias sets the mapping; a later one
    # with an empty topic and the alias uses it.
    pub.publish("alias/t", b"first", TopicAlias=1)
    pub.publish("", b"second", TopicAlias=1)
    assert [(m.topic, m.payload) for m in (sub.next(), sub.next())] == [
        ("alias/t", b"first"), ("alias/t", b"second")]


def test_aliases_chosen_by_broker_resolve_to_the_right_topics(broker, clients, raw_clients):
    sub = raw_clients(broker.port)
    sub.connect("alias-in", props=[(wire.TOPIC_ALIAS_MAXIMUM, 2)])
    sub.subscribe([("aliases/#", 0)])
    pub = clients(broker.port, "alias-out")
    topics = ["aliases/a", "aliases/b", "aliases/c", "aliases/a", "aliases/b", "aliases/a"]
    for topic in topics:
        pub.publish(topic, topic.encode())
    # MQTT 5.0 section 3.3.2.3.4: the broker MAY use aliases up to the client's Topic Alias
    # Maximum; a topic with an alias sets the mapping, an empty topic uses it.
    mapping = {}
    for expected in topics:
        packet = sub.recv_kind(wire.PUBLISH)
        alias = packet.prop(wire.TOPIC_ALIAS)
        if alias is not None:
            assert 1 <= alias <= 2
            if packet.topic:
                mapping[alias] = packet.topic
        resolved = packet.topic or mapping[alias]
        assert (resolved, packet.payload) == (expected, expected.encode())


def test_shared_subscription_splits_messages_and_fails_over(broker, clients):
    members = [clients(broker.port, f"share-{n}") for n in range(2)]
    for member in members:
        member.subscribe("$share/g/share/t")
    pub = clients(broker.port, "share-pub")
    for n in range(20):
        pub.publish("share/t", f"{n}".encode())

    # MQTT 5.0 section 4.8.2: each message goes to exactly one member of the group.
    wait_for(lambda: sum(m.messages.qsize() for m in members) >= 20, PAHO_TIMEOUT_S,
             "20 deliveries to the group")
    shares = [[m.next().payload for _ in range(m.messages.qsize())] for m in members]
    assert sorted(shares[0] + shares[1]) == sorted(f"{n}".encode() for n in range(20))
    assert all(len(share) >= 5 for share in shares), f"unbalanced: {list(map(len, shares))}"

    # A member that leaves gets nothing more; the rest of the group gets everything.
    members[0].disconnect()
    # Reusing the client id without the subscription proves the member has left the group.
    clients(broker.port, "share-0")
    for n in range(10):
        pub.publish("share/t", f"after-{n}".encode())
    pub.publish("share/t", b"marker")
    assert [m.payload for m in members[1].until(b"marker")] == [
        f"after-{n}".encode() for n in range(10)]


def test_message_expires_while_queued_for_offline_session(broker, clients):
    park_session(broker.port, "expiry-sub", "expiry/t")
    pub = clients(broker.port, "expiry-pub")
    pub.publish("expiry/t", b"short", MessageExpiryInterval=1)
    pub.publish("expiry/t", b"long", MessageExpiryInterval=60)
    time.sleep(2.5)  # the point of the test: let the short expiry interval run out

    back = clients(broker.port, "expiry-sub", clean_start=False, SessionExpiryInterval=300)
    assert back.session_present
    message = back.next()
    # MQTT 5.0 section 3.3.2.3.3: an expired message is not delivered, and the interval
    # forwarded is the received one minus the time the message waited.
    assert message.payload == b"long"
    assert message.properties.MessageExpiryInterval <= 58


def test_session_expires_after_its_interval(broker, clients):
    for client_id in ("kept", "expired"):
        client = clients(broker.port, client_id, SessionExpiryInterval=2)
        client.subscribe("session/t")
        client.disconnect()
    # MQTT 5.0 section 3.1.2.11.2: within the interval the session is still there.
    assert clients(broker.port, "kept", clean_start=False,
                   SessionExpiryInterval=0).session_present
    time.sleep(3)  # the point of the test: outlive the 2 s session expiry interval
    assert not clients(broker.port, "expired", clean_start=False).session_present


@pytest.mark.parametrize("limit", ["receive_maximum", "max_inflight_messages"])
def test_unacknowledged_qos1_window(start_broker, clients, raw_clients, limit):
    # MQTT 5.0 section 4.9: no more than the client's Receive Maximum unacknowledged QoS 1
    # PUBLISH packets; for 3.1.1 clients Mosquitto's max_inflight_messages sets the window.
    if limit == "receive_maximum":
        broker = start_broker()
        sub = raw_clients(broker.port, wire.MQTT_5)
        sub.connect("flow-sub", props=[(wire.RECEIVE_MAXIMUM, 2)])
    else:
        broker = start_broker(max_inflight_messages=2)
        sub = raw_clients(broker.port, wire.MQTT_311)
        sub.connect("flow-sub")
    assert sub.subscribe([("flow/t", 1)]) == [1]
    pub = clients(broker.port, "flow-pub")
    for n in range(6):
        pub.publish("flow/t", f"{n}".encode())

    unacked = [sub.recv_kind(wire.PUBLISH), sub.recv_kind(wire.PUBLISH)]
    sub.expect_silence(1.0)
    received = [p.payload for p in unacked]
    while len(received) < 6:
        sub.send(wire.ack(wire.PUBACK, unacked.pop(0).packet_id))
        unacked.append(sub.recv_kind(wire.PUBLISH))
        received.append(unacked[-1].payload)
    assert received == [f"{n}".encode() for n in range(6)]


def test_max_queued_messages_bounds_offline_queue(start_broker, clients):
    broker = start_broker(max_queued_messages=3)
    park_session(broker.port, "queue-sub", "queue/t")
    pub = clients(broker.port, "queue-pub")
    for n in range(6):
        pub.publish("queue/t", f"{n}".encode())
    back = clients(broker.port, "queue-sub", clean_start=False, SessionExpiryInterval=300)
    pub.publish("queue/t", b"marker")
    # Mosquitto's documented behaviour: messages beyond the limit are dropped.
    assert [m.payload for m in back.until(b"marker")] == [b"0", b"1", b"2"]


def test_subscription_identifiers_on_delivered_messages(broker, clients):
    sub = clients(broker.port, "subid")
    sub.subscribe("subid/+", subscription_id=7)
    sub.subscribe("subid/#", subscription_id=9)
    sub.subscribe("plain/t")
    pub = clients(broker.port, "subid-pub")
    pub.publish("subid/x", b"both")
    pub.publish("plain/t", b"marker")
    # MQTT 5.0 section 3.3.4: overlapping subscriptions give either one message with all
    # identifiers or one message per subscription, each with its own identifier.
    identifiers = set()
    for message in sub.until(b"marker"):
        identifiers.update(message.properties.SubscriptionIdentifier)
    assert identifiers == {7, 9}
    # A subscription made without an identifier delivers none.
    pub.publish("plain/t", b"plain")
    assert not hasattr(sub.next().properties, "SubscriptionIdentifier")


def test_no_local_suppresses_own_messages(broker, clients):
    me = clients(broker.port, "nolocal-me")
    me.subscribe("nolocal/t", no_local=True)
    other = clients(broker.port, "nolocal-other")
    other.subscribe("nolocal/t")
    me.publish("nolocal/t", b"mine")
    other.publish("nolocal/t", b"marker")
    # MQTT 5.0 section 3.8.3.1: with No Local, messages are not forwarded to the publisher.
    assert me.until(b"marker") == []
    assert [m.payload for m in other.until(b"marker")] == [b"mine"]


def test_retain_as_published(broker, clients):
    keeps = clients(broker.port, "rap-keep")
    keeps.subscribe("rap/t", retain_as_published=True)
    clears = clients(broker.port, "rap-clear")
    clears.subscribe("rap/t")
    pub = clients(broker.port, "rap-pub")
    pub.publish("rap/t", b"retained", retain=True)
    # MQTT 5.0 section 3.3.1.3: forwarded with RETAIN as published only if Retain As
    # Published is set; otherwise RETAIN is 0 on live delivery.
    assert keeps.next().retain == 1
    assert clears.next().retain == 0
    pub.publish("rap/t", b"", retain=True)


def test_retain_handling_options(broker, clients):
    pub = clients(broker.port, "rh-pub")
    pub.publish("rh/t", b"retained", retain=True)
    sub = clients(broker.port, "rh-sub")

    # MQTT 5.0 section 3.8.3.1, Retain Handling: 0 = send retained on every subscribe,
    # 1 = only if the subscription did not exist, 2 = never.
    sub.subscribe("rh/t", retain_handling=0)
    assert sub.next().payload == b"retained"
    sub.subscribe("rh/t", retain_handling=0)
    assert sub.next().payload == b"retained"
    sub.subscribe("rh/t", retain_handling=1)
    sub.subscribe("rh/+", retain_handling=1)
    sub.subscribe("rh/#", retain_handling=2)
    pub.publish("rh/marker", b"marker")
    received = sub.until(b"marker")
    assert [(m.payload, m.retain) for m in received] == [(b"retained", 1)]
    pub.publish("rh/t", b"", retain=True)


def test_will_delay_defers_the_will(broker, clients, raw_clients):
    watcher = clients(broker.port, "wd-watch")
    watcher.subscribe("wd/will")
    doomed = raw_clients(broker.port)
    doomed.connect("wd-doomed", props=[(wire.SESSION_EXPIRY_INTERVAL, 30)],
                   will=("wd/will", b"late", 1, False, [(wire.WILL_DELAY_INTERVAL, 2)]))
    doomed.close()
    closed_at = time.monotonic()
    # MQTT 5.0 section 3.1.3.2.2: the Will is published after the Will Delay Interval.
    assert watcher.next().payload == b"late"
    assert time.monotonic() - closed_at >= 1.5


def test_will_delay_cancelled_by_reconnect(broker, clients, raw_clients):
    watcher = clients(broker.port, "wdc-watch")
    watcher.subscribe("wdc/will")
    doomed = raw_clients(broker.port)
    doomed.connect("wdc-client", props=[(wire.SESSION_EXPIRY_INTERVAL, 30)],
                   will=("wdc/will", b"never", 1, False, [(wire.WILL_DELAY_INTERVAL, 2)]))
    doomed.close()
    back = raw_clients(broker.port)
    assert back.connect("wdc-client", clean=False,
                        props=[(wire.SESSION_EXPIRY_INTERVAL, 30)]).session_present
    time.sleep(3)  # the point of the test: outlive the will delay
    # Section 3.1.3.2.2: a new connection to the session before the delay cancels the Will.
    watcher.publish("wdc/will", b"marker")
    assert watcher.until(b"marker") == []
    back.send(wire.disconnect())


def test_application_properties_passed_through(broker, clients):
    sub = clients(broker.port, "props-sub")
    sub.subscribe("props/t")
    pub = clients(broker.port, "props-pub")
    user = [("a", "1"), ("b", "2"), ("a", "3")]
    pub.publish("props/t", "héllo".encode(), UserProperty=user, ResponseTopic="props/reply",
                CorrelationData=b"\x00\x01corr", ContentType="text/plain",
                PayloadFormatIndicator=1)
    received = sub.next().properties
    # MQTT 5.0 section 3.3.2.3: forwarded unaltered; section 3.3.2.3.7: User Property order
    # is maintained.
    assert received.UserProperty == user
    assert received.ResponseTopic == "props/reply"
    assert received.CorrelationData == b"\x00\x01corr"
    assert received.ContentType == "text/plain"
    assert received.PayloadFormatIndicator == 1


def test_server_keep_alive_caps_client_keep_alive(start_broker, raw_clients):
    broker = start_broker(max_keepalive=10)
    client = raw_clients(broker.port)
    connack = client.connect("ka-cap", keepalive=60)
    # MQTT 5.0 section 3.2.2.3.14: the client must use the Server Keep Alive instead.
    assert connack.prop(wire.SERVER_KEEP_ALIVE) == 10


def test_silent_client_disconnected_and_will_published(broker, clients, raw_clients):
    watcher = clients(broker.port, "ka-watch")
    watcher.subscribe("ka/will")
    silent = raw_clients(broker.port)
    silent.connect("ka-silent", keepalive=1, will=("ka/will", b"timeout", 1, False, []))
    connected_at = time.monotonic()
    # MQTT 5.0 section 3.1.2.10: no packet within 1.5 x Keep Alive closes the connection
    # (optionally after DISCONNECT 0x8D, section 4.13), and the Will is published.
    packet = silent.recv(10)
    if packet is not None:
        assert (packet.kind, packet.reason) == (wire.DISCONNECT, 0x8D)
        assert silent.recv(10) is None
    assert 1.0 <= time.monotonic() - connected_at <= 6.0
    assert watcher.next().payload == b"timeout"


def test_broker_maximum_packet_size(start_broker, raw_clients):
    broker = start_broker(max_packet_size=1000)
    client = raw_clients(broker.port)
    # MQTT 5.0 section 3.2.2.3.6: the broker announces its Maximum Packet Size...
    assert client.connect("mps-broker").prop(wire.MAXIMUM_PACKET_SIZE) == 1000
    client.send(wire.publish("mps/t", b"x" * 1500, qos=1, packet_id=1))
    # ...and a larger packet is answered with DISCONNECT 0x95 (section 4.13).
    disconnect = client.recv_kind(wire.DISCONNECT)
    assert disconnect.reason == 0x95
    assert client.recv() is None


def test_client_maximum_packet_size(broker, clients, raw_clients):
    sub = raw_clients(broker.port)
    sub.connect("mps-client", props=[(wire.MAXIMUM_PACKET_SIZE, 200)])
    sub.subscribe([("mps/t", 0)])
    pub = clients(broker.port, "mps-pub")
    pub.publish("mps/t", b"x" * 500)
    pub.publish("mps/t", b"small")
    # MQTT 5.0 section 3.1.2.11.4: a packet over the client's maximum is discarded unsent.
    assert sub.recv_kind(wire.PUBLISH).payload == b"small"


def test_takeover_disconnects_old_connection_with_0x8e(broker, raw_clients,
                                                       mosquitto_deviates):
    mosquitto_deviates("it closes the old connection without DISCONNECT 0x8E")
    first = raw_clients(broker.port)
    first.connect("takeover")
    second = raw_clients(broker.port)
    second.connect("takeover")
    # MQTT 5.0 section 3.1.4: the existing connection gets DISCONNECT 0x8E and is closed.
    assert first.recv_kind(wire.DISCONNECT).reason == 0x8E
    assert first.recv() is None


def test_qos2_delivered_exactly_once(broker, clients, raw_clients):
    sub = clients(broker.port, "qos2-sub")
    sub.subscribe("qos2/t", qos=2)
    pub = clients(broker.port, "qos2-pub")
    for n in range(50):
        pub.publish("qos2/t", f"{n}".encode(), qos=2)

    # A retransmitted PUBLISH (DUP) before PUBREL must not deliver twice (section 4.3.3).
    raw = raw_clients(broker.port)
    raw.connect("qos2-raw")
    for dup in (False, True):
        raw.send(wire.publish("qos2/t", b"once", qos=2, packet_id=7, dup=dup))
        assert raw.recv_kind(wire.PUBREC).packet_id == 7
    raw.send(wire.ack(wire.PUBREL, 7))
    assert raw.recv_kind(wire.PUBCOMP).packet_id == 7
    pub.publish("qos2/t", b"marker", qos=2)

    received = sub.until(b"marker")
    assert [m.payload for m in received] == [f"{n}".encode() for n in range(50)] + [b"once"]
    assert all(m.qos == 2 for m in received)


def test_persistent_session_receives_queued_qos1(broker, clients):
    park_session(broker.port, "persist", "persist/t")
    pub = clients(broker.port, "persist-pub")
    for n in range(5):
        pub.publish("persist/t", f"{n}".encode())
    back = clients(broker.port, "persist", clean_start=False, SessionExpiryInterval=300)
    # MQTT 5.0 section 3.2.2.1.1 and 4.4: the session resumes with its queued messages.
    assert back.session_present
    assert [back.next().payload for _ in range(5)] == [f"{n}".encode() for n in range(5)]
