#!/usr/bin/python3
"""The evaluation (issue #12): the research prototype's experiments, side by side.

    bench/evaluation.py [connect rate shared publishers throughput] [--repeat 3]

Every experiment runs against every broker of bench/compare.py (`attestmq broker`, the enclave
`attestmq-enclave --tee sim`, the same module under node, Debian's mosquitto), each pinned to
CPU 0 with one thread and `attestmq bench` pinned to CPU 1. The cases of an experiment take
turns (every broker runs a case before the next case starts, and the whole set repeats), so a
burst of load on the shared machine falls on all of them; of the repetitions the median run
counts, with the min and max beside it.

  connect     1: connection latency, TLS with certificates and with PSK, each without
              attestation, with transport A (the ClientHello extension) and with transport B
              (MQTT 5 AUTH; cached evidence, and per-session evidence)
  rate        2: latency while the rate grows, one publisher and one subscriber, from 1 msg/s
              to as fast as the window allows
  shared      3: subscriber scaling, one publisher to a shared subscription ($share) of 1 to 256
              members, at 25 msg/s and as fast as the window allows (one ramp per run)
  publishers  4: publisher scaling, 1 to 64 publishers, 25 subscribers hearing all of them,
              5 msg/s per publisher and as fast as the window allows (one ramp per run)
  throughput  5: maximum throughput, plain and TLS, QoS 0, 1 and 2, pairs and fanout

Each writes bench/results/eval-NAME.json and docs/img/eval-NAME.png and .svg, prints its
Markdown table and rewrites it in docs/benchmarks.md between the markers
<!-- eval-NAME --> and <!-- /eval-NAME -->, so the published tables come from the JSON.
The summary table (<!-- eval-summary -->) is rebuilt from every saved result. --report redraws plots and tables from the saved JSON without measuring.
"""
import argparse
import datetime
import json
import os
import signal
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from attested_connect import measured_module, sim_policy  # noqa: E402
from compare import (DEFAULT_ENGINE_WASM, GENERATOR_CPU, ROOT, Broker, brokers,  # noqa: E402
                     environment, free_port, make_certificates, rewrite_docs, run_bench, save,
                     save_figure)

DEFAULT_BUILD = os.path.join(ROOT, "build/release")
RESULTS = os.path.join(ROOT, "bench/results")
IMAGES = os.path.join(ROOT, "docs/img")
BROKERS = ("attestmq", "enclave", "enclave-node", "mosquitto")
# Mosquitto leaves Nagle's algorithm on unless told: its CONNACK then waits for the client's
# delayed ACK, which is what a one-client connect measures. Experiment 1 shows it both ways.
NODELAY = "mosquitto-nodelay"
ATTESTING = ("attestmq", "enclave")  # brokers with a TEE provider (sim) beneath them
COLOURS = {"mosquitto": "#8c8c8c", NODELAY: "#5a7fa8", "attestmq": "#d9822b",
           "enclave": "#6a4c93", "enclave-node": "#9d7fc4"}
ORDER = (*BROKERS, NODELAY)
PSK_IDENTITY = "bench"
PSK_KEY = "6a1f0e8b2c4d5e6f708192a3b4c5d6e7"
# The research prototype's headline (../shared/PAPER.md): its trusted broker was 1.55x slower
# than native, i.e. 0.65x native throughput.
PROTOTYPE_RATIO = 1 / 1.55


# ---------------------------------------------------------------- the experiments' cases
# A case: (label, brokers it runs on, listener: plain|tls|psk, generator arguments, seconds
# per step). Ramps have one step per value of --steps.

