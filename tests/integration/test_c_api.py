"""The C API (include/attestmq/client.h, libattestmq-client.so) from python3's ctypes, as
another language would bind it, against the real `attestmq broker --tee sim`: an attested
connection, a subscription, a message published and received, and a rejected attestation
that names its failed check. Also the C example program (examples/attested_pubsub.c), built
against the header alone."""
import ctypes
import json
import os
import subprocess
from pathlib import Path

import pytest

# The broker, its PKI and sim key, and the module hash it attests: shared with the CLI's tests.
from test_attested_sessions import (attested_broker, attestmq_only, module_hash,  # noqa: F401
                                    pki, sim_root)

# Under the asan preset CTest starts this python3 with the ASan runtime preloaded and leak
# checks off, for ctypes to load the sanitized library (tests/integration/CMakeLists.txt).
# The brokers and the example program this file starts link their own runtime, which refuses
# a second one, and are leak-checked as usual: they get the environment without both.
if "libclang_rt.asan" in os.environ.get("LD_PRELOAD", ""):
    del os.environ["LD_PRELOAD"]
    os.environ["ASAN_OPTIONS"] = os.environ["ASAN_OPTIONS"].removesuffix(":detect_leaks=0")

OK, ERROR_INVALID, ERROR_REFUSED, ERROR_ATTESTATION = 0, 1, 7, 10
RESULT = ctypes.c_int


class ConnectOptions(ctypes.Structure):
    _fields_ = [("host", ctypes.c_char_p), ("port", ctypes.c_uint16),
                ("cafile", ctypes.c_char_p), ("mqtt_version", ctypes.c_int),
                ("client_id", ctypes.c_char_p), ("username", ctypes.c_char_p),
                ("password", ctypes.c_char_p), ("timeout_ms", ctypes.c_uint)]


def built_file(variable, release_path):
    """$variable (set by CTest), else the release build's file."""
    path = os.environ.get(variable) or str(Path(__file__).resolve().parents[2] / "build" /
                                           "release" / release_path)
    if not os.path.exists(path):
        pytest.fail(f"{path} not found (build it, or set {variable})")
    return path


def library_path():
    return built_file("ATTESTMQ_CLIENT_LIB", "src/client/libattestmq-client.so")


@pytest.fixture(scope="module")
def lib():
    lib = ctypes.CDLL(library_path())
    client, message, options = ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(ConnectOptions)
    signatures = {
        "attestmq_client_new": (client, []),
        "attestmq_client_free": (None, [client]),
        "attestmq_connect": (RESULT, [client, options]),
        "attestmq_attest": (RESULT, [client, options, ctypes.c_char_p]),
        "attestmq_publish": (RESULT, [client, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_size_t,
                                      ctypes.c_int, ctypes.c_int]),
        "attestmq_subscribe": (RESULT, [client, ctypes.c_char_p, ctypes.c_int]),
        "attestmq_receive": (RESULT, [client, ctypes.c_uint, ctypes.POINTER(message)]),
        "attestmq_disconnect": (RESULT, [client]),
        "attestmq_error": (ctypes.c_char_p, [client]),
        "attestmq_failed_check": (ctypes.c_char_p, [client]),
        "attestmq_reason_code": (ctypes.c_int, [client]),
        "attestmq_attested_claim": (ctypes.c_char_p, [client, ctypes.c_char_p]),
        "attestmq_message_topic": (ctypes.c_char_p, [message]),
        "attestmq_message_payload": (ctypes.c_void_p, [message, ctypes.POINTER(ctypes.c_size_t)]),
        "attestmq_message_qos": (ctypes.c_int, [message]),
        "attestmq_message_free": (None, [message]),
    }
    for name, (restype, argtypes) in signatures.items():
        function = getattr(lib, name)
        function.restype, function.argtypes = restype, argtypes
    return lib


@pytest.fixture
def client(lib):
    handle = lib.attestmq_client_new()
    assert handle
    yield handle
    lib.attestmq_client_free(handle)


def options(broker, pki, version=5):
    return ConnectOptions(b"127.0.0.1", broker.port, str(pki.ca).encode(), version,
                          b"c-api-client", None, None, 10000)


def policy_json(sim_root, **keys):
    return json.dumps({"pinned_roots": {"sim": str(sim_root)}, **keys}).encode()


