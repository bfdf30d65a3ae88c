#!/usr/bin/python3
"""Resident memory per idle MQTT connection: AttestMQ and Debian's mosquitto in one run.

For each broker: start it on a free 127.0.0.1 port (anonymous clients, error logging only,
soft open-file limit raised to the hard one for both, since mosquitto does not raise its
own), connect and drop 100 clients to warm it up, read its VmRSS, connect CONNECTIONS idle
MQTT 3.1.1 clients (keep alive 0) from PROCESSES client processes, read VmRSS again, and
report (after - before) / CONNECTIONS. The clients are tests/integration/idle_clients.py,
the same ones test_many_connections.py uses. Prints a Markdown table for docs/benchmarks.md.

    bench/idle_connections.py [--attestmq PATH] [--mosquitto PATH] [--connections N]
"""
import argparse
import os
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from idle_clients import IdleClients, resident_bytes  # noqa: E402

STARTUP_TIMEOUT_S = 20.0


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def raise_file_limit():
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def start(command, directory, port):
    config = os.path.join(directory, "broker.conf")
    with open(config, "w") as file:
        file.write(f"listener {port} 127.0.0.1\nallow_anonymous true\nlog_type error\n")
    process = subprocess.Popen(command + ["-c", config], stdin=subprocess.DEVNULL,
                               stdout=subprocess.DEVNULL, preexec_fn=raise_file_limit)
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise SystemExit(f"{command[0]} exited with {process.returncode} at start")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"{command[0]} did not listen on {port}")
            time.sleep(0.05)


def hold(port, connections, processes, prefix):
    holders = [IdleClients(port, connections // processes, f"{prefix}{index}")
               for index in range(processes)]
    for holder in holders:
        holder.wait_connected()
    return holders


def measure(name, command, connections, processes):
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="idle-bench-") as directory:
        os.chmod(directory, 0o755)  # mosquitto reads its config after dropping root
        process = start(command, directory, port)
        try:
            for holder in hold(port, 100, 1, "warm-up"):
                holder.stop()
            time.sleep(0.5)  # the broker has seen the warm-up clients go
            before = resident_bytes(process.pid)
            holders = hold(port, connections, processes, "idle")
            after = resident_bytes(process.pid)
            for holder in holders:
                holder.stop()
        finally:
            process.terminate()
            process.wait(STARTUP_TIMEOUT_S)
    held = connections // processes * processes
    return name, held, before, after, (after - before) / held


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attestmq",
                        default=os.path.join(ROOT, "build/release/apps/attestmq/attestmq"))
    parser.add_argument("--mosquitto", default=shutil.which("mosquitto") or "/usr/sbin/mosquitto")
    parser.add_argument("--connections", type=int, default=19_000)
    parser.add_argument("--processes", type=int, default=2,
                        help="client processes (each holds connections / processes)")
    args = parser.parse_args()
    rows = [measure("attestmq", [args.attestmq, "broker"], args.connections, args.processes),
            measure("mosquitto", [args.mosquitto], args.connections, args.processes)]
    print("| broker | idle connections | VmRSS before | VmRSS after | bytes per connection |")
    print("|---|---|---|---|---|")
    for name, held, before, after, per in rows:
        print(f"| {name} | {held} | {before / 2**20:.1f} MiB | {after / 2**20:.1f} MiB "
              f"| {per:.0f} |")


if __name__ == "__main__":
    main()
