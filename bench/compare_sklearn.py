#!/usr/bin/python3
"""Xent's defaults against scikit-learn's MLPClassifier defaults on Iris, Wine, Breast Cancer and Digits.

Both get the same stratified 70/30 train/test split, one hidden layer of 64 units and standardised features
(StandardScaler for scikit-learn; Xent standardises on its own). scikit-learn: MLPClassifier(hidden_layer_sizes=(64,))
with every other option at its default. Xent: `xent train --hidden 64` with every other option at its default (it holds
out 20% of the training rows for early stopping), then `xent evaluate` on the test rows.
Each is run with seeds 0..4 (the split uses the same seed for both) and the table reports the mean over seeds.

Usage (Debian's python3-sklearn):
    dotnet build -c Release src/Xent.Cli
    /usr/bin/python3 bench/compare_sklearn.py [--xent src/Xent.Cli/bin/Release/net10.0/xent] [--seeds 5]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

DATASETS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer, "digits": load_digits}


def write_csv(path, x, y):
    with open(path, "w") as f:
        f.write(",".join(f"f{i}" for i in range(x.shape[1])) + ",label\n")
        for row, label in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + f",c{label}\n")


def run_sklearn(xtr, ytr, xte, yte, seed):
    scaler = StandardScaler().fit(xtr)
    model = MLPClassifier(hidden_layer_sizes=(64,), random_state=seed)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(scaler.transform(xtr), ytr)
    seconds = time.perf_counter() - start
    p = model.predict_proba(scaler.transform(xte))
    return accuracy_score(yte, model.classes_[p.argmax(1)]), log_loss(yte, p, labels=model.classes_), seconds


def run_xent(xent, xtr, ytr, xte, yte, seed, folder, extra):
    train, test, model = (os.path.join(folder, n) for n in ("train.csv", "test.csv", "model.safetensors"))
    write_csv(train, xtr, ytr)
    write_csv(test, xte, yte)
    command = [xent, "train", "--data", train, "--hidden", "64", "--seed", str(seed), "--out", model, "--force", "--json", "--report-time"] + extra
    trained = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    evaluated = json.loads(subprocess.run([xent, "evaluate", "--model", model, "--data", test, "--json"], check=True, capture_output=True, text=True).stdout)
    return evaluated["accuracy"], evaluated["logLoss"], trained["trainingSeconds"]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--xent", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "Xent.Cli", "bin", "Release", "net10.0", "xent"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--xent-args", default="", help="extra options for xent train, e.g. '--learning-rate 0.003'")
    args = parser.parse_args()
    extra = args.xent_args.split()
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name, load in DATASETS.items():
            x, y = load(return_X_y=True)
            results = {"sklearn": [], "xent": []}
            for seed in range(args.seeds):
                xtr, xte, ytr, yte = train_test_split(x, y, test_size=0.3, stratify=y, random_state=seed)
                results["sklearn"].append(run_sklearn(xtr, ytr, xte, yte, seed))
                results["xent"].append(run_xent(args.xent, xtr, ytr, xte, yte, seed, folder, extra))
            row = {"dataset": name, "rows": len(y), "features": x.shape[1], "classes": len(set(y))}
            for system, values in results.items():
                v = np.array(values)
                row[system] = {"accuracy": v[:, 0].mean(), "accuracyMin": v[:, 0].min(), "logLoss": v[:, 1].mean(), "seconds": v[:, 2].mean()}
            rows.append(row)
    if args.json:
        print(json.dumps(rows, indent=1))
        return
    print(f"mean over seeds 0..{args.seeds - 1}; stratified 70/30 split; hidden layer of 64; standardised features")
    print("| data set | rows × features, classes | scikit-learn accuracy | Xent accuracy | difference (points) | scikit-learn log loss | Xent log loss | scikit-learn fit s | Xent train s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        s, x = r["sklearn"], r["xent"]
        print(f"| {r['dataset']} | {r['rows']} × {r['features']}, {r['classes']} | {s['accuracy']:.4f} | {x['accuracy']:.4f} | {100 * (x['accuracy'] - s['accuracy']):+.2f} "
              f"| {s['logLoss']:.4f} | {x['logLoss']:.4f} | {s['seconds']:.3f} | {x['seconds']:.3f} |")


if __name__ == "__main__":
    main()
