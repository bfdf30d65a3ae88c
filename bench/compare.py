#!/usr/bin/python3
"""Side-by-side benchmark of Debian's mosquitto, `attestmq broker` and `attestmq-enclave`.

Each broker runs pinned to CPU 0 (`taskset -c 0`), the load generator (`attestmq bench`) to
CPU 1, so "per core" means what it says. Every scenario runs against every broker; the broker's
CPU time is read from /proc/PID/stat by the generator at the edges of the measurement window
(and by this script around the whole run). Writes a JSON file with every number, one plot per
scenario, and prints Markdown tables for docs/benchmarks.md.

Every broker also has a TLS listener with the same server certificate, made once per run with
the `openssl` command line (EC P-256, a throwaway CA); the tls-* scenarios use it.
"""
import argparse
import datetime
import json
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ATTESTMQ = os.path.join(ROOT, "build/release/apps/attestmq/attestmq")
DEFAULT_ENCLAVE = os.path.join(ROOT, "build/release/src/wasm/runner/enclave/attestmq-enclave")
DEFAULT_ENGINE_WASM = os.path.join(ROOT, "build/wasm/src/wasm/guest/attestmq-engine.wasm")
NODE_HOST = os.path.join(ROOT, "tests/enclave/node_host.mjs")
BENCHMARKS_DOC = os.path.join(ROOT, "docs/benchmarks.md")
BROKER_CPU = "0"
GENERATOR_CPU = "1"

# name -> (generator arguments, what the scenario is for). Scenarios whose name starts with
# "tls-" run against the TLS listener with --tls --cafile CA.
SCENARIOS = {
    "pairs-qos0": (["--scenario", "pairs", "-n", "8", "-q", "0", "-s", "64"],
                   "8 publishers -> 8 subscribers, one topic each, QoS 0, 64 B"),
    "pairs-qos1": (["--scenario", "pairs", "-n", "8", "-q", "1", "-s", "64"],
                   "8 publishers -> 8 subscribers, one topic each, QoS 1, 64 B"),
    "fanout-qos0": (["--scenario", "fanout", "-n", "100", "-q", "0", "-s", "64"],
                    "1 publisher -> 100 subscribers of one topic, QoS 0, 64 B"),
    "latency-10k": (["--scenario", "pairs", "-n", "8", "-q", "0", "-s", "64", "--rate", "10000"],
                    "8 pairs, QoS 0, 64 B, fixed total rate 10,000 msg/s"),
    "tls-pairs-qos0": (["--scenario", "pairs", "-n", "8", "-q", "0", "-s", "64"],
                       "as pairs-qos0, over TLS 1.3"),
    "tls-pairs-qos1": (["--scenario", "pairs", "-n", "8", "-q", "1", "-s", "64"],
                       "as pairs-qos1, over TLS 1.3"),
    "pairs-qos1-persistent": (["--scenario", "pairs", "-n", "8", "-q", "1", "-s", "64",
                               "--session-expiry", "3600"],
                              "as pairs-qos1, every client in a persistent session (what a "
                              "broker with persistence stores); bench/persistence.py"),
    "connect": (["--scenario", "connect", "-n", "16"],
                "16 clients: TCP connect, CONNECT, CONNACK, DISCONNECT, in a loop"),
    "tls-connect": (["--scenario", "connect", "-n", "16"],
                    "as connect, with a full TLS 1.3 handshake (no resumption) each time"),
}
CONNECT_SCENARIOS = ("connect", "tls-connect")
THROUGHPUT_SCENARIOS = ("pairs-qos0", "pairs-qos1", "fanout-qos0", "tls-pairs-qos0",
                        "tls-pairs-qos1")


def is_tls(scenario):
    return scenario.startswith("tls-")


