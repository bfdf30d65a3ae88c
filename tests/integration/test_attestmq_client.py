"""`attestmq pub` and `attestmq sub` against a broker we did not write: Debian's mosquitto.

Self-contained: every test starts its own /usr/sbin/mosquitto on a free 127.0.0.1 port, and
runs the attestmq binary named by $ATTESTMQ_BIN (default build/release/apps/attestmq/attestmq
under the repository root). mosquitto_pub / mosquitto_sub are the reference peers.
"""
import queue
import re
import signal
import subprocess
import threading
import time

import pytest

from reference_mosquitto import TIMEOUT_S, attestmq_binary, free_port

VERSIONS = ["311", "5"]


@pytest.fixture
def mosquitto(start_mosquitto):
    return start_mosquitto()


@pytest.fixture
def attestmq():
    return attestmq_binary()


def run(command, stdin=None):
    return subprocess.run(command, input=stdin, capture_output=True, timeout=TIMEOUT_S)


class Subscriber:
    """A running subscriber process, returned once its SUBACK has been seen (via -d)."""

    def __init__(self, command, ready_marker):
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL)
        self.lines = queue.Queue()
        threading.Thread(target=self._pump, daemon=True).start()
        self.raw = b""  # everything printed after the SUBACK, debug lines included
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            line = self.lines.get(timeout=max(0.01, deadline - time.monotonic()))
            assert line is not None, f"subscriber ended early: {self.process.stderr.read()!r}"
            if ready_marker in line:
                return

    def _pump(self):
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def finish(self):
        """Waits for exit; returns (exit code, payload lines without debug lines, stderr)."""
        code = self.process.wait(TIMEOUT_S)
        lines = []
        while (line := self.lines.get(timeout=TIMEOUT_S)) is not None:
            self.raw += line
            if not line.startswith(b"Client ") and not line.startswith(b"Subscribed"):
                lines.append(line.rstrip(b"\n"))
        return code, lines, self.process.stderr.read()


def attestmq_sub(binary, broker, *args):
    return Subscriber([binary, "sub", "-p", str(broker.port), "-h", "127.0.0.1", "-d", *args],
                      b"received SUBACK")


def mosquitto_sub(broker, *args):
    # stdbuf: mosquitto_sub's debug lines are block-buffered on a pipe.
    return Subscriber(["stdbuf", "-oL", "mosquitto_sub", "-p", str(broker.port), "-h",
                       "127.0.0.1", "-d", *args], b"received SUBACK")


def attestmq_pub(binary, broker, *args, stdin=None):
    return run([binary, "pub", "-p", str(broker.port), "-h", "127.0.0.1", *args], stdin=stdin)


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("qos", [0, 1, 2])
def test_publish_and_receive_at_each_qos(attestmq, mosquitto, version, qos):
    sub = attestmq_sub(attestmq, mosquitto, "-V", version, "-q", str(qos), "-t", "e2e/#",
                       "-C", "1", "-v")
    pub = attestmq_pub(attestmq, mosquitto, "-V", version, "-q", str(qos), "-t", "e2e/t",
                       "-m", "hello world", "-d")
    assert pub.returncode == 0, pub.stderr
    if qos == 1:
        assert b"received PUBACK" in pub.stdout
    if qos == 2:
        assert b"received PUBREC" in pub.stdout and b"received PUBCOMP" in pub.stdout
    code, lines, stderr = sub.finish()
    assert code == 0, stderr
    assert lines == [b"e2e/t hello world"]


@pytest.mark.parametrize("version", VERSIONS)
def test_retained_message_reaches_a_late_subscriber(attestmq, mosquitto, version):
    pub = attestmq_pub(attestmq, mosquitto, "-V", version, "-q", "1", "-r", "-t", "ret/t",
                       "-m", "kept")
    assert pub.returncode == 0, pub.stderr
    late = run([attestmq, "sub", "-p", str(mosquitto.port), "-V", version, "-t", "ret/#",
                "-C", "1", "-v"])
    assert late.returncode == 0, late.stderr
    assert late.stdout == b"ret/t kept\n"
    # -R: stale retained messages are not printed, so nothing arrives before the timeout.
    stale = run([attestmq, "sub", "-p", str(mosquitto.port), "-V", version, "-t", "ret/#",
                 "-R", "-W", "1"])
    assert stale.returncode == 27
    assert stale.stdout == b""