def connect_cases(duration):
    cases = []
    for credential in ("certificate", "PSK"):
        listener = "tls" if credential == "certificate" else "psk"
        for mode, arguments, where in (
                ("no attestation", [], (*BROKERS, NODELAY)),
                ("transport A", ["--attest", "{policy}", "--attest-transport", "handshake"],
                 ATTESTING),
                ("transport B, cached", ["--attest", "{policy}"], ATTESTING),
                ("transport B, per-session", ["--attest", "{policy}", "--evidence",
                                              "per-session"], ATTESTING)):
            cases.append((f"{credential}, {mode}", where, listener,
                          ["--scenario", "connect", "-n", "1", *arguments], duration))
    return cases


RATES = [1, 10, 100, 1000, 10000, 100000, 0]  # msg/s; 0: as fast as the window allows
MIN_MESSAGES = 20  # a slow rate runs long enough for this many latency samples


def rate_label(rate):
    return "max" if rate == 0 else f"{rate:,} msg/s"


def rate_cases(duration):
    """One publisher, one subscriber, each rate a run of its own (a ramp would give the slow
    rates the fast ones' few seconds, and so a handful of samples)."""
    return [(rate_label(rate), (*BROKERS, NODELAY), "plain",
             ["--scenario", "pairs", "-n", "1", "-q", "0", "-s", "64", "--rate", str(rate)],
             duration if rate == 0 else max(duration, MIN_MESSAGES / rate))
            for rate in RATES]


SHARED_STEPS = [1, 4, 16, 64, 256]
PUBLISHER_STEPS = [1, 4, 16, 64]


def shared_cases(duration):
    ramp = ["--scenario", "shared", "-q", "0", "-s", "64", "--ramp", "subscribers", "--steps",
            ",".join(map(str, SHARED_STEPS)), "--threads", "1"]
    return [("25 msg/s", BROKERS, "plain", [*ramp, "--rate", "25"], duration),
            ("max", BROKERS, "plain", ramp, duration)]


def publisher_cases(duration):
    ramp = ["--scenario", "fanin", "--subscribers", "25", "-q", "0", "-s", "64", "--ramp",
            "publishers", "--steps", ",".join(map(str, PUBLISHER_STEPS))]
    return [("5 msg/s per publisher", BROKERS, "plain", [*ramp, "--publisher-rate", "5"],
             duration),
            ("max", BROKERS, "plain", ramp, duration)]


def throughput_cases(duration):
    cases = []
    for listener in ("plain", "tls"):
        for scenario, clients in (("pairs", 8), ("fanout", 100)):
            for qos in (0, 1, 2):
                label = f"{'TLS ' if listener == 'tls' else ''}{scenario} QoS {qos}"
                cases.append((label, BROKERS, listener,
                              ["--scenario", scenario, "-n", str(clients), "-q", str(qos),
                               "-s", "64"], duration))
    return cases


EXPERIMENTS = {
    "connect": (connect_cases, 3.0, "connection latency (experiment 1)"),
    "rate": (rate_cases, 3.0, "latency while the rate grows (experiment 2)"),
    "shared": (shared_cases, 3.0, "subscriber scaling, shared subscription (experiment 3)"),
    "publishers": (publisher_cases, 3.0, "publisher scaling (experiment 4)"),
    "throughput": (throughput_cases, 3.0, "maximum throughput (experiment 5)"),
}


# ---------------------------------------------------------------- running