def make_certificates(directory):
    """A CA and a server certificate for 127.0.0.1 by it; returns (ca, certfile, keyfile).
    Readable by all: mosquitto started as root reads them as the `mosquitto` user."""
    def openssl(*arguments):
        subprocess.run(["openssl", *arguments], cwd=directory, check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    openssl("req", "-x509", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2",
            "-subj", "/CN=AttestMQ bench CA")
    openssl("req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
            "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(directory, "server.ext"), "w") as ext:
        ext.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
            "-CAcreateserial", "-days", "2", "-extfile", "server.ext", "-out", "server.crt")
    os.chmod(directory, 0o755)
    for name in os.listdir(directory):
        os.chmod(os.path.join(directory, name), 0o644)
    return tuple(os.path.join(directory, name) for name in ("ca.crt", "server.crt", "server.key"))

# name -> (command line before "-c FILE", extra config lines)
def brokers(attestmq, enclave, engine_wasm):
    found = {
        "mosquitto": (["mosquitto"], []),
        "mosquitto-nodelay": (["mosquitto"], ["set_tcp_nodelay true"]),
    }
    if attestmq:
        found["attestmq"] = ([attestmq, "broker"], ["threads 1"])
    if enclave:
        # The same engine compiled to Wasm, in the wasm2c runner (one thread by design).
        found["enclave"] = ([enclave], ["threads 1"])
    if engine_wasm:
        # The same module under node's WASI and event loop (a second runtime; tests only).
        found["enclave-node"] = (["node", "--no-warnings", NODE_HOST, engine_wasm], ["threads 1"])
    return found


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def cpu_seconds(pid):
    """utime + stime of a process, from proc(5)'s stat fields 14 and 15."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Broker:
    def __init__(self, name, command, extra_config, workdir, certificates):
        self.name = name
        self.port = free_port()
        self.tls_port = free_port()
        _, certfile, keyfile = certificates
        self.config = os.path.join(workdir, f"{name}.conf")
        with open(self.config, "w") as conf:
            conf.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
            conf.write(f"listener {self.tls_port} 127.0.0.1\ncertfile {certfile}\n"
                       f"keyfile {keyfile}\ntls_version tlsv1.3\n")
            conf.writelines(line + "\n" for line in extra_config)
        self.log = open(os.path.join(workdir, f"{name}.log"), "w")
        self.process = subprocess.Popen(["taskset", "-c", BROKER_CPU, *command, "-c", self.config],
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_until_listening()

    def wait_until_listening(self, timeout=10.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; "
                                   f"see {self.log.name}")
            try:
                for port in (self.port, self.tls_port):
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.name} is not listening on {self.port} after {timeout} s")

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def run_scenario(generator, broker, scenario, duration, warmup, ca):
    arguments = SCENARIOS[scenario][0]
    port = broker.port
    if is_tls(scenario):
        arguments = [*arguments, "--tls", "--cafile", ca]
        port = broker.tls_port
    return run_bench(generator, broker, port, arguments, duration, warmup)


def run_bench(generator, broker, port, arguments, duration, warmup):
    """One `attestmq bench --json` run against `broker` on the generator's core, with the
    broker's CPU over the window and the whole run."""
    command = ["taskset", "-c", GENERATOR_CPU, *generator, "--port", str(port),
               "--duration", str(duration), "--warmup", str(warmup),
               "--broker-pid", str(broker.process.pid), "--json", *arguments]
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(broker.process.pid)
    steps = (len(arguments[arguments.index("--steps") + 1].split(","))
             if "--steps" in arguments else 1)
    done = subprocess.run(command, capture_output=True, text=True,
                          timeout=duration * steps + warmup + 60)
    cpu_after = cpu_seconds(broker.process.pid)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    result = json.loads(done.stdout)
    result["broker_cpu_whole_run_s"] = cpu_after - cpu_before
    if "steps" not in result:  # a ramp's steps carry their own
        # Share of its core the broker used in the window: near 1 means it was the bottleneck.
        result["broker_core_utilisation"] = result["broker_cpu"]["total_s"] / duration
        result["generator_core_utilisation"] = result["generator_cpu"]["total_s"] / duration
    result["load_average_before"] = load_before
    return result


def median_run(scenario, runs):
    """The run with the median figure of merit: latency for the fixed-rate scenario."""
    if scenario == "latency-10k":
        ordered = sorted(runs, key=lambda r: r["latency_us"]["p99"])
    elif scenario in CONNECT_SCENARIOS:
        ordered = sorted(runs, key=lambda r: r["connections_per_s"])
    else:
        ordered = sorted(runs, key=lambda r: r["delivered_per_s"])
    return ordered[len(ordered) // 2]


def wait_for_quiet(max_load, patience=120.0):
    deadline = time.monotonic() + patience
    while max_load > 0 and os.getloadavg()[0] > max_load and time.monotonic() < deadline:
        time.sleep(2)


def version_of(command):
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (done.stdout + done.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "unknown"


def environment(attestmq):
    cpu = "unknown"
    with open("/proc/cpuinfo") as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True).stdout.strip()
    changed = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                              "src", "apps"], capture_output=True, text=True).stdout.strip()
    if commit and changed:
        commit += " + uncommitted changes"
    return {
        "load_average_at_end": os.getloadavg(),
        "date_utc": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "kernel": platform.release(),
        "cpu": cpu,
        "cpus_online": os.cpu_count(),
        "mosquitto": version_of(["mosquitto", "-h"]),
        "attestmq_commit": commit or "unknown",
        "attestmq_binary": attestmq or None,
    }


