#!/usr/bin/python3
"""Side-by-side benchmark of Debian's mosquitto and `attestmq broker` on this machine.

Each broker runs pinned to CPU 0 (`taskset -c 0`), the load generator (`attestmq bench`) to
CPU 1, so "per core" means what it says. Every scenario runs against every broker; the broker's
CPU time is read from /proc/PID/stat by the generator at the edges of the measurement window
(and by this script around the whole run). Writes a JSON file with every number, one plot per
scenario, and prints a Markdown table for docs/benchmarks.md.
"""
import argparse
import datetime
import json
import os
import platform
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_ATTESTMQ = os.path.join(ROOT, "build/bench/apps/attestmq/attestmq")
BROKER_CPU = "0"
GENERATOR_CPU = "1"

# name -> (generator arguments, what the scenario is for)
SCENARIOS = {
    "pairs-qos0": (["--scenario", "pairs", "-n", "8", "-q", "0", "-s", "64"],
                   "8 publishers -> 8 subscribers, one topic each, QoS 0, 64 B"),
    "pairs-qos1": (["--scenario", "pairs", "-n", "8", "-q", "1", "-s", "64"],
                   "8 publishers -> 8 subscribers, one topic each, QoS 1, 64 B"),
    "fanout-qos0": (["--scenario", "fanout", "-n", "100", "-q", "0", "-s", "64"],
                    "1 publisher -> 100 subscribers of one topic, QoS 0, 64 B"),
    "latency-10k": (["--scenario", "pairs", "-n", "8", "-q", "0", "-s", "64", "--rate", "10000"],
                    "8 pairs, QoS 0, 64 B, fixed total rate 10,000 msg/s"),
}

# name -> (command line before "-c FILE", extra config lines)
def brokers(attestmq):
    found = {
        "mosquitto": (["mosquitto"], []),
        "mosquitto-nodelay": (["mosquitto"], ["set_tcp_nodelay true"]),
    }
    if attestmq:
        found["attestmq"] = ([attestmq, "broker"], ["threads 1"])
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
    def __init__(self, name, command, extra_config, workdir):
        self.name = name
        self.port = free_port()
        self.config = os.path.join(workdir, f"{name}.conf")
        with open(self.config, "w") as conf:
            conf.write(f"listener {self.port} 127.0.0.1\nallow_anonymous true\n")
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
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
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


def run_scenario(generator, broker, arguments, duration, warmup):
    command = ["taskset", "-c", GENERATOR_CPU, *generator, "--port", str(broker.port),
               "--duration", str(duration), "--warmup", str(warmup),
               "--broker-pid", str(broker.process.pid), "--json", *arguments]
    load_before = os.getloadavg()[0]
    cpu_before = cpu_seconds(broker.process.pid)
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + warmup + 60)
    cpu_after = cpu_seconds(broker.process.pid)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    result = json.loads(done.stdout)
    result["broker_cpu_whole_run_s"] = cpu_after - cpu_before
    # Share of its core the broker used in the window: near 1 means it was the bottleneck.
    result["broker_core_utilisation"] = result["broker_cpu"]["total_s"] / duration
    result["generator_core_utilisation"] = result["generator_cpu"]["total_s"] / duration
    result["load_average_before"] = load_before
    return result


def median_run(scenario, runs):
    """The run with the median figure of merit: latency for the fixed-rate scenario."""
    if scenario == "latency-10k":
        ordered = sorted(runs, key=lambda r: r["latency_us"]["p99"])
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


def ratios(results):
    """attestmq over each mosquitto configuration. `per_core` compares delivered messages per
    second of broker CPU (the inverse of CPU us/msg), which stays meaningful when a broker did
    not get its whole core on this shared machine."""
    found = {}
    if "attestmq" not in results:
        return found
    ours = results["attestmq"]
    for name in (n for n in results if n != "attestmq"):
        for scenario in ("pairs-qos0", "pairs-qos1", "fanout-qos0"):
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
    return found


