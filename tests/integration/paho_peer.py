"""A thin synchronous wrapper over Debian's paho-mqtt 1.6 client for MQTT 5.0 tests.

Every wait has a timeout; received messages land in a queue the test reads in order.
"""
import queue
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions

TIMEOUT_S = 15.0


def props(packet_type, **values):
    """paho Properties for `packet_type` (e.g. PacketTypes.PUBLISH) with the given fields."""
    result = Properties(packet_type)
    for name, value in values.items():
        setattr(result, name, value)
    return result


class V5Client:
    """A connected paho MQTT 5.0 client running its network loop in a thread."""

    def __init__(self, port, client_id, clean_start=True, keepalive=60, **connect_props):
        self.client = mqtt.Client(client_id, protocol=mqtt.MQTTv5, reconnect_on_failure=False)
        self.messages = queue.Queue()
        self.disconnect_reason = None
        self._connack = queue.Queue()
        self._subacks = {}
        self._disconnected = threading.Event()
        self.client.on_connect = self._on_connect
        self.client.on_message = lambda client, userdata, message: self.messages.put(message)
        self.client.on_subscribe = self._on_subscribe
        self.client.on_disconnect = self._on_disconnect
        properties = props(PacketTypes.CONNECT, **connect_props) if connect_props else None
        self.client.connect("127.0.0.1", port, keepalive, clean_start=clean_start,
                            properties=properties)
        self.client.loop_start()
        try:
            self.session_present, self.connack_reason, self.connack_props = self._connack.get(
                timeout=TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"{client_id}: no CONNACK in {TIMEOUT_S} s")
        assert self.connack_reason == 0, f"{client_id}: CONNACK {self.connack_reason}"

    def _on_connect(self, client, userdata, flags, reason, properties):
        self._connack.put((bool(flags["session present"]), reason.value, properties))

    def _on_subscribe(self, client, userdata, mid, reasons, properties):
        self._subacks.setdefault(mid, queue.Queue()).put([r.value for r in reasons])

    def _on_disconnect(self, client, userdata, reason, properties=None):
        self.disconnect_reason = getattr(reason, "value", reason)
        self._disconnected.set()

    def subscribe(self, topic, qos=1, no_local=False, retain_as_published=False,
                  retain_handling=0, subscription_id=None):
        """Subscribe and wait for the SUBACK; returns its reason codes."""
        options = SubscribeOptions(qos=qos, noLocal=no_local,
                                   retainAsPublished=retain_as_published,
                                   retainHandling=retain_handling)
        properties = None
        if subscription_id is not None:
            properties = props(PacketTypes.SUBSCRIBE, SubscriptionIdentifier=subscription_id)
        result, mid = self.client.subscribe(topic, options=options, properties=properties)
        assert result == mqtt.MQTT_ERR_SUCCESS
        try:
            return self._subacks.setdefault(mid, queue.Queue()).get(timeout=TIMEOUT_S)
        except queue.Empty:
            raise AssertionError(f"no SUBACK for {topic} in {TIMEOUT_S} s")

    def publish(self, topic, payload, qos=1, retain=False, **publish_props):
        """Publish and wait until the broker acknowledged it (QoS 1/2) or it was sent."""
        properties = props(PacketTypes.PUBLISH, **publish_props) if publish_props else None
        info = self.client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        info.wait_for_publish(TIMEOUT_S)
        assert info.is_published(), f"publish to {topic!r} not completed in {TIMEOUT_S} s"

    def next(self, timeout=TIMEOUT_S):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no message in {timeout} s")

    def until(self, marker_payload):
        """Messages received before the first one whose payload is `marker_payload`."""
        received = []
        while (message := self.next()).payload != marker_payload:
            received.append(message)
        return received

    def wait_disconnected(self, timeout=TIMEOUT_S):
        assert self._disconnected.wait(timeout), f"still connected after {timeout} s"
        return self.disconnect_reason

    def disconnect(self):
        """Normal DISCONNECT (reason 0x00), then stop the network loop."""
        if not self._disconnected.is_set():
            self.client.disconnect()
            self.wait_disconnected()
        self.client.loop_stop()