def ratios(results, mine="attestmq"):
    """`mine` over each other broker. `per_core` compares delivered messages per second of
    broker CPU (the inverse of CPU us/msg), which stays meaningful when a broker did not get
    its whole core on this shared machine."""
    found = {}
    if mine not in results:
        return found
    ours = results[mine]
    for name in (n for n in results if n != mine):
        for scenario in THROUGHPUT_SCENARIOS:
            if scenario not in ours:
                continue
            theirs = results[name][scenario]
            found.setdefault(scenario, {})[f"vs {name}"] = {
                "delivered": ours[scenario]["delivered_per_s"] / theirs["delivered_per_s"],
                "per_core": (theirs["broker_cpu"]["us_per_delivered"] /
                             ours[scenario]["broker_cpu"]["us_per_delivered"]),
            }
        if "latency-10k" in ours:
            found.setdefault("latency-10k", {})[f"vs {name}"] = {
                "p99": (ours["latency-10k"]["latency_us"]["p99"] /
                        results[name]["latency-10k"]["latency_us"]["p99"])}
        for scenario in (s for s in CONNECT_SCENARIOS if s in ours):
            own, theirs = ours[scenario], results[name][scenario]
            found.setdefault(scenario, {})[f"vs {name}"] = {
                "delivered": own["connections_per_s"] / theirs["connections_per_s"],
                "per_core": (connections_per_core(own) / connections_per_core(theirs)),
                "p99": (own["connect_latency_us"]["p99"] /
                        theirs["connect_latency_us"]["p99"]),
            }
    return found


def connections_per_core(result):
    """Connections per second of broker CPU time."""
    return result["connections"] / max(result["broker_cpu"]["total_s"], 1e-9)


