"""attestmq-enclave as a program: its measurement is the SHA-256 of the module it runs, it
takes `attestmq broker`'s configuration and errors, and it refuses what would let secrets
leave the module. (The suites it shares with the native broker run against it through
ATTESTMQ_TEST_BROKER=enclave: tests/integration/CMakeLists.txt.)"""
import hashlib
import os
import subprocess
from pathlib import Path

from reference_mosquitto import enclave_binary, free_port
from tls_pki import make_pki

TIMEOUT_S = 30


def run_enclave(*args):
    return subprocess.run([enclave_binary(), *map(str, args)], capture_output=True, text=True,
                          timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)


def test_print_measurement_is_the_sha256_of_the_module_compiled_in():
    module = os.environ.get("ATTESTMQ_ENGINE_WASM")
    assert module, "ATTESTMQ_ENGINE_WASM names attestmq-engine.wasm (set by CTest)"
    result = run_enclave("--print-measurement")
    assert result.returncode == 0, result.stderr
    assert result.stdout == hashlib.sha256(Path(module).read_bytes()).hexdigest() + "\n"


def test_an_unknown_option_is_refused_naming_file_line_and_option(tmp_path):
    config = tmp_path / "broker.conf"
    config.write_text(f"listener {free_port()} 127.0.0.1\nno_such_option 1\n")
    result = run_enclave("-c", config)
    assert result.returncode == 1
    assert f"{config}:2: unknown option 'no_such_option'" in result.stderr


def test_a_tls_key_log_is_refused_inside_the_module(tmp_path):
    # The key log would write the session secrets outside the module, to the host's disk.
    pki = make_pki(tmp_path / "pki")
    config = tmp_path / "broker.conf"
    config.write_text(f"listener {free_port()} 127.0.0.1\ncertfile {pki.server_cert}\n"
                      f"keyfile {pki.server_key}\ntls_keylog_file {tmp_path / 'keys.log'}\n")
    result = run_enclave("-c", config)
    assert result.returncode == 1, result.stderr
    assert "tls_keylog_file" in result.stderr and "outside the module" in result.stderr
    assert not (tmp_path / "keys.log").exists()


def test_daemon_mode_is_not_offered():
    result = run_enclave("-d")
    assert result.returncode == 2
    assert "service manager" in result.stderr
