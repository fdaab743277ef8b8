#!/usr/bin/python3
"""Writes loss_reference.json: PyTorch's CrossEntropyLoss and BCEWithLogitsLoss values and gradients on seeded
random cases covering every option, for Xent's tests to compare against.

Run with Debian's python3-torch:  /usr/bin/python3 tests/Xent.Tests/Reference/make_loss_reference.py
"""
import json
import math
import os
import random

import torch

torch.set_default_dtype(torch.float64)  # reference values in double; Xent computes in float32 with double sums


def num(v):
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def nums(t):
    return [num(v) for v in t.reshape(-1).tolist()]


def cross_entropy_case(rng, name, logits, targets, soft, weights, ignore_index, smoothing, reduction):
    x = torch.tensor(logits, requires_grad=True)
    n, c = x.shape
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    if weights is not None:
        kwargs["weight"] = torch.tensor(weights)
    if not soft:
        kwargs["ignore_index"] = ignore_index
        t = torch.tensor(targets, dtype=torch.long)
    else:
        t = torch.tensor(targets)
    loss = torch.nn.functional.cross_entropy(x, t, **kwargs)
    total = loss.sum() if reduction == "none" else loss
    total.backward()
    row = torch.nn.functional.cross_entropy(x.detach(), t, **{**kwargs, "reduction": "none"})
    return {
        "name": name, "kind": "cross_entropy", "rows": n, "classes": c,
        "logits": nums(x.detach()),
        "targets": [int(v) for v in targets] if not soft else None,
        "probabilities": nums(t) if soft else None,
        "weights": weights, "ignoreIndex": ignore_index, "labelSmoothing": smoothing, "reduction": reduction,
        "loss": nums(loss) if reduction == "none" else num(loss),
        "rowLosses": nums(row),
        "gradient": nums(x.grad),
    }


def bce_case(name, logits, targets, weights, pos_weight, reduction):
    x = torch.tensor(logits, requires_grad=True)
    kwargs = dict(reduction=reduction)
    if weights is not None:
        kwargs["weight"] = torch.tensor(weights).reshape(x.shape)
    if pos_weight is not None:
        kwargs["pos_weight"] = torch.tensor(pos_weight)
    loss = torch.nn.functional.binary_cross_entropy_with_logits(x, torch.tensor(targets), **kwargs)
    total = loss.sum() if reduction == "none" else loss
    total.backward()
    return {
        "name": name, "kind": "bce", "rows": x.shape[0], "classes": x.shape[1],
        "logits": nums(x.detach()), "probabilities": nums(torch.tensor(targets)),
        "weights": None if weights is None else [float(v) for v in torch.tensor(weights).reshape(-1)],
        "positiveWeights": pos_weight, "reduction": reduction,
        "loss": nums(loss) if reduction == "none" else num(loss),
        "gradient": nums(x.grad),
    }


def main():
    rng = random.Random(20261123)
    cases = []
    reductions = ["none", "sum", "mean"]
    for i in range(60):
        n, c = rng.randint(1, 6), rng.randint(2, 6)
        logits = [[round(rng.gauss(0, 3), 4) for _ in range(c)] for _ in range(n)]
        soft = i % 4 == 3
        weights = [round(rng.uniform(0.1, 3), 3) for _ in range(c)] if rng.random() < 0.5 else None
        smoothing = round(rng.choice([0.0, 0.0, rng.uniform(0, 1)]), 3)
        reduction = reductions[i % 3]
        ignore_index = -100
        if soft:
            targets = []
            for _ in range(n):
                raw = [rng.random() for _ in range(c)]
                if rng.random() < 0.3:  # a hard one-hot row among the soft ones: q = 0 entries
                    raw = [0.0] * c
                    raw[rng.randrange(c)] = 1.0
                s = sum(raw)
                targets.append([round(v / s, 6) for v in raw])
        else:
            targets = [rng.randrange(c) for _ in range(n)]
            if rng.random() < 0.4:
                ignore_index = rng.choice([-100, rng.randrange(c)])
                for r in range(n):
                    if rng.random() < 0.3:
                        targets[r] = ignore_index
        cases.append(cross_entropy_case(rng, f"random-{i}", logits, targets, soft, weights, ignore_index, smoothing, reduction))

    # Every row ignored: mean is NaN (0/0), sum is 0, gradients are zero.
    for reduction in reductions:
        for smoothing in (0.0, 0.2):
            cases.append(cross_entropy_case(rng, f"all-ignored-{reduction}-{smoothing}", [[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]], [1, 1], False,
                                            [1.0, 2.0, 0.5], 1, smoothing, reduction))
    # Extreme logits: exact finite results.
    for target in range(3):
        for smoothing in (0.0, 0.1):
            cases.append(cross_entropy_case(rng, f"extreme-{target}-{smoothing}", [[1000.0, 0.0, -1000.0]], [target], False, None, -100, smoothing, "mean"))
    cases.append(cross_entropy_case(rng, "extreme-soft", [[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], [[0.5, 0.5, 0.0], [0.2, 0.8, 0.0]], True, [1.0, 2.0, 3.0], -100, 0.0, "sum"))
    # The worked example's first row.
    cases.append(cross_entropy_case(rng, "worked-example", [[1.04, 0.0, 0.14]], [0], False, None, -100, 0.0, "mean"))

    for i in range(12):
        n, c = rng.randint(1, 4), rng.randint(1, 4)
        logits = [[round(rng.gauss(0, 4), 4) for _ in range(c)] for _ in range(n)]
        if i == 0:
            logits[0][0] = 200.0
            if c > 1:
                logits[0][1] = -200.0
        targets = [[round(rng.random(), 4) if rng.random() < 0.5 else float(rng.randrange(2)) for _ in range(c)] for _ in range(n)]
        weights = [[round(rng.uniform(0.1, 2), 3) for _ in range(c)] for _ in range(n)] if rng.random() < 0.5 else None
        pos_weight = [round(rng.uniform(0.5, 4), 3) for _ in range(c)] if rng.random() < 0.5 else None
        cases.append(bce_case(f"bce-{i}", logits, targets, weights, pos_weight, reductions[i % 3]))

    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "loss_reference.json")
    with open(out, "w") as f:
        json.dump({"generator": "make_loss_reference.py", "torch": torch.__version__, "cases": cases}, f, indent=1)
    print(f"wrote {len(cases)} cases to {out}")


if __name__ == "__main__":
    main()
