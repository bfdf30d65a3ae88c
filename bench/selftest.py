#!/usr/bin/python3
"""Checks `attestmq bench` against a real broker (Debian's mosquitto by default).

Starts a private mosquitto on a free 127.0.0.1 port, runs short benchmarks and checks that the
numbers are consistent: everything sent is delivered exactly once at QoS 1, the fixed rate is
kept, latency percentiles are ordered and counted once per message, CPU times are reported,
the connect scenario and --tls work (a TLS listener with a throwaway certificate), and bad
input gets exit code 2 or a specific error. Exit status 0 when every check passes.
Usage: bench/selftest.py [--attestmq PATH] [--broker-command CMD...]
"""
import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

from compare import make_certificates

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ATTESTMQ = os.path.join(ROOT, "build/bench/apps/attestmq/attestmq")
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what)
    if not condition:
        failures.append(what)


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_broker(command, workdir, certificates):
    """The broker with a plain listener and a TLS one; returns (process, port, tls_port)."""
    port, tls_port = free_port(), free_port()
    _, certfile, keyfile = certificates
    config = os.path.join(workdir, "broker.conf")
    with open(config, "w") as conf:
        conf.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nset_tcp_nodelay true\n"
                   f"listener {tls_port} 127.0.0.1\ncertfile {certfile}\nkeyfile {keyfile}\n")
    process = subprocess.Popen([*command, "-c", config], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            for listener in (port, tls_port):
                socket.create_connection(("127.0.0.1", listener), timeout=0.2).close()
            return process, port, tls_port
        except OSError:
            if process.poll() is not None:
                break
            time.sleep(0.05)
    process.kill()
    sys.exit(f"selftest: broker {' '.join(command)} did not start")


def bench(generator, port, *arguments, expect_json=True):
    done = subprocess.run([*generator, "--port", str(port), *arguments], capture_output=True,
                          text=True, timeout=60)
    if not expect_json:
        return done
    if done.returncode != 0:
        check(False, f"bench {' '.join(arguments)} exits 0 (got {done.returncode}: {done.stderr})")
        return None
    return json.loads(done.stdout)


def check_consistent(name, r):
    latency = r["latency_us"]
    ordered = [latency[q] for q in ("p50", "p90", "p99", "p99.9", "max")]
    check(r["sent"] > 0 and r["delivered"] > 0, f"{name}: messages flow")
    check(ordered == sorted(ordered) and ordered[0] > 0, f"{name}: percentiles ordered {ordered}")
    check(latency["samples"] == r["delivered_unique"],
          f"{name}: one latency sample per message ({latency['samples']} vs "
          f"{r['delivered_unique']})")
    check(r["expected"] == r["sent"] * (r["subscribers"] // r["publishers"]),
          f"{name}: expected deliveries = sent x subscribers per publisher")
    check(r["generator_cpu"]["total_s"] > 0, f"{name}: generator CPU time reported")


def check_connect(name, r):
    latency = r["connect_latency_us"]
    check(r["connections"] > 0, f"{name}: connections completed ({r['connections']})")
    check(latency["samples"] == r["connections"], f"{name}: one latency sample per connection")
    check(0 < latency["p50"] <= latency["p99"] <= latency["max"],
          f"{name}: p50 <= p99 <= max ({latency['p50']}, {latency['p99']}, {latency['max']})")
    check(abs(r["connections_per_s"] * r["duration_s"] - r["connections"]) < 1,
          f"{name}: connections/s = connections / duration")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--attestmq", default=DEFAULT_ATTESTMQ)
    parser.add_argument("--generator", nargs="+",
                        help="generator command instead of 'ATTESTMQ bench'")
    parser.add_argument("--broker-command", nargs="+", default=["mosquitto"])
    args = parser.parse_args()
    generator = args.generator or [args.attestmq, "bench"]

    with tempfile.TemporaryDirectory(prefix="attestmq-bench-selftest-") as workdir:
        pki = os.path.join(workdir, "pki")
        os.makedirs(pki)
        os.chmod(workdir, 0o755)  # mosquitto started as root reads them as `mosquitto`
        certificates = make_certificates(pki)
        ca = certificates[0]
        broker, port, tls_port = start_broker(args.broker_command, workdir, certificates)
        try:
            short = ["--duration", "1.5", "--warmup", "0.5", "--json"]
            pid = ["--broker-pid", str(broker.pid)]

            r = bench(generator, port, *short, *pid, "-n", "4")
            if r:
                check_consistent("pairs qos0", r)
                check(r["lost"] == 0 and r["duplicates"] == 0, "pairs qos0: no loss over loopback")
                check(r["broker_cpu"] is not None and r["broker_cpu"]["total_s"] > 0,
                      "pairs qos0: broker CPU time read from /proc")

            for version in ("5", "311"):
                r = bench(generator, port, *short, "-n", "4", "-q", "1", "-V", version)
                if r:
                    check_consistent(f"pairs qos1 v{version}", r)
                    check(r["granted_qos"] == 1, f"pairs qos1 v{version}: QoS 1 granted")
                    check(r["lost"] == 0 and r["delivered_unique"] == r["expected"],
                          f"pairs qos1 v{version}: every acknowledged message delivered")

            r = bench(generator, port, *short, "--scenario", "fanout", "-n", "20")
            if r:
                check_consistent("fanout", r)
                check(r["publishers"] == 1 and r["subscribers"] == 20, "fanout: 1 -> 20")
                check(r["lost"] == 0, "fanout: no loss")

            r = bench(generator, port, "--duration", "2", "--warmup", "0.5", "--json",
                      "--rate", "2000", "-n", "4")
            if r:
                check_consistent("rate 2000", r)
                check(abs(r["sent_per_s"] - 2000) < 20, f"rate 2000: sent {r['sent_per_s']}/s")

            r = bench(generator, port, *short, "-n", "6", "--threads", "2", "--size", "1000")
            if r:
                check_consistent("2 threads, 1000 B", r)
                check(r["lost"] == 0, "2 threads: no loss")

            r = bench(generator, port, *short, "--scenario", "connect", "-n", "4")
            if r:
                check_connect("connect", r)
                check(r["tls"] is False, "connect: plain TCP")

            r = bench(generator, tls_port, *short, "-n", "4", "-q", "1", "--tls", "--cafile", ca)
            if r:
                check_consistent("TLS pairs qos1", r)
                check(r["lost"] == 0 and r["delivered_unique"] == r["expected"],
                      "TLS pairs qos1: every acknowledged message delivered")

            r = bench(generator, tls_port, *short, "--scenario", "connect", "-n", "4", "--tls",
                      "--cafile", ca)
            if r:
                check_connect("TLS connect", r)
                check(r["tls"] is True, "TLS connect: TLS")

            # The server certificate is no CA: nothing verifies it.
            done = bench(generator, tls_port, "--duration", "1", "--tls", "--cafile",
                         certificates[1], expect_json=False)
            check(done.returncode == 1 and "certificate verify failed" in done.stderr,
                  f"an unverifiable server certificate is reported ({done.stderr.strip()})")
            done = bench(generator, tls_port, "--tls", expect_json=False)
            check(done.returncode == 1 and "--tls needs --cafile" in done.stderr,
                  "--tls without --cafile is an error")
            done = bench(generator, tls_port, "--cafile", ca, expect_json=False)
            check(done.returncode == 2 and "--tls" in done.stderr,
                  "--cafile without --tls is a usage error")

            done = bench(generator, port, "--qos", "2", expect_json=False)
            check(done.returncode == 2 and "--qos" in done.stderr, "--qos 2 is a usage error")
            done = bench(generator, port, "--size", "8", expect_json=False)
            check(done.returncode == 2 and "--size" in done.stderr, "--size 8 is a usage error")
            done = bench(generator, free_port(), "--duration", "1", expect_json=False)
            check(done.returncode == 1 and "Connection refused" in done.stderr,
                  "a closed port is reported as refused")
        finally:
            broker.send_signal(signal.SIGTERM)
            broker.wait(timeout=10)

    print(f"\n{len(failures)} failure(s)" if failures else "\nall checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
