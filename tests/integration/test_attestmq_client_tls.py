"""`attestmq pub` and `attestmq sub` over TLS against Debian's mosquitto, the independent peer:
server certificate only, mutual TLS, PSK; and the failures (wrong CA, missing client
certificate, wrong PSK) with their message and exit status 8.

The certificates come from tls_pki.make_pki (the `openssl` command line). Each test starts its
own /usr/sbin/mosquitto on a free 127.0.0.1 port, whatever --broker says: the broker here is
the reference, the client is what is tested.
"""
import subprocess
import time

import pytest

from reference_mosquitto import TIMEOUT_S, attestmq_binary
from tls_pki import PSK_IDENTITY, PSK_KEY, WRONG_PSK_KEY, readable_pki

TLS_FAILED = 8  # attestmq pub/sub's exit status for a TLS failure (libmosquitto's MOSQ_ERR_TLS)


@pytest.fixture(scope="module")
def pki():
    with readable_pki() as made:
        yield made


def certificate_listener(pki, **options):
    return {"certfile": pki.server_cert, "keyfile": pki.server_key, **options}


def psk_listener(pki):
    return {"psk_hint": "attestmq-tests", "psk_file": pki.psk_file}


def round_trip(broker, tls_args, version="311", host="localhost", topic="tls/test",
               message="over TLS"):
    """attestmq sub -C 1 and attestmq pub with the same TLS arguments; returns both results."""
    binary = attestmq_binary()
    common = ["-h", host, "-p", str(broker.port), "-V", version, *tls_args]
    subscriber = subprocess.Popen([binary, "sub", *common, "-t", topic, "-C", "1", "-W", "8",
                                   "-d"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # The subscription is in place once mosquitto has logged the SUBSCRIBE.
    deadline = time.monotonic() + TIMEOUT_S
    while "Received SUBSCRIBE" not in broker.output():
        if subscriber.poll() is not None or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    published = subprocess.run([binary, "pub", *common, "-t", topic, "-m", message, "-q", "1"],
                               capture_output=True, timeout=TIMEOUT_S)
    out, err = subscriber.communicate(timeout=TIMEOUT_S)
    return published, subscriber.returncode, out, err


def payload_lines(output):
    return [line for line in output.decode().splitlines()
            if not line.startswith("Client ") and not line.startswith("Subscribed")]


@pytest.mark.parametrize("version", ["311", "5"])
def test_server_certificate_only(start_mosquitto, pki, version):
    broker = start_mosquitto(**certificate_listener(pki))
    published, code, out, err = round_trip(broker, ["--cafile", str(pki.ca)], version=version)
    assert published.returncode == 0, published.stderr
    assert code == 0, err
    assert payload_lines(out) == ["over TLS"]


def test_certificate_names_the_ip_address_too(start_mosquitto, pki):
    broker = start_mosquitto(**certificate_listener(pki))
    published, code, out, err = round_trip(broker, ["--cafile", str(pki.ca)], host="127.0.0.1")
    assert (published.returncode, code) == (0, 0), (published.stderr, err)
    assert payload_lines(out) == ["over TLS"]


def test_tls_1_2_when_asked(start_mosquitto, pki):
    broker = start_mosquitto(**certificate_listener(pki, tls_version="tlsv1.2"))
    published, code, out, err = round_trip(
        broker, ["--cafile", str(pki.ca), "--tls-version", "tlsv1.2"])
    assert (published.returncode, code) == (0, 0), (published.stderr, err)
    assert payload_lines(out) == ["over TLS"]


def test_mutual_tls_with_identity_as_username(start_mosquitto, pki):
    broker = start_mosquitto(**certificate_listener(
        pki, cafile=pki.ca, require_certificate="true", use_identity_as_username="true"))
    certificate, key = pki.client("good")
    published, code, out, err = round_trip(
        broker, ["--cafile", str(pki.ca), "--cert", str(certificate), "--key", str(key)])
    assert (published.returncode, code) == (0, 0), (published.stderr, err)
    assert payload_lines(out) == ["over TLS"]
    # mosquitto took the certificate's CN as the username (its -v log names it).
    assert "u'client-good'" in broker.output()


def test_pre_shared_key(start_mosquitto, pki):
    broker = start_mosquitto(**psk_listener(pki))
    published, code, out, err = round_trip(
        broker, ["--psk", PSK_KEY, "--psk-identity", PSK_IDENTITY])
    assert (published.returncode, code) == (0, 0), (published.stderr, err)
    assert payload_lines(out) == ["over TLS"]


def run_pub(broker, *tls_args):
    return subprocess.run([attestmq_binary(), "pub", "-h", "localhost", "-p", str(broker.port),
                           "-t", "tls/test", "-m", "x", *map(str, tls_args)],
                          capture_output=True, timeout=TIMEOUT_S)


def test_wrong_ca_fails_with_the_reason_and_exit_status(start_mosquitto, pki):
    broker = start_mosquitto(**certificate_listener(pki))
    result = run_pub(broker, "--cafile", pki.wrong_ca)
    assert result.returncode == TLS_FAILED, result.stderr
    assert result.stderr.decode().strip() == (
        "Error: TLS handshake failed: certificate verify failed "
        "(unable to get local issuer certificate).")
    # The same through sub.
    sub = subprocess.run([attestmq_binary(), "sub", "-h", "localhost", "-p", str(broker.port),
                          "-t", "#", "-W", "2", "--cafile", str(pki.wrong_ca)],
                         capture_output=True, timeout=TIMEOUT_S)
    assert sub.returncode == TLS_FAILED, sub.stderr
    assert b"certificate verify failed" in sub.stderr


def test_missing_client_certificate_is_a_tls_failure(start_mosquitto, pki):
    broker = start_mosquitto(**certificate_listener(pki, cafile=pki.ca,
                                                    require_certificate="true"))
    result = run_pub(broker, "--cafile", pki.ca)
    assert result.returncode == TLS_FAILED, result.stderr
    assert b"Error: TLS" in result.stderr


def test_wrong_pre_shared_key_fails(start_mosquitto, pki):
    broker = start_mosquitto(**psk_listener(pki))
    result = run_pub(broker, "--psk", WRONG_PSK_KEY, "--psk-identity", PSK_IDENTITY)
    assert result.returncode == TLS_FAILED, result.stderr
    assert result.stderr.startswith(b"Error: TLS handshake failed: "), result.stderr


def test_plain_client_on_a_tls_listener_is_not_a_tls_failure(start_mosquitto, pki):
    broker = start_mosquitto(**certificate_listener(pki))
    result = run_pub(broker)
    assert result.returncode == 1, result.stderr


def test_unreadable_cafile_is_reported_before_connecting(start_mosquitto, pki, tmp_path):
    broker = start_mosquitto(**certificate_listener(pki))
    result = run_pub(broker, "--cafile", tmp_path / "missing.pem")
    assert result.returncode == 1
    assert result.stderr.startswith(b"Error: Problem setting TLS options: "), result.stderr
