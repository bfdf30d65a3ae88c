#!/usr/bin/env python3
"""Latency while the message rate grows (issue #12, experiment 2), side by side.

    bench/rate_latency.py --attestmq build/release/apps/attestmq/attestmq \\
        --enclave build/release/src/wasm/runner/enclave/attestmq-enclave

One publisher and one subscriber (`attestmq bench --scenario pairs -n 1`, QoS 0, 64-byte
payloads) at fixed rates from 1 msg/s up, then as fast as the generator's window allows,
against every broker of bench/compare.py (native, enclave, the module under node, Debian's
mosquitto), each pinned to CPU 0 with the generator on CPU 1. At each rate the brokers take
turns, so that a burst of load on the shared machine falls on all of them; of several
repetitions the run with the median p99 counts. A rate runs at least long enough for 20
messages. Writes bench/results/rate-latency.json, docs/img/rate-latency.png and .svg, and
rewrites its table in docs/benchmarks.md (between <!-- eval-rate --> and <!-- /eval-rate -->);
--report redraws plot and table from a saved JSON.
"""
import argparse
import datetime
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import (DEFAULT_ATTESTMQ, DEFAULT_ENCLAVE, DEFAULT_ENGINE_WASM, ROOT,  # noqa: E402
                     Broker, brokers, environment, make_certificates, rewrite_docs, run_bench,
                     save, save_figure)

SATURATION = 0  # --rate 0: as fast as the window allows
MIN_MESSAGES = 20


def label(rate):
    return "max" if rate == SATURATION else f"{rate:,}"


def measure(args):
    attestmq = os.path.abspath(args.attestmq)
    enclave = None if args.skip_enclave else os.path.abspath(args.enclave)
    engine_wasm = None if args.skip_node else os.path.abspath(args.engine_wasm)
    generator = [attestmq, "bench"]
    runs = {}
    with tempfile.TemporaryDirectory(prefix="attestmq-rate-latency-") as workdir:
        pki = os.path.join(workdir, "pki")
        os.makedirs(pki)
        os.chmod(workdir, 0o755)
        certificates = make_certificates(pki)
        started = []
        try:
            for name, (command, extra) in brokers(attestmq, enclave, engine_wasm).items():
                started.append(Broker(name, command, extra, workdir, certificates))
                runs[name] = {label(rate): [] for rate in args.rates}
            for rate in args.rates:
                duration = args.duration if rate == SATURATION else max(args.duration,
                                                                        MIN_MESSAGES / rate)
                for repetition in range(args.repeat):
                    for broker in started:
                        r = run_bench(generator, broker, broker.port,
                                      ["--scenario", "pairs", "-n", "1", "-q", "0", "-s", "64",
                                       "--rate", str(rate)], duration, args.warmup)
                        runs[broker.name][label(rate)].append(r)
                        print(f"{broker.name:18} {label(rate):>9} msg/s #{repetition + 1}: "
                              f"{r['delivered_per_s']:>10,.0f} delivered  p50 "
                              f"{r['latency_us']['p50']:8.0f} us  p99 "
                              f"{r['latency_us']['p99']:8.0f} us  lost {r['lost']}",
                              file=sys.stderr, flush=True)
        finally:
            for broker in started:
                broker.stop()
    results = {name: {rate: sorted(rs, key=lambda r: r["latency_us"]["p99"])[len(rs) // 2]
                      for rate, rs in by_rate.items()}
               for name, by_rate in runs.items()}
    return {"method": {"scenario": "pairs -n 1 -q 0 -s 64 --rate R", "repeat": args.repeat,
                       "duration_s": args.duration, "warmup_s": args.warmup,
                       "rates": [label(r) for r in args.rates],
                       "date_utc": datetime.datetime.now(datetime.timezone.utc)
                       .isoformat(timespec="seconds")},
            "environment": environment(attestmq), "results": results}


def table(report):
    results = report["results"]
    names = list(results)
    lines = ["| rate (msg/s) | " + " | ".join(f"{n} delivered, p50 / p99 us" for n in names) +
             " | enclave / native p99 |",
             "|---:|" + "---:|" * (len(names) + 1)]
    for rate in report["method"]["rates"]:
        cells = []
        for name in names:
            r = results[name][rate]
            cells.append(f"{r['delivered_per_s']:,.0f}, {r['latency_us']['p50']:.0f} / "
                         f"{r['latency_us']['p99']:.0f}")
        ratio = ""
        if "enclave" in results and "attestmq" in results:
            ratio = (f"{results['enclave'][rate]['latency_us']['p99'] / results['attestmq'][rate]['latency_us']['p99']:.2f}x")
        lines.append(f"| {rate} | " + " | ".join(cells) + f" | {ratio} |")
    return "\n".join(lines)


def plot(report, image_base):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"mosquitto": "#8c8c8c", "mosquitto-nodelay": "#5a7fa8", "attestmq": "#d9822b",
               "enclave": "#6a4c93", "enclave-node": "#9d7fc4"}
    figure, axes = plt.subplots(1, 2, figsize=(11, 4.5), sharey=True)
    for axis, quantile in zip(axes, ("p50", "p99")):
        for name, by_rate in report["results"].items():
            points = sorted((r["delivered_per_s"], r["latency_us"][quantile])
                            for r in by_rate.values())
            axis.plot([p[0] for p in points], [p[1] for p in points], marker="o", label=name,
                      color=colours.get(name))
        axis.set_xscale("log")
        axis.set_yscale("log")
        axis.set_xlabel("delivered msg/s (1 publisher, 1 subscriber, QoS 0)")
        axis.set_title(f"{quantile} end-to-end latency")
        axis.grid(True, which="both", alpha=0.3)
    axes[0].set_ylabel("latency (us)")
    axes[0].legend()
    figure.tight_layout()
    return save_figure(figure, image_base)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attestmq", default=DEFAULT_ATTESTMQ)
    parser.add_argument("--enclave", default=DEFAULT_ENCLAVE)
    parser.add_argument("--skip-enclave", action="store_true")
    parser.add_argument("--engine-wasm", default=DEFAULT_ENGINE_WASM)
    parser.add_argument("--skip-node", action="store_true")
    parser.add_argument("--rates", type=int, nargs="+",
                        default=[1, 10, 100, 1000, 10000, 100000, SATURATION],
                        help="msg/s; 0 = as fast as the window allows")
    parser.add_argument("--duration", type=float, default=3.0)
    parser.add_argument("--warmup", type=float, default=0.5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--output", default=os.path.join(ROOT, "bench/results/rate-latency.json"))
    parser.add_argument("--images", default=os.path.join(ROOT, "docs/img/rate-latency"),
                        help="path of the plot without extension (.png and .svg are written)")
    parser.add_argument("--report", metavar="JSON", help="measure nothing: redraw a saved run")
    args = parser.parse_args()
    if args.report:
        with open(args.report) as saved:
            report = json.load(saved)
        os.makedirs(os.path.dirname(args.images), exist_ok=True)
        written = plot(report, args.images)
    else:
        report = measure(args)
        written = save(report, args.output, lambda: plot(report, args.images),
                       os.path.dirname(args.images))
        print(f"results: {args.output}")
    rewrite_docs("eval-rate", table(report))
    print(table(report))
    print("plots: " + ", ".join(written))


if __name__ == "__main__":
    main()
