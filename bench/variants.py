#!/usr/bin/env python3
"""Several builds of one broker, side by side, in interleaved rounds.

    bench/variants.py --attestmq build/release/apps/attestmq/attestmq --rounds 5 \\
        native='build/release/apps/attestmq/attestmq broker' enclave=path/to/attestmq-enclave ...

Each round starts every variant in turn and runs one scenario against it (bench/compare.py's
brokers, generator and CPU pinning), so that the drifts of a shared machine fall on all
variants alike. A variant's ratio is its delivered msg/s over the first variant's in the same
round, and its per-core figure the first variant's broker CPU per message over its own; the
median over the rounds is reported. docs/benchmarks.md ("What explicit bounds checks cost")
used it to compare builds of the wasm2c runner.
"""
import argparse
import os
import shlex
import statistics
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from compare import SCENARIOS, Broker, make_certificates, run_scenario  # noqa: E402


def measure(variants, args):
    runs = {name: [] for name, _ in variants}
    with tempfile.TemporaryDirectory(prefix="attestmq-variants-") as workdir:
        certificates_dir = os.path.join(workdir, "certificates")
        os.mkdir(certificates_dir)
        certificates = make_certificates(certificates_dir)
        for round_number in range(args.rounds):
            for name, command in variants:
                broker = Broker(name, command, ["threads 1"], workdir, certificates)
                try:
                    runs[name].append(run_scenario([args.attestmq, "bench"], broker, args.scenario,
                                                   args.duration, args.warmup, certificates[0]))
                finally:
                    broker.stop()
            print(f"round {round_number}: " + ", ".join(
                f"{name} {runs[name][-1]['delivered_per_s']:,.0f} msg/s" for name, _ in variants),
                flush=True)
    return runs


def report(variants, runs):
    reference = runs[variants[0][0]]
    print(f"\n| variant | delivered msg/s (median) | broker CPU us/msg (median) | "
          f"ratio (min-max) | per broker core |\n|---|---:|---:|---:|---:|")
    for name, _ in variants:
        mine = runs[name]
        ratio = [m["delivered_per_s"] / r["delivered_per_s"] for m, r in zip(mine, reference)]
        per_core = [r["broker_cpu"]["us_per_delivered"] / m["broker_cpu"]["us_per_delivered"]
                    for m, r in zip(mine, reference)]
        print(f"| {name} | {statistics.median(m['delivered_per_s'] for m in mine):,.0f} | "
              f"{statistics.median(m['broker_cpu']['us_per_delivered'] for m in mine):.3f} | "
              f"{statistics.median(ratio):.2f}x ({min(ratio):.2f}-{max(ratio):.2f}) | "
              f"{statistics.median(per_core):.2f}x |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attestmq", required=True, help="the attestmq binary (the generator)")
    parser.add_argument("--scenario", default="pairs-qos0",
                        choices=[s for s in SCENARIOS if "connect" not in s])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--duration", type=float, default=4.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("variants", nargs="+", metavar="NAME=COMMAND",
                        help="a broker command line before '-c FILE'; the first is the reference")
    args = parser.parse_args()
    variants = []
    for spec in args.variants:
        name, separator, command = spec.partition("=")
        if not separator or not command:
            parser.error(f"{spec}: expected NAME=COMMAND")
        variants.append((name, shlex.split(command)))
    report(variants, measure(variants, args))


if __name__ == "__main__":
    main()
