#!/usr/bin/env python3
"""What persistence costs, side by side (issue #11, docs/benchmarks.md "Persistence").

    bench/persistence.py [--attestmq build/release/apps/attestmq/attestmq] [--rounds 3]

Throughput: pairs-qos1-persistent (8 publishers -> 8 subscribers, QoS 1, 64 B, every client
in a persistent session, so that each message is stored until its PUBACK) against AttestMQ
with persistence off, on with persistence_sync normal, on with full, sealed under the sim
TEE; attestmq-enclave (sim TEE) in memory and sealed; and Debian's mosquitto with
persistence on. Rounds are interleaved (bench/variants.py's method), each run starts on
an empty database, and bench/compare.py's pinning applies: broker on CPU 0, generator on 1.

Restart: a broker with persistence is given SESSIONS persistent sessions (one subscription
each) and RETAINED retained messages, stopped with SIGTERM, and started again; the time from
its start until it answers a CONNECT is measured, for AttestMQ and for mosquitto.

Writes bench/results/persistence.json and docs/img/persistence.{png,svg}; --report prints the
Markdown tables of docs/benchmarks.md from the JSON.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from compare import Broker, environment, free_port, make_certificates, run_scenario  # noqa: E402
import mqtt_wire as wire  # noqa: E402

SCENARIO = "pairs-qos1-persistent"
SESSIONS = 10_000
RETAINED = 100_000


def variants(attestmq, enclave):
    """name -> (command, configuration lines without the database location). The sim TEE's
    key and counter live beside each run's fresh database: a counter left by an earlier run
    would (rightly) refuse an empty database as a rollback."""
    normal = ["persistence true", "persistence_sync normal"]
    sim = ["tee sim", "tee_sim_key_file {location}/sim.pem"]
    found = {
        "attestmq, persistence off": ([attestmq, "broker"], ["threads 1"]),
        "attestmq, persistence normal": ([attestmq, "broker"], ["threads 1", *normal]),
        "attestmq, persistence full": ([attestmq, "broker"],
                                       ["threads 1", "persistence true", "persistence_sync full"]),
        "attestmq, sealed (sim TEE), normal": ([attestmq, "broker"], ["threads 1", *normal, *sim]),
    }
    if enclave:
        found["enclave (sim TEE), persistence off"] = ([enclave], sim)
        found["enclave (sim TEE), sealed, normal"] = ([enclave], [*normal, *sim])
    found["mosquitto, persistence on"] = (["mosquitto"], ["persistence true"])
    return found


def fresh_directory(workdir, name):
    """An empty directory mosquitto can write too (it drops root for its own user)."""
    path = os.path.join(workdir, "db-" + "".join(c if c.isalnum() else "-" for c in name))
    shutil.rmtree(path, ignore_errors=True)
    os.makedirs(path)
    os.chmod(path, 0o777)
    return path


def throughput(args, workdir, certificates):
    runs = {name: [] for name in variants(args.attestmq, args.enclave)}
    for round_number in range(args.rounds):
        for name, (command, config) in variants(args.attestmq, args.enclave).items():
            location = fresh_directory(workdir, name)
            lines = [line.format(location=location) for line in config]
            broker = Broker(os.path.basename(location) + str(round_number), command,
                            [*lines, f"persistence_location {location}/"], workdir, certificates)
            try:
                runs[name].append(run_scenario([args.attestmq, "bench"], broker, SCENARIO,
                                               args.duration, args.warmup, certificates[0]))
            finally:
                broker.stop()
        print(f"round {round_number}: " + ", ".join(
            f"{name} {runs[name][-1]['delivered_per_s']:,.0f} msg/s" for name in runs), flush=True)
    return runs


def populate(port):
    """SESSIONS persistent sessions with one subscription each, and RETAINED retained messages."""
    for index in range(SESSIONS):
        client = wire.RawClient(port)
        client.connect(f"stored-{index}", clean=False, props=[(wire.SESSION_EXPIRY_INTERVAL, 86400)])
        client.subscribe([(f"devices/{index}/commands", 1)])
        client.send(wire.disconnect())
        client.sock.close()
    publisher = wire.RawClient(port)
    publisher.connect("retainer")
    batch = []
    for index in range(RETAINED):
        batch.append(wire.publish(f"state/{index // 1000}/{index}", b"%08d" % index, retain=True))
        if len(batch) == 1000:
            publisher.send(b"".join(batch))
            batch = []
    publisher.send(wire.PINGREQ_PACKET)  # answered once every PUBLISH before it was handled
    assert publisher.recv_kind(wire.PINGRESP) is not None
    publisher.send(wire.disconnect())
    publisher.sock.close()


def wait_serving(port, process, timeout=120.0):
    """Until a CONNECT gets its CONNACK: a listening socket alone may still be restoring."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"broker exited with {process.returncode} while starting")
        try:
            probe = wire.RawClient(port, timeout=timeout)
            probe.connect("restart-probe")
            probe.sock.close()
            return
        except (OSError, AssertionError):
            time.sleep(0.002)
    raise RuntimeError(f"broker not serving after {timeout} s")