def test_attests_subscribes_publishes_and_receives(lib, client, attested_broker, pki, sim_root):
    policy = policy_json(sim_root, allow_simulated=True, accepted_module_hashes=[module_hash()])
    assert lib.attestmq_attest(client, options(attested_broker, pki), policy) == OK, \
        lib.attestmq_error(client)
    assert lib.attestmq_attested_claim(client, b"module_sha256").decode() == module_hash()
    assert len(lib.attestmq_attested_claim(client, b"binder")) == 64
    assert lib.attestmq_subscribe(client, b"capi/#", 1) == OK, lib.attestmq_error(client)
    payload = b"through ctypes\x00with a zero byte"
    assert lib.attestmq_publish(client, b"capi/1", payload, len(payload), 1, 0) == OK, \
        lib.attestmq_error(client)
    message = ctypes.c_void_p()
    assert lib.attestmq_receive(client, 10000, ctypes.byref(message)) == OK, \
        lib.attestmq_error(client)
    try:
        length = ctypes.c_size_t()
        data = lib.attestmq_message_payload(message, ctypes.byref(length))
        assert lib.attestmq_message_topic(message) == b"capi/1"
        assert ctypes.string_at(data, length.value) == payload
        assert lib.attestmq_message_qos(message) == 1
    finally:
        lib.attestmq_message_free(message)
    assert lib.attestmq_publish(client, b"capi/empty", None, 0, 0, 0) == OK, \
        lib.attestmq_error(client)
    assert lib.attestmq_receive(client, 10000, ctypes.byref(message)) == OK
    length = ctypes.c_size_t(1)
    lib.attestmq_message_payload(message, ctypes.byref(length))
    assert (lib.attestmq_message_topic(message), length.value) == (b"capi/empty", 0)
    lib.attestmq_message_free(message)
    assert lib.attestmq_disconnect(client) == OK
    assert lib.attestmq_publish(client, b"capi/1", b"x", 1, 0, 0) == ERROR_INVALID
    assert b"Not connected" in lib.attestmq_error(client)


@pytest.mark.parametrize("keys, check", [({"allow_simulated": True,
                                           "accepted_module_hashes": ["00" * 32]},
                                          b"policy.module_hash"),
                                         ({}, b"policy.allow_simulated")],
                         ids=["another-module", "default-policy"])
def test_a_rejected_attestation_names_the_failed_check(lib, client, attested_broker, pki,
                                                       sim_root, tmp_path, keys, check):
    """The policy as a file this time; the session is never granted."""
    policy = tmp_path / "policy.json"
    policy.write_bytes(policy_json(sim_root, **keys))
    result = lib.attestmq_attest(client, options(attested_broker, pki), str(policy).encode())
    assert result == ERROR_ATTESTATION, lib.attestmq_error(client)
    assert lib.attestmq_failed_check(client) == check
    assert check in lib.attestmq_error(client)
    assert lib.attestmq_subscribe(client, b"capi/#", 0) == ERROR_INVALID, "not connected"


def test_usage_errors_are_reported_not_thrown(lib, client, attested_broker, pki, sim_root):
    """MQTT 3.1.1 cannot attest, a policy with a typo is refused naming the key; and an
    unattested connection to the same listener works (the C API's plain connect)."""
    assert lib.attestmq_attest(client, options(attested_broker, pki, version=4),
                               policy_json(sim_root)) == ERROR_INVALID
    assert b"MQTT 3.1.1 has no AUTH packet" in lib.attestmq_error(client)
    assert lib.attestmq_attest(client, options(attested_broker, pki),
                               b'{"allow_simulatd": true}') == ERROR_INVALID
    assert b"allow_simulatd" in lib.attestmq_error(client)
    assert lib.attestmq_connect(client, options(attested_broker, pki, version=4)) == OK, \
        lib.attestmq_error(client)
    assert lib.attestmq_disconnect(client) == OK


def test_a_broker_refusal_carries_its_reason_code(lib, client, start_broker, pki, sim_root):
    """A TLS listener without a TEE refuses the method: CONNACK 0x8C (section 9.1)."""
    broker = start_broker(certfile=pki.server_cert, keyfile=pki.server_key, tls_version="tlsv1.3")
    result = lib.attestmq_attest(client, options(broker, pki), policy_json(sim_root))
    assert result == ERROR_REFUSED, lib.attestmq_error(client)
    assert lib.attestmq_reason_code(client) == 0x8C
    assert lib.attestmq_failed_check(client) == b""


@pytest.mark.parametrize("keys, status, output", [
    ({"allow_simulated": True}, 0, "capi/example hello from C"),
    ({"allow_simulated": True, "accepted_module_hashes": ["00" * 32]}, 1,
     "rejected: policy.module_hash")], ids=["verified", "rejected"])
def test_the_c_example_program(attested_broker, pki, sim_root, keys, status, output):
    example = built_file("ATTESTMQ_C_EXAMPLE", "examples/attested_pubsub")
    result = subprocess.run([example, "127.0.0.1", str(attested_broker.port), str(pki.ca),
                             policy_json(sim_root, **keys), "capi/example", "hello from C"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == status, result.stdout + result.stderr
    assert output in result.stdout
