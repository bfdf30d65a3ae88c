#!/usr/bin/python3
"""What attestation adds to a connect: plain TLS 1.3 against attested sessions, side by side.

One `attestmq broker --tee sim` per evidence mode (per-session and cached, docs/attestation.md
section 6) runs pinned to CPU 0 with one thread; `attestmq bench --scenario connect -n 1` runs
pinned to CPU 1, so each connection (TCP, TLS 1.3 full handshake, CONNECT ... CONNACK,
DISCONNECT) runs alone and its latency is the protocol's, not a queue's. Modes:

  tls               plain TLS 1.3, no attestation (the per-session broker, not asked)
  auth-per-session  transport B, a fresh sim quote per connection
  auth-cached       transport B, the cached quote and a per-session signature
  handshake         transport A (the evidence in EncryptedExtensions), per-session

Each mode runs --repeat times, interleaved; the median run (by p50) is reported with the min
and max. The cost split comes from the same runs: the broker's CPU per connection (evidence
production and the exchange on its side), the generator's time verifying (section 7.5), and
the rest of the latency (one more round trip for the AUTH exchange). Writes JSON and a plot,
and prints the Markdown table for docs/benchmarks.md. With --enclave BINARY the brokers are
attestmq-enclave (the module answers both transports, the runner's sim TEE signs) instead of
`attestmq broker`, and the results and plot get an "-enclave" suffix.
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

from compare import (BROKER_CPU, GENERATOR_CPU, ROOT, Broker, environment, make_certificates,
                     save, save_figure, wait_for_quiet)

DEFAULT_ATTESTMQ = os.path.join(ROOT, "build/release/apps/attestmq/attestmq")

# mode -> (broker, generator arguments beyond --tls --cafile)
MODES = {
    "tls": ("per-session", []),
    "auth-per-session": ("per-session", ["--attest", "{policy}"]),
    "auth-cached": ("cached", ["--attest", "{policy}"]),
    "handshake": ("per-session", ["--attest", "{policy}", "--attest-transport", "handshake"]),
}
# broker -> the listener options of its TLS listener
BROKERS = {
    "per-session": ["attestation_mode per-session", "attestation_handshake true"],
    "cached": ["attestation_mode cached"],
}


def measured_module(attestmq, enclave):
    """The module hash the broker names: the enclave's compiled-in module, or the native
    broker's own binary."""
    if enclave:
        return subprocess.run([enclave, "--print-measurement"], capture_output=True, text=True,
                              check=True).stdout.strip()
    with open(attestmq, "rb") as binary:
        return hashlib.sha256(binary.read()).hexdigest()


def sim_policy(workdir, key_file, module):
    """A policy that accepts this broker's sim evidence and nothing else: the sim platform key
    pinned, simulated evidence allowed, the module hash the broker names."""
    public = os.path.join(workdir, os.path.basename(key_file) + ".pub")
    subprocess.run(["openssl", "pkey", "-in", key_file, "-pubout", "-out", public], check=True)
    path = os.path.join(workdir, os.path.basename(key_file) + ".policy.json")
    with open(path, "w") as policy:
        json.dump({"pinned_roots": {"sim": public}, "allow_simulated": True,
                   "accepted_module_hashes": [module]}, policy)
    return path


def run_mode(attestmq, broker, mode, policy, ca, duration, warmup):
    arguments = [a.format(policy=policy) for a in MODES[mode][1]]
    command = ["taskset", "-c", GENERATOR_CPU, attestmq, "bench", "--port", str(broker.tls_port),
               "--scenario", "connect", "-n", "1", "--tls", "--cafile", ca,
               "--duration", str(duration), "--warmup", str(warmup),
               "--broker-pid", str(broker.process.pid), "--json", *arguments]
    done = subprocess.run(command, capture_output=True, text=True, timeout=duration + warmup + 60)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed ({done.returncode}): {done.stderr}")
    result = json.loads(done.stdout)
    result["load_average_before"] = os.getloadavg()[0]
    return result


