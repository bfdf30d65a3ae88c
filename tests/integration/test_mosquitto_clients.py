"""Debian's mosquitto_pub / mosquitto_sub as independent peers, MQTT 3.1.1 and 5.0."""
import queue
import signal
import subprocess
import threading
import time

import pytest

VERSIONS = ["311", "5"]
TIMEOUT_S = 15.0
# One message per line, recognisable among mosquitto_sub's -d debug lines.
FORMAT = "MSG|%t|%q|%r|%p"


class MosquittoSub:
    """A running mosquitto_sub whose received messages are read as (topic, qos, retain, payload)."""

    def __init__(self, port, topics, *extra, wait_subscribed=True):
        # stdbuf: mosquitto_sub block-buffers stdout on a pipe; lines must arrive as they happen.
        args = ["stdbuf", "-oL", "mosquitto_sub", "-h", "127.0.0.1", "-p", str(port),
                "-d", "-F", FORMAT]
        for topic in topics:
            args += ["-t", topic]
        self.process = subprocess.Popen(args + list(extra), stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        self.log = []
        self.messages = queue.Queue()
        self._subscribed = threading.Event()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        if wait_subscribed:
            assert self._subscribed.wait(TIMEOUT_S), f"mosquitto_sub got no SUBACK: {self.log}"

    def _read(self):
        for line in self.process.stdout:
            line = line.rstrip("\n")
            self.log.append(line)
            if line.startswith("Subscribed (mid"):
                self._subscribed.set()
            elif line.startswith("MSG|"):
                _, topic, qos, retain, payload = line.split("|", 4)
                self.messages.put((topic, int(qos), retain == "1", payload))

    def next(self, timeout=TIMEOUT_S):
        try:
            return self.messages.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"mosquitto_sub got no message in {timeout} s: {self.log}")

    def until(self, marker_payload):
        """Messages received before the one whose payload is `marker_payload`."""
        received = []
        while (message := self.next())[3] != marker_payload:
            received.append(message)
        return received

    def wait_exit(self):
        code = self.process.wait(TIMEOUT_S)
        self._reader.join(TIMEOUT_S)
        return code

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(TIMEOUT_S / 3)
            except subprocess.TimeoutExpired:
                self.process.kill()  # the client is not under test: do not hang on it
                self.process.wait(TIMEOUT_S)


@pytest.fixture
def subscribers():
    """Start MosquittoSub instances and stop them at the end of the test."""
    started = []

    def start(port, topics, *extra, **kwargs):
        started.append(MosquittoSub(port, topics, *extra, **kwargs))
        return started[-1]

    yield start
    for sub in started:
        sub.stop()


def pub(port, topic, *args):
    """One mosquitto_pub run. With -q 1 or 2 it returns only once the broker has routed the
    message, which orders it before anything published afterwards on another connection."""
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(port), "-t", topic, *args],
                   check=True, timeout=TIMEOUT_S)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_qos_end_to_end(broker, subscribers, version, qos):
    # MQTT 5.0 section 3.8.4: delivered QoS is the minimum of publish and subscription QoS.
    sub = subscribers(broker.port, ["e2e/t"], "-V", version, "-q", str(qos))
    # One connection (-l: a message per stdin line), so the order is defined (section 4.6).
    subprocess.run(["mosquitto_pub", "-h", "127.0.0.1", "-p", str(broker.port), "-t", "e2e/t",
                    "-V", version, "-q", str(qos), "-l"], input="m0\nm1\nm2\n", text=True,
                   check=True, timeout=TIMEOUT_S)
    assert [sub.next() for _ in range(3)] == [("e2e/t", qos, False, f"m{n}") for n in range(3)]


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_message_reaches_later_subscriber_until_cleared(broker, subscribers, version):
    pub(broker.port, "ret/t", "-V", version, "-r", "-q", "1", "-m", "kept")
    late = subscribers(broker.port, ["ret/t"], "-V", version, "-q", "1")
    # MQTT 5.0 section 3.3.1.3: a retained message sent on subscription has RETAIN set.
    assert late.next() == ("ret/t", 1, True, "kept")

    # Section 3.3.1.3: a retained PUBLISH with an empty payload removes the retained message.
    pub(broker.port, "ret/t", "-V", version, "-r", "-n", "-q", "1")
    cleared = subscribers(broker.port, ["ret/t"], "-V", version)
    pub(broker.port, "ret/t", "-V", version, "-m", "marker")
    assert cleared.next() == ("ret/t", 0, False, "marker")