def markdown_table(results):
    lines = ["| scenario | broker | delivered msg/s | loss | p50 us | p99 us | p99.9 us | "
             "broker core used | broker CPU us/msg | msg/s per broker core | "
             "generator core used |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for scenario in SCENARIOS:
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


def markdown_ratios(found):
    lines = ["| scenario | versus | delivered msg/s | msg/s per broker core | p99 |",
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
    colours = {"mosquitto": "#8c8c8c", "mosquitto-nodelay": "#5a7fa8", "attestmq": "#d9822b"}
    written = []
    for scenario, (_, title) in SCENARIOS.items():
        present = [n for n in names if scenario in results[n]]
        if not present:
            continue
        figure, (left, right) = plt.subplots(1, 2, figsize=(10, 4))
        if scenario == "latency-10k":
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


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attestmq", default=DEFAULT_ATTESTMQ,
                        help="the attestmq binary (broker and generator)")
    parser.add_argument("--generator", nargs="+",
                        help="generator command instead of 'ATTESTMQ bench'")
    parser.add_argument("--skip-attestmq", action="store_true",
                        help="measure mosquitto only (attestmq broker not available)")
    parser.add_argument("--scenarios", nargs="+", choices=list(SCENARIOS), default=list(SCENARIOS))
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--repeat", type=int, default=1,
                        help="runs per scenario and broker; the median one is reported")
    parser.add_argument("--max-load", type=float, default=0,
                        help="before each run wait (up to 2 min) for the 1-minute load average "
                             "to fall below this; 0 = do not wait")
    parser.add_argument("--output", default=os.path.join(ROOT, "bench/results/compare.json"))
    parser.add_argument("--images", default=os.path.join(ROOT, "docs/img"))
    args = parser.parse_args()

    for tool in ("taskset", "mosquitto"):
        if not shutil.which(tool):
            sys.exit(f"compare.py: '{tool}' not found (apt-get install util-linux mosquitto)")
    attestmq = None if args.skip_attestmq else os.path.abspath(args.attestmq)
    if attestmq and not os.access(attestmq, os.X_OK):
        sys.exit(f"compare.py: {attestmq} is not an executable (build it, or --skip-attestmq)")
    generator = args.generator or [attestmq, "bench"]
    if not generator[0] or not os.access(generator[0], os.X_OK):
        sys.exit("compare.py: no generator: pass --generator or build attestmq")

    # All brokers run at once (idle ones cost nothing) and the runs interleave, so a burst of
    # background load on this shared machine hits every broker alike; the median run counts.
    runs = {}
    with tempfile.TemporaryDirectory(prefix="attestmq-compare-") as workdir:
        started = []
        try:
            for name, (command, extra) in brokers(attestmq).items():
                started.append(Broker(name, command, extra, workdir))
                runs[name] = {scenario: [] for scenario in args.scenarios}
            for scenario in args.scenarios:
                for repetition in range(args.repeat):
                    for broker in started:
                        wait_for_quiet(args.max_load)
                        print(f"{broker.name:18} {scenario:12} #{repetition + 1} ...", end="",
                              flush=True, file=sys.stderr)
                        r = run_scenario(generator, broker, SCENARIOS[scenario][0],
                                         args.duration, args.warmup)
                        runs[broker.name][scenario].append(r)
                        print(f" {r['delivered_per_s']:>10,.0f} msg/s  p99 "
                              f"{r['latency_us']['p99']:8.0f} us  lost {r['lost']}  "
                              f"load {r['load_average_before']:.1f}", file=sys.stderr)
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
    }
    os.makedirs(os.path.dirname(args.output), exist_ok=True)
    with open(args.output, "w") as out:
        json.dump(report, out, indent=2)
    os.makedirs(args.images, exist_ok=True)
    images = plot(results, args.images)
    print(markdown_table(results))
    print()
    print(markdown_ratios(report["ratios_attestmq"]))
    print(f"\nresults: {args.output}\nplots: {', '.join(images)}", file=sys.stderr)


if __name__ == "__main__":
    main()
