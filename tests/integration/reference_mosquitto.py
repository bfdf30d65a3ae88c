"""Debian's mosquitto as the reference broker for testing AttestMQ's own clients.

Each broker runs `mosquitto -v` on a free 127.0.0.1 port with its log kept, configured by
keyword options (each becomes a mosquitto.conf line). The `start_mosquitto` fixture in
conftest.py starts them and stops them after the test.
"""
import hashlib
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
TIMEOUT_S = 10


def built_file(variable, default, what, executable=True):
    """The path in environment variable `variable` (set by CTest), else `default` under the
    source tree; fails the test naming both when nothing usable is there."""
    path = os.environ.get(variable) or str(Path(__file__).resolve().parents[2] / default)
    usable = os.access(path, os.X_OK) if executable else os.path.isfile(path)
    if not usable:
        pytest.fail(f"{what} not found at {path} (set {variable})")
    return path


def attestmq_binary():
    return built_file("ATTESTMQ_BIN", "build/release/apps/attestmq/attestmq", "attestmq binary")


def enclave_binary():
    return built_file("ATTESTMQ_ENCLAVE_BIN", "build/release/src/wasm/runner/enclave/attestmq-enclave",
                      "attestmq-enclave binary")


def engine_module():
    return built_file("ATTESTMQ_ENGINE_WASM", "build/wasm/src/wasm/guest/attestmq-engine.wasm",
                      "attestmq-engine.wasm", executable=False)


def measured_module(kind="attestmq"):
    """The SHA-256 (hex) a broker of `kind` names as its module in its evidence: the native
    broker, like every attestmq client, measures its own binary; the enclave names the Wasm
    module it runs (docs/evidence.md)."""
    path = engine_module() if kind.startswith("enclave") else attestmq_binary()
    with open(path, "rb") as measured:
        return hashlib.sha256(measured.read()).hexdigest()


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Mosquitto:
    """mosquitto -v with one listener on 127.0.0.1; anonymous clients allowed unless
    `options` says otherwise."""

    def __init__(self, directory, options):
        self.port = free_port()
        config = directory / "mosquitto.conf"
        settings = {"allow_anonymous": "true", **options}
        lines = [f"listener {self.port} 127.0.0.1"]
        lines += [f"{name} {value}" for name, value in settings.items()]
        config.write_text("\n".join(lines) + "\n")
        self.log_path = directory / "mosquitto.log"
        self.log = open(self.log_path, "wb")
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config), "-v"], stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT_S
        while True:
            assert self.process.poll() is None, f"mosquitto exited at start:\n{self.output()}"
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                assert time.monotonic() < deadline, "mosquitto did not start listening"
                time.sleep(0.02)

    def output(self):
        self.log.flush()
        return self.log_path.read_text(errors="replace")

    def stop(self):
        self.process.terminate()
        self.process.wait(TIMEOUT_S)
        self.log.close()
