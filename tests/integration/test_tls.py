"""TLS listeners (issue #3) with independent peers: Debian's mosquitto_pub/mosquitto_sub and
python3's `ssl` module, against certificates tls_pki.py makes once for this module.

Every negative case checks three things: the bad client gets no MQTT session, the broker
logs why, and a healthy client connected before it still works (and a new one can connect).
"""
import re
import socket
import ssl
import subprocess

import pytest

from conftest import ATTESTMQ_BROKERS, wait_for
from mqtt_wire import CONNACK, PUBLISH, MQTT_5, RawClient, connect, publish
from tls_pki import PSK_IDENTITY, PSK_KEY, WRONG_PSK_KEY, readable_pki

TIMEOUT_S = 15.0


@pytest.fixture(scope="module")
def pki():
    with readable_pki() as made:
        yield made


def tls_broker(start_broker, pki, **options):
    """A broker whose one listener is TLS 1.3 only, with the test CA's server certificate."""
    settings = {"certfile": pki.server_cert, "keyfile": pki.server_key, "tls_version": "tlsv1.3"}
    settings.update(options)
    return start_broker(**settings)


def mtls_broker(start_broker, pki, **options):
    """As tls_broker, and clients must present a certificate the test CA signed."""
    return tls_broker(start_broker, pki, cafile=pki.ca, require_certificate="true", **options)


def client_context(ca, certificate=None, maximum_version=None):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(ca)
    if certificate:
        context.load_cert_chain(*certificate)
    if maximum_version:
        context.maximum_version = maximum_version
    return context


class TlsClient(RawClient):
    """mqtt_wire's RawClient over python's ssl: raw MQTT bytes inside TLS records."""

    def __init__(self, port, context, version=MQTT_5, timeout=10.0):
        self.version = version
        self.timeout = timeout
        self._buffer = bytearray()
        plain = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        try:
            self.sock = context.wrap_socket(plain, server_hostname="localhost")
        except BaseException:
            plain.close()
            raise


class Healthy:
    """A client with good credentials, connected before the misbehaving one arrives."""

    def __init__(self, port, context):
        self.port = port
        self.context = context
        self.client = TlsClient(port, context)
        assert self.client.connect("healthy").reason == 0
        assert self.client.subscribe([("health", 0)]) == [0]

    def assert_unaffected(self):
        self.client.send(publish("health", b"still here"))
        message = self.client.recv_kind(PUBLISH)
        assert message.payload == b"still here"
        newcomer = TlsClient(self.port, self.context)
        assert newcomer.connect("newcomer").reason == 0
        newcomer.close()
        self.client.close()


def wait_for_log(broker, pattern):
    wait_for(lambda: re.search(pattern, broker.output()), 10, f"the log line /{pattern}/ in:\n"
             f"{broker.output()}")


def log_pattern(broker, attestmq, mosquitto):
    """AttestMQ's own log line, or what mosquitto 2.0.11 logs for the same event."""
    return attestmq if broker.kind in ATTESTMQ_BROKERS else mosquitto


def mqtt_session_refused(port, context):
    """Connect and send CONNECT; True if no CONNACK 0 came back (handshake failed, alert,
    or connection closed)."""
    try:
        client = TlsClient(port, context)
        client.send(connect("intruder"))
        reply = client.recv(5)
    except (ssl.SSLError, OSError):
        return True
    client.close()
    return reply is None or reply.kind != CONNACK or reply.reason != 0


def mosquitto_client(tool, port, tls_args, *args):
    command = [tool, "-h", "127.0.0.1", "-p", str(port), "-V", "mqttv5", *tls_args, *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=TIMEOUT_S)


def round_trip(port, tls_args, payload, publisher_args=()):
    """mosquitto_pub a retained message, then mosquitto_sub receives it: both over TLS."""
    sent = mosquitto_client("mosquitto_pub", port, tls_args, *publisher_args,
                            "-t", "tls/check", "-r", "-q", "1", "-m", payload)
    assert sent.returncode == 0, f"mosquitto_pub failed: {sent.stdout}{sent.stderr}"
    received = mosquitto_client("mosquitto_sub", port, tls_args, "-t", "tls/check", "-C", "1",
                                "-W", "10")
    assert received.returncode == 0, f"mosquitto_sub failed: {received.stdout}{received.stderr}"
    assert received.stdout.strip() == payload