def markdown_table(results):
    lines = ["| scenario | broker | delivered msg/s | loss | p50 us | p99 us | p99.9 us | "
             "broker core used | broker CPU us/msg | msg/s per broker core | "
             "generator core used |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario in (s for s in SCENARIOS if s not in CONNECT_SCENARIOS):
        for name, by_scenario in results.items():
            r = by_scenario.get(scenario)
            if not r:
                continue
            us_per_msg = r["broker_cpu"]["us_per_delivered"]
            lines.append(
                f"| {scenario} | {name} | {r['delivered_per_s']:,.0f} | {r['lost']} | "
                f"{r['latency_us']['p50']:.0f} | {r['latency_us']['p99']:.0f} | "
                f"{r['latency_us']['p99.9']:.0f} | {r['broker_core_utilisation']:.0%} | "
                f"{us_per_msg:.2f} | {1e6 / us_per_msg:,.0f} | "
                f"{r['generator_core_utilisation']:.0%} |")
    return "\n".join(lines)


def markdown_connect_table(results):
    lines = ["| scenario | broker | connections/s | p50 us | p99 us | broker core used | "
             "connections per broker CPU s | generator core used |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for scenario in CONNECT_SCENARIOS:
        for name, by_scenario in results.items():
            r = by_scenario.get(scenario)
            if not r:
                continue
            lines.append(
                f"| {scenario} | {name} | {r['connections_per_s']:,.0f} | "
                f"{r['connect_latency_us']['p50']:.0f} | {r['connect_latency_us']['p99']:.0f} | "
                f"{r['broker_core_utilisation']:.0%} | {connections_per_core(r):,.0f} | "
                f"{r['generator_core_utilisation']:.0%} |")
    return "\n".join(lines)


def summary(scenario, r):
    """One progress line for a finished run."""
    if scenario in CONNECT_SCENARIOS:
        return (f" {r['connections_per_s']:>10,.0f} conn/s p99 "
                f"{r['connect_latency_us']['p99']:8.0f} us")
    return (f" {r['delivered_per_s']:>10,.0f} msg/s  p99 {r['latency_us']['p99']:8.0f} us  "
            f"lost {r['lost']}")


def markdown_ratios(found):
    lines = ["| scenario | versus | delivered msg/s (connect: conn/s) | per broker core | p99 |",
             "|---|---|---:|---:|---:|"]
    for scenario, by_rival in found.items():
        for rival, r in by_rival.items():
            cells = [f"{r[k]:.2f}x" if k in r else "" for k in ("delivered", "per_core", "p99")]
            lines.append(f"| {scenario} | {rival.removeprefix('vs ')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def plot(results, image_dir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = list(results)
    colours = {"mosquitto": "#8c8c8c", "mosquitto-nodelay": "#5a7fa8", "attestmq": "#d9822b",
               "enclave": "#6a4c93", "enclave-node": "#9d7fc4"}
    written = []
    for scenario, (_, title) in SCENARIOS.items():
        present = [n for n in names if scenario in results[n]]
        if not present:
            continue
        figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        if scenario in CONNECT_SCENARIOS:
            plot_connect(results, scenario, present, colours, left, right)
        elif scenario == "latency-10k":
            quantiles = ["p50", "p90", "p99", "p99.9"]
            width = 0.8 / len(present)
            for i, name in enumerate(present):
                values = [results[name][scenario]["latency_us"][q] for q in quantiles]
                left.bar([x + i * width for x in range(len(quantiles))], values, width,
                         label=name, color=colours.get(name))
            left.set_xticks([x + width * (len(present) - 1) / 2 for x in range(len(quantiles))],
                            quantiles)
            left.set_yscale("log")
            left.set_ylabel("end-to-end latency (us, log scale)")
            left.legend()
        else:
            values = [results[n][scenario]["delivered_per_s"] for n in present]
            left.bar(present, values, color=[colours.get(n) for n in present])
            left.set_ylabel("delivered msg/s (broker on 1 core)")
            for x, v in enumerate(values):
                left.annotate(f"{v:,.0f}", (x, v), ha="center", va="bottom", fontsize=8)
        if scenario not in CONNECT_SCENARIOS:
            cpu = [results[n][scenario]["broker_cpu"]["us_per_delivered"] for n in present]
            right.bar(present, cpu, color=[colours.get(n) for n in present])
            right.set_ylabel("broker CPU us per delivered message")
            for x, v in enumerate(cpu):
                right.annotate(f"{v:.2f}", (x, v), ha="center", va="bottom", fontsize=8)
        figure.suptitle(f"{scenario}: {title}")
        figure.tight_layout()
        path = os.path.join(image_dir, f"bench-{scenario}.png")
        figure.savefig(path, dpi=100)
        plt.close(figure)
        written.append(path)
    return written


def plot_connect(results, scenario, present, colours, left, right):
    """Connections/s on the left, CONNECT->CONNACK p50 and p99 on the right."""
    values = [results[n][scenario]["connections_per_s"] for n in present]
    left.bar(present, values, color=[colours.get(n) for n in present])
    left.set_ylabel("connections/s (broker on 1 core)")
    for x, v in enumerate(values):
        left.annotate(f"{v:,.0f}", (x, v), ha="center", va="bottom", fontsize=8)
    quantiles = ["p50", "p99"]
    width = 0.8 / len(present)
    for i, name in enumerate(present):
        latency = [results[name][scenario]["connect_latency_us"][q] for q in quantiles]
        right.bar([x + i * width for x in range(len(quantiles))], latency, width, label=name,
                  color=colours.get(name))
    right.set_xticks([x + width * (len(present) - 1) / 2 for x in range(len(quantiles))],
                     quantiles)
    right.set_yscale("log")
    right.set_ylabel("socket to CONNACK (us, log scale)")
    right.legend()


def save_figure(figure, base):
    """Writes a matplotlib figure as base.png and base.svg, closes it, returns the paths."""
    import matplotlib.pyplot as plt

    written = []
    for extension in ("png", "svg"):
        figure.savefig(f"{base}.{extension}", dpi=100)
        written.append(f"{base}.{extension}")
    plt.close(figure)
    return written


def rewrite_docs(marker, text):
    """Replaces what stands between <!-- MARKER --> and <!-- /MARKER --> in docs/benchmarks.md."""
    with open(BENCHMARKS_DOC) as docs:
        content = docs.read()
    pattern = re.compile(rf"(<!-- {re.escape(marker)} -->\n).*?(<!-- /{re.escape(marker)} -->)",
                         re.DOTALL)
    if not pattern.search(content):
        sys.exit(f"{BENCHMARKS_DOC} has no <!-- {marker} --> ... <!-- /{marker} --> block")
    content = pattern.sub(lambda m: m.group(1) + text + "\n" + m.group(2), content)
    with open(BENCHMARKS_DOC, "w") as docs:
        docs.write(content)


def save(report, output, draw, image_dir):
    """Writes the JSON report, then the plots `draw` makes in image_dir; returns their paths."""
    os.makedirs(os.path.dirname(output), exist_ok=True)
    with open(output, "w") as out:
        json.dump(report, out, indent=2)
    os.makedirs(image_dir, exist_ok=True)
    return draw()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attestmq", default=DEFAULT_ATTESTMQ,
                        help="the attestmq binary (broker and generator)")
    parser.add_argument("--generator", nargs="+",
                        help="generator command instead of 'ATTESTMQ bench'")
    parser.add_argument("--skip-attestmq", action="store_true",
                        help="measure mosquitto only (attestmq broker not available)")
    parser.add_argument("--enclave", default=DEFAULT_ENCLAVE, help="the attestmq-enclave binary")
    parser.add_argument("--skip-enclave", action="store_true",
                        help="leave attestmq-enclave out")
    parser.add_argument("--engine-wasm", default=DEFAULT_ENGINE_WASM,
                        help="attestmq-engine.wasm, run under node as broker enclave-node")
    parser.add_argument("--skip-node", action="store_true", help="leave enclave-node out")
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS),
                        default=[s for s in SCENARIOS if s != "pairs-qos1-persistent"])
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per scenario and broker; the median one is reported")
    parser.add_argument("--max-load", type=float, default=0,
                        help="before each run wait (up to 2 min) for the 1-minute load average "
                             "to fall below this; 0 = do not wait")
    parser.add_argument("--output", default=os.path.join(ROOT, "bench/results/compare.json"))
    parser.add_argument("--images", default=os.path.join(ROOT, "docs/img"))
    parser.add_argument("--report", metavar="JSON",
                        help="measure nothing: recompute the ratios, plots and tables of a saved run")
    args = parser.parse_args()
    if args.report:
        return report_again(args.report, args.images)

    for tool in ("taskset", "mosquitto", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"compare.py: '{tool}' not found (apt-get install util-linux mosquitto)")
    attestmq = None if args.skip_attestmq else os.path.abspath(args.attestmq)
    if attestmq and not os.access(attestmq, os.X_OK):
        sys.exit(f"compare.py: {attestmq} is not an executable (build it, or --skip-attestmq)")
    enclave = None if args.skip_enclave else os.path.abspath(args.enclave)
    if enclave and not os.access(enclave, os.X_OK):
        sys.exit(f"compare.py: {enclave} is not an executable (build it, or --skip-enclave)")
    engine_wasm = None if args.skip_node else os.path.abspath(args.engine_wasm)
    if engine_wasm and not os.path.isfile(engine_wasm):
        sys.exit(f"compare.py: {engine_wasm} not found (build the wasm preset, or --skip-node)")
    generator = args.generator or [attestmq, "bench"]
    if not generator[0] or not os.access(generator[0], os.X_OK):
        sys.exit("compare.py: no generator: pass --generator or build attestmq")

    # All brokers run at once (idle ones cost nothing) and the runs interleave, so a burst of
    # background load on this shared machine hits every broker alike; the median run counts.
    runs = {}
    with tempfile.TemporaryDirectory(prefix="attestmq-compare-") as workdir:
        started = []
        certificates_dir = os.path.join(workdir, "pki")
        os.makedirs(certificates_dir)
        os.chmod(workdir, 0o755)
        certificates = make_certificates(certificates_dir)
        try:
            for name, (command, extra) in brokers(attestmq, enclave, engine_wasm).items():
                started.append(Broker(name, command, extra, workdir, certificates))
                runs[name] = {scenario: [] for scenario in args.scenarios}
            for scenario in args.scenarios:
                for repetition in range(args.repeat):
                    for broker in started:
                        wait_for_quiet(args.max_load)
                        print(f"{broker.name:18} {scenario:12} #{repetition + 1} ...", end="",
                              flush=True, file=sys.stderr)
                        r = run_scenario(generator, broker, scenario, args.duration,
                                         args.warmup, certificates[0])
                        runs[broker.name][scenario].append(r)
                        print(f"{summary(scenario, r)}  load {r['load_average_before']:.1f}",
                              file=sys.stderr)
        finally:
            for broker in started:
                broker.stop()
                if broker.process.returncode not in (0, -signal.SIGTERM):
                    print(f"warning: {broker.name} exited with {broker.process.returncode}",
                          file=sys.stderr)
    results = {name: {scenario: median_run(scenario, rs) for scenario, rs in by_scenario.items()}
               for name, by_scenario in runs.items()}

    report = {
        "environment": environment(attestmq),
        "method": {"broker_cpu": BROKER_CPU, "generator_cpu": GENERATOR_CPU,
                   "duration_s": args.duration, "warmup_s": args.warmup,
                   "repeat": args.repeat,
                   "scenarios": {k: " ".join(v[0]) for k, v in SCENARIOS.items()}},
        "results": results,
        "all_runs": runs,
        "ratios_attestmq": ratios(results),
        "ratios_enclave": ratios(results, "enclave"),
    }
    images = save(report, args.output, lambda: plot(results, args.images), args.images)
    print_tables(report)
    print(f"\nresults: {args.output}\nplots: {', '.join(images)}", file=sys.stderr)


def print_tables(report):
    """The Markdown tables of docs/benchmarks.md, from a report (a run's or a saved one)."""
    results = report["results"]
    print(markdown_table(results))
    print()
    print(markdown_connect_table(results))
    print()
    print(markdown_ratios(report["ratios_attestmq"]))
    if report.get("ratios_enclave"):
        print()
        print(markdown_ratios(report["ratios_enclave"]))


def report_again(path, image_dir):
    """--report: the ratios, plots and tables of a saved run, recomputed from its JSON."""
    with open(path) as saved:
        report = json.load(saved)
    results = report["results"]
    report["ratios_attestmq"] = ratios(results)
    report["ratios_enclave"] = ratios(results, "enclave")
    save(report, path, lambda: plot(results, image_dir), image_dir)
    print_tables(report)


if __name__ == "__main__":
    main()
