"""attestmq-enclave as a program: its measurement is the SHA-256 of the module it runs, it
takes `attestmq broker`'s configuration and errors, and it refuses what would let secrets
leave the module. (The suites it shares with the native broker run against it through
ATTESTMQ_TEST_BROKER=enclave: tests/integration/CMakeLists.txt.)"""
import hashlib
import socket
import ssl
import subprocess
from pathlib import Path

import pytest

import reference_mosquitto
from reference_mosquitto import enclave_binary, free_port
from tls_pki import make_pki

TIMEOUT_S = 30


def run_enclave(*args):
    return subprocess.run([enclave_binary(), *map(str, args)], capture_output=True, text=True,
                          timeout=TIMEOUT_S, stdin=subprocess.DEVNULL)


def test_print_measurement_is_the_sha256_of_the_module_compiled_in():
    module = reference_mosquitto.engine_module()
    result = run_enclave("--print-measurement")
    assert result.returncode == 0, result.stderr
    assert result.stdout == hashlib.sha256(Path(module).read_bytes()).hexdigest() + "\n"


def test_the_module_holds_no_path_of_the_tree_it_was_built_in():
    # Building twice from the same source gives the same bytes only if no build path gets in
    # (docs/architecture.md, "A reproducible module").
    module = Path(reference_mosquitto.engine_module()).read_bytes()
    root = Path(__file__).resolve().parents[2]
    assert str(root).encode() not in module
    assert b"src/tls/" not in module and b"src/broker/" not in module


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


def negotiated_cipher(port, ca):
    context = ssl.create_default_context(cafile=str(ca))
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as raw:
        with context.wrap_socket(raw, server_hostname="localhost") as tls:
            return tls.cipher()[0]


@pytest.mark.parametrize("suites, expected", [
    # The client lists AES-GCM first; the module's own order (constant time first) wins.
    (None, "TLS_CHACHA20_POLY1305_SHA256"),
    # A listener that names its suites gets exactly those.
    ("TLS_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"),
])
def test_the_module_prefers_chacha20_poly1305_unless_told_otherwise(tmp_path, suites, expected):
    pki = make_pki(tmp_path / "pki")
    port = free_port()
    config = tmp_path / "broker.conf"
    config.write_text(f"listener {port} 127.0.0.1\ncertfile {pki.server_cert}\nkeyfile {pki.server_key}\n"
                      + (f"ciphers_tls1.3 {suites}\n" if suites else ""))
    process = subprocess.Popen([enclave_binary(), "-c", str(config)], stdout=subprocess.PIPE,
                               stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout.readline() == f"listening on 127.0.0.1:{port}\n"
        assert negotiated_cipher(port, pki.ca) == expected
    finally:
        process.terminate()
        assert process.wait(TIMEOUT_S) == 0