# --- positive cases --------------------------------------------------------------------


def test_mosquitto_clients_with_server_certificate_only(start_broker, pki):
    broker = tls_broker(start_broker, pki)
    round_trip(broker.port, ["--cafile", str(pki.ca), "--tls-version", "tlsv1.3"], "server-auth")


def test_mosquitto_clients_with_client_certificates_identity_as_username(start_broker, pki):
    broker = mtls_broker(start_broker, pki, use_identity_as_username="true")
    cert, key = pki.client("good")
    tls_args = ["--cafile", str(pki.ca), "--cert", str(cert), "--key", str(key),
                "--tls-version", "tlsv1.3"]
    # The certificate's CN replaces the username the client claims.
    round_trip(broker.port, tls_args, "mutual", publisher_args=["-u", "claimed-name"])
    wait_for_log(broker, r"New client connected from 127\.0\.0\.1:\d+ as \S+ \(.*u'client-good'")
    assert "claimed-name" not in broker.output()


def test_mosquitto_clients_with_client_certificates_subject_as_username(start_broker, pki):
    broker = mtls_broker(start_broker, pki, use_subject_as_username="true")
    cert, key = pki.client("good")
    tls_args = ["--cafile", str(pki.ca), "--cert", str(cert), "--key", str(key),
                "--tls-version", "tlsv1.3"]
    # The certificate's subject replaces the username the client claims, spelt as Mosquitto
    # spells it (RFC 2253 syntax, in the certificate's order).
    round_trip(broker.port, tls_args, "subject", publisher_args=["-u", "claimed-name"])
    wait_for_log(broker, r"New client connected from 127\.0\.0\.1:\d+ as \S+ "
                         r"\(.*u'O=AttestMQ tests,CN=client-good'")
    assert "claimed-name" not in broker.output()


def test_mosquitto_clients_with_psk(start_broker, pki):
    broker = start_broker(psk_hint="attestmq-tests", psk_file=pki.psk_file,
                          tls_version="tlsv1.3", use_identity_as_username="true")
    round_trip(broker.port, ["--psk", PSK_KEY, "--psk-identity", PSK_IDENTITY,
                             "--tls-version", "tlsv1.3"], "pre-shared")
    wait_for_log(broker, rf"New client connected from 127\.0\.0\.1:\d+ as \S+ \(.*u'{PSK_IDENTITY}'")


def test_python_ssl_client_speaks_mqtt_over_tls13(start_broker, pki):
    broker = tls_broker(start_broker, pki)
    client = TlsClient(broker.port, client_context(pki.ca))
    assert client.sock.version() == "TLSv1.3"
    assert client.connect("python-ssl").reason == 0
    assert client.subscribe([("python/+", 1)]) == [1]
    client.send(publish("python/echo", b"over tls"))
    assert client.recv_kind(PUBLISH).payload == b"over tls"
    client.close()


# --- negative cases --------------------------------------------------------------------


def test_client_rejects_server_certificate_from_wrong_ca(start_broker, pki):
    broker = tls_broker(start_broker, pki, certfile=pki.wrong_ca_server_cert,
                        keyfile=pki.wrong_ca_server_key)
    healthy = Healthy(broker.port, client_context(pki.wrong_ca))
    with pytest.raises(ssl.SSLCertVerificationError):
        TlsClient(broker.port, client_context(pki.ca))
    wait_for_log(broker, log_pattern(
        broker, r'Client 127\.0\.0\.1:\d+ TLS handshake failed: peer sent alert "(?i:unknown ca)"',
        r"unknown ca"))
    healthy.assert_unaffected()