def restart_time(command, config_lines, workdir, name):
    location = fresh_directory(workdir, "restart-" + name)
    config_lines = [line.format(location=location) for line in config_lines]
    port = free_port()
    config = os.path.join(workdir, f"restart-{name}.conf")
    with open(config, "w") as conf:
        conf.write(f"listener {port} 127.0.0.1\nallow_anonymous true\npersistence true\n"
                   f"persistence_location {location}/\nmax_queued_messages 0\n")
        conf.writelines(line + "\n" for line in config_lines)
    log = open(os.path.join(workdir, f"restart-{name}.log"), "w")
    start = lambda: subprocess.Popen([*command, "-c", config], stdout=log, stderr=subprocess.STDOUT)
    process = start()
    wait_serving(port, process)
    populate(port)
    process.terminate()
    process.wait(60)
    size = sum(os.path.getsize(os.path.join(location, f)) for f in os.listdir(location) if ".db" in f)
    began = time.monotonic()
    process = start()
    wait_serving(port, process)
    took = time.monotonic() - began
    probe = wire.RawClient(port)  # the state came back: a stored session and a retained message
    present = probe.connect("stored-7", clean=False,
                            props=[(wire.SESSION_EXPIRY_INTERVAL, 86400)]).body[0] & 1 == 1
    probe.subscribe([("state/99/99999", 0)])
    retained = probe.recv_kind(wire.PUBLISH, 5) is not None
    probe.sock.close()
    process.terminate()
    process.wait(60)
    log.close()
    return {"seconds_to_serving": took, "database_bytes": size, "session_present": present,
            "retained_restored": retained}


def restarts(args, workdir):
    sim = ["tee sim", "tee_sim_key_file {location}/sim.pem"]
    found = {"attestmq": restart_time([args.attestmq, "broker"], ["threads 1"], workdir, "attestmq"),
             "attestmq, sealed (sim TEE)": restart_time([args.attestmq, "broker"], ["threads 1", *sim], workdir,
                                                        "attestmq-sealed")}
    if args.enclave:
        found["enclave (sim TEE), sealed"] = restart_time([args.enclave], sim, workdir, "enclave-sealed")
    found["mosquitto"] = restart_time(["mosquitto"], [], workdir, "mosquitto")
    return found


