"""`attestmq bench`, the load generator behind docs/benchmarks.md, against each broker: it must
count right before its numbers mean anything. Short runs over loopback: everything sent is
delivered once (QoS 0 included, with the generator's window), at QoS 1 and 2 in MQTT 5 and
3.1.1, in pairs, fanout, fanin and a shared subscription, over TLS too; latency percentiles are ordered and taken once per message; a fixed rate
is kept; CPU times are reported; bad input gets a usage error or a specific message."""
import json
import subprocess

import pytest

from reference_mosquitto import attestmq_binary, free_port
from test_tls import pki, tls_broker  # noqa: F401  (pki is a fixture)
from tls_pki import PSK_IDENTITY, PSK_KEY, WRONG_PSK_KEY

SHORT = ["--warmup", "0.3", "--json"]


def bench(port, *arguments):
    return subprocess.run([attestmq_binary(), "bench", "--port", str(port), *arguments],
                          capture_output=True, text=True, timeout=60)


def measured(port, *arguments, duration=1):
    done = bench(port, *SHORT, "--duration", str(duration), *arguments)
    assert done.returncode == 0, f"bench {' '.join(arguments)}: {done.returncode}\n{done.stderr}"
    return json.loads(done.stdout)


def assert_consistent(r):
    latency = r["latency_us"]
    ordered = [latency[q] for q in ("p50", "p90", "p99", "p99.9", "max")]
    assert r["sent"] > 0 and r["delivered"] > 0, "no messages flowed"
    assert ordered == sorted(ordered) and ordered[0] > 0, f"percentiles out of order: {ordered}"
    assert latency["samples"] == r["delivered_unique"], "one latency sample per message"
    # Each message reaches every subscriber in fanout, one elsewhere (one member if shared).
    assert r["expected"] == r["sent"] * (r["subscribers"] if r["scenario"] == "fanout" else 1)
    assert r["generator_cpu"]["total_s"] > 0


def assert_nothing_lost(r):
    assert_consistent(r)
    assert (r["lost"], r["duplicates"], r["rejected_acks"]) == (0, 0, 0)
    assert r["delivered_unique"] == r["expected"]


@pytest.mark.parametrize("qos", [0, 1, 2])
@pytest.mark.parametrize("version", ["5", "311"])
def test_pairs_deliver_every_message_once(broker, mosquitto_deviates, qos, version):
    if (qos, version) == (2, "311"):
        # Its receive quota (max_inflight_messages, 20) applies to a 3.1.1 client, which has no
        # Receive Maximum to learn it from: a QoS 2 PUBLISH past it gets a PUBREC (3.1.1 has no
        # reason code to refuse with) and is dropped. MQTT 5 clients are told the 20 and keep to it.
        mosquitto_deviates("drops QoS 2 messages of an MQTT 3.1.1 client that it acknowledged "
                           "with PUBREC, past 20 in flight")
    r = measured(broker.port, "-n", "4", "-q", str(qos), "-V", version,
                 "--broker-pid", str(broker.process.pid))
    assert_nothing_lost(r)
    assert r["granted_qos"] == qos
    assert r["broker_cpu"]["total_s"] > 0, "the broker's CPU time is read from /proc"


@pytest.mark.parametrize("qos", [0, 2])
def test_fanout_delivers_to_every_subscriber(broker, qos):
    r = measured(broker.port, "--scenario", "fanout", "-n", "20", "-q", str(qos))
    assert (r["publishers"], r["subscribers"]) == (1, 20)
    assert_nothing_lost(r)


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_fanin_keeps_each_publishers_stream_apart(broker, broker_kind, qos):
    r = measured(broker.port, "--scenario", "fanin", "-n", "8", "-q", str(qos), "--threads", "2")
    assert (r["publishers"], r["subscribers"]) == (8, 1)
    if broker_kind == "mosquitto" and qos > 0 and (r["lost"] or r["sequence_gaps"]):
        # Mosquitto 2.0.11 drops QoS 1 and 2 messages it acknowledged once its queue for this
        # subscriber is full (more often at QoS 2), and says so: then what the generator counts
        # as lost must be what the broker dropped, never more than it could have.
        assert "Outgoing messages are being dropped" in broker.output()
        assert r["duplicates"] == 0 and r["delivered_unique"] <= r["expected"]
        return
    assert_nothing_lost(r)
    assert r["sequence_gaps"] == 0


@pytest.mark.parametrize("qos", [0, 1, 2])
def test_a_shared_subscription_group_gets_every_message_once(broker, qos):
    r = measured(broker.port, "--scenario", "shared", "-n", "16", "-q", str(qos), "--threads", "2")
    assert (r["publishers"], r["subscribers"]) == (1, 16)
    assert_nothing_lost(r)