def summarise(runs):
    """The median run by p50 latency, with the spread over all runs."""
    ordered = sorted(runs, key=lambda r: r["connect_latency_us"]["p50"])
    median = dict(ordered[len(ordered) // 2])
    p50s = [r["connect_latency_us"]["p50"] for r in runs]
    median["p50_min_us"], median["p50_max_us"] = min(p50s), max(p50s)
    median["broker_cpu_us_per_connection"] = (
        median["broker_cpu"]["total_s"] * 1e6 / max(median["connections"], 1))
    median["connections_per_broker_cpu_s"] = (
        median["connections"] / max(median["broker_cpu"]["total_s"], 1e-9))
    return median


def verify_column(result):
    """The generator's verification time; transport A verifies inside the handshake, where the
    generator does not time it, and plain TLS verifies nothing."""
    if "verify_us_per_connection" not in result:
        return "inside the handshake" if result.get("attest") == "handshake" else "none"
    return f"{result['verify_us_per_connection']:,.0f}"


def markdown(results):
    base = results["tls"]
    lines = ["| mode | p50 us (min-max) | p99 us | p50 vs plain TLS | broker CPU us/conn | "
             "connects per broker CPU s | client verify us/conn |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for mode, r in results.items():
        latency = r["connect_latency_us"]
        lines.append(
            f"| {mode} | {latency['p50']:,.0f} ({r['p50_min_us']:,.0f}-{r['p50_max_us']:,.0f}) "
            f"| {latency['p99']:,.0f} | {latency['p50'] / base['connect_latency_us']['p50']:.2f}x "
            f"| {r['broker_cpu_us_per_connection']:,.0f} "
            f"| {r['connections_per_broker_cpu_s']:,.0f} "
            f"| {verify_column(r)} |")
    return "\n".join(lines)


def cost_split(results):
    """What each attested mode adds to plain TLS, per connection, in us: on the broker's CPU,
    in the client's verification, and the rest of the latency (the extra round trip)."""
    base = results["tls"]
    split = {}
    for mode, r in results.items():
        if mode == "tls":
            continue
        added = r["connect_latency_us"]["p50"] - base["connect_latency_us"]["p50"]
        verify = r.get("verify_us_per_connection", 0)
        split[mode] = {
            "added_latency_us": added,
            "broker_cpu_added_us": (r["broker_cpu_us_per_connection"] -
                                    base["broker_cpu_us_per_connection"]),
            "client_verify_us": verify,
            "rest_us": added - verify,
        }
    return split


def plot(results, image_dir, name):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = list(results)
    p50 = [results[m]["connect_latency_us"]["p50"] for m in modes]
    low = [v - results[m]["p50_min_us"] for m, v in zip(modes, p50)]
    high = [results[m]["p50_max_us"] - v for m, v in zip(modes, p50)]
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.bar(modes, p50, yerr=[low, high], capsize=4, color="#d9822b")
    left.set_ylabel("socket to CONNACK, p50 (us; bars: min-max of runs)")
    for x, v in enumerate(p50):
        left.annotate(f"{v / p50[0]:.2f}x", (x, v), ha="center", va="bottom", fontsize=8)
    per_cpu = [results[m]["connections_per_broker_cpu_s"] for m in modes]
    right.bar(modes, per_cpu, color="#5a7fa8")
    right.set_ylabel("connections per broker CPU second")
    for axis in (left, right):
        axis.tick_params(axis="x", labelrotation=15)
    figure.suptitle(f"Attested connect (sim TEE, {name.removeprefix('bench-attested-connect-') or 'native'}): "
                    "one client, TLS 1.3 full handshake each time")
    figure.tight_layout()
    return save_figure(figure, os.path.join(image_dir, name))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attestmq", default=DEFAULT_ATTESTMQ)
    parser.add_argument("--enclave", metavar="BINARY",
                        help="run attestmq-enclave brokers instead of attestmq broker")
    parser.add_argument("--modes", nargs="+", choices=list(MODES), default=list(MODES))
    parser.add_argument("--duration", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-load", type=float, default=0,
                        help="wait (up to 2 min) for the load average to fall below this")
    parser.add_argument("--output", help="default bench/results/attested-connect[-enclave].json")
    parser.add_argument("--images", default=os.path.join(ROOT, "docs/img"))
    args = parser.parse_args()
    if "tls" not in args.modes:
        sys.exit("attested_connect.py: the tls mode is the baseline; keep it in --modes")
    attestmq = os.path.abspath(args.attestmq)
    enclave = os.path.abspath(args.enclave) if args.enclave else None
    label = "attested-connect" + ("-enclave" if enclave else "")
    output = args.output or os.path.join(ROOT, f"bench/results/{label}.json")
    broker_command = [enclave] if enclave else [attestmq, "broker"]
    module = measured_module(attestmq, enclave)

    runs = {mode: [] for mode in args.modes}
    with tempfile.TemporaryDirectory(prefix="attestmq-attested-connect-") as workdir:
        os.chmod(workdir, 0o755)
        pki = os.path.join(workdir, "pki")
        os.makedirs(pki)
        certificates = make_certificates(pki)
        brokers, policies = {}, {}
        try:
            for name in sorted({MODES[m][0] for m in args.modes}):
                key_file = os.path.join(workdir, f"sim-{name}.pem")
                extra = ["threads 1", "tee sim", f"tee_sim_key_file {key_file}", *BROKERS[name]]
                brokers[name] = Broker(f"attestmq-{name}", broker_command, extra, workdir,
                                       certificates)
                policies[name] = sim_policy(workdir, key_file, module)
            for repetition in range(args.repeat):
                for mode in args.modes:
                    wait_for_quiet(args.max_load)
                    name = MODES[mode][0]
                    r = run_mode(attestmq, brokers[name], mode, policies[name], certificates[0],
                                 args.duration, args.warmup)
                    runs[mode].append(r)
                    print(f"{mode:17} #{repetition + 1}: p50 {r['connect_latency_us']['p50']:8.0f} us"
                          f"  {r['connections_per_s']:6.0f} conn/s", file=sys.stderr)
        finally:
            for broker in brokers.values():
                broker.stop()
    results = {mode: summarise(rs) for mode, rs in runs.items()}
    report = {
        "environment": environment(attestmq),
        "method": {"broker": " ".join(broker_command), "module_sha256": module,
                   "broker_cpu": BROKER_CPU, "generator_cpu": GENERATOR_CPU,
                   "duration_s": args.duration, "warmup_s": args.warmup, "repeat": args.repeat,
                   "clients": 1, "brokers": BROKERS,
                   "modes": {m: " ".join(MODES[m][1]) for m in args.modes}},
        "results": results,
        "cost_split_us": cost_split(results),
        "all_runs": runs,
    }
    images = save(report, output, lambda: plot(results, args.images, f"bench-{label}"), args.images)
    print(markdown(results))
    print()
    print(json.dumps(report["cost_split_us"], indent=2))
    print(f"\nresults: {output}\nplots: {', '.join(images)}", file=sys.stderr)


if __name__ == "__main__":
    main()