class Deployment:
    """The brokers of one evaluation: each with a plain, a TLS (certificate) and a PSK
    listener; those with a TEE beneath them answer both attestation transports on both TLS
    listeners and keep cached evidence for the clients that accept it."""

    def __init__(self, build, names, engine_wasm, workdir):
        attestmq = os.path.join(build, "apps/attestmq/attestmq")
        enclave = os.path.join(build, "src/wasm/runner/enclave/attestmq-enclave")
        self.attestmq = attestmq
        self.generator = [attestmq, "bench"]
        pki = os.path.join(workdir, "pki")
        os.makedirs(pki)
        os.chmod(workdir, 0o755)
        self.certificates = make_certificates(pki)
        psk_file = os.path.join(pki, "psk.txt")
        with open(psk_file, "w") as out:
            out.write(f"{PSK_IDENTITY}:{PSK_KEY}\n")
        os.chmod(psk_file, 0o644)
        known = brokers(attestmq, enclave, engine_wasm)
        self.brokers, self.policies, self.psk_ports = {}, {}, {}
        try:
            for name in names:
                command, extra = known[name]
                attesting = name in ATTESTING
                key_file = os.path.join(workdir, f"sim-{name}.pem")
                attestation = (["attestation_mode cached", "attestation_handshake true"]
                               if attesting else [])
                self.psk_ports[name] = free_port()
                # Listener options follow their listener: the attestation settings apply to
                # the TLS listener Broker writes, and again to the PSK listener added here.
                extra = [*extra, *(["tee sim", f"tee_sim_key_file {key_file}"] if attesting
                                   else []), *attestation,
                         f"listener {self.psk_ports[name]} 127.0.0.1",
                         "psk_hint attestmq-bench", f"psk_file {psk_file}",
                         "tls_version tlsv1.3", *attestation]
                self.brokers[name] = Broker(name, command, extra, workdir, self.certificates)
                if attesting:
                    self.policies[name] = sim_policy(
                        workdir, key_file,
                        measured_module(attestmq, enclave if name == "enclave" else None))
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for broker in self.brokers.values():
            broker.stop()

    def run(self, name, listener, arguments, duration, warmup):
        broker = self.brokers[name]
        arguments = [a.format(policy=self.policies.get(name)) for a in arguments]
        port = broker.port
        if listener == "tls":
            port = broker.tls_port
            arguments = [*arguments, "--tls", "--cafile", self.certificates[0]]
        elif listener == "psk":
            port = self.psk_ports[name]
            arguments = [*arguments, "--tls", "--psk", PSK_KEY, "--psk-identity", PSK_IDENTITY]
        result = run_bench(self.generator, broker, port, arguments, duration, warmup)
        result["generator_arguments"] = arguments
        return result


def measure(experiment, args):
    make_cases, default_duration, title = EXPERIMENTS[experiment]
    cases = make_cases(args.duration or default_duration)
    names = [n for n in ORDER if n in args.brokers and any(n in where for _, where, *_ in cases)]
    runs = {label: {n: [] for n in where if n in names} for label, where, *_ in cases}
    with tempfile.TemporaryDirectory(prefix=f"attestmq-eval-{experiment}-") as workdir:
        deployment = Deployment(args.build, names, args.engine_wasm, workdir)
        try:
            for repetition in range(args.repeat):
                for label, where, listener, arguments, duration in cases:
                    for name in (n for n in names if n in where):
                        r = deployment.run(name, listener, arguments, duration, args.warmup)
                        runs[label][name].append(r)
                        print(f"{experiment} #{repetition + 1} {label:34} {name:13} "
                              f"{headline_of(r)}", file=sys.stderr, flush=True)
        finally:
            deployment.stop()
    return {
        "experiment": experiment,
        "title": title,
        "method": {"repeat": args.repeat, "warmup_s": args.warmup,
                   "broker_cpu": "0", "generator_cpu": GENERATOR_CPU,
                   "cases": {label: {"listener": listener, "arguments": arguments,
                                     "seconds_per_step": duration}
                             for label, _, listener, arguments, duration in cases},
                   "date_utc": datetime.datetime.now(datetime.timezone.utc)
                   .isoformat(timespec="seconds")},
        "environment": environment(deployment.attestmq),
        "results": {label: {name: summarise(rs) for name, rs in by_broker.items()}
                    for label, by_broker in runs.items()},
        "all_runs": runs,
    }


