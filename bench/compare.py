#!/usr/bin/python3
"""Runs Xent's benchmark and its peers (PyTorch, best of 1 and 2 threads; numpy/OpenBLAS for the matrix multiply)
in one go on this machine and prints a table of the figures and their ratios.

Usage:
    apt-get install python3-torch libopenblas0-pthread     # the peers, from Debian
    /usr/bin/python3 bench/compare.py [--markdown] [--avx2] [--rounds N]

--rounds N runs all three N times in turn (Xent, PyTorch, OpenBLAS, then again) and reports each system's median figure
and the median of the N ratios, each ratio taken within one round, with their lowest and highest: on a shared machine a
burst of load that halves one process's figure for a few seconds moves one round's ratio, not the median.

--avx2 restricts every system to AVX2: Xent with DOTNET_EnableAVX512=0, OpenBLAS with OPENBLAS_CORETYPE=Haswell, PyTorch
with ATEN_CPU_CAPABILITY=avx2 for its own kernels and OPENBLAS_CORETYPE=Haswell for its matrix products (Debian's PyTorch
multiplies through OpenBLAS). Without it, OPENBLAS_CORETYPE and OPENBLAS_L2_SIZE are removed from numpy's and PyTorch's
environments so OpenBLAS picks its own kernel for this CPU.
"""
import argparse
import json
import os
import subprocess
import sys
from statistics import median

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def run_json(command, env=None):
    out = subprocess.run(command, check=True, capture_output=True, text=True, cwd=ROOT, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--avx2", action="store_true")
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    xent_env, blas_env, torch_env = dict(os.environ), dict(os.environ), dict(os.environ)
    for name in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"):
        blas_env.pop(name, None)
        torch_env.pop(name, None)
    if args.avx2:
        xent_env["DOTNET_EnableAVX512"] = "0"
        blas_env["OPENBLAS_CORETYPE"] = "Haswell"
        # Debian's PyTorch multiplies through the same OpenBLAS: its kernel is restricted too, not only ATen's own.
        torch_env["ATEN_CPU_CAPABILITY"] = "avx2"
        torch_env["OPENBLAS_CORETYPE"] = "Haswell"
    subprocess.run(["dotnet", "build", "-c", "Release", "bench/Xent.Bench", "-v", "q", "-nologo"], check=True, cwd=ROOT, capture_output=True)
    rounds = []
    for _ in range(args.rounds):
        xent = run_json(["dotnet", "bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll", "--json"], xent_env)
        torch = run_json([sys.executable, os.path.join(HERE, "peers", "torch_bench.py")], torch_env)
        blas = run_json([sys.executable, os.path.join(HERE, "peers", "numpy_gemm.py")], blas_env)
        rounds.append((xent, torch, blas))
    machine = rounds[0][0]["machine"]
    print(f"CPU: {machine['cpu']}; Xent paths: {machine['paths']}; .NET {machine['dotnet']}; "
          f"OpenBLAS core type: {blas_env.get('OPENBLAS_CORETYPE', 'auto')}; PyTorch capability: {torch_env.get('ATEN_CPU_CAPABILITY', 'auto')}, "
          f"its OpenBLAS core type: {torch_env.get('OPENBLAS_CORETYPE', 'auto')}\n")
    rows = [
        ("iris", "stepsPerSecond", "PyTorch", lambda t, b: t["iris"]["stepsPerSecond"], False, "≥ 20×"),
        ("digits", "samplesPerSecond", "PyTorch", lambda t, b: t["digits"]["samplesPerSecond"], False, "≥ 3×"),
        ("mnist", "samplesPerSecond", "PyTorch", lambda t, b: t["mnist"]["samplesPerSecond"], False, "≥ 1.5×"),
        ("gemm", "gflops", "OpenBLAS (numpy)", lambda t, b: b["gemm"]["gflops"], False, "≥ 0.85×"),
        ("gemm", "gflops", "PyTorch", lambda t, b: t["gemm"]["gflops"], False, ""),
        ("predict", "microseconds", "PyTorch", lambda t, b: t["predict"]["microseconds"], True, "≤ 1 µs"),
    ]
    several = len(rounds) > 1
    if several:
        print(f"Medians of {len(rounds)} rounds; the ratio is the median of the rounds' ratios, with the lowest and highest in brackets.\n")
    print("| workload | metric | Xent | peer | peer value | Xent ÷ peer (higher is better) | target |")
    print("|---|---|---|---|---|---|---|")
    by_round = []
    for workload, metric, peer, peer_value, lower_better, target in rows:
        mine = [x[workload][metric] for x, _, _ in rounds]
        theirs = [peer_value(t, b) for _, t, b in rounds]
        in_order = [v / m if lower_better else m / v for m, v in zip(mine, theirs)]
        ratios = sorted(in_order)
        spread = f" ({ratios[0]:.2f}–{ratios[-1]:.2f})" if several else ""
        print(f"| {workload} | {metric} | {median(mine):,.2f} | {peer} | {median(theirs):,.2f} | {median(ratios):.2f}×{spread} | {target} |")
        by_round.append(f"{workload} vs {peer}: " + ", ".join(f"{r:.2f}" for r in in_order))
    if several:
        print("\nRatios round by round: " + "; ".join(by_round))
    xent, torch, _ = rounds[0]
    dataset = 60000 * 784 * 4
    parameters = (784 * 256 + 256 + 256 * 128 + 128 + 128 * 10 + 10) * 4
    limit = 1.5 * (dataset + parameters) + 100e6
    peak = max(x["mnist"]["peakWorkingSetBytes"] for x, _, _ in rounds)
    print(f"\nmnist peak working set: Xent {peak / 1e6:.0f} MB (limit 1.5 × (data {dataset / 1e6:.0f} MB + parameters {parameters / 1e6:.1f} MB) + 100 MB = {limit / 1e6:.0f} MB); "
          f"PyTorch process peak {max(t['mnist']['peakWorkingSetBytes'] for _, t, _ in rounds) / 1e6:.0f} MB")
    print(f"PyTorch {torch['version']}; intra-op threads chosen{' in the first round' if several else ''} (its BLAS, OpenBLAS, keeps its own pool of threads): " + ", ".join(f"{k} {v['threads']}" for k, v in torch.items() if isinstance(v, dict)))


if __name__ == "__main__":
    main()