@pytest.mark.parametrize("client, reason", [
    ("stranger", "unable to get local issuer certificate"),
    ("expired", "certificate has expired"),
    ("revoked", "certificate revoked"),
])
def test_server_rejects_client_certificate(start_broker, pki, client, reason):
    broker = mtls_broker(start_broker, pki, crlfile=pki.crl)
    healthy = Healthy(broker.port, client_context(pki.ca, pki.client("good")))
    assert mqtt_session_refused(broker.port, client_context(pki.ca, pki.client(client)))
    wait_for_log(broker, log_pattern(
        broker, rf"Client 127\.0\.0\.1:\d+ TLS handshake failed: certificate verify failed \({reason}\)",
        r"certificate verify failed"))
    healthy.assert_unaffected()


def test_client_without_certificate_refused_when_required(start_broker, pki):
    broker = mtls_broker(start_broker, pki)
    healthy = Healthy(broker.port, client_context(pki.ca, pki.client("good")))
    assert mqtt_session_refused(broker.port, client_context(pki.ca))
    wait_for_log(broker, log_pattern(
        broker, r"Client 127\.0\.0\.1:\d+ TLS handshake failed: peer did not return a certificate",
        r"peer did not return a certificate"))
    healthy.assert_unaffected()


def test_certificate_without_cn_refused_under_identity_as_username(start_broker, pki):
    broker = mtls_broker(start_broker, pki, use_identity_as_username="true")
    healthy = Healthy(broker.port, client_context(pki.ca, pki.client("good")))
    assert mqtt_session_refused(broker.port, client_context(pki.ca, pki.client("no-cn")))
    wait_for_log(broker, log_pattern(
        broker, r"Client 127\.0\.0\.1:\d+ refused: use_identity_as_username is set and it has a "
                r"certificate without a CN", r"disconnected, not authorised"))
    healthy.assert_unaffected()


def test_tls12_client_refused_by_tls13_listener(start_broker, pki):
    broker = tls_broker(start_broker, pki)
    healthy = Healthy(broker.port, client_context(pki.ca))
    with pytest.raises(ssl.SSLError):
        TlsClient(broker.port, client_context(pki.ca, maximum_version=ssl.TLSVersion.TLSv1_2))
    wait_for_log(broker, log_pattern(
        broker, r"Client 127\.0\.0\.1:\d+ TLS handshake failed: unsupported protocol",
        r"unsupported protocol"))
    healthy.assert_unaffected()


def test_wrong_psk_key_refused(start_broker, pki):
    broker = start_broker(psk_hint="attestmq-tests", psk_file=pki.psk_file,
                          tls_version="tlsv1.3")
    good = ["--psk", PSK_KEY, "--psk-identity", PSK_IDENTITY, "--tls-version", "tlsv1.3"]
    # python's ssl has no PSK: the healthy client is a mosquitto_sub connected beforehand.
    healthy = subprocess.Popen(["mosquitto_sub", "-h", "127.0.0.1", "-p", str(broker.port), *good,
                                "-t", "tls/after", "-C", "1", "-W", str(int(TIMEOUT_S))],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        wait_for(lambda: "New client connected" in broker.output(), 10, "the healthy client")
        wrong = mosquitto_client("mosquitto_pub", broker.port,
                                 ["--psk", WRONG_PSK_KEY, "--psk-identity", PSK_IDENTITY,
                                  "--tls-version", "tlsv1.3"], "-t", "tls/after", "-m", "intruder")
        assert wrong.returncode != 0, wrong.stdout + wrong.stderr
        wait_for_log(broker, log_pattern(
            broker, rf'Client 127\.0\.0\.1:\d+ TLS handshake failed: .*wrong key for identity "{PSK_IDENTITY}"',
            r"OpenSSL Error"))
        # Retained, so it arrives whether or not the subscription was in place yet.
        sent = mosquitto_client("mosquitto_pub", broker.port, good, "-t", "tls/after", "-r",
                                "-m", "after")
        assert sent.returncode == 0, sent.stdout + sent.stderr
        output, _ = healthy.communicate(timeout=TIMEOUT_S)
        assert healthy.returncode == 0 and output.strip() == "after", output
    finally:
        if healthy.poll() is None:
            healthy.kill()
            healthy.wait()
