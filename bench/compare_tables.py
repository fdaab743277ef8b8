#!/usr/bin/python3
"""Xent against scikit-learn on a generated mixed table: numeric and categorical columns with missing values.

The table (generated here from a seed, 4,000 rows): age, income, tenure (numeric; age and income have empty, NA and NaN
cells), country (8 values, skewed, some empty), plan (3), channel (5), city (200 values, Zipf-like, so many are rare and
some test rows hold a city the training rows never had), and a three-class label that depends on all of them with noise.

Both get the same stratified 70/30 train/test split (the rows are written to train.csv and test.csv; Xent reads those
files, scikit-learn reads them with pandas) and one hidden layer of 64 units:
- scikit-learn: Pipeline(ColumnTransformer([numeric: SimpleImputer(mean, add_indicator=True)],
  [categorical: SimpleImputer(constant "missing") then OneHotEncoder(handle_unknown="ignore")]), StandardScaler,
  MLPClassifier(hidden_layer_sizes=(64,), random_state=seed)), every other option at its default.
- Xent: `xent train --hidden 64 --seed SEED` with every other option at its default (types inferred, mean + indicator
  for missing numbers, a "missing" category, the 32 most frequent categories one-hot plus "other", standardised; it
  holds out 20% of the training rows for early stopping), then `xent evaluate` on the test rows.
A third row gives scikit-learn Xent's two defaults that differ (at most 32 categories + "other", early stopping on 20%).
With --fair, the table is instead statsmodels' "fair" data set (Debian's python3-statsmodels ships it: 6,366 married
women, 1974; numeric rate_marriage, age, yrs_married, children, religious, educ and the occupation codes of wife and
husband, read as categories with `--categorical`), the label whether affairs > 0; it has no missing values.
Seeds 0..4 by default (table and split use the seed); the table reports the mean over seeds.

Usage (Debian's python3-sklearn and python3-pandas):
    dotnet build -c Release src/Xent.Cli
    /usr/bin/python3 bench/compare_tables.py [--xent src/Xent.Cli/bin/Release/net10.0/xent] [--seeds 5] [--fair]
"""
import argparse
import json
import os
import subprocess
import tempfile
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.exceptions import ConvergenceWarning
from sklearn.impute import SimpleImputer
from sklearn.metrics import accuracy_score, log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

NUMERIC = ["age", "income", "tenure"]
CATEGORICAL = ["country", "plan", "channel", "city"]
COUNTRIES = ["FR", "DE", "UK", "ES", "IT", "NL", "PT", "BE"]
PLANS = ["basic", "plus", "pro"]
CHANNELS = ["web", "store", "phone", "partner", "ads"]


def make_table(rows, seed):
    rng = np.random.default_rng(seed)
    age = rng.uniform(18, 75, rows)
    income = np.exp(rng.normal(8, 0.5, rows))
    tenure = rng.integers(0, 120, rows).astype(float)
    country = rng.choice(len(COUNTRIES), rows, p=np.array([30, 25, 15, 10, 8, 6, 4, 2]) / 100)
    plan = rng.integers(0, 3, rows)
    channel = rng.integers(0, 5, rows)
    city_weights = 1 / np.arange(1, 201) ** 1.1
    city = rng.choice(200, rows, p=city_weights / city_weights.sum())
    city_effect = rng.normal(0, 0.8, 200)
    score = ((age - 45) / 15 + (np.log(income) - 8) * 1.5 + (tenure - 60) / 40 + np.array([0.8, -0.5, 0.3, -1.0, 0.6, 0, -0.3, 1.2])[country]
             + (plan - 1) * 1.2 + np.array([0.5, -0.4, 0, 0.9, -0.8])[channel] + city_effect[city] + rng.normal(0, 0.7, rows))
    label = np.where(score > 0.7, "yes", np.where(score < -0.7, "no", "maybe"))

    def text(values, fmt):
        return [fmt(v) for v in values]

    age_text = text(age, lambda v: f"{v:.1f}")
    income_text = text(income, lambda v: f"{v:.2f}")
    for column, share in ((age_text, 0.12), (income_text, 0.06)):
        for i in np.flatnonzero(rng.random(rows) < share):
            column[i] = ["", "NA", "NaN"][i % 3]
    country_text = [COUNTRIES[c] for c in country]
    for i in np.flatnonzero(rng.random(rows) < 0.04):
        country_text[i] = ""
    return pd.DataFrame({
        "age": age_text, "income": income_text, "tenure": text(tenure, lambda v: f"{v:.0f}"), "country": country_text,
        "plan": [PLANS[p] for p in plan], "channel": [CHANNELS[c] for c in channel], "city": [f"city{c:03d}" for c in city],
        "churn": label,
    })


def fair_table():
    from statsmodels.datasets import fair
    frame = fair.load_pandas().data
    frame = frame.assign(affair=np.where(frame["affairs"] > 0, "yes", "no")).drop(columns=["affairs"])
    for column in ("occupation", "occupation_husb"):
        frame[column] = frame[column].astype(int)
    return frame


