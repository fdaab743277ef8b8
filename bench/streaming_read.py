#!/usr/bin/python3
"""Issue 13 bench (not a timed test): one large CSV, read by pandas' C engine and trained on by xent in memory.

Usage: /usr/bin/python3 bench/streaming_read.py ROWS FEATURES FOLDER [XENT_DLL]
Writes FOLDER/big.csv (ROWS x FEATURES floats and a 4-class label), times pandas.read_csv on it, then runs
`xent train --data big.csv --epochs 1 --json --report-time` under /usr/bin/time -v and prints its wall time, peak
resident memory and accuracy. Streaming training (--memory-limit) is not in xent yet, so there is no streamed run here.
"""
import json, os, subprocess, sys, time
import numpy as np
import pandas as pd

rows, features, folder = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
dll = sys.argv[4] if len(sys.argv) > 4 else "src/Xent.Cli/bin/Release/net10.0/xent.dll"
os.makedirs(folder, exist_ok=True)
path = os.path.join(folder, "big.csv")
if not os.path.exists(path):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(features, 4))
    with open(path + ".tmp", "w") as f:
        f.write(",".join(f"f{i}" for i in range(features)) + ",label\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            x = rng.normal(size=(n, features)).astype(np.float32)
            y = np.argmax(x @ w + rng.gumbel(size=(n, 4)), axis=1)
            frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(features)])
            frame["label"] = np.array(["a", "b", "c", "d"])[y]
            frame.to_csv(f, header=False, index=False, float_format="%.6g")
    os.replace(path + ".tmp", path)
size = os.path.getsize(path)
print(f"file: {path}, {rows} rows x {features} features, {size / 1e6:.0f} MB")

start = time.perf_counter()
frame = pd.read_csv(path)
seconds = time.perf_counter() - start
print(f"pandas {pd.__version__} read_csv (C engine): {seconds:.2f} s, {rows / seconds:,.0f} rows/s, {size / 1e6 / seconds:.0f} MB/s")
del frame

command = ["/usr/bin/time", "-v", "dotnet", dll, "train", "--data", path, "--epochs", "1", "--validation", "0.2", "--json", "--report-time"]
start = time.perf_counter()
run = subprocess.run(command, capture_output=True, text=True)
wall = time.perf_counter() - start
if run.returncode != 0:
    sys.exit(run.stderr)
result = json.loads(run.stdout)
peak = next(line for line in run.stderr.splitlines() if "Maximum resident set size" in line).split(":")[1].strip()
print(f"xent train in memory, 1 epoch: wall {wall:.1f} s (training {result['trainingSeconds']:.1f} s, so reading ~{wall - result['trainingSeconds']:.1f} s), "
      f"peak RSS {int(peak) / 1024:.0f} MB, validation accuracy {result['validationAccuracy']:.4f}, rows {result['rows']}, streamed {result['streamed']}")
