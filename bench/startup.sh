#!/usr/bin/env bash
# Whole-process start-up: the published `xent` (ReadyToRun, see src/Xent.Cli/Xent.Cli.csproj) running `--help` and
# `train --json` on Iris, against scikit-learn's MLPClassifier fit on Iris including Python's start-up
# (bench/peers/sklearn_iris.py). Runs are interleaved; prints min and median wall milliseconds of N runs (default 10).
#
# Usage: bench/startup.sh [N]            (after apt-get install python3-sklearn for the peer)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
dotnet publish src/Xent.Cli -c Release -o "$out/xent" -v q -nologo > /dev/null
commands=("$out/xent/xent --help" "$out/xent/xent train --json" "/usr/bin/python3 bench/peers/sklearn_iris.py")
declare -A times
for _ in $(seq "$n"); do
  for command in "${commands[@]}"; do
    start=$(date +%s%N)
    $command > /dev/null 2>&1
    end=$(date +%s%N)
    times[$command]+="$(( (end - start) / 1000000 )) "
  done
done
echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'); $n runs each, interleaved"
for command in "${commands[@]}"; do
  sorted=$(printf '%s\n' ${times[$command]} | sort -n | tr '\n' ' ')
  printf '%-40s min %5s ms  median %5s ms\n' "${command#"$out/xent/"}" "$(echo "$sorted" | cut -d' ' -f1)" "$(echo "$sorted" | cut -d' ' -f$(( (n + 1) / 2 )))"
done