def test_line_mode_publishes_each_line(attestmq, mosquitto):
    sub = attestmq_sub(attestmq, mosquitto, "-t", "lines", "-C", "4", "-q", "1")
    pub = attestmq_pub(attestmq, mosquitto, "-t", "lines", "-l", "-q", "1",
                       stdin=b"one\ntwo\n\nfour")
    assert pub.returncode == 0, pub.stderr
    code, lines, stderr = sub.finish()
    assert code == 0, stderr
    assert lines == [b"one", b"two", b"", b"four"]


def test_count_stops_after_n_messages(attestmq, mosquitto):
    sub = attestmq_sub(attestmq, mosquitto, "-t", "count", "-C", "2", "-q", "1")
    for n in range(3):
        assert attestmq_pub(attestmq, mosquitto, "-t", "count", "-q", "1",
                            "-m", str(n)).returncode == 0
    code, lines, _ = sub.finish()
    assert code == 0
    assert lines == [b"0", b"1"]


def test_timeout_exits_27_like_mosquitto_sub(attestmq, mosquitto):
    started = time.monotonic()
    ours = run([attestmq, "sub", "-p", str(mosquitto.port), "-t", "silence", "-W", "1"])
    assert time.monotonic() - started < 5
    theirs = run(["mosquitto_sub", "-p", str(mosquitto.port), "-t", "silence", "-W", "1"])
    assert ours.returncode == theirs.returncode == 27
    assert b"Timed out" in ours.stderr


def test_output_formats(attestmq, mosquitto):
    plain = attestmq_sub(attestmq, mosquitto, "-t", "fmt/+", "-C", "2")
    verbose = attestmq_sub(attestmq, mosquitto, "-t", "fmt/+", "-C", "2", "-v")
    filtered = attestmq_sub(attestmq, mosquitto, "-t", "fmt/+", "-C", "1", "-v", "-T", "fmt/a")
    assert attestmq_pub(attestmq, mosquitto, "-t", "fmt/a", "-m", "x y").returncode == 0
    assert attestmq_pub(attestmq, mosquitto, "-t", "fmt/b", "-n").returncode == 0
    assert plain.finish()[1] == [b"x y", b""]
    # mosquitto_sub -v prints an empty payload as "(null)".
    assert verbose.finish()[1] == [b"fmt/a x y", b"fmt/b (null)"]
    assert filtered.finish()[1] == [b"fmt/b (null)"]


def test_unsubscribe_and_no_newline(attestmq, mosquitto):
    sub = attestmq_sub(attestmq, mosquitto, "-V", "5", "-t", "keep", "-t", "drop", "-U", "drop",
                       "-C", "2", "-N")
    for topic, payload in (("drop", "x"), ("keep", "a"), ("drop", "y"), ("keep", "b")):
        assert attestmq_pub(attestmq, mosquitto, "-V", "5", "-q", "1", "-t", topic,
                            "-m", payload).returncode == 0
    code, _, stderr = sub.finish()
    assert code == 0, stderr
    assert re.sub(rb"Client \S+ (sending|received) [^\n]*\n", b"", sub.raw) == b"ab"


@pytest.mark.parametrize("version", VERSIONS)
def test_will_is_published_when_the_client_dies(attestmq, mosquitto, version):
    watcher = attestmq_sub(attestmq, mosquitto, "-V", version, "-t", "will/#", "-C", "1", "-v",
                           "-q", "1")
    doomed = attestmq_sub(attestmq, mosquitto, "-V", version, "-t", "anything",
                          "--will-topic", "will/doomed", "--will-payload", "gone",
                          "--will-qos", "1")
    doomed.process.send_signal(signal.SIGKILL)
    doomed.process.wait(TIMEOUT_S)
    code, lines, stderr = watcher.finish()
    assert code == 0, stderr
    assert lines == [b"will/doomed gone"]


def test_interrupted_subscriber_disconnects_cleanly_without_will(attestmq, mosquitto):
    watcher = attestmq_sub(attestmq, mosquitto, "-t", "will/#", "-v", "-W", "2")
    polite = attestmq_sub(attestmq, mosquitto, "-t", "anything", "--will-topic", "will/polite")
    polite.process.send_signal(signal.SIGINT)
    code, _, stderr = polite.finish()
    assert code == 0, stderr
    code, lines, _ = watcher.finish()
    assert code == 27
    assert lines == []