def report(results):
    runs = results["throughput"]
    names = list(runs)
    mosquitto = runs["mosquitto, persistence on"]
    print("| broker | delivered msg/s (median, min-max) | broker CPU us/msg | vs the same broker, persistence off | "
          "vs mosquitto (persistence on) | per broker core vs mosquitto |\n"
          "|---|---:|---:|---:|---:|---:|")
    for name in names:
        mine = runs[name]
        rate = [m["delivered_per_s"] for m in mine]
        # Each broker against itself in memory, round by round.
        off = runs.get(name.split(",")[0] + ", persistence off")
        vs_off = [m["delivered_per_s"] / o["delivered_per_s"] for m, o in zip(mine, off)] if off else []
        vs_mosq = [m["delivered_per_s"] / q["delivered_per_s"] for m, q in zip(mine, mosquitto)]
        per_core = [q["broker_cpu"]["us_per_delivered"] / m["broker_cpu"]["us_per_delivered"]
                    for m, q in zip(mine, mosquitto)]
        print(f"| {name} | {statistics.median(rate):,.0f} ({min(rate):,.0f}-{max(rate):,.0f}) | "
              f"{statistics.median(m['broker_cpu']['us_per_delivered'] for m in mine):.2f} | "
              f"{f'{statistics.median(vs_off):.2f}x' if vs_off else '-'} | {statistics.median(vs_mosq):.1f}x | "
              f"{statistics.median(per_core):.1f}x |")
    print(f"\n| broker | restart with {SESSIONS:,} sessions and {RETAINED:,} retained messages | "
          "database on disk | state back |\n|---|---:|---:|---|")
    for name, r in results["restart"].items():
        back = "yes" if r["session_present"] and r["retained_restored"] else "NO"
        print(f"| {name} | {r['seconds_to_serving']:.2f} s | "
              f"{r['database_bytes'] / 1e6:.1f} MB | {back} |")


def plot(results, image_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    runs = results["throughput"]
    names = list(runs)
    medians = [statistics.median(m["delivered_per_s"] for m in runs[n]) for n in names]
    lows = [medians[i] - min(m["delivered_per_s"] for m in runs[n]) for i, n in enumerate(names)]
    highs = [max(m["delivered_per_s"] for m in runs[n]) - medians[i] for i, n in enumerate(names)]
    fig, ax = plt.subplots(figsize=(9, 4.6))
    colors = ["#888888" if n.startswith("mosquitto") else "#6a4c93" if n.startswith("enclave") else "#1f77b4"
              for n in names]
    ax.barh(names[::-1], medians[::-1], xerr=[lows[::-1], highs[::-1]], color=colors[::-1])
    ax.set_xlabel("delivered msg/s, QoS 1, 8 pairs in persistent sessions (median, min-max)")
    ax.set_title("Persistence: throughput on one broker core")
    fig.tight_layout()
    os.makedirs(image_dir, exist_ok=True)
    for suffix in ("png", "svg"):
        fig.savefig(os.path.join(image_dir, f"persistence.{suffix}"))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attestmq", default=os.path.join(ROOT, "build/release/apps/attestmq/attestmq"))
    parser.add_argument("--enclave", default=os.path.join(ROOT, "build/release/src/wasm/runner/enclave/attestmq-enclave"),
                        help="attestmq-enclave; empty to leave the enclave out")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--output", default=os.path.join(ROOT, "bench/results/persistence.json"))
    parser.add_argument("--images", default=os.path.join(ROOT, "docs/img"))
    parser.add_argument("--report", metavar="JSON", help="print the tables of an earlier run")
    args = parser.parse_args()
    if args.report:
        with open(args.report) as saved:
            report(json.load(saved))
        return
    with tempfile.TemporaryDirectory(prefix="attestmq-persistence-") as workdir:
        os.chmod(workdir, 0o755)
        certificates_dir = os.path.join(workdir, "certificates")
        os.mkdir(certificates_dir)
        certificates = make_certificates(certificates_dir)
        results = {"environment": environment(args.attestmq),
                   "throughput": throughput(args, workdir, certificates),
                   "restart": restarts(args, workdir)}
    with open(args.output, "w") as out:
        json.dump(results, out, indent=1)
    plot(results, args.images)
    report(results)


if __name__ == "__main__":
    main()
