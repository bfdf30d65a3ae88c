"""`attestmq bench`, the load generator behind docs/benchmarks.md, against each broker: it must
count right before its numbers mean anything. Short runs over loopback: everything sent is
delivered once (QoS 0 included, with the generator's window), at QoS 1 and 2 in MQTT 5 and
3.1.1, in pairs, fanout, fanin and a shared subscription, over TLS too, and in every step of a
ramp of the rate, the subscribers or the publishers; latency percentiles are ordered and taken
once per message; a fixed rate is kept; CPU times are reported; a signal stops a run with a
report; bad input gets a usage error or a specific message."""
import json
import os
import pty
import signal
import subprocess
import time

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


def assert_consistent(r, scenario=None):
    """`r`: a run's report, or one step of a ramp (`scenario` then names the run's)."""
    latency = r["latency_us"]
    ordered = [latency[q] for q in ("p50", "p90", "p99", "p99.9", "max")]
    assert r["sent"] > 0 and r["delivered"] > 0, "no messages flowed"
    assert ordered == sorted(ordered) and ordered[0] > 0, f"percentiles out of order: {ordered}"
    assert latency["samples"] == r["delivered_unique"], "one latency sample per message"
    # Each message reaches every subscriber in fanout and fanin, one elsewhere (one member if
    # shared).
    reach = r["subscribers"] if (scenario or r["scenario"]) in ("fanout", "fanin") else 1
    assert r["expected"] == r["sent"] * reach
    assert r["generator_cpu"]["total_s"] > 0 and 0 < r["generator_busy"] < 2


def assert_nothing_lost(r, scenario=None):
    assert_consistent(r, scenario)
    assert (r["lost"], r["duplicates"]) == (0, 0)
    assert r["delivered_unique"] == r["expected"]
    if scenario is None:
        assert r["rejected_acks"] == 0


def assert_ramp_lost_nothing(r, values):
    assert [step["value"] for step in r["steps"]] == values
    assert (r["duplicates"], r["rejected_acks"], r["stopped_early"]) == (0, 0, False)
    for step in r["steps"]:
        assert_nothing_lost(step, r["scenario"])


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


def test_a_rate_ramp_measures_each_step_apart(broker):
    """One run, the rate growing: each step keeps its own rate, loses nothing, and the step
    without a rate ('max') sends more than the fixed ones."""
    r = measured(broker.port, "-n", "2", "-q", "1", "--ramp", "rate", "--steps", "500,2000,max",
                 duration=0.7)
    assert_ramp_lost_nothing(r, [500, 2000, 0])
    fixed = [step["sent_per_s"] for step in r["steps"][:2]]
    assert abs(fixed[0] - 500) < 10 and abs(fixed[1] - 2000) < 20, fixed
    assert r["steps"][2]["sent_per_s"] > 2 * fixed[1]


def test_a_subscriber_ramp_grows_the_shared_group(broker):
    r = measured(broker.port, "--scenario", "shared", "-q", "1", "--rate", "1000", "--ramp",
                 "subscribers", "--steps", "1,4,12", duration=0.7)
    assert_ramp_lost_nothing(r, [1, 4, 12])
    # Measured, not configured: every member that joined got its share of its step.
    assert [step["subscribers_receiving"] for step in r["steps"]] == [1, 4, 12]


def test_a_publisher_ramp_adds_streams(broker):
    """Fanin with three subscribers, publishers starting at their step, each at its own rate."""
    r = measured(broker.port, "--scenario", "fanin", "--subscribers", "3", "-q", "2",
                 "--publisher-rate", "200", "--ramp", "publishers", "--steps", "1,3,6",
                 duration=0.7)
    assert_ramp_lost_nothing(r, [1, 3, 6])
    for step in r["steps"]:
        assert step["subscribers"] == 3
        assert abs(step["sent_per_s"] - 200 * step["publishers"]) < 10 * step["publishers"]


@pytest.mark.parametrize("clients", [["-n", "2"], ["--scenario", "fanout", "-n", "4", "-t", "2"]])
def test_a_signal_stops_the_run_with_a_report(broker, clients):
    """On a terminal a progress line is rewritten each second; SIGINT ends the measurement
    where it is, for every generator thread at the same instant, and the report covers what
    was measured."""
    terminal, child_side = pty.openpty()
    run = subprocess.Popen([attestmq_binary(), "bench", "--port", str(broker.port), *clients,
                            "-q", "1", "--warmup", "0.3", "--duration", "30", "--json"],
                           stdout=subprocess.PIPE, stderr=child_side, text=True)
    os.close(child_side)
    time.sleep(2.5)
    run.send_signal(signal.SIGINT)
    out, _ = run.communicate(timeout=20)
    progress = os.read(terminal, 65536).decode()
    os.close(terminal)
    assert run.returncode == 0
    r = json.loads(out)
    assert r["stopped_early"] and 1.5 < r["duration_s"] < 3, r["duration_s"]
    assert_nothing_lost(r)
    assert "\rattestmq bench:" in progress and "measuring" in progress, progress


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
    (["--ramp", "rate"], 2, "--ramp needs --steps"),
    (["--steps", "1,2"], 2, "--ramp"),
    (["--ramp", "rate", "--steps", "10,fast"], 2, "--steps 'fast'"),
    (["--ramp", "subscribers", "--steps", "1,2"], 2, "--scenario shared"),
    (["--scenario", "fanin", "--ramp", "publishers", "--steps", "4,2"], 2, "--steps '2'"),
    (["--scenario", "shared", "--ramp", "subscribers", "--steps", "1,2.5"], 2, "--steps '2.5'"),
    (["--scenario", "connect", "--ramp", "rate", "--steps", "1"], 2, "--scenario connect"),
    (["--ramp", "rate", "--steps", "1", "--publisher-rate", "5"], 2, "--publisher-rate"),
    (["--rate", "1", "--publisher-rate", "5"], 2, "--rate"),
    (["--subscribers", "3"], 2, "--scenario fanin"),
    (["--evidence", "per-session"], 2, "--evidence needs --attest"),
    (["--tls", "--cafile", __file__, "--attest", __file__, "--scenario", "connect",
      "--attest-transport", "handshake", "--evidence", "per-session"], 2, "--evidence applies"),
    (["--ramp", "rate", "--steps", "1", "--rate", "5"], 2, "not with --rate"),
    (["--scenario", "shared", "-n", "3", "--ramp", "subscribers", "--steps", "1,2"], 2,
     "not with -n"),
    (["--ramp", "rate", "--steps", "nan"], 2, "--steps 'nan'"),
    (["--scenario", "shared", "--ramp", "subscribers", "--steps=-3"], 2, "--steps '-3'"),
    (["--publisher-rate", "1e-9"], 2, "--publisher-rate"),
])
def test_bad_input_is_named(arguments, code, message):
    done = bench(free_port(), *arguments)
    assert done.returncode == code and message in done.stderr, done.stderr
