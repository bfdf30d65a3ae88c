"""Fixtures that run a real broker process for the integration tests.

The broker is AttestMQ (`$ATTESTMQ_BIN broker -c FILE`), the same broker compiled to Wasm
and run by the enclave runner (`$ATTESTMQ_ENCLAVE_BIN -c FILE`), or, to check that a test is
right, Debian's mosquitto as a reference implementation. Select with
`--broker attestmq|enclave|enclave-node|mosquitto` or the environment variable ATTESTMQ_TEST_BROKER; the
default is attestmq. CTest runs the suites that apply to both once per AttestMQ binary.

Tests ask for `broker` (default options) or call `start_broker(option=value, ...)`: each
keyword becomes a mosquitto.conf line `option value`, so the same test runs on both brokers.
"""
import contextlib
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import reference_mosquitto
from reference_mosquitto import free_port

# The AttestMQ brokers: the native one, the same engine compiled to Wasm in the enclave
# runner, and that module under node's WASI (tests/enclave/node_host.mjs). They behave alike
# on the network and log alike.
ATTESTMQ_BROKERS = ("attestmq", "enclave", "enclave-node")
STARTUP_TIMEOUT_S = 20.0
SHUTDOWN_TIMEOUT_S = 20.0
# What AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer print when they fire.
SANITIZER_REPORT = re.compile(r"ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:")


def pytest_addoption(parser):
    parser.addoption("--broker", choices=("attestmq", "enclave", "enclave-node", "mosquitto"),
                     default=os.environ.get("ATTESTMQ_TEST_BROKER", "attestmq"),
                     help="broker under test (default: $ATTESTMQ_TEST_BROKER or attestmq)")


_broker_under_test = []


def pytest_configure(config):
    _broker_under_test.append(config.getoption("--broker"))


def broker_under_test():
    """The --broker of this run, for helpers that are not fixtures (the broker_kind fixture
    gives the same to tests)."""
    return _broker_under_test[-1]


def wait_for(condition, timeout, what):
    """Poll `condition` until it is true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.02)


def broker_command(kind, config_path):
    if kind == "mosquitto":
        return [reference_mosquitto.MOSQUITTO, "-c", str(config_path)]
    if kind == "enclave":
        return [reference_mosquitto.enclave_binary(), "-c", str(config_path)]
    if kind == "enclave-node":
        return ["node", "--no-warnings", str(Path(__file__).resolve().parents[1] / "enclave" / "node_host.mjs"),
                reference_mosquitto.engine_module(), "-c", str(config_path)]
    return [reference_mosquitto.attestmq_binary(), "broker", "-c", str(config_path)]


class Broker:
    """One broker process listening on 127.0.0.1:port."""

    def __init__(self, kind, directory, options):
        self.kind = kind
        self.port = free_port()
        self.config_path = directory / "broker.conf"
        self.stderr_path = directory / "broker.stderr"
        lines = [f"listener {self.port} 127.0.0.1", "allow_anonymous true"]
        lines += [f"{name} {value}" for name, value in options.items()]
        self.config_path.write_text("\n".join(lines) + "\n")
        self._stderr = open(self.stderr_path, "wb")
        self.process = subprocess.Popen(broker_command(kind, self.config_path),
                                        stdout=self._stderr, stderr=subprocess.STDOUT,
                                        stdin=subprocess.DEVNULL)
        try:
            wait_for(self._accepts, STARTUP_TIMEOUT_S, f"{kind} to listen on port {self.port}")
        except AssertionError:
            self.process.kill()
            self.process.wait()
            self._stderr.close()
            raise

    def _accepts(self):
        if self.process.poll() is not None:
            raise AssertionError(f"{self.kind} exited with {self.process.returncode} at start:\n"
                                 f"{self.output()}")
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
            return True
        except OSError:
            return False

    def output(self):
        self._stderr.flush()
        return self.stderr_path.read_text(errors="replace")

    def assert_running(self):
        assert self.process.poll() is None, (
            f"{self.kind} died with exit code {self.process.returncode}:\n{self.output()}")

    def stop(self):
        """SIGTERM, wait, then check the broker neither crashed nor reported memory errors."""
        died_early = self.process.poll() is not None
        if not died_early:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(SHUTDOWN_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise AssertionError(f"{self.kind} ignored SIGTERM for {SHUTDOWN_TIMEOUT_S} s")
        finally:
            self._stderr.close()
        output = self.stderr_path.read_text(errors="replace")
        when = "during the test" if died_early else "after SIGTERM"
        assert code == 0, f"{self.kind} exited with {code} {when}:\n{output}"
        assert not SANITIZER_REPORT.search(output), f"sanitizer report:\n{output}"


@pytest.fixture
def broker_kind(request):
    return request.config.getoption("--broker")


@pytest.fixture
def start_broker(broker_kind, tmp_path):
    """Factory: start_broker(max_inflight_messages=2, ...) -> running Broker."""
    started = []

    def start(**options):
        directory = tmp_path / f"broker{len(started)}"
        directory.mkdir()
        started.append(Broker(broker_kind, directory, options))
        return started[-1]

    yield start
    failures = []
    for broker in started:  # stop every broker, even after one failed
        try:
            broker.stop()
        except AssertionError as failure:
            failures.append(str(failure))
    assert not failures, "\n".join(failures)


@pytest.fixture
def broker(start_broker):
    return start_broker()


@contextlib.contextmanager
def soft_open_files(limit=None):
    """This process's soft open-file limit (inherited by brokers started meanwhile) set to
    `limit`, or to the hard limit; yields the hard limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard if limit is None else limit, hard))
    try:
        yield hard
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


@pytest.fixture
def many_files():
    """Raise this process's open-file limit to the hard one."""
    with soft_open_files() as hard:
        yield hard


@pytest.fixture
def mosquitto_deviates(request, broker_kind):
    """Call with a reason where Debian's mosquitto 2.0.11 departs from the spec the test
    checks: against mosquitto the test is then expected to fail (strictly: a pass is reported)."""
    def mark(reason):
        if broker_kind == "mosquitto":
            request.node.add_marker(pytest.mark.xfail(
                reason=f"mosquitto 2.0.11 deviates from the spec: {reason}", strict=True))
    return mark


@pytest.fixture
def start_mosquitto(tmp_path):
    """start_mosquitto(option=value, ...): Debian's mosquitto as the reference broker for
    tests of AttestMQ's clients, whatever --broker says (reference_mosquitto.py)."""
    if not os.access(reference_mosquitto.MOSQUITTO, os.X_OK):
        pytest.fail(f"Debian's mosquitto not found at {reference_mosquitto.MOSQUITTO}: "
                    "run scripts/setup.sh")
    started = []

    def start(**options):
        directory = tmp_path / f"mosquitto{len(started)}"
        directory.mkdir()
        started.append(reference_mosquitto.Mosquitto(directory, options))
        return started[-1]

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def readable_file():
    """readable_file(name, text) -> Path of a file Debian's mosquitto can read: started as
    root, it reads its acl_file and password_file as the `mosquitto` user, to whom pytest's
    tmp_path (under /tmp/pytest-of-root, mode 0700) is closed."""
    directory = Path(tempfile.mkdtemp(prefix="attestmq-files-"))
    directory.chmod(0o755)

    def write(name, text):
        path = directory / name
        path.write_text(text)
        path.chmod(0o644)
        return path

    yield write
    shutil.rmtree(directory)
