#!/usr/bin/python3
"""Issue 13 bench (not a timed test): training on data larger than --memory-limit, against pandas and the in-memory run.

Usage: /usr/bin/python3 bench/streaming_read.py [ROWS [FEATURES [FOLDER [EPOCHS [LIMIT]]]]]
       defaults: 3000000 rows x 32 features (about 1 GB of CSV) in /tmp/xent-stream-bench, 3 epochs, --memory-limit 128MB
Needs: dotnet build -c Release src/Xent.Cli bench/Xent.Bench (the Parquet file is written by Xent.Bench --csv-to-parquet,
as pyarrow is not installed for /usr/bin/python3).

Writes FOLDER/big.csv (float32 features, a 4-class label) and FOLDER/big.parquet (the same rows), then, in this order:
pandas.read_csv (C engine) on the CSV; xent streamed from the CSV and from the Parquet file with --memory-limit LIMIT; xent
in memory on the CSV (--memory-limit 64GB). Every xent run is `train --epochs EPOCHS --no-early-stopping --json
--report-time` under /usr/bin/time -v, and prints peak RSS, the first pass (rows/s, MB/s), the time per epoch and the
validation accuracy.
"""
import json, os, subprocess, sys, time
import numpy as np
import pandas as pd

rows = int(sys.argv[1]) if len(sys.argv) > 1 else 3_000_000
features = int(sys.argv[2]) if len(sys.argv) > 2 else 32
folder = sys.argv[3] if len(sys.argv) > 3 else "/tmp/xent-stream-bench"
epochs = int(sys.argv[4]) if len(sys.argv) > 4 else 3
limit = sys.argv[5] if len(sys.argv) > 5 else "128MB"
xent = "src/Xent.Cli/bin/Release/net10.0/xent.dll"
bench = "bench/Xent.Bench/bin/Release/net10.0/Xent.Bench.dll"
os.makedirs(folder, exist_ok=True)
csv = os.path.join(folder, "big.csv")
parquet = os.path.join(folder, "big.parquet")
if not os.path.exists(csv):
    rng = np.random.default_rng(0)
    w = rng.normal(size=(features, 4))
    with open(csv + ".tmp", "w") as f:
        f.write(",".join(f"f{i}" for i in range(features)) + ",label\n")
        for start in range(0, rows, 100_000):
            n = min(100_000, rows - start)
            x = rng.normal(size=(n, features)).astype(np.float32)
            y = np.argmax(x @ w + rng.gumbel(size=(n, 4)), axis=1)
            frame = pd.DataFrame(x, columns=[f"f{i}" for i in range(features)])
            frame["label"] = np.array(["a", "b", "c", "d"])[y]
            frame.to_csv(f, header=False, index=False, float_format="%.6g")
    os.replace(csv + ".tmp", csv)
if not os.path.exists(parquet):
    subprocess.run(["dotnet", bench, "--csv-to-parquet", csv, parquet], check=True)
size = os.path.getsize(csv)
print(f"cpu: {next(l for l in open('/proc/cpuinfo') if l.startswith('model name')).split(':')[1].strip()}, {os.cpu_count()} cores")
print(f"load before: {os.getloadavg()}")
print(f"file: {csv}, {rows} rows x {features} features, {size / 1e6:.0f} MB; {parquet}, {os.path.getsize(parquet) / 1e6:.0f} MB")

start = time.perf_counter()
frame = pd.read_csv(csv)
pandas_seconds = time.perf_counter() - start
print(f"pandas {pd.__version__} read_csv (C engine): {pandas_seconds:.2f} s, {rows / pandas_seconds:,.0f} rows/s, {size / 1e6 / pandas_seconds:.0f} MB/s")
del frame


def run(label, data, memory_limit):
    command = ["/usr/bin/time", "-v", "dotnet", xent, "train", "--data", data, "--epochs", str(epochs), "--no-early-stopping",
               "--memory-limit", memory_limit, "--json", "--report-time"]
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(result.stderr)
    out = json.loads(result.stdout)
    peak = int(next(l for l in result.stderr.splitlines() if "Maximum resident set size" in l).split(":")[1]) * 1024
    training = out["trainingSeconds"]
    # Streamed: the pass is inside trainingSeconds (readSeconds); in memory the file is read before training starts.
    read = out.get("readSeconds", wall - training)
    epoch = (training - out.get("readSeconds", 0)) / out["epochs"]
    print(f"{label}: streamed {out['streamed']}, peak RSS {peak / 2**20:.0f} MB, read {read:.1f} s ({out['rows'] / read:,.0f} rows/s, "
          f"{os.path.getsize(data) / 1e6 / read:.0f} MB/s), {epoch:.2f} s per epoch, validation accuracy {out['validationAccuracy']:.4f}, wall {wall:.1f} s")
    return read, epoch, peak, out["validationAccuracy"]


csv_read, csv_epoch, csv_peak, csv_accuracy = run(f"xent --memory-limit {limit}, CSV", csv, limit)
pq_read, pq_epoch, pq_peak, pq_accuracy = run(f"xent --memory-limit {limit}, Parquet", parquet, limit)
mem_read, mem_epoch, mem_peak, mem_accuracy = run("xent in memory, CSV", csv, "64GB")
print(f"first pass over the CSV against pandas read_csv: {pandas_seconds / csv_read:.2f}x its speed (target >= 1)")
print(f"epochs from the cache against in memory: {mem_epoch / csv_epoch:.2f}x the speed (CSV cache), {mem_epoch / pq_epoch:.2f}x (Parquet cache) (target >= 0.8)")
print(f"load after: {os.getloadavg()}")