def headline_of(r):
    if "steps" in r:
        return "  ".join(f"{s['value']:g}: {s['delivered_per_s']:,.0f}/s p99 "
                         f"{s['latency_us']['p99']:,.0f}us lost {s['lost']}" for s in r["steps"])
    if "connections" in r:
        return (f"p50 {r['connect_latency_us']['p50']:,.0f} us  "
                f"{r['connections_per_s']:,.0f} conn/s")
    return f"{r['delivered_per_s']:,.0f} msg/s  lost {r['lost']}"


# ---------------------------------------------------------------- summaries

def merit(r):
    """What a run is ranked by: connect latency (p50), latency (p99) at a fixed rate, else
    delivered messages per second."""
    if "connections" in r:
        return r["connect_latency_us"]["p50"]
    return r["latency_us"]["p99"] if r["rate_target"] > 0 else r["delivered_per_s"]


def per_core(r):
    """Delivered messages (or connections) per second of broker CPU."""
    count = r["connections"] if "connections" in r else r["delivered"]
    return count / max(r["broker_cpu"]["total_s"], 1e-9)


def spread(runs, key):
    """The run with the median `key`, with min and max of `key` over all runs."""
    ordered = sorted(runs, key=key)
    median = dict(ordered[len(ordered) // 2])
    median["merit_min"], median["merit_max"] = key(ordered[0]), key(ordered[-1])
    median["merit_median"] = key(ordered[len(ordered) // 2])
    median["per_core"] = per_core(median) if median.get("broker_cpu") else None
    median["runs"] = len(runs)
    return median


def summarise(runs):
    if "steps" not in runs[0]:
        return spread(runs, merit)
    # A ramp: each step's median over the runs, ranked by delivered msg/s at a saturating
    # rate and by p50 latency at a fixed one (at 25 msg/s a 3 s step has 75 samples, and its
    # p99 is nearly its maximum: the VM's wake-up noise more than the broker).
    fixed = runs[0]["steps"][0]["rate_target"] > 0
    steps = []
    for index in range(min(len(r["steps"]) for r in runs)):
        key = (lambda s: s["latency_us"]["p50"]) if fixed else (lambda s: s["delivered_per_s"])
        steps.append(spread([r["steps"][index] for r in runs], key))
    return {"steps": steps, "merit": "latency_us.p50" if fixed else "delivered_per_s",
            "lost": sum(s["lost"] for r in runs for s in r["steps"]),
            "duplicates": sum(r["duplicates"] for r in runs)}


def fixed_rate(by_broker):
    """Whether a ramp case ran at a fixed rate (ranked by p50) rather than saturating."""
    return next(iter(by_broker.values()))["merit"] != "delivered_per_s"


def ratio(a, b):
    return a / b if a and b else None


def fmt_ratio(value):
    return "" if value is None else f"{value:.2f}x"


# ---------------------------------------------------------------- tables

def connect_table(report):
    results = report["results"]
    names = [n for n in ORDER if any(n in by for by in results.values())]
    lines = ["| credential, attestation | " +
             " | ".join(f"{n} p50 us (min-max)" for n in names) +
             " | attestmq vs its plain TLS | enclave vs its plain TLS | enclave / attestmq |",
             "|---|" + "---:|" * (len(names) + 3)]
    for label, by_broker in results.items():
        credential = label.split(",")[0]
        plain = results[f"{credential}, no attestation"]
        cells = []
        for name in names:
            r = by_broker.get(name)
            cells.append("" if not r else f"{r['merit_median']:,.0f} "
                         f"({r['merit_min']:,.0f}-{r['merit_max']:,.0f})")
        own = [fmt_ratio(ratio(by_broker[n]["merit_median"], plain[n]["merit_median"]))
               if n in by_broker and n in plain else "" for n in ("attestmq", "enclave")]
        both = ("attestmq" in by_broker and "enclave" in by_broker)
        cross = fmt_ratio(ratio(by_broker["enclave"]["merit_median"],
                                by_broker["attestmq"]["merit_median"])) if both else ""
        lines.append(f"| {label} | " + " | ".join(cells) + f" | {own[0]} | {own[1]} | {cross} |")
    return "\n".join(lines)


def ramp_table(report, parameter):
    results = report["results"]
    lines = []
    for label, by_broker in results.items():
        names = [n for n in ORDER if n in by_broker]
        fixed = fixed_rate(by_broker)
        lines += [f"**{label}**", "",
                  f"| {parameter} | " + " | ".join(
                      f"{n} delivered/s, p50 / p99 us" for n in names) +
                  " | enclave / attestmq " + ("p50" if fixed else "per core") +
                  " | attestmq / mosquitto " + ("p50" if fixed else "per core") + " |",
                  "|---:|" + "---:|" * (len(names) + 2)]
        steps = by_broker[names[0]]["steps"]
        for index, step in enumerate(steps):
            cells, values = [], {}
            for name in names:
                s = by_broker[name]["steps"][index]
                values[name] = s["latency_us"]["p50"] if fixed else s["per_core"]
                cells.append(f"{s['delivered_per_s']:,.0f}, {s['latency_us']['p50']:,.0f} / "
                             f"{s['latency_us']['p99']:,.0f}"
                             + (f" (lost {s['lost']})" if s["lost"] else ""))
            count = step["publishers"] if parameter == "publishers" else step["subscribers"]
            lines.append(f"| {count} | " + " | ".join(cells) +
                         f" | {fmt_ratio(ratio(values.get('enclave'), values.get('attestmq')))}"
                         " | " + fmt_ratio(ratio(values.get("attestmq"), values.get("mosquitto"))) +
                         " |")
        lines.append("")
    return "\n".join(lines).rstrip()


def throughput_table(report):
    results = report["results"]
    names = [n for n in ORDER if any(n in by for by in results.values())]
    lines = ["| scenario | " + " | ".join(f"{n} msg/s (CPU us/msg)" for n in names) +
             " | enclave / attestmq per core | node / attestmq per core | "
             "attestmq / mosquitto per core |",
             "|---|" + "---:|" * (len(names) + 3)]
    for label, by_broker in results.items():
        cells = [f"{by_broker[n]['delivered_per_s']:,.0f} "
                 f"({by_broker[n]['broker_cpu']['us_per_delivered']:.2f})"
                 if n in by_broker else "" for n in names]
        core = {n: by_broker[n]["per_core"] for n in by_broker}
        lines.append(f"| {label} | " + " | ".join(cells) +
                     f" | {fmt_ratio(ratio(core.get('enclave'), core.get('attestmq')))}"
                     f" | {fmt_ratio(ratio(core.get('enclave-node'), core.get('attestmq')))}"
                     f" | {fmt_ratio(ratio(core.get('attestmq'), core.get('mosquitto')))} |")
    return "\n".join(lines)


def rate_table(report):
    results = report["results"]
    names = [n for n in ORDER if any(n in by for by in results.values())]
    lines = ["| rate | " + " | ".join(f"{n} delivered/s, p50 / p99 us" for n in names) +
             " | enclave / attestmq p99 | attestmq / mosquitto p99 |",
             "|---:|" + "---:|" * (len(names) + 2)]
    for label, by_broker in results.items():
        cells = [f"{by_broker[n]['delivered_per_s']:,.0f}, {by_broker[n]['latency_us']['p50']:,.0f}"
                 f" / {by_broker[n]['latency_us']['p99']:,.0f}" if n in by_broker else ""
                 for n in names]
        p99 = {n: by_broker[n]["latency_us"]["p99"] for n in by_broker}
        lines.append(f"| {label} | " + " | ".join(cells) +
                     f" | {fmt_ratio(ratio(p99.get('enclave'), p99.get('attestmq')))}"
                     f" | {fmt_ratio(ratio(p99.get('attestmq'), p99.get('mosquitto')))} |")
    return "\n".join(lines)


TABLES = {
    "connect": connect_table,
    "rate": rate_table,
    "shared": lambda report: ramp_table(report, "subscribers"),
    "publishers": lambda report: ramp_table(report, "publishers"),
    "throughput": throughput_table,
}


def geometric_mean(values):
    values = [v for v in values if v]
    return statistics.geometric_mean(values) if values else None


def slowdown(ours, theirs, lower_is_better=False):
    """How many times slower `ours` is than `theirs` (the prototype's "1.55x slower"): a
    latency ratio, or the inverse of a throughput ratio."""
    return ratio(ours, theirs) if lower_is_better else ratio(theirs, ours)


def summary_rows(saved):
    """One row per experiment: how much slower the enclave is than the native broker (the
    prototype's trusted broker was 1.55x slower than its native one), how much faster the
    native broker is than Mosquitto, and the issue's target where it has one."""
    rows = []

    def median(results, label, name):
        return results.get(label, {}).get(name, {}).get("merit_median")

    if "connect" in saved:
        results = saved["connect"]["results"]
        plain, cached = "certificate, no attestation", "certificate, transport B, cached"
        rows.append((
            "1: connect latency p50, TLS certificate: plain / attested (transport B, cached)",
            " / ".join(fmt_ratio(slowdown(median(results, label, "enclave"),
                                          median(results, label, "attestmq"), True))
                       for label in (plain, cached)),
            fmt_ratio(slowdown(median(results, plain, NODELAY), median(results, plain, "attestmq"),
                               True)) + " (mosquitto with set_tcp_nodelay)",
            "attested / plain TLS connect, native: " + fmt_ratio(ratio(
                median(results, cached, "attestmq"), median(results, plain, "attestmq"))) +
            ", enclave: " + fmt_ratio(ratio(median(results, cached, "enclave"),
                                            median(results, plain, "enclave"))) +
            " (target at most 1.50x)"))
    if "rate" in saved:
        results = saved["rate"]["results"]
        p99 = {n: r["latency_us"]["p99"] for n, r in results.get(rate_label(10000), {}).items()}
        peak = {n: r["delivered_per_s"] for n, r in results.get("max", {}).items()}
        rows.append((
            "2: latency as the rate grows: p99 at 10,000 msg/s / saturation rate",
            f"{fmt_ratio(slowdown(p99.get('enclave'), p99.get('attestmq'), True))} / "
            f"{fmt_ratio(slowdown(peak.get('enclave'), peak.get('attestmq')))}",
            f"{fmt_ratio(slowdown(p99.get('mosquitto'), p99.get('attestmq'), True))} / "
            f"{fmt_ratio(slowdown(peak.get('mosquitto'), peak.get('attestmq')))}",
            f"p99 at 10,000 msg/s: native {p99.get('attestmq') or 0:,.0f} us, enclave "
            f"{p99.get('enclave') or 0:,.0f} us (target below 1,000 us)"))
    for experiment, number, parameter, fixed_label in (
            ("shared", 3, "subscribers", "25 msg/s"),
            ("publishers", 4, "publishers", "5 msg/s per publisher")):
        if experiment not in saved:
            continue
        results = saved[experiment]["results"]
        fixed = {n: by["steps"][-1] for n, by in results.get(fixed_label, {}).items()}
        top = {n: by["steps"][-1] for n, by in results.get("max", {}).items()}
        count = next(iter(top.values()))[parameter] if top else 0
        p50 = {n: s["latency_us"]["p50"] for n, s in fixed.items()}
        core = {n: s["per_core"] for n, s in top.items()}
        rows.append((
            f"{number}: {count} {parameter}: p50 at {fixed_label} / max msg/s per broker core",
            f"{fmt_ratio(slowdown(p50.get('enclave'), p50.get('attestmq'), True))} / "
            f"{fmt_ratio(slowdown(core.get('enclave'), core.get('attestmq')))}",
            f"{fmt_ratio(slowdown(p50.get('mosquitto'), p50.get('attestmq'), True))} / "
            f"{fmt_ratio(slowdown(core.get('mosquitto'), core.get('attestmq')))}",
            ""))
    if "throughput" in saved:
        results = saved["throughput"]["results"]
        for subset, tls, target in (("plain", False, "0.85x native (at most 1.18x slower)"),
                                    ("TLS", True, "0.65x native (at most 1.54x slower)")):
            labels = [label for label in results if label.startswith("TLS") == tls]
            core = {n: geometric_mean([results[label].get(n, {}).get("per_core")
                                       for label in labels])
                    for n in ("attestmq", "enclave", "mosquitto")}
            rows.append((
                f"5: maximum throughput, {subset}: msg/s per broker core, geometric mean of "
                f"{len(labels)} scenarios (pairs and fanout, QoS 0, 1, 2)",
                fmt_ratio(slowdown(core["enclave"], core["attestmq"])),
                fmt_ratio(slowdown(core["mosquitto"], core["attestmq"])),
                f"enclave at least {target}; native at least 5x mosquitto per core"))
    return rows


def summary_table(saved):
    lines = ["| experiment | enclave: times slower than native | native: times faster than "
             "mosquitto | targets |",
             "|---|---:|---:|---|"]
    for row in summary_rows(saved):
        lines.append("| " + " | ".join(row) + " |")
    lines.append(f"| the research prototype (../shared/PAPER.md) | {1 / PROTOTYPE_RATIO:.2f}x "
                 "| | its trusted broker against its native one |")
    return "\n".join(lines)


# ---------------------------------------------------------------- plots

def plot_bars(report, base, ylabel, title, log=False, tick=lambda label: label):
    """One group of bars per case, one bar per broker that ran it: the median, with the min
    and max of the runs as error bars."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    labels = list(results)
    names = [n for n in ORDER if any(n in by for by in results.values())]
    figure, axis = plt.subplots(figsize=(12, 4.8))
    width = 0.8 / len(names)
    for i, name in enumerate(names):
        xs, ys, low, high = [], [], [], []
        for x, label in enumerate(labels):
            r = results[label].get(name)
            if r:
                xs.append(x + (i - (len(names) - 1) / 2) * width)
                ys.append(r["merit_median"])
                low.append(r["merit_median"] - r["merit_min"])
                high.append(r["merit_max"] - r["merit_median"])
        axis.bar(xs, ys, width, yerr=[low, high], capsize=2, label=name, color=COLOURS[name])
    if log:
        axis.set_yscale("log")
    axis.set_xticks(range(len(labels)))
    axis.set_xticklabels([tick(label) for label in labels], fontsize=7)
    axis.set_ylabel(ylabel)
    axis.set_title(title)
    axis.legend()
    figure.tight_layout()
    return save_figure(figure, base)


def plot_ramp(report, base, parameter):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    figure, axes = plt.subplots(1, len(results), figsize=(6 * len(results), 4.5), squeeze=False)
    for axis, (label, by_broker) in zip(axes[0], results.items()):
        fixed = fixed_rate(by_broker)
        for name in (n for n in ORDER if n in by_broker):
            steps = by_broker[name]["steps"]
            xs = [s[parameter] for s in steps]
            ys = [s["merit_median"] for s in steps]
            low = [s["merit_median"] - s["merit_min"] for s in steps]
            high = [s["merit_max"] - s["merit_median"] for s in steps]
            axis.errorbar(xs, ys, yerr=[low, high], marker="o", capsize=3, label=name,
                          color=COLOURS[name])
        axis.set_xscale("log", base=2)
        axis.set_yscale("log")
        axis.set_xlabel(parameter)
        axis.set_ylabel("p50 end-to-end latency (us)" if fixed else "delivered msg/s")
        axis.set_title(label)
        axis.grid(True, which="both", alpha=0.3)
        axis.legend()
    figure.suptitle(report["title"])
    figure.tight_layout()
    return save_figure(figure, base)


def plot_rate(report, base):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    results = report["results"]
    names = [n for n in ORDER if any(n in by for by in results.values())]
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for axis, quantile in zip(axes, ("p50", "p99")):
        for name in names:
            points = sorted((by[name]["delivered_per_s"], by[name]["latency_us"][quantile])
                            for by in results.values() if name in by)
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name,
                      color=COLOURS[name])
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("delivered msg/s (1 publisher, 1 subscriber, QoS 0)")
        axis.set_title(f"{quantile} end-to-end latency")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency (us)")
    axes[0].legend()
    figure.suptitle(report["title"])
    figure.tight_layout()
    return save_figure(figure, base)


PLOTS = {
    "connect": lambda report, base: plot_bars(
        report, base, "socket to CONNACK, p50 (us; bars: min-max of runs)",
        "Experiment 1: connection latency, one client, a full TLS 1.3 handshake each time "
        "(sim TEE)", tick=lambda label: label.replace(", ", "\n", 1)),
    "rate": plot_rate,
    "shared": lambda report, base: plot_ramp(report, base, "subscribers"),
    "publishers": lambda report, base: plot_ramp(report, base, "publishers"),
    "throughput": lambda report, base: plot_bars(
        report, base, "delivered msg/s (log; bars: min-max of runs)",
        "Experiment 5: maximum throughput, broker on one core, 64-byte payloads", log=True,
        tick=lambda label: label.replace(" QoS", "\nQoS")),
}


# ---------------------------------------------------------------- main

def saved_reports():
    found = {}
    for experiment in EXPERIMENTS:
        path = os.path.join(RESULTS, f"eval-{experiment}.json")
        if os.path.exists(path):
            with open(path) as saved:
                found[experiment] = json.load(saved)
    return found


def publish(experiment, report, measured):
    output = os.path.join(RESULTS, f"eval-{experiment}.json")
    base = os.path.join(IMAGES, f"eval-{experiment}")
    draw = (lambda: PLOTS[experiment](report, base))
    written = save(report, output, draw, IMAGES) if measured else draw()
    table = TABLES[experiment](report)
    rewrite_docs(f"eval-{experiment}", table)
    print(f"\n## {report['title']}\n\n{table}\n\nresults: {output}\nplots: {', '.join(written)}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("experiments", nargs="*", metavar="EXPERIMENT",
                        help=f"any of {', '.join(EXPERIMENTS)} (default: all)")
    parser.add_argument("--build", default=DEFAULT_BUILD,
                        help="the build tree with attestmq and attestmq-enclave")
    parser.add_argument("--engine-wasm", default=DEFAULT_ENGINE_WASM)
    parser.add_argument("--brokers", nargs="+", choices=ORDER, default=list(ORDER))
    parser.add_argument("--repeat", type=int, default=3, choices=range(1, 100), metavar="N")
    parser.add_argument("--duration", type=float, help="seconds per step (default per experiment)")
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--report", action="store_true",
                        help="measure nothing: redraw plots and tables from the saved JSON")
    args = parser.parse_args()
    # SIGTERM unwinds like Ctrl-C, so that the brokers are stopped on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    args.build = os.path.abspath(args.build)
    unknown = [e for e in args.experiments if e not in EXPERIMENTS]
    if unknown:
        parser.error(f"unknown experiment {', '.join(unknown)}: choose from "
                     f"{', '.join(EXPERIMENTS)}")
    for experiment in args.experiments or list(EXPERIMENTS):
        if args.report:
            report = saved_reports().get(experiment)
            if report:
                publish(experiment, report, measured=False)
        else:
            publish(experiment, measure(experiment, args), measured=True)
    table = summary_table(saved_reports())
    rewrite_docs("eval-summary", table)
    print(f"\n## Summary\n\n{table}")


if __name__ == "__main__":
    main()