FAIR_NUMERIC = ["rate_marriage", "age", "yrs_married", "children", "religious", "educ"]
FAIR_CATEGORICAL = ["occupation", "occupation_husb"]


def run_sklearn(train, test, seed, matched=False, numeric=NUMERIC, categorical=CATEGORICAL, label="churn"):
    # pandas reads "", "NA" and "NaN" as missing, as Xent does.
    tr = pd.read_csv(train, keep_default_na=False, na_values=["", "NA", "NaN"])
    te = pd.read_csv(test, keep_default_na=False, na_values=["", "NA", "NaN"])
    for frame in (tr, te):
        frame[categorical] = frame[categorical].astype(str).where(frame[categorical].notna(), np.nan)
    encode = ColumnTransformer([
        ("numeric", SimpleImputer(strategy="mean", add_indicator=True), numeric),
        ("categorical", make_pipeline(SimpleImputer(strategy="constant", fill_value="missing"),
                                      OneHotEncoder(handle_unknown="ignore", sparse_output=False, **({"max_categories": 33} if matched else {}))), categorical),
    ])
    # matched: as Xent does by default, the 32 most frequent categories (+1 for the infrequent ones) and early stopping on 20%.
    mlp = MLPClassifier(hidden_layer_sizes=(64,), random_state=seed, **({"early_stopping": True, "validation_fraction": 0.2} if matched else {}))
    model = Pipeline([("encode", encode), ("scale", StandardScaler()), ("mlp", mlp)])
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(tr[numeric + categorical], tr[label])
    seconds = time.perf_counter() - start
    p = model.predict_proba(te[numeric + categorical])
    classes = model.classes_
    return accuracy_score(te[label], classes[p.argmax(1)]), log_loss(te[label], p, labels=classes), seconds


def run_xent(xent, train, test, seed, folder, extra=()):
    model = os.path.join(folder, "model.safetensors")
    command = [xent, "train", "--data", train, "--hidden", "64", "--seed", str(seed), "--out", model, "--force", "--json", "--report-time", *extra]
    trained = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    evaluated = json.loads(subprocess.run([xent, "evaluate", "--model", model, "--data", test, "--json"], check=True, capture_output=True, text=True).stdout)
    return evaluated["accuracy"], evaluated["logLoss"], trained["trainingSeconds"], trained["features"], evaluated["unseen"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--xent", default=os.path.join(os.path.dirname(__file__), "..", "src", "Xent.Cli", "bin", "Release", "net10.0", "xent"))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=4000)
    parser.add_argument("--fair", action="store_true", help="statsmodels' fair data set instead of the generated table")
    args = parser.parse_args()
    columns = dict(numeric=FAIR_NUMERIC, categorical=FAIR_CATEGORICAL, label="affair") if args.fair else {}
    label = columns.get("label", "churn")
    extra = ["--categorical", ",".join(FAIR_CATEGORICAL)] if args.fair else []
    results = {"xent": [], "sklearn": [], "matched": []}
    with tempfile.TemporaryDirectory() as folder:
        for seed in range(args.seeds):
            table = fair_table() if args.fair else make_table(args.rows, seed)
            tr, te = train_test_split(table, test_size=0.3, stratify=table[label], random_state=seed)
            train, test = os.path.join(folder, "train.csv"), os.path.join(folder, "test.csv")
            tr.to_csv(train, index=False)
            te.to_csv(test, index=False)
            a, l, s, features, unseen = run_xent(args.xent, train, test, seed, folder, extra)
            results["xent"].append((a, l, s))
            results["sklearn"].append(run_sklearn(train, test, seed, **columns))
            results["matched"].append(run_sklearn(train, test, seed, matched=True, **columns))
            print(f"seed {seed}: xent accuracy {a:.4f} log loss {l:.4f} ({features} features, test rows with an unseen category {sum(unseen.values())}); "
                  f"scikit-learn accuracy {results['sklearn'][-1][0]:.4f} log loss {results['sklearn'][-1][1]:.4f}; "
                  f"matched accuracy {results['matched'][-1][0]:.4f} log loss {results['matched'][-1][1]:.4f}", flush=True)
    print()
    print("| system | accuracy | log loss | training seconds |")
    print("|---|---|---|---|")
    for name, label in (("xent", "Xent (defaults, --hidden 64)"), ("sklearn", "scikit-learn Pipeline + MLPClassifier((64,)), defaults"),
                        ("matched", "scikit-learn, OneHotEncoder(max_categories=33) + MLPClassifier(early_stopping=True, validation_fraction=0.2)")):
        r = np.array(results[name])
        print(f"| {label} | {r[:, 0].mean():.4f} ± {r[:, 0].std():.4f} | {r[:, 1].mean():.4f} ± {r[:, 1].std():.4f} | {r[:, 2].mean():.2f} |")


if __name__ == "__main__":
    main()