def test_mosquitto_sub_receives_what_attestmq_pub_sends(attestmq, mosquitto):
    sub = mosquitto_sub(mosquitto, "-V", "5", "-t", "cross/#", "-C", "1", "-q", "2",
                        "-F", "%t|%q|%r|%P|%E|%p")
    pub = attestmq_pub(attestmq, mosquitto, "-V", "5", "-q", "2", "-t", "cross/ours",
                       "-m", "from attestmq", "-D", "publish", "user-property", "origin", "us",
                       "-D", "publish", "message-expiry-interval", "3600")
    assert pub.returncode == 0, pub.stderr
    code, lines, stderr = sub.finish()
    assert code == 0, stderr
    topic, qos, retain, user_property, expiry, payload = lines[0].split(b"|")
    assert (topic, qos, retain, user_property, payload) == (
        b"cross/ours", b"2", b"0", b"origin:us", b"from attestmq")
    assert 3590 <= int(expiry) <= 3600


@pytest.mark.parametrize("version", VERSIONS)
def test_attestmq_sub_receives_what_mosquitto_pub_sends(attestmq, mosquitto, version):
    sub = attestmq_sub(attestmq, mosquitto, "-V", version, "-t", "cross/#", "-C", "2", "-v",
                       "-q", "2")
    for qos, payload in ((1, "first"), (2, "second")):
        pub = run(["mosquitto_pub", "-p", str(mosquitto.port), "-V", version, "-q", str(qos),
                   "-t", "cross/theirs", "-m", payload])
        assert pub.returncode == 0, pub.stderr
    code, lines, stderr = sub.finish()
    assert code == 0, stderr
    assert lines == [b"cross/theirs first", b"cross/theirs second"]


def test_topic_alias_property_reuses_the_alias(attestmq, mosquitto):
    sub = mosquitto_sub(mosquitto, "-V", "5", "-t", "alias/#", "-C", "3", "-F", "%t %p")
    pub = attestmq_pub(attestmq, mosquitto, "-V", "5", "-q", "1", "-t", "alias/long/name", "-l",
                       "-D", "publish", "topic-alias", "1", "-d", stdin=b"a\nb\nc\n")
    assert pub.returncode == 0, pub.stderr
    # The first PUBLISH sets the alias, the following ones send an empty topic name.
    assert pub.stdout.count(b"'alias/long/name'") == 1
    assert pub.stdout.count(b"''") == 2
    code, lines, _ = sub.finish()
    assert code == 0
    assert lines == [b"alias/long/name a", b"alias/long/name b", b"alias/long/name c"]


@pytest.mark.parametrize("version, code, message", [
    ("311", 5, b"Connection error: Connection Refused: not authorised."),
    ("5", 135, b"Connection error: Not authorized"),
])
def test_refused_connection_reports_like_mosquitto(attestmq, start_mosquitto, version, code,
                                                   message):
    broker = start_mosquitto(allow_anonymous="false")
    ours = run([attestmq, "pub", "-p", str(broker.port), "-V", version, "-t", "t", "-m", "x"])
    theirs = run(["mosquitto_pub", "-p", str(broker.port), "-V", version, "-t", "t", "-m", "x"])
    assert ours.returncode == theirs.returncode == code
    assert message in ours.stderr
    assert message in theirs.stderr
    sub = run([attestmq, "sub", "-p", str(broker.port), "-V", version, "-t", "t"])
    assert sub.returncode == code


@pytest.mark.parametrize("args, error", [
    (["-t", "a"], b"Error: Both topic and message must be supplied."),
    (["-t", "a/#", "-m", "x"], b"Error: Invalid publish topic 'a/#'"),
    (["-t", "a", "-m", "x", "-n"], b"Error: Only one type of message can be sent at once."),
    (["-t", "a", "-m", "x", "-q", "3"], b"Error: Invalid QoS given: 3"),
    (["-t", "a", "-m", "x", "-c"], b"Error: You must provide a client id"),
    (["-t", "a", "-m", "x", "-D", "connect", "topic-alias", "1"],
     b"Error: topic-alias property not allowed for connect"),
])
def test_usage_errors_exit_1_like_mosquitto_pub(attestmq, args, error):
    ours = run([attestmq, "pub", *args])
    theirs = run(["mosquitto_pub", *args])
    assert ours.returncode == theirs.returncode == 1
    assert error in ours.stderr


def test_unreachable_broker_exits_1(attestmq):
    result = run([attestmq, "pub", "-p", str(free_port()), "-t", "t", "-m", "x"])
    assert result.returncode == 1
    assert b"Connection refused" in result.stderr


def test_help_lists_the_options_and_exit_codes(attestmq):
    for command in ("pub", "sub"):
        result = run([attestmq, command, "--help"])
        assert result.returncode == 0
        assert b"-h,--host" in result.stdout
        assert b"Exit status" in result.stdout
