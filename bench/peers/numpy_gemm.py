#!/usr/bin/python3
"""numpy with OpenBLAS (Debian's libopenblas0-pthread): float32 1024³ matrix multiply in GFLOP/s, best of 10, printing {"gemm": {"gflops"}}.

Usage: /usr/bin/python3 bench/peers/numpy_gemm.py
"""
import json
import time

import numpy as np

n = 1024
rng = np.random.default_rng(4)
a = rng.standard_normal((n, n), dtype=np.float32)
b = rng.standard_normal((n, n), dtype=np.float32)
a @ b
best = float("inf")
for _ in range(10):
    start = time.perf_counter()
    a @ b
    best = min(best, time.perf_counter() - start)
blas = "unknown"
try:
    blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
except Exception:
    pass
print(json.dumps({"gemm": {"gflops": 2 * n ** 3 / best / 1e9}, "numpy": np.__version__, "blas": blas}))