@pytest.mark.parametrize("version", VERSIONS)
def test_will_published_when_client_is_killed(broker, subscribers, version):
    watcher = subscribers(broker.port, ["will/t"], "-V", version, "-q", "1")
    doomed = subscribers(broker.port, ["will/ignored"], "-V", version, "--will-topic", "will/t",
                         "--will-payload", "gone", "--will-qos", "1")
    # MQTT 5.0 section 3.1.2.5: the Will Message is published when the Network Connection
    # closes without a DISCONNECT (SIGKILL leaves the kernel to close the socket).
    doomed.process.send_signal(signal.SIGKILL)
    assert watcher.next() == ("will/t", 1, False, "gone")


@pytest.mark.parametrize("version", VERSIONS)
def test_count_option_exits_after_exactly_c_messages(broker, subscribers, version):
    sub = subscribers(broker.port, ["count/t"], "-V", version, "-q", "1", "-C", "5")
    for n in range(7):
        pub(broker.port, "count/t", "-V", version, "-q", "1", "-m", f"c{n}")
    assert sub.wait_exit() == 0
    assert [m[3] for m in list(sub.messages.queue)] == [f"c{n}" for n in range(5)]


@pytest.mark.parametrize("version", VERSIONS)
def test_single_and_multi_level_wildcards(broker, subscribers, version):
    plus = subscribers(broker.port, ["wild/+/c"], "-V", version)
    hash_ = subscribers(broker.port, ["wild/#"], "-V", version)
    for topic in ["wild/b/c", "wild/b/d", "wild/x/c", "other/b/c", "wild", "wild/b/c/d"]:
        pub(broker.port, topic, "-V", version, "-q", "1", "-m", topic)
    pub(broker.port, "wild/end/c", "-V", version, "-q", "1", "-m", "marker")
    # MQTT 5.0 section 4.7.1.3: "+" matches exactly one level.
    assert {m[0] for m in plus.until("marker")} == {"wild/b/c", "wild/x/c"}
    # Section 4.7.1.2: "#" matches the parent level too ("wild/#" matches "wild").
    assert {m[0] for m in hash_.until("marker")} == {
        "wild/b/c", "wild/b/d", "wild/x/c", "wild", "wild/b/c/d"}


def test_sys_topics_published_but_not_matched_by_hash(start_broker, subscribers):
    broker = start_broker(sys_interval=1)
    version = subscribers(broker.port, ["$SYS/broker/version"], "-C", "1")
    assert version.wait_exit() == 0
    assert version.next()[3].strip()

    everything = subscribers(broker.port, ["#"])
    uptime = subscribers(broker.port, ["$SYS/broker/uptime"])
    # Two periodic updates prove $SYS messages were published while "#" was subscribed.
    start = time.monotonic()
    uptime.next()
    uptime.next()
    assert time.monotonic() - start < 5
    pub(broker.port, "sys/marker", "-m", "marker")
    # MQTT 5.0 section 4.7.2: a filter starting with a wildcard does not match "$" topics.
    assert everything.until("marker") == []



@pytest.mark.parametrize("version", VERSIONS)
def test_persistent_session_gets_messages_published_while_away(broker, subscribers, version):
    # -c: clean session 0 (3.1.1) / clean start 0 (5.0, with -x: a Session Expiry Interval).
    session = ["-V", version, "-q", "1", "-i", "away", "-c"] + (["-x", "300"] if version == "5"
                                                                  else [])
    first = subscribers(broker.port, ["away/t"], *session)
    first.stop()
    for n in range(3):
        pub(broker.port, "away/t", "-V", version, "-q", "1", "-m", f"a{n}")
    # MQTT 3.1.1 section 3.1.2.4 / 5.0 section 4.1: the session keeps subscriptions and
    # queues QoS 1 messages for the absent client.
    # The queued messages may arrive before the SUBACK, after which -C 3 exits.
    back = subscribers(broker.port, ["away/t"], *session, "-C", "3", wait_subscribed=False)
    assert [back.next()[3] for _ in range(3)] == ["a0", "a1", "a2"]