@pytest.mark.parametrize("qos", [1, 2])
def test_refused_publications_are_counted(start_broker, readable_file, qos):
    """Clients may read everything and write nothing (acl_file): each PUBLISH is refused with
    a failure reason code in its PUBACK or PUBREC (MQTT 5.0 sections 3.4.2.1, 3.5.2.1), which
    the generator counts, ending the exchange (no PUBREL follows a refusing PUBREC)."""
    broker = start_broker(acl_file=readable_file("read-only.acl", "topic read #\n"))
    r = measured(broker.port, "-n", "2", "-q", str(qos), duration=0.5)
    assert r["rejected_acks"] > 0
    assert r["delivered_unique"] == 0 and r["duplicates"] == 0


def test_a_fixed_rate_is_kept(broker):
    r = measured(broker.port, "--rate", "2000", "-n", "4", duration=2)
    assert_nothing_lost(r)
    assert abs(r["sent_per_s"] - 2000) < 20, f"sent {r['sent_per_s']}/s"


def test_two_generator_threads_and_large_payloads(broker):
    assert_nothing_lost(measured(broker.port, "-n", "6", "--threads", "2", "--size", "1000"))


def test_the_connect_scenario_counts_each_connection(broker):
    r = measured(broker.port, "--scenario", "connect", "-n", "4")
    latency = r["connect_latency_us"]
    assert r["connections"] > 0 and r["tls"] is False
    assert latency["samples"] == r["connections"]
    assert 0 < latency["p50"] <= latency["p99"] <= latency["max"]
    assert abs(r["connections_per_s"] * r["duration_s"] - r["connections"]) < 1


@pytest.mark.parametrize("qos", [1, 2])
def test_over_tls_nothing_is_lost(start_broker, pki, qos):  # noqa: F811
    broker = tls_broker(start_broker, pki)
    assert_nothing_lost(measured(broker.port, "-n", "4", "-q", str(qos), "--tls", "--cafile",
                                 str(pki.ca)))
    r = measured(broker.port, "--scenario", "connect", "-n", "4", "--tls", "--cafile", str(pki.ca))
    assert r["connections"] > 0 and r["tls"] is True


def psk_broker(start_broker, pki):  # noqa: F811
    return start_broker(psk_hint="attestmq-tests", psk_file=pki.psk_file, tls_version="tlsv1.3")


@pytest.mark.parametrize("qos", [1, 2])
def test_over_tls_psk_nothing_is_lost(start_broker, pki, qos):  # noqa: F811
    broker = psk_broker(start_broker, pki)
    psk = ["--tls", "--psk", PSK_KEY, "--psk-identity", PSK_IDENTITY]
    assert_nothing_lost(measured(broker.port, "-n", "4", "-q", str(qos), *psk))
    r = measured(broker.port, "--scenario", "connect", "-n", "4", *psk)
    assert r["connections"] > 0 and r["tls"] is True


def test_a_wrong_psk_is_reported(start_broker, pki):  # noqa: F811
    broker = psk_broker(start_broker, pki)
    done = bench(broker.port, "--duration", "1", "--tls", "--psk", WRONG_PSK_KEY,
                 "--psk-identity", PSK_IDENTITY)
    assert done.returncode == 1 and ": TLS: " in done.stderr, done.stderr


def test_a_certificate_the_ca_did_not_sign_is_reported(start_broker, pki):  # noqa: F811
    broker = tls_broker(start_broker, pki)
    done = bench(broker.port, "--duration", "1", "--tls", "--cafile", str(pki.server_cert))
    assert done.returncode == 1 and "certificate verify failed" in done.stderr, done.stderr


@pytest.mark.parametrize("arguments, code, message", [
    (["--tls"], 1, "--tls needs --cafile or --psk"),
    (["--tls", "--psk", "abc", "--psk-identity", "me"], 2, "--psk"),
    (["--tls", "--psk", "abcd"], 2, "--psk-identity"),
    (["--tls", "--psk", "", "--psk-identity", "me"], 2, "--psk"),
    (["--psk", "abcd", "--psk-identity", "me"], 2, "--tls"),
    (["--tls", "--psk", "abcd", "--psk-identity", "me", "--cafile", __file__], 2, "--cafile"),
    (["--cafile", __file__], 2, "--tls"),
    (["--qos", "3"], 2, "--qos"),
    (["--size", "8"], 2, "--size"),
    (["--duration", "1"], 1, "Connection refused"),
])
def test_bad_input_is_named(arguments, code, message):
    done = bench(free_port(), *arguments)
    assert done.returncode == code and message in done.stderr, done.stderr
