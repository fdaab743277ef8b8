#!/usr/bin/env bash
# Data-parallel throughput of `xent train` on this machine with 1, 2 and 4 processes (mpirun --oversubscribe):
# samples per second per process and the time each spent in the gradient all-reduce, for an mnist-shaped network
# (784-256-128-10, 235,146 parameters, 0.94 MB of gradients) and an Iris-sized one (the fused small-network step).
# Usage: bash bench/distributed/run.sh [rows] [epochs]    (defaults 6000 rows, 3 epochs; writes into a temporary folder)
set -euo pipefail
cd "$(dirname "$0")/../.."
rows=${1:-6000}
epochs=${2:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dotnet build src/Xent.Cli -c Release -v quiet -nologo >/dev/null
xent=src/Xent.Cli/bin/Release/net10.0/xent.dll

# Synthetic data of mnist's shape: 784 features in [0, 1], 10 classes from a random linear rule.
python3 - "$work" "$rows" <<'PY'
import random, sys
folder, rows = sys.argv[1], int(sys.argv[2])
random.seed(1)
w = [[random.gauss(0, 1) for _ in range(784)] for _ in range(10)]
with open(f"{folder}/mnist.csv", "w") as f:
    f.write(",".join(f"p{i}" for i in range(784)) + ",digit\n")
    for _ in range(rows):
        x = [random.random() if random.random() < 0.2 else 0.0 for _ in range(784)]
        label = max(range(10), key=lambda c: sum(a * b for a, b in zip(w[c], x)))
        f.write(",".join("0" if v == 0 else f"{v:.3f}" for v in x) + f",{label}\n")
with open(f"{folder}/small.csv", "w") as f:
    f.write("a,b,c,d,label\n")
    for _ in range(20000):
        x = [random.gauss(0, 1) for _ in range(4)]
        f.write(",".join(f"{v:.4f}" for v in x) + ("," + ("x" if x[0] + x[1] * x[2] > 0 else "y")) + "\n")
PY

run() {   # name ranks processors args...
  local name=$1 ranks=$2 processors=$3; shift 3
  # DOTNET_PROCESSOR_COUNT=1: one worker thread per process (the kernels split large products over the processor count).
  local env=(env) export=()
  [ "$processors" != all ] && env=(env DOTNET_PROCESSOR_COUNT="$processors") && export=(-x DOTNET_PROCESSOR_COUNT)
  if [ "$ranks" = 1 ]; then "${env[@]}" dotnet "$xent" train "$@" --json --report-time > "$work/out.json"
  else "${env[@]}" mpirun -q --allow-run-as-root --oversubscribe -np "$ranks" "${export[@]}" dotnet "$xent" train "$@" --json --report-time > "$work/out.json"; fi
  python3 -c "
import json,sys
r=json.load(open('$work/out.json'))
samples=$SAMPLES
t=r['trainingSeconds']; a=r.get('allReduceSeconds',0.0); s=r['steps']
print(f'| $name | $ranks | $processors | {s} | {t:.2f} | {samples/t:,.0f} | {samples/t/$ranks:,.0f} | {a:.2f} ({100*a/t:.0f} %) | {1e3*a/s:.3f} |')"
}

echo "| workload | processes | .NET processors per process | steps | seconds | samples/s (all) | samples/s per process | all-reduce s (share) | all-reduce ms per step |"
echo "|---|---|---|---|---|---|---|---|---|"
SAMPLES=$((rows * epochs))
for ranks in 1 2 4; do
  for processors in all 1; do
    run mnist "$ranks" "$processors" --data "$work/mnist.csv" --hidden 256,128 --batch-size 128 --optimizer sgd --learning-rate 0.01 --epochs "$epochs" --validation 0 --no-early-stopping
  done
done
SAMPLES=$((20000 * 5))
for ranks in 1 2 4; do
  run small "$ranks" 1 --data "$work/small.csv" --hidden 16 --batch-size 32 --epochs 5 --validation 0 --no-early-stopping
done
